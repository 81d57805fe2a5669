"""services.referrals and the referral document: references per year (also under concurrency), children,
code lists."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from support import FakeClock
from support_api import referral

from processes.codelists import code_set, codelists, is_language, is_nationality
from processes.referral_document import ReferralDocument
from services.context import Actor, Services
from services.errors import Forbidden, InvalidInput
from services.referrals import parse_referral, submit_referral
from services.uow import UnitOfWork
from store.models import Case

PARTNER = Actor("police_api", frozenset({"referrer"}))
RECEIVED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_references_count_per_year(svc: Services, clock: FakeClock) -> None:
    doc = parse_referral(referral())
    assert submit_referral(svc, PARTNER, doc).reference == "AUT-2026-000001"
    assert submit_referral(svc, PARTNER, doc).reference == "AUT-2026-000002"
    clock.now = datetime(2027, 1, 1, 0, 5, tzinfo=UTC)
    receipt = submit_referral(svc, PARTNER, doc)
    assert receipt.reference == "AUT-2027-000001"
    case_id, reference = receipt  # a plain (case_id, reference) pair
    assert reference == "AUT-2027-000001" and isinstance(case_id, int)


def test_concurrent_referrals_get_distinct_references(svc: Services) -> None:
    doc = parse_referral(referral())
    results: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def submit() -> None:
        start.wait()
        try:
            results.append(submit_referral(svc, PARTNER, doc).reference)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results) == [f"AUT-2026-{n:06d}" for n in range(1, 7)]
    with UnitOfWork(svc.sessions) as uow:
        assert uow.session.scalar(select(func.count(Case.id))) == 6


def test_parse_referral_names_fields(svc: Services) -> None:
    with pytest.raises(InvalidInput) as bad:
        parse_referral(referral(consent={"given": False}, exploited_in="mars"))
    assert set(bad.value.errors) == {"consent.given", "exploited_in"}
    with pytest.raises(Forbidden):
        submit_referral(svc, Actor("carl", frozenset({"caseworker"})), parse_referral(referral()))
    with pytest.raises(InvalidInput) as bad:
        submit_referral(svc, PARTNER, parse_referral(referral(client={"birth_date": "2026-03-05"})))
    assert "client.birth_date" in bad.value.errors


@pytest.mark.parametrize(
    ("client", "category", "child"),
    [
        ({"birth_date": "2008-03-03"}, None, True),  # 18 tomorrow
        ({"birth_date": "2008-03-02"}, None, False),  # 18 today
        ({"birth_year": 2008}, None, True),  # may still be 17: presumed a child
        ({"birth_year": 2007}, None, False),
        ({}, None, False),  # age unknown
        ({}, "child_of_client", True),
    ],
)
def test_who_is_a_child(client: dict, category: str | None, child: bool) -> None:  # type: ignore[type-arg]
    doc = ReferralDocument.model_validate(referral(client=client, client_category=category))
    assert doc.is_child(RECEIVED) is child


def test_code_lists() -> None:
    lists = codelists()
    assert "police" in code_set("referrer_type") and "neighbour" not in code_set("referrer_type")
    assert code_set("gender").label("female", "fi") == "Nainen"
    assert code_set("gender").label("female", "sv") == "Female"  # falls back to English
    assert code_set("exit_reason").attribute("client_request", "decision") is False
    assert len(code_set("exploitation_form")) == 10 and "forced_labour" in code_set("exploitation_form").codes
    assert "Helsinki" in lists.wellbeing_counties and "asylum_seeker" in lists.lawful_residence_statuses
    assert lists.periods["appeal_window_days"] == 30
    assert all(is_nationality(c) for c in ("FI", "NG", "XK", "stateless", "unknown"))
    assert not any(is_nationality(c) for c in ("fi", "XX", "EU", "FIN", ""))
    assert is_language("fi") and is_language("uk") and not is_language("FI") and not is_language("fin")
