/* Events page live refresh: every few seconds, fetch rows newer than the newest shown (and the tab
 * counts) from the JSON endpoint and prepend them; no page reload. Text goes through textContent. */
(function () {
  "use strict";
  var script = document.currentScript;
  var feedUrl = script.getAttribute("data-feed-url");
  var profileUrl = script.getAttribute("data-profile-url") || "";
  var owner = (script.getAttribute("data-owner") || "").toLowerCase();
  var ownerUrl = script.getAttribute("data-owner-url") || "";
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
  // A username as a link to its Profile page (the name goes through textContent, the address is encoded).
  function person(td, name) {
    if (!name) { return; }
    var a = document.createElement("a");
    // The owner has no Profile page: the owner's page is the dashboard.
    a.href = name.toLowerCase() === owner ? ownerUrl : profileUrl.replace("__name__", encodeURIComponent(name));
    a.setAttribute("data-person-link", "");
    a.textContent = name;
    td.appendChild(a);
  }
  function people(tr, from, to) {
    var td = document.createElement("td");
    person(td, from);
    if (to) { td.appendChild(document.createTextNode(" \u2192 ")); person(td, to); }
    tr.appendChild(td);
  }
  function row(r) {
    var tr = document.createElement("tr");
    tr.setAttribute("data-event-id", r.id);
    tr.setAttribute("data-cursor", r.cursor);
    if (r.flagged) { tr.className = "table-warning"; }
    var td = document.createElement("td"), time = document.createElement("time"), utc = r.time.slice(0, 19).replace("T", " ");
    td.className = "text-nowrap";
    time.setAttribute("datetime", r.time);
    time.setAttribute("data-local", "");
    time.setAttribute("data-seconds", "");
    time.title = utc + " UTC";
    time.textContent = utc;
    td.appendChild(time);
    tr.appendChild(td);
    cell(tr, (r.type_label || r.type) + (r.direct ? " (direct)" : ""));
    if (r.room) { people(tr, r.room, null); } else { cell(tr, "\u2014"); }
    people(tr, r.from, r.to);
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
        if (window.mhcLocalTimes) { window.mhcLocalTimes(); }
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
