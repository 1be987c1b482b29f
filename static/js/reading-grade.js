// Live reading-level hint for the listing summary in the admin (progressive enhancement:
// without JavaScript the level is shown after saving).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var input = document.querySelector("[data-reading-grade]");
    var output = document.querySelector("[data-reading-grade-output]");
    if (!input || !output) return;
    var endpoint = window.location.pathname.replace(/\/(add|\d+\/change)\/$/, "/reading-grade/");
    var timer = null;
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        fetch(endpoint + "?text=" + encodeURIComponent(input.value), { credentials: "same-origin" })
          .then(function (response) { return response.ok ? response.json() : null; })
          .then(function (data) { if (data) output.textContent = data.hint; });
      }, 400);
    });
  });
})();
