// Inbox behaviour beyond htmx's attributes: after "mark all as read" the server asks for a
// refresh (HX-Refresh); here we only keep keyboard focus sensible after a row is swapped.
(function () {
  "use strict";
  document.addEventListener("htmx:afterSwap", function (event) {
    var id = event.detail.target && event.detail.target.id;
    var row = id ? document.getElementById(id) : null;
    if (row && id.indexOf("notification-") === 0) {
      var link = row.querySelector("a");
      if (link) {
        link.focus();
      }
    }
  });
})();
