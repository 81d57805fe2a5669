"""The committed models themselves: they deploy cleanly, every user task has a valid bilingual form,
the forms ask for the statistics facts under the names of DESIGN.md section 4 and offer exactly the
codes of codelists.json, every file carries readable diagram interchange and its legal basis, and
the three decision tables answer as the rules say. No database needed."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from support import ROOT, FakeClock

from cli.main import collect_files
from engine import SourceFile, WorkflowEngine
from forms import build_fields, check_form_schema, check_ui_schema
from processes.codelists import codelists
from processes.lanes import known_lanes
from processes.script_helpers import SCRIPT_HELPERS

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
NS = {"bpmn": BPMN, "spiffworkflow": SPIFF, "bpmndi": BPMNDI, "dc": DC}
PROCESSES = (
    "referral",
    "consent",
    "assessment",
    "decision",
    "reflection_period",
    "assisted_voluntary_return",
    "client_case",
)
DECISIONS = ("service_provider_routing", "consent_requirements", "reflection_eligibility")
FORMS = ROOT / "forms" / "schemas"
FLOW_NODES = (
    *("startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"),
    *("task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask"),
    *("businessRuleTask", "callActivity", "subProcess"),
    *("exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway"),
)


def bpmn_tree(process_id: str) -> Any:
    return etree.parse(str(ROOT / "bpmn" / f"{process_id}.bpmn")).getroot()


def user_tasks() -> Iterator[tuple[str, Any]]:
    for pid in PROCESSES:
        for task in bpmn_tree(pid).iter(f"{{{BPMN}}}userTask"):
            yield pid, task


def properties(el: Any) -> dict[str, str]:
    return {p.get("name"): p.get("value") for p in el.iterfind(".//spiffworkflow:property", NS)}


def load_form(name: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads((FORMS / name).read_text(encoding="utf-8"))
    return value


def all_forms() -> dict[str, dict[str, Any]]:
    return {p.name: load_form(p.name) for p in sorted(FORMS.glob("*-schema.json"))}


def walk(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema node with a dotted path of property names."""
    if isinstance(node, dict):
        yield path, node
        for name, sub in (node.get("properties") or {}).items():
            yield from walk(sub, f"{path}.{name}" if path else name)
        if isinstance(node.get("items"), dict):
            yield from walk(node["items"], f"{path}[]")
        for key in ("allOf", "anyOf"):  # conditional branches: marked with "#", they carry no labels
            for branch in node.get(key) or []:
                yield from walk(branch, f"{path}#")
        for key in ("then", "else"):
            if isinstance(node.get(key), dict):
                yield from walk(node[key], f"{path}#")


def codes_of(node: dict[str, Any]) -> list[Any]:
    return [o["const"] for o in node.get("oneOf") or [] if "const" in o]


def test_every_file_deploys_without_errors_or_warnings() -> None:
    files = collect_files([str(ROOT / "bpmn"), str(FORMS)])
    compiled = WorkflowEngine().compile(files, known_lanes())
    assert compiled.report.as_dict()["errors"] == []
    assert compiled.report.warnings == ()
    assert sorted(p.process_id for p in compiled.processes) == sorted(PROCESSES)
    names = {f.name for f in files}
    assert {f"{p}.bpmn" for p in PROCESSES} | {f"{d}.dmn" for d in DECISIONS} <= names
    for pid in PROCESSES:  # one process per file, file name = process id
        assert [p.get("id") for p in bpmn_tree(pid).iter(f"{{{BPMN}}}process")] == [pid]


def test_every_user_task_has_a_valid_form_in_a_known_lane() -> None:
    seen = 0
    for pid, task in user_tasks():
        props = properties(task)
        schema_name, ui_name = props.get("formJsonSchemaFilename"), props.get("formUiSchemaFilename")
        assert schema_name and schema_name.endswith("-schema.json"), (pid, task.get("id"))
        assert ui_name == schema_name.replace("-schema.json", "-uischema.json"), (pid, task.get("id"))
        schema = load_form(schema_name)
        check_form_schema(schema)
        check_ui_schema(load_form(ui_name), schema)
        seen += 1
    assert seen >= 25
    lanes = {ln.get("name") for pid in PROCESSES for ln in bpmn_tree(pid).iter(f"{{{BPMN}}}lane")}
    assert lanes <= known_lanes() and {"Intake", "Caseworker", "Decider", "Supervisor"} <= lanes


def test_every_form_file_is_used_and_labelled_in_finnish_and_english() -> None:
    used = {properties(t).get("formJsonSchemaFilename") for _pid, t in user_tasks()}
    assert set(all_forms()) == used
    for name, schema in all_forms().items():
        for path, node in walk(schema):
            if path and "[]" not in path.rsplit(".", 1)[-1] and "title" in node:
                assert set(node.get("x-title", {})) >= {"fi", "en"}, (name, path)
                assert node["x-title"]["en"] == node["title"], (name, path)
            for option in node.get("oneOf") or []:
                if "const" in option:
                    assert set(option["x-title"]) >= {"fi", "en"}, (name, path, option["const"])
        assert set(schema["x-title"]) >= {"fi", "en"}, name
        for path, node in walk(schema):
            if path and "#" not in path and node.get("type") != "object" and "oneOf" not in node and "enum" not in node:
                assert "title" in node, (name, path)


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_every_form_renders_in_finnish_and_english(lang: str) -> None:
    for name, schema in all_forms().items():
        ui = load_form(name.replace("-schema.json", "-uischema.json"))
        fields = build_fields(schema, ui, {}, {}, lang=lang)
        assert [f.name for f in fields] == ui["ui:order"], name
        for field in fields:
            expected = schema["properties"][field.name]["x-title"][lang]
            assert field.label == expected, (name, field.name)
            for _value, label in field.options or []:
                assert label, (name, field.name)


