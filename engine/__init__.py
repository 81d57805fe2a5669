"""The workflow engine: the only package that imports SpiffWorkflow.

Public API (everything else in the package is internal):
- `WorkflowEngine`: compile uploaded files, start and restore instances.
- `Instance`: complete tasks, deliver messages, fire timers, finish service calls, snapshot.
- plain dataclasses from `engine.types` and errors from `engine.errors`.
"""

from engine.compiler import CompiledDeployment, safe_xml
from engine.errors import (
    EngineError,
    FormKeysRejected,
    InvalidProcess,
    LaneNotAllowed,
    MessageNotExpected,
    MigrationUnsafe,
    ProcessNotFound,
    ScriptError,
    ScriptTimeout,
    StateCorrupt,
    StateUnstorable,
    TaskNotFound,
    TaskNotManual,
    TaskNotReady,
)
from engine.migration import MigrationCheck, SpecChanges
from engine.runner import Instance, WorkflowEngine
from engine.types import (
    Baseline,
    CompiledProcess,
    InstanceSnapshot,
    LintIssue,
    MessageSubscription,
    OutboundMessage,
    ServiceCall,
    SourceFile,
    TaskView,
    ValidationReport,
)

__all__ = [
    "Baseline",
    "CompiledDeployment",
    "CompiledProcess",
    "EngineError",
    "FormKeysRejected",
    "Instance",
    "InstanceSnapshot",
    "InvalidProcess",
    "LaneNotAllowed",
    "LintIssue",
    "MessageNotExpected",
    "MessageSubscription",
    "MigrationCheck",
    "MigrationUnsafe",
    "OutboundMessage",
    "ProcessNotFound",
    "ScriptError",
    "ScriptTimeout",
    "ServiceCall",
    "SourceFile",
    "SpecChanges",
    "StateCorrupt",
    "StateUnstorable",
    "TaskNotFound",
    "TaskNotManual",
    "TaskNotReady",
    "TaskView",
    "ValidationReport",
    "WorkflowEngine",
    "safe_xml",
]
