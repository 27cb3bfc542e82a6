// The views bar of the Users lists (docs/operator.md#saved-views-and-columns): the column chooser builds the
// list's URL with ?cols= (the server shows only those columns), "Copy link" copies a list's URL.
(function () {
  "use strict";

  function chosenColumns(form) {
    var names = [];
    form.querySelectorAll(".columns-list input[type=checkbox]").forEach(function (box) {
      if (box.checked) names.push(box.value);
    });
    return names;
  }

  function goWithColumns(form, names) {
    var query = form.getAttribute("data-base-query") || "";
    var all = form.getAttribute("data-all") || "";
    if (names.length && names.join(",") !== all) {
      query += (query ? "&" : "") + "cols=" + encodeURIComponent(names.join(","));
    }
    // The tab as it opens would be the user's default view: name "no view" instead.
    query = query || form.getAttribute("data-bare") || "";
    window.location.assign(form.getAttribute("action") + (query ? "?" + query : ""));
  }

  function move(item, up) {
    var sibling = up ? item.previousElementSibling : item.nextElementSibling;
    if (!sibling) return;
    item.parentNode.insertBefore(item, up ? sibling : sibling.nextElementSibling);
    var button = item.querySelector(up ? ".col-up" : ".col-down");
    if (button) button.focus();
  }

  // The ↑/↓ buttons are built here, not sent with every list page (the page's weight counts).
  function addMoveButtons(item) {
    var label = item.textContent.trim();
    [["col-up", "\u2191", "left"], ["col-down", "\u2193", "right"]].forEach(function (spec) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-link btn-sm " + spec[0];
      button.textContent = spec[1];
      button.title = "Move " + label + " " + spec[2];
      button.setAttribute("aria-label", button.title);
      item.appendChild(button);
    });
  }

  function copy(button) {
    var link = button.getAttribute("data-link");
    var done = function () {
      var before = button.textContent;
      button.textContent = "Copied";
      window.setTimeout(function () { button.textContent = before; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(link).then(done, function () { window.prompt("Copy this link:", link); });
    } else {
      window.prompt("Copy this link:", link);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".columns-form").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        goWithColumns(form, chosenColumns(form));
      });
      form.querySelector(".columns-reset").addEventListener("click", function () { goWithColumns(form, []); });
      form.querySelectorAll(".columns-list label").forEach(addMoveButtons);
      form.addEventListener("click", function (event) {
        var button = event.target.closest(".col-up, .col-down");
        if (!button) return;
        event.preventDefault();  // a button inside a label: never toggle the checkbox
        move(button.closest("label"), button.classList.contains("col-up"));
      });
    });
    document.querySelectorAll(".copy-link").forEach(function (button) {
      button.addEventListener("click", function () { copy(button); });
    });
    document.querySelectorAll(".views-link input[readonly]").forEach(function (input) {
      input.addEventListener("focus", function () { input.select(); });
    });
    // One menu open at a time: opening one closes the other.
    var menus = document.querySelectorAll("details.views-pop");
    menus.forEach(function (menu) {
      menu.addEventListener("toggle", function () {
        if (!menu.open) return;
        menus.forEach(function (other) { if (other !== menu) other.open = false; });
      });
    });
    // A click elsewhere, or Escape, closes them.
    document.addEventListener("click", function (event) {
      menus.forEach(function (menu) { if (menu.open && !menu.contains(event.target)) menu.open = false; });
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") menus.forEach(function (menu) { menu.open = false; });
    });
  });
})();
