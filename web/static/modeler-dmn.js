/* The DMN editor page: dmn-js (decision tables, literal expressions and the DRD) on one file of the
   process draft, loaded from and saved to the JSON API with the draft revision. */
(function () {
  "use strict";

  var root = document.getElementById("dmn-app");
  if (!root || !window.DmnJS) {
    return;
  }
  var cfg = JSON.parse(root.getAttribute("data-config"));
  var t = cfg.strings || {};
  var statusNode = document.getElementById("dmn-status");
  var viewsNode = document.getElementById("dmn-views");
  var saveButton = document.getElementById("dmn-save");
  var revision = cfg.revision;
  var dirty = false;
  var busy = false;

  var editor = new window.DmnJS({ container: document.getElementById("dmn-canvas") });
  window.auttamoDmn = editor;

  function status(text, kind) {
    statusNode.textContent = text || "";
    statusNode.setAttribute("data-kind", kind || "");
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function renderViews() {
    viewsNode.textContent = "";
    var active = editor.getActiveView();
    editor.getViews().forEach(function (view) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button button--small" + (active && view.element === active.element ? " button--primary" : "");
      button.setAttribute("role", "tab");
      button.setAttribute("aria-selected", active && view.element === active.element ? "true" : "false");
      button.setAttribute("data-testid", "dmn-view");
      button.textContent = (view.element.name || view.element.id) + " (" + view.type + ")";
      button.addEventListener("click", function () {
        editor.open(view);
      });
      viewsNode.appendChild(button);
    });
  }

  function watchActiveViewer() {
    var viewer = editor.getActiveViewer();
    if (viewer && !cfg.readOnly) {
      viewer.on("elements.changed", function () {
        dirty = true;
        status(t.unsaved, "dirty");
      });
    }
  }

  editor.on("views.changed", function () {
    renderViews();
    watchActiveViewer();
  });

  function save() {
    if (busy || cfg.readOnly) {
      return;
    }
    busy = true;
    status(t.saving, "busy");
    editor.saveXML({ format: true }).then(function (result) {
      return fetch(cfg.saveUrl, {
        method: "PUT",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
        body: JSON.stringify({ content: result.xml, revision: revision })
      });
    }).then(function (response) {
      return response.json().then(function (data) {
        busy = false;
        if (response.ok) {
          revision = data.revision;
          dirty = false;
          status(t.saved, "ok");
        } else {
          status(response.status === 409 ? t.conflict : t.failed + " " + JSON.stringify(data.detail), "error");
        }
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
    return editor.importXML(xml);
  }).then(function () {
    var tables = editor.getViews().filter(function (v) { return v.type === "decisionTable"; });
    if (tables.length) {
      editor.open(tables[0]);
    }
    renderViews();
    watchActiveViewer();
    root.setAttribute("data-ready", "true");
  }).catch(function (error) {
    status(t.load_failed + " " + error.message, "error");
  });

  if (saveButton) {
    saveButton.addEventListener("click", save);
  }
  window.addEventListener("beforeunload", function (event) {
    if (dirty) {
      event.preventDefault();
      event.returnValue = t.leave;
    }
  });
})();
