"""Deploy-time lint: the rules the BPMN XSD and SpiffWorkflow's parser do not check.

Everything here fails *late* in SpiffWorkflow 3.2 if we let it through: an unquoted timer raises only
when a case reaches the event, a task in an unknown lane sits in nobody's inbox, an unbounded gateway
loop stalls the case at task-tree depth 1000. So we check the parsed XML (lxml trees) before a process
version is stored, and phrase each finding for the person who drew the model.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from datetime import datetime

import jsonschema
from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (  # type: ignore[import-untyped, unused-ignore]
    TimerEventDefinition,
)

from engine.types import LintIssue, Severity

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
_B = f"{{{BPMN_NS}}}"
_S = f"{{{SPIFF_NS}}}"

# Task types SpiffWorkflow marks manual=True: they land in an inbox, so they need a lane.
HUMAN_TASKS = frozenset({"userTask", "manualTask", "task"})
# Embedded containers: their children form their own sequence-flow graph and inherit their lane.
CONTAINERS = frozenset({"subProcess", "transaction", "adHocSubProcess"})
# Only conditional gateways can decide to leave a loop, so only they may carry maxLoopCount.
BOUNDABLE_GATEWAYS = frozenset({"exclusiveGateway", "inclusiveGateway"})
MAX_LOOP_BOUND = 100

# Flow nodes that have a parser class in SpiffBpmnParser (BpmnParser.PARSER_CLASSES plus the spiff
# OVERRIDE_PARSER_CLASSES). A test keeps this in step with the installed package.
EXECUTED_FLOW_NODES = frozenset(
    {
        "startEvent",
        "endEvent",
        "intermediateCatchEvent",
        "intermediateThrowEvent",
        "boundaryEvent",
        "task",
        "userTask",
        "manualTask",
        "scriptTask",
        "serviceTask",
        "sendTask",
        "receiveTask",
        "businessRuleTask",
        "subProcess",
        "transaction",
        "adHocSubProcess",
        "callActivity",
        "exclusiveGateway",
        "inclusiveGateway",
        "parallelGateway",
        "eventBasedGateway",
    }
)
# Children that are not flow nodes but that the parser reads (flows, lanes, data, loops, the event
# definitions it knows) or that only document the diagram. Event definitions the parser does not know
# (link, compensate) are left out on purpose: the event would silently do nothing.
ALLOWED_DETAILS = frozenset(
    {
        "sequenceFlow",
        "conditionExpression",
        "laneSet",
        "lane",
        "childLaneSet",
        "flowNodeRef",
        "extensionElements",
        "documentation",
        "incoming",
        "outgoing",
        "textAnnotation",
        "text",
        "association",
        "group",
        "dataObject",
        "dataObjectReference",
        "dataStoreReference",
        "dataState",
        "dataInputAssociation",
        "dataOutputAssociation",
        "sourceRef",
        "targetRef",
        "assignment",
        "from",
        "to",
        "ioSpecification",
        "dataInput",
        "dataOutput",
        "inputSet",
        "outputSet",
        "dataInputRefs",
        "dataOutputRefs",
        "property",
        "script",
        "standardLoopCharacteristics",
        "loopCondition",
        "loopMaximum",
        "multiInstanceLoopCharacteristics",
        "loopCardinality",
        "loopDataInputRef",
        "loopDataOutputRef",
        "inputDataItem",
        "outputDataItem",
        "completionCondition",
        "timerEventDefinition",
        "timeDuration",
        "timeDate",
        "timeCycle",
        "messageEventDefinition",
        "signalEventDefinition",
        "errorEventDefinition",
        "escalationEventDefinition",
        "terminateEventDefinition",
        "cancelEventDefinition",
        "conditionalEventDefinition",
        "condition",
    }
)

# What a modeler types when they forget that timer expressions are Python: a bare ISO 8601 token.
# Matched whole, so variables such as `pt1_deadline` or `reflection_end` are not mistaken for one.
_NUM = r"\d+(?:[.,]\d+)?"
_DURATION = rf"P(?:(?:{_NUM}[YMWD])+(?:T(?:{_NUM}[HMS])+)?|T(?:{_NUM}[HMS])+)"
_DATETIME = r"\d{4}-\d{2}-\d{2}(?:T\d{2}(?::\d{2}(?::\d{2}(?:[.,]\d+)?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?"
_WEEKDATE = r"\d{4}-?W\d{2}-?\d(?:T[\d:.,+-]+Z?)?"
_POINT = f"(?:{_DURATION}|{_DATETIME}|{_WEEKDATE})"
_ISO_LOOKING = re.compile(rf"R\d*/{_POINT}(?:/{_POINT})?|{_POINT}", re.IGNORECASE)

# timer element -> (word for the message, an example a process owner can copy)
_TIMER_KINDS = {
    "timeDuration": ("duration", '"P30D" (30 days) or "PT4H" (4 hours)'),
    "timeCycle": ("cycle", '"R3/P7D" (3 times, every 7 days)'),
    "timeDate": ("date", '"2026-01-31T09:00:00+02:00"'),
}


def lint_process_files(
    bpmn_trees: dict[str, etree._Element],
    form_files: dict[str, object],
    known_lanes: set[str],
    *,
    strict_lanes: bool = True,
) -> list[LintIssue]:
    """Check every process in `bpmn_trees`; returns issues in file order, then line order."""
    # Cross-file facts: call activities resolve across all files of a version, like the parser does.
    process_ids = {p.get("id") for root in bpmn_trees.values() for p in root.iter(f"{_B}process")}
    called = {
        (c.get("calledElement") or "").strip() for root in bpmn_trees.values() for c in root.iter(f"{_B}callActivity")
    }
    form_errors: dict[str, str | None] = {}  # each form file is checked (and reported) once
    issues: list[LintIssue] = []
    for file_name, root in bpmn_trees.items():
        report = _Findings(file_name)
        lanes_by_node = _lanes_by_node(root)
        for child in root:
            qname = etree.QName(child) if isinstance(child.tag, str) else None
            if (
                qname
                and qname.namespace == BPMN_NS
                and qname.localname.startswith(("choreography", "globalChoreography"))
            ):
                report(child, "element-unsupported", _unsupported_message(child))
        for process in root.iter(f"{_B}process"):
            if process.get("isExecutable") == "false" and process.get("id") not in called:
                continue  # a pool drawn for documentation (e.g. a partner's side) never runs here
            for el in _unsupported_elements(process):
                report(el, "element-unsupported", _unsupported_message(el))
            inherits_lane = process.get("id") in called and next(process.iter(f"{_B}lane"), None) is None
            for el in process.iter(*(f"{_B}{n}" for n in HUMAN_TASKS)):
                _check_lane(el, lanes_by_node, known_lanes, strict_lanes, inherits_lane, report)
            for el in process.iter(f"{_B}userTask"):
                _check_forms(el, form_files, form_errors, report)
            for definition in process.iter(f"{_B}timerEventDefinition"):
                _check_timer(definition, report)
            for el in process.iter(f"{_B}callActivity"):
                target = (el.get("calledElement") or "").strip()
                if target not in process_ids:
                    what = (
                        f'calls the process "{target}", which is in none of the uploaded files'
                        if target
                        else "does not say which process to call"
                    )
                    report(
                        el,
                        "call-unresolved",
                        f'Call activity "{_label(el)}" {what}. Set "Called element" '
                        "to the id of a process and upload the file that defines it with this one.",
                    )
            for el in process.iter(*(f"{_B}{n}" for n in BOUNDABLE_GATEWAYS)):
                value = _spiff_properties(el).get("maxLoopCount")
                if value is not None and _loop_bound(value) is None:
                    report(
                        el,
                        "loop-bound-invalid",
                        f'Gateway "{_label(el)}" has maxLoopCount "{value}". '
                        f"Write a whole number from 1 to {MAX_LOOP_BOUND}.",
                    )
            for container in (process, *process.iter(*(f"{_B}{n}" for n in CONTAINERS))):
                _check_loops(container, report)
            _check_event_subprocess_starts(process, report)
        issues.extend(sorted(report.issues, key=lambda i: i.line or 0))
    return issues


def _check_event_subprocess_starts(process: etree._Element, report: _Findings) -> None:
    """SpiffWorkflow 3.2 never waits for the message that starts an event sub-process (it is missing
    from waiting_events(), and sending it fails), so such a model would deploy and silently never react."""
    for sub in process.iter(f"{_B}subProcess"):
        if sub.get("triggeredByEvent") != "true":
            continue
        for start in sub.iterchildren(f"{_B}startEvent"):
            if next(start.iterchildren(f"{_B}messageEventDefinition"), None) is not None:
                report(
                    start,
                    "event-subprocess-message",
                    f'Event sub-process "{_label(sub)}" starts on a message, which this engine does not '
                    "receive. Attach a message boundary event to the activity it should interrupt instead.",
                )


class _Findings:
    """The issues of one BPMN file; called as `report(element, rule, message)`."""

    def __init__(self, file_name: str) -> None:
        self.file_name = file_name
        self.issues: list[LintIssue] = []

    def __call__(self, el: etree._Element, rule: str, message: str, severity: Severity = "error") -> None:
        line = el.sourceline if isinstance(el.sourceline, int) else None
        self.issues.append(LintIssue(self.file_name, el.get("id"), rule, message, severity, line))


def _label(el: etree._Element) -> str:
    return str(el.get("name") or el.get("id") or etree.QName(el).localname)


def _unsupported_message(el: etree._Element) -> str:
    return (
        f"Element {el.get('id') or '(no id)'} (bpmn:{etree.QName(el).localname}) is not executed by "
        "Auttamo's engine. Replace it with a supported element or remove it."
    )


def _unsupported_elements(parent: etree._Element) -> Iterator[etree._Element]:
    """BPMN elements we would not execute; foreign-namespace extensions are the parser's business."""
    for child in parent:
        if not isinstance(child.tag, str) or etree.QName(child).namespace != BPMN_NS:
            continue  # comments, processing instructions, spiffworkflow:/camunda: extensions
        local = etree.QName(child).localname
        if local not in EXECUTED_FLOW_NODES and local not in ALLOWED_DETAILS:
            yield child  # reported once; its children are part of the same problem
        elif local not in ("extensionElements", "documentation"):
            yield from _unsupported_elements(child)


