"""engine.lint: each rule fires on its seeded defect (and only it); clean models yield nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from engine.lint import ALLOWED_DETAILS, EXECUTED_FLOW_NODES, lint_process_files
from engine.types import LintIssue

NS = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"'
)
KNOWN = {"Intake", "Caseworker", "Decider", "Supervisor"}
SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {"decision": {"type": "string", "enum": ["yes", "no"]}},
}
FORMS: dict[str, object] = {"decide-schema.json": SCHEMA, "decide-uischema.json": {"decision": {}}}
BENCH = Path("/work/shared/bench/three_user_tasks")


def tree(body: str, pid: str = "p", top: str = "") -> Any:
    """A one-process definitions document; `top` goes beside the process (other processes etc.)."""
    xml = (
        f'<bpmn:definitions {NS} id="defs">{top}'
        f'<bpmn:process id="{pid}" isExecutable="true">{body}</bpmn:process></bpmn:definitions>'
    )
    return etree.fromstring(xml.encode())


def props(**values: str) -> str:
    items = "".join(f'<spiffworkflow:property name="{k}" value="{v}"/>' for k, v in values.items())
    properties = f"<spiffworkflow:properties>{items}</spiffworkflow:properties>"
    return f"<bpmn:extensionElements>{properties}</bpmn:extensionElements>"


def user_task(tid: str, schema: str | None = "decide-schema.json", ui: str | None = None) -> str:
    values = {k: v for k, v in (("formJsonSchemaFilename", schema), ("formUiSchemaFilename", ui)) if v}
    return f'<bpmn:userTask id="{tid}" name="Task {tid}">{props(**values) if values else ""}</bpmn:userTask>'


def lanes(**members: str) -> str:
    body = "".join(
        f'<bpmn:lane id="lane_{name}" name="{name}">'
        + "".join(f"<bpmn:flowNodeRef>{n}</bpmn:flowNodeRef>" for n in ids.split())
        + "</bpmn:lane>"
        for name, ids in members.items()
    )
    return f'<bpmn:laneSet id="ls">{body}</bpmn:laneSet>'


def flows(*pairs: str) -> str:
    """`flows("a>b", "b>c")` -> sequence flows with ids f_a_b ..."""
    return "".join(
        f'<bpmn:sequenceFlow id="f_{s}_{t}" sourceRef="{s}" targetRef="{t}"/>' for s, t in (p.split(">") for p in pairs)
    )


def timer_event(eid: str, kind: str, text: str, *, attached: str = "", cancel: bool = True) -> str:
    definition = f"<bpmn:timerEventDefinition><bpmn:{kind}>{text}</bpmn:{kind}></bpmn:timerEventDefinition>"
    if attached:
        return (
            f'<bpmn:boundaryEvent id="{eid}" name="{eid}" attachedToRef="{attached}" '
            f'cancelActivity="{"true" if cancel else "false"}">{definition}</bpmn:boundaryEvent>'
        )
    return f'<bpmn:intermediateCatchEvent id="{eid}" name="{eid}">{definition}</bpmn:intermediateCatchEvent>'


def lint(*roots: Any, forms: dict[str, object] | None = None, strict: bool = True) -> list[LintIssue]:
    trees = {f"f{i}.bpmn": r for i, r in enumerate(roots)}
    return lint_process_files(trees, FORMS if forms is None else forms, KNOWN, strict_lanes=strict)


def found(issues: list[LintIssue]) -> list[tuple[str, str | None]]:
    return [(i.rule, i.element_id) for i in issues]


def in_lane(body: str, *ids: str, lane: str = "Caseworker") -> Any:
    return tree(lanes(**{lane: " ".join(ids)}) + body)


# -- clean models ---------------------------------------------------------------------------------

CLEAN_MAIN = (
    lanes(Intake="start review t_bound remind gw work call sub end", Caseworker="escalate")
    + '<bpmn:startEvent id="start"/>'
    + user_task("review", ui="decide-uischema.json")
    + timer_event("t_bound", "timeDuration", '"P30D"', attached="review")
    + timer_event("remind", "timeDuration", '"P7D"', attached="review", cancel=False)
    + '<bpmn:manualTask id="escalate"/>'
    + f'<bpmn:exclusiveGateway id="gw">{props(maxLoopCount="5")}</bpmn:exclusiveGateway>'
    + '<bpmn:task id="work"/>'
    + '<bpmn:callActivity id="call" calledElement="evidence"/>'
    + '<bpmn:subProcess id="sub"><bpmn:startEvent id="s_start"/>'
    + user_task("s_task")
    + timer_event("s_wait", "timeDate", "reflection_end")
    + flows("s_start>s_task", "s_task>s_wait")
    + "</bpmn:subProcess>"
    + '<bpmn:endEvent id="end"><bpmn:documentation>Done.</bpmn:documentation></bpmn:endEvent>'
    + flows("start>review", "review>gw", "gw>work", "work>review", "gw>call", "call>sub", "sub>end")
    + flows("t_bound>escalate", "escalate>end")
    + '<bpmn:textAnnotation id="note"><bpmn:text>Loop is bounded.</bpmn:text></bpmn:textAnnotation>'
)
# A called process without lanes: its task takes the call activity's lane.
CLEAN_CALLED = (
    '<bpmn:startEvent id="e_start"/>'
    + user_task("collect")
    + timer_event("e_cycle", "timeCycle", '"R3/P7D"')
    + '<bpmn:endEvent id="e_end"/>'
    + flows("e_start>collect", "collect>e_cycle", "e_cycle>e_end")
)


def test_clean_models_yield_no_issues() -> None:
    assert lint(tree(CLEAN_MAIN, "main"), tree(CLEAN_CALLED, "evidence")) == []


def test_standard_bench_model_is_clean() -> None:
    root = etree.fromstring((BENCH / "three_user_tasks.bpmn").read_bytes())
    forms = {p.name: json.loads(p.read_text()) for p in BENCH.glob("*.json")}
    assert lint_process_files({"three_user_tasks.bpmn": root}, forms, {"Caseworker"}) == []


# -- lanes ----------------------------------------------------------------------------------------


def test_lane_unknown_names_the_known_lanes() -> None:
    issues = lint(tree(lanes(Reception="t") + user_task("t")))
    assert found(issues) == [("lane-unknown", "t")]
    assert "Reception" in issues[0].message and "Caseworker, Decider, Intake, Supervisor" in issues[0].message


@pytest.mark.parametrize(("strict", "severity"), [(True, "error"), (False, "warning")])
def test_lane_missing_severity_follows_strictness(strict: bool, severity: str) -> None:
    issues = lint(tree(lanes(Caseworker="other") + '<bpmn:manualTask id="other"/><bpmn:task id="t"/>'), strict=strict)
    assert found(issues) == [("lane-missing", "t")]
    assert issues[0].severity == severity and "started" in issues[0].message


def test_lane_missing_in_a_process_without_lanes_that_nobody_calls() -> None:
    assert found(lint(tree('<bpmn:manualTask id="t"/>'))) == [("lane-missing", "t")]


def test_called_process_without_lanes_inherits_but_with_lanes_does_not() -> None:
    caller = in_lane('<bpmn:callActivity id="call" calledElement="sub"/>', "call")
    assert lint(caller, tree('<bpmn:manualTask id="t"/>', "sub")) == []
    with_lanes = tree(lanes(Caseworker="x") + '<bpmn:task id="x"/><bpmn:manualTask id="t"/>', "sub")
    assert found(lint(caller, with_lanes)) == [("lane-missing", "t")]


def test_embedded_subprocess_lane_is_inherited_and_wins() -> None:
    inherited = in_lane('<bpmn:subProcess id="sub"><bpmn:task id="t"/></bpmn:subProcess>', "sub")
    assert lint(inherited) == []
    # SpiffWorkflow gives the subprocess's lane to its children even when they sit in another lane.
    overridden = tree(
        lanes(Reception="sub", Caseworker="t") + '<bpmn:subProcess id="sub"><bpmn:task id="t"/></bpmn:subProcess>'
    )
    assert found(lint(overridden)) == [("lane-unknown", "t")]


def test_unnamed_lane_counts_as_no_lane() -> None:
    root = tree(
        '<bpmn:laneSet id="ls"><bpmn:lane id="l"><bpmn:flowNodeRef>t</bpmn:flowNodeRef></bpmn:lane>'
        '</bpmn:laneSet><bpmn:task id="t"/>'
    )
    assert found(lint(root)) == [("lane-missing", "t")]


def test_non_executable_pool_is_skipped_unless_called() -> None:
    pool = (
        '<bpmn:process id="partner" isExecutable="false"><bpmn:task id="ext"/>'
        '<bpmn:complexGateway id="cg"/></bpmn:process>'
    )
    assert lint(tree("", top=pool)) == []
    called = tree('<bpmn:callActivity id="call" calledElement="partner"/>', top=pool)
    assert found(lint(called)) == [("element-unsupported", "cg")]  # and "ext" inherits the caller's lane


# -- forms ----------------------------------------------------------------------------------------


def test_form_missing() -> None:
    assert found(lint(in_lane(user_task("t", schema=None), "t"))) == [("form-missing", "t")]


def test_form_file_missing_for_schema_and_ui_schema() -> None:
    issues = lint(in_lane(user_task("t", schema="nope.json", ui="nope-ui.json"), "t"))
    assert found(issues) == [("form-file-missing", "t"), ("form-file-missing", "t")]
    assert "nope.json" in issues[0].message and "nope-ui.json" in issues[1].message


@pytest.mark.parametrize(
    ("schema", "fragment"),
    [
        (["not", "an", "object"], "JSON object"),
        ({"type": "object", "properties": {"a": {"type": 5}}}, "is not valid under any of the given schemas"),
        ({"type": "array"}, '"type" must be "object"'),
        ({"properties": {}}, '"type" must be "object"'),
    ],
)
def test_form_invalid_schema(schema: object, fragment: str) -> None:
    issues = lint(in_lane(user_task("t", schema="bad.json"), "t"), forms={"bad.json": schema})
    assert found(issues) == [("form-invalid", "t")]
    assert fragment in issues[0].message and "\n" not in issues[0].message


def test_form_invalid_ui_schema_and_each_file_reported_once() -> None:
    body = user_task("a", ui="ui.json") + user_task("b", ui="ui.json")
    issues = lint(in_lane(body, "a", "b"), forms={**FORMS, "ui.json": "text"})
    assert found(issues) == [("form-invalid", "a")]


def test_manual_task_needs_no_form() -> None:
    assert lint(in_lane('<bpmn:manualTask id="t"/>', "t")) == []


# -- timers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "text", "rule"),
    [
        ("timeDuration", "P30D", "timer-unquoted"),
        ("timeDuration", "PT1H", "timer-unquoted"),
        ("timeCycle", "R3/P7D", "timer-unquoted"),
        ("timeCycle", "R/PT1H", "timer-unquoted"),
        ("timeDate", "2026-01-01T00:00:00", "timer-unquoted"),
        ("timeDate", "2026-01-01", "timer-unquoted"),
        ("timeDuration", "", "timer-empty"),
        ("timeDuration", "   ", "timer-empty"),
        ("timeDuration", '"P30D', "timer-syntax"),
        ("timeDuration", "30 days", "timer-syntax"),
        ("timeDuration", '"30 days"', "timer-invalid"),
        ("timeDuration", '"P"', "timer-invalid"),
        ("timeDuration", "'R3/P7D'", "timer-invalid"),
        ("timeCycle", '"P7D"', "timer-invalid"),
        ("timeCycle", '"R3/P"', "timer-invalid"),
        ("timeDate", '"tomorrow"', "timer-invalid"),
        ("timeDate", '"P1D"', "timer-invalid"),
    ],
)
def test_timer_defects(kind: str, text: str, rule: str) -> None:
    issues = lint(in_lane(timer_event("wait", kind, text), "wait"))
    assert found(issues) == [(rule, "wait")]


def test_timer_unquoted_message_says_how_to_fix() -> None:
    (issue,) = lint(in_lane(timer_event("remind", "timeDuration", "P30D"), "remind"))
    assert 'Timer "remind" has the duration P30D without quotes' in issue.message
    assert 'write "P30D" in quotes or use a variable name' in issue.message


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("timeDuration", '"P30D"'),
        ("timeDuration", "'P1Y2M3DT4H5M6S'"),
        ("timeDuration", "reflection_end"),
        ("timeDuration", "pt1_deadline"),
        ("timeDuration", 'f"P{days}D"'),
        ("timeCycle", '"R/PT1H"'),
        ("timeDate", '"2026-01-31T09:00:00+02:00"'),
        ("timeDate", "deadline.isoformat()"),
    ],
)
def test_timer_accepted(kind: str, text: str) -> None:
    assert lint(in_lane(timer_event("wait", kind, text), "wait")) == []


def test_timer_without_any_time_is_empty() -> None:
    root = in_lane('<bpmn:startEvent id="s"><bpmn:timerEventDefinition/></bpmn:startEvent>', "s")
    assert found(lint(root)) == [("timer-empty", "s")]


def test_cycle_on_non_interrupting_boundary_is_a_warning() -> None:
    body = '<bpmn:manualTask id="t"/>' + timer_event("remind", "timeCycle", '"R3/P7D"', attached="t", cancel=False)
    issues = lint(in_lane(body, "t", "remind"))
    assert found(issues) == [("timer-cycle-reminder", "remind")]
    assert issues[0].severity == "warning" and "single duration timer" in issues[0].message
    interrupting = '<bpmn:manualTask id="t"/>' + timer_event("remind", "timeCycle", '"R3/P7D"', attached="t")
    assert lint(in_lane(interrupting, "t", "remind")) == []


# -- call activities ------------------------------------------------------------------------------


@pytest.mark.parametrize("attr", ['calledElement="ghost"', 'calledElement=" "', ""])
def test_call_unresolved(attr: str) -> None:
    issues = lint(tree(f'<bpmn:callActivity id="call" {attr}/>'))
    assert found(issues) == [("call-unresolved", "call")]


def test_call_resolves_across_files() -> None:
    assert lint(tree('<bpmn:callActivity id="call" calledElement="other"/>'), tree("", "other")) == []


# -- loops ----------------------------------------------------------------------------------------


def loop(gateway_props: str = "") -> Any:
    """a -> gw -> b -> a, with `gateway_props` inside the exclusive gateway."""
    body = (
        f'<bpmn:manualTask id="a"/><bpmn:exclusiveGateway id="gw">{gateway_props}</bpmn:exclusiveGateway>'
        '<bpmn:task id="b"/>' + flows("a>gw", "gw>b", "b>a")
    )
    return in_lane(body, "a", "b")


def test_loop_unbounded_names_the_gateway_and_members() -> None:
    issues = lint(loop())
    assert found(issues) == [("loop-unbounded", "gw")]
    assert "a, gw, b" in issues[0].message and "maxLoopCount" in issues[0].message
    assert "standardLoopCharacteristics" in issues[0].message


def test_loop_with_max_loop_count_is_allowed() -> None:
    assert lint(loop(props(maxLoopCount="100"))) == []


@pytest.mark.parametrize("value", ["0", "101", "ten", "2.5", ""])
def test_loop_bound_invalid(value: str) -> None:
    assert found(lint(loop(props(maxLoopCount=value)))) == [("loop-bound-invalid", "gw")]


def test_self_loop_and_loop_without_gateway() -> None:
    self_loop = in_lane('<bpmn:task id="t"/>' + flows("t>t"), "t")
    assert found(lint(self_loop)) == [("loop-unbounded", "t")]
    plain = in_lane('<bpmn:task id="x"/><bpmn:task id="y"/>' + flows("x>y", "y>x"), "x", "y")
    assert found(lint(plain)) == [("loop-unbounded", "x")]


def test_loop_through_boundary_event() -> None:
    body = '<bpmn:manualTask id="t"/>' + timer_event("again", "timeDuration", '"P1D"', attached="t") + flows("again>t")
    assert found(lint(in_lane(body, "t", "again"))) == [("loop-unbounded", "t")]


def test_loop_inside_subprocess_and_parallel_gateway_cannot_bound() -> None:
    inner = (
        f'<bpmn:parallelGateway id="pg">{props(maxLoopCount="3")}</bpmn:parallelGateway>'
        '<bpmn:task id="t"/>' + flows("pg>t", "t>pg")
    )
    root = in_lane(f'<bpmn:subProcess id="sub">{inner}</bpmn:subProcess>', "sub")
    assert found(lint(root)) == [("loop-unbounded", "pg")]


def test_two_separate_loops_are_reported_separately() -> None:
    body = '<bpmn:task id="x"/><bpmn:task id="y"/><bpmn:task id="z"/>' + flows("x>x", "x>y", "y>z", "z>y")
    assert found(lint(in_lane(body, "x", "y", "z"))) == [("loop-unbounded", "x"), ("loop-unbounded", "y")]


# -- unsupported elements -------------------------------------------------------------------------


def test_complex_gateway_is_unsupported() -> None:
    issues = lint(tree('<bpmn:complexGateway id="cg"><bpmn:incoming>f</bpmn:incoming></bpmn:complexGateway>'))
    assert found(issues) == [("element-unsupported", "cg")]
    assert issues[0].message.startswith("Element cg (bpmn:complexGateway) is not executed by Auttamo's engine.")


def test_unknown_event_definition_and_choreography_are_unsupported() -> None:
    link = (
        '<bpmn:intermediateThrowEvent id="jump"><bpmn:linkEventDefinition id="link" name="L"/>'
        "</bpmn:intermediateThrowEvent>"
    )
    root = tree(link, top='<bpmn:choreography id="chor"/>')
    assert found(lint(root)) == [("element-unsupported", "chor"), ("element-unsupported", "link")]


def test_event_subprocess_started_by_a_message_is_refused() -> None:
    """SpiffWorkflow 3.2 never lists such a start in waiting_events() and fails on the message: the model
    would deploy and silently never react. A timer start in an event sub-process is fine."""

    def event_subprocess(sid: str, definition: str) -> str:
        return (
            f'<bpmn:subProcess id="{sid}" triggeredByEvent="true"><bpmn:startEvent id="{sid}_start">{definition}'
            f'</bpmn:startEvent><bpmn:endEvent id="{sid}_end"/>{flows(f"{sid}_start>{sid}_end")}</bpmn:subProcess>'
        )

    message = '<bpmn:messageEventDefinition id="md" messageRef="stop"/>'
    timer = '<bpmn:timerEventDefinition><bpmn:timeDuration>"P1D"</bpmn:timeDuration></bpmn:timerEventDefinition>'
    body = event_subprocess("on_message", message) + event_subprocess("on_timer", timer)
    issues = lint(tree(body, top='<bpmn:message id="stop" name="stop"/>'))
    assert found(issues) == [("event-subprocess-message", "on_message_start")]
    assert "boundary event" in issues[0].message and issues[0].severity == "error"


def test_foreign_extensions_are_ignored() -> None:
    body = (
        '<bpmn:scriptTask id="s"><bpmn:extensionElements><spiffworkflow:preScript>x = 1'
        "</spiffworkflow:preScript></bpmn:extensionElements><bpmn:script>y = 2</bpmn:script>"
        "</bpmn:scriptTask><!-- a comment -->"
    )
    assert lint(tree(body)) == []


def test_supported_flow_nodes_match_the_installed_spiff_parser() -> None:
    from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser  # type: ignore[import-untyped, unused-ignore]

    tags = {**SpiffBpmnParser.PARSER_CLASSES, **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES}
    assert {etree.QName(t).localname for t in tags} == EXECUTED_FLOW_NODES
    assert not EXECUTED_FLOW_NODES & ALLOWED_DETAILS


# -- reporting ------------------------------------------------------------------------------------


def test_issue_carries_file_and_line() -> None:
    root = tree('\n\n<bpmn:task id="t"/>')
    (issue,) = lint_process_files({"case.bpmn": root}, {}, KNOWN)
    assert (issue.file, issue.line, issue.severity) == ("case.bpmn", 3, "error")
