/* 民主测评 results page: show/hide a reporter's formula row; draw the 好评率 chart from the JSON block. */
(function () {
  "use strict";

  function toggleFormula(button) {
    var row = document.getElementById(button.getAttribute("data-formula"));
    if (!row) { return; }
    row.hidden = !row.hidden;
    button.setAttribute("aria-expanded", row.hidden ? "false" : "true");
  }

  function drawChart() {
    var el = document.getElementById("good-rate-chart");
    var dataEl = document.getElementById("good-rate-data");
    if (!el || !dataEl || !window.echarts) { return; }
    var data = JSON.parse(dataEl.textContent);
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      grid: { left: 48, right: 16, top: 24, bottom: 96 },
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null ? "—" : v + "%"; } },
      xAxis: { type: "category", data: data.names, axisLabel: { interval: 0, rotate: data.names.length > 8 ? 40 : 0 } },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: [{
        type: "bar",
        name: "好评率",
        barMaxWidth: 36,
        data: data.rates.map(function (v, i) {
          return { value: v === null ? null : Number(v), itemStyle: { color: data.vetoes[i] ? "#86909c" : "#b71c1c" } };
        }),
        label: { show: true, position: "top", formatter: function (p) {
          return p.value === null ? "" : data.labels[p.dataIndex] + (data.vetoes[p.dataIndex] ? "（否决信号）" : "");
        } }
      }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("button.score-toggle").forEach(function (b) {
      b.addEventListener("click", function () { toggleFormula(b); });
    });
    drawChart();
  });
})();
