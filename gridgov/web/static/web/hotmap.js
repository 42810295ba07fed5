// The dashboard's map: the grids with the most cases in the period, darker for more.
(function () {
  "use strict";
  var el = document.getElementById("hot-map");
  if (!el || typeof L === "undefined") { return; }
  var d = el.dataset;
  var map = L.map(el, { zoomSnap: 0.25, attributionControl: !!d.tileUrl }).setView([30.25, 120.15], 12);
  if (d.tileUrl) { L.tileLayer(d.tileUrl, { attribution: d.tileAttribution || "" }).addTo(map); }
  fetch(d.geojson, { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
    .then(function (data) {
      if (!data.features.length) { return; }
      var peak = Math.max.apply(null, data.features.map(function (f) { return f.properties.count; }));
      var layer = L.geoJSON(data, {
        style: function (f) {
          return { color: "#7f1d1d", weight: 1, fillColor: "#dc2626",
                   fillOpacity: 0.2 + 0.7 * f.properties.count / peak };
        },
        onEachFeature: function (f, shape) {
          shape.bindTooltip(f.properties.name + " · " + d.labelCases + " " + f.properties.count);
          shape.on("click", function () { window.location.href = f.properties.url; });
        }
      }).addTo(map);
      map.fitBounds(layer.getBounds(), { padding: [10, 10] });
    });
})();
