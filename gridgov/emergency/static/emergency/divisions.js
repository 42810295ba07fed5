// A national division code field (an arrival's origin, a risk area elsewhere) suggests
// divisions as one types a code or a place name. Without JavaScript the code is typed.
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
})();
