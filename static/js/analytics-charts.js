/* Analytics charts (Chart.js, vendored in static/vendor/chartjs): each
   <canvas class="analytics-chart" data-values="JSON" data-kind="line|bar"> draws the JSON
   of its data-values attribute. No inline script, not even a JSON one: the CSP test
   forbids every inline <script>. Series differ by dash and point shape as well as colour, so
   that the chart reads without colour; the table beside holds the same numbers. */
(function () {
  "use strict";
  var COLOURS = ["#1d4e89", "#c0392b", "#2e7d32", "#8e44ad", "#b7791f"];
  var DASHES = [[], [6, 4], [2, 3], [10, 3, 2, 3], [1, 1]];
  var POINTS = ["circle", "triangle", "rect", "crossRot", "star"];

  function draw(canvas) {
    if (canvas.dataset.drawn || typeof window.Chart === "undefined") return;
    if (!canvas.dataset.values) return;
    var data = JSON.parse(canvas.dataset.values);
    var kind = canvas.dataset.kind === "line" ? "line" : "bar";
    data.datasets.forEach(function (dataset, i) {
      var colour = COLOURS[i % COLOURS.length];
      dataset.borderColor = colour;
      dataset.backgroundColor = kind === "bar" ? colour : colour + "33";
      dataset.borderDash = DASHES[i % DASHES.length];
      dataset.pointStyle = POINTS[i % POINTS.length];
      dataset.pointRadius = kind === "line" ? 3 : 0;
      dataset.spanGaps = false; // an unknown day is a gap, never a zero
    });
    canvas.dataset.drawn = "1";
    new window.Chart(canvas, {
      type: kind,
      data: data,
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: {
          legend: { display: data.datasets.length > 1, labels: { usePointStyle: true } },
          tooltip: {
            callbacks: {
              label: function (context) {
                var value = context.raw === null ? canvas.dataset.unknown : context.formattedValue;
                return context.dataset.label + ": " + value;
              },
            },
          },
        },
        scales: { y: { beginAtZero: kind === "bar" } },
      },
    });
  }

  function drawAll() {
    document.querySelectorAll("canvas.analytics-chart").forEach(draw);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", drawAll);
  else drawAll();
})();
