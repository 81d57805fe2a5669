"""Instance state without the spec, and specs stored once per process version.

SpiffWorkflow's default serializer embeds the whole spec in every instance (about half the bytes) and
converts it again on every save. Here the workflow converter leaves the spec out, and restoring takes
ready-built spec objects from the version. Spec objects are cached per thread: within a thread they are
reused across instances (SpiffWorkflow's own runtime hooks on specs are idempotent), but they are never
shared between threads, since a `BpmnWorkflow` and its specs have no locking.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow  # type: ignore[import-untyped]
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer  # type: ignore[import-untyped]
from SpiffWorkflow.bpmn.serializer.default.workflow import (  # type: ignore[import-untyped]
    BpmnWorkflowConverter,
    WorkflowConverter,
)
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG  # type: ignore[import-untyped]
from SpiffWorkflow.spiff.serializer.task_spec import ServiceTaskConverter  # type: ignore[import-untyped]

from engine.errors import StateCorrupt, StateUnstorable
from engine.specs import OutboxServiceTask

SpecPair = tuple[Any, dict[str, Any]]  # (BpmnProcessSpec, {process id: BpmnProcessSpec})
MAX_STATE_BYTES = 5_000_000  # one instance's stored state; a long-lived case holds ~40 KB


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):  # type: ignore[misc]
    """Writes a workflow without `spec`/`subprocess_specs`; restores around given spec objects."""

    def to_dict(self, workflow: Any) -> dict[str, Any]:
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any], spec: Any = None, subprocess_specs: Any = None) -> Any:
        if spec is None:
            return super().from_dict(dct)  # a full, old-style serialization (e.g. after migration)
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], _uuid, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(_uuid(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _uuid(value: str) -> Any:
    from uuid import UUID

    return UUID(value)


class StateSerializer:
    """Converts specs and instance state to JSON text and back."""

    def __init__(self, spec_cache_size: int = 64) -> None:
        registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
        ServiceTaskConverter(OutboxServiceTask, registry)
        self._full = BpmnWorkflowSerializer(registry)
        state_registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
        ServiceTaskConverter(OutboxServiceTask, state_registry)
        _SpeclessWorkflowConverter(BpmnWorkflow, state_registry)
        self._state = BpmnWorkflowSerializer(state_registry)
        self.version: str = self._state.VERSION
        self._local = threading.local()
        self._cache_size = spec_cache_size

    @property
    def full_registry(self) -> Any:
        """The registry with the spec converters (version diffs compare converted specs)."""
        return self._full.registry

    # --- specs ------------------------------------------------------------------------------
    def spec_to_json(self, spec: Any, subprocess_specs: dict[str, Any]) -> str:
        registry = self._full.registry
        blob = {
            "spec": registry.convert(spec),
            "subprocess_specs": {k: registry.convert(v) for k, v in subprocess_specs.items()},
        }
        return json.dumps(blob, sort_keys=True, separators=(",", ":"))

    def spec_from_json(self, spec_json: str) -> SpecPair:
        # from_dict mutates what it is given (notes section 4), so always restore from fresh text.
        blob = json.loads(spec_json)
        registry = self._state.registry
        spec = registry.restore(blob["spec"])
        subs = {k: registry.restore(v) for k, v in blob["subprocess_specs"].items()}
        return spec, subs

    def cached_spec(self, key: str, spec_json: str) -> SpecPair:
        """The spec objects for a version, built once per thread."""
        cache: OrderedDict[str, SpecPair] | None = getattr(self._local, "specs", None)
        if cache is None:
            cache = self._local.specs = OrderedDict()
        pair = cache.get(key)
        if pair is None:
            pair = self.spec_from_json(spec_json)
            cache[key] = pair
            if len(cache) > self._cache_size:
                cache.popitem(last=False)
        else:
            cache.move_to_end(key)
        return pair

    # --- instance state ---------------------------------------------------------------------
    def dumps(self, workflow: Any, max_bytes: int | None = None) -> str:
        """The state JSON; StateUnstorable when it cannot be written or is over `max_bytes`."""
        try:
            text: str = self._state.serialize_json(workflow)
        except (TypeError, ValueError, RecursionError, OverflowError) as exc:
            raise StateUnstorable(f"the instance's data cannot be stored: {type(exc).__name__}: {exc}") from exc
        if max_bytes is not None and len(text) > max_bytes:
            raise StateUnstorable(f"the instance's state would be {len(text):,} bytes, over the limit of {max_bytes:,}")
        return text

    def loads(self, state_json: str, spec: SpecPair, spec_json: str) -> Any:
        try:
            dct = json.loads(state_json)
            version = dct.get(self._state.VERSION_KEY)
            if version == self.version:
                dct.pop(self._state.VERSION_KEY)
                return self._state.from_dict(dct, spec=spec[0], subprocess_specs=spec[1])
            # An older format: rebuild the full document and let SpiffWorkflow migrate it.
            dct.update(json.loads(spec_json))
            self._state.migrate(dct)
            return self._state.from_dict(dct)
        except (ValueError, KeyError, TypeError) as exc:
            raise StateCorrupt(f"stored state cannot be restored: {exc}") from exc

    def full_dumps(self, workflow: Any) -> str:
        """A classic serialization with the spec embedded (for export and migration backups)."""
        return self._full.serialize_json(workflow)  # type: ignore[no-any-return]
