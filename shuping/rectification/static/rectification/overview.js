/* 整改台账: overview charts (ECharts, data from the json_script block), PNG export, and 晒账's print button. */
(function () {
  "use strict";

  var COLORS = { open: "#245bdb", overdue: "#b3261e", on_time: "#1e7e34", late: "#e08a00" };
  var charts = {};

  function draw(id, block, rotate) {
    var el = document.getElementById(id);
    if (!el || !window.echarts) { return; }
    // Canvas, not SVG: getDataURL then gives a PNG.
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    var many = block.names.length > 6;
    chart.setOption({
      animation: false,
      legend: { top: 0 },
      grid: { left: 40, right: 16, top: 36, bottom: many || rotate ? 110 : 40, containLabel: false },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "category", data: block.names, axisLabel: { interval: 0, rotate: many || rotate ? 35 : 0 } },
      yAxis: { type: "value", minInterval: 1, name: "条" },
      series: block.series.map(function (s) {
        return { type: "bar", stack: "all", name: s.name, data: s.data, barMaxWidth: 40,
                 itemStyle: { color: COLORS[s.key] },
                 label: { show: true, formatter: function (p) { return p.value ? p.value : ""; } } };
      })
    });
    charts[id] = chart;
  }

  function savePng(button) {
    var chart = charts[button.getAttribute("data-png")];
    if (!chart) { return; }
    var a = document.createElement("a");
    a.href = chart.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#ffffff" });
    a.download = button.getAttribute("data-name") || "chart.png";
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var dataEl = document.getElementById("overview-data");
    if (dataEl) {
      var data = JSON.parse(dataEl.textContent);
      draw("chart-units", data.units, false);
      draw("chart-categories", data.categories, true);
      window.addEventListener("resize", function () {
        Object.keys(charts).forEach(function (k) { charts[k].resize(); });
      });
    }
    document.querySelectorAll("[data-png]").forEach(function (b) {
      b.addEventListener("click", function () { savePng(b); });
    });
    document.querySelectorAll("[data-print]").forEach(function (b) {
      b.addEventListener("click", function () { window.print(); });
    });
  });
})();
