"""Our one change to SpiffWorkflow's task classes, and the parser that uses it.

A service task must not make a network call inside an engine step: the step runs inside a database
transaction, and a call that succeeded must not be lost when the transaction rolls back. So a service
task here *parks* (state STARTED) with its evaluated call recorded in `internal_data`; the services
layer writes that call to the outbox in the same transaction, and the worker later completes the task
with the partner's answer.
"""

from __future__ import annotations

from typing import Any, ClassVar

from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag  # type: ignore[import-untyped]
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser  # type: ignore[import-untyped]
from SpiffWorkflow.spiff.parser.task_spec import ServiceTaskParser  # type: ignore[import-untyped]
from SpiffWorkflow.spiff.specs.defaults import ServiceTask  # type: ignore[import-untyped]

PENDING_CALL_KEY = "outbox_call"


class OutboxServiceTask(ServiceTask):  # type: ignore[misc]
    """A service task that waits for the outbox instead of calling out."""

    def _execute(self, task: Any) -> None:
        task.internal_data[PENDING_CALL_KEY] = {
            "operation": self.operation_name,
            "params": {name: p["value"] for name, p in self.evaluate_params(task).items()},
            "result_variable": self.result_variable,
        }
        return None  # None leaves the task STARTED until complete_service_call()


class AuttamoBpmnParser(SpiffBpmnParser):  # type: ignore[misc]
    """SpiffBpmnParser with outbox service tasks."""

    OVERRIDE_PARSER_CLASSES: ClassVar[dict[str, Any]] = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("serviceTask"): (ServiceTaskParser, OutboxServiceTask),
    }
