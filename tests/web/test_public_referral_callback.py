"""POST /api/v1/referrals with a `callback_url`: where a partner system hears the outcome (yes/no only)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from support_api import referral, user

from services.context import Services
from services.uow import UnitOfWork
from store.models import Case, ReferrerChannel
from web.app import create_app


def test_a_partner_names_its_callback_and_the_case_file_does_not_keep_it(svc: Services) -> None:
    with TestClient(create_app(svc.settings, services=svc)) as client:
        partner = user(svc, "police_api", ["referrer"])
        intake = user(svc, "ida", ["intake"])
        body = {**referral(), "callback_url": "https://partner.test/outcome?id=7"}
        r = client.post("/api/v1/referrals", json=body, headers=partner)
        assert r.status_code == 201, r.text
        assert set(r.json()) == {"case_id", "reference"}
        plain = client.post("/api/v1/referrals", json=referral(), headers=partner)
        by_intake = client.post("/api/v1/referrals", json=referral(), headers=intake)
        bad = client.post("/api/v1/referrals", json={**referral(), "callback_url": "ftp://x.test/"}, headers=partner)
        assert bad.status_code == 422 and "callback_url" in bad.text
        unknown = client.post("/api/v1/referrals", json={**referral(), "callback": "https://x.test"}, headers=partner)
        assert unknown.status_code == 422  # unknown fields are still refused
    with UnitOfWork(svc.sessions) as uow:
        channels = {c.reference: c for c in uow.session.scalars(select(ReferrerChannel))}
        case = uow.session.get(Case, r.json()["case_id"])
        assert case is not None and "callback_url" not in case.facts["referral"]
    assert channels[r.json()["reference"]].callback_url == "https://partner.test/outcome?id=7"
    assert channels[plain.json()["reference"]].callback_url is None  # the global webhook, if one is set
    assert by_intake.json()["reference"] not in channels  # intake tells its phone referrer itself
    assert {c.channel for c in channels.values()} == {"partner_api"}


def test_a_callback_into_the_servers_own_network_is_a_422(svc: Services) -> None:
    with TestClient(create_app(svc.settings, services=svc)) as client:
        partner = user(svc, "police_api", ["referrer"])
        for url in ("https://169.254.169.254/latest/meta-data/", "http://127.0.0.1:5432/", "https://x.test/\r\nA: b"):
            r = client.post("/api/v1/referrals", json={**referral(), "callback_url": url}, headers=partner)
            assert r.status_code == 422 and "callback_url" in r.text, (url, r.text)
    with UnitOfWork(svc.sessions) as uow:
        assert uow.session.scalars(select(ReferrerChannel)).all() == []
        assert uow.session.scalars(select(Case)).all() == []  # refused before anything was kept
