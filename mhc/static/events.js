/* Events page live refresh: every few seconds, fetch rows newer than the newest shown (and the tab
 * counts) from the JSON endpoint and prepend them; no page reload. Text goes through textContent. */
(function () {
  "use strict";
  var script = document.currentScript;
  var feedUrl = script.getAttribute("data-feed-url");
  var every = Number(script.getAttribute("data-refresh-ms")) || 5000;
  var params = new URLSearchParams(window.location.search);
  var body = document.getElementById("event-rows");
  var label = document.querySelector("[data-testid=refresh-state]");
  if (!body || !feedUrl) { return; }

  function newest() { var r = body.querySelector("tr[data-cursor]"); return r ? r.getAttribute("data-cursor") : ""; }
  function cell(tr, value, cls) {
    var td = document.createElement("td");
    if (cls) { td.className = cls; }
    td.textContent = value;
    tr.appendChild(td);
  }
  function row(r) {
    var tr = document.createElement("tr");
    tr.setAttribute("data-event-id", r.id);
    tr.setAttribute("data-cursor", r.cursor);
    if (r.flagged) { tr.className = "table-warning"; }
    cell(tr, r.time.slice(0, 19).replace("T", " "), "text-nowrap");
    cell(tr, (r.type_label || r.type) + (r.direct ? " (direct)" : ""));
    cell(tr, r.room || "\u2014");
    cell(tr, (r.from || "") + (r.to ? " \u2192 " + r.to : ""));
    cell(tr, r.text || "");
    cell(tr, r.amount === null ? "" : String(r.amount), "text-right");
    return tr;
  }
  function refresh() {
    params.set("after", newest());
    fetch(feedUrl + "?" + params.toString(), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (resp) { if (!resp.ok) { throw new Error("HTTP " + resp.status); } return resp.json(); })
      .then(function (data) {
        var empty = body.querySelector("tr.empty");
        if (data.rows.length && empty) { empty.remove(); }
        for (var i = data.rows.length - 1; i >= 0; i--) { body.insertBefore(row(data.rows[i]), body.firstChild); }
        Object.keys(data.counts).forEach(function (k) {
          var badge = document.querySelector("[data-count='" + k + "']");
          if (badge) { badge.textContent = data.counts[k]; }
        });
        if (label) { label.textContent = "Live: updated " + new Date().toISOString().slice(11, 19) + " UTC"; }
      })
      .catch(function (err) { if (label) { label.textContent = "Live refresh paused (" + err.message + ")"; } });
  }
  window.setInterval(refresh, every);
})();
