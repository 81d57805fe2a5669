"""services.inbox directly: query parsing for pages and saved filters, the starter rule, instructions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from support import OK_SCHEMA, OWNER, SUPERVISOR, one_lane_process
from support_api import case_with_flow, deploy_case_flow

from engine import SourceFile
from services.context import Actor, Services
from services.deploy import deploy
from services.errors import Forbidden, InvalidInput
from services.inbox import InboxQuery, list_tasks, query_from_dict, query_to_dict
from services.instances import start_instance
from services.instructions import render_instructions


def test_query_strings_parse_and_round_trip() -> None:
    query = query_from_dict(
        {"scope": "team", "overdue": "true", "version": "2", "due_before": "2026-03-10T00:00:00", "page": "3"}
    )
    assert query == InboxQuery(
        scope="team", overdue=True, version=2, due_before=datetime(2026, 3, 10, tzinfo=UTC), page=3
    )
    assert query_to_dict(query) == {
        "scope": "team",
        "version": 2,
        "due_before": "2026-03-10T00:00:00+00:00",
        "overdue": True,
    }  # no page, no defaults
    assert query_from_dict(query_to_dict(query)) == InboxQuery(
        scope="team", overdue=True, version=2, due_before=datetime(2026, 3, 10, tzinfo=UTC)
    )
    assert query_from_dict({"process": "", "lane": None}) == InboxQuery()  # empty form fields


def test_bad_queries_name_their_fields() -> None:
    with pytest.raises(InvalidInput) as bad:
        query_from_dict({"scope": "x", "overdue": "perhaps", "version": "v2", "colour": "red", "per_page": "999"})
    assert set(bad.value.errors) == {"overdue", "version", "colour"}  # parse errors first
    with pytest.raises(InvalidInput) as bad:
        query_from_dict({"scope": "x", "per_page": "999", "sort": "name", "order": "up", "page": "0"})
    assert set(bad.value.errors) == {"scope", "per_page", "sort", "order", "page"}
    with pytest.raises(InvalidInput):
        query_from_dict({"due_after": "last tuesday"})


LANELESS = one_lane_process(
    "laneless",
    '<bpmn:startEvent id="start"/><bpmn:userTask id="try_it" name="Try the model"><bpmn:extensionElements>'
    '<spiffworkflow:properties><spiffworkflow:property name="formJsonSchemaFilename" value="ok-schema.json"/>'
    '</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask><bpmn:endEvent id="end"/>',
    [("start", "try_it"), ("try_it", "end")],
)


def test_a_task_without_a_lane_goes_to_the_starter(svc: Services) -> None:
    deploy(
        svc, OWNER, [SourceFile("laneless.bpmn", LANELESS), SourceFile("ok-schema.json", OK_SCHEMA)], imported=True
    )  # a warning, not an error
    start_instance(svc, OWNER, "laneless")
    other_owner = Actor("otto", frozenset({"process_owner"}))
    intake = Actor("ida", frozenset({"intake"}))
    rows = list_tasks(svc, OWNER, InboxQuery(scope="team")).rows
    assert [(r.name, r.lane, r.case_id) for r in rows] == [("try_it", None, None)]
    assert list_tasks(svc, other_owner, InboxQuery(scope="team")).rows == []
    assert list_tasks(svc, intake, InboxQuery(scope="team")).rows == []


def test_who_has_an_inbox(svc: Services) -> None:
    deploy_case_flow(svc)
    case_with_flow(svc, "A", reference="AUT-2026-000001")
    admin = Actor("adam", frozenset({"admin"}))
    with pytest.raises(Forbidden):
        list_tasks(svc, admin, InboxQuery())
    with pytest.raises(Forbidden):
        list_tasks(svc, Actor("ida", frozenset({"intake"})), InboxQuery(scope="all"))
    page = list_tasks(svc, SUPERVISOR, InboxQuery(scope="all"))
    assert page.total == 1 and page.as_of == svc.now()
    with pytest.raises(InvalidInput):
        list_tasks(svc, SUPERVISOR, InboxQuery(per_page=201))


def test_instructions_render_or_fall_back() -> None:
    assert render_instructions("Hello {{ name }}!", {"name": "Anna"}) == "Hello Anna!"
    assert render_instructions("No *escaping*: {{ x }}", {"x": "<b>"}) == "No *escaping*: <b>"  # Markdown source
    assert render_instructions("{{ missing }}.", {}) == "."
    assert render_instructions(None, {}) is None
    for broken in (
        "{% for x in %}",  # syntax error
        "{{ 1 / 0 }}",
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "{{ 'x' * 100000000 }}",
        "{{ 2 ** 100000 }}",
        "{% for i in range(5000) %}{{ 'y' * 50 }}{% endfor %}",  # output over the cap
    ):
        assert render_instructions(broken, {"x": 1}) == broken, broken
    assert render_instructions("[{{ x.__class__ }}]", {"x": 1}) == "[]"  # the sandbox hides dunders
    assert "<class" not in (render_instructions("{{ ''.__class__.__mro__ }}", {}) or "")
