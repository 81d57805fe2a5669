"""Schemathesis against /openapi.json, in process (ASGI), as a user who holds every role.

Every operation of the OpenAPI document is called with generated inputs, valid ones (positive) and
invalid ones (negative), a bounded number of examples each. Checks: no 5xx answer, and every answer
matches the response schema the document gives for its status, 422s included (web/openapi.py
documents our `{"detail": ...}` error bodies instead of FastAPI's default). Two 500s it found (ids
past the column range; NUL bytes in query strings) have tests of their own here.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from support import OWNER, files_of
from support_api import case_with_flow, deploy_case_flow, user

from services.context import Services
from services.deploy import deploy
from web.app import create_app

ALL_ROLES = ["referrer", "intake", "caseworker", "decider", "supervisor", "process_owner", "admin"]
EXAMPLES = int(os.environ.get("AUTTAMO_FUZZ_EXAMPLES", "8"))  # per operation and generation mode


def _schema(svc: Services) -> tuple[Any, dict[str, str]]:
    deploy_case_flow(svc)
    deploy(svc, OWNER, files_of("timer_wait"))
    for i in range(3):
        case_with_flow(svc, "A", reference=f"AUT-2026-{i + 1:06d}")
    headers = user(svc, "fuzzer", ALL_ROLES, team="A")
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(svc.settings, services=svc)), headers


def test_no_500_and_every_answer_matches_the_openapi_document(svc: Services) -> None:
    schema, headers = _schema(svc)
    failures: dict[str, str] = {}
    statuses: dict[int, int] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
                phases=[Phase.explicit, Phase.generate],
            )
            def run(case: schemathesis.Case) -> None:
                response = case.call(headers=headers)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                assert response.status_code < 500, f"{response.status_code}: {response.text[:500]}"
                case.operation.validate_response(response, case=case)

            try:
                run()
            except Unsatisfiable:
                pass  # e.g. no negative input exists for an operation without parameters
            except BaseException as exc:
                failures[f"{operation.label} ({mode.value})"] = str(exc)[:1500]
    assert failures == {}, json.dumps(failures, indent=1)
    print(
        f"\n[schemathesis] {len(operations)} operations, {sum(statuses.values())} generated requests, "
        f"status counts {dict(sorted(statuses.items()))}, 0 x 500, 0 schema violations"
    )


def test_422_answers_match_the_openapi_document(svc: Services) -> None:
    schema, headers = _schema(svc)
    operation = schema["/api/v1/process-instances"]["POST"]
    case = operation.Case(body={"process": "", "data": []}, media_type="application/json")
    response = case.call(headers=headers)
    assert response.status_code == 422
    case.operation.validate_response(response, case=case)
    assert set(response.json()["detail"]["errors"]) == {"data", "process"}  # per-field errors, our shape
    # The document is not merely permissive: FastAPI's default body would now be a violation.
    fastapi_default = {"detail": [{"loc": ["body", "process"], "msg": "too short", "type": "string_too_short"}]}
    wrong = httpx.Response(
        422, json=fastapi_default, request=httpx.Request("POST", "http://test/api/v1/process-instances")
    )
    wrong.elapsed = timedelta(0)  # schemathesis reads it; a response built by hand has none
    with pytest.raises(Exception, match="detail"):
        case.operation.validate_response(wrong, case=case)


def test_every_refusal_is_documented_with_our_error_shape(svc: Services) -> None:
    """401, 403, 404, 409 and 422 answers of real requests match what the document says of them."""
    schema, headers = _schema(svc)
    client = TestClient(create_app(svc.settings, services=svc))
    worker = user(svc, "carl", ["intake", "caseworker"], team="A")
    deployment = [("files", ("broken.bpmn", b"not xml at all", "application/xml"))]
    task = client.get("/api/v1/tasks", params={"scope": "all"}, headers=headers).json()[0]["id"]
    assert client.post(f"/api/v1/tasks/{task}/claim", headers=headers).status_code == 200
    calls = [
        ("POST", "/api/v1/process-instances", {}, {"json": {"process": "case_flow"}}, 401),
        ("POST", "/api/v1/process-instances", worker, {"json": {"process": "case_flow"}}, 403),
        ("GET", "/api/v1/process-instances/{instance_id}", headers, {"path": {"instance_id": 99999}}, 404),
        ("POST", "/api/v1/tasks/{task_id}/claim", worker, {"path": {"task_id": task}}, 409),
        ("POST", "/api/v1/process-definitions", headers, {"files": deployment}, 422),
        ("GET", "/api/v1/tasks", headers, {"query": {"lane": "a\x00b"}}, 422),
    ]
    for method, path, who, kwargs, status in calls:
        url = path.format(**kwargs.pop("path", {}))
        r = client.request(method, url, headers=who, params=kwargs.pop("query", None), **kwargs)
        assert r.status_code == status, (method, url, r.status_code, r.text[:300])
        assert "detail" in r.json()
        schema[path][method].validate_response(r)


def test_ids_out_of_range_are_404_or_422(svc: Services) -> None:
    """Ids past the columns' range (int4 on PostgreSQL, int64 on SQLite) are refused, never a 500."""
    headers = user(svc, "fuzzer", ALL_ROLES, team="A")

    wrong = {}
    with TestClient(create_app(svc.settings, services=svc)) as client:
        for method, url in (
            ("GET", f"/api/v1/cases/{2**63}"),
            ("GET", f"/api/v1/process-instances/{2**31}"),
            ("DELETE", f"/api/v1/saved-filters/{2**40}"),
            ("POST", f"/api/v1/cases/{2**31}/messages/consent_withdrawn"),
        ):
            r = client.request(method, url, headers=headers, json={"payload": {}})
            if r.status_code not in (404, 422):
                wrong[url] = r.status_code
    assert wrong == {}


def test_a_nul_byte_in_a_query_parameter_is_refused(svc: Services) -> None:
    """PostgreSQL cannot store or compare text with NUL: such a request must be refused, not a 500."""
    headers = user(svc, "fuzzer", ALL_ROLES, team="A")
    with TestClient(create_app(svc.settings, services=svc)) as client:
        for param in ("process", "lane", "case_reference"):
            r = client.get("/api/v1/tasks", params={param: "a\x00b", "scope": "all"}, headers=headers)
            assert r.status_code in (200, 422), (param, r.status_code, r.text[:200])
