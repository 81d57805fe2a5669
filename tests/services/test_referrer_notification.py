"""The referrer is told "admitted / not admitted" only: the decision process's notify_referrer message,
run by the outbox, records the outcome for the status page and POSTs it to a partner's webhook with
retry, back-off, one idempotency key, and an incident when it keeps failing. The real BPMN files and
engine; the partner is faked at the network edge with httpx.MockTransport."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from support import SUPERVISOR, FakeClock

from config import Settings
from services.context import PUBLIC_REFERRER, Actor, Services
from services.errors import InvalidInput
from services.incidents import retry_incident
from services.outbox import run_outbox
from services.public_referrals import submit_public_referral
from services.referrals import parse_referral, submit_referral
from services.referrer_channels import ChannelSpec, partner_channel
from services.referrer_notifications import record_outcome, referral_status
from services.uow import UnitOfWork
from store.models import Case, Incident, OutboxItem, ProcessInstance, ReferrerChannel, ReferrerNotification

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "processes"))  # the kit that drives the processes
from casekit import World, accept_referral, assess, decide, record_consent, referral_doc, world

CALLBACK = "https://partner.test/referrals/outcome"
GATEWAY = "https://gateway.test/outcomes"
PARTNER = Actor("police_api", frozenset({"referrer"}))


class Partner:
    """Answers `statuses` in turn (then the last one again); records every request."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = statuses or (204,)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.statuses[min(len(self.requests), len(self.statuses)) - 1])

    def bodies(self) -> list[Any]:
        return [json.loads(r.content) for r in self.requests]


def _world(svc: Services, clock: FakeClock, partner: Partner, **settings: Any) -> World:
    svc = replace(svc, http_transport=httpx.MockTransport(partner), settings=replace(svc.settings, **settings))
    return world(svc, clock)


def _refer(w: World, actor: Actor, channel: ChannelSpec | None) -> tuple[int, str]:
    """Like casekit.refer, from `actor` with its channel: the team takes the case."""
    receipt = submit_referral(w.svc, actor, parse_referral(referral_doc()), channel=channel)
    _adopt(w, receipt.case_id)
    return receipt.case_id, receipt.reference


def _adopt(w: World, case_id: int) -> None:
    with UnitOfWork(w.svc.sessions, write=True) as uow:
        case = uow.session.get(Case, case_id)
        assert case is not None
        case.team_id = w.team_id
        top = select(ProcessInstance.id).where(ProcessInstance.process_id == "client_case")
        w.cases[case_id] = uow.session.scalars(top.where(ProcessInstance.case_id == case_id)).one()
        uow.commit()


def _decide(w: World, case_id: int, outcome: str = "admitted", ground: str | None = None) -> None:
    accept_referral(w, case_id)
    record_consent(w, case_id)
    assess(w, case_id)
    decide(w, case_id, outcome, ground)


def _rows(w: World, model: Any) -> list[Any]:
    with UnitOfWork(w.svc.sessions) as uow:
        return list(uow.session.scalars(select(model).order_by(model.id)).all())


def _webhook_items(w: World) -> list[OutboxItem]:
    return [item for item in _rows(w, OutboxItem) if item.kind == "webhook"]


def test_an_admission_is_recorded_and_posted_to_the_partners_callback(svc: Services, clock: FakeClock) -> None:
    partner = Partner(204)
    w = _world(svc, clock, partner)
    case_id, reference = _refer(w, PARTNER, partner_channel(w.svc.settings, CALLBACK))
    _decide(w, case_id)
    assert partner.requests == []  # nothing leaves inside the decision's transaction
    run_outbox(w.svc)
    assert [(str(r.url), r.method) for r in partner.requests] == [(CALLBACK, "POST")]
    assert partner.bodies() == [{"reference": reference, "outcome": "admitted"}]  # yes/no, nothing else
    (item,) = _webhook_items(w)
    assert partner.requests[0].headers["idempotency-key"] == item.idempotency_key
    assert item.status == "done" and item.case_id == case_id
    (told,) = _rows(w, ReferrerNotification)
    assert (told.reference, told.outcome, told.notified_at) == (reference, "admitted", clock.now)
    run_outbox(w.svc)
    assert len(partner.requests) == 1 and len(_rows(w, ReferrerNotification)) == 1


def test_a_rejection_goes_to_the_global_webhook_as_not_admitted(svc: Services, clock: FakeClock) -> None:
    partner = Partner(200)
    w = _world(svc, clock, partner, referrer_webhook_url=GATEWAY, referrer_webhook_token="gateway-secret")
    case_id, reference = _refer(w, PARTNER, partner_channel(w.svc.settings, None))
    intake_case, _ = _refer(w, w.intake, None)  # intake's own phone referral: no webhook
    _decide(w, case_id, "rejected", "no_need")
    _decide(w, intake_case, "rejected", "no_trafficking")
    run_outbox(w.svc)
    assert partner.bodies() == [{"reference": reference, "outcome": "not_admitted"}]
    assert str(partner.requests[0].url) == GATEWAY
    assert partner.requests[0].headers["authorization"] == "Bearer gateway-secret"
    assert sorted(n.outcome for n in _rows(w, ReferrerNotification)) == ["not_admitted", "not_admitted"]