# Where a form asks for a fact the statistics count, it uses the DESIGN.md name and its code list.
DESIGN_FIELDS = {
    "exploitation_forms[].form": "exploitation_form",
    "exploited_in": "exploited_in",
    "service_needs[]": "assistance_measure",
    "decision.outcome": "decision_outcome",
    "decision.rejection_ground": "rejection_ground",
    "residence_status": "residence_status",
    "client_category": "client_category",
    "interruption_ground": "reflection_interruption_ground",
    "consent.method": "consent_method",
    "removal_ground": "exit_reason",
}


def test_forms_use_the_design_names_with_exactly_the_code_list_codes() -> None:
    found: dict[str, list[str]] = {}
    for name, schema in all_forms().items():
        for path, node in walk(schema):
            if path in DESIGN_FIELDS and "oneOf" in node:
                found.setdefault(path, []).append(name)
                codes = [c for c in codes_of(node) if c is not None]
                expected = list(codelists()[DESIGN_FIELDS[path]].codes)  # type: ignore[index]
                if path == "removal_ground":  # only the exits that need a removal decision
                    expected = [c for c in expected if codelists()["exit_reason"].attribute(c, "decision")]
                assert codes == expected, (name, path)
                for option in node["oneOf"]:
                    if option.get("const") is not None:
                        label = codelists()[DESIGN_FIELDS[path]].label  # type: ignore[index]
                        assert option["x-title"]["fi"] == label(option["const"], "fi"), (name, path)
                        assert option["x-title"]["en"] == label(option["const"], "en"), (name, path)
    assert set(found) == set(DESIGN_FIELDS), set(DESIGN_FIELDS) - set(found)
    exploitation = load_form("assess_exploitation-schema.json")["properties"]["exploitation_forms"]
    assert exploitation["type"] == "array" and set(exploitation["items"]["properties"]) == {"form", "primary"}
    decision = load_form("draft_decision-schema.json")["properties"]["decision"]
    assert set(decision["properties"]) == {"outcome", "rejection_ground", "reasoning"}
    # Nobody records the same facts under another name.
    forbidden = {"exploitation_form", "exploitation", "place_of_exploitation", "outcome", "measures", "needs"}
    for name, schema in all_forms().items():
        assert not forbidden & set(schema["properties"]), name


def test_timers_read_deadlines_from_case_data() -> None:
    """Business deadlines survive a migration only when the timer reads them from data (timeDate)."""
    timers = 0
    for pid in PROCESSES:
        for definition in bpmn_tree(pid).iter(f"{{{BPMN}}}timerEventDefinition"):
            children = [etree.QName(c).localname for c in definition if isinstance(c.tag, str)]
            assert children == ["timeDate"], (pid, definition.get("id"))
            expression = definition[0].text.strip()
            assert re.fullmatch(r"[a-z_]+_at", expression), (pid, expression)
            timers += 1
    assert timers >= 9


def test_every_file_documents_its_legal_basis_and_main_elements() -> None:
    basis = re.compile(r"§|Act \d+/\d{4}|\d{3,4}/\d{4}|Directive|HE \d+/\d{4}")
    for pid in PROCESSES:
        root = bpmn_tree(pid)
        process = root.find("bpmn:process", NS)
        doc = process.findtext("bpmn:documentation", namespaces=NS) or ""
        assert basis.search(doc), pid
        for el in process.iter(f"{{{BPMN}}}callActivity", f"{{{BPMN}}}businessRuleTask", f"{{{BPMN}}}serviceTask"):
            assert el.findtext("bpmn:documentation", namespaces=NS) or el.get("calledElement"), (pid, el.get("id"))
        tasks = list(process.iter(f"{{{BPMN}}}userTask"))
        documented = [t for t in tasks if t.findtext("bpmn:documentation", namespaces=NS)]
        assert len(documented) >= len(tasks) * 0.7, pid


def _bounds(shape: Any) -> tuple[float, float, float, float]:
    b = shape.find("dc:Bounds", NS)
    return tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))  # type: ignore[return-value]


