"""The script environment every BPMN script, condition and expression runs in.

SpiffWorkflow's default `TaskDataEnvironment` is plain `eval`/`exec` with full builtins, and
`safe_globals` alone can be escaped (notes/spiffworkflow.md section 5). Here every source is compiled
by RestrictedPython with guards, and a per-thread trace budget stops runaway loops. The budget is a
`sys.settrace` hook, not SIGALRM, because the server runs engine steps in worker threads where
signals cannot be used.
"""

from __future__ import annotations

import ast
import datetime
import json
import math
import sys
import threading
import time
from collections.abc import Callable, Mapping
from types import CodeType, FrameType, ModuleType
from typing import Any, ClassVar

from RestrictedPython import (  # type: ignore[attr-defined]
    compile_restricted_eval,
    compile_restricted_exec,
    limited_builtins,
    safe_builtins,
    utility_builtins,
)
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from RestrictedPython.transformer import RestrictingNodeTransformer
from SpiffWorkflow.bpmn.script_engine import TaskDataEnvironment  # type: ignore[import-untyped]

from engine.data_guard import MAX_DATA_BYTES, MAX_DATA_DEPTH, storable_problem
from engine.errors import ScriptError, ScriptTimeout

MAX_RANGE = 100_000  # a C-level loop cannot be interrupted by the trace hook, so cap its size
MAX_SEQUENCE_REPEAT = 1_000_000  # characters/items a `*` repetition may produce


class _BudgetSpent(BaseException):
    """Raised by the trace hook. A BaseException, so `except Exception` in a script cannot catch it,
    and bare `except:` is refused at compile time (the trace hook is switched off by Python after it
    raises once, so a script that swallowed it would run on unbudgeted)."""


class _Policy(RestrictingNodeTransformer):  # type: ignore[misc]
    """RestrictedPython's policy, plus: no bare `except:` (it would swallow the time limit), and
    `**`, `*`, `<<` and `+` go through size guards (one C-level operation cannot be interrupted, and
    `s = s + s` doubles memory on every line)."""

    GUARDED: ClassVar[dict[type, str]] = {
        ast.Pow: "_pow_guard_",
        ast.Mult: "_mul_guard_",
        ast.LShift: "_lshift_guard_",
        ast.Add: "_add_guard_",
    }

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        node = self.node_contents_visit(node)
        guard = self.GUARDED.get(type(node.op))
        if guard is None:
            return node
        func = ast.copy_location(ast.Name(id=guard, ctx=ast.Load()), node)
        call = ast.copy_location(ast.Call(func=func, args=[node.left, node.right], keywords=[]), node)
        return ast.fix_missing_locations(call)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> Any:
        if node.type is None:
            self.error(
                node, "a bare 'except:' is not allowed in BPMN scripts; name the exception, e.g. 'except ValueError:'"
            )
        return super().visit_ExceptHandler(node)


def _no_import(*_args: object, **_kwargs: object) -> None:
    raise ImportError("imports are not allowed in BPMN scripts; ask a developer for a helper function")


def _bounded_range(*args: int) -> range:
    r = range(*args)
    if len(r) > MAX_RANGE:
        raise ValueError(f"range() is limited to {MAX_RANGE} items in BPMN scripts")
    return r


def _inplace(op: str, x: Any, y: Any) -> Any:
    """`x op= y` for the operators scripts need; RestrictedPython routes augmented assignment here."""
    ops: dict[str, Callable[[Any, Any], Any]] = {
        "+=": lambda a, b: _checked_add(a, b),
        "-=": lambda a, b: a - b,
        "*=": lambda a, b: _checked_mul(a, b),
        "/=": lambda a, b: a / b,
        "//=": lambda a, b: a // b,
        "%=": lambda a, b: a % b,
        "|=": lambda a, b: a | b,
        "&=": lambda a, b: a & b,
    }
    if op not in ops:
        raise ScriptError(f"operator {op} is not allowed in BPMN scripts")
    return ops[op](x, y)


def _checked_mul(a: Any, b: Any) -> Any:
    if isinstance(a, (str, bytes, list, tuple)) and isinstance(b, int) and len(a) * b > MAX_SEQUENCE_REPEAT:
        raise ValueError("repetition result too large")
    return a * b


