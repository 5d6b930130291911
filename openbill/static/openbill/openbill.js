// Openbill's small progressive enhancements. Every action also works without JavaScript.
(function () {
  "use strict";
  // Widget rows (the seed: "click on a row to navigate…"): a click anywhere on a row with
  // data-href follows it; links and buttons inside the row keep their own targets, and the
  // row's first link is the keyboard path to the same place.
  document.addEventListener("click", function (event) {
    var row = event.target.closest("tr[data-href]");
    if (!row || event.target.closest("a, button, input, select, label, form")) return;
    if (window.getSelection && String(window.getSelection())) return; // selecting text
    window.location.assign(row.getAttribute("data-href"));
  });
})();
