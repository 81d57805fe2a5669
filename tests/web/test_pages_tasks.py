"""The task page over real HTTP: complete end to end, 422 with errors in place, drafts, 409, escaping, rows."""

from __future__ import annotations

import json
import re
from xml.sax.saxutils import escape

from page_helpers import (
    deploy_case_flow,
    make_user,
    open_task_id,
    page_client,
    page_token,
    post,
    sign_in,
    start_case_flow,
)
from sqlalchemy import func, select
from support import OWNER, one_lane_process

from engine import SourceFile
from services.context import Actor, Services
from services.deploy import deploy
from services.instances import start_instance
from services.tasks import claim, complete_task
from services.uow import UnitOfWork
from store.models import AuditEvent, Document, HumanTask

SCRIPT = "<script>alert(1)</script>"


def _task(svc: Services, task_id: str) -> HumanTask:
    with UnitOfWork(svc.sessions) as uow:
        row = uow.session.get(HumanTask, task_id)
        assert row is not None
        return row


def _completions(svc: Services) -> int:
    with UnitOfWork(svc.sessions) as uow:
        return uow.session.scalar(select(func.count()).where(AuditEvent.action == "task_completed")) or 0


def test_a_task_is_completed_end_to_end_through_the_html_form(svc: Services) -> None:
    deploy_case_flow(svc)
    make_user(svc, "ida", ["intake"])
    make_user(svc, "carl", ["caseworker"])
    task_id = open_task_id(start_case_flow(svc))
    with page_client(svc) as client:
        sign_in(client, "ida")
        inbox = client.get("/inbox?view=team")
        assert f'data-task-id="{task_id}"' in inbox.text and "Register the case" in inbox.text
        claimed = post(client, f"/tasks/{task_id}/claim", {})
        assert claimed.status_code == 303 and claimed.headers["location"] == f"/tasks/{task_id}"
        page = client.get(f"/tasks/{task_id}")
        assert page.status_code == 200
        assert "Register the referral received on 2026-03-01." in page.text  # instructions with task data
        assert '<label for="f-client_name">' in page.text and 'value="2026-03-01"' in page.text
        assert 'data-testid="complete"' in page.text and 'data-testid="save-draft"' in page.text
        form = {"client_name": "Maria Example", "received_on": "2026-03-01", "urgent": "true", "__action": "complete"}
        done = post(client, f"/tasks/{task_id}", form)
        assert done.status_code == 303 and done.headers["location"] == "/inbox"
        assert "Tehtävä valmis: Register the case" in client.get("/inbox").text  # the flash
        assert _task(svc, task_id).status == "completed" and _task(svc, task_id).completed_by == "ida"
        assert "Register the case" in client.get("/inbox?view=completed").text
    with page_client(svc) as client:
        sign_in(client, "carl")
        team = client.get("/inbox?view=team")
        assert "Assess the situation" in team.text and 'data-testid="claim"' in team.text


def test_invalid_input_is_422_with_errors_next_to_the_fields_and_the_input_kept(svc: Services) -> None:
    deploy_case_flow(svc)
    make_user(svc, "ida", ["intake"])
    task_id = open_task_id(start_case_flow(svc))
    with page_client(svc) as client:
        sign_in(client, "ida")
        form = {"client_name": "", "received_on": "not a date", "urgent": "true", "__action": "complete"}
        r = post(client, f"/tasks/{task_id}", form)
        assert r.status_code == 422
        html = r.text
        assert 'data-testid="error-summary"' in html
        name_error = re.search(r'<p class="field__error" id="f-client_name-error" role="alert">([^<]+)</p>', html)
        date_error = re.search(r'<p class="field__error" id="f-received_on-error" role="alert">([^<]+)</p>', html)
        assert name_error and name_error.group(1) == "Tämä kenttä on pakollinen."
        assert date_error and date_error.group(1) == "Anna päivämäärä (VVVV-KK-PP)."
        assert 'value="not a date"' in html  # what the user typed stays
        assert re.search(r'id="f-urgent" name="urgent" value="true"\s+checked', html)
        assert 'aria-invalid="true"' in html and 'aria-describedby="f-client_name-error"' in html
    assert _task(svc, task_id).status == "open" and _task(svc, task_id).draft is None
    assert _completions(svc) == 0  # nothing was written