def _spiff_properties(el: etree._Element) -> dict[str, str]:
    path = f"{_B}extensionElements/{_S}properties/{_S}property"
    return {p.get("name") or "": p.get("value") or "" for p in el.iterfind(path)}


def _lanes_by_node(root: etree._Element) -> dict[str, str | None]:
    # The parser maps flowNodeRef -> lane name for the whole document; an unnamed lane counts as none.
    refs = root.iter(f"{_B}flowNodeRef")
    return {(ref.text or "").strip(): ref.getparent().get("name") or None for ref in refs}


def _check_lane(
    task: etree._Element,
    lanes_by_node: dict[str, str | None],
    known_lanes: set[str],
    strict: bool,
    inherits_lane: bool,
    report: _Findings,
) -> None:
    # SpiffWorkflow hands an embedded subprocess's lane down to everything inside it, so the
    # outermost enclosing container that sits in a lane decides; the task's own lane only otherwise.
    chain = [task, *(a for a in task.iterancestors() if etree.QName(a).localname in CONTAINERS)]
    lane = next(
        (lanes_by_node[n.get("id") or ""] for n in reversed(chain) if lanes_by_node.get(n.get("id") or "")), None
    )
    known = ", ".join(sorted(known_lanes)) or "(none configured)"
    if lane is None:
        if inherits_lane:
            return  # a called process without lanes: its tasks take the calling activity's lane
        report(
            task,
            "lane-missing",
            f'Task "{_label(task)}" is not in any lane, so it would go to the user who started the case. '
            f"Put it in one of the lanes: {known}.",
            "error" if strict else "warning",
        )
    elif lane not in known_lanes:
        report(
            task,
            "lane-unknown",
            f'Task "{_label(task)}" is in the lane "{lane}", which no role is mapped '
            f"to, so nobody could work on it. Rename the lane to one of: {known}.",
        )


