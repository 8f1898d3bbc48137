// gridwork: the tree picker of node fields. The select or code input stays the real control (so
// the form works without JavaScript); this shows the panel that opens the grid tree a level at a
// time and searches it (htmx fetches the levels), and copies a picked node into the control.
(function () {
  "use strict";

  function reveal(root) {
    root.querySelectorAll(".tree-picker .tree-open[hidden]").forEach(function (button) {
      button.hidden = false;
    });
  }

  function close(picker) {
    picker.querySelector(".tree-panel").hidden = true;
    picker.querySelector(".tree-open").setAttribute("aria-expanded", "false");
  }

  function choose(picker, code, label) {
    var control = picker.querySelector(".tree-value");
    if (control.tagName === "SELECT" &&
        !Array.prototype.some.call(control.options, function (o) { return o.value === code; })) {
      control.add(new Option(label, code));
    }
    control.value = code;
    var chosen = picker.querySelector(".tree-chosen");
    if (chosen) chosen.textContent = label;
    close(picker);
    control.focus();
    control.dispatchEvent(new Event("change", {bubbles: true}));
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    var picker = button && button.closest(".tree-picker");
    if (!picker) return;
    if (button.classList.contains("tree-open")) {
      var panel = picker.querySelector(".tree-panel");
      panel.hidden = !panel.hidden;
      button.setAttribute("aria-expanded", String(!panel.hidden));
      if (!panel.hidden) picker.querySelector(".tree-search").focus();
    } else if (button.classList.contains("tree-toggle")) {
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", String(open));
      button.textContent = open ? "▾" : "▸";
      var sub = document.getElementById(button.getAttribute("aria-controls"));
      if (sub) sub.hidden = !open;
    } else if (button.classList.contains("tree-pick")) {
      choose(picker, button.dataset.code, button.dataset.label);
    }
  });

  document.addEventListener("keydown", function (event) {
    var picker = event.key === "Escape" && event.target.closest && event.target.closest(".tree-panel");
    if (!picker) return;
    var whole = picker.closest(".tree-picker");
    close(whole);
    whole.querySelector(".tree-open").focus();
  });

  // The search box is not part of the record: keep its changes from the form's live checks.
  document.addEventListener("change", function (event) {
    if (event.target.classList && event.target.classList.contains("tree-search")) {
      event.stopPropagation();
    }
  }, true);

  document.addEventListener("DOMContentLoaded", function () { reveal(document); });
  document.addEventListener("htmx:load", function (event) { reveal(event.target); });
})();
