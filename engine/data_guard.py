"""Can this task data be stored? Checked after every script, before SpiffWorkflow copies the data on.

A script can build what the instance row cannot hold: a 50 MB string, a list nested ten thousand
deep (JSON encoding and SpiffWorkflow's deep copies recurse), a `set` or other object JSON has no
form for, an integer of more digits than Python will print. Caught at the end of the script, it is
a script error on that script task (an incident a supervisor retries after a fix), and the data
never reaches the serializer. The walk is iterative, stops at the first problem, and charges every
reference again (JSON writes a shared value out once per reference, so a list of one big string
repeated is big).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

MAX_DATA_BYTES = 1_000_000  # one task's data, roughly as JSON: forms cap their fields far below this
MAX_DATA_DEPTH = 100  # nesting of lists and dicts; JSON encoding and deepcopy recurse per level
MAX_INT_BITS = 13_000  # Python refuses to print integers past 4,300 digits (about 14,000 bits)
REGISTERED = (datetime, timedelta, UUID)  # SpiffWorkflow's serializer converts these itself
SCALAR_COST = 8


def storable_problem(
    data: dict[str, Any], *, max_bytes: int = MAX_DATA_BYTES, max_depth: int = MAX_DATA_DEPTH
) -> str | None:
    """None when `data` can be stored; otherwise what is wrong with it, in plain words."""
    budget = max_bytes
    stack: list[tuple[Any, int, str]] = [(value, 1, str(key)) for key, value in data.items()]
    while stack:
        value, depth, name = stack.pop()
        if isinstance(value, str):
            budget -= len(value) + 2
        elif value is None or isinstance(value, (bool, float)):
            budget -= SCALAR_COST
        elif isinstance(value, int):
            if value.bit_length() > MAX_INT_BITS:
                return f"the variable {name!r} holds a number too large to store"
            budget -= SCALAR_COST
        elif isinstance(value, (list, tuple, dict)):
            if depth > max_depth:
                return f"the variable {name!r} is nested more than {max_depth} levels deep"
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if not isinstance(key, (str, int, float, bool)) and key is not None:
                    return f"the variable {name!r} has a dict key of type {type(key).__name__}; use text keys"
                budget -= len(key) + 4 if isinstance(key, str) else SCALAR_COST
                stack.append((item, depth + 1, name))
        elif isinstance(value, REGISTERED):
            budget -= 4 * SCALAR_COST
        else:
            return (
                f"the variable {name!r} holds a {type(value).__name__}, which cannot be stored; "
                "use text, numbers, true/false, lists and dicts"
            )
        if budget < 0:
            return f"the task's data is larger than the limit of {max_bytes:,} bytes (see the variable {name!r})"
    return None
