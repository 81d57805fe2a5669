"""The team inbox's index after migration 0010, its use by the inbox's plan, and PostgreSQL's JIT."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.dialects import sqlite

from services.context import Actor, Services
from services.inbox import InboxQuery, inbox_statements

INDEX = "ix_human_task_assignee_status_case"


def test_the_team_inbox_index_exists_after_migration(svc: Services) -> None:
    indexes = {ix["name"]: ix["column_names"] for ix in inspect(svc.db).get_indexes("human_task")}
    assert indexes[INDEX] == ["assignee", "status", "case_id"]
    assert "ix_human_task_assignee_status" not in indexes  # replaced: its columns are this one's prefix
    with svc.db.connect() as conn:
        assert conn.scalar(text("SELECT version_num FROM alembic_version")) >= "0010"


def test_sqlite_plans_the_team_view_by_case_without_statistics(svc: Services) -> None:
    """SQLite gets no ANALYZE in production: the plan must probe the index per visible case even so,
    never walk every open task of the lane in the country (what it did before 0010)."""
    if svc.db.dialect.name != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's; PostgreSQL plans from statistics (bench/inbox)")
    actor = Actor("carl", frozenset({"caseworker"}), team_id=1)
    page, _count = inbox_statements(actor, InboxQuery(scope="team"), svc.now())
    sql = str(page.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    with svc.db.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")) == 0
        plan = [row[-1] for row in conn.execute(text("EXPLAIN QUERY PLAN " + sql))]
    searches = [step for step in plan if step.startswith(("SEARCH human_task ", "SCAN human_task"))]
    assert searches and all("(assignee=? AND status=? AND case_id=?)" in step for step in searches[:2]), plan
    assert not any("MULTI-INDEX OR" in step for step in plan), plan


def test_postgresql_connections_run_without_jit(svc: Services) -> None:
    if svc.db.dialect.name != "postgresql":
        pytest.skip("JIT is PostgreSQL's")
    with svc.db.connect() as conn:
        assert conn.scalar(text("SHOW jit")) == "off"
        assert conn.scalar(text("SELECT current_schema()")).startswith("auttamo_test_")  # options kept
