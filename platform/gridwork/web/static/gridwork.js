// gridwork: hide the fields the server says to hide, preview photos, search long selects.
// The map picker is mappicker.js.
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

  document.addEventListener("DOMContentLoaded", function () {
    previews(document);
    searchable(document);
  });
  document.addEventListener("htmx:oobAfterSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "form-state") applyHidden();
  });
  document.addEventListener("htmx:afterSwap", function (e) {
    var root = e.detail.target.parentElement || document;
    previews(root);
    searchable(root);
  });
})();
