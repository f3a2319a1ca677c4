// The header search box (templates/base.html): an ARIA 1.2 combobox with a listbox popup.
// Progressive enhancement only: without this script the box submits to /search/.
//
// htmx fills #site-search-listbox with <li role="option"> suggestions while the person types
// (from two characters). Arrow keys move the active option (aria-activedescendant), Enter
// opens it, Escape closes the list; a click opens an option too. The status region says how
// many suggestions arrived, for screen-reader users.
(function () {
  "use strict";

  var INPUT_ID = "site-search-input";
  var LIST_ID = "site-search-listbox";
  var STATUS_ID = "site-search-status";

  function parts() {
    var input = document.getElementById(INPUT_ID);
    var list = document.getElementById(LIST_ID);
    return input && list ? { input: input, list: list } : null;
  }

  function options(list) {
    return Array.prototype.slice.call(list.querySelectorAll('[role="option"]'));
  }

  function setOpen(p, open) {
    p.list.hidden = !open;
    p.input.setAttribute("aria-expanded", open ? "true" : "false");
    if (!open) {
      p.input.removeAttribute("aria-activedescendant");
      options(p.list).forEach(function (option) {
        option.setAttribute("aria-selected", "false");
      });
    }
  }

  function activate(p, index) {
    var all = options(p.list);
    if (!all.length) {
      return;
    }
    var next = (index + all.length) % all.length;
    all.forEach(function (option, i) {
      option.setAttribute("aria-selected", i === next ? "true" : "false");
    });
    p.input.setAttribute("aria-activedescendant", all[next].id);
    all[next].scrollIntoView({ block: "nearest" });
  }

  function activeIndex(p) {
    var id = p.input.getAttribute("aria-activedescendant");
    return options(p.list).findIndex(function (option) {
      return option.id === id;
    });
  }

  function go(option) {
    if (option && option.dataset.href) {
      window.location.assign(option.dataset.href);
    }
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    var p = parts();
    if (!p || event.detail.target !== p.list) {
      return;
    }
    var count = options(p.list).filter(function (o) {
      return o.id !== "site-search-option-all";
    }).length;
    setOpen(p, options(p.list).length > 0 && p.input.value.trim().length >= 2);
    var status = document.getElementById(STATUS_ID);
    if (status) {
      status.textContent =
        p.input.value.trim().length < 2 ? "" : count === 0 ? "No suggestions" : count === 1 ? "1 suggestion" : count + " suggestions";
    }
  });

  document.addEventListener("keydown", function (event) {
    var p = parts();
    if (!p || event.target !== p.input) {
      return;
    }
    var open = !p.list.hidden;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (!open && options(p.list).length) {
        setOpen(p, true);
      }
      activate(p, activeIndex(p) + 1);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      if (open) {
        activate(p, activeIndex(p) < 0 ? -1 : activeIndex(p) - 1);
      }
    } else if (event.key === "Enter" && open && activeIndex(p) >= 0) {
      event.preventDefault();
      go(options(p.list)[activeIndex(p)]);
    } else if (event.key === "Escape" && open) {
      event.preventDefault();
      setOpen(p, false);
    }
  });

  document.addEventListener("click", function (event) {
    var p = parts();
    if (!p) {
      return;
    }
    var option = event.target.closest ? event.target.closest('#' + LIST_ID + ' [role="option"]') : null;
    if (option) {
      go(option);
    } else if (event.target !== p.input) {
      setOpen(p, false);
    }
  });
})();
