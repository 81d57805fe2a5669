/* Task-page panels (web/templates/tasks/_panels.html.j2): progressive enhancement only.
   A button with data-fill-field copies its data-fill-value into the task form's field of that name and,
   with data-mark-field/-value, also chooses that option (e.g. "Already a client"). Nothing is submitted. */
(function () {
  "use strict";

  function field(form, name) {
    return form ? form.querySelector('[name="' + name.replace(/"/g, "") + '"]') : null;
  }

  function choose(form, name, value) {
    var inputs = form.querySelectorAll('[name="' + name.replace(/"/g, "") + '"]');
    Array.prototype.forEach.call(inputs, function (input) {
      if (input.type === "radio" || input.type === "checkbox") {
        input.checked = input.value === value;
      } else {
        input.value = value;
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("task-form");
    Array.prototype.forEach.call(document.querySelectorAll("[data-fill-field]"), function (button) {
      if (field(form, button.getAttribute("data-fill-field"))) {
        button.hidden = false;
      }
    });
  });

  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest ? event.target.closest("[data-fill-field]") : null;
    var form = document.getElementById("task-form");
    if (!button || !form) {
      return;
    }
    var target = field(form, button.getAttribute("data-fill-field"));
    if (!target) {
      return;
    }
    if (button.getAttribute("data-mark-field")) {
      choose(form, button.getAttribute("data-mark-field"), button.getAttribute("data-mark-value"));
    }
    target.value = button.getAttribute("data-fill-value");
    target.focus();
  });
})();