def _check_forms(
    task: etree._Element, form_files: dict[str, object], form_errors: dict[str, str | None], report: _Findings
) -> None:
    props = _spiff_properties(task)
    label = _label(task)
    schema = props.get("formJsonSchemaFilename", "").strip()
    if not schema:
        report(
            task,
            "form-missing",
            f'User task "{label}" has no form. Add the extension property '
            'formJsonSchemaFilename naming its JSON Schema file (e.g. "decision-schema.json").',
        )
    for prop, name in (
        ("formJsonSchemaFilename", schema),
        ("formUiSchemaFilename", props.get("formUiSchemaFilename", "").strip()),
    ):
        if not name:
            continue
        if name not in form_files:
            report(
                task,
                "form-file-missing",
                f'User task "{label}" uses the form file "{name}" ({prop}), '
                "which was not uploaded. Upload it with the process or correct the file name.",
            )
            continue
        if name not in form_errors:
            form_errors[name] = _form_error(form_files[name], ui=prop == "formUiSchemaFilename")
            if form_errors[name]:
                report(
                    task,
                    "form-invalid",
                    f'The form file "{name}" of user task "{label}" is not a valid form: {form_errors[name]}',
                )


def _form_error(content: object, *, ui: bool) -> str | None:
    if not isinstance(content, dict):
        return "it must be a JSON object ({ ... })."
    if ui:
        return None  # UI schemas are free-form hints for the renderer
    try:
        jsonschema.Draft202012Validator.check_schema(content)
    except jsonschema.SchemaError as exc:
        first_line = (str(exc.message).splitlines() or [""])[0]
        return f"it is not a valid JSON Schema (draft 2020-12): {first_line}"
    if content.get("type") != "object":
        return 'its top-level "type" must be "object", because a form produces a set of named fields.'
    return None


