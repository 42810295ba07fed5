// The self-report page: the building select follows the community chosen. Without
// JavaScript the form still works: a button shows the community's buildings by reloading it.
(function () {
  "use strict";
  var form = document.querySelector("form[data-buildings-url]");
  if (!form || !window.fetch) { return; }

  var community = form.querySelector("[data-buildings-of]");
  var building = form.querySelector("select[name=building]");
  var stepButton = form.querySelector("[data-no-script-only]");
  if (community && building && form.dataset.buildingsUrl) {
    if (stepButton) { stepButton.hidden = true; }
    community.addEventListener("change", function () {
      var url = form.dataset.buildingsUrl + "?community=" + encodeURIComponent(community.value);
      fetch(url, { headers: { Accept: "application/json" } })
        .then(function (reply) { return reply.ok ? reply.json() : { results: [] }; })
        .then(function (data) {
          building.length = 1;
          (data.results || []).forEach(function (item) {
            building.add(new Option(item.name, item.code));
          });
        });
    });
  }
})();
