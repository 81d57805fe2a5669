"""What the process owner's pages share: the per-process tab bar, role checks, report rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.context import Actor, Services
from services.errors import NotFound
from services.process_editor import READ_ROLES, DraftView, open_draft
from web.i18n import N_
from web.pages.common import require_role

# Tabs of a process: (key, path under /processes/{pid}, label)
TABS = (
    ("versions", "", N_("Versions")),
    ("diagram", "/edit", N_("Diagram")),
    ("dmn", "/edit/dmn", N_("Decision tables")),
    ("forms", "/edit/forms", N_("Forms")),
    ("scenarios", "/edit/scenarios", N_("Scenario tests")),
    ("deploy", "/edit/deploy", N_("Check and deploy")),
    ("migrate", "/migrate", N_("Migrate instances")),
)


@dataclass(frozen=True)
class ProcessTabs:
    process_id: str
    active: str
    draft: DraftView | None  # None: the process has no version and no draft
    can_edit: bool

    @property
    def tabs(self) -> list[tuple[str, str, str]]:
        has_dmn = self.draft is not None and bool(self.draft.of_kind("dmn"))
        return [(k, f"/processes/{self.process_id}{p}", label) for k, p, label in TABS if k != "dmn" or has_dmn]


def require_reader(actor: Actor) -> None:
    require_role(actor, *READ_ROLES)


def process_tabs(svc: Services, actor: Actor, process_id: str, active: str) -> ProcessTabs:
    require_reader(actor)
    try:
        draft: DraftView | None = open_draft(svc, actor, process_id)
    except NotFound:
        draft = None
    return ProcessTabs(process_id, active, draft, actor.has("process_owner"))


def draft_or_404(tabs: ProcessTabs) -> DraftView:
    if tabs.draft is None:
        raise NotFound(f"process {tabs.process_id} has neither a version nor a draft")
    return tabs.draft


def chosen_file(names: list[str], wanted: str, preferred: str = "") -> str:
    """The file a page shows: the one asked for if it exists, else `preferred`, else the first ("" if none)."""
    for name in (wanted, preferred):
        if name and name in names:
            return name
    return names[0] if names else ""


def issue_rows(issues: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Report issues for a template, errors first, each with a link to its element in the modeler."""
    return sorted(issues, key=lambda i: (i.get("severity") != "error", i.get("file") or "", i.get("line") or 0))
