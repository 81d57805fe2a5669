"""Data at rest is sealed: a database dump without the key reveals no names, and a key rotation
keeps everything readable."""

from __future__ import annotations

import pytest
from database_dump import database_dump
from support import INTAKE, SUPERVISOR
from support_api import referral

from services.cases import get_case
from services.context import Services
from services.keys import rotate_keys
from services.referrals import parse_referral, submit_referral
from store import crypto
from store.crypto import KeyRing, generate_key

NAME = "Zyxwvu Tester"


def _submit(svc: Services) -> int:
    doc = referral(
        client={**referral()["client"], "given_names": "Zyxwvu", "family_name": "Tester"},
        description="Secret narrative about Zyxwvu's health",
    )
    return submit_referral(svc, INTAKE, parse_referral(doc)).case_id


def test_a_dump_without_the_key_reveals_no_name(svc: Services) -> None:
    case_id = _submit(svc)
    assert get_case(svc, SUPERVISOR, case_id, via="api").client["given_names"] == "Zyxwvu"  # readable with the key
    dump = database_dump(svc)
    assert "Zyxwvu" not in dump and "Secret narrative" not in dump
    assert crypto.PREFIX in dump


def test_key_rotation_keeps_data_readable(svc: Services) -> None:
    case_id = _submit(svc)
    old = crypto.ring()
    assert old is not None
    new_key = generate_key()
    crypto.configure(KeyRing.from_texts(new_key, svc.settings.encryption_key))
    try:
        report = rotate_keys(svc)
        assert report.resealed["client_case"] == 1 and report.resealed["audit_event"] >= 1
        assert rotate_keys(svc).total == 0  # nothing left under the old key
        crypto.configure(KeyRing.from_texts(new_key))  # the old key is gone now
        assert get_case(svc, SUPERVISOR, case_id, via="api").client["family_name"] == "Tester"
        crypto.configure(KeyRing.from_texts(svc.settings.encryption_key))
        with pytest.raises(crypto.KeyError_):  # the old key alone can no longer open the data
            get_case(svc, SUPERVISOR, case_id, via="api")
    finally:
        crypto.configure(old)
