"""`/processes/{id}/edit`: the BPMN modeler (bpmn-js) and the DMN table editor (dmn-js) on the draft,
or a read-only view of a deployed version (`?version=N`). The page is a shell: web/static/modeler.js
loads the file through the JSON API, saves it back there, and shows the check report on the diagram.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from services.process_editor import discard_draft, lane_names, start_from_version
from services.version_history import list_versions
from web.flash import flash
from web.i18n import N_
from web.pages.common import ActorPage, ServicesDep, TemplatesDep, redirect
from web.pages.modeler_common import ProcessTabs, chosen_file, draft_or_404, process_tabs
from web.security import CSP_WITH_STYLE_ATTRIBUTES
from web.templating import Templates

router = APIRouter(include_in_schema=False)

API = "/api/v1/process-definitions"
# Texts the modeler's script shows, translated on the server (the script has no catalogs).
SCRIPT_TEXTS = {
    "saving": N_("Saving…"),
    "saved": N_("Draft saved."),
    "unsaved": N_("Unsaved changes"),
    "conflict": N_("Someone else saved this draft meanwhile. Reload the page; your change was not saved."),
    "failed": N_("Saving failed:"),
    "checking": N_("Checking…"),
    "checked_ok": N_("No errors. The draft can be deployed."),
    "checked_errors": N_("Errors to fix before deploying:"),
    "warnings": N_("Warnings and advice:"),
    "load_failed": N_("The diagram could not be opened:"),
    "leave": N_("You have unsaved changes."),
    "none": N_("(none)"),
    "nothing_selected": N_("Select an element in the diagram to see its properties."),
    "id": N_("Id"),
    "name": N_("Name"),
    "type": N_("Type"),
    "lane": N_("Lane"),
    "form": N_("Form (JSON Schema)"),
    "ui_form": N_("Form layout (UI schema)"),
    "instructions": N_("Instructions for the user"),
    "pre_script": N_("Script before the task"),
    "post_script": N_("Script after the task"),
    "script": N_("Script"),
    "timer_kind": N_("Timer"),
    "timer_expression": N_("Timer expression"),
    "timer_help": N_('A Python expression: a quoted ISO 8601 value such as "P30D", or a variable.'),
    "duration": N_("Duration"),
    "date": N_("Date"),
    "cycle": N_("Cycle"),
    "message": N_("Message name"),
    "message_variable": N_("Store the message in the variable"),
    "message_payload": N_("Message payload (expression)"),
    "condition": N_("Condition (expression)"),
    "called_element": N_("Called process"),
    "called_decision": N_("Decision table (DMN decision id)"),
    "operator": N_("Service operation"),
    "result_variable": N_("Result variable"),
    "documentation": N_("Documentation"),
    "properties": N_("Other properties"),
    "add_property": N_("Add property"),
    "property_name": N_("Property name"),
    "property_value": N_("Value"),
    "loop_bound": N_("Loop bound (maxLoopCount)"),
    "id_taken": N_("This id is already used in the diagram."),
    "id_invalid": N_("Use letters, digits and _ only, starting with a letter."),
    "issue_here": N_("Problems here"),
}
TASK_TYPES = (
    ("bpmn:Task", N_("Task")),
    ("bpmn:UserTask", N_("User task")),
    ("bpmn:ManualTask", N_("Manual task")),
    ("bpmn:ScriptTask", N_("Script task")),
    ("bpmn:ServiceTask", N_("Service task")),
    ("bpmn:BusinessRuleTask", N_("Business rule task")),
    ("bpmn:SendTask", N_("Send task")),
    ("bpmn:ReceiveTask", N_("Receive task")),
    ("bpmn:CallActivity", N_("Call activity")),
)


def _version_number(value: str) -> int | None:
    return int(value) if value.isdigit() and 0 < int(value) < 10**6 else None


@router.get("/processes/{process_id}/edit")
def modeler_page(
    request: Request,
    process_id: str,
    actor: ActorPage,
    svc: ServicesDep,
    templates: TemplatesDep,
    file: str = "",
    version: str = "",
    focus: str = "",
) -> Response:
    tabs = process_tabs(svc, actor, process_id, "diagram")
    number = _version_number(version)
    if number is not None:
        row = next((v for v in list_versions(svc, actor, process_id) if v.version == number), None)
        names = [n for n in (row.files if row else ()) if n.lower().endswith(".bpmn")]
        base = f"{API}/{process_id}/versions/{number}/files/"
        editable = False
    else:
        draft = draft_or_404(tabs)
        names = [f.name for f in draft.of_kind("bpmn")]
        base = f"{API}/{process_id}/draft/files/"
        editable = tabs.can_edit
    current = chosen_file(names, file, preferred=f"{process_id}.bpmn")
    config = _config(request, templates, tabs, current, base, editable, focus[:200])
    context = {"tabs": tabs, "names": names, "current": current, "version": number, "config": config}
    return templates.render(request, "modeler/bpmn.html.j2", context)


def _config(
    request: Request, templates: Templates, tabs: ProcessTabs, current: str, base: str, editable: bool, focus: str
) -> dict[str, Any]:
    draft = tabs.draft
    forms = [f.name for f in draft.of_kind("schema")] if draft else []
    ui_forms = [f.name for f in draft.of_kind("uischema")] if draft else []
    return {
        "processId": tabs.process_id,
        "fileName": current,
        "fileUrl": base + current,
        "saveUrl": f"{API}/{tabs.process_id}/draft/files/{current}" if editable else "",
        "checkUrl": f"{API}/{tabs.process_id}/draft/check?scenarios=false" if editable else "",
        "revision": draft.revision if draft else 0,
        "readOnly": not editable,
        "forms": forms,
        "uiForms": ui_forms,
        "lanes": lane_names(),
        "focus": focus,
        "strings": {k: templates.tr(request, v) for k, v in SCRIPT_TEXTS.items()},
        "taskTypes": [[t, templates.tr(request, label)] for t, label in TASK_TYPES],
    }


@router.get("/processes/{process_id}/edit/dmn")
def dmn_page(
    request: Request,
    process_id: str,
    actor: ActorPage,
    svc: ServicesDep,
    templates: TemplatesDep,
    file: str = "",
) -> Response:
    tabs = process_tabs(svc, actor, process_id, "dmn")
    draft = draft_or_404(tabs)
    names = [f.name for f in draft.of_kind("dmn")]
    current = chosen_file(names, file)
    config = {
        "fileName": current,
        "fileUrl": f"{API}/{process_id}/draft/files/{current}",
        "saveUrl": f"{API}/{process_id}/draft/files/{current}" if tabs.can_edit else "",
        "revision": draft.revision,
        "readOnly": not tabs.can_edit,
        "strings": {
            k: templates.tr(request, SCRIPT_TEXTS[k])
            for k in ("saving", "saved", "unsaved", "conflict", "failed", "load_failed", "leave")
        },
    }
    context = {"tabs": tabs, "names": names, "current": current, "config": config}
    headers = {"Content-Security-Policy": CSP_WITH_STYLE_ATTRIBUTES}
    return templates.render(request, "modeler/dmn.html.j2", context, headers=headers)


@router.post("/processes/{process_id}/edit/discard")
def discard_action(
    request: Request, process_id: str, actor: ActorPage, svc: ServicesDep, templates: TemplatesDep
) -> Response:
    discard_draft(svc, actor, process_id)
    response = redirect(f"/processes/{process_id}")
    flash(request, response, templates.tr(request, "The draft was discarded."))
    return response


@router.post("/processes/{process_id}/edit/from-version")
def from_version_action(
    request: Request,
    process_id: str,
    actor: ActorPage,
    svc: ServicesDep,
    templates: TemplatesDep,
    version: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    number = _version_number(version) or 0
    start_from_version(svc, actor, process_id, number)
    response = redirect(f"/processes/{process_id}/edit")
    flash(request, response, templates.tr(request, "The draft now holds version %(n)s.", n=number))
    return response