def _check_timer(definition: etree._Element, report: _Findings) -> None:
    event = definition.getparent()
    label = _label(event)
    expressions = [el for el in definition if isinstance(el.tag, str) and etree.QName(el).localname in _TIMER_KINDS]
    if not expressions:
        report(event, "timer-empty", f'Timer "{label}" has no time set. Give it a duration, date or cycle.')
    for el in expressions:
        kind = etree.QName(el).localname
        example = _TIMER_KINDS[kind][1]
        text = (el.text or "").strip()
        rule, message = _timer_problem(kind, text)
        if rule == "timer-unquoted":
            report(event, rule, f'Timer "{label}" {message}')
        elif rule:
            report(
                event,
                rule,
                f'Timer "{label}" {message} Write a quoted value such as {example}, '
                "or the name of a variable that holds one.",
            )
        if (
            kind == "timeCycle"
            and event.get("cancelActivity") == "false"
            and etree.QName(event).localname == "boundaryEvent"
        ):
            # Verified in 3.2: the branch only runs after all cycles are used up, never for "R/...".
            report(
                event,
                "timer-cycle-reminder",
                f'Timer "{label}" repeats ({text}) without interrupting '
                "the task. The engine only runs its branch after all repetitions are used up (never for "
                '"R/..."). For a reminder use a single duration timer such as "P7D".',
                "warning",
            )


