// The owner portal's only script (the Content-Security-Policy allows no inline script): shows times in the
// browser's own time zone and draws the usage trend with Chart.js (vendored from npm by the build).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  localTimes();
  trendChart();
});

function localTimes() {
  const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
  for (const el of document.querySelectorAll("time[data-local]")) {
    const at = new Date(el.getAttribute("datetime"));
    if (Number.isNaN(at.getTime())) continue;
    el.textContent = (el.dataset.local === "date" ? dateOnly : dateTime).format(at);
    el.title = at.toISOString();
  }
}

function trendChart() {
  const canvas = document.getElementById("trend-chart");
  const source = document.getElementById("trend-data");
  if (!canvas || !source || typeof window.Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  if (!data) return;
  new window.Chart(canvas, {
    data: {
      labels: data.labels,
      datasets: [
        { type: "bar", label: "Billing sessions", data: data.sessions, backgroundColor: "#1d4ed8", yAxisID: "y" },
        { type: "line", label: "Requests", data: data.requests, borderColor: "#b45309", backgroundColor: "#b45309", yAxisID: "y" },
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      plugins: { legend: { position: "bottom" } },
    },
  });
}