def test_a_public_form_referral_hears_through_its_status_code_only(svc: Services, clock: FakeClock) -> None:
    partner = Partner(204)
    w = _world(svc, clock, partner, referrer_webhook_url=GATEWAY)
    receipt = submit_public_referral(w.svc, parse_referral(referral_doc()), address="192.0.2.7")
    with UnitOfWork(w.svc.sessions) as uow:
        case_id = uow.session.scalars(select(Case.id).where(Case.reference == receipt.reference)).one()
        assert uow.session.get(Case, case_id).created_by == PUBLIC_REFERRER.username  # type: ignore[union-attr]
    _adopt(w, case_id)
    status = referral_status(w.svc, receipt.reference, receipt.status_code, address="192.0.2.7")
    assert status is not None and status.status == "received"
    _decide(w, case_id)
    run_outbox(w.svc)
    assert partner.requests == [] and _webhook_items(w) == []
    status = referral_status(w.svc, receipt.reference, receipt.status_code, address="192.0.2.7")
    assert status is not None and (status.status, status.changed_at) == ("admitted", clock.now)
    assert referral_status(w.svc, receipt.reference, "WRONG-CODE", address="192.0.2.7") is None


def test_a_failing_webhook_is_retried_with_one_key_then_becomes_an_incident(svc: Services, clock: FakeClock) -> None:
    partner = Partner(503, 503, 503, 204)
    w = _world(svc, clock, partner)  # the test settings: 3 attempts, back-off 10 s doubling
    case_id, _reference = _refer(w, PARTNER, partner_channel(w.svc.settings, CALLBACK))
    _decide(w, case_id)
    run_outbox(w.svc)
    (item,) = _webhook_items(w)
    assert (item.status, item.attempts) == ("pending", 1) and "503" in (item.last_error or "")
    assert run_outbox(w.svc) == 0  # backing off
    clock.advance(seconds=11)
    run_outbox(w.svc)
    clock.advance(seconds=21)
    run_outbox(w.svc)
    (item,) = _webhook_items(w)
    assert (item.status, item.attempts) == ("failed", 3)
    assert {r.headers["idempotency-key"] for r in partner.requests} == {item.idempotency_key}
    (incident,) = [i for i in _rows(w, Incident) if i.outbox_id == item.id]
    assert incident.status == "open" and "referrer_outcome failed after 3 attempt(s)" in incident.message
    assert incident.kind == "notification"
    assert len(_rows(w, ReferrerNotification)) == 1  # the status page knows, whatever the webhook did
    # Nothing in the case waits for the partner: its process is not stopped, its timers still fire.
    assert {i.status for i in _rows(w, ProcessInstance) if i.case_id == case_id} <= {"running", "completed"}

    retry_incident(w.svc, SUPERVISOR, incident.id)  # the supervisor retries: the partner is back
    run_outbox(w.svc)
    (item,) = _webhook_items(w)
    assert item.status == "done" and len(partner.requests) == 4


@pytest.mark.parametrize("status", [410, 302])
def test_a_refused_webhook_is_an_incident_at_once(svc: Services, clock: FakeClock, status: int) -> None:
    """A refusal is final; so is a redirect: it is never followed (it could lead to an address the URL
    check refused) and is not a delivery."""
    partner = Partner(status)
    w = _world(svc, clock, partner)
    case_id, _reference = _refer(w, PARTNER, partner_channel(w.svc.settings, CALLBACK))
    _decide(w, case_id)
    run_outbox(w.svc)
    (item,) = _webhook_items(w)
    assert (item.status, item.attempts, len(partner.requests)) == ("failed", 1, 1)
    assert any(i.outbox_id == item.id for i in _rows(w, Incident))


def test_the_same_message_is_recorded_once(svc: Services, clock: FakeClock) -> None:
    w = _world(svc, clock, Partner(204))
    case_id, reference = _refer(w, PARTNER, partner_channel(w.svc.settings, CALLBACK))
    _decide(w, case_id)
    (source,) = [i for i in _rows(w, OutboxItem) if i.name == "notify_referrer"]  # thrown, not yet run
    payload = {"case_reference": reference, "outcome": "admitted"}
    assert record_outcome(w.svc, outbox_id=source.id, payload=payload) == {"referrer": "admitted", "webhook": True}
    assert record_outcome(w.svc, outbox_id=source.id, payload=payload) == {"referrer": "already told"}
    assert record_outcome(w.svc, outbox_id=source.id, payload={"outcome": "maybe"}) == {"referrer": "nothing to tell"}
    assert len(_rows(w, ReferrerNotification)) == 1 and len(_webhook_items(w)) == 1


