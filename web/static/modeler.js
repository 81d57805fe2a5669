/* The BPMN modeler page: bpmn-js (served from node_modules, no CDN) on one file of the process draft.
   Loads the file through the JSON API, saves it back there (PUT, with the draft revision so nobody's
   work is overwritten), and runs the draft check, marking every element the report names.
   Configuration comes from the page (data-config); no inline scripts (the CSP forbids them). */
(function () {
  "use strict";

  var root = document.getElementById("modeler-app");
  if (!root || !window.BpmnJS || !window.AuttamoEditor) {
    return;
  }
  var editing = window.AuttamoEditor;
  var cfg = JSON.parse(root.getAttribute("data-config"));
  var t = cfg.strings || {};
  var reportNode = document.getElementById("modeler-report");
  var saveButton = document.getElementById("modeler-save");
  var checkButton = document.getElementById("modeler-check");
  var status = editing.statusLine(document.getElementById("modeler-status"));
  var revision = cfg.revision;
  var dirty = false;
  var busy = false;
  var markers = [];

  var modeler = new window.BpmnJS({
    container: document.getElementById("modeler-canvas"),
    moddleExtensions: { spiffworkflow: window.AuttamoSpiffworkflowModdle }
  });
  window.auttamoModeler = modeler; // for the browser tests and the curious
  var panel = window.AuttamoPanel(modeler, document.getElementById("modeler-panel"), {
    readOnly: cfg.readOnly,
    forms: cfg.forms,
    uiForms: cfg.uiForms,
    lanes: cfg.lanes,
    strings: t,
    taskTypes: cfg.taskTypes
  });

  function save() {
    if (cfg.readOnly) {
      return Promise.resolve(true);
    }
    busy = true;
    status(t.saving, "busy");
    return editing.saveXml(modeler, cfg.saveUrl, revision).then(function (response) {
      busy = false;
      if (response.ok) {
        revision = response.data.revision;
        dirty = false;
        status(t.saved, "ok");
        return true;
      }
      status(response.status === 409 ? t.conflict : t.failed + " " + editing.detailText(response.data), "error");
      return false;
    }).catch(function (error) {
      busy = false;
      status(t.failed + " " + error.message, "error");
      return false;
    });
  }

  function clearMarkers() {
    var canvas = modeler.get("canvas");
    markers.forEach(function (m) {
      canvas.removeMarker(m[0], m[1]);
    });
    markers = [];
  }

  function issueItem(issue, registry) {
    var item = document.createElement("li");
    item.className = "report__item report__item--" + issue.severity;
    item.setAttribute("data-testid", "issue");
    item.setAttribute("data-rule", issue.rule);
    item.setAttribute("data-element", issue.element_id || "");
    var where = document.createElement(issue.element_id && registry.get(issue.element_id) ? "button" : "span");
    where.className = "report__where";
    where.textContent = (issue.file || "–") + (issue.element_id ? " · " + issue.element_id : "");
    if (where.tagName === "BUTTON") {
      where.type = "button";
      where.className += " button--link";
      where.addEventListener("click", function () {
        var target = registry.get(issue.element_id);
        modeler.get("canvas").scrollToElement(target);
        if (!cfg.readOnly) {
          modeler.get("selection").select(target);
        } else {
          panel.render(target);
        }
      });
    }
    var rule = document.createElement("code");
    rule.className = "report__rule";
    rule.textContent = issue.rule;
    var message = document.createElement("span");
    message.className = "report__message";
    message.textContent = issue.message;
    item.appendChild(where);
    item.appendChild(rule);
    item.appendChild(message);
    return item;
  }

  function showReport(report) {
    var registry = modeler.get("elementRegistry");
    var canvas = modeler.get("canvas");
    clearMarkers();
    reportNode.textContent = "";
    var byElement = {};
    var mine = function (issue) {
      return !issue.file || issue.file === cfg.fileName;
    };
    [["error", report.errors || []], ["warning", report.warnings || []]].forEach(function (pair) {
      pair[1].forEach(function (issue) {
        issue.severity = pair[0];
        if (issue.element_id && mine(issue) && registry.get(issue.element_id)) {
          var marker = "auttamo-issue--" + pair[0];
          canvas.addMarker(issue.element_id, marker);
          markers.push([issue.element_id, marker]);
          (byElement[issue.element_id] = byElement[issue.element_id] || []).push(issue);
        }
      });
    });
    var heading = document.createElement("p");
    heading.setAttribute("data-testid", "report-summary");
    heading.className = (report.errors || []).length ? "report-summary report-summary--error" : "report-summary";
    heading.textContent = (report.errors || []).length ? t.checked_errors : t.checked_ok;
    reportNode.appendChild(heading);
    [["error", report.errors || []], ["warning", report.warnings || []]].forEach(function (pair) {
      if (!pair[1].length) {
        return;
      }
      if (pair[0] === "warning") {
        var title = document.createElement("p");
        title.textContent = t.warnings;
        reportNode.appendChild(title);
      }
      var list = document.createElement("ul");
      list.className = "report report--" + pair[0];
      list.setAttribute("data-testid", "report-" + pair[0]);
      pair[1].forEach(function (issue) {
        list.appendChild(issueItem(issue, registry));
      });
      reportNode.appendChild(list);
    });
    panel.showIssues(byElement);
  }

  function check() {
    if (busy) {
      return;
    }
    var saved = dirty ? save() : Promise.resolve(true);
    saved.then(function (ok) {
      if (!ok) {
        return;
      }
      busy = true;
      status(t.checking, "busy");
      return editing.request("POST", cfg.checkUrl).then(function (response) {
        busy = false;
        if (!response.ok) {
          status(t.failed + " " + editing.detailText(response.data), "error");
          return;
        }
        status("", "");
        showReport(response.data);
      });
    }).catch(function (error) {
      busy = false;
      status(t.failed + " " + error.message, "error");
    });
  }

  editing.loadXml(modeler, cfg.fileUrl).then(function () {
    var canvas = modeler.get("canvas");
    canvas.zoom("fit-viewport", "auto");
    root.setAttribute("data-ready", "true");
    if (cfg.focus) {
      var target = modeler.get("elementRegistry").get(cfg.focus);
      if (target) {
        canvas.addMarker(cfg.focus, "auttamo-issue--focus");
        canvas.scrollToElement(target);
        if (!cfg.readOnly) {
          modeler.get("selection").select(target);
        } else {
          panel.render(target);
        }
      }
    }
  }).catch(function (error) {
    status(t.load_failed + " " + error.message, "error");
  });

  if (!cfg.readOnly) {
    modeler.on("commandStack.changed", function () {
      dirty = true;
      status(t.unsaved, "dirty");
    });
    saveButton.addEventListener("click", function () {
      if (!busy) {
        save();
      }
    });
    checkButton.addEventListener("click", check);
    editing.warnBeforeLeaving(function () { return dirty; }, t.leave);
    document.addEventListener("keydown", function (event) {
      if ((event.ctrlKey || event.metaKey) && event.key === "s") {
        event.preventDefault();
        if (!busy) {
          save();
        }
      }
    });
  }
})();
