// Every panel page: the listeners that stand in for inline event handlers, which the panel's
// Content-Security-Policy refuses (docs/production.md, "Security headers").
(function () {
  "use strict";
  // Flask-Admin's dropdown and pager links point at javascript:void(0); following one would be refused.
  // Caught on the way down (capture), because some of Flask-Admin's handlers stop the click from bubbling up.
  document.addEventListener("click", function (event) {
    if (event.target instanceof Element && event.target.closest("a[href^='javascript:']")) {
      event.preventDefault();
    }
  }, true);
  document.addEventListener("click", function (event) {
    if (!(event.target instanceof Element)) { return; }
    var confirmed = event.target.closest("[data-confirm]");
    if (confirmed && !window.confirm(confirmed.getAttribute("data-confirm"))) {
      event.preventDefault();
      return;
    }
    var action = event.target.closest("[data-model-action]");
    if (action && window.modelActions) {
      event.preventDefault();
      window.modelActions.execute(action.getAttribute("data-model-action"));
    }
  });
})();
