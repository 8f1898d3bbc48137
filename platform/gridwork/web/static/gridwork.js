// gridwork: hide the fields the server says to hide, preview photos, pick points on a map.
(function () {
  "use strict";

  function applyHidden() {
    var state = document.getElementById("form-state");
    if (!state) return;
    var hidden = (state.dataset.hidden || "").split(" ").filter(Boolean);
    document.querySelectorAll(".record-form .field[data-name]").forEach(function (field) {
      field.hidden = hidden.indexOf(field.dataset.name) >= 0;
    });
  }

  function previews(root) {
    root.querySelectorAll('.photo input[type=file]').forEach(function (input) {
      if (input.dataset.bound) return;
      input.dataset.bound = "1";
      input.addEventListener("change", function () {
        var box = input.parentElement.querySelector(".previews");
        box.replaceChildren();
        Array.prototype.forEach.call(input.files, function (file) {
          var img = document.createElement("img");
          img.src = URL.createObjectURL(file);
          img.alt = file.name;
          box.appendChild(img);
        });
      });
    });
  }

  // A text with a length limit shows how much of it is used, rather than stopping silently.
  function counters(root) {
    root.querySelectorAll(".field input[maxlength], .field textarea[maxlength]").forEach(function (input) {
      if (input.dataset.counted) return;
      input.dataset.counted = "1";
      var counter = document.createElement("small");
      counter.className = "counter";
      counter.setAttribute("aria-live", "polite");
      var show = function () {
        counter.textContent = input.value.length + " / " + input.maxLength;
        counter.classList.toggle("full", input.value.length >= input.maxLength);
      };
      input.addEventListener("input", show);
      input.insertAdjacentElement("afterend", counter);
      show();
    });
  }

  function searchable(root) {
    root.querySelectorAll("select[data-search]").forEach(function (select) {
      if (select.dataset.bound) return;
      select.dataset.bound = "1";
      var box = document.createElement("input");
      box.type = "search";
      box.placeholder = select.dataset.search;
      box.setAttribute("aria-label", select.dataset.search);
      select.parentElement.insertBefore(box, select);
      box.addEventListener("input", function () {
        var text = box.value.trim().toLowerCase();
        Array.prototype.forEach.call(select.options, function (option) {
          option.hidden = !!text && !!option.value &&
            option.textContent.toLowerCase().indexOf(text) < 0;
        });
      });
    });
  }

  function tiles(map) {
    var url = document.body.dataset.tiles;
    if (url) L.tileLayer(url, {maxZoom: 19}).addTo(map);
    fetch("/boundaries.geojson", {credentials: "same-origin"}).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (data) {
      if (!data || !data.features.length) return;
      var layer = L.geoJSON(data, {style: {weight: 1, color: "#1f6f8b", fillOpacity: 0.05}});
      layer.addTo(map);
      if (!map.gwHasPoint) map.fitBounds(layer.getBounds());
    });
  }

  function pickers(root) {
    if (!window.L) return;
    root.querySelectorAll(".geo").forEach(function (geo) {
      var button = geo.querySelector(".map-toggle");
      if (!button || button.dataset.bound) return;
      button.dataset.bound = "1";
      button.hidden = false;
      button.addEventListener("click", function () {
        var box = geo.querySelector(".map");
        box.hidden = !box.hidden;
        if (box.hidden || box.dataset.ready) return;
        box.dataset.ready = "1";
        var lat = geo.querySelector("input[name$=_lat]"), lon = geo.querySelector("input[name$=_lon]");
        var map = L.map(box), marker = null;
        if (lat.value && lon.value) {
          map.gwHasPoint = true;
          map.setView([+lat.value, +lon.value], 16);
          marker = L.marker([+lat.value, +lon.value]).addTo(map);
        } else {
          map.setView([35, 105], 4);
        }
        tiles(map);
        map.on("click", function (e) {
          lat.value = e.latlng.lat.toFixed(6);
          lon.value = e.latlng.lng.toFixed(6);
          if (marker) marker.setLatLng(e.latlng); else marker = L.marker(e.latlng).addTo(map);
          lat.dispatchEvent(new Event("change", {bubbles: true}));
        });
      });
    });
    root.querySelectorAll(".map[data-point]").forEach(function (box) {
      if (box.dataset.ready) return;
      box.dataset.ready = "1";
      box.hidden = false;
      var point = box.dataset.point.split(",").map(Number);
      var map = L.map(box).setView(point, 16);
      map.gwHasPoint = true;
      L.marker(point).addTo(map);
      tiles(map);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    previews(document);
    counters(document);
    searchable(document);
    pickers(document);
  });
  document.addEventListener("htmx:oobAfterSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "form-state") applyHidden();
  });
  document.addEventListener("htmx:afterSwap", function (e) {
    var root = e.detail.target.parentElement || document;
    previews(root);
    counters(root);
    searchable(root);
    pickers(root);
  });
})();
