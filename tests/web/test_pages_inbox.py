"""The inbox page: views, overdue marker, filters, sorting, pagination, saved filters, the htmx partial."""

from __future__ import annotations

import re

from page_helpers import (
    deploy_case_flow,
    make_case,
    make_user,
    open_task_id,
    page_client,
    post,
    sign_in,
    start_case_flow,
)
from support import FakeClock

from services.context import Actor, Services
from services.tasks import claim

IDA = Actor("ida", frozenset({"intake"}))


def _rows(html: str) -> list[str]:
    return re.findall(r'data-testid="inbox-row" data-task-id="([^"]+)"', html)


def test_views_mine_team_completed_and_all(svc: Services) -> None:
    deploy_case_flow(svc)
    make_user(svc, "ida", ["intake"])
    make_user(svc, "sue", ["supervisor"])
    mine = open_task_id(start_case_flow(svc))
    free = open_task_id(start_case_flow(svc))
    claim(svc, IDA, mine)
    with page_client(svc) as client:
        sign_in(client, "ida")
        assert _rows(client.get("/inbox").text) == [mine]  # "My tasks" is the default view
        assert _rows(client.get("/inbox?view=team").text) == [free]
        assert _rows(client.get("/inbox?view=completed").text) == []
        assert 'data-testid="view-all"' not in client.get("/inbox").text
        assert client.get("/inbox?view=all").status_code == 403
    with page_client(svc) as client:
        sign_in(client, "sue")
        page = client.get("/inbox?view=all")
        assert page.status_code == 200 and set(_rows(page.text)) == {mine, free}
        assert 'aria-current="page">Kaikki tehtävät' in page.text


def test_columns_overdue_marker_and_case_link(svc: Services, clock: FakeClock) -> None:
    deploy_case_flow(svc)
    make_user(svc, "ida", ["intake"], team="Helsinki")
    case_id = make_case(svc, "AUT-2026-000042", "Helsinki")
    task_id = open_task_id(start_case_flow(svc, case_id=case_id))
    with page_client(svc) as client:
        sign_in(client, "ida")
        page = client.get("/inbox?view=team").text
        assert f'<a href="/cases/{case_id}">AUT-2026-000042</a>' in page
        assert "case_flow" in page and "Intake" in page and 'data-testid="overdue"' not in page
        clock.advance(days=3)  # the register task is due in two days (the session has ended by then)
        sign_in(client, "ida")
        page = client.get("/inbox?view=team").text
        assert f'data-task-id="{task_id}"' in page and 'data-testid="overdue"' in page and "MYÖHÄSSÄ" in page


def test_filters_sorting_and_pagination(svc: Services, clock: FakeClock) -> None:
    deploy_case_flow(svc)
    make_user(svc, "ida", ["intake"])
    created = []
    for _ in range(27):
        created.append(open_task_id(start_case_flow(svc)))
        clock.advance(hours=1)
    with page_client(svc) as client:
        sign_in(client, "ida")
        first = client.get("/inbox?view=team")
        assert len(_rows(first.text)) == 25 and "27 tehtävää" in first.text
        assert 'href="/inbox?view=team&amp;page=2"' in first.text and "Sivu 1 / 2" in first.text
        second = client.get("/inbox?view=team&page=2")
        assert len(_rows(second.text)) == 2
        assert _rows(first.text) + _rows(second.text) == created  # due date (oldest first) by default
        newest = client.get("/inbox?view=team&sort=created&order=desc")
        assert _rows(newest.text)[0] == created[-1]
        assert _rows(client.get("/inbox?view=team&process=nope").text) == []
        assert len(_rows(client.get("/inbox?view=team&lane=Intake&version=1").text)) == 25
        # register is due two days after it was created (09:00 UTC + n hours); the date range is local time
        due_day = client.get("/inbox?view=team&due_from=2026-03-04&due_to=2026-03-04")
        assert "13 tehtävää" in due_day.text  # due 11:00, 12:00 .. 23:00 Helsinki time on 4 March
        bad = client.get("/inbox?view=team&due_from=yesterday&version=x")
        assert bad.status_code == 422 and 'id="filter-due_from-error"' in bad.text
        assert 'id="filter-version-error"' in bad.text and 'value="yesterday"' in bad.text


def test_the_table_partial_and_the_freshness_line(svc: Services) -> None:
    deploy_case_flow(svc)
    make_user(svc, "ida", ["intake"])
    start_case_flow(svc)
    with page_client(svc) as client:
        sign_in(client, "ida")
        page = client.get("/inbox?view=team").text
        assert 'hx-get="/inbox/table?view=team"' in page and 'hx-trigger="every 30s"' in page
        assert "tilanne klo 11:00:00" in page  # 09:00 UTC in Helsinki time
        part = client.get("/inbox/table?view=team", headers={"HX-Request": "true"})
        assert part.status_code == 200 and part.text.lstrip().startswith('<div id="inbox-table"')
        assert "<html" not in part.text and len(_rows(part.text)) == 1


def test_saved_filters_save_apply_and_delete(svc: Services) -> None:
    deploy_case_flow(svc)
    make_user(svc, "ida", ["intake"])
    make_user(svc, "ines", ["intake"])
    start_case_flow(svc)
    with page_client(svc) as client:
        sign_in(client, "ida")
        r = post(client, "/inbox/filters", {"name": "Urgent intake", "query": "view=team&lane=Intake&sort=created"})
        assert r.status_code == 303 and r.headers["location"] == "/inbox?view=team&lane=Intake&sort=created"
        page = client.get("/inbox").text
        link = re.search(r'<a href="([^"]+)" data-testid="saved-filter">Urgent intake</a>', page)
        assert link and link.group(1) == "/inbox?view=team&amp;lane=Intake&amp;sort=created"
        assert len(_rows(client.get(link.group(1).replace("&amp;", "&")).text)) == 1
        again = post(client, "/inbox/filters", {"name": "Urgent intake", "query": "view=mine"})
        assert again.status_code == 303 and "Sinulla on jo tämänniminen suodatin." in client.get("/inbox").text
        filter_id = re.search(r'action="/inbox/filters/(\d+)/delete"', page)
        assert filter_id
    with page_client(svc) as other:
        sign_in(other, "ines")
        assert "Urgent intake" not in other.get("/inbox").text
        assert post(other, f"/inbox/filters/{filter_id.group(1)}/delete", {}).status_code == 404
    with page_client(svc) as client:
        sign_in(client, "ida")
        r = post(client, f"/inbox/filters/{filter_id.group(1)}/delete", {"query": "view=team"})
        assert r.status_code == 303 and r.headers["location"] == "/inbox?view=team"
        assert 'data-testid="saved-filter"' not in client.get("/inbox").text


def test_claim_from_the_inbox_opens_the_task(svc: Services) -> None:
    deploy_case_flow(svc)
    make_user(svc, "ida", ["intake"])
    task_id = open_task_id(start_case_flow(svc))
    with page_client(svc) as client:
        sign_in(client, "ida")
        r = post(client, f"/tasks/{task_id}/claim", {})
        assert r.status_code == 303 and r.headers["location"] == f"/tasks/{task_id}"
        assert "Otit tehtävän käsittelyyn." in client.get(r.headers["location"]).text
        assert _rows(client.get("/inbox").text) == [task_id]
        assert _rows(client.get("/inbox?view=team").text) == []
