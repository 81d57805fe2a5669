"""Hostile form input over real HTTP: task completion, drafts, referrals and instance data.

Each value must be refused (422 with per-field errors, or 413 for a body over the limit) or stored
inert: what comes back through the API is exactly what was sent, and the HTML pages show it escaped.
Never a 500.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from reliability_kit import live_server
from support_api import case_with_flow, deploy_case_flow, open_task, referral, user

from services.context import Services
from services.runtime import restore
from services.uow import UnitOfWork
from store.models import HumanTask, ProcessInstance

SCRIPT = "<script>alert('x')</script>"
INERT_STRINGS = {
    "script tag": SCRIPT,
    "img onerror": '<img src=x onerror="alert(1)">',
    "template injection": "{{ 7*7 }} {% raw %} ${7*7} #{7*7}",
    "sql injection": "'; DROP TABLE human_task; --",
    "csv formula": '=HYPERLINK("http://x","y")',
    "rtl override": "\u202eexe.txt\u202c",
    "emoji and zwj": "Anna 👩‍👩‍👧 😀",
    "combining marks": "a" + "\u0301" * 150,
    "zero width": "A\u200b\u200c\u200dB\ufeff",
    "newlines and tabs": "line1\r\nline2\tx",
    "a 200-character name": "n" * 200,
}
# Values the schema (string, 1..200 characters) must refuse, and whole bodies that are wrong.
REFUSED_VALUES: dict[str, Any] = {
    "201 characters": "n" * 201,
    "1.5 MB string": "n" * 1_500_000,
    "empty string": "",
    "integer": 42,
    "float": 4.2,
    "boolean": True,
    "null": None,
    "list": ["Anna"],
    "object": {"$ne": 1},
    "deeply nested list": json.loads("[" * 500 + "]" * 500),
}
# Characters that are valid JSON but cannot be stored as text everywhere: refuse them or store inert.
AWKWARD_RAW: dict[str, bytes] = {
    "NUL byte": b'"a\\u0000b"',
    "lone high surrogate": b'"a\\ud800b"',
    "lone low surrogate": b'"\\udc00"',
}
BAD_BODIES: dict[str, bytes] = {
    "data is a list": b'{"data": []}',
    "data is a string": b'{"data": "x"}',
    "data is null": b'{"data": null}',
    "body is a list": b"[]",
    "body is not JSON": b"{not json",
    "extra top-level key": b'{"data": {}, "admin": true}',
    "extra form key": b'{"data": {"client_name": "A", "received_on": "2026-03-01", "is_admin": true}}',
    "proto pollution": b'{"data": {"__proto__": {"x": 1}, "client_name": "A", "received_on": "2026-03-01"}}',
    "invalid date": b'{"data": {"client_name": "A", "received_on": "2026-02-30"}}',
    "not a date": b'{"data": {"client_name": "A", "received_on": "yesterday"}}',
    "boolean as string": b'{"data": {"client_name": "A", "received_on": "2026-03-01", "urgent": "yes"}}',
    "100,000 keys": json.dumps({"data": {f"k{i}": i for i in range(100_000)}}).encode(),
    "duplicate keys": b'{"data": {"client_name": "A", "client_name": 5, "received_on": "2026-03-01"}}',
    "invalid utf-8": b'{"data": {"client_name": "\xff\xfe", "received_on": "2026-03-01"}}',
    "3 MB body": b'{"data": {"client_name": "' + b"n" * 3_000_000 + b'"}}',
}
DRAFT_MAY_HOLD = {"invalid date", "not a date", "boolean as string", "duplicate keys"}
DEEP_JSON = b'{"data": {"client_name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}"


@dataclass
class World:
    svc: Services
    client: httpx.Client
    counter: Iterator[int]

    def fresh_task(self) -> str:
        _case, instance = case_with_flow(self.svc, "A", reference=f"AUT-2026-{next(self.counter):06d}")
        return open_task(self.svc, instance, "register")

    def stored_value(self, task_id: str, key: str) -> Any:
        with UnitOfWork(self.svc.sessions) as uow:
            row = uow.session.get(HumanTask, task_id)
            assert row is not None
            instance = uow.session.get(ProcessInstance, row.instance_id)
            assert instance is not None
            return restore(self.svc, uow, instance).task(task_id, with_data=True).data.get(key)


@pytest.fixture
def world(svc: Services) -> Iterator[World]:
    import itertools

    deploy_case_flow(svc)
    headers = user(svc, "ida", ["intake", "caseworker"], team="A")
    with live_server(svc) as base, httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        yield World(svc, client, itertools.count(1))


def _post_raw(w: World, method: str, url: str, body: bytes) -> httpx.Response:
    return w.client.request(method, url, content=body, headers={"content-type": "application/json"})


def _is_clear_refusal(r: httpx.Response) -> bool:
    """413 (too large), 422 with a message and per-field errors, or FastAPI's 400 for a body that cannot
    be decoded at all (invalid UTF-8, JSON nested beyond the parser's recursion limit)."""
    if r.status_code not in (400, 413, 422):
        return False
    detail = r.json().get("detail")
    if r.status_code in (400, 413):
        return isinstance(detail, str) and bool(detail)
    return isinstance(detail, dict) and bool(detail.get("errors") or detail.get("message"))


def test_hostile_form_values_are_refused_or_stored_inert(world: World) -> None:
    problems: dict[str, str] = {}
    tried = 0
    # Inert strings: accepted, stored and returned exactly, through completion and through drafts.
    for name, value in INERT_STRINGS.items():
        task = world.fresh_task()
        tried += 2
        draft = world.client.put(f"/api/v1/tasks/{task}/draft", json={"data": {"client_name": value}})
        if draft.status_code != 200:
            problems[f"draft {name}"] = f"{draft.status_code} {draft.text[:200]}"
        elif world.client.get(f"/api/v1/tasks/{task}").json()["data"].get("client_name") != value:
            problems[f"draft {name}"] = "the draft came back changed"
        done = world.client.post(
            f"/api/v1/tasks/{task}/complete", json={"data": {"client_name": value, "received_on": "2026-03-01"}}
        )
        if done.status_code != 200:
            problems[f"complete {name}"] = f"{done.status_code} {done.text[:200]}"
        elif world.stored_value(task, "client_name") != value:
            problems[f"complete {name}"] = "stored changed"
    # Values the form's schema refuses: 422 per field, nothing written.
    for name, value in REFUSED_VALUES.items():
        task = world.fresh_task()
        tried += 1
        r = world.client.post(
            f"/api/v1/tasks/{task}/complete", json={"data": {"client_name": value, "received_on": "2026-03-01"}}
        )
        if not _is_clear_refusal(r) or "client_name" not in json.dumps(r.json()):
            problems[f"complete {name}"] = f"{r.status_code} {r.text[:200]}"
        if world.client.get(f"/api/v1/tasks/{task}").json()["status"] != "open":
            problems[f"complete {name}"] = "the task was completed anyway"
    # Wrong bodies.
    for name, body in BAD_BODIES.items():
        task = world.fresh_task()
        tried += 2
        for method, url in (("POST", f"/api/v1/tasks/{task}/complete"), ("PUT", f"/api/v1/tasks/{task}/draft")):
            r = _post_raw(world, method, url, body)
            if method == "PUT" and name in DRAFT_MAY_HOLD and r.status_code == 200:
                continue  # a draft keeps unfinished input: only its keys are checked, not its values
            if not _is_clear_refusal(r):
                problems[f"{method} {name}"] = f"{r.status_code} {r.text[:200]}"
    assert problems == {}, json.dumps(problems, indent=1)
    print(f"\n[fuzz-forms] {tried} hostile form inputs: refused or stored inert, 0 x 500")


AWKWARD_BUG = (
    "Strings with NUL (\\u0000) or a lone surrogate (\\ud800) are valid JSON and pass jsonschema, so they are "
    "not refused: (1) on PostgreSQL the write fails with a 500 (JSONB rejects \\u0000 in human_task.draft and in "
    "the audit row's details; psycopg cannot encode a lone surrogate); (2) on SQLite they are stored, and every "
    "later read that returns them fails with a 500 (GET /api/v1/tasks/{id}: pydantic cannot encode a surrogate "
    "to UTF-8), so one bad draft makes the task unreadable. Fix: refuse both as input errors (422) for every "
    "string, e.g. a check in forms/validate.py for form data and a validator on web/api/schemas_tasks.TaskData "
    "(and the referral document) for drafts."
)


def test_nul_and_lone_surrogates_are_refused_or_stored_inert(world: World) -> None:
    results: dict[str, str] = {}
    for name, raw in AWKWARD_RAW.items():
        for method, path, template in (
            ("PUT", "draft", b'{"data": {"client_name": %s}}'),
            ("POST", "complete", b'{"data": {"client_name": %s, "received_on": "2026-03-01"}}'),
        ):
            task = world.fresh_task()
            r = _post_raw(world, method, f"/api/v1/tasks/{task}/{path}", template % raw)
            read = world.client.get(f"/api/v1/tasks/{task}")
            if r.status_code >= 500 or read.status_code >= 500:
                results[f"{path} {name}"] = f"{r.status_code}, then GET {read.status_code}"
            elif r.status_code == 200:
                sent = json.loads(raw)
                back = (
                    read.json()["data"].get("client_name")
                    if path == "draft"
                    else world.stored_value(task, "client_name")
                )
                if back != sent:
                    results[f"{path} {name}"] = f"stored changed: {back!r}"
            elif not _is_clear_refusal(r):
                results[f"{path} {name}"] = f"{r.status_code} {r.text[:120]}"
    assert results == {}, json.dumps(results, indent=1)


def test_other_unusual_characters_are_stored_inert(world: World) -> None:
    for name, value in {"C1 control": "a\u0085\u009fb", "noncharacter": "\uffff\ufdd0", "bom": "\ufeffA"}.items():
        task = world.fresh_task()
        r = world.client.post(
            f"/api/v1/tasks/{task}/complete", json={"data": {"client_name": value, "received_on": "2026-03-01"}}
        )
        assert r.status_code == 200, (name, r.text)
        assert world.stored_value(task, "client_name") == value, name


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_deeply_nested_json_body_is_refused(world: World) -> None:
    r = _post_raw(world, "POST", f"/api/v1/tasks/{world.fresh_task()}/complete", DEEP_JSON)
    assert _is_clear_refusal(r), (r.status_code, r.text[:200])


def test_hostile_referrals_and_instance_data(world: World, svc: Services) -> None:
    """The public referral document and the data of a directly started instance, with the same values."""
    sup = user(svc, "sue", ["supervisor", "intake"], team="A")
    problems: dict[str, str] = {}
    for name, value in {**INERT_STRINGS, **{k: v for k, v in REFUSED_VALUES.items() if k != "1.5 MB string"}}.items():
        doc = referral(description=value)
        doc["client"] = {**doc["client"], "given_names": value}
        r = world.client.post("/api/v1/referrals", json=doc, headers=sup)
        if r.status_code not in (201, 422) or (r.status_code == 422 and not _is_clear_refusal(r)):
            problems[f"referral {name}"] = f"{r.status_code} {r.text[:200]}"
        elif r.status_code == 201:
            case = world.client.get(f"/api/v1/cases/{r.json()['case_id']}", headers=sup)
            if case.status_code != 200 or case.json()["client"]["given_names"] != value:
                problems[f"referral {name}"] = f"read back: {case.status_code} {case.text[:200]}"
            page = world.client.get(f"/cases/{r.json()['case_id']}", headers=sup)
            if page.status_code == 200 and isinstance(value, str) and "<" in value and value in page.text:
                problems[f"referral {name}"] = "the case page shows the value unescaped"
    assert problems == {}, json.dumps(problems, indent=1)
