"""The public referral form /refer and its status page /refer/status, over real HTTP on both databases:
anonymous submission, CSRF, the per-address rate limit, consent, hostile input, and no status oracle."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from page_helpers import csrf_in, page_client, post_form
from sqlalchemy import func, select
from support import OWNER, files_of

from services.context import Services
from services.deploy import deploy
from services.rate_limits import RateLimited, take_slot
from services.referrer_channels import code_digest
from services.uow import UnitOfWork
from store.models import AuditEvent, Case, HumanTask, RateLimitHit, ReferrerChannel, ReferrerNotification

REFERENCE = re.compile(r'data-testid="referral-reference" id="referral-reference">(AUT-\d{4}-\d{6})<')
STATUS_CODE = re.compile(r'data-testid="referral-status-code" id="referral-status-code">([A-Z0-9-]+)<')
GOOD: dict[str, str | list[str]] = {
    "referrer_type": "ngo",
    "given_names": "Maria",
    "family_name": "Example",
    "birth_date": "1994-05-17",
    "gender": "female",
    "nationality_1": "NG",
    "language_1": "en",
    "language_2": "yo",
    "interpreter_needed": "yes",
    "residence_status": "residence_permit",
    "description": "Worked without pay; passport taken.",
    "suspected_exploitation": ["forced_labour", "benefit_fraud"],
    "exploited_in": "finland",
    "consent_given": "yes",
    "consent_method": "verbal_recorded",
}


@pytest.fixture
def client(svc: Services) -> Iterator[TestClient]:
    with page_client(svc) as c:
        yield c


def pairs_of(fields: dict[str, str | list[str]]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for name, value in fields.items():
        pairs.extend((name, v) for v in value) if isinstance(value, list) else pairs.append((name, value))
    return pairs


def send(client: TestClient, **changes: Any) -> Any:
    """GET the form (for the pre-session CSRF token), then POST it with GOOD + `changes` (None drops a field)."""
    token = csrf_in(client.get("/refer").text)
    fields = {k: v for k, v in {**GOOD, **changes}.items() if v is not None}
    return post_form(client, "/refer", [*pairs_of(fields), ("__csrf", token)])


def lookup(client: TestClient, reference: str, code: str) -> Any:
    token = csrf_in(client.get("/refer/status").text)
    return post_form(client, "/refer/status", [("reference", reference), ("code", code), ("__csrf", token)])


def count(svc: Services, model: Any) -> int:
    with UnitOfWork(svc.sessions) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def test_the_form_is_public_private_and_has_a_quick_exit(client: TestClient) -> None:
    r = client.get("/refer", headers={"Accept-Language": "en"})
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store" and r.headers["referrer-policy"] == "no-referrer"
    assert "script-src 'self'" in r.headers["content-security-policy"]
    html = r.text
    assert 'id="refer-form"' in html and 'autocomplete="off"' in html
    assert 'data-testid="quick-exit"' in html and "/static/refer.js" in html and "<script>" not in html
    assert "Nigeria" in html and "Forced labour" in html and "Self-referral" in html  # code lists, English labels
    finnish = client.get("/refer", headers={"Accept-Language": "fi"}).text
    assert "Ohjaa henkilö auttamisjärjestelmään" in finnish and "Pakkotyö" in finnish and "Nigeria" in finnish


def test_the_quick_exit_script_replaces_the_location_and_never_touches_storage(client: TestClient) -> None:
    js = client.get("/static/refer.js").text
    assert "location.replace(" in js and '"Escape"' in js
    assert not re.search(r"localStorage|sessionStorage|indexedDB|document\.cookie", js)


def test_an_anonymous_referral_becomes_a_case_in_intakes_inbox(client: TestClient, svc: Services) -> None:
    deploy(svc, OWNER, files_of("referral_stub"))
    r = send(client, referrer_name=None, urgent="yes")
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store" and r.headers["referrer-policy"] == "no-referrer"
    reference, code = REFERENCE.search(r.text).group(1), STATUS_CODE.search(r.text).group(1)  # type: ignore[union-attr]
    assert reference == "AUT-2026-000001" and re.fullmatch(r"([A-Z2-9]{4}-){3}[A-Z2-9]{4}", code)
    with UnitOfWork(svc.sessions) as uow:
        case = uow.session.scalars(select(Case)).one()
        assert (case.reference, case.created_by, case.team_id) == (reference, "public-referral-form", None)
        referral = case.facts["referral"]
        assert referral["referrer"] == {"type": "ngo", "organisation": None, "name": None, "phone": None, "email": None}
        assert referral["client"]["nationalities"] == ["NG"] and referral["client"]["languages"] == ["en", "yo"]
        assert referral["client"]["interpreter_needed"] is True and referral["urgent"] is True
        assert referral["consent"] == {
            "given": True,
            "date": "2026-03-02",
            "method": "verbal_recorded",
            "guardian_consent": None,
            "child_consent": None,
        }
        channel = uow.session.scalars(select(ReferrerChannel)).one()
        assert channel.channel == "public_form" and channel.callback_url is None
        assert channel.status_code_sha256 == code_digest(code) and code not in channel.status_code_sha256
        task = uow.session.scalars(select(HumanTask).where(HumanTask.case_id == case.id)).one()
        assert task.lane == "Intake" and task.priority >= 10  # urgent: on top of the inbox
        event = uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "referral_received")).one()
        assert event.actor == "public-referral-form" and event.details["referrer_type"] == "ngo"
        hit = uow.session.scalars(select(RateLimitHit)).one()
        assert hit.address_key != "testclient" and len(hit.address_key) == 64  # the address only as a keyed hash


def test_the_status_page_says_received_then_the_outcome_and_nothing_else(client: TestClient, svc: Services) -> None:
    r = send(client)
    reference, code = REFERENCE.search(r.text).group(1), STATUS_CODE.search(r.text).group(1)  # type: ignore[union-attr]
    status = lookup(client, reference, code.lower().replace("-", " "))  # typed back loosely
    assert status.status_code == 200 and 'data-status="received"' in status.text
    assert "Maria" not in status.text and "Example" not in status.text
    with UnitOfWork(svc.sessions, write=True) as uow:
        uow.session.add(ReferrerNotification(reference=reference, outcome="not_admitted", notified_at=svc.now()))
        uow.commit()
    assert 'data-status="not_admitted"' in lookup(client, reference, code).text
    with UnitOfWork(svc.sessions, write=True) as uow:  # an appeal changed the decision: the latest counts
        uow.session.add(ReferrerNotification(reference=reference, outcome="admitted", notified_at=svc.now()))
        uow.commit()
    assert 'data-status="admitted"' in lookup(client, reference, code).text


def test_a_wrong_code_answers_exactly_like_an_unknown_reference(client: TestClient, svc: Services) -> None:
    r = send(client)
    reference = REFERENCE.search(r.text).group(1)  # type: ignore[union-attr]
    wrong = lookup(client, reference, "AAAA-BBBB-CCCC-DDDD")
    unknown = lookup(client, "AUT-2026-999999", "AAAA-BBBB-CCCC-DDDD")
    empty = lookup(client, reference, "")
    assert wrong.status_code == unknown.status_code == empty.status_code == 200
    assert 'data-testid="referral-status-unknown"' in wrong.text
    assert wrong.text.replace(reference, "X") == unknown.text.replace("AUT-2026-999999", "X")
    assert empty.text == wrong.text.replace('value="AAAA-BBBB-CCCC-DDDD"', 'value=""')


def test_a_partner_referral_cannot_be_read_on_the_status_page(client: TestClient, svc: Services) -> None:
    from support_api import referral, user

    partner = user(svc, "police_api", ["referrer"])
    r = client.post("/api/v1/referrals", json=referral(), headers=partner)
    assert r.status_code == 201
    for code in ("", "0" * 64, "no status code"):
        assert 'data-testid="referral-status-unknown"' in lookup(client, r.json()["reference"], code).text


def test_without_the_csrf_token_nothing_is_submitted(client: TestClient, svc: Services) -> None:
    client.get("/refer")
    r = post_form(client, "/refer", pairs_of(GOOD))
    assert r.status_code == 403
    r = post_form(client, "/refer", [*pairs_of(GOOD), ("__csrf", "0" * 64)])
    assert r.status_code == 403
    assert post_form(client, "/refer/status", [("reference", "AUT-2026-000001"), ("code", "x")]).status_code == 403
    assert count(svc, Case) == 0


def test_without_consent_the_form_refuses_and_keeps_the_input(client: TestClient, svc: Services) -> None:
    r = send(client, consent_given=None)
    assert r.status_code == 422
    assert 'data-testid="error-consent_given"' in r.text and 'data-testid="error-summary"' in r.text
    assert 'value="Maria"' in r.text and 'value="forced_labour" checked' in r.text
    assert 'id="r-consent_given" name="consent_given" value="yes" aria-invalid="true"' in r.text
    assert count(svc, Case) == 0 and count(svc, RateLimitHit) == 0  # an invalid form is not counted


def test_a_child_of_15_to_17_must_consent_too(client: TestClient, svc: Services) -> None:
    r = send(client, birth_date=None, birth_year="2010", guardian_consent="yes")
    assert r.status_code == 422 and 'data-testid="error-child_consent"' in r.text
    r = send(client, birth_date=None, birth_year="2010", guardian_consent="yes", child_consent="yes")
    assert r.status_code == 200
    with UnitOfWork(svc.sessions) as uow:
        case = uow.session.scalars(select(Case)).one()
        assert case.facts["is_child"] is True and case.facts["urgent"] is True  # a child's referral is urgent


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"description": "x" * 10_001}, "description"),
        ({"given_names": "n" * 201}, "given_names"),
        ({"referrer_email": "not an address"}, "referrer_email"),
        ({"referrer_phone": "<b>call</b>"}, "referrer_phone"),
        ({"referrer_type": "hacker"}, "referrer_type"),
        ({"referrer_type": None}, "referrer_type"),
        ({"nationality_2": "Narnia"}, "nationality_2"),
        ({"language_1": "yo", "language_2": "yo"}, "language_1"),
        ({"suspected_exploitation": ["forced_labour", "<script>"]}, "suspected_exploitation"),
        ({"birth_date": "2026-02-30"}, "birth_date"),
        ({"birth_date": "2027-01-01"}, "birth_date"),
        ({"birth_year": "1993"}, "birth_year"),
        ({"birth_date": None, "birth_year": "-4"}, "birth_year"),
        ({"consent_date": "yesterday"}, "consent_date"),
    ],
)
def test_bad_input_is_a_422_with_the_fields_error(
    client: TestClient, svc: Services, changes: dict[str, Any], field: str
) -> None:
    r = send(client, **changes)
    assert r.status_code == 422, r.text
    assert f'data-testid="error-{field}"' in r.text
    assert count(svc, Case) == 0


def test_html_in_the_fields_is_escaped(client: TestClient, svc: Services) -> None:
    hostile = '<script>alert("x")</script>'
    r = send(client, given_names=hostile, description=hostile + "</textarea><img src=x onerror=alert(1)>", gender="x")
    assert r.status_code == 422
    assert "<script>alert" not in r.text and "<img src=x" not in r.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in r.text
    r = send(client, given_names=hostile)
    assert r.status_code == 200 and "<script>alert" not in r.text
    with UnitOfWork(svc.sessions) as uow:  # kept as typed: escaping is the page's job, not the store's
        assert uow.session.scalars(select(Case)).one().facts["client"]["given_names"] == hostile


def test_an_oversized_or_odd_body_is_refused_cleanly(client: TestClient, svc: Services) -> None:
    token = csrf_in(client.get("/refer").text)
    big = post_form(client, "/refer", [("__csrf", token), ("description", "x" * (3 * 1024 * 1024))])
    assert big.status_code == 413
    many = post_form(client, "/refer", [("__csrf", token), *[(f"f{i}", "x") for i in range(500)]])
    assert many.status_code == 400  # more fields than any real form has
    r = send(client, family_name="a\x00b")  # PostgreSQL keeps no NUL: refused before it gets there
    assert r.status_code == 422 and 'data-testid="error-family_name"' in r.text
    assert count(svc, Case) == 0


def test_the_rate_limit_is_per_address_and_shared_through_the_database(svc: Services) -> None:
    limited = replace(svc, settings=replace(svc.settings, public_referral_max_per_address=2))
    with page_client(limited) as client, page_client(limited) as other_process:
        assert send(client).status_code == 200
        assert send(other_process).status_code == 200  # another web process, same address: one count
        r = send(client)
        assert r.status_code == 429 and 'data-testid="rate-limited"' in r.text
        assert r.headers["retry-after"] == "600" and r.headers["cache-control"] == "no-store"
        assert count(svc, Case) == 2
        svc.clock.advance(minutes=10, seconds=1)  # type: ignore[attr-defined]
        assert send(client).status_code == 200


def test_status_look_ups_are_rate_limited(svc: Services) -> None:
    limited = replace(svc, settings=replace(svc.settings, referral_status_max_per_address=3))
    with page_client(limited) as client:
        for _ in range(3):
            assert lookup(client, "AUT-2026-000001", "AAAA").status_code == 200
        r = lookup(client, "AUT-2026-000001", "AAAA")
        assert r.status_code == 429 and 'data-testid="rate-limited"' in r.text


def test_an_ipv6_client_is_counted_by_its_slash_64(svc: Services) -> None:
    """A subscriber gets a whole /64: counting single IPv6 addresses would let one sender rotate past the limit."""
    limit = {"limit": 2, "window_minutes": 10}
    take_slot(svc, "test_bucket", "2001:db8:1:2::1", **limit)
    take_slot(svc, "test_bucket", "2001:db8:1:2:ffff:ffff:ffff:fffe", **limit)
    with pytest.raises(RateLimited):
        take_slot(svc, "test_bucket", "2001:db8:1:2:abcd::9", **limit)
    take_slot(svc, "test_bucket", "2001:db8:1:3::1", **limit)  # the next /64 is another client
    take_slot(svc, "test_bucket", "::ffff:192.0.2.7", **limit)  # IPv4-mapped: the IPv4 address itself
    take_slot(svc, "test_bucket", "192.0.2.7", **limit)
    with pytest.raises(RateLimited):
        take_slot(svc, "test_bucket", "192.0.2.7", **limit)
    assert count(svc, RateLimitHit) == 5


def test_an_over_long_status_look_up_is_an_ordinary_no_match_with_the_quick_exit(client: TestClient) -> None:
    r = lookup(client, "AUT-2026-000001" + "9" * 500, "A" * 5000)
    assert r.status_code == 200 and 'data-testid="referral-status-unknown"' in r.text
    assert 'data-testid="quick-exit"' in r.text and r.headers["cache-control"] == "no-store"


def test_the_answer_never_tells_whether_the_person_is_already_a_client(client: TestClient, svc: Services) -> None:
    """Anyone may fill in the form (a trafficker too): a referral of a known client and of a stranger get
    the same page, apart from their own reference and status code."""
    first = send(client)
    known = send(client)  # the same person again: a duplicate for intake to find, not for the referrer
    stranger = send(client, given_names="Olena", family_name="Shevchenko", birth_date="1979-11-02", nationality_1="UA")

    def neutral(r: Any) -> str:
        reference, code = REFERENCE.search(r.text).group(1), STATUS_CODE.search(r.text).group(1)  # type: ignore[union-attr]
        return str(r.text.replace(reference, "REF").replace(code, "CODE"))

    assert first.status_code == known.status_code == stranger.status_code == 200
    assert neutral(known) == neutral(stranger) == neutral(first)
    assert known.headers.keys() == stranger.headers.keys()
