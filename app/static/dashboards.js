/* The dashboards' charts (/tableros): each `[data-chart]` box names the JSON island that holds
   its figures (the same as the table under it: labels, datasets) and its kind (bar, stacked,
   line, hbar). Colours come from the theme (--dashboard-series-N in dashboards.css); with
   «reduce motion» the charts appear without animation. Without this script (or Chart.js) the
   tables alone carry the figures. */
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") return;
  var Chart = window.Chart;
  var root = getComputedStyle(document.documentElement);
  var reduce = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function colour(index) {
    var value = root.getPropertyValue("--dashboard-series-" + ((index % 6) + 1)).trim();
    return value || "#005ea2";
  }

  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = "#1b1b1b";
  if (reduce) Chart.defaults.animation = false;

  /* Long labels (procedure names) on lines of about `width` characters, so they fit a phone. */
  function wrap(label, width) {
    var words = String(label).split(" ");
    var lines = [];
    var line = "";
    words.forEach(function (word) {
      if (line && (line + " " + word).length > width) {
        lines.push(line);
        line = word;
      } else {
        line = line ? line + " " + word : word;
      }
    });
    if (line) lines.push(line);
    return lines.length > 1 ? lines : label;
  }

  var boxes = document.querySelectorAll("[data-chart]");
  Array.prototype.forEach.call(boxes, function (box) {
    var island = document.getElementById(box.getAttribute("data-chart"));
    var canvas = box.querySelector("canvas");
    if (!island || !canvas) return;
    var spec;
    try {
      spec = JSON.parse(island.textContent);
    } catch (e) {
      return;
    }
    var kind = spec.kind;
    var narrow = box.clientWidth < 600;
    var labels = spec.labels.map(function (label) {
      return wrap(label, kind === "hbar" ? (narrow ? 16 : 28) : 14);
    });
    var line = kind === "line";
    var stacked = kind === "stacked";
    if (kind === "hbar") {
      var rows = parseInt(box.getAttribute("data-rows") || "1", 10);
      var series = spec.datasets.length;
      box.style.height = Math.max(10, 4 + rows * ((narrow ? 2.2 : 1.1) + 0.9 * series)) + "rem";
    }
    var datasets = spec.datasets.map(function (d, i) {
      var c = colour(i);
      return {
        label: d.label,
        data: d.data,
        backgroundColor: c,
        borderColor: c,
        borderWidth: line ? 2 : 0,
        pointRadius: line ? 3 : 0,
        tension: 0,
        maxBarThickness: 40
      };
    });
    box.classList.add("dashboard-chart--drawn");
    new Chart(canvas, {
      type: line ? "line" : "bar",
      data: { labels: labels, datasets: datasets },
      options: {
        animation: reduce ? false : { duration: 400 },
        responsive: true,
        maintainAspectRatio: false,
        indexAxis: kind === "hbar" ? "y" : "x",
        scales: {
          x: { stacked: stacked, beginAtZero: true, ticks: { precision: 0 } },
          y: { stacked: stacked, beginAtZero: true, ticks: { precision: 0 } }
        },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 14 } } }
      }
    });
  });
})();