def _timer_problem(kind: str, text: str) -> tuple[str, str]:
    """(rule, message) for one timer expression, or ("", "") when it is fine."""
    word = _TIMER_KINDS[kind][0]
    if not text:
        return "timer-empty", f"has an empty {word}."
    if _ISO_LOOKING.fullmatch(text):
        return "timer-unquoted", (
            f"has the {word} {text} without quotes; timer expressions are Python "
            f'expressions, so write "{text}" in quotes or use a variable name.'
        )
    try:
        compile(text, "<timer>", "eval")
    except SyntaxError as exc:
        return "timer-syntax", f"has the {word} `{text}`, which is not a valid Python expression ({exc.msg})."
    body = ast.parse(text, mode="eval").body
    if isinstance(body, ast.Constant) and isinstance(body.value, str) and not _iso_valid(kind, body.value):
        return "timer-invalid", f'has the {word} "{body.value}", which is not a valid ISO 8601 {word}.'
    return "", ""  # a variable or computed expression: only the running case can tell


def _iso_valid(kind: str, value: str) -> bool:
    # The same parsers SpiffWorkflow uses when the timer is reached, plus the checks it skips:
    # it strips a missing "P"/"R" silently and accepts "P" (zero) or a zero-length cycle.
    try:
        if kind == "timeDuration":
            return value.upper().startswith("P") and bool(TimerEventDefinition.parse_iso_duration(value))
        if kind == "timeCycle":
            cycles, _start, duration = TimerEventDefinition.parse_iso_recurring_interval(value)
            return value.upper().startswith("R") and cycles != 0 and duration.total_seconds() > 0
        return isinstance(TimerEventDefinition.parse_time_or_duration(value), datetime)
    except Exception:  # noqa: BLE001 - the helpers raise bare Exception, ValueError, AttributeError ...
        return False


def _loop_bound(value: str) -> int | None:
    text = value.strip()
    return int(text) if text.isdecimal() and 1 <= int(text) <= MAX_LOOP_BOUND else None


def _check_loops(container: etree._Element, report: _Findings) -> None:
    nodes = {el.get("id"): el for el in container if isinstance(el.tag, str) and el.get("id")}
    order = {node_id: i for i, node_id in enumerate(nodes)}
    edges: dict[str, list[str]] = {}
    for flow in container.iterfind(f"{_B}sequenceFlow"):
        edges.setdefault(flow.get("sourceRef") or "", []).append(flow.get("targetRef") or "")
    for boundary in container.iterfind(f"{_B}boundaryEvent"):
        # A boundary event leaves its activity; a flow from it back upstream closes a loop too.
        edges.setdefault(boundary.get("attachedToRef") or "", []).append(boundary.get("id") or "")

    def position(node_id: str) -> int:
        return order.get(node_id, len(order))

    for members in sorted((sorted(c, key=position) for c in _cycles(edges)), key=lambda c: position(c[0])):
        elements = [nodes[n] for n in members if n in nodes]
        gateways = [el for el in elements if etree.QName(el).localname.endswith("Gateway")]
        if any(
            etree.QName(g).localname in BOUNDABLE_GATEWAYS and "maxLoopCount" in _spiff_properties(g) for g in gateways
        ):
            continue  # bounded (an invalid bound is reported as loop-bound-invalid)
        anchor = (gateways or elements or [container])[0]
        where = f'the gateway "{_label(anchor)}"' if gateways else "an exclusive gateway on the loop"
        report(
            anchor,
            "loop-unbounded",
            f"The flow loops back through {', '.join(members)} without a bound. Each pass makes the "
            "running case bigger, and after about 1000 steps it stops. Model the repetition with a loop "
            f"marker (standardLoopCharacteristics) or a multi-instance task, or give {where} the "
            f"extension property maxLoopCount (a whole number from 1 to {MAX_LOOP_BOUND}).",
        )


def _cycles(edges: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected components that contain a cycle (Tarjan, iterative: no recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    all_nodes = list(dict.fromkeys([*edges, *(t for ts in edges.values() for t in ts)]))
    for root in all_nodes:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(edges.get(root, [])))]
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges.get(child, []))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component: list[str] = []
                    while not component or component[-1] != node:
                        component.append(stack.pop())
                        on_stack.discard(component[-1])
                    if len(component) > 1 or node in edges.get(node, []):
                        found.append(component)
    return found
