// Cycle CRM forecast chart: weighted pipeline, open and won amounts per month, drawn with
// Chart.js from the JSON the page embeds (json_script), so no inline script is needed.
(() => {
  "use strict";
  const data = document.getElementById("forecast-data");
  const canvas = document.getElementById("forecast-chart");
  if (!data || !canvas || typeof Chart === "undefined") return;
  const chart = JSON.parse(data.textContent);
  const numbers = (values) => values.map((value) => Number(value));
  const styles = getComputedStyle(document.documentElement);
  const color = (name, fallback) => styles.getPropertyValue(name).trim() || fallback;
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: chart.labels,
      datasets: [
        {
          label: "Weighted pipeline",
          data: numbers(chart.weighted),
          backgroundColor: color("--bs-primary", "#0d6efd"),
        },
        {
          label: "Open amount (unweighted)",
          data: numbers(chart.open),
          backgroundColor: color("--bs-primary-border-subtle", "#9ec5fe"),
        },
        {
          label: "Won",
          data: numbers(chart.won),
          backgroundColor: color("--bs-success", "#198754"),
        },
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        y: {
          beginAtZero: true,
          title: { display: true, text: chart.currency },
        },
      },
      plugins: {
        tooltip: {
          callbacks: {
            label: (item) =>
              `${item.dataset.label}: ${item.parsed.y.toLocaleString(undefined, { minimumFractionDigits: 2 })} ${chart.currency}`,
          },
        },
      },
    },
  });
})();
