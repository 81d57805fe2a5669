"""`auttamo demo`: demo users for every role, one team, the processes in bpmn/ deployed, and about 30
sample cases spread over every stage (cli/demo_cases.py; only on a database without cases)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

from sqlalchemy import select

from cli.demo_cases import seed_cases
from cli.demo_consultations import seed_consultations
from cli.main import collect_files
from config import Settings
from services.context import SYSTEM, Services
from services.deploy import deploy
from services.uow import UnitOfWork
from services.users import add_user
from store.models import User

DEMO_USERS = [
    ("intake", "intake"),
    ("caseworker", "caseworker"),
    ("caseworker2", "caseworker"),
    ("decider", "decider"),
    ("supervisor", "supervisor"),
    ("owner", "process_owner"),
    ("admin", "admin"),
    ("referrer", "referrer"),
]
DEMO_TEAM = "Helsinki"


def demo_password(settings: Settings) -> str:
    """AUTTAMO_DEMO_PASSWORD if set; otherwise (not in production) a random one kept in var/,
    outside git, so no password is ever fixed in the repository."""
    password = os.environ.get("AUTTAMO_DEMO_PASSWORD")
    if password:
        return password
    if settings.is_production:
        raise SystemExit("set AUTTAMO_DEMO_PASSWORD to seed demo users in production")
    path = settings.project_root / "var" / "demo-password.txt"
    if path.is_file():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(12)
    path.write_text(password + "\n")
    path.chmod(0o600)
    return password


def seed_demo(svc: Services) -> Iterator[str]:
    password = demo_password(svc.settings)
    with UnitOfWork(svc.sessions) as uow:
        existing = set(uow.session.scalars(select(User.username)).all())
    for username, role in DEMO_USERS:
        if username in existing:
            continue
        team = DEMO_TEAM if role in ("intake", "caseworker", "decider") else None
        add_user(svc, username, [role], password=password, team=team, display_name=username.title())
        yield f"user {username} ({role})"
    yield f"demo users' password: {password}  (kept in var/demo-password.txt; AUTTAMO_DEMO_PASSWORD overrides)"
    yield from seed_consultations(svc, "intake")
    root = svc.settings.project_root
    paths = [str(p) for p in (root / "bpmn", root / "forms" / "schemas") if p.is_dir()]
    files = collect_files(paths) if paths else []
    if any(f.name.endswith(".bpmn") for f in files):
        result = deploy(svc, SYSTEM, files, change_note="demo")
        for v in result.versions:
            yield f"{v.process_id} version {v.version} {'deployed' if v.created else 'unchanged'}"
        if any(v.process_id == "client_case" for v in result.versions):
            yield from seed_cases(svc.settings, svc.now(), DEMO_TEAM)
