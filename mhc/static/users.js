/* Users pages: batch actions with "all N matching", live Priority statuses, job progress, autocomplete.
 * Everything scraped is inserted with textContent, never innerHTML. */
(function () {
  "use strict";

  var selectAll = false;

  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  function banner() { return document.querySelector(".select-all-banner"); }

  function updateBanner() {
    var b = banner();
    if (!b) { return; }
    var boxes = $all("input.action-checkbox");
    var checked = boxes.filter(function (x) { return x.checked; }).length;
    var link = b.querySelector(".select-all-link");
    var total = Number(link.getAttribute("data-count") || 0);
    var text = b.querySelector(".page-selected-text");
    if (boxes.length && checked === boxes.length && total > boxes.length) {
      b.classList.remove("d-none");
      if (selectAll) {
        text.textContent = "All " + link.getAttribute("data-label") + " matching this filter are selected. ";
        link.textContent = "Clear selection";
      } else {
        text.textContent = "All " + boxes.length + " on this page are selected. ";
        link.textContent = "Select all " + link.getAttribute("data-label") + " matching this filter";
      }
    } else {
      selectAll = false;
      b.classList.add("d-none");
    }
  }

  function execute(name) {
    var form = document.getElementById("action_form");
    if (!form) { return false; }
    var checked = $all("input.action-checkbox:checked");
    if (!selectAll && checked.length === 0) {
      window.alert("Please select at least one person.");
      return false;
    }
    form.querySelector("input[name=action]").value = name;
    form.querySelector("input[name=select_all]").value = selectAll ? "1" : "0";
    $all("input[name=rowid]", form).forEach(function (x) { form.removeChild(x); });
    if (!selectAll) {
      checked.forEach(function (box) {
        var input = document.createElement("input");
        input.type = "hidden"; input.name = "rowid"; input.value = box.value;
        form.appendChild(input);
      });
    }
    form.submit();
    return false;
  }

  window.modelActions = { execute: execute };

  function initSelection() {
    $all("input.action-rowtoggle").forEach(function (toggle) {
      toggle.addEventListener("change", function () {
        $all("input.action-checkbox").forEach(function (x) { x.checked = toggle.checked; });
        selectAll = false;
        updateBanner();
      });
    });
    $all("input.action-checkbox").forEach(function (box) {
      box.addEventListener("change", function () { selectAll = false; updateBanner(); });
    });
    var b = banner();
    if (b) {
      b.querySelector(".select-all-link").addEventListener("click", function () {
        selectAll = !selectAll;
        if (!selectAll) { $all("input.action-checkbox, input.action-rowtoggle").forEach(function (x) { x.checked = false; }); }
        updateBanner();
      });
    }
  }

  var ACTIVE = { queued: true, processing: true };

  // The server's label and title for a lookup (mhc/services/users/priority_states.py), never the raw reason.
  function renderPriority(cell, info) {
    while (cell.firstChild) { cell.removeChild(cell.firstChild); }
    cell.setAttribute("data-status", info.status);
    cell.title = info.title || "";
    var badge = document.createElement("span");
    badge.className = "badge badge-p" + info.priority;
    badge.textContent = "P" + info.priority;
    var status = document.createElement("span");
    status.className = "lookup-status status-" + info.status + (info.blocked ? " status-blocked" : "");
    status.textContent = info.label || info.status;
    cell.appendChild(badge);
    cell.appendChild(document.createTextNode(" "));
    cell.appendChild(status);
  }

  function pollPriorities() {
    var page = document.querySelector(".users-page[data-priority-url]");
    if (!page) { return; }
    var cells = $all(".priority-cell[data-status]").filter(function (c) { return ACTIVE[c.getAttribute("data-status")]; });
    if (!cells.length) { return; }
    var ids = cells.map(function (c) { return c.getAttribute("data-person-id"); });
    fetch(page.getAttribute("data-priority-url") + "?ids=" + encodeURIComponent(ids.join(",")),
          { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : {}; })
      .then(function (data) {
        cells.forEach(function (cell) {
          var info = data[cell.getAttribute("data-person-id")];
          if (info) { renderPriority(cell, info); }
        });
      })
      .catch(function () { /* try again on the next tick */ })
      .then(function () { window.setTimeout(pollPriorities, 3000); });
  }

  function pollJob(box) {
    var url = box.getAttribute("data-job-url");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (run) {
        var bar = box.querySelector(".progress-bar");
        bar.style.width = (run.progress || 0) + "%";
        var detail = run.text;
        // A failure is said in words (its label and next step), never as the raw exception text.
        var failure = run.failure ? " — " + run.failure.label + ": " + run.failure.next_step : "";
        var text = (run.status_label || run.status) + (detail ? ": " + detail : "") + failure;
        box.querySelector(".job-text").textContent = text;
        box.setAttribute("data-status", run.status);
        if (run.status === "queued" || run.status === "running") {
          window.setTimeout(function () { pollJob(box); }, 1500);
          return;
        }
        // Over (done, failed, cancelled, held): the button that started it works again, no reload needed.
        var form = box.previousElementSibling;
        var button = form && form.classList.contains("sync-form") ? form.querySelector("button") : null;
        if (button) { button.disabled = false; }
        if (run.status === "finished" && box.getAttribute("data-reload")) {
          window.setTimeout(function () { window.location.reload(); }, 500);
        }
      })
      .catch(function (err) { box.querySelector(".job-text").textContent = "progress unavailable (" + err.message + ")"; });
  }

  function initSync() {
    $all("form.sync-form").forEach(function (form) {
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var box = document.querySelector(".sync-progress");
        var button = form.querySelector("button");
        button.disabled = true;
        fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin",
                             headers: { Accept: "application/json" } })
          .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
          .then(function (res) {
            box.classList.remove("d-none");
            if (!res.ok) {
              box.querySelector(".job-text").textContent = "Not started: " + (res.body.error || "error");
              button.disabled = false;
              return;
            }
            box.setAttribute("data-job-url", res.body.progress_url);
            box.querySelector(".job-text").textContent = "queued";
            pollJob(box);
          })
          .catch(function (err) {
            box.classList.remove("d-none");
            box.querySelector(".job-text").textContent = "Not started: " + err.message;
            button.disabled = false;
          });
      });
    });
  }

  function initAutocomplete() {
    $all("input[data-autocomplete-url]").forEach(function (input) {
      var list = document.getElementById(input.getAttribute("list"));
      var timer = null;
      input.addEventListener("input", function () {
        window.clearTimeout(timer);
        var term = input.value.trim();
        if (!term || !list) { return; }
        timer = window.setTimeout(function () {
          fetch(input.getAttribute("data-autocomplete-url") + "?q=" + encodeURIComponent(term),
                { credentials: "same-origin", headers: { Accept: "application/json" } })
            .then(function (r) { return r.ok ? r.json() : []; })
            .then(function (names) {
              while (list.firstChild) { list.removeChild(list.firstChild); }
              names.forEach(function (n) { var o = document.createElement("option"); o.value = n; list.appendChild(o); });
            });
        }, 150);
      });
    });
  }

  // A thumbnail that cannot load (its stored copy is gone) shows the same grey box as "no photo", not the
  // browser's broken-image icon. Capture phase: error events do not bubble.
  function showNoPhoto(img) {
    var box = document.createElement("span");
    box.className = img.classList.contains("profile-photo") ? "profile-photo-empty" : "thumb thumb-empty";
    box.title = "Photo unavailable";
    img.replaceWith(box);
  }

  document.addEventListener("error", function (e) {
    var img = e.target;
    if (img && img.tagName === "IMG" && (img.classList.contains("thumb") || img.classList.contains("profile-photo"))) {
      showNoPhoto(img);
    }
  }, true);

  // Cells are sent bare (a light page): each takes its column's class and label from the header, so column
  // styles apply and, on a phone, every card line says what it is (CSS shows data-label).
  function labelCells() {
    $all("input.action-checkbox").forEach(function (box) { box.setAttribute("aria-label", "Select"); });
    $all("table.users-list").forEach(function (table) {
      var heads = $all("thead th", table).map(function (th) {
        var cls = "";
        th.classList.forEach(function (c) { if (c.indexOf("col-") === 0) { cls = c; } });
        return { cls: cls, label: th.textContent.trim() };
      });
      $all("tbody tr", table).forEach(function (tr) {
        var cells = tr.children;
        for (var i = 0; i < cells.length && i < heads.length; i++) {
          if (heads[i].cls) { cells[i].classList.add(heads[i].cls); }
          if (heads[i].label) { cells[i].setAttribute("data-label", heads[i].label); }
        }
      });
    });
  }

  // Times are sent in UTC: <time datetime="…Z">day</time>, or <time>YYYY-MM-DD HH:MM</time> whose text is the
  // UTC time (the lists' one-line dates). Shown in the browser's local time, the UTC time on hover.
  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function localTimes() {
    $all("time").forEach(function (t) {
      var shown = t.textContent.trim();
      var iso = t.getAttribute("datetime");
      if (!iso && /^\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)?$/.test(shown)) { iso = shown.replace(" ", "T") + "Z"; }
      var d = iso ? new Date(iso) : null;
      if (!d || isNaN(d.getTime())) { return; }
      var day = d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
      var utc = d.toISOString().replace("T", " ").slice(0, shown.length >= 19 ? 19 : 16) + " UTC";
      if (shown.length === 10) {
        t.textContent = day;
      } else {
        t.textContent = day + " " + pad(d.getHours()) + ":" + pad(d.getMinutes()) +
          (shown.length >= 19 ? ":" + pad(d.getSeconds()) : "");
      }
      t.title = utc + " (shown in your local time)";
    });
  }

  // Row actions: one primary link (Profile) per row, and a ⋯ button opening the page's one menu (#row-menu),
  // whose items submit the page's one row form (#row-action, with CSRF) for that row's person.
  var openToggle = null;

  function closeMenu() {
    var menu = document.getElementById("row-menu");
    if (menu) { menu.classList.remove("show"); }
    if (openToggle) { openToggle.setAttribute("aria-expanded", "false"); }
    openToggle = null;
  }

  function openMenu(toggle) {
    var menu = document.getElementById("row-menu");
    var tr = toggle.closest("tr");
    var box = tr && tr.querySelector("input.action-checkbox");
    var name = tr && tr.querySelector("a.username");
    if (!menu || !box) { return; }
    if (openToggle === toggle) { closeMenu(); return; }
    closeMenu();
    document.querySelector("#row-action input[name=rowid]").value = box.value;
    var edit = menu.querySelector(".row-menu-edit");
    if (edit) { edit.href = menu.getAttribute("data-edit-prefix") + encodeURIComponent(box.value); }
    menu.querySelector(".row-menu-name").textContent = name ? name.textContent : "";
    document.body.appendChild(menu);
    menu.classList.add("show");
    var r = toggle.getBoundingClientRect();
    var left = Math.max(4, Math.min(r.right - menu.offsetWidth, document.documentElement.clientWidth - menu.offsetWidth - 4));
    menu.style.left = (left + window.scrollX) + "px";
    menu.style.top = (r.bottom + window.scrollY + 2) + "px";
    toggle.setAttribute("aria-expanded", "true");
    openToggle = toggle;
    var first = menu.querySelector(".dropdown-item");
    if (first) { first.focus(); }
  }

  function initRowMenu() {
    if (!document.getElementById("row-menu")) { return; }
    $all("table.users-list td.col-actions").forEach(function (td) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "row-menu-toggle";
      b.title = "More actions for this person";
      b.setAttribute("aria-label", "More actions");
      b.setAttribute("aria-haspopup", "true");
      b.setAttribute("aria-expanded", "false");
      b.textContent = "\u22EF";
      td.appendChild(b);
    });
    document.addEventListener("click", function (e) {
      var toggle = e.target.closest && e.target.closest(".row-menu-toggle");
      if (toggle) { e.preventDefault(); openMenu(toggle); return; }
      if (openToggle && !e.target.closest("#row-menu")) { closeMenu(); }
    });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && openToggle) { var t = openToggle; closeMenu(); t.focus(); }
    });
    window.addEventListener("resize", closeMenu);
  }

  document.addEventListener("DOMContentLoaded", function () {
    // Images that already failed before this script ran.
    $all("img.thumb, img.profile-photo").forEach(function (img) {
      if (img.complete && img.naturalWidth === 0 && img.getAttribute("src")) { showNoPhoto(img); }
    });
    labelCells();
    localTimes();
    initRowMenu();
    initSelection();
    updateBanner();
    window.setTimeout(pollPriorities, 3000);
    $all(".job-progress[data-job-url]").forEach(pollJob);
    initAutocomplete();
    initSync();
  });
})();
