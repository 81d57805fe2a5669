/* The BPMN modeler page: bpmn-js (served from node_modules, no CDN) on one file of the process draft.
   Loads the file through the JSON API, saves it back there (PUT, with the draft revision so nobody's
   work is overwritten), and runs the draft check, marking every element the report names.
   Configuration comes from the page (data-config); no inline scripts (the CSP forbids them). */
(function () {
  "use strict";

  var root = document.getElementById("modeler-app");
  if (!root || !window.BpmnJS) {
    return;
  }
  var cfg = JSON.parse(root.getAttribute("data-config"));
  var t = cfg.strings || {};
  var statusNode = document.getElementById("modeler-status");
  var reportNode = document.getElementById("modeler-report");
  var saveButton = document.getElementById("modeler-save");
  var checkButton = document.getElementById("modeler-check");
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

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function status(text, kind) {
    if (statusNode) {
      statusNode.textContent = text || "";
      statusNode.setAttribute("data-kind", kind || "");
    }
  }

  function request(method, url, body) {
    var headers = { "X-CSRF-Token": csrfToken(), "Accept": "application/json" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
    }
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try {
          data = text ? JSON.parse(text) : null;
        } catch (ignored) {
          data = { detail: text };
        }
        return { status: response.status, ok: response.ok, data: data };
      });
    });
  }

  function detailText(data) {
    var detail = data && data.detail;
    if (!detail) {
      return "";
    }
    if (typeof detail === "string") {
      return detail;
    }
    var errors = detail.errors ? Object.keys(detail.errors).map(function (k) { return detail.errors[k]; }) : [];
    return [detail.message].concat(errors).join(" ");
  }

  function save() {
    if (cfg.readOnly) {
      return Promise.resolve(true);
    }
    busy = true;
    status(t.saving, "busy");
    return modeler.saveXML({ format: true }).then(function (result) {
      return request("PUT", cfg.saveUrl, { content: result.xml, revision: revision });
    }).then(function (response) {
      busy = false;
      if (response.ok) {
        revision = response.data.revision;
        dirty = false;
        status(t.saved, "ok");
        return true;
      }
      status(response.status === 409 ? t.conflict : t.failed + " " + detailText(response.data), "error");
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
      return request("POST", cfg.checkUrl).then(function (response) {
        busy = false;
        if (!response.ok) {
          status(t.failed + " " + detailText(response.data), "error");
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

  fetch(cfg.fileUrl, { credentials: "same-origin" }).then(function (response) {
    if (!response.ok) {
      throw new Error(response.status + " " + response.statusText);
    }
    return response.text();
  }).then(function (xml) {
    return modeler.importXML(xml);
  }).then(function () {
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
    window.addEventListener("beforeunload", function (event) {
      if (dirty) {
        event.preventDefault();
        event.returnValue = t.leave;
      }
    });
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
