"""Timing helpers: collect samples in milliseconds and summarise them."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Samples:
    """Wall-clock milliseconds, and the CPU milliseconds of the measuring thread alongside: on a
    machine shared with other jobs the wall clock also counts time the scheduler gave to others,
    the CPU clock does not (nor time waiting for the disk or the database server)."""

    name: str
    ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)

    def time(self, fn: Callable[[], Any]) -> Any:
        start, cpu = time.perf_counter_ns(), time.thread_time_ns()
        result = fn()
        self.cpu_ms.append((time.thread_time_ns() - cpu) / 1e6)
        self.ms.append((time.perf_counter_ns() - start) / 1e6)
        return result

    @property
    def median(self) -> float:
        return statistics.median(self.ms)

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.ms, n=100, method="inclusive")[94] if len(self.ms) > 1 else self.ms[0]

    @property
    def p99(self) -> float:
        return statistics.quantiles(self.ms, n=100, method="inclusive")[98] if len(self.ms) > 1 else self.ms[0]

    def summary(self) -> dict[str, float | int | str]:
        return {
            "name": self.name,
            "n": len(self.ms),
            "median_ms": round(self.median, 3),
            "p95_ms": round(self.p95, 3),
            "p99_ms": round(self.p99, 3),
            **({"cpu_median_ms": round(statistics.median(self.cpu_ms), 3)} if self.cpu_ms else {}),
        }


def table(rows: list[dict[str, Any]]) -> str:
    """A Markdown table of dict rows (same keys)."""
    if not rows:
        return ""
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(r.get(k, "")) for k in keys) + " |" for r in rows]
    return "\n".join(lines)
