// Beside "register and dispatch now": the unit the dispatch rules would choose for the
// category and place typed so far, and why — the operator accepts what they can see.
(function () {
  "use strict";
  var box = document.querySelector("[data-suggestion-url]");
  if (!box) return;
  var form = box.closest("form");
  var out = box.querySelector("[data-suggestion]");
  var names = ["category", "lng", "lat", "datum", "region", "address"];
  var timer = null;
  var asked = 0;

  function refresh() {
    var query = new URLSearchParams();
    names.forEach(function (name) {
      var field = form.elements[name];
      if (field && field.value) query.set(name, field.value);
    });
    var mine = ++asked;
    fetch(box.getAttribute("data-suggestion-url") + "?" + query.toString(), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) { return response.ok ? response.json() : { unit: null }; })
      .then(function (answer) {
        if (mine !== asked) return;  // an older answer arriving late
        out.textContent = answer.unit
          ? out.getAttribute("data-label") + "：" + answer.unit + " — " + answer.explanation
          : out.getAttribute("data-none");
      })
      .catch(function () { out.textContent = out.getAttribute("data-none"); });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  }
  names.forEach(function (name) {
    var field = form.elements[name];
    if (field) {
      field.addEventListener("change", later);
      field.addEventListener("input", later);
    }
  });
  // The map fills longitude and latitude from script, which fires no change event.
  var map = document.getElementById("pick-map");
  if (map) map.addEventListener("click", function () { setTimeout(later, 300); });
  refresh();
})();
