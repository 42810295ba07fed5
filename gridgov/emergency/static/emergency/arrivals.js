// Arrival forms: the origin field suggests national divisions as one types (a code or a
// place name), and on the self-report page the building select follows the community
// chosen. Without JavaScript the forms still work: a code is typed, and a button shows
// the community's buildings by reloading the form.
(function () {
  "use strict";
  var form = document.querySelector("form[data-division-url]");
  if (!form || !window.fetch) { return; }

  function getJSON(url, done) {
    fetch(url, { headers: { Accept: "application/json" } })
      .then(function (reply) { return reply.ok ? reply.json() : { results: [] }; })
      .then(function (data) { done(data.results || []); })
      .catch(function () { done([]); });
  }

  var origin = form.querySelector("[data-division-search]");
  var list = origin && document.getElementById(origin.getAttribute("list"));
  var timer = null;
  if (origin && list) {
    origin.addEventListener("input", function () {
      clearTimeout(timer);
      var text = origin.value.trim();
      if (!text || /^\d{6,}$/.test(text)) { return; }
      timer = setTimeout(function () {
        getJSON(form.dataset.divisionUrl + "?q=" + encodeURIComponent(text), function (found) {
          list.textContent = "";
          found.forEach(function (division) {
            var option = document.createElement("option");
            option.value = division.code;
            option.textContent = division.name;
            list.appendChild(option);
          });
        });
      }, 200);
    });
  }

  var community = form.querySelector("[data-buildings-of]");
  var building = form.querySelector("select[name=building]");
  var stepButton = form.querySelector("[data-no-script-only]");
  if (community && building && form.dataset.buildingsUrl) {
    if (stepButton) { stepButton.hidden = true; }
    community.addEventListener("change", function () {
      var url = form.dataset.buildingsUrl + "?community=" + encodeURIComponent(community.value);
      getJSON(url, function (found) {
        building.length = 1;
        found.forEach(function (item) { building.add(new Option(item.name, item.code)); });
      });
    });
  }
})();
