/* 述职评议会 control screen: keeps the page in step with the meeting and runs the countdown.
 *
 * Polls the staff state.json every second with If-None-Match; when the ETag differs from the one the
 * live panel was drawn with, the panel is fetched again through htmx (so two control laptops, and
 * live figures such as judges' submissions or turnout, stay in sync). A refresh waits while the user is
 * typing in the panel. The countdown is drawn from the latest state with the shared clock (clock.js).
 * Keyboard shortcuts click the button carrying the matching data-key. Also: copy buttons (data-copy).
 * Plain JS, no inline code (CSP).
 */
(function () {
  "use strict";

  var POLL_MS = 1000;
  var TIMEOUT_MS = 4000;
  var KEYS = { " ": "space", n: "n", e: "e", c: "c", u: "u", s: "s" };

  // ---- copy buttons (setup page) ------------------------------------------------------------
  document.addEventListener("click", function (e) {
    var btn = e.target.closest("[data-copy]");
    if (!btn) return;
    var input = document.getElementById(btn.getAttribute("data-copy"));
    if (!input) return;
    input.select();
    var done = function () { btn.textContent = "已复制"; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
    } else {
      document.execCommand("copy");
      done();
    }
  });

  var root = document.querySelector("[data-state-url]");
  if (!root || !window.ShupingClock) return;
  var stateUrl = root.getAttribute("data-state-url");
  var liveUrl = root.getAttribute("data-live-url");
  var clock = new window.ShupingClock.Clock();
  var state = null;
  var etag = null;
  var inFlight = false;
  var timer = null;
  var sync = document.querySelector("[data-testid=sync]");

  function live() { return document.getElementById("live"); }

  function editing() {
    var el = document.activeElement;
    var panel = live();
    return !!(el && panel && panel.contains(el) && /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  function setSync(ok) {
    if (!sync) return;
    sync.classList.toggle("offline", !ok);
    sync.textContent = ok ? "● 已同步" : "● 网络中断，正在重连…";
  }

  function refreshPanel() {
    var panel = live();
    if (!panel || !etag || panel.getAttribute("data-etag") === etag || editing() || !window.htmx) return;
    window.htmx.ajax("GET", liveUrl, { target: "#live", swap: "outerHTML" });
  }

  function poll() {
    if (inFlight) return;
    inFlight = true;
    var sent = Date.now();
    var ctl = window.AbortController ? new AbortController() : null;
    var stop = ctl ? setTimeout(function () { ctl.abort(); }, TIMEOUT_MS) : null;
    var headers = {};
    if (etag) headers["If-None-Match"] = etag;
    fetch(stateUrl, { headers: headers, credentials: "same-origin", cache: "no-store", signal: ctl ? ctl.signal : undefined })
      .then(function (r) {
        var received = Date.now();
        clock.sample(Number(r.headers.get("X-Server-Now")), sent, received);
        if (r.status === 304) return null;
        if (!r.ok) throw new Error("HTTP " + r.status);
        etag = r.headers.get("ETag");
        return r.json();
      })
      .then(function (data) {
        if (data) state = data;
        setSync(true);
        refreshPanel();
      })
      .catch(function () { setSync(false); })
      .then(function () {
        if (stop) clearTimeout(stop);
        inFlight = false;
      });
  }

  function pollSoon() {
    clearTimeout(timer);
    poll();
    timer = setInterval(poll, POLL_MS);
  }

  // ---- the countdown -----------------------------------------------------------------------
  function draw() {
    var el = document.querySelector("[data-countdown]");
    if (el && state && state.current) {
      var left = clock.remaining(state.current.timer);
      var text = window.ShupingClock.format(left);
      if (el.textContent !== text) el.textContent = text;
      var tone = window.ShupingClock.tone(left);
      if (el.getAttribute("data-tone") !== tone) el.setAttribute("data-tone", tone);
    }
    setTimeout(draw, 100);
  }

  // ---- keep <details> open across refreshes; poll right after an action ---------------------
  var openDetails = [];
  document.body.addEventListener("htmx:beforeSwap", function () {
    openDetails = Array.prototype.map.call(document.querySelectorAll("#live details[open][data-keep]"),
      function (d) { return d.getAttribute("data-keep"); });
  });
  document.body.addEventListener("htmx:afterSwap", function (e) {
    openDetails.forEach(function (k) {
      var d = document.querySelector('#live details[data-keep="' + k + '"]');
      if (d) d.open = true;
    });
    if (e.detail && e.detail.requestConfig && e.detail.requestConfig.verb === "post") pollSoon();
  });

  // ---- keyboard shortcuts ------------------------------------------------------------------
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
    var t = e.target;
    if (t && (/^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(t.tagName) || t.isContentEditable)) {
      if (!(t.tagName === "BUTTON" && e.key !== " " && e.key !== "Enter")) return;
    }
    var key = KEYS[(e.key || "").toLowerCase()];
    if (!key) return;
    var btn = document.querySelector('#live button[data-key="' + key + '"]:not([disabled])');
    if (!btn) return;
    e.preventDefault();
    // A key pressed right after a swap may beat htmx to the new form: initialise it first (idempotent),
    // or the click would post the whole page (which still works, without JS's comfort).
    if (window.htmx) window.htmx.process(btn.closest("form") || btn);
    btn.click();
  });

  pollSoon();
  draw();
})();
