"""Process versions are immutable, so what an instance needs of its version (spec text, forms) is
read from the database once per process and kept. Instances then load without joining the
version row, which for a large model is tens of kilobytes per request."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from services.errors import NotFound
from store.models import ProcessVersion


@dataclass(frozen=True)
class CachedVersion:
    id: int
    process_id: str
    version: int
    key: str  # the engine's spec-cache key
    spec_json: str
    forms: dict[str, Any]


class VersionCache:
    """Thread-safe by construction: values are immutable and a race only loads a row twice."""

    def __init__(self, max_entries: int = 512) -> None:
        self._entries: dict[int, CachedVersion] = {}
        self._max = max_entries
        self._lock = threading.Lock()

    def get(self, session: Session, version_id: int) -> CachedVersion:
        cached = self._entries.get(version_id)
        if cached is not None:
            return cached
        row = session.get(ProcessVersion, version_id)
        if row is None:
            raise NotFound(f"no process version {version_id}")
        cached = CachedVersion(row.id, row.process_id, row.version, row.key, row.spec_json, dict(row.forms or {}))
        with self._lock:
            if len(self._entries) >= self._max:
                self._entries.clear()
            self._entries[version_id] = cached
        return cached
