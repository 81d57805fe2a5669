"""Plain values that cross the engine boundary. No SpiffWorkflow object ever leaves `engine/`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class SourceFile:
    """One file of a process version as uploaded: BPMN, DMN or form JSON."""

    name: str  # relative file name, e.g. "decision.bpmn" or "decision-schema.json"
    content: bytes


@dataclass(frozen=True)
class LintIssue:
    """One finding of validation, phrased for the person who drew the model."""

    file: str
    element_id: str | None
    rule: str  # stable short code, e.g. "lane-unknown", "timer-unquoted"
    message: str  # plain words: what is wrong and how to fix it
    severity: Severity = "error"
    line: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "element_id": self.element_id,
            "rule": self.rule,
            "message": self.message,
            "severity": self.severity,
            "line": self.line,
        }


@dataclass(frozen=True)
class ValidationReport:
    """Everything validation found for a set of files; deployable only when `ok`."""

    issues: tuple[LintIssue, ...] = ()
    process_ids: tuple[str, ...] = ()

    @property
    def errors(self) -> tuple[LintIssue, ...]:
        return tuple(i for i in self.issues if i.severity == "error")

    @property
    def warnings(self) -> tuple[LintIssue, ...]:
        return tuple(i for i in self.issues if i.severity == "warning")

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "process_ids": list(self.process_ids),
            "errors": [i.as_dict() for i in self.errors],
            "warnings": [i.as_dict() for i in self.warnings],
        }


@dataclass(frozen=True)
class CompiledProcess:
    """A validated, parsed process ready to be stored as an immutable version."""

    process_id: str
    name: str
    sha256: str  # over the sorted (name, content) pairs of every source file
    spec_json: str  # serialized spec + called subprocess specs, stored once per version
    forms: dict[str, Any]  # form file name -> parsed JSON (schema or ui schema)
    report: ValidationReport
    sources: tuple[SourceFile, ...] = ()  # the BPMN/DMN/form files this version consists of


@dataclass(frozen=True)
class TaskView:
    """A task as the rest of the system sees it."""

    id: str  # the Spiff task UUID as text
    bpmn_id: str
    name: str  # the element's label (falls back to its id)
    process_id: str  # the (sub)process the task belongs to
    lane: str | None  # inherited from the calling activity when the called process has no lanes
    state: str  # READY, WAITING, STARTED, COMPLETED ...
    manual: bool
    form_schema: str | None = None  # formJsonSchemaFilename
    form_ui_schema: str | None = None  # formUiSchemaFilename
    instructions: str | None = None  # instructionsForEndUser, raw (rendered by the web layer)
    properties: dict[str, str] = field(default_factory=dict)  # all spiffworkflow:property values
    data: dict[str, Any] = field(default_factory=dict)
    due_value: Any = None  # the value of the variable the `dueAt` property names, from the task's data
    urgent: bool = False  # the task's data says `urgent: true`


@dataclass(frozen=True)
class MessageSubscription:
    """A message the instance is waiting for (projected to the subscription table)."""

    name: str
    correlations: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OutboundMessage:
    """A message thrown by the instance that nothing inside it caught."""

    name: str
    payload: Any
    correlations: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ServiceCall:
    """A service task waiting for its external call (the outbox runs it, then completes the task)."""

    task_id: str
    bpmn_id: str
    operation: str
    params: dict[str, Any]
    result_variable: str


@dataclass(frozen=True)
class InstanceSnapshot:
    """The state of one instance after a change: what the services layer stores and projects."""

    state_json: str  # serializer JSON without the spec
    serializer_version: str
    completed: bool
    ready_tasks: tuple[TaskView, ...]  # READY manual tasks: the inbox
    active_element_ids: tuple[str, ...]  # READY/WAITING/STARTED elements, for monitoring
    next_timer_at: datetime | None  # earliest due timer (UTC), by scanning WAITING tasks
    subscriptions: tuple[MessageSubscription, ...]
    outbound_messages: tuple[OutboundMessage, ...]
    service_calls: tuple[ServiceCall, ...]
    data: dict[str, Any]  # the instance's current data (last completed task's view)
    tree_depth: int
    # Set when the change could not be stored (engine.errors.StateUnstorable): then this snapshot is
    # of the state the change began from, and the reason is for an incident.
    unstorable: str | None = None


@dataclass(frozen=True)
class Baseline:
    """An instance's projections before a change: READY human task ids and message subscriptions."""

    ready_task_ids: frozenset[str] = frozenset()
    subscriptions: tuple[MessageSubscription, ...] = ()
