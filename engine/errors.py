"""Errors the engine raises. No HTTP here; the web layer maps them to status codes.

EngineError
├── InvalidProcess        the files cannot be deployed; carries the ValidationReport
├── ProcessNotFound       the version holds no such process
├── TaskNotFound          no task with that id in the instance
├── TaskNotReady          the task exists but is not READY (stale form, completed twice)
├── TaskNotManual         the task is not a human task
├── LaneNotAllowed        the user holds no role for the task's lane
├── FormKeysRejected      the data carries keys that the task's form does not define
├── MessageNotExpected    nothing in the instance waits for that message
├── MigrationUnsafe       moving the instance would rewrite what already happened
├── ScriptError           a script, condition or expression failed (incl. sandbox refusals)
│   └── ScriptTimeout     a script ran past the engine step's time limit
├── StateCorrupt          the stored state cannot be restored
└── StateUnstorable       the state after a change cannot be stored (too large, not JSON)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.types import ValidationReport


class EngineError(Exception):
    """Base class for everything the engine raises on purpose."""


class InvalidProcess(EngineError):
    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        first = report.errors[0].message if report.errors else "invalid process"
        super().__init__(f"{len(report.errors)} error(s); first: {first}")


class ProcessNotFound(EngineError):
    pass


class TaskNotFound(EngineError):
    pass


class TaskNotReady(EngineError):
    pass


class TaskNotManual(EngineError):
    pass


class LaneNotAllowed(EngineError):
    pass


class FormKeysRejected(EngineError):
    def __init__(self, keys: list[str]) -> None:
        self.keys = keys
        super().__init__(f"fields not on this task's form: {', '.join(sorted(keys))}")


class MessageNotExpected(EngineError):
    pass


class MigrationUnsafe(EngineError):
    def __init__(self, reasons: tuple[str, ...]) -> None:
        self.reasons = reasons
        super().__init__("; ".join(reasons) or "migration is not safe")


class ScriptError(EngineError):
    def __init__(self, message: str, *, bpmn_id: str | None = None, line: int | None = None) -> None:
        self.detail = message  # the bare reason, without the "script error in ..." framing
        self.bpmn_id = bpmn_id
        self.line = line
        self.instance: object | None = None  # set by WorkflowEngine.start when the first step fails
        where = f" in {bpmn_id}" if bpmn_id else ""
        at = f" (line {line})" if line else ""
        super().__init__(f"script error{where}{at}: {message}")


class ScriptTimeout(ScriptError):
    pass


class StateCorrupt(EngineError):
    pass


class StateUnstorable(EngineError):
    """The instance's state after a change cannot be stored: larger than the limit, or holding
    something JSON cannot (found by the serializer; scripts are checked earlier, engine.data_guard)."""
