// The public referral pages: the quick exit. A click on "Quick exit", or Esc pressed twice within
// 1.5 seconds, replaces this page with a neutral site (location.replace: Back does not return here).
// Nothing is ever written to browser storage. A page brought back from the back-forward cache is
// emptied, so what was typed is not shown to the next person at this computer.
(function () {
  "use strict";
  var link = document.getElementById("quick-exit");
  if (!link) {
    return;
  }
  var target = link.getAttribute("data-exit-url") || link.href;
  var lastEscape = 0;

  function leave(event) {
    if (event) {
      event.preventDefault();
    }
    document.documentElement.classList.add("leaving");
    window.location.replace(target);
  }

  link.addEventListener("click", leave);
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" && event.key !== "Esc") {
      return;
    }
    var now = Date.now();
    if (now - lastEscape < 1500) {
      leave(event);
    } else {
      lastEscape = now;
    }
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      Array.prototype.forEach.call(document.forms, function (form) {
        form.reset();
      });
    }
  });
})();
