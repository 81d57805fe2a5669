"""The task page's form pipeline: posted pairs and uploads -> row actions -> typed data; and the view.

Pipeline for a POST (forms package): uploads become document ids, apply_row_actions (add/remove a
row: re-render, nothing saved), coerce_form with the checkboxes the page rendered, then the service
validates and completes. Field views are built with the request's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from markdown_it import MarkdownIt
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from forms import FieldView, apply_row_actions, build_fields, checkbox_paths, coerce_form, unplaced_errors
from services.context import Actor, Services
from services.documents import store_document
from services.errors import InvalidInput
from services.task_detail import TaskDetailView

ACTION_FIELD = "__action"
FILE_PREFIX = "__file__."
_MARKDOWN = MarkdownIt("commonmark", {"html": False})  # raw HTML in instructions is escaped, not rendered


def render_markdown(text: str | None) -> Markup | None:
    """Instructions (already filled in with task data by the service) as safe HTML."""
    if not text:
        return None
    return Markup(_MARKDOWN.render(text))  # noqa: S704 - markdown-it escapes all raw HTML (html=False)


@dataclass
class Posted:
    """What the browser sent, after uploads were stored."""

    pairs: list[tuple[str, str]]
    action: str
    upload_errors: dict[str, str] = field(default_factory=dict)


async def read_posted(svc: Services, actor: Actor, task_id: str, form: FormData) -> Posted:
    """Pairs of the form's own fields; each chosen file is stored and its document id posted under its name."""
    pairs: list[tuple[str, str]] = []
    uploads: list[tuple[str, UploadFile]] = []
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            if name.startswith(FILE_PREFIX) and value.filename:
                uploads.append((name[len(FILE_PREFIX) :], value))
        else:
            pairs.append((name, value))
    action = next((v for k, v in pairs if k == ACTION_FIELD), "complete")
    errors: dict[str, str] = {}
    for name, upload in uploads:
        content = await upload.read()
        try:
            info = await run_in_threadpool(
                store_document,
                svc,
                actor,
                task_id,
                name,
                upload.filename,
                upload.content_type or "application/octet-stream",
                content,
            )
        except InvalidInput as exc:
            errors[name] = "; ".join(exc.errors.values()) or str(exc)
            continue
        pairs = [(k, v) for k, v in pairs if k != name] + [(name, info.public_id)]
    return Posted(pairs, action if action in ("complete", "draft") else "complete", errors)


def coerce(detail: TaskDetailView, pairs: list[tuple[str, str]]) -> tuple[dict[str, Any], bool]:
    """(typed data, whether a row was added or removed: then re-render and save nothing)."""
    if detail.schema is None:
        return {}, False
    pairs, acted = apply_row_actions(detail.schema, pairs)
    return coerce_form(detail.schema, pairs, checkbox_paths(detail.schema, detail.ui_schema)), acted


@dataclass(frozen=True)
class FormView:
    fields: list[FieldView]
    unplaced: dict[str, str]  # errors no field shows, for the summary
    error_links: list[tuple[str, str, str]]  # (element id, label, message) for the summary's links
    multipart: bool


def form_view(detail: TaskDetailView, data: dict[str, Any], errors: dict[str, str], lang: str) -> FormView:
    if detail.schema is None:
        return FormView([], dict(errors), [], False)
    fields = build_fields(detail.schema, detail.ui_schema, data, errors, lang=lang)
    views = _walk(fields)
    links = [(v.id, v.label, v.error) for v in views if v.error]
    return FormView(fields, unplaced_errors(fields, errors), links, any(v.widget == "file" for v in views))


def _walk(fields: list[FieldView]) -> list[FieldView]:
    """Every field view in page order (rows included, the blank template row not)."""
    found: list[FieldView] = []
    for view in fields:
        found.append(view)
        found.extend(_walk(view.children))
        for row in view.items:
            found.extend(_walk(row))
        if view.widget == "array" and view.can_add:
            found.extend(v for v in _walk(view.template) if v.widget == "file")  # a new row may need an upload
    return found
