// Wide tables on narrow screens (WCAG 1.4.10 reflow): a table scrolls sideways inside its own
// box instead of making the whole page scroll. Templates may wrap a table in
// <div class="table-responsive"> themselves; this wraps any table that was not, including
// tables htmx swaps in. A box that really scrolls becomes a named, focusable region so
// keyboard users can scroll it too (axe: scrollable-region-focusable).
(function () {
  "use strict";

  function wrapTables(root) {
    root.querySelectorAll("main table").forEach(function (table) {
      if (table.closest(".table-responsive")) {
        return;
      }
      var box = document.createElement("div");
      box.className = "table-responsive";
      table.parentNode.insertBefore(box, table);
      box.appendChild(table);
    });
  }

  function labelScrollers() {
    document.querySelectorAll("main .table-responsive").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        var table = box.querySelector("table");
        var caption = table && table.caption ? table.caption.textContent.trim() : "";
        var name = caption || (table && table.getAttribute("aria-label")) || "Table";
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", name + " (scrolls sideways)");
        box.dataset.scrollRegion = "1";
      } else if (!scrolls && box.dataset.scrollRegion) {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
        delete box.dataset.scrollRegion;
      }
    });
  }

  function refresh(root) {
    wrapTables(root);
    labelScrollers();
  }

  refresh(document);
  document.addEventListener("htmx:afterSettle", function () {
    refresh(document);
  });
  var pending = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(labelScrollers, 150);
  });
})();
