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

  document.addEventListener("DOMContentLoaded", function () {
    previews(document);
    counters(document);
    searchable(document);
  });
  document.addEventListener("htmx:oobAfterSwap", function (e) {
    if (e.detail.target && e.detail.target.id === "form-state") applyHidden();
  });
  document.addEventListener("htmx:afterSwap", function (e) {
    var root = e.detail.target.parentElement || document;
    previews(root);
    counters(root);
    searchable(root);
  });
})();
