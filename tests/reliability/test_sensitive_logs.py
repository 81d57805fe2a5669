"""Nothing sensitive in the logs: client names, birth dates and addresses never reach a log record.

All logging (every logger, DEBUG and up, uvicorn's access log included) is captured while the real app
serves a referral, a case read, a task completion, a refused form (422) whose values are the client's
name, a stale completion (409) and a script error on the client's data (an incident). No record, its
arguments or its traceback may contain the client's name, birth date or address.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest
from reliability_kit import live_server
from support import OWNER, script_process
from support_api import case_with_flow, deploy_case_flow, open_task, referral, user

from services.context import Services
from services.deploy import deploy

GIVEN, FAMILY, BIRTH, STREET = "Quillonia", "Varastoppel", "1984-02-29", "Kruununhaankatu 99"
SECRETS = (GIVEN, FAMILY, BIRTH, STREET)


class Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(("httpx", "httpcore")):
            return  # the test's own HTTP client, not the server
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        self.records.append(f"{record.name} {record.levelname} {text}")


@pytest.fixture
def captured() -> Iterator[Everything]:
    handler = Everything()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    loggers = [logging.getLogger(n) for n in ("uvicorn", "uvicorn.access", "uvicorn.error", "auttamo", "sqlalchemy")]
    saved = [(lg, lg.level, lg.propagate) for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG if lg.name != "sqlalchemy" else logging.WARNING)
        lg.propagate = True
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        for lg, level, propagate in saved:
            lg.setLevel(level)
            lg.propagate = propagate


def _leaks(handler: Everything) -> list[str]:
    return [r[:300] for r in handler.records if any(s in r for s in SECRETS)]


def test_no_client_data_in_the_logs(svc: Services, captured: Everything) -> None:
    deploy_case_flow(svc)
    deploy(
        svc,
        OWNER,
        script_process("leaky", "n = int(client_name)"),  # the error message quotes the value
    )
    intake = user(svc, "ida", ["intake", "supervisor"], team="A")
    with live_server(svc) as base, httpx.Client(base_url=base, headers=intake, timeout=30) as client:
        doc = referral(description=f"Lives at {STREET}, Helsinki.")
        doc["client"] = {**doc["client"], "given_names": GIVEN, "family_name": FAMILY, "birth_date": BIRTH}
        r = client.post("/api/v1/referrals", json=doc)
        assert r.status_code == 201, r.text
        case_id = r.json()["case_id"]
        assert client.get(f"/api/v1/cases/{case_id}").status_code == 200
        assert client.get(f"/cases/{case_id}").status_code in (200, 303)
        _case, instance = case_with_flow(svc, "A", reference="AUT-2026-000777")
        task = open_task(svc, instance, "register")
        bad = client.post(f"/api/v1/tasks/{task}/complete", json={"data": {"client_name": f"{GIVEN} {FAMILY}"}})
        assert bad.status_code == 422
        data = {"client_name": f"{GIVEN} {FAMILY}", "received_on": BIRTH}
        assert client.put(f"/api/v1/tasks/{task}/draft", json={"data": data}).status_code == 200
        assert client.get(f"/api/v1/tasks/{task}").status_code == 200
        assert client.post(f"/api/v1/tasks/{task}/complete", json={"data": data}).status_code == 200
        assert client.post(f"/api/v1/tasks/{task}/complete", json={"data": data}).status_code == 409
        started = client.post(
            "/api/v1/process-instances", json={"process": "leaky", "data": {"client_name": f"{GIVEN} {FAMILY}"}}
        )
        assert started.status_code == 201 and started.json()["incidents"]
    assert captured.records, "the capture saw nothing: is logging configured away?"
    assert _leaks(captured) == []
    print(
        f"\n[logs] {len(captured.records)} log records during referral, reads, completion, 422, 409, incident: 0 leaks"
    )
