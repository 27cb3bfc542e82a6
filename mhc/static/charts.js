/* MHCCharts: a small dependency-free SVG chart library (line chart on a time axis, bar chart).
 *
 * Usage:
 *   MHCCharts.line(el, points, opts)   points: [[x, y], ...] or [{x, y}, ...]; x = ISO date/datetime
 *                                      string, Date or epoch milliseconds; y = number
 *   MHCCharts.bars(el, points, opts)   points: [[label, value], ...] or [{label|x, value|y}, ...]
 *   MHCCharts.load(el)                 fetches JSON from el.dataset.url and draws el.dataset.chart
 *                                      ("line" or "bars"); JSON is either a list of points or
 *                                      {"points": [...], "title": "..."}
 *   MHCCharts.autoload(root)           calls load() for every [data-chart][data-url] under root
 *                                      (runs on DOMContentLoaded for document)
 * Options: {height: 160, color: (the theme's series colour, panel.css), yLabel: "", emptyText: "No data"}.
 * Colours come from the theme through CSS classes (mhc-grid, mhc-line, mhc-point, mhc-bar; text inherits
 * .mhc-chart text); an explicit opts.color / data-color is set as an inline style, which beats the class.
 * All text goes through textContent / setAttribute, never innerHTML, so labels are never parsed as HTML.
 */