@pytest.mark.parametrize(
    ("url", "changes"),
    [
        ("http://partner.test/x", {"environment": "production"}),
        ("ftp://partner.test/x", {}),
        ("https://user:pw@partner.test/x", {}),
        ("https:///nohost", {}),
        ("https://elsewhere.test/x", {"referrer_callback_hosts": ("partner.test",)}),
        ("https://partner.test/" + "x" * 2000, {}),
    ],
)
def test_callback_urls_are_checked(settings: Settings, url: str, changes: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput) as refused:
        partner_channel(replace(settings, **changes), url)
    assert "callback_url" in refused.value.errors


def test_allowed_callback_urls(settings: Settings) -> None:
    allowed = replace(settings, referrer_callback_hosts=("partner.test",))
    assert partner_channel(allowed, " https://partner.test/x ").callback_url == "https://partner.test/x"
    assert partner_channel(settings, "http://partner.test/x").callback_url == "http://partner.test/x"  # not production


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "http://localhost:8000/api/v1/referrals",
        "https://LOCALHOST./hook",
        "https://10.0.0.5/hook",
        "https://192.168.1.1/hook",
        "https://100.64.0.1/hook",  # carrier-grade NAT
        "https://169.254.169.254/latest/meta-data/",  # cloud metadata
        "https://[::1]/hook",
        "https://[fe80::1]/hook",
        "https://[fd00::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",  # IPv4-mapped
        "https://[64:ff9b::a00:1]/hook",  # NAT64 of 10.0.0.1
        "https://[2002:7f00:1::]/hook",  # 6to4 of 127.0.0.1
        "https://224.0.0.1/hook",
        "https://0.0.0.0/hook",
        "https://2130706433/hook",  # 127.0.0.1 as one number: resolvers accept it
        "https://0x7f.1/hook",
        "https://127.1/hook",
        "https://db.internal/hook",
        "https://printer.local/hook",
        "https://router.home.arpa/hook",
        "https://partner.test/hook\r\nX-Injected: 1",  # header / request splitting
        "https://partner.test/hook\nHost: evil.test",
        "https://partner.test/a hook",
        "https://partner.test/\u00e4",
        "https://partner.test:99999/hook",
        "https://partner.test:port/hook",
    ],
)
def test_callback_urls_may_not_point_the_server_at_its_own_network(settings: Settings, url: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        partner_channel(settings, url)
    assert "callback_url" in refused.value.errors


def test_public_addresses_and_names_stay_allowed(settings: Settings) -> None:
    for url in ("https://93.184.216.34/hook", "https://[2606:4700::1111]/hook", "https://partner.test:8443/x?a=1"):
        assert partner_channel(settings, url).callback_url == url
    # The operator may name hosts inside a closed network; then those, and only those, are allowed.
    closed = replace(settings, referrer_callback_hosts=("gateway.internal", "10.20.0.5"))
    for url in ("https://gateway.internal/hook", "https://10.20.0.5/hook"):
        assert partner_channel(closed, url).callback_url == url
    with pytest.raises(InvalidInput):
        partner_channel(closed, "https://10.20.0.6/hook")


def test_the_gateway_token_goes_to_the_gateway_only(svc: Services, clock: FakeClock) -> None:
    partner = Partner(204)
    w = _world(svc, clock, partner, referrer_webhook_url=GATEWAY, referrer_webhook_token="gateway-secret")
    own, _ = _refer(w, PARTNER, partner_channel(w.svc.settings, CALLBACK))
    via_gateway, _ = _refer(w, PARTNER, partner_channel(w.svc.settings, None))
    _decide(w, own)
    _decide(w, via_gateway)
    run_outbox(w.svc)
    sent = {str(r.url): r.headers.get("authorization") for r in partner.requests}
    assert sent == {CALLBACK: None, GATEWAY: "Bearer gateway-secret"}


def test_a_stored_callback_to_a_private_address_is_refused_at_send(svc: Services, clock: FakeClock) -> None:
    """A channel recorded before the URL rules tightened is checked again when the outbox runs."""
    partner = Partner(204)
    w = _world(svc, clock, partner)
    case_id, reference = _refer(w, PARTNER, partner_channel(w.svc.settings, CALLBACK))
    with UnitOfWork(w.svc.sessions, write=True) as uow:
        channel = uow.session.scalars(select(ReferrerChannel).where(ReferrerChannel.reference == reference)).one()
        channel.callback_url = "https://169.254.169.254/latest/meta-data/"
        uow.commit()
    _decide(w, case_id)
    run_outbox(w.svc)
    (item,) = _webhook_items(w)
    assert partner.requests == [] and item.status == "failed" and "public host" in (item.last_error or "")
