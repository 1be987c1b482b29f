// Accessible names for the parts of Django's admin widgets that have none (WCAG 2.1 AA, as
// axe-core checks it): the split date and time boxes, the autocomplete's search box, and the
// magnifier icon of the two-list picker. Runs after the widgets' own scripts (window "load").
(function () {
  "use strict";

  function labelText(id) {
    var label = document.querySelector('label[for="' + id + '"]');
    return label ? label.textContent.replace(/[:\s]+$/, "").trim() : "";
  }

  function nameSplitDateTimes() {
    document.querySelectorAll("p.datetime").forEach(function (box) {
      var inputs = box.querySelectorAll("input.vDateField, input.vTimeField");
      inputs.forEach(function (input) {
        if (input.hasAttribute("aria-label") || document.querySelector('label[for="' + input.id + '"]')) return;
        var field = labelText(input.id.replace(/_[01]$/, "_0")) || labelText(input.id.replace(/_[01]$/, ""));
        var part = input.classList.contains("vDateField") ? box.dataset.dateLabel || "date" : box.dataset.timeLabel || "time";
        input.setAttribute("aria-label", (field ? field + ", " : "") + part);
      });
    });
  }

  function nameAutocompleteSearches() {
    document.querySelectorAll(".select2-container").forEach(function (container) {
      var select = container.previousElementSibling;
      var search = container.querySelector(".select2-search__field");
      if (!select || !search || search.hasAttribute("aria-label")) return;
      search.setAttribute("aria-label", labelText(select.id) || select.name);
    });
  }

  function markPickerIcons() {
    // The icon carries an aria-label, which a plain span may not; as an image it may.
    document.querySelectorAll(".help-tooltip.search-label-icon[aria-label]").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
  }

  function run() {
    nameSplitDateTimes();
    nameAutocompleteSearches();
    markPickerIcons();
    document.documentElement.dataset.adminA11y = "ready";
  }

  window.addEventListener("load", function () { window.setTimeout(run, 0); });
  // The autocomplete redraws its search box after each choice.
  document.addEventListener("select2:select", nameAutocompleteSearches);
})();
