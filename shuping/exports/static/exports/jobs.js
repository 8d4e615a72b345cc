// Export jobs page: while a job is queued or running, poll its status JSON every second and update its
// row (progress bar, state, size, download link). A finished or failed job reloads the page once, so the
// server-rendered row (download link, error and retry button) replaces the live one.
(function () {
  "use strict";
  var LIVE = { queued: true, running: true };

  function size(n) {
    if (n >= 1048576) return (n / 1048576).toFixed(1) + " MB";
    if (n >= 1024) return (n / 1024).toFixed(1) + " KB";
    return n + " 字节";
  }

  function update(row, data) {
    var bar = row.querySelector("progress");
    if (bar) bar.value = data.progress;
    var pct = row.querySelector(".pct");
    if (pct) pct.textContent = data.progress + "%";
    var msg = row.querySelector(".msg");
    if (msg) msg.textContent = data.state === "running" ? data.message : "";
    var state = row.querySelector("[data-role=state]");
    if (state) { state.textContent = data.state_label; state.className = "badge job-" + data.state; }
    var sz = row.querySelector("[data-role=size]");
    if (sz && data.size) sz.textContent = size(data.size);
    row.dataset.state = data.state;
  }

  function poll() {
    var rows = document.querySelectorAll("tr.job");
    var pending = [];
    rows.forEach(function (row) { if (LIVE[row.dataset.state]) pending.push(row); });
    if (!pending.length) return;
    Promise.all(pending.map(function (row) {
      return fetch(row.dataset.statusUrl, { credentials: "same-origin", cache: "no-store" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) return false;
          update(row, data);
          return data.finished;
        })
        .catch(function () { return false; });
    })).then(function (done) {
      if (done.some(Boolean)) { window.location.reload(); return; }
      window.setTimeout(poll, 1000);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { window.setTimeout(poll, 1000); });
})();
