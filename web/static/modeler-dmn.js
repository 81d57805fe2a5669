/* The DMN editor page: dmn-js (decision tables, literal expressions and the DRD) on one file of the
   process draft, loaded from and saved to the JSON API with the draft revision. */
(function () {
  "use strict";

  var root = document.getElementById("dmn-app");
  if (!root || !window.DmnJS || !window.AuttamoEditor) {
    return;
  }
  var editing = window.AuttamoEditor;
  var cfg = JSON.parse(root.getAttribute("data-config"));
  var t = cfg.strings || {};
  var viewsNode = document.getElementById("dmn-views");
  var saveButton = document.getElementById("dmn-save");
  var status = editing.statusLine(document.getElementById("dmn-status"));
  var revision = cfg.revision;
  var dirty = false;
  var busy = false;

  var editor = new window.DmnJS({ container: document.getElementById("dmn-canvas") });
  window.auttamoDmn = editor;

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
    editing.saveXml(editor, cfg.saveUrl, revision).then(function (response) {
      busy = false;
      if (response.ok) {
        revision = response.data.revision;
        dirty = false;
        status(t.saved, "ok");
      } else {
        status(response.status === 409 ? t.conflict : t.failed + " " + editing.detailText(response.data), "error");
      }
    }).catch(function (error) {
      busy = false;
      status(t.failed + " " + error.message, "error");
    });
  }

  editing.loadXml(editor, cfg.fileUrl).then(function () {
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
  editing.warnBeforeLeaving(function () { return dirty; }, t.leave);
})();
