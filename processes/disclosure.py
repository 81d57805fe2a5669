"""Small-cell suppression for published statistics: no client may be identifiable.

A count of 1 to 4 is a primary suppression, shown as "<5". Where a table publishes totals, a
single hidden cell could be recomputed from the total and its visible siblings, so in every
equation "total = sum of parts" with exactly one hidden member, the smallest non-zero visible
part (or the total) is hidden as well: a secondary suppression, shown as "x" (its value may be 5
or more, so "<5" would be false). Zeros stay visible: a zero reveals no person. The threshold
comes from codelists periods.small_cell_threshold (5).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

PRIMARY = "<5"
SECONDARY = "x"

Path = tuple[str, ...]


@dataclass(frozen=True)
class Equation:
    """total = sum(parts), all given as paths into the nested table."""

    total: Path
    parts: tuple[Path, ...]


def get(table: Mapping[str, Any], path: Path) -> int:
    node: Any = table
    for key in path:
        node = node[key]
    return int(node)


def _set(table: dict[str, Any], path: Path, value: Any) -> None:
    node: Any = table
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def leaves(table: Mapping[str, Any], prefix: Path = ()) -> list[Path]:
    """Every integer cell's path."""
    out: list[Path] = []
    for key, value in table.items():
        if isinstance(value, Mapping):
            out.extend(leaves(value, (*prefix, key)))
        elif isinstance(value, int) and not isinstance(value, bool):
            out.append((*prefix, key))
    return out


def suppress(
    table: dict[str, Any], equations: Sequence[Equation], *, threshold: int = 5, exempt: Sequence[Path] = ()
) -> tuple[dict[str, Any], set[Path], set[Path]]:
    """Return a copy of `table` with small cells and their complements hidden, and the two sets of
    hidden paths (primary, secondary). `exempt` cells are never hidden (e.g. counts of categories)."""
    import copy

    cells = [p for p in leaves(table) if p not in exempt]
    primary = {p for p in cells if 0 < get(table, p) < threshold}
    hidden = set(primary)
    changed = True
    while changed:
        changed = False
        for eq in equations:
            members = (eq.total, *eq.parts)
            if sum(1 for m in members if m in hidden) != 1:
                continue
            visible_parts = sorted(
                (p for p in eq.parts if p not in hidden and get(table, p) > 0), key=lambda p: (get(table, p), p)
            )
            if visible_parts:
                hidden.add(visible_parts[0])
            elif eq.total not in hidden:
                hidden.add(eq.total)
            else:
                continue
            changed = True
    out = copy.deepcopy(table)
    for p in hidden:
        _set(out, p, PRIMARY if p in primary else SECONDARY)
    return out, primary, hidden - primary
