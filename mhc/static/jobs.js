// Jobs page: poll the progress of queued/running runs and reload when one changes status.
(function () {
  "use strict";
  var holder = document.getElementById("jobs-progress");
  if (!holder) { return; }
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-run]"));
  var active = rows.filter(function (r) { return r.dataset.status === "queued" || r.dataset.status === "running"; });
  if (!active.length) { return; }
  var ids = active.map(function (r) { return r.dataset.run; });
  function poll() {
    fetch(holder.dataset.url + "?ids=" + ids.join(","), {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (resp) { return resp.json(); })
      .then(function (data) {
        var changed = false;
        active.forEach(function (row) {
          var run = data[row.dataset.run];
          if (!run) { return; }
          if (run.status !== row.dataset.status) { changed = true; return; }
          var bar = row.querySelector("[data-progress] .progress-bar");
          var text = row.querySelector("[data-progress-text]");
          if (bar) { bar.style.width = run.progress + "%"; bar.textContent = run.progress + "%"; }
          if (text) { text.textContent = run.text; }
        });
        if (changed) { window.location.reload(); } else { window.setTimeout(poll, 2000); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 2000);
})();
