// Shared by the map scripts. Region names are data typed by people, so they reach the page
// as text only (textContent or an escaped string), never as HTML. Without a tile server
// the maps are blank paper: names on the areas and the outlines one level further down as
// the user zooms in are what let a resident find their street, estate and grid.
window.gridgovMap = (function () {
  "use strict";
  var LEVELS = ["city", "district", "street", "community", "grid", "building"];
  // Past this width on screen an area's own sub-areas are loaded and drawn (once).
  var DRILL_PX = 260;
  var LABEL_HEIGHT = 18;

  // For text and attribute values in an HTML string (a popup with links).
  function escape(value) {
    var map = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
    return String(value == null ? "" : value).replace(/[&<>"']/g, function (c) { return map[c]; });
  }

  function textElement(value, className) {
    var span = document.createElement("span");
    if (className) { span.className = className; }
    span.textContent = value == null ? "" : String(value);
    return span;
  }

  function depth(level) {
    var index = LEVELS.indexOf(level);
    return index < 0 ? LEVELS.length : index;
  }

  function tiles(map, d) {
    if (!d.tileUrl) { return false; }
    L.tileLayer(d.tileUrl, { attribution: d.tileAttribution || "" }).addTo(map);
    return true;
  }

  // About how wide a name is drawn (the font sizes of site.css's map-label-text): Chinese
  // characters a full em, Latin letters and digits about 0.6 em.
  var FONT_PX = [14, 14, 14, 13, 11, 11];
  function textWidth(name, rank) {
    var px = FONT_PX[Math.min(rank, FONT_PX.length - 1)], width = 0;
    for (var i = 0; i < name.length; i++) { width += name.charCodeAt(i) > 0x2e80 ? px : px * 0.6; }
    return width;
  }

  function centreOf(shape) {
    try { return shape.getCenter(); } catch (e) { return shape.getBounds().getCenter(); }
  }

  // Permanent names on areas, shown only where they fit: an area must be about as wide on
  // screen as its name, and a name overlapping one already placed (coarser levels first)
  // waits for a closer zoom.
  function Labels(map) {
    this.map = map;
    this.items = [];
    this.watchers = [];
    this.group = L.layerGroup().addTo(map);
    this.pending = false;
    map.on("moveend zoomend resize", this.schedule, this);
  }

  Labels.prototype.schedule = function () {
    if (this.pending) { return; }
    this.pending = true;
    var self = this;
    // A map gets its view from the data it fetches: until then there is nothing to measure.
    this.map.whenReady(function () {
      window.requestAnimationFrame(function () { self.pending = false; self.update(); });
    });
  };

  Labels.prototype.add = function (shape, name, level) {
    if (!name) { return; }
    var rank = depth(level);
    var icon = L.divIcon({
      className: "map-label",
      html: textElement(name, "map-label-text level-" + LEVELS[Math.min(rank, LEVELS.length - 1)]),
      iconSize: [0, 0]
    });
    var centre = centreOf(shape);
    var marker = L.marker(centre, { icon: icon, interactive: false, keyboard: false });
    this.items.push({ shape: shape, marker: marker, centre: centre, rank: rank,
                      width: textWidth(name, rank) + 8, shown: false });
    this.items.sort(function (a, b) { return a.rank - b.rank; });
    this.schedule();
  };

  Labels.prototype.watch = function (fn) { this.watchers.push(fn); this.schedule(); };

  // Where an area's name goes: its centre, or, when the centre is off screen (zoomed in on
  // one part of it), the middle of the part in view.
  function anchor(map, item, view, bounds) {
    if (view.contains(item.centre)) { return item.centre; }
    var inner = L.latLngBounds(
      L.latLng(Math.max(view.getSouth(), bounds.getSouth()), Math.max(view.getWest(), bounds.getWest())),
      L.latLng(Math.min(view.getNorth(), bounds.getNorth()), Math.min(view.getEast(), bounds.getEast())));
    return inner.getCenter();
  }

  Labels.prototype.update = function () {
    var map = this.map, view = map.getBounds(), size = map.getSize(), placed = [];
    // Areas whose centre is in view first (coarser levels before finer), then those seen only
    // in part: zoomed into a community, its name wins over the street's around it.
    var items = this.items.filter(function (item) { return view.contains(item.centre); })
      .concat(this.items.filter(function (item) { return !view.contains(item.centre); }));
    items.forEach(function (item) {
      var bounds = item.shape.getBounds(), show = false;
      if (view.intersects(bounds)) {
        var sw = map.latLngToContainerPoint(bounds.getSouthWest());
        var ne = map.latLngToContainerPoint(bounds.getNorthEast());
        var visibleWidth = Math.min(ne.x, size.x) - Math.max(sw.x, 0);
        if (visibleWidth >= item.width * 0.9 && sw.y - ne.y >= LABEL_HEIGHT) {
          var at = anchor(map, item, view, bounds);
          var p = map.latLngToContainerPoint(at);
          var box = { l: p.x - item.width / 2, r: p.x + item.width / 2,
                      t: p.y - LABEL_HEIGHT / 2, b: p.y + LABEL_HEIGHT / 2 };
          show = box.l >= 0 && box.r <= size.x && !placed.some(function (o) {
            return box.l < o.r && o.l < box.r && box.t < o.b && o.t < box.b;
          });
          if (show) {
            placed.push(box);
            item.marker.setLatLng(at);
          }
        }
      }
      if (show !== item.shown) {
        if (show) { this.group.addLayer(item.marker); } else { this.group.removeLayer(item.marker); }
        item.shown = show;
      }
    }, this);
    this.watchers.forEach(function (fn) { fn(); });
  };

  function pixelWidth(map, bounds) {
    return map.latLngToContainerPoint(bounds.getNorthEast()).x -
      map.latLngToContainerPoint(bounds.getSouthWest()).x;
  }

  // Outlines of sub-areas, fetched from `urlFor(code)` when an area grows past DRILL_PX on
  // screen, down to the areas of `stopLevel` (the grids unless the page draws those itself).
  // Drawn without interaction so clicks reach the map and the shapes the page drew.
  function Drill(map, labels, urlFor, stopLevel) {
    this.map = map;
    this.stop = depth(stopLevel || "grid");
    this.labels = labels;
    this.urlFor = urlFor;
    this.areas = [];
    this.group = L.layerGroup().addTo(map);
    labels.watch(this.update.bind(this));
  }

  Drill.prototype.add = function (shape, code, level) {
    if (!code || !this.urlFor || depth(level) >= this.stop) { return; }
    this.areas.push({ shape: shape, code: code, loaded: false });
  };

  Drill.prototype.update = function () {
    var map = this.map, view = map.getBounds();
    this.areas.forEach(function (area) {
      if (area.loaded) { return; }
      var bounds = area.shape.getBounds();
      if (!view.intersects(bounds) || pixelWidth(map, bounds) < DRILL_PX) { return; }
      area.loaded = true;
      this.load(area.code);
    }, this);
  };

  Drill.prototype.load = function (code) {
    var self = this;
    fetch(this.urlFor(code), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var children = data.features.filter(function (f) { return f.properties.role !== "self"; });
        L.geoJSON({ type: "FeatureCollection", features: children }, {
          interactive: false,
          style: function (f) {
            return f.properties.level === "grid"
              ? { color: "#64748b", weight: 1, dashArray: "3 3", fill: false }
              : { color: "#475569", weight: 1.5, fill: false };
          },
          onEachFeature: function (f, shape) {
            self.group.addLayer(shape);
            self.labels.add(shape, f.properties.name, f.properties.level);
            self.add(shape, f.properties.code, f.properties.level);
          }
        });
        self.labels.schedule();
      })
      .catch(function () {});
  };

  // "/regions/__code__/children.geojson" → the URL for one code.
  function urlTemplate(template) {
    if (!template) { return null; }
    return function (code) { return template.replace("__code__", encodeURIComponent(code)); };
  }

  return {
    escape: escape,
    textElement: textElement,
    tiles: tiles,
    Labels: Labels,
    Drill: Drill,
    urlTemplate: urlTemplate
  };
})();
