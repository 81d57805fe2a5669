"""Helpers for tests: a fake clock, actors, test data files, and a tiny BPMN builder."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cli.main import collect_files
from engine import SourceFile
from services.context import Actor, Services

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
ARTIFACTS = ROOT / "test-artifacts"  # screenshots of browser tests (git-ignored)


def shot(page: object, name: str) -> None:
    """Save a named full-page screenshot as a test artifact."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


class FakeClock:
    """A clock tests move by hand; engine timers and the services layer both read it."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def with_transport(svc: Services, transport: object) -> Services:
    return replace(svc, http_transport=transport)  # type: ignore[arg-type]


OWNER = Actor("owner", frozenset({"process_owner"}))
SUPERVISOR = Actor("sue", frozenset({"supervisor"}))
INTAKE = Actor("ida", frozenset({"intake"}), team_id=None)
CASEWORKER = Actor("carl", frozenset({"caseworker"}), team_id=None)


def files_of(*names: str) -> list[SourceFile]:
    """All deployable files of the named folders under tests/data."""
    return collect_files([str(DATA / n) for n in names])


BPMN_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs" '
    'targetNamespace="http://auttamo.example/test">'
)


def one_lane_process(
    process_id: str,
    body: str,
    flows: list[tuple[str, str]],
    *,
    lane: str = "Caseworker",
    nodes: list[str] | None = None,
    extra: str = "",
) -> bytes:
    """A BPMN file with one process in one lane; `body` holds the flow nodes, `flows` the sequence."""
    refs = "".join(f"<bpmn:flowNodeRef>{n}</bpmn:flowNodeRef>" for n in (nodes or []))
    seq = "".join(f'<bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}"/>' for i, (a, b) in enumerate(flows))
    lanes = f'<bpmn:laneSet id="ls"><bpmn:lane id="l1" name="{lane}">{refs}</bpmn:lane></bpmn:laneSet>' if nodes else ""
    return (
        f'{BPMN_HEAD}{extra}<bpmn:process id="{process_id}" isExecutable="true">{lanes}{body}{seq}'
        f"</bpmn:process></bpmn:definitions>"
    ).encode()


def script_process(process_id: str, script: str) -> list[SourceFile]:
    """start -> script task -> user task (Caseworker) -> end, with a one-field form."""
    from xml.sax.saxutils import escape

    body = (
        '<bpmn:startEvent id="start"/>'
        f'<bpmn:scriptTask id="script"><bpmn:script>{escape(script)}</bpmn:script></bpmn:scriptTask>'
        '<bpmn:userTask id="after" name="After the script"><bpmn:extensionElements><spiffworkflow:properties>'
        '<spiffworkflow:property name="formJsonSchemaFilename" value="ok-schema.json"/>'
        "</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>"
        '<bpmn:endEvent id="end"/>'
    )
    xml = one_lane_process(
        process_id,
        body,
        [("start", "script"), ("script", "after"), ("after", "end")],
        nodes=["start", "script", "after", "end"],
    )
    return [SourceFile(f"{process_id}.bpmn", xml), SourceFile("ok-schema.json", OK_SCHEMA)]


OK_SCHEMA = b'{"type": "object", "properties": {"ok": {"type": "boolean", "title": "OK"}}}'
