/* 考核结果 page: an explanation loaded by htmx opens in the side panel; the active number is marked;
   × or Escape closes the panel. Without JS each number is a plain link to a full explanation page. */
(function () {
  "use strict";

  function panel() { return document.getElementById("explain-panel"); }

  function close() {
    var p = panel();
    if (p) { p.hidden = true; }
    document.querySelectorAll(".num-link.active").forEach(function (a) { a.classList.remove("active"); });
  }

  document.addEventListener("htmx:beforeRequest", function (e) {
    var el = e.detail.elt;
    if (!el || !el.classList || !el.classList.contains("num-link")) { return; }
    document.querySelectorAll(".num-link.active").forEach(function (a) { a.classList.remove("active"); });
    el.classList.add("active");
  });

  document.addEventListener("htmx:afterSwap", function (e) {
    if (!e.detail.target || e.detail.target.id !== "explain-body") { return; }
    var p = panel();
    if (p) { p.hidden = false; p.scrollTop = 0; }
  });

  document.addEventListener("click", function (e) {
    if (e.target.closest("[data-testid=explain-close]")) { close(); }
  });

  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { close(); }
  });
})();
