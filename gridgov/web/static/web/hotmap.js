// The dashboard's map: the grids with the most cases in the period, darker for more, over
// the outlines and names of the area's sub-areas so they can be placed without tiles.
(function () {
  "use strict";
  var el = document.getElementById("hot-map");
  if (!el || typeof L === "undefined" || !window.gridgovMap) { return; }
  var G = window.gridgovMap, d = el.dataset;
  var map = L.map(el, { zoomSnap: 0.25, attributionControl: !!d.tileUrl }).setView([30.25, 120.15], 12);
  G.tiles(map, d);
  var labels = new G.Labels(map);
  var drill = new G.Drill(map, labels, G.urlTemplate(d.childrenUrl));
  // The whole area frames the map once its outline is in; the hot grids only without one.
  var outline = L.layerGroup().addTo(map), framed = false;
  var legend = document.getElementById(d.legend || "");

  function fit(layer) {
    if (layer.getLayers().length) { map.fitBounds(layer.getBounds(), { padding: [10, 10] }); }
  }

  if (d.outline) {
    fetch(d.outline, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var layer = L.geoJSON(data, {
          interactive: false,
          style: function (f) {
            return f.properties.role === "self"
              ? { color: "#1f2937", weight: 2, fill: false }
              : { color: "#94a3b8", weight: 1, fill: false };
          }
        });
        outline.addLayer(layer);
        layer.bringToBack();
        layer.eachLayer(function (shape) {
          var p = shape.feature.properties;
          if (p.role === "self") { return; }
          labels.add(shape, p.name, p.level);
          drill.add(shape, p.code, p.level);
        });
        if (layer.getLayers().length) { fit(layer); framed = true; }
      })
      .catch(function () {});
  }

  fetch(d.geojson, { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
    .then(function (data) {
      if (!data.features.length) { return; }
      var counts = data.features.map(function (f) { return f.properties.count; });
      var peak = Math.max.apply(null, counts), least = Math.min.apply(null, counts);
      var hot = L.geoJSON(data, {
        style: function (f) {
          return { color: "#7f1d1d", weight: 1, fillColor: "#dc2626",
                   fillOpacity: 0.2 + 0.7 * f.properties.count / peak };
        },
        onEachFeature: function (f, shape) {
          shape.bindTooltip(G.textElement(f.properties.name + " · " + d.labelCases + " " +
                                          f.properties.count));
          shape.on("click", function () { window.location.href = f.properties.url; });
        }
      }).addTo(map);
      if (!framed) { fit(hot); }
      if (legend) {
        legend.querySelector("[data-least]").textContent = least;
        legend.querySelector("[data-peak]").textContent = peak;
        legend.hidden = false;
      }
    });
})();
