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

  // Lists people read (Events, Jobs) become stacked cards on a phone (panel.css, .table-cards): each cell is
  // labelled with its column's header, also for rows added later (the Events page's live refresh).
  function labelCells(table) {
    var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) { return th.textContent.trim(); });
    Array.prototype.forEach.call(table.querySelectorAll("tbody tr"), function (tr) {
      Array.prototype.forEach.call(tr.children, function (td, i) {
        if (heads[i] && !td.hasAttribute("colspan")) { td.setAttribute("data-label", heads[i]); }
        if (!td.textContent.trim() && !td.querySelector("input, button, img, svg, .progress")) { td.setAttribute("data-empty", ""); }
        else { td.removeAttribute("data-empty"); }
      });
    });
  }
  function cardTables() {
    // A page built by Flask-Admin's list template asks for cards on its wrapper: [data-table-cards].
    Array.prototype.forEach.call(document.querySelectorAll("[data-table-cards] table.model-list"), function (table) {
      table.classList.add("table-cards");
    });
    Array.prototype.forEach.call(document.querySelectorAll("table.table-cards"), function (table) {
      labelCells(table);
      new MutationObserver(function () { labelCells(table); }).observe(table, { childList: true, subtree: true });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", cardTables); } else { cardTables(); }
})();

// Every panel page: times sent in UTC as <time datetime="…" data-local> (the `local_time` filter, the Profile
// page) are shown in the browser's local time; the UTC time the server wrote stays in the title.
(function () {
  "use strict";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function localTimes() {
    Array.prototype.forEach.call(document.querySelectorAll("time[data-local]:not([data-shown])"), function (el) {
      var date = new Date(el.getAttribute("datetime"));
      if (isNaN(date.getTime())) { return; }
      var utc = el.textContent.trim();
      el.textContent = date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) + " " +
        pad(date.getHours()) + ":" + pad(date.getMinutes()) +
        (el.hasAttribute("data-seconds") ? ":" + pad(date.getSeconds()) : "");
      if (!el.title) { el.title = utc + " (shown in your local time)"; }
      el.setAttribute("data-shown", "");
    });
  }
  window.mhcLocalTimes = localTimes;  // for rows a page adds later (the Events page's live refresh)
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", localTimes); } else { localTimes(); }
})();
