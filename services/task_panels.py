"""Fill the panels a task page shows beside the form (processes/task_panels.py says which).

Each panel has a loader here; a loader returns None when the reader may not have the panel (then the
page shows nothing rather than an error: the form is still theirs to work). Loaders run in their own
transaction after the task read and log what they reveal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from processes.task_panels import PanelSpec
from services.access import require_case_access
from services.access_log import Via, record_read
from services.context import Actor, Services
from services.duplicate_candidates import find_candidates
from services.protection import DUPLICATE_ROLES
from services.task_detail import TaskDetailView
from services.uow import UnitOfWork
from store.models import Case


@dataclass(frozen=True)
class PanelView:
    spec: PanelSpec
    items: list[Any] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.spec.name


def duplicate_candidates(
    svc: Services, actor: Actor, detail: TaskDetailView, spec: PanelSpec, via: Via
) -> PanelView | None:
    """Earlier cases that may be this referral's person (services/duplicate_candidates.py)."""
    case_id = detail.row.case_id
    if case_id is None or detail.read_only or not actor.has(*DUPLICATE_ROLES):
        return None
    now = svc.now()
    with UnitOfWork(svc.sessions, write=True) as uow:
        case = uow.session.get(Case, case_id)
        if case is None:
            return None
        require_case_access(uow.session, actor, case)
        client = (case.facts or {}).get("client")
        found = find_candidates(uow.session, actor, client, exclude_case_id=case_id) if isinstance(client, dict) else []
        for candidate in found:  # shown to the reader: that this person is a client is case data
            record_read(uow.session, actor, candidate.case_id, f"duplicate candidate for {case.reference}", via, at=now)
        uow.commit()
    return PanelView(spec, list(found))


LOADERS: dict[str, Callable[[Services, Actor, TaskDetailView, PanelSpec, Via], PanelView | None]] = {
    "duplicate_candidates": duplicate_candidates,
}


def load_panels(svc: Services, actor: Actor, detail: TaskDetailView, *, via: Via) -> list[PanelView]:
    """The task's panels that this reader may see, in the order the task asks for them."""
    panels = []
    for spec in detail.panels:
        loader = LOADERS.get(spec.name)
        view = loader(svc, actor, detail, spec, via) if loader is not None else None
        if view is not None:
            panels.append(view)
    return panels
