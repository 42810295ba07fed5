// The grid map: every grid of the viewer's area, coloured by its open and overdue cases,
// named where the names fit, over the outline of the area and its communities.
(function () {
  "use strict";
  var el = document.getElementById("grid-map");
  if (!el || typeof L === "undefined" || !window.gridgovMap) { return; }
  var G = window.gridgovMap, d = el.dataset, text = G.escape;
  var map = L.map(el, { zoomSnap: 0.25, preferCanvas: true, attributionControl: !!d.tileUrl });
  G.tiles(map, d);
  var labels = new G.Labels(map);
  function colour(p) {
    if (p.overdue > 0) { return "#dc2626"; }
    if (p.open > 0) { return "#f59e0b"; }
    return "#10b981";
  }
  if (d.outline) {
    // The area's own outline and its sub-areas' (streets, communities) with their names;
    // the grids come from the grid data below.
    var drill = new G.Drill(map, labels, G.urlTemplate(d.childrenUrl), "community");
    fetch(d.outline, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var layer = L.geoJSON(data, {
          interactive: false,
          filter: function (f) { return f.properties.level !== "grid"; },
          style: function (f) {
            return f.properties.role === "self"
              ? { color: "#111827", weight: 2.5, fill: false }
              : { color: "#334155", weight: 1.5, fill: false };
          }
        }).addTo(map);
        layer.eachLayer(function (shape) {
          var p = shape.feature.properties;
          if (p.role === "self") { return; }
          labels.add(shape, p.name, p.level);
          drill.add(shape, p.code, p.level);
        });
      })
      .catch(function () {});
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
            "<strong><a href='" + text(p.region_url) + "'>" + text(p.name) + "</a></strong><br>" +
            text(d.labelWorkers) + ": " + text(p.workers.length ? p.workers.join("、") : d.labelNone) + "<br>" +
            text(d.labelOpen) + ": " + text(p.open) + " · " + text(d.labelOverdue) + ": " + text(p.overdue) + "<br>" +
            "<a href='" + text(p.cases_url) + "'>" + text(d.labelCases) + " →</a>"
          );
        }
      }).addTo(map);
      map.fitBounds(layer.getBounds());
      layer.eachLayer(function (shape) { labels.add(shape, shape.feature.properties.name, "grid"); });
    });
})();