def test_a_draft_survives_a_reload(svc: Services) -> None:
    deploy_case_flow(svc)
    make_user(svc, "ida", ["intake"])
    task_id = open_task_id(start_case_flow(svc))
    with page_client(svc) as client:
        sign_in(client, "ida")
        form = {"client_name": "Half way", "received_on": "", "__action": "draft"}
        r = post(client, f"/tasks/{task_id}", form)
        assert r.status_code == 303 and r.headers["location"] == "/inbox"
        assert "badge--draft" in client.get("/inbox?view=team").text
        page = client.get(f"/tasks/{task_id}")
        assert 'value="Half way"' in page.text and 'data-testid="draft-saved-at"' in page.text
        assert 'id="f-urgent"' in page.text and not re.search(r'id="f-urgent"[^>]*checked', page.text)
    assert _task(svc, task_id).draft == {"client_name": "Half way", "urgent": False}
    assert _completions(svc) == 0


def test_a_stale_completion_shows_409_and_keeps_the_input(svc: Services) -> None:
    deploy_case_flow(svc)
    make_user(svc, "ida", ["intake"])
    task_id = open_task_id(start_case_flow(svc))
    with page_client(svc) as client:
        sign_in(client, "ida")
        token = page_token(client, f"/tasks/{task_id}")  # the page is open in the browser...
        other = Actor("ines", frozenset({"intake"}))
        complete_task(svc, other, task_id, {"client_name": "Someone else", "received_on": "2026-03-01"})
        form = [("client_name", "Mine"), ("received_on", "2026-03-01"), ("__action", "complete"), ("__csrf", token)]
        r = client.post(f"/tasks/{task_id}", data=dict(form), follow_redirects=False)
        assert r.status_code == 409
        assert 'data-testid="conflict"' in r.text and "Tehtävä muuttui sillä välin" in r.text
        assert 'value="Mine"' in r.text and f'href="/tasks/{task_id}"' in r.text
    assert _task(svc, task_id).completed_by == "ines"


def test_someone_elses_claimed_task_is_read_only(svc: Services) -> None:
    deploy_case_flow(svc)
    make_user(svc, "ida", ["intake"])
    make_user(svc, "ines", ["intake"])
    task_id = open_task_id(start_case_flow(svc))
    claim(svc, Actor("ines", frozenset({"intake"})), task_id)
    with page_client(svc) as client:
        sign_in(client, "ida")
        page = client.get(f"/tasks/{task_id}")
        assert page.status_code == 200
        assert 'data-testid="claimed-by-other"' in page.text and 'data-testid="readonly-form"' in page.text
        assert 'data-testid="complete"' not in page.text and "<fieldset disabled" in page.text
        r = post(client, f"/tasks/{task_id}", {"client_name": "x", "received_on": "2026-03-01"})
        assert r.status_code == 409
    assert _task(svc, task_id).status == "open"


def test_release_and_supervisor_assignment(svc: Services) -> None:
    deploy_case_flow(svc)
    make_user(svc, "ida", ["intake"])
    make_user(svc, "ines", ["intake"])
    make_user(svc, "sue", ["supervisor"])
    task_id = open_task_id(start_case_flow(svc))
    with page_client(svc) as client:
        sign_in(client, "ida")
        post(client, f"/tasks/{task_id}/claim", {})
        assert 'data-testid="unclaim"' in client.get("/inbox").text
        r = post(client, f"/tasks/{task_id}/unclaim", {"next": "/inbox?view=team"})
        assert r.status_code == 303 and r.headers["location"] == "/inbox?view=team"
        assert _task(svc, task_id).assignee is None
        r = post(client, f"/tasks/{task_id}/assign", {"assignee": "ines"})
        assert r.status_code == 403  # only supervisors assign
    with page_client(svc) as client:
        sign_in(client, "sue")
        page = client.get(f"/tasks/{task_id}")
        assert 'id="assign-user"' in page.text and '<option value="ines">' in page.text
        assert '<option value="sue">' not in page.text  # not in the Intake lane
        r = post(client, f"/tasks/{task_id}/assign", {"assignee": "ines"})
        assert r.status_code == 303 and _task(svc, task_id).assignee == "ines"
        r = post(client, f"/tasks/{task_id}/assign", {"assignee": "sue"})
        assert r.status_code == 303 and _task(svc, task_id).assignee == "ines"  # refused, with a message
        assert "Ei osoitettu" in client.get(f"/tasks/{task_id}").text


HOSTILE_SCHEMA = {
    "type": "object",
    "title": SCRIPT,
    "properties": {
        "note": {"type": "string", "title": f"Note {SCRIPT}", "x-title": {"fi": "Huomio", "en": "Note"}},
        "contacts": {
            "type": "array",
            "title": "Contacts",
            "items": {"type": "object", "properties": {"name": {"type": "string", "title": "Name"}}},
        },
        "attachment": {"type": "string", "title": "Attachment"},
    },
}


