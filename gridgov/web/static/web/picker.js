// A typed filter above a list of tick boxes (data-picker): units are found by any part of
// their name instead of scrolled for. Without this script the full list still works.
(function () {
  "use strict";
  document.querySelectorAll("[data-picker]").forEach(function (list) {
    var filter = document.createElement("input");
    filter.type = "search";
    filter.className = "picker-filter";
    filter.placeholder = list.getAttribute("data-picker-placeholder") || "";
    filter.setAttribute("aria-label", filter.placeholder);
    list.parentNode.insertBefore(filter, list);
    var items = Array.prototype.slice.call(list.querySelectorAll("label"));
    filter.addEventListener("input", function () {
      var wanted = filter.value.trim().toLowerCase();
      items.forEach(function (label) {
        var box = label.querySelector("input");
        var match = !wanted || label.textContent.toLowerCase().indexOf(wanted) !== -1;
        // A ticked unit stays in sight: hiding it would hide what is about to be sent.
        label.parentElement.hidden = !(match || (box && box.checked));
      });
    });
  });
})();
