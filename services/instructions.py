"""Render a task's `instructionsForEndUser` (Jinja2 text written by the process owner) with its data.

The result is plain text / Markdown source, not HTML: autoescape is off here and whoever displays it
escapes or renders Markdown safely. The template is process-owner input and the data is case data,
so it runs in Jinja's sandbox with budgets: loops over `range` are counted, output is capped, and
multiplying strings or lists is bounded. Anything that fails falls back to the raw text, because a
broken instruction must never stop a caseworker from opening the task.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from jinja2 import TemplateError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

log = logging.getLogger("auttamo.instructions")

MAX_OUTPUT = 20_000  # characters of rendered instructions
MAX_LOOP_STEPS = 10_000  # items produced by range() in one rendering
MAX_PRODUCT = 100_000  # length of a string or list made by * or **


class _BudgetExceeded(SecurityError):
    pass


class _InstructionsEnvironment(SandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > 100:
            raise _BudgetExceeded("exponent too large")
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(n, int) and len(seq) * n > MAX_PRODUCT:
                    raise _BudgetExceeded("result too large")
        return super().call_binop(context, operator, left, right)


def _counted_range() -> Any:
    steps = 0

    def bounded(*args: int) -> Iterator[int]:
        nonlocal steps
        for value in range(*args):
            steps += 1
            if steps > MAX_LOOP_STEPS:
                raise _BudgetExceeded("too many loop steps")
            yield value

    return bounded


@cache
def _environment() -> _InstructionsEnvironment:
    return _InstructionsEnvironment(autoescape=False)


def render_instructions(text: str | None, data: Mapping[str, Any]) -> str | None:
    """The instructions rendered against the task data; the raw text when rendering fails."""
    if not text:
        return text
    try:
        template = _environment().from_string(text)
        out: list[str] = []
        size = 0
        for chunk in template.generate({**data, "range": _counted_range()}):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise _BudgetExceeded("output too long")
            out.append(chunk)
        return "".join(out)
    except (TemplateError, ArithmeticError, TypeError, ValueError, AttributeError, LookupError, RecursionError) as exc:
        log.info("instructions fell back to the raw text: %s", exc)
        return text
