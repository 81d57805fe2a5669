"""Search keys without clear text, duplicate detection by keyed hash, and no personal data in logs or URLs."""

from __future__ import annotations

import logging
import re

import pytest
from database_dump import database_dump
from sqlalchemy import select
from support import INTAKE, SUPERVISOR
from support_api import referral

from services.cases import get_case
from services.context import Actor, Services
from services.disclosures import record_disclosure
from services.errors import Forbidden, InvalidInput
from services.protection import break_glass, find_duplicates, rebuild_search_keys, redact, set_flags
from services.referrals import parse_referral, submit_referral
from services.retention import place_hold
from services.subject_export import render_html, subject_export
from services.uow import UnitOfWork
from services.users import add_user
from store.models import CaseSearchKey
from web.app import create_app

GIVEN, FAMILY, BORN = "Qwertzu", "Ylöjärvinen", "1991-02-03"


def _submit(svc: Services, given: str = GIVEN, family: str = FAMILY, born: str = BORN) -> int:
    client = {**referral()["client"], "given_names": given, "family_name": family, "birth_date": born}
    return submit_referral(svc, INTAKE, parse_referral(referral(client=client))).case_id


def test_search_keys_find_duplicates_and_the_dump_shows_no_name(svc: Services) -> None:
    add_user(svc, "sue", ["supervisor"], password=None)
    first = _submit(svc)
    _submit(svc, given="Other", family="Person", born="1980-01-01")
    with UnitOfWork(svc.sessions) as uow:
        kinds = sorted(uow.session.scalars(select(CaseSearchKey.kind).where(CaseSearchKey.case_id == first)))
    assert kinds == ["birth", "name", "name_birth", "nationality"]
    # the same person written differently (case, accents, spacing) is found by hash
    found = find_duplicates(svc, INTAKE, {"given_names": " qwertzu ", "family_name": "YLOJARVINEN", "birth_date": BORN})
    assert [(d.case_id, d.matched) for d in found] == [(first, ["name", "name_birth"])]
    assert find_duplicates(svc, INTAKE, {"given_names": "Nobody", "family_name": "Here"}) == []
    with pytest.raises(Forbidden):
        find_duplicates(svc, Actor("carl", frozenset({"caseworker"})), {"family_name": FAMILY})
    # protection tables hold no clear text either
    record_disclosure(svc, SUPERVISOR, first, "referrer", "referrer_outcome_notice", ["outcome"], {"note": GIVEN})
    place_hold(svc, SUPERVISOR, first, "prosecution", f"Trial of {FAMILY}'s exploiter")
    set_flags(svc, SUPERVISOR, first, restricted=True)
    break_glass(svc, SUPERVISOR, first, f"checking {GIVEN} {FAMILY} urgently", via="api")
    assert rebuild_search_keys(svc) == 2  # after a key rotation the hashes are recomputed
    assert find_duplicates(svc, SUPERVISOR, {"given_names": GIVEN, "family_name": FAMILY})[0].case_id == first
    dump = database_dump(svc)
    for secret in (GIVEN, FAMILY, "ylojarvinen", "qwertzu", BORN):
        assert secret not in dump


def test_redaction_reaches_every_depth() -> None:
    doc = {
        "referrer": {"phone": "1", "email": "a@b.c", "name": "x"},
        "reception_centre": "R",
        "items": [{"address": "A"}],
    }
    out = redact(doc)
    assert out["referrer"]["name"] == "x" and "1" not in str(out) and "R" not in str(out["reception_centre"])
    assert out["items"][0]["address"] != "A"


def test_only_supervisors_restrict_and_break_the_glass(svc: Services) -> None:
    add_user(svc, "sue", ["supervisor"], password=None)
    case_id = _submit(svc)
    worker = Actor("carl", frozenset({"caseworker"}))
    with pytest.raises(Forbidden):
        set_flags(svc, worker, case_id, restricted=True)
    with pytest.raises(Forbidden):
        break_glass(svc, worker, case_id, "a long enough reason", via="api")
    with pytest.raises(InvalidInput):
        break_glass(svc, SUPERVISOR, case_id, "short", via="api")
    state = set_flags(svc, SUPERVISOR, case_id, restricted=True)
    assert state.named_users == ["sue"]  # restricting with nobody named names the supervisor


def test_no_personal_data_in_logs(svc: Services, caplog: pytest.LogCaptureFixture) -> None:
    from support import OWNER, files_of

    from services.deploy import deploy

    deploy(svc, OWNER, files_of("case_flow"))
    caplog.set_level(logging.DEBUG)
    case_id = _submit(svc)
    get_case(svc, SUPERVISOR, case_id, via="api")
    export = subject_export(svc, SUPERVISOR, case_id)
    assert GIVEN in render_html(export)  # the export itself holds the data ...
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (GIVEN, FAMILY, BORN):
        assert secret not in logged  # ... but the logs do not


def test_no_route_puts_a_name_in_its_url(svc: Services) -> None:
    add_user(svc, "x", ["supervisor"], password=None)
    app = create_app(svc.settings, services=svc)
    params = set()
    for route in app.routes:
        params.update(re.findall(r"{([^}:]+)", getattr(route, "path", "")))
    names = {p for p in params if re.search(r"given|family|client|birth|person|ssn|hetu", p)}
    assert names == set(), names  # routes carry ids, references and codes only
