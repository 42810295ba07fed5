// Draws a region and its sub-areas from the page's GeoJSON endpoint with Leaflet.
// Base tiles are optional: a closed government network may have no tile server,
// and the boundaries must still draw.
(function () {
  "use strict";
  var el = document.getElementById("region-map");
  if (!el || typeof L === "undefined") { return; }
  var map = L.map(el, { zoomSnap: 0.25, attributionControl: !!el.dataset.tileUrl });
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution || "" }).addTo(map);
  }
  var palette = ["#3b82f6", "#10b981", "#f59e0b", "#8b5cf6", "#ef4444", "#14b8a6", "#ec4899"];
  fetch(el.dataset.geojson, { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) { throw new Error(response.status + " " + response.statusText); }
      return response.json();
    })
    .then(function (data) {
      if (!data.features.length) {
        el.classList.add("empty");
        el.textContent = el.dataset.noBoundary;
        return;
      }
      var index = 0;
      var layer = L.geoJSON(data, {
        style: function (feature) {
          if (feature.properties.role === "self") {
            return { color: "#1f2937", weight: 2, fill: false };
          }
          var colour = palette[index++ % palette.length];
          return { color: colour, weight: 1, fillColor: colour, fillOpacity: 0.25 };
        },
        onEachFeature: function (feature, shape) {
          if (feature.properties.role === "self") { return; }
          shape.bindTooltip(feature.properties.name + " · " + feature.properties.level_label);
          shape.on("click", function () { window.location.href = feature.properties.url; });
        }
      }).addTo(map);
      map.fitBounds(layer.getBounds(), { padding: [8, 8] });
    })
    .catch(function (error) {
      el.classList.add("empty");
      el.textContent = String(error);
    });
})();
