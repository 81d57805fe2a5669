"""The `auttamo` console script, run as a user would, against a fresh database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import DATA, ROOT

AUTTAMO = [sys.executable, "-m", "cli.main"]


def run(args: list[str], env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*AUTTAMO, *args], capture_output=True, text=True, env=env, cwd=ROOT, input=stdin, timeout=120, check=False
    )


@pytest.fixture
def env(database_url: str) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("AUTTAMO_")}
    e.update(DATABASE_URL=database_url, AUTTAMO_ENV="test")
    return e


def test_migrate_users_token_deploy(env: dict[str, str], tmp_path: Path) -> None:
    assert run(["migrate"], env).returncode == 0
    r = run(
        ["users", "add", "olga", "--role", "process_owner,supervisor", "--team", "Helsinki", "--password-stdin"],
        env,
        stdin="a long enough password\n",
    )
    assert r.returncode == 0, r.stderr
    assert "process_owner, supervisor" in r.stdout
    r = run(["users", "add", "olga", "--role", "caseworker", "--password-stdin"], env, stdin="another long password\n")
    assert r.returncode == 2 and "already exists" in r.stderr
    r = run(["users", "add", "x", "--role", "wizard"], env)
    assert r.returncode == 2 and "Unknown role" in r.stderr
    r = run(["users", "token", "olga"], env)
    assert r.returncode == 0 and r.stdout.strip().startswith("aut_")

    r = run(["deploy", str(DATA / "case_flow")], env)
    assert r.returncode == 0, r.stderr
    assert "case_flow version 1 deployed" in r.stdout
    r = run(["deploy", str(DATA / "case_flow")], env)
    assert "case_flow version 1 unchanged" in r.stdout

    broken = tmp_path / "broken"
    broken.mkdir()
    for f in (DATA / "case_flow").iterdir():
        content = f.read_bytes().replace(b'"P30D"', b"P30D")
        if f.name != "assess-schema.json":
            (broken / f.name).write_bytes(content)
    r = run(["deploy", str(broken)], env)
    assert r.returncode == 2
    assert "nothing was deployed" in r.stderr
    assert "element assess_overdue" in r.stderr and "[timer-unquoted]" in r.stderr
    assert "element assess" in r.stderr and "[form-file-missing]" in r.stderr
    r = run(["deploy", str(tmp_path / "missing")], env)
    assert r.returncode == 2 and "no such file" in r.stderr


def test_production_requires_a_secret(env: dict[str, str]) -> None:
    env = {**env, "AUTTAMO_ENV": "production"}
    r = run(["migrate"], env)
    assert r.returncode == 2 and "AUTTAMO_SECRET_KEY" in r.stderr


def test_stats_json_and_csv(env: dict[str, str]) -> None:
    assert run(["migrate"], env).returncode == 0
    r = run(["stats", "2026"], env)
    assert r.returncode == 0, r.stderr
    import json

    tables = json.loads(r.stdout)
    assert set(tables) == {
        "applications",
        "decisions",
        "new_clients",
        "exploitation",
        "victimised_in_finland",
        "clients_at_year_end",
        "applications_by_year",
        "anonymous_consultations",
    }
    r = run(["stats", "2026", "--format", "csv", "--publish"], env)
    assert r.returncode == 0 and r.stdout.splitlines()[0] == "table,key,value"
    assert "decisions.rejected,no_need,0" in r.stdout
    assert run(["stats", "1850"], env).returncode == 2
