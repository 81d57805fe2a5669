"""The inbox over HTTP: scopes (need-to-know), filters, sorting, pagination, saved filters."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from support import FakeClock
from support_api import case_with_flow, deploy_case_flow, open_task, to_assess, user

from services.context import Services
from services.uow import UnitOfWork
from store.models import HumanTask
from web.app import create_app


@pytest.fixture
def client(svc: Services) -> Iterator[TestClient]:
    with TestClient(create_app(svc.settings, services=svc)) as c:
        yield c


def ids(rows: list[dict[str, object]]) -> list[object]:
    return [r["id"] for r in rows]


def set_task(svc: Services, task_id: str, **values: object) -> None:
    with UnitOfWork(svc.sessions, write=True) as uow:
        uow.session.execute(update(HumanTask).where(HumanTask.id == task_id).values(**values))
        uow.commit()


def test_scopes_follow_need_to_know(client: TestClient, svc: Services) -> None:
    deploy_case_flow(svc)
    cw_a = user(svc, "anna", ["caseworker"], team="A")
    cw_b = user(svc, "bert", ["caseworker"], team="B")
    intake_a = user(svc, "ida", ["intake"], team="A")
    user(svc, "ben", ["intake"], team="B")
    intake_free = user(svc, "ilse", ["intake"])
    sup = user(svc, "sue", ["supervisor"])
    owner = user(svc, "olga", ["process_owner"])
    _case_a, inst_a = case_with_flow(svc, "A", reference="AUT-2026-000001")
    _case_b, inst_b = case_with_flow(svc, "B", reference="AUT-2026-000002")
    _case_new, inst_new = case_with_flow(svc, None, reference="AUT-2026-000003")  # a referral no team owns
    assess_a, assess_b = to_assess(svc, inst_a, "ida"), to_assess(svc, inst_b, "ben")
    register_new = open_task(svc, inst_new, "register")

    assert ids(client.get("/api/v1/tasks?scope=team", headers=cw_a).json()) == [assess_a]
    assert ids(client.get("/api/v1/tasks?scope=team", headers=cw_b).json()) == [assess_b]
    assert ids(client.get("/api/v1/tasks?scope=team", headers=intake_a).json()) == [register_new]
    assert ids(client.get("/api/v1/tasks?scope=team", headers=intake_free).json()) == [register_new]
    assert client.get("/api/v1/tasks?scope=team", headers=owner).json() == []  # no case data for process owners

    r = client.get("/api/v1/tasks?scope=all", headers=sup)
    assert r.status_code == 200 and set(ids(r.json())) == {assess_a, assess_b, register_new}
    assert client.get("/api/v1/tasks?scope=all", headers=cw_a).status_code == 403
    assert client.get("/api/v1/tasks?scope=everything", headers=cw_a).status_code == 422

    # a caseworker who holds a task of team B's case (assigned by a supervisor) sees it in "mine"
    assert client.post(f"/api/v1/tasks/{assess_b}/assign", json={"assignee": "anna"}, headers=sup).status_code == 200
    assert ids(client.get("/api/v1/tasks?scope=mine", headers=cw_a).json()) == [assess_b]
    assert ids(client.get("/api/v1/tasks?scope=team", headers=cw_b).json()) == []  # claimed


def test_sorting_filters_and_pagination(client: TestClient, svc: Services, clock: FakeClock) -> None:
    deploy_case_flow(svc)
    intake = user(svc, "ida", ["intake"], team="A")
    sup = user(svc, "sue", ["supervisor"])
    refs = ["AUT-2026-000011", "AUT-2026-000012", "AUT-2026-000013", "AUT-2026-000014"]
    tasks = []
    for ref in refs:  # register is due 2 days after it opens (dueIn P2D)
        _case, inst = case_with_flow(svc, "A", reference=ref)
        tasks.append(open_task(svc, inst, "register"))
        clock.advance(days=1)
    first, second, third, fourth = tasks
    set_task(svc, fourth, due_at=None)
    set_task(svc, third, priority=10)  # urgent / child
    clock.advance(hours=-12)  # now 3.5 days in: first and second are overdue

    r = client.get("/api/v1/tasks?scope=team", headers=intake)
    assert r.status_code == 200 and r.headers["X-Total-Count"] == "4"
    assert r.headers["X-As-Of"].startswith(clock.now.isoformat()[:19])
    rows = r.json()
    assert ids(rows) == [first, second, third, fourth]  # oldest deadline first, none last
    assert [row["overdue"] for row in rows] == [True, True, False, False]
    assert ids(client.get("/api/v1/tasks?scope=team&order=desc", headers=intake).json()) == [
        third,
        second,
        first,
        fourth,
    ]
    assert ids(client.get("/api/v1/tasks?scope=team&sort=priority", headers=intake).json())[0] == third
    assert ids(client.get("/api/v1/tasks?scope=team&sort=created&order=desc", headers=intake).json()) == [
        fourth,
        third,
        second,
        first,
    ]

    r = client.get("/api/v1/tasks?scope=team&overdue=true", headers=intake)
    assert ids(r.json()) == [first, second] and r.headers["X-Total-Count"] == "2"
    r = client.get("/api/v1/tasks?scope=team&per_page=3&page=1", headers=intake)
    assert ids(r.json()) == [first, second, third] and r.headers["X-Total-Count"] == "4"
    r = client.get("/api/v1/tasks?scope=team&per_page=3&page=2", headers=intake)
    assert ids(r.json()) == [fourth] and r.headers["X-Total-Count"] == "4"
    assert client.get("/api/v1/tasks?scope=team&page=9", headers=intake).json() == []

    def only(query: str) -> list[object]:
        return ids(client.get(f"/api/v1/tasks?scope=team&{query}", headers=intake).json())

    assert only("case_reference=AUT-2026-000012") == [second]
    assert only("case_reference=aut-2026-000012") == [second]
    assert only("process=case_flow&version=1&lane=Intake") == tasks
    assert only("version=2") == [] and only("lane=Caseworker") == [] and only("process=other") == []
    assert only("due_before=2026-03-05T09:00:00Z") == [first]  # exclusive: second is due at that moment
    assert only("due_after=2026-03-05T00:00:00Z") == [second, third]

    assert ids(client.get("/api/v1/tasks?scope=all&lane=Intake&per_page=1", headers=sup).json()) == [first]
    for bad in ("per_page=500", "per_page=0", "page=0", "sort=name", "order=up", "status=cancelled", "version=0"):
        r = client.get(f"/api/v1/tasks?{bad}", headers=intake)
        assert r.status_code == 422, bad
        assert r.json()["detail"]["errors"], bad


def test_saved_filters_crud(client: TestClient, svc: Services) -> None:
    ida = user(svc, "ida", ["intake"])
    carl = user(svc, "carl", ["caseworker"])
    admin = user(svc, "adam", ["admin"])
    body = {"name": "Overdue urgent", "query": {"scope": "team", "overdue": True, "sort": "priority"}}
    r = client.post("/api/v1/saved-filters", json=body, headers=ida)
    assert r.status_code == 201, r.text
    saved = r.json()
    assert saved["name"] == "Overdue urgent"
    assert saved["query"] == {"scope": "team", "overdue": True, "sort": "priority"}
    assert client.post("/api/v1/saved-filters", json=body, headers=ida).status_code == 409  # name taken
    assert client.post("/api/v1/saved-filters", json=body, headers=carl).status_code == 201  # others may use it

    bad = {"name": "x", "query": {"scope": "everything"}}
    r = client.post("/api/v1/saved-filters", json=bad, headers=ida)
    assert r.status_code == 422 and "scope" in r.json()["detail"]["errors"]
    r = client.post("/api/v1/saved-filters", json={"name": "x", "query": {"colour": "red"}}, headers=ida)
    assert r.status_code == 422 and "query.colour" in r.json()["detail"]["errors"]
    r = client.post("/api/v1/saved-filters", json={"name": "", "query": {}}, headers=ida)
    assert r.status_code == 422 and "name" in r.json()["detail"]["errors"]
    assert client.post("/api/v1/saved-filters", json=body, headers=admin).status_code == 403

    mine = client.get("/api/v1/saved-filters", headers=ida).json()
    assert [f["id"] for f in mine] == [saved["id"]]
    assert client.delete(f"/api/v1/saved-filters/{saved['id']}", headers=carl).status_code == 404  # not carl's
    assert client.delete(f"/api/v1/saved-filters/{saved['id']}", headers=ida).status_code == 204
    assert client.get("/api/v1/saved-filters", headers=ida).json() == []
    assert client.delete(f"/api/v1/saved-filters/{saved['id']}", headers=ida).status_code == 404
    assert len(client.get("/api/v1/saved-filters", headers=carl).json()) == 1
