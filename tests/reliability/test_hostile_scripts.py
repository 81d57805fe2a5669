"""Scripts that exhaust resources: a script task that builds state the instance row cannot hold.

A 50 MB string built in a loop, a structure nested thousands deep, a set or other object JSON has no
form for, a number too long to print: each must become an incident on that instance (visible to a
supervisor, retryable after a fix or a migration), never a 409 or a 500, never a lost or half-written
instance row. Exercised over HTTP when an instance starts (`POST /api/v1/process-instances`) and when
a task completion runs into the script mid-process, on SQLite and PostgreSQL. The last tests cover
the serializer's own limit (engine.serializer), the net under the per-script check.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from xml.sax.saxutils import escape

import pytest
from fastapi.testclient import TestClient
from support import OK_SCHEMA, OWNER, SUPERVISOR, FakeClock, one_lane_process, script_process
from support_api import user

from engine import SourceFile, WorkflowEngine
from processes.script_helpers import SCRIPT_HELPERS
from services.context import Services
from services.deploy import deploy
from services.errors import Conflict
from services.incidents import retry_incident
from services.messages import deliver_message
from services.migration import migrate_instance
from services.runtime import restore
from services.uow import UnitOfWork
from store.models import HumanTask, Incident, ProcessInstance
from web.app import create_app

ROLES = ["process_owner", "supervisor", "caseworker"]

# (name, script, words the incident must contain)
HOSTILE = [
    ("concat_50mb", "s = ''\nfor i in range(60):\n    s += 'x' * 1000000", "joining text or lists past"),
    ("concat_plus", "s = 'x' * 1000000\nfor i in range(10):\n    s = s + s", "joining text or lists past"),
    ("repeated_refs_50mb", "parts = ['x' * 1000000] * 50", "larger than the limit"),
    ("nested_deep", "d = []\nfor i in range(5000):\n    d = [d]", "nested more than"),
    ("self_reference", "loop = []\nloop.append(loop)", "nested more than"),
    ("set", "seen = {1, 2, 3}", "holds a set"),
    ("frozenset", "seen = frozenset([1, 2])", "holds a frozenset"),
    ("range_object", "span = range(10)", "holds a range"),
    ("date_object", "day = datetime.date(2026, 3, 1)", "holds a date"),
    ("huge_int", "n = 10 ** 5000", "number too large"),
    ("tuple_keys", "d = {(1, 2): 'a'}", "dict key of type tuple"),
]


def hostile_process(process_id: str, script: str) -> list[SourceFile]:
    """start -> `before` (Caseworker form) -> script -> `after` (Caseworker form) -> end."""
    form = (
        '<bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="formJsonSchemaFilename" '
        'value="ok-schema.json"/></spiffworkflow:properties></bpmn:extensionElements>'
    )
    body = (
        '<bpmn:startEvent id="start"/>'
        f'<bpmn:userTask id="before" name="Before the script">{form}</bpmn:userTask>'
        f'<bpmn:scriptTask id="script"><bpmn:script>{escape(script)}</bpmn:script></bpmn:scriptTask>'
        f'<bpmn:userTask id="after" name="After the script">{form}</bpmn:userTask>'
        '<bpmn:endEvent id="end"/>'
    )
    flows = [("start", "before"), ("before", "script"), ("script", "after"), ("after", "end")]
    xml = one_lane_process(process_id, body, flows, nodes=["start", "before", "script", "after", "end"])
    return [SourceFile(f"{process_id}.bpmn", xml), SourceFile("ok-schema.json", OK_SCHEMA)]


@pytest.fixture
def client(svc: Services) -> Iterator[TestClient]:
    with TestClient(create_app(svc.settings, services=svc), raise_server_exceptions=False) as c:
        yield c


def _stored_instance_is_whole(svc: Services, instance_id: int) -> ProcessInstance:
    """The row is there, its state restores, and it is not the hostile data."""
    with UnitOfWork(svc.sessions) as uow:
        row = uow.session.get(ProcessInstance, instance_id)
        assert row is not None
        assert row.state_size < 1_100_000, row.state_size
        restore(svc, uow, row)  # raises if the stored state is damaged
        uow.session.expunge(row)
        return row


def _incidents(svc: Services, instance_id: int) -> list[Incident]:
    with UnitOfWork(svc.sessions) as uow:
        return list(uow.session.query(Incident).filter_by(instance_id=instance_id).order_by(Incident.id))


@pytest.mark.parametrize(("name", "script", "words"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_hostile_script_at_start_is_an_incident(
    client: TestClient, svc: Services, name: str, script: str, words: str
) -> None:
    deploy(svc, OWNER, script_process(name, script))
    headers = user(svc, "olga", ROLES)
    r = client.post("/api/v1/process-instances", json={"process": name}, headers=headers)
    assert r.status_code == 201, r.text[:500]
    body = r.json()
    assert body["state"] == "error"
    assert [i["kind"] for i in body["incidents"]] == ["script_error"], body["incidents"]
    assert words in body["incidents"][0]["message"], body["incidents"][0]["message"]
    assert body["incidents"][0]["element_id"] == "script"
    assert body["active_element_ids"] == ["script"]  # the script task is in ERROR, ready to retry
    _stored_instance_is_whole(svc, body["id"])
    again = client.get(f"/api/v1/process-instances/{body['id']}", headers=headers)
    assert again.status_code == 200 and again.json()["state"] == "error"


@pytest.mark.parametrize(
    ("name", "script", "words"),
    [h for h in HOSTILE if h[0] in ("concat_50mb", "repeated_refs_50mb", "nested_deep", "set")],
    ids=["concat_50mb", "repeated_refs_50mb", "nested_deep", "set"],
)
def test_a_hostile_script_after_a_completion_is_an_incident_then_retried_after_a_migration(
    client: TestClient, svc: Services, name: str, script: str, words: str
) -> None:
    """The completion is kept (the person's work is not lost), the script task errors, the instance
    waits with an incident; a fixed version is deployed, the instance migrated, the incident retried."""
    first = deploy(svc, OWNER, hostile_process(name, script)).versions[0]
    headers = user(svc, "olga", ROLES)
    started = client.post("/api/v1/process-instances", json={"process": name}, headers=headers).json()
    before = started["tasks"][0]["id"]
    r = client.post(f"/api/v1/tasks/{before}/complete", json={"data": {"ok": True}}, headers=headers)
    assert r.status_code == 200, r.text[:500]
    assert r.json()["instance_status"] == "error" and words in r.json()["incident"]
    with UnitOfWork(svc.sessions) as uow:
        task = uow.session.get(HumanTask, before)
        assert task is not None and task.status == "completed"
    row = _stored_instance_is_whole(svc, started["id"])
    assert row.status == "error" and row.active_elements == ["script"]
    (incident,) = _incidents(svc, started["id"])
    assert incident.kind == "script_error" and incident.element_id == "script"

    fixed = deploy(svc, OWNER, hostile_process(name, "note = 'fixed'")).versions[0]
    assert fixed.id != first.id
    migrate_instance(svc, OWNER, started["id"], fixed.id, force=True)
    status = retry_incident(svc, SUPERVISOR, incident.id)
    assert status == "running", [(i.kind, i.message) for i in _incidents(svc, started["id"])]
    instance = client.get(f"/api/v1/process-instances/{started['id']}", headers=headers).json()
    assert instance["state"] == "running" and [t["bpmn_id"] for t in instance["tasks"]] == ["after"]


# --- the serializer's own limit ---------------------------------------------------------------------


def _small_state_limit(svc: Services, clock: FakeClock, limit: int) -> Services:
    """The same services with an engine that stores at most `limit` bytes of state per instance."""
    engine = WorkflowEngine(helpers=SCRIPT_HELPERS, clock=clock, max_state_bytes=limit)
    return replace(svc, engine=engine)


BULKY = "note = 'x' * 15000"  # passes the per-script check (15 KB); with the rest of the state, over 16 KB


def test_state_over_the_limit_at_start_is_an_incident_and_retried_after_the_fix(
    svc: Services, clock: FakeClock
) -> None:
    deploy(svc, OWNER, script_process("bulky", BULKY))
    small = _small_state_limit(svc, clock, 16_000)
    headers = user(small, "olga", ROLES)
    with TestClient(create_app(small.settings, services=small), raise_server_exceptions=False) as client:
        r = client.post("/api/v1/process-instances", json={"process": "bulky"}, headers=headers)
    assert r.status_code == 201, r.text[:500]
    body = r.json()
    assert body["state"] == "error" and body["tasks"] == [], (body["state_size"], body["incidents"])
    assert [i["kind"] for i in body["incidents"]] == ["state_unstorable"]
    assert "over the limit of 16,000" in body["incidents"][0]["message"]
    row = _stored_instance_is_whole(svc, body["id"])
    assert row.state_size < 16_000
    # The fix: a larger limit (the default). The retry runs the instance from its start again.
    (incident,) = _incidents(svc, body["id"])
    assert retry_incident(svc, SUPERVISOR, incident.id) == "running"
    with UnitOfWork(svc.sessions) as uow:
        tasks = uow.session.query(HumanTask).filter_by(instance_id=body["id"]).all()
        assert [t.bpmn_id for t in tasks] == ["after"]


def test_state_over_the_limit_after_a_completion_keeps_the_task_open(svc: Services, clock: FakeClock) -> None:
    """Nothing of a change that cannot be stored is kept: the task stays open for a retry, the
    instance keeps its previous state, and the reason is an incident — not a 409 or a 500."""
    deploy(svc, OWNER, hostile_process("bulky", BULKY))
    small = _small_state_limit(svc, clock, 16_000)
    headers = user(small, "olga", ROLES)
    with TestClient(create_app(small.settings, services=small), raise_server_exceptions=False) as client:
        started = client.post("/api/v1/process-instances", json={"process": "bulky"}, headers=headers).json()
        before = started["tasks"][0]["id"]
        r = client.post(f"/api/v1/tasks/{before}/complete", json={"data": {"ok": True}}, headers=headers)
        assert r.status_code == 200, r.text[:500]
        answer: dict[str, Any] = r.json()
        assert answer["instance_status"] == "error" and answer["next_task_ids"] == [] and answer["completed"] is False
        assert "over the limit of 16,000" in answer["incident"]
        # The task is still open: the same person can complete it once the cause is fixed.
        task = client.get(f"/api/v1/tasks/{before}", headers=headers)
        assert task.status_code == 200 and task.json()["status"] == "open"
    row = _stored_instance_is_whole(svc, started["id"])
    assert row.active_elements == ["before"] and row.status == "error"
    assert [i.kind for i in _incidents(svc, started["id"])] == ["state_unstorable"]


def test_a_message_whose_effect_cannot_be_stored_is_refused_with_an_incident(svc: Services, clock: FakeClock) -> None:
    """A message that would make the state too large is not delivered: 409 with the reason, the instance
    still waits for it, and the incident is kept (the refusal does not roll it back)."""
    form = (
        '<bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="formJsonSchemaFilename" '
        'value="ok-schema.json"/></spiffworkflow:properties></bpmn:extensionElements>'
    )
    body = (
        '<bpmn:startEvent id="start"/>'
        '<bpmn:intermediateCatchEvent id="poked"><bpmn:messageEventDefinition id="m" messageRef="msg_poke"/>'
        "</bpmn:intermediateCatchEvent>"
        f'<bpmn:scriptTask id="script"><bpmn:script>{escape(BULKY)}</bpmn:script></bpmn:scriptTask>'
        f'<bpmn:userTask id="after" name="After">{form}</bpmn:userTask><bpmn:endEvent id="end"/>'
    )
    flows = [("start", "poked"), ("poked", "script"), ("script", "after"), ("after", "end")]
    xml = one_lane_process(
        "poke",
        body,
        flows,
        nodes=["start", "poked", "script", "after", "end"],
        extra='<bpmn:message id="msg_poke" name="poke"/>',
    )
    deploy(svc, OWNER, [SourceFile("poke.bpmn", xml), SourceFile("ok-schema.json", OK_SCHEMA)])
    small = _small_state_limit(svc, clock, 16_000)
    headers = user(small, "olga", ROLES)
    with TestClient(create_app(small.settings, services=small), raise_server_exceptions=False) as client:
        started = client.post("/api/v1/process-instances", json={"process": "poke"}, headers=headers).json()
    with pytest.raises(Conflict, match="could not be kept"):
        deliver_message(small, SUPERVISOR, "poke", {}, instance_id=started["id"])
    row = _stored_instance_is_whole(svc, started["id"])
    assert row.active_elements == ["poked"] and row.status == "error"
    assert [i.kind for i in _incidents(svc, started["id"])] == ["state_unstorable"]
