"""The scale-out benchmark (bench/load) as a smoke test on PostgreSQL: a few hundred cases, real
`auttamo serve` processes (1, then 2 behind the round-robin client) and real `auttamo worker` processes
(1, then 2) against one database, for a couple of seconds each. No timing is asserted: the run must
work end to end, every request must succeed, every timer must fire, and memory must be readable.
The full run (100,000 cases, 10,000 timers) is `python -m bench.load.run`.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bench.load.run import load_runs, report, timer_runs
from services.context import Services
from services.uow import UnitOfWork
from store.models import AuditEvent

POSTGRES_ONLY = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@POSTGRES_ONLY
def test_load_and_workers_smoke(svc: Services, tmp_path: Path) -> None:
    traffic = load_runs(svc, cases=300, working_per_team=1, clients=3, seconds=1.5, logs=tmp_path, forked=True)
    kinds = Counter(row["kind"] for row in traffic["traffic"])
    assert kinds["inbox"] == 2 and kinds["case"] == 2, traffic["traffic"]
    for setup in ("1 server process", "2 server processes"):
        assert traffic[setup]["errors"] == [], traffic[setup]
        assert all(key.endswith(" 200") for key in traffic[setup]["statuses"]), traffic[setup]["statuses"]
    assert all(m["rss_mib"] > 10 for m in traffic["memory"])
    workers = timer_runs(svc, timers=60, workers=(1, 2), logs=tmp_path, forked=True)
    assert [row["timers"] for row in workers["timers"]] == [60, 60]
    with UnitOfWork(svc.sessions) as uow:
        fired = uow.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "timer_fired"))
    assert fired == 120
    print("\n" + report({**traffic, "workers": workers, "config": {"clients": 3, "seconds": 1.5, "timers": 60}}))
