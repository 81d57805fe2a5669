/* Auttamo: progressive enhancement only. Every page works without this file.
   Loaded as a file (the Content-Security-Policy forbids inline scripts). */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // htmx requests carry the CSRF token in a header (forms also post it as the __csrf field).
  document.addEventListener("DOMContentLoaded", function () {
    document.body.setAttribute("hx-headers", JSON.stringify({ "X-CSRF-Token": csrfToken() }));
  });
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRF-Token"] = csrfToken();
  });

  // Buttons with data-confirm ask before submitting (deactivate a user, release a task...).
  document.addEventListener("click", function (event) {
    var target = event.target;
    var button = target && target.closest ? target.closest("[data-confirm]") : null;
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  // A page that re-rendered a form with errors moves focus to the error summary, for screen readers.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector("[data-focus-on-load]");
    if (summary) {
      summary.focus();
    }
  });

  // A select with data-autosubmit submits its form when changed (the button stays for keyboard users).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.matches && target.matches("select[data-autosubmit]") && target.form) {
      target.form.requestSubmit();
    }
  });
})();
