"""`/processes/{id}/edit/forms`: the JSON Schema and UI schema of a task form as text, with a live
preview rendered by the same Jinja macros caseworkers see (forms.build_fields + forms/_form_fields),
filled with example data and checked as deploy would check it; and
`/processes/{id}/edit/scenarios`: the scenario tests of the draft, saved and run on the real engine.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from lxml import etree
from starlette.responses import Response

from engine import safe_xml
from forms import SchemaInvalid, build_fields, check_form_schema, check_ui_schema, validate_form
from services.errors import Conflict, InvalidInput
from services.process_editor import EDIT_ROLES, DraftView, save_files
from services.process_editor_checks import check_draft
from web.flash import flash
from web.i18n import N_
from web.pages.common import ActorPage, ServicesDep, TemplatesDep, redirect, require_role
from web.pages.modeler_common import ProcessTabs, chosen_file, draft_or_404, process_tabs
from web.templating import Templates, request_language

router = APIRouter(include_in_schema=False)

FORM_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,150}")
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
NEW_SCHEMA = {"title": "", "type": "object", "required": [], "properties": {}}
NEW_UI: dict[str, Any] = {"ui:order": []}
Text = Annotated[str, Form(max_length=1_000_000)]


def ui_partner(schema_name: str) -> str:
    """The UI schema file that goes with a form, by SpiffArena's naming (x-schema.json -> x-uischema.json)."""
    if schema_name.endswith("-schema.json"):
        return schema_name[: -len("-schema.json")] + "-uischema.json"
    return schema_name[: -len(".json")] + "-uischema.json"


def _revision(value: str) -> int:
    return int(value) if value.isdigit() and int(value) < 2**31 else -1


