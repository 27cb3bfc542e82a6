// Jobs page: poll the progress of waiting and running runs and update their rows in place when they end
// (status in words, the failure's label or the counts, a Retry button), without a reload.
(function () {
  "use strict";
  var holder = document.getElementById("jobs-progress");
  if (!holder) { return; }
  var ACTIVE = ["queued", "running"];
  var BADGES = {failed: "danger", finished: "success", running: "primary", queued: "secondary", held: "warning"};
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-run]"));
  var active = rows.filter(function (r) { return ACTIVE.indexOf(r.dataset.status) >= 0; });
  if (!active.length) { return; }
  var token = document.querySelector("input[name=csrf_token]");

  function clear(el) { while (el && el.firstChild) { el.removeChild(el.firstChild); } }

  function retryForm(run) {
    var form = document.createElement("form");
    form.method = "post";
    form.action = run.detail_url + "retry";
    form.className = "d-inline";
    if (token) {
      var input = document.createElement("input");
      input.type = "hidden"; input.name = "csrf_token"; input.value = token.value;
      form.appendChild(input);
    }
    var button = document.createElement("button");
    button.type = "submit"; button.className = "btn btn-outline-primary btn-sm";
    button.setAttribute("data-testid", "retry");
    button.textContent = "Retry";
    form.appendChild(button);
    return form;
  }

  function ended(row, run) {
    var badge = row.querySelector("[data-badge]");
    if (badge) {
      badge.textContent = run.status_label;
      badge.className = "badge badge-" + (BADGES[run.status] || "light");
    }
    clear(row.querySelector("[data-progress]") && row.querySelector("[data-progress]").parentNode);
    var result = row.querySelector("[data-result]");
    clear(result);
    if (run.failure && result) {
      var a = document.createElement("a");
      a.className = "text-danger"; a.href = run.detail_url; a.title = run.failure.message;
      a.setAttribute("data-testid", "error");
      a.textContent = run.failure.label;
      result.appendChild(a);
    } else if (run.counts && result) {
      var small = document.createElement("small");
      small.setAttribute("data-testid", "counts");
      small.textContent = Object.keys(run.counts).map(function (k) {
        return k.replace(/_/g, " ") + ": " + run.counts[k];
      }).join(", ");
      result.appendChild(small);
    }
    var actions = row.lastElementChild;
    clear(actions);
    if (run.status === "failed" || run.status === "cancelled") { actions.appendChild(retryForm(run)); }
    row.dataset.status = run.status;
  }

  function poll() {
    var ids = active.map(function (r) { return r.dataset.run; });
    fetch(holder.dataset.url + "?ids=" + ids.join(","), {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (resp) { return resp.json(); })
      .then(function (data) {
        active = active.filter(function (row) {
          var run = data[row.dataset.run];
          if (!run) { return false; }
          if (ACTIVE.indexOf(run.status) < 0) { ended(row, run); return false; }
          var badge = row.querySelector("[data-badge]");
          if (badge) { badge.textContent = run.status_label; }
          row.dataset.status = run.status;
          var bar = row.querySelector("[data-progress] .progress-bar");
          var text = row.querySelector("[data-progress-text]");
          if (bar) { bar.style.width = run.progress + "%"; bar.textContent = run.progress + "%"; }
          if (text) { text.textContent = run.text; }
          return true;
        });
        if (active.length) { window.setTimeout(poll, 2000); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 2000);
})();