(function (global) {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";
  var PAD = { top: 10, right: 12, bottom: 24, left: 54 };

  function svgEl(name, attrs, parent) {
    var node = document.createElementNS(SVG_NS, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (parent) { parent.appendChild(node); }
    return node;
  }

  function text(parent, x, y, value, attrs) {
    var t = svgEl("text", Object.assign({ x: x, y: y, "font-size": 10 }, attrs || {}), parent);
    t.textContent = String(value);
    return t;
  }

  // A colour the caller chose explicitly; without one, the theme's (panel.css) applies.
  function paint(node, property, color) {
    if (color) { node.style[property] = color; }
    return node;
  }

  function toTime(x) {
    if (x instanceof Date) { return x.getTime(); }
    if (typeof x === "number") { return x; }
    var s = String(x);
    if (/^\d{4}-\d{2}-\d{2}$/.test(s)) { s += "T00:00:00Z"; }
    return new Date(s).getTime();
  }

  function normaliseXY(points) {
    return (points || []).map(function (p) {
      var x = Array.isArray(p) ? p[0] : (p.x !== undefined ? p.x : p.t);
      var y = Array.isArray(p) ? p[1] : (p.y !== undefined ? p.y : p.value);
      return { x: toTime(x), y: Number(y) };
    }).filter(function (p) { return isFinite(p.x) && isFinite(p.y); })
      .sort(function (a, b) { return a.x - b.x; });
  }

  function normaliseBars(points) {
    return (points || []).map(function (p) {
      var label = Array.isArray(p) ? p[0] : (p.label !== undefined ? p.label : p.x);
      var value = Array.isArray(p) ? p[1] : (p.value !== undefined ? p.value : p.y);
      return { label: String(label), value: Number(value) || 0 };
    });
  }

  // Ticks at a round step; `values` that are all whole numbers (counts, followers, tokens) never get a
  // fractional step such as "0.5 unfollows".
  function niceTicks(min, max, count, values) {
    if (min === max) { max = min + 1; }
    var span = max - min;
    var step = Math.pow(10, Math.floor(Math.log10(span / count)));
    var err = (count * step) / span;
    if (err <= 0.15) { step *= 10; } else if (err <= 0.35) { step *= 5; } else if (err <= 0.75) { step *= 2; }
    if (step < 1 && values && values.every(Number.isInteger)) { step = 1; }
    var lo = Math.floor(min / step) * step;
    var hi = Math.ceil(max / step) * step;
    var ticks = [];
    for (var v = lo; v <= hi + step / 2; v += step) { ticks.push(Math.round(v * 1e6) / 1e6); }
    return ticks;
  }

  function formatDate(ms, spanMs) {
    var d = new Date(ms);
    var iso = d.toISOString();
    if (spanMs < 2 * 86400000) { return iso.slice(11, 16); }
    if (spanMs < 400 * 86400000) { return iso.slice(5, 10); }
    return iso.slice(0, 7);
  }

  function prepare(el, opts) {
    while (el.firstChild) { el.removeChild(el.firstChild); }
    var width = Math.max(el.clientWidth || 0, 240);
    var height = (opts && opts.height) || Number(el.dataset.height) || 160;
    var svg = svgEl("svg", {
      width: "100%", height: height, viewBox: "0 0 " + width + " " + height,
      preserveAspectRatio: "none", role: "img", "class": "mhc-chart"
    }, el);
    return { svg: svg, width: width, height: height };
  }

  function empty(el, opts) {
    var c = prepare(el, opts);
    text(c.svg, c.width / 2, c.height / 2, (opts && opts.emptyText) || "No data", { "text-anchor": "middle" });
    el.setAttribute("data-chart-state", "empty");
    return c.svg;
  }

  // Tick labels as precise as the step between them: 11,420 / 11,440 rather than "11.4k" twice.
  function tickFormatter(ticks) {
    var step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : 1;
    var top = Math.max.apply(null, ticks.map(Math.abs));
    var unit = top >= 1e6 ? 1e6 : top >= 1e4 ? 1e3 : 1;
    var decimals = Math.max(0, Math.ceil(-Math.log10(step / unit) - 1e-9));
    if (unit === 1 || decimals > 1) {
      var plain = Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));
      return function (v) { return v.toLocaleString("en-US", { minimumFractionDigits: plain, maximumFractionDigits: plain }); };
    }
    return function (v) { return (v / unit).toFixed(decimals) + (unit === 1e6 ? "M" : "k"); };
  }

  function yAxis(c, ticks, yScale) {
    var format = tickFormatter(ticks);
    ticks.forEach(function (t) {
      var y = yScale(t);
      svgEl("line", { x1: PAD.left, x2: c.width - PAD.right, y1: y, y2: y, "class": "mhc-grid" }, c.svg);
      text(c.svg, PAD.left - 4, y + 3, format(t), { "text-anchor": "end", "class": "mhc-ytick" });
    });
  }

  function line(el, points, opts) {
    opts = opts || {};
    var data = normaliseXY(points);
    if (!data.length) { return empty(el, opts); }
    var c = prepare(el, opts);
    var xs = data.map(function (p) { return p.x; });
    var ys = data.map(function (p) { return p.y; });
    var xMin = Math.min.apply(null, xs), xMax = Math.max.apply(null, xs);
    if (xMin === xMax) { xMin -= 3600000; xMax += 3600000; }
    var ticks = niceTicks(Math.min.apply(null, ys), Math.max.apply(null, ys), 4, ys);
    var yMin = ticks[0], yMax = ticks[ticks.length - 1];
    var plotW = c.width - PAD.left - PAD.right, plotH = c.height - PAD.top - PAD.bottom;
    var xScale = function (x) { return PAD.left + ((x - xMin) / (xMax - xMin)) * plotW; };
    var yScale = function (y) { return PAD.top + plotH - ((y - yMin) / (yMax - yMin || 1)) * plotH; };
    yAxis(c, ticks, yScale);
    var span = xMax - xMin;
    for (var i = 0; i <= 4; i++) {
      var xv = xMin + (span * i) / 4;
      text(c.svg, xScale(xv), c.height - 6, formatDate(xv, span), { "text-anchor": i === 0 ? "start" : (i === 4 ? "end" : "middle") });
    }
    var d = data.map(function (p, idx) { return (idx ? "L" : "M") + xScale(p.x).toFixed(1) + "," + yScale(p.y).toFixed(1); }).join(" ");
    paint(svgEl("path", { d: d, fill: "none", "stroke-width": 2, "class": "mhc-line" }, c.svg), "stroke", opts.color);
    data.forEach(function (p) {
      var dot = paint(svgEl("circle", { cx: xScale(p.x), cy: yScale(p.y), r: data.length > 60 ? 1.5 : 3, "class": "mhc-point" }, c.svg), "fill", opts.color);
      var title = svgEl("title", {}, dot);
      title.textContent = new Date(p.x).toISOString().replace("T", " ").slice(0, 16) + ": " + p.y;
    });
    el.setAttribute("data-chart-state", "drawn");
    el.setAttribute("data-points", String(data.length));
    return c.svg;
  }

  function bars(el, points, opts) {
    opts = opts || {};
    var data = normaliseBars(points);
    if (!data.length) { return empty(el, opts); }
    var c = prepare(el, opts);
    var values = data.map(function (p) { return p.value; });
    var ticks = niceTicks(Math.min(0, Math.min.apply(null, values)), Math.max(1, Math.max.apply(null, values)), 4, values);
    var yMin = ticks[0], yMax = ticks[ticks.length - 1];
    var plotW = c.width - PAD.left - PAD.right, plotH = c.height - PAD.top - PAD.bottom;
    var yScale = function (y) { return PAD.top + plotH - ((y - yMin) / (yMax - yMin || 1)) * plotH; };
    yAxis(c, ticks, yScale);
    var slot = plotW / data.length;
    var barW = Math.max(1, slot * 0.8);
    var labelEvery = Math.ceil(data.length / 8);
    data.forEach(function (p, i) {
      var x = PAD.left + i * slot + (slot - barW) / 2;
      var y0 = yScale(0), y1 = yScale(p.value);
      var rect = svgEl("rect", {
        x: x.toFixed(1), y: Math.min(y0, y1).toFixed(1), width: barW.toFixed(1),
        height: Math.max(Math.abs(y0 - y1), p.value ? 1 : 0).toFixed(1), "class": "mhc-bar"
      }, c.svg);
      paint(rect, "fill", opts.color);
      var title = svgEl("title", {}, rect);
      title.textContent = p.label + ": " + p.value;
      if (i % labelEvery === 0) {
        var label = /^\d{4}-\d{2}-\d{2}/.test(p.label) ? p.label.slice(5, 10) : p.label;
        text(c.svg, x + barW / 2, c.height - 6, label, { "text-anchor": "middle" });
      }
    });
    el.setAttribute("data-chart-state", "drawn");
    el.setAttribute("data-points", String(data.length));
    return c.svg;
  }

  function load(el) {
    var url = el.getAttribute("data-url");
    var kind = el.getAttribute("data-chart") || "line";
    if (!url) { return Promise.resolve(null); }
    el.setAttribute("data-chart-state", "loading");
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (body) {
        var points = Array.isArray(body) ? body : (body.points || []);
        var opts = { color: el.getAttribute("data-color") || undefined, emptyText: el.getAttribute("data-empty") || undefined };
        drawn = drawn.filter(function (chart) { return chart.el !== el; });
        drawn.push({ el: el, width: el.clientWidth, draw: function () { return kind === "bars" ? bars(el, points, opts) : line(el, points, opts); } });
        return drawn[drawn.length - 1].draw();
      })
      .catch(function (err) {
        while (el.firstChild) { el.removeChild(el.firstChild); }
        var span = document.createElement("span");
        span.className = "text-muted small";
        span.textContent = "Chart unavailable (" + err.message + ")";
        el.appendChild(span);
        el.setAttribute("data-chart-state", "error");
      });
  }

  // Charts drawn from data-url, redrawn at their new width when the window changes size (a phone turned
  // sideways), so axis labels keep their size instead of being stretched.
  var drawn = [];
  var resizeTimer = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(function () {
      drawn.forEach(function (chart) {
        if (chart.el.isConnected && chart.el.clientWidth !== chart.width) { chart.width = chart.el.clientWidth; chart.draw(); }
      });
    }, 150);
  });

  function autoload(root) {
    var nodes = (root || document).querySelectorAll("[data-chart][data-url]");
    return Promise.all(Array.prototype.map.call(nodes, load));
  }

  global.MHCCharts = { line: line, bars: bars, load: load, autoload: autoload };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { autoload(document); });
  } else {
    autoload(document);
  }
})(window);
