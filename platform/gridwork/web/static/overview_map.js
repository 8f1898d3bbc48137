/* The overview map: areas coloured by a measure with a legend, a register's points
   clustered by the server for the zoom, a clicked area's records, and finding a record. */
(function () {
  "use strict";
  var form = document.getElementById("map-form");
  var box = document.getElementById("overview-map");
  if (!form || !box || !window.L) { return; }
  var map = L.map(box, {zoomSnap: 1});
  var colours = ["#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704"];
  var shapes = null, areaLayer = null, pointLayer = L.layerGroup().addTo(map), found = null;
  var values = {};
  map.setView([30.26, 120.13], 12);
  if (document.body.dataset.tiles) {
    L.tileLayer(document.body.dataset.tiles, {maxZoom: 19}).addTo(map);
  } else {
    var note = L.control({position: "topright"});
    note.onAdd = function () {
      var div = L.DomUtil.create("div", "map-notice");
      div.id = "map-no-tiles";
      div.setAttribute("role", "note");
      div.textContent = form.dataset.noTiles;
      return div;
    };
    note.addTo(map);
  }
  var legend = L.control({position: "bottomright"});
  legend.onAdd = function () {
    var div = L.DomUtil.create("div", "map-legend");
    div.id = "map-legend";
    return div;
  };
  legend.addTo(map);

  function field(name) {
    var el = form.elements[name];
    return el ? el.value : "";
  }
  function filters(register) {
    var out = [];
    ["category", "from", "to"].forEach(function (k) {
      if (field(k)) { out.push(k + "=" + encodeURIComponent(field(k))); }
    });
    var state = form.elements.state;
    var chosen = state ? state.selectedOptions[0] : null;
    if (chosen && chosen.value && chosen.dataset.register === register) {
      out.push("state=" + encodeURIComponent(chosen.value));
    }
    return out.join("&");
  }
  function statesOf(register) {
    var state = form.elements.state;
    if (!state) { return; }
    Array.prototype.forEach.call(state.options, function (option) {
      option.hidden = Boolean(option.value) && option.dataset.register !== register;
    });
    if (state.selectedOptions[0].hidden) { state.value = ""; }
  }
  function json(url) {
    return fetch(url, {credentials: "same-origin"}).then(function (r) {
      return r.ok ? r.json() : null;
    });
  }
  function breaks(list) {
    var most = Math.max.apply(null, list.concat([0]));
    if (field("measure") === "on_time_rate") { return [0.2, 0.4, 0.6, 0.8]; }
    var step = Math.max(1, Math.ceil(most / 5));
    return [step, 2 * step, 3 * step, 4 * step];
  }
  function colourOf(v, edges) {
    if (v === null || v === undefined) { return "#ddd"; }
    var i = 0;
    while (i < edges.length && v >= edges[i]) { i++; }
    return colours[i];
  }
  function drawAreas() {
    if (!shapes) { return; }
    var level = field("level");
    var shown = shapes.features.filter(function (f) {
      return Object.prototype.hasOwnProperty.call(values.values || {}, f.properties.code) &&
        (!level || f.properties.level === level);
    });
    var list = shown.map(function (f) { return values.values[f.properties.code]; })
      .filter(function (v) { return v !== null; });
    var edges = breaks(list);
    if (areaLayer) { map.removeLayer(areaLayer); }
    areaLayer = L.geoJSON({type: "FeatureCollection", features: shown}, {
      style: function (f) {
        var v = values.values[f.properties.code];
        return {color: "#555", weight: 1, fillOpacity: 0.65, fillColor: colourOf(v, edges)};
      },
      onEachFeature: function (f, layer) {
        var v = values.values[f.properties.code];
        layer.bindTooltip((f.properties.name || f.properties.code) + ": " +
          (v === null ? form.dataset.none : v));
        layer.on("click", function () { openArea(f.properties.code); });
        layer.getElement && layer.on("add", function () {
          var el = layer.getElement();
          if (el) {
            el.setAttribute("data-code", f.properties.code);
            el.setAttribute("data-value", v === null ? "" : v);
            el.classList.add("map-area");
          }
        });
      }
    }).addTo(map);
    areaLayer.bringToBack();
    var rows = [];
    var lower = field("measure") === "on_time_rate" ? 0 : 0;
    [lower].concat(edges).forEach(function (edge, i) {
      var shownEdge = field("measure") === "on_time_rate" ? Math.round(edge * 100) + "%" : edge;
      rows.push('<div><i style="background:' + colours[i] + '"></i>≥ ' + shownEdge + "</div>");
    });
    rows.push('<div><i style="background:#ddd"></i>' + form.dataset.none + "</div>");
    document.getElementById("map-legend").innerHTML =
      "<strong>" + form.elements.measure.selectedOptions[0].textContent + "</strong>" +
      rows.join("");
    box.dataset.areas = String(shown.length);
  }
  function loadAreas() {
    var url = "/map/measures?register=" + encodeURIComponent(field("register")) +
      "&measure=" + field("measure") +
      (filters(field("register")) ? "&" + filters(field("register")) : "");
    return json(url).then(function (data) { values = data || {values: {}}; drawAreas(); });
  }
  var pointsAsked = 0;  // an older answer (the map moved since) must not replace a newer one
  function loadPoints() {
    var layer = field("layer"), asked = ++pointsAsked;
    pointLayer.clearLayers();
    if (!layer) { return Promise.resolve(); }
    var b = map.getBounds();
    var url = "/map/layers/" + encodeURIComponent(layer) + "?zoom=" + map.getZoom() +
      "&bbox=" + [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (x) {
        return Math.max(-180, Math.min(180, x)).toFixed(5);
      }).join(",") + (filters(layer) ? "&" + filters(layer) : "");
    return json(url).then(function (data) {
      if (asked !== pointsAsked) { return; }
      pointLayer.clearLayers();
      if (!data) { return; }
      data.features.forEach(function (f) {
        var c = f.geometry.coordinates, n = f.properties.count;
        var size = n === 1 ? 14 : Math.min(44, 22 + 4 * Math.log(n));
        var icon = L.divIcon({className: "map-cluster" + (n === 1 ? " single" : ""),
          html: n === 1 ? "" : String(n), iconSize: [size, size]});
        var marker = L.marker([c[1], c[0]], {icon: icon}).addTo(pointLayer);
        marker.on("click", function () {
          if (f.properties.url) { window.location = f.properties.url; }
          else { map.setView([c[1], c[0]], Math.min(map.getZoom() + 2, 19)); }
        });
      });
      box.dataset.points = String(data.features.length);
    });
  }
  function openArea(code) {
    json("/map/area?node=" + encodeURIComponent(code)).then(function (data) {
      var panel = document.getElementById("map-area");
      if (!data) { return; }
      panel.hidden = false;
      panel.dataset.code = code;
      document.getElementById("map-area-name").textContent = data.name;
      var lists = document.getElementById("map-area-lists");
      lists.textContent = "";
      data.registers.forEach(function (group) {
        var section = document.createElement("section");
        section.dataset.register = group.register;
        var h = document.createElement("h3");
        var all = document.createElement("a");
        all.href = group.list;
        all.textContent = group.label + " " + group.total;
        h.appendChild(all);
        section.appendChild(h);
        var ul = document.createElement("ul");
        group.items.forEach(function (item) {
          var li = document.createElement("li"), a = document.createElement("a");
          a.href = item.url;
          a.textContent = item.title;
          li.appendChild(a);
          ul.appendChild(li);
        });
        section.appendChild(ul);
        lists.appendChild(section);
      });
      panel.scrollIntoView({block: "nearest"});
    });
  }
  function highlight(hit) {
    if (found) { map.removeLayer(found); found = null; }
    if (hit.point) {
      found = L.circleMarker([hit.point[0], hit.point[1]], {radius: 12, color: "#c00",
        weight: 4, className: "map-found"}).addTo(map);
      map.setView([hit.point[0], hit.point[1]], Math.max(map.getZoom(), 16));
    } else if (shapes && hit.areas.length) {
      var parts = shapes.features.filter(function (f) {
        return hit.areas.indexOf(f.properties.code) >= 0;
      });
      if (!parts.length) { return; }
      found = L.geoJSON({type: "FeatureCollection", features: parts}, {
        style: {color: "#c00", weight: 4, fillOpacity: 0.1, className: "map-found"}
      }).addTo(map);
      map.fitBounds(found.getBounds());
    }
  }
  document.getElementById("map-search").addEventListener("submit", function (event) {
    event.preventDefault();
    var q = document.getElementById("m-q").value;
    json("/map/find?q=" + encodeURIComponent(q)).then(function (data) {
      var list = document.getElementById("map-hits");
      list.textContent = "";
      (data ? data.hits : []).forEach(function (hit, i) {
        var li = document.createElement("li"), a = document.createElement("a");
        a.href = hit.url;
        a.textContent = hit.title + " · " + hit.node;
        li.appendChild(a);
        li.dataset.register = hit.register;
        if (i === 0) { li.className = "hit"; highlight(hit); }
        li.addEventListener("mouseenter", function () { highlight(hit); });
        list.appendChild(li);
      });
    });
  });
  form.addEventListener("change", function (event) {
    if (event.target.name === "layer") { loadPoints(); return; }
    if (event.target.name === "level") { drawAreas(); return; }
    if (event.target.name === "register") { statesOf(field("register")); }
    loadAreas();
    loadPoints();
  });
  map.on("moveend", loadPoints);
  statesOf(field("register"));
  var start = form.dataset.node ? "?node=" + encodeURIComponent(form.dataset.node) : "";
  Promise.all([json("/boundaries.geojson"), json("/nodes/area" + start)]).then(function (got) {
    shapes = got[0];
    if (got[1] && got[1].bounds) { map.fitBounds(got[1].bounds); }
    return loadAreas();
  }).then(loadPoints).then(function () { box.dataset.ready = "1"; });
}());
