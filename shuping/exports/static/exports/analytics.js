/* 统计分析: draws every chart of the page from the json_script block "analytics-data" (ECharts, canvas so that
   getDataURL gives a PNG), switches each card between chart and table (same numbers), and exports a chart as PNG. */
(function () {
  "use strict";

  var PALETTE = ["#b71c1c", "#245bdb", "#1e7e34", "#e08a00", "#6b4fbb", "#00838f", "#86909c"];
  var charts = {};

  function num(v) { return v === null || v === undefined ? null : Number(v); }

  function categoryAxis(spec) {
    var many = spec.labels.length > 6;
    return { type: "category", data: spec.labels,
             axisLabel: { interval: 0, rotate: many ? 35 : 0, width: 110, overflow: "truncate" } };
  }

  function valueAxis(spec) {
    var axis = { type: "value", name: spec.unit, minInterval: spec.unit === "人" || spec.unit === "条" ? 1 : 0 };
    if (spec.max) { axis.max = spec.max; axis.min = 0; }
    return axis;
  }

  function grid(spec, extraTop) {
    return { left: 56, right: 24, top: extraTop || 40, bottom: spec.labels.length > 6 ? 100 : 40 };
  }

  function barOption(spec, stacked) {
    var multi = spec.series.length > 1;
    return {
      color: PALETTE,
      legend: multi ? { top: 0 } : undefined,
      grid: grid(spec),
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: categoryAxis(spec),
      yAxis: valueAxis(spec),
      series: spec.series.map(function (s) {
        return {
          type: "bar", name: s.name, stack: stacked ? "all" : undefined, barMaxWidth: multi && !stacked ? 28 : 48,
          data: s.data.map(function (v, i) {
            var item = { value: num(v) };
            if (spec.colors) { item.itemStyle = { color: spec.colors[i] }; }
            return item;
          }),
          label: { show: true, position: stacked ? "inside" : "top", fontSize: multi && !stacked ? 10 : 12,
                   formatter: function (p) {
                     var raw = s.data[p.dataIndex];
                     // Empty bins and missing components stay unlabelled; a 0.00% rate is a figure, so it shows.
                     if (raw === null || raw === 0) { return ""; }
                     // Side-by-side bars are narrow: whole figures without ".00" there (the table keeps them).
                     return multi && !stacked ? String(raw).replace(/\.00$/, "") : String(raw);
                   } }
        };
      })
    };
  }

  function lineOption(spec) {
    var s = spec.series[0];
    return {
      color: PALETTE,
      grid: grid(spec),
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: spec.labels, boundaryGap: true },
      yAxis: { type: "value", name: spec.unit, max: 100,
               min: function (v) { return Math.max(0, Math.floor(v.min / 10) * 10 - 10); } },
      series: [{
        type: "line", name: s.name, data: s.data.map(num), symbolSize: 10,
        label: { show: true, position: "top", formatter: function (p) { return s.data[p.dataIndex] + "（" + s.grades[p.dataIndex] + "）"; } }
      }]
    };
  }

  function heatmapOption(spec) {
    return {
      grid: { left: 190, right: 24, top: 16, bottom: spec.labels.length > 6 ? 110 : 70 },
      tooltip: { formatter: function (p) { return spec.ylabels[p.value[1]] + " · " + spec.labels[p.value[0]] + "：" + p.value[2] + " 条"; } },
      xAxis: { type: "category", data: spec.labels, splitArea: { show: true },
               axisLabel: { interval: 0, rotate: spec.labels.length > 6 ? 35 : 0 } },
      yAxis: { type: "category", data: spec.ylabels, splitArea: { show: true }, inverse: true },
      visualMap: { min: 0, max: Math.max(spec.max, 1), calculable: false, orient: "horizontal", left: "center",
                   bottom: 0, itemHeight: 120, inRange: { color: ["#fff4f2", "#f0a093", "#b71c1c"] } },
      series: [{ type: "heatmap", name: spec.series[0].name, data: spec.series[0].data, label: { show: true } }]
    };
  }

  function rangeOption(spec) {
    var low = spec.series[0].data.map(num), high = spec.series[1].data.map(num), mean = spec.series[2].data.map(num);
    var floor = Math.max(0, Math.floor(Math.min.apply(null, low) / 10) * 10 - 10);
    return {
      color: PALETTE,
      legend: { top: 0, data: ["最低—最高", "平均"] },
      grid: grid(spec),
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, formatter: function (ps) {
        var i = ps[0].dataIndex;
        return spec.labels[i] + "<br>最低 " + spec.series[0].data[i] + "，最高 " + spec.series[1].data[i] + "，平均 " + spec.series[2].data[i];
      } },
      xAxis: categoryAxis(spec),
      yAxis: { type: "value", name: spec.unit, min: floor },
      series: [
        { type: "bar", name: "base", stack: "range", data: low, itemStyle: { color: "transparent" }, silent: true },
        { type: "bar", name: "最低—最高", stack: "range", barMaxWidth: 36, itemStyle: { color: "#f0a093" },
          data: high.map(function (h, i) { return h - low[i]; }) },
        { type: "scatter", name: "平均", data: mean, symbolSize: 12, itemStyle: { color: "#b71c1c" },
          label: { show: true, position: "right", distance: 24, formatter: function (p) { return spec.series[2].data[p.dataIndex]; } } }
      ]
    };
  }

  function deviationOption(spec) {
    var s = spec.series[0];
    return {
      grid: grid(spec),
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: categoryAxis(spec),
      yAxis: { type: "value", name: spec.unit },
      series: [{
        type: "bar", name: s.name, barMaxWidth: 40,
        data: s.data.map(function (v) { var n = num(v); return { value: n, itemStyle: { color: n >= 0 ? "#b71c1c" : "#245bdb" } }; }),
        label: { show: true, position: "top", formatter: function (p) { return (p.value > 0 ? "+" : "") + s.data[p.dataIndex]; } },
        markLine: { silent: true, symbol: "none", data: [{ yAxis: 0 }], lineStyle: { color: "#555" }, label: { show: false } }
      }]
    };
  }

  var BUILDERS = {
    bar: function (s) { return barOption(s, false); },
    stacked: function (s) { return barOption(s, true); },
    line: lineOption, heatmap: heatmapOption, range: rangeOption, deviation: deviationOption
  };

  function draw(spec) {
    var el = document.getElementById("chart-" + spec.id);
    var build = BUILDERS[spec.kind];
    if (!el || !build || !spec.rows.length) { return; }
    el.hidden = false;
    if (spec.kind === "heatmap") { el.style.height = Math.max(360, 28 * spec.ylabels.length + 120) + "px"; }
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    var option = build(spec);
    option.animation = false;
    chart.setOption(option);
    charts[spec.id] = chart;
    var card = el.closest("[data-chart-card]");
    card.setAttribute("data-view", "chart");
    document.getElementById("table-" + spec.id).hidden = true;
    card.querySelectorAll("[data-toggle-table], [data-png]").forEach(function (b) { b.hidden = false; });
    card.querySelector("[data-toggle-table]").textContent = "表格";
  }

  function toggle(button) {
    var id = button.getAttribute("data-toggle-table");
    var card = button.closest("[data-chart-card]");
    var toTable = card.getAttribute("data-view") !== "table";
    card.setAttribute("data-view", toTable ? "table" : "chart");
    document.getElementById("chart-" + id).hidden = toTable;
    document.getElementById("table-" + id).hidden = !toTable;
    button.textContent = toTable ? "图表" : "表格";
    button.setAttribute("aria-pressed", toTable ? "true" : "false");
    if (!toTable && charts[id]) { charts[id].resize(); }
  }

  function savePng(button) {
    var chart = charts[button.getAttribute("data-png")];
    if (!chart) { return; }
    var url = chart.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#ffffff" });
    var a = document.createElement("a");
    a.href = url;
    a.download = button.getAttribute("data-name") || "chart.png";
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var dataEl = document.getElementById("analytics-data");
    if (!dataEl || !window.echarts) { return; }
    JSON.parse(dataEl.textContent).charts.forEach(draw);
    document.querySelectorAll("[data-toggle-table]").forEach(function (b) {
      b.addEventListener("click", function () { toggle(b); });
    });
    document.querySelectorAll("[data-png]").forEach(function (b) {
      b.addEventListener("click", function () { savePng(b); });
    });
    window.addEventListener("resize", function () {
      Object.keys(charts).forEach(function (k) { charts[k].resize(); });
    });
  });
})();
