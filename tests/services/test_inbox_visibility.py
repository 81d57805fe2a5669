"""The team inbox's need-to-know as a union of branches: the team's cases, cases where I hold a task,
and instances without a case; each task once, and the window count right on every page."""

from __future__ import annotations

from support import OWNER, SUPERVISOR
from support_api import actor, case_with_flow, deploy_case_flow, open_task, to_assess, user

from services.context import Services
from services.inbox import InboxQuery, list_tasks
from services.instances import start_instance
from services.tasks import assign


def start_case_flow(svc: Services, case_id: int | None = None) -> int:
    return start_instance(svc, OWNER, "case_flow", {"received_on": "2026-03-01"}, case_id=case_id).id


def test_team_scope_unions_the_visible_cases_without_duplicates(svc: Services) -> None:
    deploy_case_flow(svc)
    user(svc, "ida", ["intake"], team="A")
    user(svc, "ben", ["intake"], team="B")
    user(svc, "anna", ["caseworker"], team="A")
    user(svc, "bert", ["caseworker"], team="B")
    case_a, inst_a1 = case_with_flow(svc, "A", reference="AUT-2026-000201")
    case_b, inst_b1 = case_with_flow(svc, "B", reference="AUT-2026-000202")
    assess_a1 = to_assess(svc, inst_a1, "ida")
    assess_a2 = to_assess(svc, start_case_flow(svc, case_a), "ida")
    assess_b1 = to_assess(svc, inst_b1, "ben")
    assess_b2 = to_assess(svc, start_case_flow(svc, case_b), "ben")
    caseless = to_assess(svc, start_case_flow(svc), "ida")
    assign(svc, SUPERVISOR, assess_a2, "anna")  # anna holds a task on her own team's case ...
    assign(svc, SUPERVISOR, assess_b1, "anna")  # ... and one on team B's case

    anna = actor(svc, "anna")
    team = list_tasks(svc, anna, InboxQuery(scope="team", sort="created"))
    assert sorted(r.id for r in team.rows) == sorted([assess_a1, assess_b2, caseless]) and team.total == 3
    assert {r.id for r in list_tasks(svc, anna, InboxQuery(scope="mine")).rows} == {assess_a2, assess_b1}
    bert = list_tasks(svc, actor(svc, "bert"), InboxQuery(scope="team", sort="created"))
    assert sorted(r.id for r in bert.rows) == sorted([assess_b2, caseless])

    first = list_tasks(svc, anna, InboxQuery(scope="team", sort="created", per_page=2))
    second = list_tasks(svc, anna, InboxQuery(scope="team", sort="created", per_page=2, page=2))
    assert len(first.rows) == 2 and len(second.rows) == 1 and first.total == second.total == 3
    assert {r.id for r in first.rows + second.rows} == {assess_a1, assess_b2, caseless}
    past = list_tasks(svc, anna, InboxQuery(scope="team", per_page=2, page=3))
    assert past.rows == [] and past.total == 3  # no row to carry the window count: counted alone
    assert list_tasks(svc, anna, InboxQuery(scope="team", case_reference="AUT-2026-000202")).total == 1
    assert list_tasks(svc, anna, InboxQuery(scope="team", version=1, lane="Caseworker")).total == 3
    assert open_task(svc, inst_a1, "assess") == assess_a1
