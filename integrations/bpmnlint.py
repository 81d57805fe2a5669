"""bpmnlint's recommended rules (npm `bpmnlint`), run in a `node` child process with a time limit.

bpmnlint checks modelling style (labels, implicit splits, disconnected elements ...), which our own
engine lint does not. Its findings are advice: the caller shows them as warnings, never as errors.
The child gets the XML on stdin and answers JSON on stdout (bpmnlint_runner.cjs); it reads no files.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

RUNNER = Path(__file__).resolve().parent / "bpmnlint_runner.cjs"
DEFAULT_TIMEOUT = 20.0
MAX_INPUT_BYTES = 20 * 1024 * 1024
MAX_FINDINGS = 500


class BpmnlintUnavailable(Exception):
    """bpmnlint could not run: no node, no npm packages, a timeout, or unreadable output."""


@dataclass(frozen=True)
class BpmnlintFinding:
    file: str
    element_id: str | None
    rule: str  # bpmnlint's rule name, e.g. "label-required"
    message: str
    category: str  # "error" | "warn" as bpmnlint's recommended config grades it


def run_bpmnlint(
    files: list[tuple[str, str]],
    *,
    node_modules: Path,
    node: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[BpmnlintFinding]:
    """Lint each (file name, BPMN XML) pair; raises BpmnlintUnavailable when the linter cannot run."""
    if not files:
        return []
    executable = node or shutil.which("node")
    if not executable:
        raise BpmnlintUnavailable("Node.js is not installed")
    if not (node_modules / "bpmnlint").is_dir():
        raise BpmnlintUnavailable("the npm package bpmnlint is not installed (run `make install`)")
    payload = json.dumps([{"name": name, "content": text} for name, text in files]).encode()
    if len(payload) > MAX_INPUT_BYTES:
        raise BpmnlintUnavailable("the files are too large to lint")
    try:
        done = subprocess.run(  # noqa: S603 - fixed argv, no shell; the XML goes in on stdin
            [executable, str(RUNNER), str(node_modules)],
            input=payload,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise BpmnlintUnavailable(f"bpmnlint did not finish within {timeout:g} seconds") from exc
    except OSError as exc:
        raise BpmnlintUnavailable(f"node could not be started: {exc}") from exc
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise BpmnlintUnavailable(f"bpmnlint failed: {tail[0][:300]}")
    try:
        rows = json.loads(done.stdout)
    except ValueError as exc:
        raise BpmnlintUnavailable("bpmnlint gave unreadable output") from exc
    if not isinstance(rows, list):
        raise BpmnlintUnavailable("bpmnlint gave unreadable output")
    return [_finding(row) for row in rows[:MAX_FINDINGS] if isinstance(row, dict)]


def _finding(row: dict[str, object]) -> BpmnlintFinding:
    element = row.get("id")
    return BpmnlintFinding(
        file=str(row.get("file") or ""),
        element_id=str(element) if element else None,
        rule=str(row.get("rule") or "unknown"),
        message=str(row.get("message") or "")[:1000],
        category=str(row.get("category") or "warn"),
    )