def _checked_add(a: Any, b: Any) -> Any:
    sized = (str, bytes, list, tuple)
    if isinstance(a, sized) and isinstance(b, sized) and len(a) + len(b) > MAX_SEQUENCE_REPEAT:
        raise ValueError(f"joining text or lists past {MAX_SEQUENCE_REPEAT:,} items is not allowed in BPMN scripts")
    return a + b


def _guarded_getattr(obj: Any, name: str, default: Any = None) -> Any:
    """safer_getattr, and never a module: `datetime.sys.modules['os']` must not reach the OS."""
    value = safer_getattr(obj, name, default)  # type: ignore[no-untyped-call]
    if isinstance(value, ModuleType):
        raise ScriptError(f"attribute {name!r} is a module; modules cannot be reached from BPMN scripts")
    return value


MAX_POW_BITS = 100_000  # results past ~30,000 decimal digits are refused before they are computed


def _guarded_pow(base: Any, exponent: Any) -> Any:
    big = isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1
    if big and abs(base).bit_length() * exponent > MAX_POW_BITS:
        raise ValueError("power too large for a BPMN script")
    return base**exponent


def _guarded_lshift(value: Any, shift: Any) -> Any:
    if isinstance(shift, int) and shift > MAX_POW_BITS:
        raise ValueError("shift too large for a BPMN script")
    return value << shift


def _guarded_write(obj: Any) -> Any:
    # Task data is plain dicts and lists: allow writing to those, refuse attribute writes on anything else.
    if isinstance(obj, (dict, list)):
        return obj
    return full_write_guard(obj)


def _build_builtins() -> dict[str, Any]:
    builtins: dict[str, Any] = {}
    # Copies, never the module-level dicts: mutating RestrictedPython's safe_builtins would leak
    # into every other user of the library (spiff-arena's mistake, notes section 5).
    builtins.update(safe_builtins)
    builtins.update(limited_builtins)
    builtins.update(utility_builtins)
    for fn in (sum, min, max, any, all, enumerate, sorted, dict, list, map, filter, reversed, zip):
        builtins[fn.__name__] = fn
    builtins["range"] = _bounded_range
    builtins["__import__"] = _no_import
    for dangerous in (
        "getattr",
        "setattr",
        "delattr",
        "vars",
        "dir",
        "open",
        "compile",
        "eval",
        "exec",
        "BaseException",
        "SystemExit",
        "KeyboardInterrupt",
        "GeneratorExit",
    ):
        builtins.pop(dangerous, None)  # without BaseException no handler can name what the time limit raises
    return builtins


def base_globals() -> dict[str, Any]:
    """The whitelist: guards plus a few pure helper modules."""
    return {
        "__builtins__": _build_builtins(),
        "_getattr_": _guarded_getattr,
        "_pow_guard_": _guarded_pow,
        "_mul_guard_": _checked_mul,
        "_lshift_guard_": _guarded_lshift,
        "_add_guard_": _checked_add,
        "_write_": _guarded_write,
        "_getitem_": default_guarded_getitem,
        "_getiter_": default_guarded_getiter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_inplacevar_": _inplace,
        "_print_": None,
        "datetime": datetime,
        "json": json,
        "math": math,
    }


class _Budget:
    """A wall-clock and line budget for one engine step, enforced by a per-thread trace hook.

    Once spent, it raises `_BudgetSpent`, which scripts cannot catch (see there).
    """

    def __init__(self, seconds: float, max_lines: int) -> None:
        self.deadline = time.monotonic() + seconds
        self.lines_left = max_lines
        self.seconds = seconds
        self.spent = False

    def tracer(self, frame: FrameType, event: str, _arg: object) -> Any:
        if event == "line" or event == "call":
            self.lines_left -= 1
            # Reading the clock on every line costs; check it every 256 lines.
            if not self.spent and (
                self.lines_left <= 0 or (self.lines_left & 0xFF == 0 and time.monotonic() > self.deadline)
            ):
                self.spent = True
            if self.spent:
                raise _BudgetSpent
        return self.tracer


