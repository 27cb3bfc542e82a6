// The Profile page: times marked data-local are shown in the browser's local time (the exact UTC time
// stays in the title). Loaded as a file: the panel's Content-Security-Policy refuses inline scripts.
(function () {
  "use strict";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function localText(date) {
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) + " " +
      pad(date.getHours()) + ":" + pad(date.getMinutes());
  }
  document.querySelectorAll("time[data-local]").forEach(function (el) {
    var date = new Date(el.getAttribute("datetime"));
    if (!isNaN(date.getTime())) { el.textContent = localText(date); }
  });
})();
