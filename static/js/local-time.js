// Adds the visitor's own local time after a listing's times, when their zone differs.
// The page states every time in the listing's zone without this script.
(function () {
  "use strict";
  var lang = document.documentElement.lang || "en";
  document.querySelectorAll("time[data-local-time]").forEach(function (element) {
    var moment = new Date(element.getAttribute("datetime"));
    if (isNaN(moment.getTime())) return;
    var match = /([+-])(\d\d):(\d\d)$/.exec(element.getAttribute("datetime"));
    if (!match) return;
    var listingOffset = (match[1] === "-" ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3]));
    if (-moment.getTimezoneOffset() === listingOffset) return;
    var text = new Intl.DateTimeFormat(lang, {
      dateStyle: "long",
      timeStyle: "short",
    }).format(moment);
    var hint = document.createElement("span");
    hint.className = "listing-local-time";
    hint.textContent = " (" + element.getAttribute("data-local-time") + " " + text + ")";
    element.after(hint);
  });
})();
