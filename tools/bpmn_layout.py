"""Compute diagram interchange (DI) for hand-written BPMN files, so they render readably in bpmn-js.

Usage: `python tools/bpmn_layout.py bpmn/*.bpmn` rewrites each file in place:

- wraps the process in a collaboration with one participant (bpmn-js draws lanes only inside a pool);
- adds `incoming`/`outgoing` references to every flow node, as the modeler would;
- replaces any BPMNDiagram with a computed left-to-right layout: columns by longest path from the
  start (loops drawn back underneath), one horizontal band per lane, boundary events on the lower
  edge of their activity, expanded subprocesses laid out recursively, orthogonal edges.

It is a one-off helper for the committed models: once a process owner moves shapes in the modeler,
the modeler keeps the DI and this tool is no longer needed for that file. Pure lxml, no project imports.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
_B = f"{{{BPMN}}}"

TASKS = {
    "task",
    "userTask",
    "manualTask",
    "scriptTask",
    "serviceTask",
    "sendTask",
    "receiveTask",
    "businessRuleTask",
    "callActivity",
}
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent"}
GATEWAYS = {"exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway"}
CONTAINERS = {"subProcess", "transaction"}
FLOW_NODES = TASKS | EVENTS | GATEWAYS | CONTAINERS

SIZES = {"task": (110, 80), "event": (36, 36), "gateway": (50, 50)}
COL_GAP = 60  # horizontal space between columns
ROW_GAP = 50  # vertical space between rows of one lane
LANE_PAD = 30  # space above the first and below the last row of a lane
CHANNEL = 14  # vertical distance between the routes of loops drawn underneath
POOL_LABEL = 30  # the band on the left of a pool that holds its name
LANE_LABEL = 30  # the band on the left of a lane that holds its name
SUB_PAD = 30  # inner margin of an expanded subprocess


def local(el: etree._Element) -> str:
    return etree.QName(el).localname


def kind(el: etree._Element) -> str:
    name = local(el)
    if name in EVENTS or name == "boundaryEvent":
        return "event"
    if name in GATEWAYS:
        return "gateway"
    return "task"


@dataclass
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h


@dataclass
class Drawing:
    """Shapes and edges of one container, in its own coordinates (origin at 0, 0)."""

    shapes: dict[str, Box] = field(default_factory=dict)
    edges: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    lanes: dict[str, Box] = field(default_factory=dict)
    width: float = 0
    height: float = 0

    def shift(self, dx: float, dy: float) -> None:
        for box in [*self.shapes.values(), *self.lanes.values()]:
            box.x += dx
            box.y += dy
        for points in self.edges.values():
            points[:] = [(x + dx, y + dy) for x, y in points]


def flow_nodes(container: etree._Element) -> list[etree._Element]:
    return [c for c in container if isinstance(c.tag, str) and local(c) in FLOW_NODES]


def layout_container(container: etree._Element, lane_of: dict[str, str], lane_order: list[str]) -> Drawing:
    """Lay out the flow nodes directly inside `container` (a process or an expanded subprocess)."""
    nodes = {n.get("id"): n for n in flow_nodes(container)}
    boundaries = {b.get("id"): b.get("attachedToRef") for b in container.iterfind(f"{_B}boundaryEvent")}
    flows = [(f.get("id"), f.get("sourceRef"), f.get("targetRef")) for f in container.iterfind(f"{_B}sequenceFlow")]
    inner = {nid: layout_subprocess(el) for nid, el in nodes.items() if local(el) in CONTAINERS}

    def size(nid: str) -> tuple[float, float]:
        if nid in inner:
            return inner[nid].width, inner[nid].height
        return SIZES[kind(nodes[nid])]

    # Successors for layering: a flow leaving a boundary event leaves from its activity.
    succ: dict[str, list[str]] = {nid: [] for nid in nodes}
    for _fid, src, tgt in flows:
        owner = boundaries.get(src, src)
        if owner in succ and tgt in nodes:
            succ[owner].append(tgt)

    # Back edges: found by a depth-first walk from the start events (then from anything unvisited).
    back: set[tuple[str, str]] = set()
    state: dict[str, int] = {}
    order: list[str] = []
    starts = [n for n, el in nodes.items() if local(el) == "startEvent"] + list(nodes)
    for root in starts:
        if root in state:
            continue
        stack = [(root, iter(succ[root]))]
        state[root] = 1
        order.append(root)
        while stack:
            node, children = stack[-1]
            for child in children:
                if state.get(child) == 1:
                    back.add((node, child))
                elif child not in state:
                    state[child] = 1
                    order.append(child)
                    stack.append((child, iter(succ[child])))
                    break
            else:
                state[node] = 2
                stack.pop()

    # Columns: longest path over the forward edges (Kahn's order).
    preds: dict[str, list[str]] = {nid: [] for nid in nodes}
    for src, targets in succ.items():
        for tgt in targets:
            if (src, tgt) not in back:
                preds[tgt].append(src)
    col: dict[str, int] = {}
    pending = {nid: len(p) for nid, p in preds.items()}
    ready = [n for n in order if pending[n] == 0]
    while ready:
        node = ready.pop(0)
        col[node] = max((col[p] + 1 for p in preds[node]), default=0)
        for tgt in succ[node]:
            if (node, tgt) in back:
                continue
            pending[tgt] -= 1
            if pending[tgt] == 0:
                ready.append(tgt)
    for nid in nodes:  # anything left (should not happen) goes last
        col.setdefault(nid, max(col.values(), default=0) + 1)

    # Rows within each lane: follow the first predecessor's row, else the next free one.
    boundary_hosts_of = {}
    for _fid, src, tgt in flows:
        if src in boundaries and tgt in nodes:
            boundary_hosts_of.setdefault(tgt, boundaries[src])
    taken: dict[tuple[str, int, int], str] = {}
    row: dict[str, int] = {}
    lanes_used = lane_order or [""]

    def flexible(n: str) -> bool:
        # A branch of a gateway can go to any row; a chain continuing straight on keeps its row first.
        first = preds[n][0] if preds[n] else None
        return first is not None and kind(nodes[first]) == "gateway" and len(succ[first]) > 1

    for node in sorted(nodes, key=lambda n: (col[n], flexible(n), order.index(n))):
        lane = lane_of.get(node, lanes_used[0])
        wanted = 0
        host = boundary_hosts_of.get(node)
        same_lane = [p for p in preds[node] if lane_of.get(p, lanes_used[0]) == lane and p in row]
        if host is not None and host in row and lane_of.get(host, lanes_used[0]) == lane:
            wanted = row[host] + 1  # below the activity whose boundary event leads here
        elif same_lane:
            wanted = row[same_lane[0]]
        r = wanted
        while (lane, r, col[node]) in taken:
            r += 1
        row[node] = r
        taken[(lane, r, col[node])] = node

    # Grid sizes: column widths and row heights from the largest shape in each.
    ncols = max(col.values(), default=0) + 1
    col_w = [0.0] * ncols
    for nid in nodes:
        col_w[col[nid]] = max(col_w[col[nid]], size(nid)[0])
    col_w = [max(w, SIZES["task"][0]) for w in col_w]
    row_h: dict[tuple[str, int], float] = {}
    for nid in nodes:
        key = (lane_of.get(nid, lanes_used[0]), row[nid])
        row_h[key] = max(row_h.get(key, SIZES["task"][1]), size(nid)[1])
    # Loops go back underneath their lane: one channel per loop leaving that lane.
    channels: dict[str, int] = {}
    for src, _tgt in back:
        lane = lane_of.get(src, lanes_used[0])
        channels[lane] = channels.get(lane, 0) + 1

    left = LANE_LABEL if lane_order else SUB_PAD
    col_x = []
    x = left + COL_GAP / 2
    for w in col_w:
        col_x.append(x)
        x += w + COL_GAP
    width = x - COL_GAP / 2 + (0 if lane_order else SUB_PAD - COL_GAP / 2)

    drawing = Drawing()
    y = 0.0 if lane_order else SUB_PAD
    row_y: dict[tuple[str, int], float] = {}
    lane_bottom: dict[str, float] = {}
    for lane in lanes_used:
        top = y
        rows = sorted(r for (ln, r) in row_h if ln == lane)
        y += LANE_PAD if lane_order else 0
        for r in range(max(rows, default=-1) + 1):
            h = row_h.get((lane, r), SIZES["task"][1])
            row_y[(lane, r)] = y
            y += h + ROW_GAP
        y -= ROW_GAP
        y += (LANE_PAD if lane_order else 0) + CHANNEL * (channels.get(lane, 0) + (1 if channels.get(lane) else 0))
        if lane_order:
            y = max(y, top + 2 * LANE_PAD + SIZES["task"][1])
            drawing.lanes[lane] = Box(0, top, width, y - top)
        lane_bottom[lane] = y
    height = y + (0 if lane_order else SUB_PAD)

    for nid in nodes:
        lane = lane_of.get(nid, lanes_used[0])
        w, h = size(nid)
        cell_h = row_h[(lane, row[nid])]
        c = col[nid]
        drawing.shapes[nid] = Box(col_x[c] + (col_w[c] - w) / 2, row_y[(lane, row[nid])] + (cell_h - h) / 2, w, h)
        if nid in inner:
            sub = inner[nid]
            sub.shift(drawing.shapes[nid].x, drawing.shapes[nid].y)
            drawing.shapes.update(sub.shapes)
            drawing.edges.update(sub.edges)

    # Boundary events sit on the lower edge of their activity, spread from the left (a loop leaves
    # from the right end of the lower edge).
    per_host: dict[str, int] = {}
    for bid, host in boundaries.items():
        hb = drawing.shapes[host]
        i = per_host.get(host, 0)
        per_host[host] = i + 1
        drawing.shapes[bid] = Box(hb.x + 6 + i * 40, hb.bottom - 18, 36, 36)

    used_channel: dict[str, int] = {}
    for fid, src, tgt in flows:
        s, t = drawing.shapes[src], drawing.shapes[tgt]
        src_el = nodes.get(src)
        owner = boundaries.get(src, src)
        if (owner, tgt) in back:
            lane = lane_of.get(owner, lanes_used[0])
            used_channel[lane] = used_channel.get(lane, 0) + 1
            yb = lane_bottom[lane] - CHANNEL * used_channel[lane]
            sx = s.cx if src in boundaries or kind(nodes[src]) != "task" else s.right - 12
            drawing.edges[fid] = [(sx, s.bottom), (sx, yb), (t.cx, yb), (t.cx, t.bottom)]
        elif src in boundaries and t.cy < s.cy:  # up to a target above: leave downwards, then turn
            below, mx = s.bottom + 12, max(t.x - COL_GAP / 2, s.right + 12)
            drawing.edges[fid] = [(s.cx, s.bottom), (s.cx, below), (mx, below), (mx, t.cy), (t.x, t.cy)]
        elif src in boundaries:
            drawing.edges[fid] = [(s.cx, s.bottom), (s.cx, t.cy), (t.x, t.cy)]
        elif abs(s.cy - t.cy) < 1:
            between = [
                b
                for n, b in drawing.shapes.items()
                if n not in (src, tgt) and n in nodes and b.x > s.right and b.right < t.x and b.y < s.cy < b.bottom
            ]
            if between:  # a branch that skips activities on its row: around them, underneath
                yb = max(b.bottom for b in between) + ROW_GAP / 2 - 5
                drawing.edges[fid] = [(s.cx, s.bottom), (s.cx, yb), (t.cx, yb), (t.cx, t.bottom)]
            else:
                drawing.edges[fid] = [(s.right, s.cy), (t.x, t.cy)]
        elif src_el is not None and kind(src_el) == "gateway" and not _blocked(drawing, nodes, s, t, (src, tgt)):
            edge_y = s.bottom if t.cy > s.cy else s.y
            drawing.edges[fid] = [(s.cx, edge_y), (s.cx, t.cy), (t.x, t.cy)]
        elif kind(nodes[tgt]) == "gateway" and not _hblocked(drawing, nodes, s.cy, s.right, t.cx, (src, tgt)):
            edge_y = t.bottom if s.cy > t.cy else t.y
            drawing.edges[fid] = [(s.right, s.cy), (t.cx, s.cy), (t.cx, edge_y)]
        else:
            # Turn near the target if the source's row is clear up to there, else turn at once and
            # run along the target's row.
            mx = t.x - COL_GAP / 2
            if _hblocked(drawing, nodes, s.cy, s.right, mx, (src, tgt)):
                mx = s.right + COL_GAP / 3
            drawing.edges[fid] = [(s.right, s.cy), (mx, s.cy), (mx, t.cy), (t.x, t.cy)]
    drawing.width, drawing.height = width, height
    return drawing


def _blocked(drawing: Drawing, nodes: dict[str, etree._Element], s: Box, t: Box, ends: tuple[str, str]) -> bool:
    """Whether a vertical drop from the middle of `s` to the height of `t` would cross a shape."""
    low, high = sorted((s.cy, t.cy))
    return any(
        b.x < s.cx < b.right and b.y < high and b.bottom > low
        for n, b in drawing.shapes.items()
        if n in nodes and n not in ends
    )


def _hblocked(
    drawing: Drawing, nodes: dict[str, etree._Element], y: float, x1: float, x2: float, ends: tuple[str, str]
) -> bool:
    """Whether a horizontal run at height `y` from `x1` to `x2` would cross a shape."""
    return any(
        b.y < y < b.bottom and b.x < x2 and b.right > x1
        for n, b in drawing.shapes.items()
        if n in nodes and n not in ends
    )


def layout_subprocess(sub: etree._Element) -> Drawing:
    drawing = layout_container(sub, {}, [])
    drawing.height = max(drawing.height, 140)
    return drawing


def normalise_refs(process: etree._Element) -> None:
    """Give every flow node `incoming`/`outgoing` elements matching the sequence flows (XSD order)."""
    containers = [process, *(e for e in process.iter() if isinstance(e.tag, str) and local(e) in CONTAINERS)]
    for container in containers:
        flows = list(container.iterfind(f"{_B}sequenceFlow"))
        for node in [*flow_nodes(container), *container.iterfind(f"{_B}boundaryEvent")]:
            for old in node.findall(f"{_B}incoming") + node.findall(f"{_B}outgoing"):
                node.remove(old)
            refs = [("incoming", f.get("id")) for f in flows if f.get("targetRef") == node.get("id")]
            refs += [("outgoing", f.get("id")) for f in flows if f.get("sourceRef") == node.get("id")]
            position = sum(
                1 for c in node if isinstance(c.tag, str) and local(c) in ("documentation", "extensionElements")
            )
            for i, (tag, fid) in enumerate(refs):
                ref = etree.Element(f"{_B}{tag}")
                ref.text = fid
                node.insert(position + i, ref)


def ensure_collaboration(root: etree._Element, process: etree._Element) -> tuple[str, str]:
    pid = process.get("id")
    collab = root.find(f"{_B}collaboration")
    if collab is None:
        collab = etree.Element(f"{_B}collaboration", id=f"collaboration_{pid}")
        root.insert(list(root).index(process), collab)
    participant = collab.find(f"{_B}participant")
    if participant is None:
        participant = etree.SubElement(
            collab, f"{_B}participant", id=f"participant_{pid}", name=process.get("name") or pid, processRef=pid
        )
    return collab.get("id"), participant.get("id")


def _bounds(parent: etree._Element, box: Box) -> None:
    etree.SubElement(
        parent, f"{{{DC}}}Bounds", x=f"{box.x:.0f}", y=f"{box.y:.0f}", width=f"{box.w:.0f}", height=f"{box.h:.0f}"
    )


def write_di(root: etree._Element, process: etree._Element) -> None:
    for old in root.findall(f"{{{BPMNDI}}}BPMNDiagram"):
        root.remove(old)
    collab_id, participant_id = ensure_collaboration(root, process)
    lanes = list(process.iter(f"{_B}lane"))
    lane_of = {(ref.text or "").strip(): ln.get("id") for ln in lanes for ref in ln.iterfind(f"{_B}flowNodeRef")}
    missing = [n.get("id") for n in flow_nodes(process) if lanes and n.get("id") not in lane_of]
    if missing:
        raise SystemExit(f"{process.get('id')}: not in any lane: {', '.join(missing)}")
    drawing = layout_container(process, lane_of, [ln.get("id") for ln in lanes])
    ox, oy = 160 + POOL_LABEL, 80
    drawing.shift(ox, oy)

    diagram = etree.SubElement(root, f"{{{BPMNDI}}}BPMNDiagram", id=f"diagram_{process.get('id')}")
    plane = etree.SubElement(diagram, f"{{{BPMNDI}}}BPMNPlane", id=f"plane_{process.get('id')}", bpmnElement=collab_id)
    pool = etree.SubElement(
        plane, f"{{{BPMNDI}}}BPMNShape", id=f"{participant_id}_di", bpmnElement=participant_id, isHorizontal="true"
    )
    _bounds(pool, Box(ox - POOL_LABEL, oy, drawing.width + POOL_LABEL, drawing.height))
    for lane_id, box in drawing.lanes.items():
        shape = etree.SubElement(
            plane, f"{{{BPMNDI}}}BPMNShape", id=f"{lane_id}_di", bpmnElement=lane_id, isHorizontal="true"
        )
        _bounds(shape, box)
    boundary_hosts = {b.get("id"): b.get("attachedToRef") for b in process.iter(f"{_B}boundaryEvent")}
    elements = {
        e.get("id"): e
        for e in process.iter()
        if isinstance(e.tag, str) and (local(e) in FLOW_NODES or local(e) == "boundaryEvent")
    }
    for nid, box in drawing.shapes.items():
        el = elements[nid]
        attrs = {"id": f"{nid}_di", "bpmnElement": nid}
        if local(el) == "exclusiveGateway":
            attrs["isMarkerVisible"] = "true"
        if local(el) in CONTAINERS:
            attrs["isExpanded"] = "true"
        shape = etree.SubElement(plane, f"{{{BPMNDI}}}BPMNShape", **attrs)
        _bounds(shape, box)
        if kind(el) in ("event", "gateway") and el.get("name"):
            label = etree.SubElement(shape, f"{{{BPMNDI}}}BPMNLabel")
            if kind(el) == "gateway":  # a gateway's branches leave downwards: the label goes above
                _bounds(label, Box(box.cx - 50, box.y - 32, 100, 27))
            elif local(el) == "boundaryEvent":  # neighbours on one activity: staggered lines
                nth = [b for b, h in boundary_hosts.items() if h == el.get("attachedToRef")].index(nid)
                _bounds(label, Box(box.cx - 45, box.bottom + 3 + 14 * nth, 90, 14))
            else:
                _bounds(label, Box(box.cx - 50, box.bottom + 5, 100, 27))
    flows = {f.get("id"): f for f in process.iter(f"{_B}sequenceFlow")}
    for fid, points in drawing.edges.items():
        edge = etree.SubElement(plane, f"{{{BPMNDI}}}BPMNEdge", id=f"{fid}_di", bpmnElement=fid)
        for x, y in points:
            etree.SubElement(edge, f"{{{DI}}}waypoint", x=f"{x:.0f}", y=f"{y:.0f}")
        if flows[fid].get("name"):
            (x0, y0), (x1, y1) = points[-2], points[-1]
            label = etree.SubElement(edge, f"{{{BPMNDI}}}BPMNLabel")
            if abs(y0 - y1) < 1:  # ends horizontally: the label sits above the last segment
                lx, ly = min(x0, x1) + 6, y1 - 18
            else:  # ends vertically (into a gateway): beside the last segment
                lx, ly = x1 + 6, (y0 + y1) / 2 - 7
            _bounds(label, Box(lx, ly, 80, 14))


def layout_file(path: Path) -> None:
    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)
    tree = etree.parse(str(path), parser)
    root = tree.getroot()
    nsmap = dict(root.nsmap)
    wanted = {"bpmndi": BPMNDI, "dc": DC, "di": DI}
    if any(nsmap.get(k) != v for k, v in wanted.items()):
        new_root = etree.Element(root.tag, nsmap={**nsmap, **wanted})
        for k, v in root.attrib.items():
            new_root.set(k, v)
        for child in list(root):
            new_root.append(child)
        tree = etree.ElementTree(new_root)
        root = new_root
    processes = root.findall(f"{_B}process")
    if len(processes) != 1:
        raise SystemExit(f"{path}: expected exactly one process")
    normalise_refs(processes[0])
    write_di(root, processes[0])
    etree.indent(tree, space="  ")
    path.write_bytes(etree.tostring(tree, xml_declaration=True, encoding="UTF-8") + b"\n")


def main(argv: list[str]) -> int:
    for name in argv:
        layout_file(Path(name))
        print(f"laid out {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
