"""Duplicate candidates on the `check_referral` task page, over real HTTP with the real BPMN.

The rule: finding duplicates is intake's job across teams, so intake (and supervisors) see candidates by
keyed hash, with reference, status and the reasons; a restricted case only for its named users; every
candidate shown is in the access log. Opening a candidate's case is an ordinary case read: only where
the reader may see that case. Caseworkers get no candidates at all (not the page, not the API).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
from page_helpers import make_user, page_client, post, sign_in
from sqlalchemy import select
from support import SUPERVISOR, FakeClock
from support_api import access_rows

from services.context import Actor, Services
from services.duplicate_candidates import find_candidates
from services.protection import set_flags
from services.referrals import parse_referral, submit_referral
from services.uow import UnitOfWork
from store import crypto
from store.models import Case, ProcessInstance

sys.path.append(str(Path(__file__).resolve().parents[1] / "processes"))  # casekit drives the real processes
from casekit import TEAM, World, case_data, instance, refer, referral_doc, task, world

CANDIDATE = re.compile(r'data-testid="duplicate-candidate" data-reference="([^"]+)"')


@pytest.fixture
def w(svc: Services, clock: FakeClock) -> World:
    made = world(svc, clock)
    make_user(svc, "ida", ["intake"], team=TEAM)
    return made


def client_doc(**changes: Any) -> dict[str, Any]:
    return {**referral_doc()["client"], **changes}


def reference(w: World, case_id: int) -> str:
    with UnitOfWork(w.svc.sessions) as uow:
        case = uow.session.get(Case, case_id)
        assert case is not None
        return case.reference


def unowned_referral(w: World, **client: Any) -> int:
    """A fresh referral as submit_referral leaves it: no team yet, so any intake officer may check it."""
    doc = referral_doc(client=client_doc(**client))
    case_id = submit_referral(w.svc, w.intake, parse_referral(doc)).case_id
    with UnitOfWork(w.svc.sessions) as uow:  # the case's instance, as casekit.refer records it
        w.cases[case_id] = uow.session.scalars(
            select(ProcessInstance.id).where(
                ProcessInstance.case_id == case_id, ProcessInstance.process_id == "client_case"
            )
        ).one()
    return case_id


def test_a_referral_for_an_existing_client_shows_the_case_and_completes_as_its_duplicate(w: World) -> None:
    existing = refer(w)
    # the same person again, given and family names swapped and written differently
    again = refer(w, client=client_doc(given_names="EXAMPLE", family_name="maría"))
    with page_client(w.svc) as client:
        sign_in(client, "ida")
        check = task(w, again, "check_referral").id
        page = client.get(f"/tasks/{check}")
        assert page.status_code == 200
        assert CANDIDATE.findall(page.text) == [reference(w, existing)]  # never the referral itself
        panel = page.text[page.text.index('data-testid="duplicate-candidates"') :]
        assert f'<a href="/cases/{existing}" data-testid="candidate-link">' in panel
        reasons = re.search(r'data-testid="candidate-reasons">([^<]*)<', panel)
        assert reasons is not None and reasons.group(1).count(",") == 2  # name, birth date and nationality
        assert f'data-fill-field="duplicate_of" data-fill-value="{reference(w, existing)}"' in panel
        assert 'data-mark-field="referral_check" data-mark-value="duplicate"' in panel
        logged = [(r.username, r.via) for r in access_rows(w.svc, case_id=existing) if "duplicate candidate" in r.what]
        assert logged == [("ida", "page")]
        assert client.get(f"/cases/{existing}").status_code == 200  # intake's own team: the link opens

        data = {"referral_check": "duplicate", "duplicate_of": reference(w, existing), "__action": "complete"}
        done = post(client, f"/tasks/{check}", data, token_from=f"/tasks/{check}")
        assert done.status_code == 303, done.text
    result = case_data(w, again)
    assert (result["referral_outcome"], result["case_outcome"], result["case_status"]) == (
        "duplicate",
        "duplicate",
        "closed",
    )
    assert result["duplicate_of"] == reference(w, existing) and instance(w, again).status == "completed"
    assert instance(w, existing).status == "running"  # nothing merged into the existing case by itself


def test_a_spelling_variant_with_the_same_birth_date_and_nationality_is_a_candidate(w: World) -> None:
    existing = refer(w)
    variant = refer(w, client=client_doc(given_names="Mariia", family_name="Exampel"))
    elsewhere = refer(w, client=client_doc(given_names="Mariia", family_name="Exampel", nationalities=["GH"]))
    with page_client(w.svc) as client:
        sign_in(client, "ida")
        page = client.get(f"/tasks/{task(w, variant, 'check_referral').id}").text
        assert CANDIDATE.findall(page) == [reference(w, existing), reference(w, elsewhere)]
        # the third shares the variant's name, so for it the variant is a candidate but not the first case
        third = client.get(f"/tasks/{task(w, elsewhere, 'check_referral').id}").text
        assert CANDIDATE.findall(third) == [reference(w, variant)]


def test_a_non_match_shows_no_candidates_and_logs_nothing(w: World) -> None:
    refer(w)
    other = refer(w, client=client_doc(given_names="Olena", family_name="Shevchenko", birth_date="1979-11-02"))
    with page_client(w.svc) as client:
        sign_in(client, "ida")
        page = client.get(f"/tasks/{task(w, other, 'check_referral').id}").text
    assert 'data-testid="no-candidates"' in page and CANDIDATE.findall(page) == []
    assert [r for r in access_rows(w.svc) if "duplicate candidate" in r.what] == []


def test_other_teams_restricted_cases_and_caseworkers(w: World) -> None:
    existing = refer(w)  # team Helsinki
    fresh = unowned_referral(w)  # no team yet: any intake officer checks it
    make_user(w.svc, "tuula", ["intake"], team="Turku")
    make_user(w.svc, "olga", ["caseworker"], team="Turku")
    check = task(w, fresh, "check_referral").id
    with page_client(w.svc) as client:
        sign_in(client, "tuula")
        page = client.get(f"/tasks/{check}").text
        # intake of another team learns the reference (their job) but cannot open the case
        assert CANDIDATE.findall(page) == [reference(w, existing)]
        assert f'href="/cases/{existing}"' not in page
        assert client.get(f"/cases/{existing}").status_code == 403
    make_user(w.svc, "sue", ["supervisor"])
    set_flags(w.svc, SUPERVISOR, existing, restricted=True)  # named users only: sue
    with page_client(w.svc) as client:
        sign_in(client, "ida")
        page = client.get(f"/tasks/{check}").text
        assert 'data-testid="no-candidates"' in page  # not named on the restricted case
    with page_client(w.svc) as client:
        sign_in(client, "olga")
        assert client.get(f"/tasks/{check}").status_code == 403  # the Intake lane's task
        token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/inbox").text)
        assert token is not None
        found = client.post(
            "/api/v1/duplicates",
            json={"given_names": "Maria", "family_name": "Example"},
            headers={"X-CSRF-Token": token.group(1)},
        )
        assert found.status_code == 403
    shown = {r.username for r in access_rows(w.svc, case_id=existing) if "duplicate candidate" in r.what}
    assert shown == {"tuula"}


def test_finding_candidates_opens_no_sealed_case_data(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keyed hashes find the candidates; their facts (names, health, history) stay sealed."""
    existing = refer(w)
    again = refer(w, client=client_doc(given_names="EXAMPLE", family_name="maría"))
    with UnitOfWork(w.svc.sessions) as uow:
        case = uow.session.get(Case, again)
        assert case is not None
        client = dict(case.facts["client"])
    expected = [(existing, reference(w, existing))]
    assert str(crypto.EncryptedJSON().process_bind_param({"a": 1}, None)).startswith(crypto.PREFIX)  # sealed here

    def refuse(value: str) -> str:
        raise AssertionError("a candidate's sealed data was opened")

    monkeypatch.setattr(crypto, "_open_text", refuse)
    intake = Actor("ida", frozenset({"intake"}))
    with UnitOfWork(w.svc.sessions) as uow:
        found = find_candidates(uow.session, intake, client, exclude_case_id=again)
    assert [(c.case_id, c.reference) for c in found] == expected
