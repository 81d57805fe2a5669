"""A SpiffArena folder (files or a .zip) as the draft of its main process, to finish in the editor
(for example to replace a SpiffArena connector before deploying)."""

from __future__ import annotations

from lxml import etree

from engine import LintIssue, safe_xml
from services.context import Actor, Services
from services.errors import Forbidden
from services.process_editor import EDIT_ROLES, DraftView, as_text, put_files
from services.spiffarena_import import ImportBundle, read_upload

BPMN_PROCESS = "{http://www.omg.org/spec/BPMN/20100524/MODEL}process"


def import_as_draft(
    svc: Services, actor: Actor, uploads: list[tuple[str, bytes]]
) -> tuple[DraftView | None, ImportBundle]:
    """A SpiffArena folder (files or a .zip) as the draft of its main process, to finish in the editor.

    The main process is process_model.json's primary_process_id, else the first executable process.
    Returns (None, bundle) when the upload cannot be read; the bundle's issues say why.
    """
    if not actor.has(*EDIT_ROLES):
        raise Forbidden("only a process owner may import processes")
    bundle = read_upload(uploads)
    if not bundle.ok:
        return None, bundle
    executable: list[str] = []
    for f in bundle.files:
        if f.name.lower().endswith(".bpmn"):
            try:
                root = safe_xml(f.content)
            except etree.XMLSyntaxError:
                continue
            executable += [
                str(p.get("id")) for p in root.iter(BPMN_PROCESS) if p.get("isExecutable") == "true" and p.get("id")
            ]
    process_id = bundle.primary_process_id if bundle.primary_process_id in executable else next(iter(executable), None)
    if process_id is None:
        bundle.issues.append(
            LintIssue("", None, "no-executable-process", 'No process is marked executable (isExecutable="true").')
        )
        return None, bundle
    files = [(f.name, as_text(f.name, f.content)) for f in bundle.files]
    return put_files(svc, actor, process_id, files, imported=True), bundle
