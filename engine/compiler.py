"""Turn uploaded files into deployable process versions, or a report of what is wrong.

Order matters for the person reading the report: first whether each file is readable at all
(XML, JSON, size), then the BPMN/DMN XML schemas, then our own rules (engine.lint), and only then
SpiffWorkflow's parser, whose messages are the least friendly. Nothing here touches a database.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException  # type: ignore[import-untyped]
from SpiffWorkflow.exceptions import SpiffWorkflowException  # type: ignore[import-untyped]
from SpiffWorkflow.spiff.parser.process import VALIDATOR  # type: ignore[import-untyped]

from engine.lint import lint_process_files
from engine.serializer import StateSerializer
from engine.specs import AuttamoBpmnParser
from engine.types import CompiledProcess, LintIssue, SourceFile, ValidationReport

MAX_FILE_BYTES = 5 * 1024 * 1024  # the largest real model we know is ~300 KB
MAX_FILES = 200
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
SCENARIO_SUFFIX = ".scenarios.json"
FORM_PROPERTIES = ("formJsonSchemaFilename", "formUiSchemaFilename")
_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


@dataclass(frozen=True)
class CompiledDeployment:
    """The result of compiling one upload: a report, and one version per executable process."""

    report: ValidationReport
    processes: tuple[CompiledProcess, ...]


def safe_xml(content: bytes) -> Any:
    """Parse untrusted XML: no DTDs, no entities, no network, no huge trees (billion laughs, XXE)."""
    if _DOCTYPE.search(content[:4096]) or _DOCTYPE.search(content):
        raise etree.XMLSyntaxError("DOCTYPE and ENTITY declarations are not allowed", None, 0, 0)  # type: ignore[call-arg]
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )
    return etree.fromstring(content, parser=parser)


def _issue(file: str, rule: str, message: str, element_id: str | None = None, line: int | None = None) -> LintIssue:
    return LintIssue(file=file, element_id=element_id, rule=rule, message=message, line=line)


def _read_files(files: list[SourceFile]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], list[LintIssue]]:
    bpmn: dict[str, Any] = {}
    dmn: dict[str, Any] = {}
    forms: dict[str, Any] = {}
    issues: list[LintIssue] = []
    if len(files) > MAX_FILES:
        issues.append(_issue("", "too-many-files", f"{len(files)} files uploaded; at most {MAX_FILES} at once."))
        return bpmn, dmn, forms, issues
    seen: set[str] = set()
    for f in files:
        if f.name in seen:
            issues.append(_issue(f.name, "file-duplicate", f"The file {f.name} was given twice."))
            continue
        seen.add(f.name)
        if len(f.content) > MAX_FILE_BYTES:
            issues.append(
                _issue(
                    f.name,
                    "file-too-large",
                    f"{f.name} is {len(f.content) // 1024} KB; the limit is {MAX_FILE_BYTES // 1024} KB.",
                )
            )
            continue
        lower = f.name.lower()
        if lower.endswith((".bpmn", ".dmn", ".xml")):
            try:
                root = safe_xml(f.content)
            except etree.XMLSyntaxError as exc:
                issues.append(
                    _issue(
                        f.name, "xml-malformed", f"{f.name} is not well-formed XML: {exc.msg}", line=exc.lineno or None
                    )
                )
                continue
            is_dmn = lower.endswith(".dmn") or (
                etree.QName(root).localname == "definitions" and "dmn" in (etree.QName(root).namespace or "").lower()
            )
            (dmn if is_dmn else bpmn)[f.name] = root
        elif lower.endswith(".json"):
            try:
                forms[f.name] = json.loads(f.content)
            except (ValueError, UnicodeDecodeError) as exc:
                issues.append(_issue(f.name, "json-malformed", f"{f.name} is not valid JSON: {exc}"))
            except RecursionError:
                issues.append(_issue(f.name, "json-too-deep", f"{f.name} nests deeper than JSON forms ever need."))
        else:
            issues.append(
                _issue(
                    f.name, "file-type-unknown", f"{f.name}: only .bpmn, .dmn and .json (form) files can be deployed."
                )
            )
    if not bpmn and not issues:
        issues.append(_issue("", "no-bpmn", "No BPMN file was given."))
    return bpmn, dmn, forms, issues


def _spiff_issue(file: str, exc: Exception) -> LintIssue:
    element = getattr(exc, "id", None) or None
    line = getattr(exc, "line_number", None)
    return _issue(
        getattr(exc, "file_name", None) or file,
        "bpmn-invalid",
        f"{exc}".strip() or exc.__class__.__name__,
        element_id=element,
        line=line if isinstance(line, int) else None,
    )


def _referenced_forms(root: Any) -> set[str]:
    names: set[str] = set()
    for prop in root.iter(f"{{{SPIFF_NS}}}property"):
        if prop.get("name") in FORM_PROPERTIES and prop.get("value"):
            names.add(prop.get("value"))
    return names


def _closure(process_id: str, parser: Any) -> set[str]:
    """The process and every process it calls, transitively."""
    ids = {process_id}
    for sub_id in parser.get_subprocess_specs(process_id):
        ids.add(sub_id)
    return ids


def _sha256(parts: list[tuple[str, bytes]]) -> str:
    digest = hashlib.sha256()
    for name, content in sorted(parts):
        digest.update(name.encode() + b"\0" + hashlib.sha256(content).digest())
    return digest.hexdigest()


def compile_deployment(
    files: list[SourceFile],
    known_lanes: set[str],
    serializer: StateSerializer,
    *,
    strict_lanes: bool = True,
) -> CompiledDeployment:
    """Validate and parse `files`; every executable process in them becomes a version."""
    bpmn, dmn, forms, issues = _read_files(files)
    if issues:
        return CompiledDeployment(ValidationReport(tuple(issues)), ())

    parser = AuttamoBpmnParser(validator=VALIDATOR)
    for name, root in {**bpmn, **dmn}.items():
        try:
            if name in bpmn:
                parser.add_bpmn_xml(root, filename=name)
            else:
                parser.add_dmn_xml(root, filename=name)
        except ValidationException as exc:
            issues.append(
                _issue(
                    name,
                    "xsd-invalid",
                    f"{name} does not follow the BPMN/DMN schema: {exc}",
                    element_id=getattr(exc, "id", None) or None,
                    line=exc.line_number if isinstance(exc.line_number, int) else None,
                )
            )
        except (SpiffWorkflowException, KeyError, ValueError, AttributeError) as exc:
            issues.append(_spiff_issue(name, exc))
    issues.extend(lint_process_files(bpmn, forms, known_lanes, strict_lanes=strict_lanes))
    process_ids = tuple(sorted(parser.get_process_ids()))
    if not process_ids and not any(i.severity == "error" for i in issues):
        issues.append(_issue("", "no-executable-process", 'No process is marked executable (isExecutable="true").'))
    if any(i.severity == "error" for i in issues):
        return CompiledDeployment(ValidationReport(tuple(issues), process_ids), ())

    by_name = {f.name: f.content for f in files}
    compiled: list[CompiledProcess] = []
    for pid in process_ids:
        try:
            spec = parser.get_spec(pid)
            subs = parser.get_subprocess_specs(pid)
            spec_json = serializer.spec_to_json(spec, subs)
        except (SpiffWorkflowException, KeyError, ValueError, AttributeError, TypeError) as exc:
            issues.append(_spiff_issue(parser.get_process_parser(pid).filename or "", exc))
            continue
        proc_files = {parser.get_process_parser(p).filename for p in _closure(pid, parser)}
        form_names = set().union(*(_referenced_forms(bpmn[f]) for f in proc_files if f in bpmn))
        scenario_file = {f"{pid}{SCENARIO_SUFFIX}"} & set(forms)  # the process's scenario tests travel with it
        sources = sorted(proc_files | set(dmn) | (form_names & set(forms)) | scenario_file)
        compiled.append(
            CompiledProcess(
                process_id=pid,
                name=spec.description or pid,
                sha256=_sha256([(n, by_name[n]) for n in sources]),
                spec_json=spec_json,
                forms={n: forms[n] for n in sorted(form_names & set(forms))},
                report=ValidationReport(tuple(issues), process_ids),
                sources=tuple(SourceFile(n, by_name[n]) for n in sources),
            )
        )
    report = ValidationReport(tuple(issues), process_ids)
    if not report.ok:
        return CompiledDeployment(report, ())
    return CompiledDeployment(report, tuple(compiled))
