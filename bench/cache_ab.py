"""`python -m bench.cache_ab [--rounds 8] [--instances 30] [--postgres]`: task completion with and
without the restored-workflow cache (engine.workflow_cache), interleaved round by round on one
database so a shared machine's load falls on both alike; with the empty durable commit and bare
SpiffWorkflow's persisted step (deserialize + complete + serialize, in memory) measured in the same
rounds. Prints per-round medians, the medians over all rounds, and the engine-overhead ratio
(completion minus empty commit, over the bare persisted step), by the wall clock and by the CPU
time of the benchmark's thread (`_cpu`: what other jobs on a shared machine do not inflate).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
from pathlib import Path
from typing import Any

from bench import bare_spiff
from bench.engine_bench import (
    CASE_FLOW,
    THREE_USER_TASKS,
    WORKLOADS,
    Workload,
    deploy_workload,
    empty_commit,
    run_services,
)
from bench.run import bench_services
from bench.stats import Samples
from engine.workflow_cache import DEFAULT_SIZE


def _medians(samples: Samples) -> tuple[float, float]:
    return float(statistics.median(samples.ms)), float(statistics.median(samples.cpu_ms))


def _round(svc: Any, workload: Workload, instances: int, cache: bool) -> tuple[float, float]:
    svc.engine.workflows.size = DEFAULT_SIZE if cache else 0
    svc.engine.workflows.clear()
    return _medians(run_services(svc, workload, instances, warm=2)["complete"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--instances", type=int, default=30)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    results: dict[str, Any] = {"load_average_start": os.getloadavg()}
    with bench_services(args.postgres, "ab") as svc:
        for workload in (THREE_USER_TASKS, CASE_FLOW):
            deploy_workload(svc, workload)
            rounds: list[dict[str, float]] = []
            for r in range(args.rounds):
                order = (False, True) if r % 2 == 0 else (True, False)
                row: dict[str, float] = {}
                for cache in order:
                    mode = "cache" if cache else "no_cache"
                    row[mode], row[f"{mode}_cpu"] = _round(svc, workload, args.instances, cache)
                row["empty_commit"], row["empty_commit_cpu"] = _medians(empty_commit(svc, 30))
                folder = WORKLOADS / workload.folder
                bare = bare_spiff.run_persisted(folder, workload.process_id, workload.answers, 30)
                row["bare_persisted"], row["bare_persisted_cpu"] = _medians(bare)
                rounds.append(row)
                print(workload.folder, r, json.dumps({k: round(v, 3) for k, v in row.items()}), flush=True)
            med: dict[str, Any] = {k: round(statistics.median(x[k] for x in rounds), 3) for k in rounds[0]}
            for mode in ("no_cache", "cache"):
                for clock in ("", "_cpu"):
                    overhead = med[mode + clock] - med["empty_commit" + clock]
                    med[f"overhead_ratio_{mode}{clock}"] = round(overhead / med["bare_persisted" + clock], 2)
            med["cache_hits"], med["cache_misses"] = svc.engine.workflows.hits, svc.engine.workflows.misses
            results[workload.folder] = med
            print(workload.folder, "medians", json.dumps(med), flush=True)
    results["load_average_end"] = os.getloadavg()
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / f"cache_ab_{'postgresql' if args.postgres else 'sqlite'}.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
