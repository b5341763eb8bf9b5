/* Tramita: a map for each geo_point field, as a progressive enhancement.
 *
 * Loaded only when MAP_TILE_URL is set. The latitude and longitude inputs stay the answer
 * (and keyboard users keep them): clicking the map or dragging the marker fills them, typing
 * in them moves the marker. Leaflet (vendored) is loaded only when the page has such a field.
 */
(function () {
  "use strict";

  var me = document.currentScript;
  var SIX = 1e6;

  function round(x) { return String(Math.round(x * SIX) / SIX); }

  function number(input) {
    var text = input.value.trim();
    if (!/^[+-]?\d+(\.\d+)?$/.test(text)) { return null; }
    return parseFloat(text);
  }

  function setUp(box) {
    var L = window.L;
    var lat = document.getElementById(box.dataset.lat);
    var lng = document.getElementById(box.dataset.lng);
    if (!lat || !lng) { return; }
    box.hidden = false;
    var map = L.map(box.querySelector(".geo-map"), {
      keyboard: false, scrollWheelZoom: false, zoomControl: false
    });
    L.control.zoom({ zoomInTitle: box.dataset.zoomIn, zoomOutTitle: box.dataset.zoomOut }).addTo(map);
    L.tileLayer(box.dataset.tiles, { attribution: box.dataset.attribution || "", maxZoom: 19 }).addTo(map);
    var marker = null;
    if (window.ResizeObserver) {  // a field shown later (show_if) starts at zero size
      new ResizeObserver(function () { map.invalidateSize(); }).observe(map.getContainer());
    }

    function typed() {
      var a = number(lat), b = number(lng);
      if (a === null || b === null || Math.abs(a) > 90 || Math.abs(b) > 180) { return null; }
      return L.latLng(a, b);
    }

    function fill(point) {
      lat.value = round(point.lat);
      lng.value = round(L.Util.wrapNum(point.lng, [-180, 180], true));
      [lat, lng].forEach(function (input) {
        input.dispatchEvent(new Event("input", { bubbles: true }));
        input.dispatchEvent(new Event("change", { bubbles: true }));
      });
    }

    function place(point) {
      if (marker) { marker.setLatLng(point); return; }
      marker = L.marker(point, { draggable: true, keyboard: false, alt: "" }).addTo(map);
      marker.on("dragend", function () { fill(marker.getLatLng()); });
    }

    var start = typed();
    var bounds = box.dataset.bounds ? JSON.parse(box.dataset.bounds) : null;
    if (start) {
      place(start);
      map.setView(start, 16);
    } else if (bounds) {
      map.fitBounds([[bounds[0], bounds[1]], [bounds[2], bounds[3]]]);
    } else {
      map.setView([0, 0], 2);
    }

    map.on("click", function (event) {
      place(event.latlng);
      fill(event.latlng);
    });
    [lat, lng].forEach(function (input) {
      input.addEventListener("input", function (event) {
        if (!event.isTrusted) { return; }
        var point = typed();
        if (point) {
          place(point);
          map.panTo(point);
        }
      });
    });
  }

  function start() {
    var boxes = document.querySelectorAll("[data-geo-map]");
    if (!boxes.length) { return; }
    var waiting = 2;
    function loaded() {
      waiting -= 1;
      if (waiting === 0) { Array.prototype.forEach.call(boxes, setUp); }
    }
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = me.dataset.leafletCss;
    css.onload = loaded;
    document.head.appendChild(css);
    var script = document.createElement("script");
    script.src = me.dataset.leaflet;
    script.onload = loaded;
    document.head.appendChild(script);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
