// Search page enhancements (the page works without them): after htmx swaps the results in,
// announce the new count to screen readers; on narrow screens, fold the filters behind a
// "Filters" button so the first result is near the top.
(function () {
  "use strict";
  var narrow = window.matchMedia("(max-width: 63.99em)");

  function setUpFilters(root) {
    var toggle = root.querySelector(".filters-toggle");
    var panel = root.querySelector("#search-filters");
    if (!toggle || !panel) return;
    toggle.hidden = !narrow.matches;
    var open = !narrow.matches || toggle.getAttribute("data-open") === "true";
    panel.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    toggle.addEventListener("click", function () {
      var nowOpen = panel.hidden;
      panel.hidden = !nowOpen;
      toggle.setAttribute("aria-expanded", String(nowOpen));
      sessionStorage.setItem("filters-open", String(nowOpen));
    });
  }

  function announce() {
    var heading = document.getElementById("results-heading");
    var region = document.getElementById("result-announcement");
    if (heading && region) region.textContent = heading.textContent.trim();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.querySelector(".filters-toggle");
    if (toggle) toggle.setAttribute("data-open", "false");
    setUpFilters(document);
  });
  document.body.addEventListener("htmx:afterSwap", function () {
    var toggle = document.querySelector(".filters-toggle");
    // Someone who opened the filters and ticked a box keeps them open.
    if (toggle) toggle.setAttribute("data-open", sessionStorage.getItem("filters-open") || "false");
    setUpFilters(document);
    announce();
  });
})();
