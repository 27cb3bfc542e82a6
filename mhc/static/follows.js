/* Follow lists page: runs still waiting or running update in place (status, progress text, then the outcome
 * in words or the failure's label with its next step), without a reload. Text goes through textContent. */
(function () {
  "use strict";
  var ACTIVE = ["queued", "running"];
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-run-id][data-progress-url]"))
    .filter(function (r) { return ACTIVE.indexOf(r.getAttribute("data-status")) >= 0; });

  function link(href, text, testid) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    if (testid) { a.setAttribute("data-testid", testid); }
    return a;
  }

  function outcome(cell, run) {
    while (cell.firstChild) { cell.removeChild(cell.firstChild); }
    if (run.failure) {
      var span = document.createElement("span");
      span.className = "text-danger";
      span.setAttribute("data-testid", "failure");
      var strong = document.createElement("strong");
      strong.textContent = run.failure.label + ":";
      span.appendChild(strong);
      span.appendChild(document.createTextNode(" " + run.failure.message));
      cell.appendChild(span);
      var small = document.createElement("small");
      small.appendChild(document.createElement("br"));
      if (run.failure.url && run.failure.url.indexOf("#details") < 0) {
        small.appendChild(link(run.failure.url, run.failure.next_step, "next-step"));
      } else {
        small.appendChild(document.createTextNode(run.failure.next_step));
      }
      small.appendChild(document.createTextNode(" \u00b7 "));
      small.appendChild(link(run.detail_url + "?details=1#details", "Details"));
      cell.appendChild(small);
    } else if (run.counts) {
      var c = run.counts;
      cell.textContent = "added " + c.added + ", removed " + c.removed + ", unchanged " + c.unchanged;
    } else if (run.status === "held") {
      cell.appendChild(link(window.location.pathname, "Waiting for you: reload to review the list"));
    }
  }

  function poll(row) {
    fetch(row.getAttribute("data-progress-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (run) {
        var status = row.querySelector("[data-testid=run-status]");
        var text = row.querySelector("[data-testid=run-text]");
        if (status) { status.textContent = run.status_label; }
        if (text) { text.textContent = run.text || ""; }
        row.setAttribute("data-status", run.status);
        if (ACTIVE.indexOf(run.status) >= 0) {
          window.setTimeout(function () { poll(row); }, 1500);
        } else {
          outcome(row.querySelector("[data-run-result]"), run);
        }
      })
      .catch(function () { window.setTimeout(function () { poll(row); }, 5000); });
  }

  rows.forEach(function (row) { window.setTimeout(function () { poll(row); }, 1000); });
})();
