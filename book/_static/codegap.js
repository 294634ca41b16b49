/* codegap: the filter box above each run's table of replies (codegap.experiments.report.samples).
   Wrapped in an IIFE so nothing leaks into the page's globals (Sphinx owns `_`). */
(function () {
  "use strict";
  function wire(box) {
    var table = box.parentElement && box.parentElement.querySelector("table.cg-samples-table");
    if (!table) { return; }
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var texts = rows.map(function (r) { return r.textContent.toLowerCase(); });
    box.addEventListener("input", function () {
      var q = box.value.trim().toLowerCase();
      for (var i = 0; i < rows.length; i++) {
        rows[i].hidden = q !== "" && texts[i].indexOf(q) === -1;
      }
    });
  }
  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("input.cg-filter"), wire);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