@pytest.mark.parametrize("process_id", PROCESSES)
def test_diagram_interchange_covers_every_element(process_id: str) -> None:
    root = bpmn_tree(process_id)
    process = root.find("bpmn:process", NS)
    participant = root.find("bpmn:collaboration/bpmn:participant", NS)
    assert participant is not None and participant.get("processRef") == process_id
    shapes = {s.get("bpmnElement"): s for s in root.iter(f"{{{BPMNDI}}}BPMNShape")}
    edges = {e.get("bpmnElement"): e for e in root.iter(f"{{{BPMNDI}}}BPMNEdge")}
    nodes = [el for el in process.iter() if isinstance(el.tag, str) and etree.QName(el).localname in FLOW_NODES]
    lanes = list(process.iter(f"{{{BPMN}}}lane"))
    assert lanes, "every file draws its lanes"
    for el in [*nodes, *lanes, participant]:
        assert el.get("id") in shapes, f"no shape for {el.get('id')}"
    for flow in process.iter(f"{{{BPMN}}}sequenceFlow"):
        points = edges[flow.get("id")].findall("{http://www.omg.org/spec/DD/20100524/DI}waypoint")
        assert len(points) >= 2, flow.get("id")
    px, py, pw, ph = _bounds(shapes[participant.get("id")])
    lane_boxes = {ln.get("id"): _bounds(shapes[ln.get("id")]) for ln in lanes}
    for el in nodes:
        x, y, w, h = _bounds(shapes[el.get("id")])
        assert px <= x and x + w <= px + pw and py <= y and y + h <= py + ph, el.get("id")
    # Each flow node lies inside its own lane's band (left to right, lanes stacked).
    for ln in lanes:
        _lx, ly, _lw, lh = lane_boxes[ln.get("id")]
        for ref in ln.iterfind("bpmn:flowNodeRef", NS):
            x, y, w, h = _bounds(shapes[ref.text])
            assert ly <= y + h / 2 <= ly + lh, (ln.get("name"), ref.text)
    start = next(el for el in nodes if etree.QName(el).localname == "startEvent")
    assert _bounds(shapes[start.get("id")])[0] == min(_bounds(shapes[n.get("id")])[0] for n in nodes)


# --- the decision tables, evaluated by the engine ---------------------------------------------------
def _rule_process(decision_id: str, inputs: dict[str, Any]) -> list[SourceFile]:
    body = (
        f'<bpmn:process id="rule_{decision_id}" isExecutable="true"><bpmn:startEvent id="s"/>'
        f'<bpmn:businessRuleTask id="rule"><bpmn:extensionElements><spiffworkflow:calledDecisionId>{decision_id}'
        "</spiffworkflow:calledDecisionId></bpmn:extensionElements></bpmn:businessRuleTask><bpmn:endEvent id='e'/>"
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="rule"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="rule" targetRef="e"/></bpmn:process>'
    )
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions xmlns:bpmn="{BPMN}" '
        f'xmlns:spiffworkflow="{SPIFF}" id="d" targetNamespace="t">{body}</bpmn:definitions>'
    )
    dmn = ROOT / "bpmn" / f"{decision_id}.dmn"
    return [SourceFile("rule.bpmn", xml.encode()), SourceFile(dmn.name, Path(dmn).read_bytes())]


def decide_table(decision_id: str, **inputs: Any) -> dict[str, Any]:
    engine = WorkflowEngine(helpers=SCRIPT_HELPERS, clock=FakeClock())
    compiled = engine.compile(_rule_process(decision_id, inputs), known_lanes())
    assert compiled.report.ok, compiled.report.as_dict()
    (process,) = compiled.processes
    snap = engine.start(process.sha256, process.spec_json, inputs).snapshot()
    assert snap.completed
    return snap.data


@pytest.mark.parametrize(
    ("status", "municipality", "provider"),
    [
        ("asylum_seeker", False, "reception_centre"),
        ("temporary_protection", True, "reception_centre"),
        ("residence_permit", True, "wellbeing_county"),
        ("finnish_citizen", True, "wellbeing_county"),
        ("undocumented", False, "assistance_system"),
        ("visa", False, "assistance_system"),
        ("unknown", None, "assistance_system"),
    ],
)
def test_service_provider_routing(status: str, municipality: bool | None, provider: str) -> None:
    data = decide_table("service_provider_routing", residence_status=status, has_municipality_of_residence=municipality)
    assert data["service_provider"] == provider


@pytest.mark.parametrize(
    ("age", "consent_from"),
    [
        (None, "person"),
        (3, "guardian"),
        (14, "guardian"),
        (15, "child_and_guardian"),
        (17, "child_and_guardian"),
        (18, "person"),
        (64, "person"),
    ],
)
def test_consent_requirements_by_age(age: int | None, consent_from: str) -> None:
    assert decide_table("consent_requirements", client_age=age)["consent_from"] == consent_from


@pytest.mark.parametrize(
    ("status", "category", "eligible"),
    [
        ("undocumented", "presumed_victim", True),
        ("undocumented", None, True),
        ("undocumented", "assisting_investigation", False),
        ("undocumented", "child_of_client", False),
        ("asylum_seeker", "presumed_victim", False),
        ("visa", "presumed_victim", False),
        ("unknown", "presumed_victim", False),
    ],
)
def test_reflection_eligibility(status: str, category: str | None, eligible: bool) -> None:
    data = decide_table("reflection_eligibility", residence_status=status, client_category=category)
    assert data["reflection_eligible"] is eligible
