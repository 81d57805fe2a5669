"""The case page and the access-log page: need-to-know per role, the access log, escaping."""

from __future__ import annotations

from page_helpers import deploy_case_flow, make_case, make_user, page_client, sign_in, start_case_flow
from sqlalchemy import select

from services.context import Services
from services.uow import UnitOfWork
from store.models import AccessLogEntry

SCRIPT = "<script>alert(1)</script>"


def _log(svc: Services) -> list[tuple[str, int, str, str]]:
    with UnitOfWork(svc.sessions) as uow:
        rows = uow.session.scalars(select(AccessLogEntry).order_by(AccessLogEntry.id)).all()
        return [(r.username, r.case_id, r.what, r.via) for r in rows]


def test_the_case_page_shows_the_case_and_logs_the_read(svc: Services) -> None:
    deploy_case_flow(svc)
    make_user(svc, "carl", ["caseworker"], team="Helsinki")
    client_facts = {"given_names": SCRIPT, "family_name": "Example", "languages": ["fi", "en"]}
    case_id = make_case(svc, "AUT-2026-000007", "Helsinki", client_facts)
    start_case_flow(svc, case_id=case_id)
    with page_client(svc) as client:
        sign_in(client, "carl")
        r = client.get(f"/cases/{case_id}")
        assert r.status_code == 200
        html = r.text
        assert "Asia AUT-2026-000007" in html and "Helsinki" in html
        assert SCRIPT not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "fi, en" in html and "Register the case" in html  # client summary and active tasks
        assert 'data-testid="case-deadlines"' in html and 'data-testid="case-timeline"' in html
        assert "instance_started" in html and "case_flow version 1" in html  # the timeline
    assert _log(svc) == [("carl", case_id, "case", "page")]


def test_who_may_open_a_case_page(svc: Services) -> None:
    make_user(svc, "carl", ["caseworker"], team="Helsinki")
    make_user(svc, "cora", ["caseworker"], team="Tampere")
    make_user(svc, "sue", ["supervisor"])
    make_user(svc, "olga", ["process_owner"])
    make_user(svc, "adam", ["admin"])
    case_id = make_case(svc, "AUT-2026-000001", "Helsinki")
    expected = {"carl": 200, "cora": 403, "sue": 200, "olga": 403, "adam": 403}
    for name, status in expected.items():
        with page_client(svc) as client:
            sign_in(client, name)
            r = client.get(f"/cases/{case_id}")
            assert r.status_code == status, name
            if status == 403:
                assert "Sinulla ei ole pääsyä tälle sivulle" in r.text and "Traceback" not in r.text
    with page_client(svc) as client:
        sign_in(client, "sue")
        assert client.get("/cases/999").status_code == 404
    with page_client(svc) as anonymous:
        r = anonymous.get(f"/cases/{case_id}", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == f"/login?next=/cases/{case_id}"
    assert {name for name, *_ in _log(svc)} == {"carl", "sue"}


def test_the_access_log_page_is_for_supervisors(svc: Services) -> None:
    make_user(svc, "carl", ["caseworker"], team="Helsinki")
    make_user(svc, "sue", ["supervisor"])
    first = make_case(svc, "AUT-2026-000001", "Helsinki")
    second = make_case(svc, "AUT-2026-000002", "Helsinki")
    with page_client(svc) as client:
        sign_in(client, "carl")
        client.get(f"/cases/{first}")
        client.get(f"/cases/{second}")
        assert client.get("/supervision/access-log").status_code == 403
        assert 'data-testid="nav-access-log"' not in client.get("/inbox").text
    with page_client(svc) as client:
        sign_in(client, "sue")
        assert 'data-testid="nav-access-log"' in client.get("/inbox").text
        page = client.get("/supervision/access-log")
        assert page.status_code == 200 and page.text.count('data-testid="access-log-row"') == 2
        by_case = client.get(f"/supervision/access-log?case={first}")
        assert by_case.text.count('data-testid="access-log-row"') == 1
        by_user = client.get("/supervision/access-log?user=sue")
        assert by_user.text.count('data-testid="access-log-row"') == 0
        bad = client.get("/supervision/access-log?case=AUT-1")
        assert bad.status_code == 422 and 'id="access-case-error"' in bad.text
