/* edi-gateway console: draws the dashboards' charts with the vendored uPlot.
   Each <div class="chart" data-chart="{...}"> carries its data as JSON (the server's,
   gateway/console/dashboards.py): {kind: "time", x: [hour starts, s], series: [{label, values}],
   unit} or {kind: "bars", labels: [...], series: [{label, values}], unit}. Charts fill their
   container's width and follow it when it changes (a phone turned, a window resized). */
(function () {
  "use strict";
  var COLOURS = ["#1f5fbf", "#d9822b", "#1e7b34", "#b3261e", "#7b3fb3", "#0f8a8a",
                 "#8a5a00", "#c2185b", "#5b6678"];
  var HEIGHT = 240;

  function colour(i) { return COLOURS[i % COLOURS.length]; }

  function seconds(v) {
    if (v == null) return "-";
    if (v === 0) return "0";
    if (v < 1) return Math.round(v * 1000) + " ms";
    if (v < 120) return (Math.round(v * 10) / 10) + " s";
    if (v < 7200) return Math.round(v / 60) + " min";
    return (Math.round(v / 360) / 10) + " h";
  }

  var SECONDS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900,
                 1800, 3600, 7200, 14400, 21600, 43200, 86400, 172800, 604800];
  var COUNTS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 1e6, 1e7];

  function yAxis(unit) {
    // counts are whole numbers: no 0.2-document ticks
    var format = formatter(unit);
    var axis = { size: 60, values: function (u, vals) { return vals.map(format); } };
    if (unit === "seconds") axis.incrs = SECONDS;
    else if (unit !== "%") axis.incrs = COUNTS;
    return axis;
  }

  function yRange(u, lo, hi) {
    // from zero to a little above the highest value (0 to 1 when there is none)
    return [0, hi > 0 ? hi * 1.15 : 1];
  }

  function formatter(unit) {
    if (unit === "seconds") return seconds;
    if (unit === "%") return function (v) { return v == null ? "-" : v + " %"; };
    return function (v) { return v == null ? "-" : String(v); };
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function hour(ts, withDay) {
    var d = new Date(ts * 1e3);
    var time = pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
    return withDay ? pad(d.getUTCDate()) + "/" + pad(d.getUTCMonth() + 1) + " " + time : time;
  }

  function hours(u, splits) {
    // 24-hour UTC times; the day where it changes (and on the first tick)
    return splits.map(function (ts, i) {
      var midnight = new Date(ts * 1e3).getUTCHours() === 0;
      return midnight || i === 0 ? hour(ts, false) + "\n" + hour(ts, true).split(" ")[0] : hour(ts, false);
    });
  }

  function width(el) { return Math.max(200, el.clientWidth - 16); }

  function empty(spec) {
    return spec.series.every(function (s) {
      return s.values.every(function (v) { return v == null || v === 0; });
    });
  }

  function timeChart(el, spec) {
    var format = formatter(spec.unit);
    var series = [{ label: "hour (UTC)",
                    value: function (u, ts) { return ts == null ? "-" : hour(ts, true); } }];
    var data = [spec.x];
    spec.series.forEach(function (s, i) {
      series.push({
        label: s.label,
        stroke: colour(i),
        width: 2,
        fill: spec.fill ? colour(i) + "33" : undefined,
        points: { show: spec.x.length <= 72, size: 4 },
        spanGaps: false,
        value: function (u, v) { return format(v); }
      });
      data.push(s.values);
    });
    return new uPlot({
      width: width(el), height: HEIGHT, series: series,
      scales: { y: { range: yRange } },
      axes: [{ values: hours, space: 50 }, yAxis(spec.unit)],
      legend: { live: true }
    }, data, el);
  }

  function barChart(el, spec) {
    var format = formatter(spec.unit);
    var labels = spec.labels;
    var n = spec.series.length || 1;
    var x = labels.map(function (_, i) { return i; });
    // "partner: cause" on two lines, each cut at 22 characters
    var lines = labels.map(function (label) {
      return label.split(": ").map(function (line) {
        return line.length > 22 ? line.slice(0, 21) + "…" : line;
      }).join("\n");
    });
    var longest = lines.reduce(function (n, l) {
      return Math.max.apply(null, [n].concat(l.split("\n").map(function (s) { return s.length; })));
    }, 0);
    function crowded(u) {
      var room = u.bbox.width / (window.devicePixelRatio || 1) / Math.max(labels.length, 1);
      return longest * 7 > room;
    }
    var series = [{ label: "", value: function (u, i) { return i == null ? "" : labels[i]; } }];
    var data = [x];
    spec.series.forEach(function (s, i) {
      var gap = 0.8 / n;
      series.push({
        label: s.label,
        stroke: colour(i),
        fill: colour(i) + "cc",
        width: 0,
        points: { show: false },
        paths: uPlot.paths.bars({ disp: {
          // side by side within each category: left edges and widths in the x scale's units
          x0: { unit: 1, values: function (u) {
            return u.data[0].map(function (v) { return v - 0.4 + gap * i; }); } },
          size: { unit: 1, values: function () { return [gap * 0.9]; } }
        } }),
        value: function (u, v) { return format(v); }
      });
      data.push(s.values);
    });
    return new uPlot({
      width: width(el), height: HEIGHT, series: series,
      scales: {
        x: { time: false, range: function () { return [-0.5, Math.max(labels.length, 1) - 0.5]; } },
        y: { range: yRange }
      },
      axes: [
        { splits: function () { return x; }, gap: 4,
          // labels slanted when they would not fit side by side (a phone's width)
          rotate: function (u) { return crowded(u) ? 40 : 0; },
          size: function (u) { return crowded(u) ? 34 + longest * 4.6 : 54; },
          values: function (u, vals) {
            return vals.map(function (v) { return lines[v] || ""; });
          } },
        yAxis(spec.unit)
      ],
      legend: { live: true }
    }, data, el);
  }

  function draw(el) {
    var spec;
    try {
      spec = JSON.parse(el.getAttribute("data-chart"));
    } catch (e) {
      el.textContent = "This chart's data could not be read.";
      return;
    }
    if (empty(spec)) {
      var note = document.createElement("p");
      note.className = "muted chart-empty";
      note.textContent = "Nothing in this window.";
      el.appendChild(note);
    }
    if (spec.kind === "bars") el.classList.add("bars");
    var plot = spec.kind === "bars" ? barChart(el, spec) : timeChart(el, spec);
    if (window.ResizeObserver) {
      new ResizeObserver(function () {
        var w = width(el);
        if (Math.abs(w - plot.width) > 2) plot.setSize({ width: w, height: HEIGHT });
      }).observe(el);
    }
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll(".chart[data-chart]"), draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