class RestrictedScriptEnvironment(TaskDataEnvironment):  # type: ignore[misc]
    """A `TaskDataEnvironment` that compiles with RestrictedPython and runs under a time budget."""

    COMPILE_CACHE_SIZE = 2048

    def __init__(
        self,
        helpers: Mapping[str, Any] | None = None,
        *,
        time_limit: float = 1.0,
        max_lines: int = 2_000_000,
        max_data_bytes: int = MAX_DATA_BYTES,
        max_data_depth: int = MAX_DATA_DEPTH,
    ) -> None:
        super().__init__({**base_globals(), **(helpers or {})})
        self.time_limit = time_limit
        self.max_lines = max_lines
        self.max_data_bytes = max_data_bytes
        self.max_data_depth = max_data_depth
        self._cache: dict[tuple[str, str], CodeType] = {}
        self._lock = threading.Lock()

    # --- compilation -------------------------------------------------------------------------
    def _compile(self, mode: str, source: str) -> CodeType:
        key = (mode, source)
        code = self._cache.get(key)
        if code is not None:
            return code
        fn = compile_restricted_eval if mode == "eval" else compile_restricted_exec
        result = fn(source, policy=_Policy)
        if result.errors or result.code is None:
            raise ScriptError("; ".join(result.errors) or "the script could not be compiled")
        compiled: CodeType = result.code
        with self._lock:
            if len(self._cache) >= self.COMPILE_CACHE_SIZE:
                self._cache.clear()  # bounded: models are few, but expressions can be many
            self._cache[key] = compiled
        return compiled

    # --- the two entry points SpiffWorkflow calls ---------------------------------------------
    def evaluate(self, expression: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> Any:
        code = self._compile("eval", expression.strip())
        scope = {**self.globals, **(external_context or {}), **context}
        return self._run_limited(lambda: eval(code, scope))  # noqa: S307 - restricted bytecode

    def execute(self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> bool:
        code = self._compile("exec", script)
        self.check_for_overwrite(context, external_context or {})
        # A failed script leaves its variables as they were (a shallow copy suffices to undo what it
        # bound), so the errored task holds data that can be stored and its retry starts clean.
        # What it changed inside existing lists/dicts stays; if that cannot be stored either, the
        # serializer refuses the whole change (engine.serializer).
        before = dict(context)
        context.update({**self.globals, **(external_context or {})})
        try:
            self._run_limited(lambda: exec(code, context))  # noqa: S102 - restricted bytecode
            self._remove_globals_and_functions_from_context(context, external_context)
            self._refuse_unstorable(context)
        except BaseException:
            context.clear()
            context.update(before)
            raise
        return True

    def _refuse_unstorable(self, context: dict[str, Any]) -> None:
        """A script that leaves data the instance cannot store fails, as a script error."""
        for key in [k for k in context if k.startswith("_")]:
            context.pop(key)  # drop _getattr_ & co. from task data
        problem = storable_problem(context, max_bytes=self.max_data_bytes, max_depth=self.max_data_depth)
        if problem is not None:
            raise ScriptError(problem)

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> str:
        # Service tasks never call out from inside an engine step: they wait for the outbox
        # (engine.specs.OutboxServiceTask). Reaching this means a spec bypassed that class.
        raise ScriptError("service calls run through the outbox, not inside scripts")

    def _run_limited(self, fn: Callable[[], Any]) -> Any:
        previous = sys.gettrace()
        if previous is not None and not isinstance(getattr(previous, "__self__", None), _Budget):
            # A debugger or coverage tracer is active: do not replace it, run unbudgeted.
            return fn()
        budget = _Budget(self.time_limit, self.max_lines)
        sys.settrace(budget.tracer)
        try:
            return fn()
        except _BudgetSpent:
            raise ScriptTimeout(f"script stopped: it ran longer than the {self.time_limit:g} s limit") from None
        finally:
            sys.settrace(previous)

    def _remove_globals_and_functions_from_context(
        self, context: dict[str, Any], external_context: dict[str, Any] | None = None
    ) -> None:
        for key in list(context):
            if key == "__builtins__" or key in self.globals or (external_context and key in external_context):
                context.pop(key, None)
            elif callable(context[key]) or _is_module(context[key]):
                # Functions and modules cannot be serialized; SpiffWorkflow would store them as null.
                context.pop(key, None)


def _is_module(value: object) -> bool:
    return type(value).__name__ == "module"
