// Draws a region and its sub-areas from the page's GeoJSON endpoint with Leaflet.
// Base tiles are optional: a closed government network may have no tile server,
// and the boundaries, their names and the outlines further down must still draw.
(function () {
  "use strict";
  var el = document.getElementById("region-map");
  if (!el || typeof L === "undefined" || !window.gridgovMap) { return; }
  var G = window.gridgovMap, d = el.dataset;
  var map = L.map(el, { zoomSnap: 0.25, attributionControl: !!d.tileUrl });
  G.tiles(map, d);
  var labels = new G.Labels(map);
  var drill = new G.Drill(map, labels, G.urlTemplate(d.childrenUrl));
  var palette = ["#3b82f6", "#10b981", "#f59e0b", "#8b5cf6", "#ef4444", "#14b8a6", "#ec4899"];
  fetch(d.geojson, { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) { throw new Error(response.status + " " + response.statusText); }
      return response.json();
    })
    .then(function (data) {
      if (!data.features.length) {
        el.classList.add("empty");
        el.textContent = d.noBoundary;
        return;
      }
      var index = 0;
      var layer = L.geoJSON(data, {
        style: function (feature) {
          if (feature.properties.role === "self") {
            return { color: "#1f2937", weight: 2.5, fill: false };
          }
          var colour = palette[index++ % palette.length];
          return { color: colour, weight: 1, fillColor: colour, fillOpacity: 0.25 };
        },
        onEachFeature: function (feature, shape) {
          var p = feature.properties;
          if (p.role === "self") { return; }
          shape.bindTooltip(G.textElement(p.name + " · " + p.level_label));
          shape.on("click", function () { window.location.href = p.url; });
        }
      }).addTo(map);
      map.fitBounds(layer.getBounds(), { padding: [8, 8] });
      layer.eachLayer(function (shape) {
        var p = shape.feature.properties;
        if (p.role === "self") { return; }
        labels.add(shape, p.name, p.level);
        drill.add(shape, p.code, p.level);
      });
    })
    .catch(function (error) {
      el.classList.add("empty");
      el.textContent = String(error);
    });
})();
