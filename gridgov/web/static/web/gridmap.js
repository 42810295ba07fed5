// The grid map: every grid of the viewer's area, coloured by its open and overdue cases.
(function () {
  "use strict";
  var el = document.getElementById("grid-map");
  if (!el || typeof L === "undefined") { return; }
  var d = el.dataset;
  var map = L.map(el, { zoomSnap: 0.25, preferCanvas: true, attributionControl: !!d.tileUrl });
  if (d.tileUrl) { L.tileLayer(d.tileUrl, { attribution: d.tileAttribution || "" }).addTo(map); }
  function colour(p) {
    if (p.overdue > 0) { return "#dc2626"; }
    if (p.open > 0) { return "#f59e0b"; }
    return "#10b981";
  }
  function text(value) {
    var span = document.createElement("span");
    span.textContent = value;
    return span.innerHTML;
  }
  fetch(d.geojson, { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
    .then(function (data) {
      if (!data.features.length) { return; }
      var layer = L.geoJSON(data, {
        style: function (f) {
          return { color: "#374151", weight: 0.5, fillColor: colour(f.properties),
                   fillOpacity: f.properties.open ? 0.6 : 0.25 };
        },
        onEachFeature: function (f, shape) {
          var p = f.properties;
          shape.bindPopup(
            "<strong><a href='" + p.region_url + "'>" + text(p.name) + "</a></strong><br>" +
            text(d.labelWorkers) + ": " + text(p.workers.length ? p.workers.join("、") : d.labelNone) + "<br>" +
            text(d.labelOpen) + ": " + p.open + " · " + text(d.labelOverdue) + ": " + p.overdue + "<br>" +
            "<a href='" + p.cases_url + "'>" + text(d.labelCases) + " →</a>"
          );
        }
      }).addTo(map);
      map.fitBounds(layer.getBounds());
    });
})();
