// Cycle CRM survey trend: the score per week or month with its 95 % interval, drawn with
// Chart.js from the JSON the page embeds (json_script), so no inline script is needed.
(() => {
  "use strict";
  const data = document.getElementById("survey-data");
  const canvas = document.getElementById("survey-chart");
  if (!data || !canvas || typeof Chart === "undefined") return;
  const chart = JSON.parse(data.textContent);
  const styles = getComputedStyle(document.documentElement);
  const color = (name, fallback) => styles.getPropertyValue(name).trim() || fallback;
  const nps = chart.kind === "nps";
  new Chart(canvas, {
    type: "line",
    data: {
      labels: chart.labels,
      // The score first: Chart.js draws the first dataset on top of the interval band.
      datasets: [
        { label: nps ? "NPS" : "CSAT %", data: chart.score, borderWidth: 2,
          borderColor: color("--bs-primary", "#0d6efd"), backgroundColor: color("--bs-primary", "#0d6efd") },
        { label: "95 % interval (high)", data: chart.high, borderWidth: 0, pointRadius: 0,
          backgroundColor: "rgba(13, 110, 253, 0.15)", fill: "+1" },
        { label: "95 % interval (low)", data: chart.low, borderWidth: 0, pointRadius: 0, fill: false },
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      scales: { y: { min: nps ? -100 : 0, max: 100 } },
      plugins: {
        legend: { labels: { filter: (item) => !item.text.startsWith("95 %") } },
        tooltip: {
          callbacks: {
            afterBody: (items) => `n = ${chart.n[items[0].dataIndex]}`,
          },
        },
      },
    },
  });
})();
