// Intake: click the map to place the problem. Fills the form's lng/lat/datum fields and
// says which grid the point falls in, using the same locate service the server uses.
(function () {
  "use strict";
  var el = document.getElementById("pick-map");
  if (!el || typeof L === "undefined") { return; }
  var form = el.closest("form");
  var lng = form.querySelector("[name=lng]"), lat = form.querySelector("[name=lat]");
  var datum = form.querySelector("[name=datum]");
  var keyField = form.querySelector("[data-idempotency]");
  if (keyField && !keyField.value && window.crypto && crypto.randomUUID) {
    // One key per form load: a double click or a retried POST makes one case, not two.
    keyField.value = crypto.randomUUID();
  }
  var map = L.map(el, { zoomSnap: 0.25, attributionControl: false }).setView([30.25, 120.15], 13);
  var hint = L.control({ position: "bottomleft" });
  hint.onAdd = function () {
    var div = L.DomUtil.create("div", "map-hint");
    div.textContent = el.dataset.hint;
    return div;
  };
  hint.addTo(map);
  var marker = null;
  if (el.dataset.geojson) {
    fetch(el.dataset.geojson, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || !data.features.length) { return; }
        var layer = L.geoJSON(data, {
          style: function (f) {
            return f.properties.role === "self"
              ? { color: "#1f2937", weight: 2, fill: false }
              : { color: "#3b82f6", weight: 1, fillOpacity: 0.08 };
          }
        }).addTo(map);
        map.fitBounds(layer.getBounds());
        if (lng.value && lat.value) { place(L.latLng(+lat.value, +lng.value)); }
      });
  }
  function place(latlng) {
    if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng).addTo(map); }
    lng.value = latlng.lng.toFixed(6);
    lat.value = latlng.lat.toFixed(6);
    if (datum) { datum.value = el.dataset.datum; }
    var url = el.dataset.locate + "?lng=" + lng.value + "&lat=" + lat.value + "&datum=" + el.dataset.datum;
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (body) {
        marker.bindTooltip(body.inside ? body.region.name : body.message || body.error).openTooltip();
      })
      .catch(function () {});
  }
  map.on("click", function (e) { place(e.latlng); });
})();