def _pretty(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def _forms_context(
    tabs: ProcessTabs, draft: DraftView, current: str, values: dict[str, str] | None = None
) -> dict[str, Any]:
    schemas = [f.name for f in draft.of_kind("schema")]
    if values is None:
        schema_file = draft.file(current)
        ui_file = draft.file(ui_partner(current))
        values = {
            "schema": schema_file.content if schema_file else "",
            "ui": ui_file.content if ui_file else "",
            "example": "{}\n",
        }
    return {
        "tabs": tabs,
        "schemas": schemas,
        "current": current,
        "ui_name": ui_partner(current) if current else "",
        "values": values,
        "revision": draft.revision,
    }


@router.get("/processes/{process_id}/edit/forms")
def forms_page(
    request: Request,
    process_id: str,
    actor: ActorPage,
    svc: ServicesDep,
    templates: TemplatesDep,
    file: str = "",
) -> Response:
    tabs = process_tabs(svc, actor, process_id, "forms")
    draft = draft_or_404(tabs)
    schemas = [f.name for f in draft.of_kind("schema")]
    current = chosen_file(schemas, file)
    return templates.render(request, "modeler/forms.html.j2", _forms_context(tabs, draft, current))


@router.post("/processes/{process_id}/edit/forms")
def save_form_action(
    request: Request,
    process_id: str,
    actor: ActorPage,
    svc: ServicesDep,
    templates: TemplatesDep,
    file: Annotated[str, Form(max_length=300)] = "",
    json_schema: Text = "",
    ui: Text = "",
    example: Text = "",
    revision: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    tabs = process_tabs(svc, actor, process_id, "forms")
    draft = draft_or_404(tabs)
    files = [(file, json_schema)] + ([(ui_partner(file), ui)] if ui.strip() else [])
    try:
        save_files(svc, actor, process_id, files, revision=_revision(revision))
    except (InvalidInput, Conflict) as exc:
        context = _forms_context(tabs, draft, file, {"schema": json_schema, "ui": ui, "example": example})
        context["error"] = str(exc) + (" " + " ".join(exc.errors.values()) if isinstance(exc, InvalidInput) else "")
        return templates.render(
            request, "modeler/forms.html.j2", context, status_code=409 if isinstance(exc, Conflict) else 422
        )
    response = redirect(f"/processes/{process_id}/edit/forms?file={file}")
    flash(request, response, templates.tr(request, "Form %(name)s saved in the draft.", name=file))
    return response


@router.post("/processes/{process_id}/edit/forms/new")
def new_form_action(
    request: Request,
    process_id: str,
    actor: ActorPage,
    svc: ServicesDep,
    templates: TemplatesDep,
    name: Annotated[str, Form(max_length=150)] = "",
    revision: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    name = name.strip().removesuffix(".json").removesuffix("-schema")
    if not FORM_NAME.fullmatch(name):
        response = redirect(f"/processes/{process_id}/edit/forms")
        flash(request, response, templates.tr(request, "Give the form a name of letters, digits and _ only."), "error")
        return response
    schema_name = f"{name}-schema.json"
    title = name.replace("_", " ").capitalize()
    files = [(schema_name, _pretty({**NEW_SCHEMA, "title": title})), (ui_partner(schema_name), _pretty(NEW_UI))]
    try:
        save_files(svc, actor, process_id, files, revision=_revision(revision))
    except Conflict as exc:
        response = redirect(f"/processes/{process_id}/edit/forms")
        flash(request, response, str(exc), "error")
        return response
    return redirect(f"/processes/{process_id}/edit/forms?file={schema_name}")


@router.post("/processes/{process_id}/edit/forms/preview")
def preview_action(
    request: Request,
    process_id: str,
    actor: ActorPage,
    svc: ServicesDep,
    templates: TemplatesDep,
    json_schema: Text = "",
    ui: Text = "",
    example: Text = "",
) -> Response:
    """The preview partial (htmx): problems with the files, then the form as caseworkers would see it."""
    process_tabs(svc, actor, process_id, "forms")  # the role check
    problems: list[str] = []
    parsed_schema = _parse(json_schema, N_("Form schema"), problems, templates, request)
    parsed_ui = _parse(ui, N_("UI schema"), problems, templates, request) if ui.strip() else {}
    data = _parse(example, N_("Example data"), problems, templates, request) if example.strip() else {}
    fields: list[Any] = []
    data_errors: dict[str, str] = {}
    if isinstance(parsed_schema, dict):
        try:
            fields, data_errors = _preview_fields(parsed_schema, parsed_ui, data, request_language(request))
        except SchemaInvalid as exc:
            problems.append(str(exc))
        except RecursionError:
            problems.append(templates.tr(request, "The form is nested too deeply."))
    context = {"problems": problems, "fields": fields, "data_errors": data_errors}
    return templates.render(request, "modeler/_form_preview.html.j2", context)


def _preview_fields(schema: dict[str, Any], ui: Any, data: Any, lang: str) -> tuple[list[Any], dict[str, str]]:
    """Check the form as deploy would, then build its fields with the example data and its errors."""
    check_form_schema(schema)
    if isinstance(ui, dict):
        check_ui_schema(ui, schema)
    values = data if isinstance(data, dict) else {}
    errors = validate_form(schema, values, lang=lang) if values else {}
    return build_fields(schema, ui if isinstance(ui, dict) else {}, values, errors, lang=lang), errors


def _parse(text: str, what: str, problems: list[str], templates: Templates, request: Request) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        problems.append(templates.tr(request, what) + ": " + templates.tr(request, "not valid JSON") + f" ({exc})")
        return None


# ---- scenario tests ---------------------------------------------------------------------------------


def user_tasks(draft: DraftView) -> list[dict[str, str]]:
    """The human tasks of the draft's BPMN files: what a scenario step may complete, with the form's fields."""
    tasks: list[dict[str, str]] = []
    for f in draft.of_kind("bpmn"):
        try:
            root = safe_xml(f.content.encode("utf-8"))
        except etree.XMLSyntaxError:
            continue
        for el in root.iter(f"{BPMN}userTask", f"{BPMN}manualTask"):
            form = ""
            for prop in el.iter(f"{SPIFF}property"):
                if prop.get("name") == "formJsonSchemaFilename":
                    form = prop.get("value") or ""
            fields = ""
            schema = draft.file(form)
            if schema is not None:
                try:
                    fields = ", ".join(sorted((json.loads(schema.content).get("properties") or {}).keys()))
                except (ValueError, AttributeError, RecursionError):
                    fields = ""
            tasks.append({"id": el.get("id") or "", "name": el.get("name") or "", "form": form, "fields": fields})
    return tasks


def example_scenarios(draft: DraftView) -> str:
    first = next((t["id"] for t in user_tasks(draft)), "first_task")
    return _pretty(
        {
            "scenarios": [
                {
                    "name": "happy path",
                    "start": {"data": {}},
                    "steps": [{"complete": first, "data": {}}],
                    "expect": {"path": [first]},
                }
            ]
        }
    )


def _scenarios_context(tabs: ProcessTabs, draft: DraftView, content: str | None = None) -> dict[str, Any]:
    existing = draft.file(draft.scenario_file)
    return {
        "tabs": tabs,
        "file": draft.scenario_file,
        "exists": existing is not None,
        "content": content if content is not None else (existing.content if existing else example_scenarios(draft)),
        "tasks": user_tasks(draft),
        "revision": draft.revision,
        "check": None,
    }


@router.get("/processes/{process_id}/edit/scenarios")
def scenarios_page(
    request: Request, process_id: str, actor: ActorPage, svc: ServicesDep, templates: TemplatesDep
) -> Response:
    tabs = process_tabs(svc, actor, process_id, "scenarios")
    draft = draft_or_404(tabs)
    return templates.render(request, "modeler/scenarios.html.j2", _scenarios_context(tabs, draft))


@router.post("/processes/{process_id}/edit/scenarios")
def scenarios_action(
    request: Request,
    process_id: str,
    actor: ActorPage,
    svc: ServicesDep,
    templates: TemplatesDep,
    content: Text = "",
    revision: Annotated[str, Form(max_length=12)] = "",
    action: Annotated[str, Form(max_length=10)] = "save",
) -> Response:
    """Save the scenario file (when it changed) and, for "run", run every scenario of the draft."""
    tabs = process_tabs(svc, actor, process_id, "scenarios")
    draft = draft_or_404(tabs)
    if action != "run":
        require_role(actor, *EDIT_ROLES)
    existing = draft.file(draft.scenario_file)
    error = None
    if tabs.can_edit and (existing is None or existing.content != content):
        try:
            json.loads(content)
            draft = save_files(svc, actor, process_id, [(draft.scenario_file, content)], revision=_revision(revision))
        except (ValueError, RecursionError) as exc:
            error = templates.tr(request, "The scenario file is not valid JSON") + f" ({exc})"
        except (InvalidInput, Conflict) as exc:
            error = str(exc)
    tabs = process_tabs(svc, actor, process_id, "scenarios")
    context = _scenarios_context(tabs, draft, content)
    context["error"] = error
    if error is None and action == "run":
        context["check"] = check_draft(svc, actor, process_id)
    elif error is None:
        response = redirect(f"/processes/{process_id}/edit/scenarios")
        flash(request, response, templates.tr(request, "Scenario tests saved in the draft."))
        return response
    return templates.render(request, "modeler/scenarios.html.j2", context, status_code=422 if error else 200)
