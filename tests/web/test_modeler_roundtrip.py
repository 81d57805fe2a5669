"""The modeler keeps what our engine reads: every process in bpmn/ is read and written back by bpmn-moddle
(the model layer of bpmn-js) with our spiffworkflow descriptor (web/static/modeler-moddle.js), and the
engine compiles the result to the same spec, with every spiffworkflow element still there."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from support import ROOT

from cli.main import collect_files
from engine import SourceFile, WorkflowEngine
from processes.lanes import known_lanes
from processes.script_helpers import SCRIPT_HELPERS

SCRIPT = """
const fs = require("fs");
global.window = {};
require(process.argv[2]);
(async () => {
  const loaded = await import(process.argv[3]);
  const BpmnModdle = loaded.BpmnModdle || loaded.default;
  const moddle = new BpmnModdle({ spiffworkflow: window.AuttamoSpiffworkflowModdle });
  const out = {};
  for (const file of process.argv.slice(4)) {
    const { rootElement, warnings } = await moddle.fromXML(fs.readFileSync(file, "utf8"));
    if (warnings.length) throw new Error(file + ": " + warnings.map((w) => w.message).join("; "));
    out[file] = (await moddle.toXML(rootElement, { format: true })).xml;
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
"""
SPIFF_TAG = re.compile(rb"<spiffworkflow:(\w+)")


def _normalised(spec_json: str) -> object:
    def strip(value: object) -> object:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in ("file", "line_number", "position")}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(json.loads(spec_json))


def test_bpmn_moddle_round_trip_keeps_the_spiffworkflow_extensions(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is needed (make install)")
    script = tmp_path / "roundtrip.cjs"
    script.write_text(SCRIPT)
    originals = collect_files([str(ROOT / "bpmn"), str(ROOT / "forms" / "schemas")])
    bpmn = [ROOT / "bpmn" / f.name for f in originals if f.name.endswith(".bpmn")]
    assert bpmn, "no processes in bpmn/"
    moddle = ROOT / "node_modules" / "bpmn-moddle" / "dist" / "index.js"
    done = subprocess.run(
        [node, str(script), str(ROOT / "web" / "static" / "modeler-moddle.js"), moddle.as_uri(), *map(str, bpmn)],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    written = {Path(k).name: v.encode() for k, v in json.loads(done.stdout).items()}
    for f in originals:
        if f.name in written:
            before = sorted(SPIFF_TAG.findall(f.content))
            assert sorted(SPIFF_TAG.findall(written[f.name])) == before, f.name

    engine = WorkflowEngine(helpers=SCRIPT_HELPERS)
    first = engine.compile(originals, known_lanes())
    again = engine.compile([SourceFile(f.name, written.get(f.name, f.content)) for f in originals], known_lanes())
    assert first.report.ok and again.report.ok, again.report.errors
    assert [p.process_id for p in again.processes] == [p.process_id for p in first.processes]
    for a, b in zip(first.processes, again.processes, strict=True):
        assert _normalised(a.spec_json) == _normalised(b.spec_json), a.process_id
