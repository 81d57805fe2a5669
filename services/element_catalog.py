"""What the drawn BPMN says about its elements: name, documentation, timer expression, task properties.

Monitoring and the deadline view label a waiting timer or a task deadline with the element's own
words ("Period over", its documentation) and the variable its deadline comes from (`timeDate`
`reflection_end_at`, property `dueAt` `decision_due_on`). Versions are immutable, so each version's
files are parsed once (with the engine's safe XML parser) and kept.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import safe_xml
from services.context import Services
from store.models import ProcessVersion, ProcessVersionFile

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
TIMER_PARTS = ("timeDate", "timeDuration", "timeCycle")
MAX_VERSIONS = 256


@dataclass(frozen=True)
class ElementInfo:
    id: str
    kind: str  # the BPMN tag: userTask, boundaryEvent, intermediateCatchEvent ...
    name: str
    documentation: str
    timer: str | None  # the timer's expression (a variable name in our processes)
    properties: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class VersionElements:
    version_id: int
    process_id: str
    elements: dict[str, ElementInfo]
    called: tuple[str, ...]  # process ids of call activities
    bpmn_name: str | None  # the file that draws this process
    bpmn: bytes | None


def _text(node: object) -> str:
    return " ".join("".join(node.itertext()).split()) if node is not None else ""  # type: ignore[attr-defined]


def parse_elements(process_id: str, files: list[tuple[str, bytes]]) -> tuple[dict[str, ElementInfo], list[str], int]:
    """Elements of every BPMN file; returns (elements, called process ids, index of the file drawing `process_id`)."""
    elements: dict[str, ElementInfo] = {}
    called: list[str] = []
    drawing = -1
    for index, (name, content) in enumerate(files):
        if not name.lower().endswith(".bpmn"):
            continue
        try:
            root = safe_xml(content)
        except Exception:  # noqa: BLE001 - a deployed file parsed once already; a label is not worth a 500
            root = None
        if root is None:
            continue
        for proc in root.iter(f"{{{BPMN_NS}}}process"):
            if proc.get("id") == process_id and (drawing < 0 or name == f"{process_id}.bpmn"):
                drawing = index
        for node in root.iter():
            tag = node.tag if isinstance(node.tag, str) else ""
            if not tag.startswith(f"{{{BPMN_NS}}}") or node.get("id") is None:
                continue
            kind = tag.split("}", 1)[1]
            if kind == "callActivity" and node.get("calledElement"):
                called.append(str(node.get("calledElement")))
            timer = None
            definition = node.find(f"{{{BPMN_NS}}}timerEventDefinition")
            if definition is not None:
                for part in TIMER_PARTS:
                    expr = definition.find(f"{{{BPMN_NS}}}{part}")
                    if expr is not None and _text(expr):
                        timer = _text(expr)
            props = {
                str(p.get("name")): str(p.get("value") or "")
                for p in node.iter(f"{{{SPIFF_NS}}}property")
                if p.get("name")
            }
            elements[str(node.get("id"))] = ElementInfo(
                id=str(node.get("id")),
                kind=kind,
                name=str(node.get("name") or ""),
                documentation=_text(node.find(f"{{{BPMN_NS}}}documentation"))[:1000],
                timer=timer,
                properties=props,
            )
    return elements, called, drawing


class ElementCatalog:
    """Parsed elements per version id (thread-safe by construction: values never change)."""

    def __init__(self) -> None:
        self._entries: dict[int, VersionElements] = {}
        self._lock = threading.Lock()

    def version(self, session: Session, version_id: int) -> VersionElements | None:
        cached = self._entries.get(version_id)
        if cached is not None:
            return cached
        row = session.get(ProcessVersion, version_id)
        if row is None:
            return None
        files = [
            (f.name, f.content)
            for f in session.scalars(
                select(ProcessVersionFile)
                .where(ProcessVersionFile.version_id == version_id)
                .order_by(ProcessVersionFile.name)
            )
        ]
        elements, called, drawing = parse_elements(row.process_id, files)
        found = VersionElements(
            version_id,
            row.process_id,
            elements,
            tuple(dict.fromkeys(called)),
            files[drawing][0] if drawing >= 0 else None,
            files[drawing][1] if drawing >= 0 else None,
        )
        with self._lock:
            if len(self._entries) >= MAX_VERSIONS:
                self._entries.clear()
            self._entries[version_id] = found
        return found

    def lookup(self, session: Session, version_id: int) -> dict[str, ElementInfo]:
        """The elements an instance of `version_id` can show as active: its own, then those of the
        processes it calls (their latest versions, recursively), its own winning on a clash."""
        merged: dict[str, ElementInfo] = {}
        seen: set[str] = set()
        queue: list[int] = [version_id]
        while queue:
            entry = self.version(session, queue.pop(0))
            if entry is None or entry.process_id in seen:
                continue
            seen.add(entry.process_id)
            for key, info in entry.elements.items():
                merged.setdefault(key, info)
            for process_id in entry.called:
                if process_id not in seen:
                    latest = session.scalar(
                        select(func.max(ProcessVersion.id)).where(ProcessVersion.process_id == process_id)
                    )
                    if latest is not None:
                        queue.append(int(latest))
        return merged


_CATALOGS: weakref.WeakKeyDictionary[object, ElementCatalog] = weakref.WeakKeyDictionary()
_CATALOGS_LOCK = threading.Lock()


def catalog_of(svc: Services) -> ElementCatalog:
    """The catalog of one assembled application (keyed by its version cache, so two databases in
    one process, as in the tests, never share version ids)."""
    with _CATALOGS_LOCK:
        found = _CATALOGS.get(svc.versions)
        if found is None:
            found = _CATALOGS[svc.versions] = ElementCatalog()
        return found
