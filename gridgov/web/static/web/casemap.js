// The case page: the case's point over its grid's boundary.
(function () {
  "use strict";
  var el = document.getElementById("case-map");
  if (!el || typeof L === "undefined") { return; }
  var point = L.latLng(+el.dataset.lat, +el.dataset.lng);
  var map = L.map(el, { zoomSnap: 0.25, attributionControl: false }).setView(point, 17);
  L.marker(point).addTo(map);
  fetch(el.dataset.geojson, { credentials: "same-origin" })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (data) {
      if (!data) { return; }
      var self = data.features.filter(function (f) { return f.properties.role === "self"; });
      if (!self.length) { return; }
      var layer = L.geoJSON({ type: "FeatureCollection", features: self },
        { style: { color: "#b91c1c", weight: 2, fillOpacity: 0.05 } }).addTo(map);
      map.fitBounds(layer.getBounds().extend(point), { padding: [20, 20] });
    });
})();
