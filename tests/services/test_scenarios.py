"""Scenario tests run on the real engine before deploy; a failing one blocks the deploy unless a
supervisor approved an override for exactly those files."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from support import OWNER, SUPERVISOR, files_of

from engine import SourceFile
from services.context import Actor, Services
from services.deploy import approve_scenario_override, deploy
from services.errors import DeploymentRejected, Forbidden
from services.scenarios import parse_duration, run_all
from services.uow import UnitOfWork
from store.models import AuditEvent, ProcessVersion

REGISTER = {"complete": "register", "data": {"client_name": "Anna", "received_on": "2026-03-01"}}
GOOD = {
    "scenarios": [
        {
            "name": "report filed",
            "start": {"data": {"received_on": "2026-03-01"}},
            "steps": [
                REGISTER,
                {"complete": "assess", "data": {"risk_level": 2}},
                {"message": "police_report_filed", "payload": {"ref": "PR-1"}},
            ],
            "expect": {
                "path": ["register", "set_deadline", "assess", "report_filed"],
                "completed": True,
                "data": {"police_report": {"ref": "PR-1"}},
            },
        },
        {
            "name": "assessment overdue",
            "steps": [REGISTER, {"advance": "P31D"}],
            "expect": {"path": ["register", "assess_overdue"], "waiting": ["escalate"]},
        },
    ]
}
BAD = {
    "scenarios": [
        {"name": "expects the wrong end", "steps": [REGISTER, {"advance": "P31D"}], "expect": {"waiting": ["assess"]}}
    ]
}


def _files(scenarios: dict[str, object]) -> list[SourceFile]:
    return [*files_of("case_flow"), SourceFile("case_flow.scenarios.json", json.dumps(scenarios).encode())]


def test_scenarios_pass_and_report_the_path(svc: Services) -> None:
    result = deploy(svc, OWNER, _files(GOOD), dry_run=True)
    assert [(r.name, r.passed) for r in result.scenarios] == [("report filed", True), ("assessment overdue", True)]
    assert result.scenarios[0].path == [
        "start",
        "register",
        "set_deadline",
        "assess",
        "wait_gw",
        "report_filed",
        "end_reported",
    ]
    deployed = deploy(svc, OWNER, _files(GOOD))
    with UnitOfWork(svc.sessions) as uow:
        version = uow.session.get(ProcessVersion, deployed.versions[0].id)
        assert version is not None
        assert "case_flow.scenarios.json" in [f.name for f in version.files]  # stored with the version


def test_failing_scenario_blocks_deploy(svc: Services) -> None:
    with pytest.raises(DeploymentRejected) as err:
        deploy(svc, OWNER, _files(BAD))
    (scenario,) = err.value.report["scenarios"]
    assert not scenario["passed"] and "expected to wait at assess" in scenario["failures"][0]
    with UnitOfWork(svc.sessions) as uow:
        assert uow.session.scalar(select(func.count()).select_from(ProcessVersion)) == 0


def test_invalid_form_data_in_a_scenario_fails_it(svc: Services) -> None:
    bad_data = {"scenarios": [{"name": "bad", "steps": [{"complete": "register", "data": {"client_name": ""}}]}]}
    result = deploy(svc, OWNER, _files(bad_data), dry_run=True)
    assert not result.scenarios[0].passed and "refused the data" in result.scenarios[0].failures[0]


def test_supervisor_override_is_logged_and_bound_to_the_files(svc: Services) -> None:
    with pytest.raises(Forbidden):
        approve_scenario_override(svc, OWNER, _files(BAD), "the test is wrong, fixed next week")
    approve_scenario_override(svc, SUPERVISOR, _files(BAD), "the test is wrong, fixed next week")
    other = _files({"scenarios": [{**BAD["scenarios"][0], "name": "changed"}]})
    with pytest.raises(DeploymentRejected):  # the approval covers exactly the approved files
        deploy(svc, OWNER, other)
    result = deploy(svc, OWNER, _files(BAD))
    assert result.overridden_by == SUPERVISOR.username and result.versions[0].created
    with UnitOfWork(svc.sessions) as uow:
        actions = uow.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions.count("scenario_override_approved") == 1 and "scenario_override_used" in actions


def test_scenario_file_errors_are_reported(svc: Services) -> None:
    compiled = svc.engine.compile(files_of("case_flow"), {"Intake", "Caseworker", "Supervisor"})
    results = run_all(
        svc.engine,
        compiled.processes,
        {"case_flow.scenarios.json": b"[1, 2]", "other.scenarios.json": b'{"scenarios": [{"name": "x"}]}'},
    )
    assert [(r.passed, r.failures[0][:10]) for r in results] == [(False, "unreadable"), (False, "no process")]


def test_durations() -> None:
    assert parse_duration("P1DT2H").total_seconds() == 26 * 3600
    assert parse_duration("P6M").days == 180
    with pytest.raises(ValueError):
        parse_duration("30 days")


def test_only_owner_deploys(svc: Services) -> None:
    with pytest.raises(Forbidden):
        deploy(svc, Actor("s", frozenset({"supervisor"})), _files(GOOD))
