/* Runs bpmnlint's recommended rules over BPMN files (integrations/bpmnlint.py starts this with `node`).
   stdin: JSON [{"name": "...", "content": "<bpmn xml>"}]; argv[2]: the node_modules folder to load from.
   stdout: JSON [{"file", "id", "rule", "message", "category"}]. Nothing is read from or written to disk. */
"use strict";
const path = require("node:path");
const { createRequire } = require("node:module");

const fromModules = createRequire(path.join(process.argv[2] || path.join(__dirname, "..", "node_modules"), "_.js"));
// bpmnlint brings the bpmn-moddle version it was written for; load that one, not the modeler's.
const fromBpmnlint = createRequire(fromModules.resolve("bpmnlint"));
const { Linter } = fromBpmnlint("bpmnlint");
const NodeResolver = fromBpmnlint("bpmnlint/lib/resolver/node-resolver");
const moddleModule = fromBpmnlint("bpmn-moddle");
const BpmnModdle = moddleModule.BpmnModdle || moddleModule.default || moddleModule;

async function lintOne(linter, file) {
  const found = [];
  try {
    const { rootElement } = await new BpmnModdle().fromXML(file.content);
    const results = await linter.lint(rootElement);
    for (const [rule, reports] of Object.entries(results)) {
      for (const report of reports) {
        found.push({ file: file.name, id: report.id || null, rule, message: String(report.message || ""), category: report.category || "warn" });
      }
    }
  } catch (error) {
    found.push({ file: file.name, id: null, rule: "unreadable", message: String((error && error.message) || error), category: "error" });
  }
  return found;
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", async () => {
  const files = JSON.parse(input);
  const linter = new Linter({ config: { extends: "bpmnlint:recommended" }, resolver: new NodeResolver({ require: fromBpmnlint }) });
  const all = [];
  for (const file of files) {
    all.push(...(await lintOne(linter, file)));
  }
  process.stdout.write(JSON.stringify(all));
});
