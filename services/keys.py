"""Key rotation: re-seal every encrypted value under the current key.

Run `auttamo keys rotate` after moving the old key from AUTTAMO_ENCRYPTION_KEY to
AUTTAMO_ENCRYPTION_OLD_KEYS and setting a new AUTTAMO_ENCRYPTION_KEY; when it reports zero left,
the old key can be dropped. Rows are processed in batches, each its own transaction, so a running
system keeps working (a row changed meanwhile is simply re-sealed by its own next write).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import Column, String, Table, select, update

from services.context import Services
from services.errors import Conflict
from services.protection import rebuild_search_keys
from services.uow import UnitOfWork
from store import crypto
from store.models import AuditEvent, Case, Document, HumanTask, InstanceMigration, OutboxItem, ProcessInstance

# (model, encrypted column names): every sealed column in the schema
SEALED = [
    (ProcessInstance, ("state_json",)),
    (InstanceMigration, ("old_state_json",)),
    (HumanTask, ("draft",)),
    (AuditEvent, ("details",)),
    (Case, ("facts",)),
    (Document, ("content",)),
    (OutboxItem, ("payload", "result")),
]
BATCH = 500


@dataclass(frozen=True)
class RotationReport:
    resealed: dict[str, int]
    total: int
    search_keys_rebuilt: int = 0  # duplicate-search hashes are keyed too, so they are recomputed


def _raw_table(model: type, columns: tuple[str, ...]) -> Table:
    """The same table seen without the decorators: the sealed text as stored."""
    table = model.__table__  # type: ignore[attr-defined]
    raw = Table(
        table.name,
        table.metadata.__class__(),
        Column("id", table.c.id.type, primary_key=True),
        *(Column(c, String) for c in columns),
    )
    return raw


def rotate_keys(svc: Services) -> RotationReport:
    ring = crypto.ring()
    if ring is None:
        raise Conflict("no encryption key is configured")
    counts: dict[str, int] = {}
    for model, columns in SEALED:
        raw = _raw_table(model, columns)
        done = 0
        last_id: object = None  # ids are integers, or UUID text for inbox tasks
        while True:
            with UnitOfWork(svc.sessions, write=True) as uow:
                query = select(raw).order_by(raw.c.id).limit(BATCH)
                if last_id is not None:
                    query = query.where(raw.c.id > last_id)
                rows = uow.session.execute(query).all()
                if not rows:
                    break
                for row in rows:
                    last_id = row.id
                    values = {}
                    for column in columns:
                        stored = getattr(row, column)
                        if isinstance(stored, (bytes, memoryview)):
                            stored = bytes(stored).decode("latin-1")  # sealed bytes are ASCII
                        text = stored
                        if isinstance(text, str):
                            token = text.strip('"')  # a sealed JSON value is stored as a JSON string
                            if token.startswith(crypto.PREFIX) and ring.needs_reseal(token):
                                values[column] = ring.open(token)
                    if values:
                        orm_table = cast(Table, model.__table__)  # type: ignore[attr-defined]
                        resealed = {c: _reseal(model, c, v) for c, v in values.items()}
                        uow.session.execute(update(orm_table).where(orm_table.c.id == row.id).values(**resealed))
                        done += 1
                uow.commit()
        counts[model.__tablename__] = done  # type: ignore[attr-defined]
    rebuilt = rebuild_search_keys(svc)
    return RotationReport(counts, sum(counts.values()), rebuilt)


def _reseal(model: type, column: str, plaintext: bytes) -> object:
    """The value as the ORM column type expects it, so its decorator seals it under the current key."""
    import json

    kind = type(model.__table__.c[column].type).__name__  # type: ignore[attr-defined]
    if kind == "EncryptedJSON":
        return json.loads(plaintext)
    if kind == "EncryptedBytes":
        return plaintext
    return plaintext.decode()
