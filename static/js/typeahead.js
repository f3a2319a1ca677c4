// Type-ahead filters (templates/includes/typeahead.html). Progressive enhancement only:
// without this script the typed text is submitted and the server filters by it.
//
// htmx fills the field's <datalist> with suggestions while the person types. When the text
// becomes exactly one of the suggestions (the person picked it), its identifier goes into the
// hidden field next to it, so the filter is that one row; any other text clears the identifier
// (the server also ignores an identifier whose label no longer matches the text).
(function () {
  "use strict";

  function pickedOption(input) {
    var list = input.list;
    if (!list) {
      return null;
    }
    for (var i = 0; i < list.options.length; i += 1) {
      if (list.options[i].value === input.value) {
        return list.options[i];
      }
    }
    return null;
  }

  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.dataset || !input.dataset.typeaheadChoice) {
      return;
    }
    var choice = document.getElementById(input.dataset.typeaheadChoice);
    var option = pickedOption(input);
    if (option) {
      choice.value = option.dataset.choice || "";
    } else if (choice.value) {
      choice.value = "";
    }
  });

  // Say how many suggestions arrived, for screen-reader users (WCAG 4.1.3 status messages).
  document.addEventListener("htmx:afterSwap", function (event) {
    var list = event.detail.target;
    if (!list || list.tagName !== "DATALIST") {
      return;
    }
    var input = document.querySelector('[list="' + list.id + '"]');
    var status = input && document.getElementById(input.dataset.typeaheadStatus);
    if (!status) {
      return;
    }
    var count = list.options.length;
    status.textContent = count === 0 ? "No suggestions" : count === 1 ? "1 suggestion" : count + " suggestions";
  });
})();
