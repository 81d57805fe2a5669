/* Monitoring: draw an instance's diagram with bpmn-js (NavigatedViewer) and mark its elements.
   Loaded as a file (the Content-Security-Policy forbids inline scripts). The page lists the active
   elements in text as well, so nothing is lost without JavaScript. */
(function () {
  "use strict";

  var KINDS = ["completed", "active", "incident"];

  function fail(container, error) {
    var message = container.parentNode.querySelector("[data-testid='diagram-error']");
    if (message) {
      message.hidden = false;
    }
    container.setAttribute("data-diagram-ready", "error");
    if (window.console && error) {
      window.console.error("diagram:", error);
    }
  }

  function draw(container) {
    var markers;
    try {
      markers = JSON.parse(container.getAttribute("data-markers") || "{}");
    } catch (error) {
      markers = {};
    }
    if (typeof window.BpmnJS !== "function") {
      fail(container, new Error("bpmn-js is not loaded"));
      return;
    }
    var fallback = container.querySelector(".diagram__fallback");
    var viewer = new window.BpmnJS({ container: container });
    fetch(container.getAttribute("data-diagram-url"), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.text();
      })
      .then(function (xml) {
        return viewer.importXML(xml);
      })
      .then(function () {
        var canvas = viewer.get("canvas");
        var registry = viewer.get("elementRegistry");
        if (fallback) {
          fallback.remove();
        }
        canvas.zoom("fit-viewport", "auto");
        KINDS.forEach(function (kind) {
          (markers[kind] || []).forEach(function (id) {
            if (registry.get(id)) {
              canvas.addMarker(id, "marker-" + kind);
            }
          });
        });
        container.setAttribute("data-diagram-ready", "true");
      })
      .catch(function (error) {
        fail(container, error);
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-diagram-url]"), draw);
  });
})();
