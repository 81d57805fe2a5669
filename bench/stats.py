"""Timing helpers: collect samples in milliseconds and summarise them."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Samples:
    name: str
    ms: list[float] = field(default_factory=list)

    def time(self, fn: Callable[[], Any]) -> Any:
        start = time.perf_counter_ns()
        result = fn()
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
        }


def table(rows: list[dict[str, Any]]) -> str:
    """A Markdown table of dict rows (same keys)."""
    if not rows:
        return ""
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(r.get(k, "")) for k in keys) + " |" for r in rows]
    return "\n".join(lines)
