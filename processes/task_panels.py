"""Task-page panels: extra information a user task's page shows beside its form, opted into per task.

A panel is named; the services layer knows how to fill each one (services/task_panels.py) and the
web layer has one template per panel (web/templates/tasks/_<name>.html.j2). A user task opts in with
the extension property `taskPanels` (comma-separated names), which a process owner sets like any
other spiffworkflow:property in the modeler; the product's own processes are listed in
`BUILT_IN` instead, so their diagrams stay as drawn and running instances need no migration.

`duplicate_candidates`: earlier cases that may be the same person (name, birth date, nationality by
keyed hash). Choosing one fills the form's `fills` field and sets `marks` (field, value): the
referral check's own `duplicate_of` and `referral_check = duplicate`. Nothing is merged by itself:
the person completing the form decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

PANELS_PROPERTY = "taskPanels"


@dataclass(frozen=True)
class PanelSpec:
    name: str
    fills: str | None = None  # the form field that takes the chosen item's reference
    marks: tuple[str, str] | None = None  # (field, value) that choosing an item also sets


KNOWN: dict[str, PanelSpec] = {
    "duplicate_candidates": PanelSpec("duplicate_candidates", "duplicate_of", ("referral_check", "duplicate")),
}

# (process id, user-task id) -> panels, for the product's own processes (bpmn/)
BUILT_IN: dict[tuple[str, str], tuple[str, ...]] = {
    ("referral", "check_referral"): ("duplicate_candidates",),
}


def panels_for(process_id: str, task_id: str, properties: Mapping[str, str]) -> tuple[PanelSpec, ...]:
    """The known panels a user task asks for (unknown names are ignored: a modeler's typo shows nothing)."""
    names = [n.strip() for n in properties.get(PANELS_PROPERTY, "").split(",") if n.strip()]
    names += [n for n in BUILT_IN.get((process_id, task_id), ()) if n not in names]
    return tuple(KNOWN[n] for n in names if n in KNOWN)
