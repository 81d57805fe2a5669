"""Restored workflows kept between use cases, so a completion need not deserialize what the previous
use case on the same instance serialized a moment ago.

Correct across processes and threads by construction:
- an entry is only reused when the state text the caller just read from the database is exactly the
  text serialized from the cached workflow (any other writer, in this process or another, or a
  rolled-back transaction, leaves a different text, and the entry is simply not used);
- the caller puts a workflow back only after its transaction committed;
- `take` removes the entry, so no two use cases hold one workflow at once, and an entry is only
  handed to the thread that restored it (spec objects are per thread: engine.serializer);
- the number of entries is bounded (least recently used go first), and so is their size: a
  workflow whose state is larger than MAX_ENTRY_CHARS is not kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

DEFAULT_SIZE = 32
MAX_ENTRY_CHARS = 200_000  # a long-lived case holds ~40 KB of state; 32 entries stay well under 100 MB


@dataclass(frozen=True)
class _Entry:
    thread: int
    version_key: str
    state_json: str
    workflow: Any


class WorkflowCache:
    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def take(self, key: Hashable, version_key: str, state_json: str) -> Any | None:
        """The cached workflow for exactly this stored state, removed from the cache; else None."""
        with self._lock:
            entry = self._entries.pop(key, None)
        if (
            entry is not None
            and entry.thread == threading.get_ident()
            and entry.version_key == version_key
            and entry.state_json == state_json
        ):
            self.hits += 1
            return entry.workflow
        self.misses += 1
        return None

    def put(self, key: Hashable, version_key: str, state_json: str, workflow: Any) -> None:
        if self.size <= 0 or len(state_json) > MAX_ENTRY_CHARS:
            return
        entry = _Entry(threading.get_ident(), version_key, state_json, workflow)
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
