"""The caseworker's "withdrawal of consent" action on the case page, on the real processes: the case's
processes stop, the case closes with that exit reason, and consent-based disclosures are cancelled."""

from __future__ import annotations

from typing import Any

from page_helpers import make_user, page_client, post, sign_in
from sqlalchemy import select
from support import INTAKE, OWNER, ROOT

from cli.main import collect_files
from services.context import Actor, Services
from services.deploy import deploy
from services.disclosures import list_disclosures, record_disclosure
from services.referrals import parse_referral, submit_referral
from services.uow import UnitOfWork
from store.models import AuditEvent, Case, HumanTask, Team

TEAM = "Helsinki"
REFERRAL: dict[str, Any] = {
    "referrer": {"type": "police", "organisation": "Helsinki police"},
    "client": {"given_names": "Maria", "family_name": "Example", "birth_date": "1994-05-17", "gender": "female"},
    "residence_status": "residence_permit",
    "description": "Worked without pay.",
    "consent": {"given": True, "date": "2026-03-01", "method": "signed_form"},
}


def _open_case(svc: Services) -> int:
    deploy(svc, OWNER, collect_files([str(ROOT / "bpmn"), str(ROOT / "forms" / "schemas")]))
    make_user(svc, "carl", ["caseworker"], team=TEAM)
    make_user(svc, "olga", ["process_owner"])
    receipt = submit_referral(svc, INTAKE, parse_referral(REFERRAL))
    with UnitOfWork(svc.sessions, write=True) as uow:  # the team takes the case
        case = uow.session.get(Case, receipt.case_id)
        assert case is not None
        case.team_id = uow.session.scalars(select(Team.id).where(Team.name == TEAM)).one()
        uow.commit()
    return receipt.case_id


def _case(svc: Services, case_id: int) -> tuple[str, list[str]]:
    with UnitOfWork(svc.sessions) as uow:
        case = uow.session.get(Case, case_id)
        assert case is not None
        tasks = uow.session.scalars(
            select(HumanTask.bpmn_id).where(HumanTask.case_id == case_id, HumanTask.status == "open")
        )
        return case.status, list(tasks)


def test_a_caseworker_records_the_withdrawal_on_the_case_page(svc: Services) -> None:
    case_id = _open_case(svc)
    shared = record_disclosure(
        svc, _team_actor(svc, "carl"), case_id, "Victim Support Finland", "consent", ["needs"], pending=True
    )
    assert _case(svc, case_id) == ("referral", ["check_referral"])
    with page_client(svc) as client:
        sign_in(client, "carl")
        page = client.get(f"/cases/{case_id}")
        assert 'data-testid="consent-withdrawal-form"' in page.text
        unconfirmed = post(client, f"/cases/{case_id}/consent-withdrawal", {"withdrawn_by": "client"})
        assert unconfirmed.status_code == 303 and _case(svc, case_id)[1] == ["check_referral"]  # nothing happened
        done = post(client, f"/cases/{case_id}/consent-withdrawal", {"withdrawn_by": "guardian", "confirm": "yes"})
        assert done.status_code == 303 and done.headers["location"] == f"/cases/{case_id}"
        after = client.get(f"/cases/{case_id}")
        assert "Suostumus peruttu: asia päätettiin tällä syyllä." in after.text
        assert 'data-testid="consent-withdrawal-form"' not in after.text  # the case is closed now
    assert _case(svc, case_id) == ("closed", [])
    with UnitOfWork(svc.sessions) as uow:
        closed = uow.session.get(Case, case_id)
        assert closed is not None and closed.exit_reason == "consent_withdrawn" and closed.closed_at is not None
    assert {d.id: d.status for d in list_disclosures(svc, _team_actor(svc, "carl"), case_id)} == {
        shared.id: "cancelled"
    }
    with UnitOfWork(svc.sessions) as uow:
        actions = uow.session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case_id)).all()
    assert "consent_withdrawn" in actions and "message_delivered" in actions


def test_only_the_people_of_the_case_may_record_it(svc: Services) -> None:
    case_id = _open_case(svc)
    make_user(svc, "cora", ["caseworker"], team="Tampere")
    for name, expected in (("olga", 403), ("cora", 403)):
        with page_client(svc) as client:
            sign_in(client, name)
            r = post(client, f"/cases/{case_id}/consent-withdrawal", {"withdrawn_by": "client", "confirm": "yes"})
            assert r.status_code == expected, name
    assert _case(svc, case_id) == ("referral", ["check_referral"])
    with page_client(svc) as client:  # no CSRF token: refused before anything runs
        sign_in(client, "carl")
        r = client.post(f"/cases/{case_id}/consent-withdrawal", data={"withdrawn_by": "client", "confirm": "yes"})
        assert r.status_code == 403
    assert _case(svc, case_id) == ("referral", ["check_referral"])


def _team_actor(svc: Services, name: str) -> Actor:
    with UnitOfWork(svc.sessions) as uow:
        team_id = uow.session.scalars(select(Team.id).where(Team.name == TEAM)).one()
    return Actor(name, frozenset({"caseworker"}), team_id=team_id)
