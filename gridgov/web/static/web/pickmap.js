// Intake: say where the problem is. Search a place name or use the device's location to move
// the map, then click the exact spot. Fills the form's lng/lat/datum fields and says which
// grid the point falls in, using the same locate service the server uses.
(function () {
  "use strict";
  var el = document.getElementById("pick-map");
  if (!el || typeof L === "undefined" || !window.gridgovMap) { return; }
  var G = window.gridgovMap, d = el.dataset;
  var form = el.closest("form");
  var lng = form.querySelector("[name=lng]"), lat = form.querySelector("[name=lat]");
  var datum = form.querySelector("[name=datum]");
  var keyField = form.querySelector("[data-idempotency]");
  if (keyField && !keyField.value && window.crypto && crypto.randomUUID) {
    // One key per form load: a double click or a retried POST makes one case, not two.
    keyField.value = crypto.randomUUID();
  }
  var tools = form.querySelector("[data-map-tools]");
  var status = form.querySelector("[data-map-status]");
  var searchBox = form.querySelector("[data-place-search]");
  var results = form.querySelector("[data-place-results]");
  var locateMe = form.querySelector("[data-locate-me]");
  el.hidden = false;
  if (tools) { tools.hidden = false; }

  var map = L.map(el, { zoomSnap: 0.25, attributionControl: !!d.tileUrl }).setView([30.25, 120.15], 13);
  G.tiles(map, d);
  var labels = new G.Labels(map);
  var drill = new G.Drill(map, labels, G.urlTemplate(d.childrenUrl));
  var hint = L.control({ position: "bottomleft" });
  hint.onAdd = function () {
    var div = L.DomUtil.create("div", "map-hint");
    div.textContent = d.hint;
    return div;
  };
  hint.addTo(map);
  var marker = null;

  function say(message) { if (status) { status.textContent = message || ""; } }

  if (d.geojson) {
    fetch(d.geojson, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || !data.features.length) { return; }
        var layer = L.geoJSON(data, {
          style: function (f) {
            return f.properties.role === "self"
              ? { color: "#1f2937", weight: 2.5, fill: false }
              : { color: "#2563eb", weight: 1.5, fillOpacity: 0.06 };
          }
        }).addTo(map);
        if (!marker) { map.fitBounds(layer.getBounds()); }
        layer.eachLayer(function (shape) {
          var p = shape.feature.properties;
          if (p.role === "self") { return; }
          labels.add(shape, p.name, p.level || "street");
          drill.add(shape, p.code, p.level || "street");
        });
      });
  }

  // GCJ-02 is WGS-84 plus a position-dependent offset inside China (gridgov/lib/datum.py):
  // a GPS fix is drawn where it lies on a GCJ-02 map, and kept as WGS-84 in the form.
  function offset(x, y) {
    if (x < 72.004 || x > 137.8347 || y < 0.8293 || y > 55.8271) { return [0, 0]; }
    var a = 6378245.0, ee = 0.00669342162296594323, pi = Math.PI, dx = x - 105, dy = y - 35;
    var dLat = -100 + 2 * dx + 3 * dy + 0.2 * dy * dy + 0.1 * dx * dy + 0.2 * Math.sqrt(Math.abs(dx)) +
      (20 * Math.sin(6 * dx * pi) + 20 * Math.sin(2 * dx * pi)) * 2 / 3 +
      (20 * Math.sin(dy * pi) + 40 * Math.sin(dy / 3 * pi)) * 2 / 3 +
      (160 * Math.sin(dy / 12 * pi) + 320 * Math.sin(dy * pi / 30)) * 2 / 3;
    var dLng = 300 + dx + 2 * dy + 0.1 * dx * dx + 0.1 * dx * dy + 0.1 * Math.sqrt(Math.abs(dx)) +
      (20 * Math.sin(6 * dx * pi) + 20 * Math.sin(2 * dx * pi)) * 2 / 3 +
      (20 * Math.sin(dx * pi) + 40 * Math.sin(dx / 3 * pi)) * 2 / 3 +
      (150 * Math.sin(dx / 12 * pi) + 300 * Math.sin(dx / 30 * pi)) * 2 / 3;
    var rad = y / 180 * pi, magic = 1 - ee * Math.sin(rad) * Math.sin(rad), sq = Math.sqrt(magic);
    return [(dLng * 180) / (a / sq * Math.cos(rad) * pi),
            (dLat * 180) / ((a * (1 - ee)) / (magic * sq) * pi)];
  }
  function onMap(x, y, from) {
    var to = d.datum, o;
    if (from === to || !from) { return L.latLng(y, x); }
    if (from === "wgs84" && to === "gcj02") {
      o = offset(x, y);
      return L.latLng(y + o[1], x + o[0]);
    }
    if (from === "gcj02" && to === "wgs84") {
      var gx = x, gy = y;
      for (var i = 0; i < 8; i++) { o = offset(gx, gy); gx = x - o[0]; gy = y - o[1]; }
      return L.latLng(gy, gx);
    }
    return L.latLng(y, x);
  }

  function show(latlng) {
    if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng).addTo(map); }
  }

  // The point as the form holds it: says which grid it is in.
  function describe() {
    var url = d.locate + "?lng=" + encodeURIComponent(lng.value) + "&lat=" +
      encodeURIComponent(lat.value) + "&datum=" + encodeURIComponent(datum ? datum.value : d.datum);
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (body) {
        var text = body.inside ? body.region.name : body.message || body.error;
        marker.bindTooltip(G.textElement(text)).openTooltip();
      })
      .catch(function () {});
  }

  function fill(x, y, pointDatum) {
    lng.value = x.toFixed(6);
    lat.value = y.toFixed(6);
    if (datum) { datum.value = pointDatum; }
    show(onMap(x, y, pointDatum));
    describe();
  }

  map.on("click", function (e) { fill(e.latlng.lng, e.latlng.lat, d.datum); });

  // A point already in the form (a form sent back with errors, or typed by hand).
  function fromFields() {
    var x = parseFloat(lng.value), y = parseFloat(lat.value);
    if (!isFinite(x) || !isFinite(y)) { return false; }
    show(onMap(x, y, datum ? datum.value : d.datum));
    return true;
  }
  if (fromFields()) { map.setView(marker.getLatLng(), 17); }
  [lng, lat, datum].forEach(function (field) {
    if (field && field.type !== "hidden") {
      field.addEventListener("change", function () {
        if (fromFields()) { map.panTo(marker.getLatLng()); describe(); }
      });
    }
  });

  // "Use my location": a GPS fix is WGS-84 whatever the map's datum.
  if (locateMe && navigator.geolocation) {
    locateMe.hidden = false;
    locateMe.addEventListener("click", function () {
      say(d.msgLocating);
      navigator.geolocation.getCurrentPosition(function (position) {
        fill(position.coords.longitude, position.coords.latitude, "wgs84");
        map.setView(marker.getLatLng(), 17);
        say(d.msgLocated);
      }, function (error) {
        say(error.code === error.PERMISSION_DENIED ? d.msgDenied : d.msgUnavailable);
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  var ZOOM = { district: 13, street: 14, community: 16, grid: 17, building: 18 };
  function go(place) {
    map.setView(L.latLng(place.lat, place.lng), ZOOM[place.level] || 16);
    results.hidden = true;
    say(d.msgFound);
  }
  function search() {
    var text = searchBox.value.trim();
    if (text.length < 2) { return; }
    say(d.msgSearching);
    fetch(d.search + "?q=" + encodeURIComponent(text), { credentials: "same-origin" })
      .then(function (r) {
        return r.json().then(function (body) { return { ok: r.ok, body: body }; });
      })
      .then(function (answer) {
        results.textContent = "";
        results.hidden = true;
        if (!answer.ok) { say(answer.body.error || d.msgFailed); return; }
        var found = answer.body.results;
        if (!found.length) { say(d.msgNone); return; }
        if (found.length === 1) { go(found[0]); return; }
        say("");
        found.forEach(function (place) {
          var item = document.createElement("li");
          var button = document.createElement("button");
          button.type = "button";
          button.appendChild(G.textElement(place.name));
          button.appendChild(G.textElement(place.level_label, "muted"));
          button.addEventListener("click", function () { go(place); });
          item.appendChild(button);
          results.appendChild(item);
        });
        results.hidden = false;
      })
      .catch(function () { say(d.msgFailed); });
  }
  if (searchBox) {
    searchBox.addEventListener("keydown", function (e) {
      // Enter here searches; it must not send the report half written.
      if (e.key === "Enter") { e.preventDefault(); search(); }
    });
    form.querySelector("[data-place-search-go]").addEventListener("click", search);
  }
})();
