"""`python -m bench.profile_completion [--workload three_user_tasks|case_flow] [--postgres] [--encrypted] [--cpu]`:
where the time of one task completion goes, by cProfile over many completions through the services
layer (the same use case `bench.run` times). Prints the top functions by cumulative time, and the
share of the phases: restore, the engine step, serialize, projection, encryption, SQL.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time

from bench.engine_bench import CASE_FLOW, OWNER, THREE_USER_TASKS, WORKER, _open_task, files
from bench.run import bench_services
from services.deploy import deploy
from services.instances import start_instance
from services.tasks import complete_task
from store import crypto

# (phase, function name as cProfile lists it: "file:line(name)" must contain this)
PHASES = [
    ("restore (deserialize + attach spec)", "services/runtime.py", "restore"),
    ("engine step (complete + run to next wait)", "engine/runner.py", "complete_task"),
    ("snapshot (serialize + read projections)", "engine/runner.py", "snapshot"),
    ("  of which serialize", "engine/serializer.py", "dumps"),
    ("apply_snapshot (inbox, timers, subscriptions, outbox)", "services/projection.py", "apply_snapshot"),
    ("form validation", "forms/", "validate_form"),
    ("encryption (seal + open)", "store/crypto.py", "seal"),
    ("  open", "store/crypto.py", "open"),
    ("SQL round trips (cursor.execute)", "sqlalchemy/engine/default.py", "do_execute"),
    ("commit", "sqlalchemy/engine/default.py", "do_commit"),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workload", choices=["three_user_tasks", "case_flow"], default="three_user_tasks")
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--encrypted", action="store_true", help="seal state with a fresh key, as in production")
    parser.add_argument("--instances", type=int, default=200)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--cpu", action="store_true", help="profile CPU time (time.thread_time), not the wall clock")
    args = parser.parse_args()
    workload = THREE_USER_TASKS if args.workload == "three_user_tasks" else CASE_FLOW
    if args.encrypted:
        crypto.configure(crypto.KeyRing.from_texts(crypto.generate_key()))
    profile = cProfile.Profile(time.thread_time) if args.cpu else cProfile.Profile()
    completions = 0
    with bench_services(args.postgres, "profile") as svc:
        deploy(svc, OWNER, files(workload))
        for i in range(args.instances + 10):
            info = start_instance(svc, OWNER, workload.process_id, dict(workload.start_data))
            for answer in workload.answers:
                task_id = _open_task(svc, info.id)
                assert task_id is not None
                if i < 10:  # warm-up
                    complete_task(svc, WORKER, task_id, answer)
                    continue
                profile.enable()
                complete_task(svc, WORKER, task_id, answer)
                profile.disable()
                completions += 1
    stats = pstats.Stats(profile)
    total = sum(v[3] for v in stats.stats.values() if v[3] > 0)  # type: ignore[attr-defined]
    whole = max(v[3] for (f, _l, name), v in stats.stats.items() if name == "complete_task" and "services" in f)  # type: ignore[attr-defined]
    print(f"{completions} completions, {whole / completions * 1000:.3f} ms each under cProfile (total {total:.1f}s)")
    for label, file_part, name in PHASES:
        cum = sum(
            v[3]
            for (f, _l, fn), v in stats.stats.items()  # type: ignore[attr-defined]
            if fn == name and file_part in f
        )
        print(f"  {label:55s} {cum / completions * 1000:7.3f} ms  {cum / whole * 100:5.1f}%")
    stats.sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
