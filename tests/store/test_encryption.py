"""Data at rest is sealed: a database dump without the key reveals no names, and a key rotation
keeps everything readable."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from support import INTAKE, SUPERVISOR
from support_api import referral

from services.cases import get_case
from services.context import Services
from services.keys import rotate_keys
from services.referrals import parse_referral, submit_referral
from store import crypto
from store.crypto import KeyRing, generate_key

NAME = "Zyxwvu Tester"


def _dump(svc: Services) -> str:
    """Everything the database holds, as text (what a stolen dump would show)."""
    url = svc.settings.database_url
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        svc.db.dispose()
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*")).decode("latin-1")
    engine = create_engine(url)
    out = []
    with engine.connect() as conn:
        tables = [
            r[0] for r in conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"))
        ]
        for t in tables:
            out.extend(str(r[0]) for r in conn.execute(text(f"SELECT t::text FROM {t} t")))
    engine.dispose()
    return "\n".join(out)


def _submit(svc: Services) -> int:
    doc = referral(
        client={**referral()["client"], "given_names": "Zyxwvu", "family_name": "Tester"},
        description="Secret narrative about Zyxwvu's health",
    )
    return submit_referral(svc, INTAKE, parse_referral(doc)).case_id


def test_a_dump_without_the_key_reveals_no_name(svc: Services) -> None:
    case_id = _submit(svc)
    assert get_case(svc, SUPERVISOR, case_id, via="api").client["given_names"] == "Zyxwvu"  # readable with the key
    dump = _dump(svc)
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
