// gridwork map picker: pick a point on the grid's map, opened on the user's area, and say
// where the point lies against the form's chosen area (the server's boundaries decide, as
// they do when the form is saved), offering the area that holds it.
(function () {
  "use strict";
  if (window.gwMapPicker) return;  // the script is loaded once per page
  window.gwMapPicker = true;

  var boundaries = null;
  var reopen = null;  // the id of a field whose open map the server's check re-renders

  function boundaryLayer() {
    if (!boundaries) {
      boundaries = fetch("/boundaries.geojson", {credentials: "same-origin"}).then(function (r) {
        return r.ok ? r.json() : null;
      }).catch(function () { return null; });
    }
    return boundaries;
  }

  function notice(map, text) {
    var control = L.control({position: "topright"});
    control.onAdd = function () {
      var box = L.DomUtil.create("div", "map-notice");
      box.setAttribute("role", "note");
      box.textContent = text;
      return box;
    };
    control.addTo(map);
  }

  function layers(map, noTiles, geo) {
    var url = document.body.dataset.tiles;
    if (url) L.tileLayer(url, {maxZoom: 19}).addTo(map);
    else if (noTiles) notice(map, noTiles);
    boundaryLayer().then(function (data) {
      if (!data || !data.features.length) return;
      map.gwBoundaries = L.geoJSON(data, {interactive: false}).addTo(map);
      highlight(map, geo);
    });
  }

  // Draw the form's chosen area stronger than the others.
  function highlight(map, geo) {
    var control = geo && nodeControl(geo), chosen = control ? control.value : "";
    if (!map.gwBoundaries) return;
    map.gwBoundaries.setStyle(function (feature) {
      var mine = chosen && feature.properties.code === chosen;
      return {weight: mine ? 3 : 1, color: "#1f6f8b", fillOpacity: mine ? 0.15 : 0.05};
    });
  }

  function nodeControl(geo) {
    var form = geo.closest("form");
    return form ? form.querySelector("[name=node]") : null;
  }

  function query(params) {
    return Object.keys(params).filter(function (k) { return params[k]; }).map(function (k) {
      return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]);
    }).join("&");
  }

  function setNode(geo, code) {
    var control = nodeControl(geo);
    if (!control) return;
    control.value = code;
    control.dispatchEvent(new Event("input", {bubbles: true}));
    control.dispatchEvent(new Event("change", {bubbles: true}));
  }

  function offerButton(geo, code, text) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "map-offer";
    button.dataset.code = code;
    button.textContent = text;
    bindOffer(geo, button);
    return button;
  }

  function bindOffer(geo, button) {
    if (button.dataset.bound) return;
    button.dataset.bound = "1";
    button.hidden = false;
    button.addEventListener("click", function () {
      setNode(geo, button.dataset.code);  // its change event checks the point again
    });
  }

  // Ask the server where the typed point lies and show its words beside the map.
  function check(geo) {
    var lat = geo.querySelector("input[name$=_lat]").value;
    var lng = geo.querySelector("input[name$=_lon]").value;
    var note = geo.querySelector(".map-note");
    if (!note || !lat || !lng) return;
    var control = nodeControl(geo);
    var picker = control && control.closest(".tree-picker");
    var url = "/nodes/locate?" + query({lat: lat, lng: lng, node: control ? control.value : "",
                                        level: picker ? picker.dataset.level : ""});
    fetch(url, {credentials: "same-origin"}).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (data) {
      if (!data) return;
      note.replaceChildren();
      if (!data.message) return;
      var text = document.createElement("p");
      text.className = data.outside ? "warning" : "note";
      text.textContent = data.message;
      note.appendChild(text);
      if (data.offer) note.appendChild(offerButton(geo, data.offer.code, data.offer.label));
      if (data.confirm) {
        var label = document.createElement("label"), box = document.createElement("input");
        label.className = "option";
        box.type = "checkbox";
        box.name = geo.dataset.geo + "_confirm";
        box.value = "1";
        label.append(box, " " + data.confirm);
        note.appendChild(label);
      }
    }).catch(function () { /* the server checks the point again when the form is saved */ });
  }

  function openArea(geo, map) {
    var control = nodeControl(geo);
    fetch("/nodes/area?" + query({node: control ? control.value : ""}),
          {credentials: "same-origin"}).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (data) {
      if (data && data.bounds && !map.gwHasPoint) map.fitBounds(data.bounds);
    }).catch(function () { /* keep the whole map */ });
  }

  function open(geo) {
    var box = geo.querySelector(".map");
    box.hidden = false;
    if (box.dataset.ready) { box.gwMap.invalidateSize(); return; }
    box.dataset.ready = "1";
    var lat = geo.querySelector("input[name$=_lat]"), lon = geo.querySelector("input[name$=_lon]");
    var map = L.map(box), marker = null;
    box.gwMap = map;
    if (lat.value && lon.value && isFinite(+lat.value) && isFinite(+lon.value)) {
      map.gwHasPoint = true;
      map.setView([+lat.value, +lon.value], 16);
      marker = L.marker([+lat.value, +lon.value]).addTo(map);
    } else {
      map.setView([35, 105], 4);
      openArea(geo, map);
    }
    layers(map, geo.dataset.noTiles, geo);
    map.on("click", function (e) {
      lat.value = e.latlng.lat.toFixed(6);
      lon.value = e.latlng.lng.toFixed(6);
      if (marker) marker.setLatLng(e.latlng); else marker = L.marker(e.latlng).addTo(map);
      map.gwHasPoint = true;
      lat.dispatchEvent(new Event("change", {bubbles: true}));
      check(geo);
    });
  }

  function pickers(root) {
    if (!window.L) return;
    root.querySelectorAll(".geo").forEach(function (geo) {
      geo.querySelectorAll(".map-offer").forEach(function (b) { bindOffer(geo, b); });
      var button = geo.querySelector(".map-toggle");
      if (!button || button.dataset.bound) return;
      button.dataset.bound = "1";
      button.hidden = false;
      button.addEventListener("click", function () {
        var box = geo.querySelector(".map");
        if (box.hidden) open(geo); else box.hidden = true;
      });
      if (geo.dataset.reopen) open(geo);
    });
    root.querySelectorAll(".map[data-point]").forEach(function (box) {
      if (box.dataset.ready) return;
      box.dataset.ready = "1";
      box.hidden = false;
      var point = box.dataset.point.split(",").map(Number);
      var map = L.map(box).setView(point, 16);
      box.gwMap = map;
      L.marker(point).addTo(map);
      layers(map, "", null);
    });
  }

  // A changed area is drawn as chosen, and the point checked against it again.
  document.addEventListener("change", function (e) {
    if (!e.target.matches || !e.target.matches("[name=node]")) return;
    var form = e.target.closest("form");
    if (!form) return;
    form.querySelectorAll(".geo").forEach(function (geo) {
      var box = geo.querySelector(".map");
      if (box && box.gwMap) highlight(box.gwMap, geo);
      check(geo);
    });
  });
  // A field checked by the server comes back closed: reopen a map that was open.
  document.addEventListener("htmx:beforeSwap", function (e) {
    var map = e.detail.target && e.detail.target.querySelector &&
      e.detail.target.querySelector(".geo .map");
    if (map && !map.hidden) reopen = e.detail.target.id;
  });
  document.addEventListener("htmx:afterSwap", function (e) {
    var root = e.detail.target.parentElement || document;
    if (reopen) {
      var field = document.getElementById(reopen), geo = field && field.querySelector(".geo");
      if (geo) geo.dataset.reopen = "1";
      reopen = null;
    }
    pickers(root);
  });
  document.addEventListener("DOMContentLoaded", function () { pickers(document); });
})();