def _deploy_hostile(svc: Services) -> str:
    instructions = escape(f"**Read** {SCRIPT} about {{{{ who }}}}.")
    body = (
        '<bpmn:startEvent id="start"/>'
        '<bpmn:userTask id="check" name="Check &lt;b&gt;it&lt;/b&gt;"><bpmn:extensionElements>'
        f"<spiffworkflow:instructionsForEndUser>{instructions}</spiffworkflow:instructionsForEndUser>"
        "<spiffworkflow:properties>"
        '<spiffworkflow:property name="formJsonSchemaFilename" value="check-schema.json"/>'
        '<spiffworkflow:property name="formUiSchemaFilename" value="check-uischema.json"/>'
        "</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>"
        '<bpmn:endEvent id="end"/>'
    )
    xml = one_lane_process("hostile", body, [("start", "check"), ("check", "end")], nodes=["start", "check", "end"])
    ui = {"attachment": {"ui:widget": "file"}}
    files = [
        SourceFile("hostile.bpmn", xml),
        SourceFile("check-schema.json", json.dumps(HOSTILE_SCHEMA).encode()),
        SourceFile("check-uischema.json", json.dumps(ui).encode()),
    ]
    deploy(svc, OWNER, files)
    info = start_instance(svc, OWNER, "hostile", {"who": SCRIPT, "note": SCRIPT})
    return open_task_id(info)


def test_script_in_data_labels_and_instructions_is_inert(svc: Services) -> None:
    task_id = _deploy_hostile(svc)
    make_user(svc, "carl", ["caseworker"])
    with page_client(svc) as client:
        sign_in(client, "carl")
        client.post("/lang", data={"lang": "en", "__csrf": page_token(client), "next": "/"})
        page = client.get(f"/tasks/{task_id}").text
        assert SCRIPT not in page and "<b>it</b>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "<strong>Read</strong>" in page  # Markdown still works
        assert '<label for="f-note">Note</label>' in page  # the English label of the schema
        r = post(client, f"/tasks/{task_id}", {"note": f"typed {SCRIPT}", "__action": "draft"})
        assert r.status_code == 303
        page = client.get(f"/tasks/{task_id}").text
        assert SCRIPT not in page and 'value="typed &lt;script&gt;alert(1)&lt;/script&gt;"' in page
        assert "<script" not in page.replace('<script src="', "")  # no inline script at all


def test_add_and_remove_rows_re_render_without_saving(svc: Services) -> None:
    task_id = _deploy_hostile(svc)
    make_user(svc, "carl", ["caseworker"])
    with page_client(svc) as client:
        sign_in(client, "carl")
        r = post(client, f"/tasks/{task_id}", {"note": "kept", "__add__.contacts": "1"})
        assert r.status_code == 200 and 'name="contacts.0.name"' in r.text and 'value="kept"' in r.text
        one_row = [("contacts.0.name", "A"), ("__row__.contacts.0", ""), ("__add__.contacts", "1")]
        r = post(client, f"/tasks/{task_id}", one_row)
        assert 'name="contacts.1.name"' in r.text and 'value="A"' in r.text
        rows = [("contacts.0.name", "A"), ("contacts.1.name", "B"), ("__remove__.contacts.0", "1")]
        r = post(client, f"/tasks/{task_id}", rows)
        assert r.status_code == 200 and 'value="B"' in r.text and 'value="A"' not in r.text
    task = _task(svc, task_id)
    assert task.status == "open" and task.draft is None


def test_an_uploaded_file_becomes_a_document_id_in_the_data(svc: Services) -> None:
    task_id = _deploy_hostile(svc)
    make_user(svc, "carl", ["caseworker"])
    with page_client(svc) as client:
        sign_in(client, "carl")
        page = client.get(f"/tasks/{task_id}").text
        assert 'enctype="multipart/form-data"' in page and 'name="__file__.attachment"' in page
        token = page_token(client, f"/tasks/{task_id}")
        files = {"__file__.attachment": ("note.txt", b"hello", "text/plain")}
        data = {"note": "with a file", "__action": "draft", "__csrf": token}
        r = client.post(f"/tasks/{task_id}", data=data, files=files, follow_redirects=False)
        assert r.status_code == 303, r.text
        bad = {"__file__.attachment": ("x.png", b"not a png", "image/png")}
        r = client.post(f"/tasks/{task_id}", data={**data, "__csrf": token}, files=bad, follow_redirects=False)
        assert r.status_code == 422 and 'id="f-attachment-error"' in r.text
    with UnitOfWork(svc.sessions) as uow:
        doc = uow.session.scalars(select(Document)).one()
        assert doc.filename == "note.txt" and doc.content == b"hello"
    assert _task(svc, task_id).draft == {"note": "with a file", "attachment": doc.public_id}
