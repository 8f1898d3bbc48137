/* The statistics page: the checked "count by" keys into one field, and the chart drawn as
   SVG from the table's rows (bars, stacked bars or a line over the first key). */
(function () {
  "use strict";
  var form = document.getElementById("stats-form");
  if (form) {
    form.addEventListener("submit", function () {
      var keys = Array.prototype.map.call(form.querySelectorAll("input.by:checked"),
        function (box) { return box.value; });
      document.getElementById("s-by").value = keys.join(",") || "category";
    });
  }
  var figure = document.getElementById("stats-chart");
  var data = document.getElementById("stats-data");
  if (!figure || !data) { return; }
  var rows = JSON.parse(data.textContent);
  var by = figure.dataset.by.split(",");
  var kind = figure.dataset.kind;
  var first = by[0], second = by[1];
  var groups = [], series = [], cell = {};
  rows.forEach(function (row) {
    var g = row[first + "_label"] || "—", s = second ? (row[second + "_label"] || "—") : "";
    if (groups.indexOf(g) < 0) { groups.push(g); }
    if (series.indexOf(s) < 0) { series.push(s); }
    cell[g + "\u0000" + s] = (cell[g + "\u0000" + s] || 0) + row.count;
  });
  if (!groups.length) { figure.hidden = true; return; }
  var colours = ["#3b73b9", "#e07b39", "#4a9d5b", "#b94a8c", "#8c7a3b", "#3ba7b9", "#777"];
  var width = Math.max(320, groups.length * 36 + 60), height = 240, left = 40, bottom = 60;
  var inner = height - bottom - 10, step = (width - left) / groups.length;
  function value(g, s) { return cell[g + "\u0000" + s] || 0; }
  var most = 1;
  groups.forEach(function (g) {
    var sum = 0;
    series.forEach(function (s) {
      sum += value(g, s); most = Math.max(most, value(g, s));
    });
    if (kind === "stacked") { most = Math.max(most, sum); }
  });
  var ns = "http://www.w3.org/2000/svg";
  var svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 " + width + " " + height);
  svg.setAttribute("role", "img");
  function add(name, attrs, text) {
    var el = document.createElementNS(ns, name);
    Object.keys(attrs).forEach(function (k) { el.setAttribute(k, attrs[k]); });
    if (text !== undefined) { el.textContent = text; }
    svg.appendChild(el);
    return el;
  }
  function y(v) { return 10 + inner - inner * v / most; }
  add("line", {x1: left, y1: y(0), x2: width, y2: y(0), stroke: "#999"});
  add("text", {x: 2, y: 16, "font-size": 10}, String(most));
  series.forEach(function (s, si) {
    var colour = colours[si % colours.length], points = [];
    groups.forEach(function (g, gi) {
      var v = value(g, s), x = left + gi * step;
      if (kind === "line") {
        points.push((x + step / 2) + "," + y(v));
      } else if (kind === "stacked") {
        var below = 0;
        for (var k = 0; k < si; k++) { below += value(g, series[k]); }
        add("rect", {x: x + 2, y: y(below + v), width: step - 4, height: y(below) - y(below + v),
                     fill: colour, "class": "bar"}).appendChild(
          document.createElementNS(ns, "title")).textContent = g + " " + s + ": " + v;
      } else {
        var w = (step - 4) / series.length;
        add("rect", {x: x + 2 + si * w, y: y(v), width: w, height: y(0) - y(v),
                     fill: colour, "class": "bar"}).appendChild(
          document.createElementNS(ns, "title")).textContent = g + " " + s + ": " + v;
      }
    });
    if (kind === "line") {
      add("polyline", {points: points.join(" "), fill: "none", stroke: colour,
                       "stroke-width": 2, "class": "line"});
    }
  });
  groups.forEach(function (g, gi) {
    var x = left + gi * step + step / 2;
    add("text", {x: x, y: height - bottom + 14, "font-size": 10, "text-anchor": "end",
                 transform: "rotate(-40 " + x + " " + (height - bottom + 14) + ")"}, g);
  });
  figure.appendChild(svg);
  if (second) {
    var legend = document.createElement("figcaption");
    series.forEach(function (s, si) {
      var item = document.createElement("span");
      item.innerHTML = '<i style="display:inline-block;width:.8rem;height:.8rem;background:' +
        colours[si % colours.length] + '"></i> ';
      item.appendChild(document.createTextNode(s + "  "));
      legend.appendChild(item);
    });
    figure.appendChild(legend);
  }
}());
