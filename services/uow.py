"""One use case = one transaction. Repositories and the engine never commit; this does."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from services.errors import Conflict
from store.db import write_intent


class UnitOfWork:
    """`with UnitOfWork(sessions, write=True) as uow: ...; uow.commit()` — rolls back unless committed."""

    def __init__(self, sessions: sessionmaker[Session], *, write: bool = False) -> None:
        self._sessions = sessions
        self._write = write
        self._intent = write_intent() if write else None
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        if self._intent is not None:
            self._intent.__enter__()
        self.session = self._sessions()
        return self

    def commit(self) -> None:
        try:
            self.session.commit()
        except StaleDataError as exc:
            self.session.rollback()
            raise Conflict("someone else changed this at the same time; reload and try again") from exc
        except OperationalError as exc:
            self.session.rollback()
            if "locked" in str(exc).lower():
                raise Conflict("the database is busy; try again") from exc
            raise

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            # Close without expiring on a clean exit, so rows read here stay readable afterwards;
            # roll back (which expires them) only when something went wrong or a write was not committed.
            if self.session.in_transaction() and (exc_type is not None or self._write):
                self.session.rollback()
            self.session.close()
        finally:
            if self._intent is not None:
                self._intent.__exit__(exc_type, exc, tb)
