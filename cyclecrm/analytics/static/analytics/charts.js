// Cycle CRM KPI dashboards: draws every panel's chart from the JSON the page embeds
// (json_script, one per canvas), so no inline script is needed. Bars, horizontal bars and
// funnel steps drill down to the records they count; the same links are in each panel's table.
// Charts are (re)drawn whenever htmx loads content (the filter bar swaps the dashboard body).
(() => {
  "use strict";
  const styles = getComputedStyle(document.documentElement);
  const color = (name, fallback) => styles.getPropertyValue(name).trim() || fallback;
  const PALETTE = [
    ["--bs-primary", "#0d6efd"],
    ["--bs-success", "#198754"],
    ["--bs-warning", "#ffc107"],
    ["--bs-danger", "#dc3545"],
    ["--bs-info", "#0dcaf0"],
    ["--bs-secondary", "#6c757d"],
    ["--bs-indigo", "#6610f2"],
    ["--bs-teal", "#20c997"],
    ["--bs-orange", "#fd7e14"],
    ["--bs-pink", "#d63384"],
  ].map(([name, fallback]) => color(name, fallback));
  const pick = (index) => PALETTE[index % PALETTE.length];
  const charts = new WeakMap();

  const drillOnClick = (canvas, urls) => {
    if (!urls || !urls.some(Boolean)) return {};
    canvas.classList.add("kpi-drillable");
    return {
      onClick: (_event, elements) => {
        const url = elements.length ? urls[elements[0].index] : null;
        if (url) window.location.assign(url);
      },
      onHover: (event, elements) => {
        const url = elements.length ? urls[elements[0].index] : null;
        event.native.target.style.cursor = url ? "pointer" : "default";
      },
    };
  };

  const seriesConfig = (data, stacked) => ({
    type: "line",
    data: {
      labels: data.labels,
      datasets: data.datasets.map((set, index) => ({
        label: set.label,
        data: set.data,
        borderColor: pick(index),
        backgroundColor: pick(index) + (stacked ? "99" : "33"),
        fill: stacked,
        tension: 0.2,
        pointRadius: 2,
      })),
    },
    options: {
      interaction: { mode: "index", intersect: false },
      scales: { y: { beginAtZero: true, stacked } },
      plugins: { legend: { display: data.datasets.length > 1 } },
    },
  });

  const barConfig = (canvas, data, horizontal) => ({
    type: "bar",
    data: {
      labels: data.labels,
      datasets: data.datasets.map((set, index) => ({
        label: set.label,
        data: set.data,
        backgroundColor: data.datasets.length > 1 ? pick(index) : data.labels.map((_, i) => pick(i)),
      })),
    },
    options: {
      indexAxis: horizontal ? "y" : "x",
      plugins: { legend: { display: false } },
      ...drillOnClick(canvas, data.drill),
    },
  });

  const funnelConfig = (canvas, data) => ({
    type: "funnel",
    data: {
      labels: data.labels,
      datasets: [
        {
          label: data.title,
          data: data.datasets[0].data,
          backgroundColor: data.labels.map((_, i) => pick(i)),
        },
      ],
    },
    options: {
      plugins: { legend: { display: false } },
      // The step names beside the funnel (the plugin hides its category axis by default).
      scales: {
        x: { display: true, grid: { display: false }, border: { display: false } },
        y: { display: false },
      },
      ...drillOnClick(canvas, data.drill),
    },
  });

  const gaugeConfig = (data) => {
    const value = Math.max(0, Math.min(100, Number(data.value) || 0));
    return {
      type: "doughnut",
      data: {
        labels: [data.title, ""],
        datasets: [
          {
            data: [value, 100 - value],
            backgroundColor: [pick(0), color("--bs-secondary-bg", "#e9ecef")],
            borderWidth: 0,
          },
        ],
      },
      options: {
        rotation: -90,
        circumference: 180,
        cutout: "70%",
        plugins: { legend: { display: false }, tooltip: { enabled: false } },
      },
    };
  };

  const heatmapConfig = (data) => {
    const cells = [];
    data.rows.forEach((row) =>
      row.rates.forEach((rate, offset) => {
        if (rate !== null && rate !== undefined) cells.push({ x: String(data.offsets[offset]), y: row.cohort, v: rate });
      }),
    );
    const base = pick(0);
    return {
      type: "matrix",
      data: {
        datasets: [
          {
            label: data.title,
            data: cells,
            backgroundColor: (context) => {
              const cell = context.dataset.data[context.dataIndex];
              const alpha = Math.round(Math.max(0.08, Math.min(1, (cell ? cell.v : 0) / 100)) * 255);
              return base + alpha.toString(16).padStart(2, "0");
            },
            width: ({ chart }) => (chart.chartArea || {}).width / Math.max(1, data.offsets.length) - 2,
            height: ({ chart }) => (chart.chartArea || {}).height / Math.max(1, data.rows.length) - 2,
          },
        ],
      },
      options: {
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              title: (items) => `Cohort ${items[0].raw.y}, month +${items[0].raw.x}`,
              label: (item) => `${Number(item.raw.v).toFixed(1)} % retained`,
            },
          },
        },
        scales: {
          x: { type: "category", labels: data.offsets.map(String), title: { display: true, text: "Months since first purchase" }, grid: { display: false } },
          y: { type: "category", labels: data.rows.map((row) => row.cohort), offset: true, grid: { display: false } },
        },
      },
    };
  };

  const configFor = (canvas, data) => {
    switch (data.type) {
      case "line":
        return seriesConfig(data, false);
      case "stacked_area":
        return seriesConfig(data, true);
      case "bar":
        return barConfig(canvas, data, false);
      case "hbar":
        return barConfig(canvas, data, true);
      case "funnel":
        return funnelConfig(canvas, data);
      case "gauge":
        return gaugeConfig(data);
      case "heatmap":
        return heatmapConfig(data);
      default:
        return null;
    }
  };

  // htmx drops every <script> of swapped-in HTML (allowScriptTags: false, for a strict CSP),
  // json_script data included: keep the JSON of each response before it is swapped in.
  const swappedData = new Map();
  document.addEventListener("htmx:beforeSwap", (event) => {
    const html = event.detail.serverResponse;
    if (typeof html !== "string" || !html.includes("application/json")) return;
    const parsed = new DOMParser().parseFromString(html, "text/html");
    parsed.querySelectorAll('script[type="application/json"][id]').forEach((script) => {
      swappedData.set(script.id, script.textContent);
    });
  });
  const chartJson = (id) => {
    const element = document.getElementById(id);
    const text = element ? element.textContent : swappedData.get(id);
    return text ? JSON.parse(text) : null;
  };

  const draw = (root) => {
    if (typeof Chart === "undefined") return;
    root.querySelectorAll("canvas[data-kpi-chart]").forEach((canvas) => {
      if (charts.has(canvas)) return;
      const data = chartJson(canvas.dataset.kpiChart);
      if (!data) return;
      canvas.kpiData = data;
      const config = configFor(canvas, data);
      if (!config) return;
      config.options = { responsive: true, maintainAspectRatio: false, animation: false, ...config.options };
      charts.set(canvas, new Chart(canvas, config));
      canvas.dataset.kpiDrawn = "true";
      if (data.type === "gauge") {
        const label = document.createElement("div");
        label.className = "kpi-gauge-label";
        label.textContent = data.display;
        canvas.parentElement.appendChild(label);
      }
    });
  };

  // Editing a date switches the range preset to "custom" so the dates are used.
  document.addEventListener("change", (event) => {
    if (!event.target.matches("[data-range-date]")) return;
    const select = event.target.form && event.target.form.querySelector("[data-range-select]");
    if (select) select.value = "custom";
  }, true);

  const start = () => {
    draw(document);
    if (typeof htmx !== "undefined") htmx.onLoad((element) => draw(element));
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
