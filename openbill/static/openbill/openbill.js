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
  // On a phone a table in .table-responsive is a stack of cards (openbill.css): each cell
  // is labelled with its column's header.
  function labelCells(root) {
    root.querySelectorAll(".table-responsive > .table").forEach(function (table) {
      var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
        return th.textContent.trim();
      });
      table.querySelectorAll("tbody > tr").forEach(function (row) {
        Array.prototype.forEach.call(row.children, function (cell, index) {
          if (heads[index] && !cell.hasAttribute("data-label")) cell.setAttribute("data-label", heads[index]);
        });
      });
    });
  }
  labelCells(document);
  document.addEventListener("htmx:afterSwap", function (event) { labelCells(event.target.closest("main") || document); });
})();
