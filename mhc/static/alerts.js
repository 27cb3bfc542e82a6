// Alerts page: show only the rule settings the chosen kind uses, and that kind's description.
// Without this script every setting shows, each saying which kinds use it, and the server ignores the others.
(function () {
  "use strict";
  var select = document.querySelector("[data-kind-select]");
  if (!select) { return; }
  var description = document.querySelector("[data-kind-description]");
  function update() {
    var kind = select.value;
    document.querySelectorAll("[data-kinds]").forEach(function (group) {
      var used = group.getAttribute("data-kinds").split(" ").indexOf(kind) !== -1;
      group.hidden = !used;
      group.querySelectorAll("input, select, textarea").forEach(function (input) { input.disabled = !used; });
    });
    var option = select.options[select.selectedIndex];
    if (description) {
      description.textContent = option ? option.getAttribute("data-description") : "";
      description.hidden = !description.textContent;
    }
  }
  select.addEventListener("change", update);
  update();
})();
