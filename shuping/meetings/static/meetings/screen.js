/* 述职评议会 projector screen (1920×1080): polls state.json every 500 ms and draws it.
 *
 * Clock (clock.js): each poll — 200 or 304, both carry X-Server-Now — gives a sample offset =
 * server_now − (t_sent + t_received) / 2 with its round trip; the offset used is the sample with the
 * smallest round trip among the recent ones (a slow answer says little about when the server read its
 * clock). Running countdown: ends_at − (Date.now() + offset), so every screen counts against the server's
 * clock, not its own. While the network is down the screen keeps counting with the last offset and shows a
 * small badge; the next answer brings it back.
 * Plain JS, no inline code (CSP); text goes in with textContent only.
 */
(function () {
  "use strict";

  var POLL_MS = 500;
  var TIMEOUT_MS = 4000;
  var OFFLINE_AFTER = 2;      // failed polls in a row before the badge shows
  var DESIGN_W = 1920, DESIGN_H = 1080;

  var body = document.body;
  var stateUrl = body.getAttribute("data-state-url");
  var qrUrl = body.getAttribute("data-qr-url");
  var $ = function (id) { return document.querySelector('[data-testid="' + id + '"]'); };

  var state = null;
  var etag = null;
  var failures = 0;
  var lastShown = "";

  // ---- clock (static/meetings/clock.js, shared with the control screen) -------------------------
  var clock = new window.ShupingClock.Clock();
  var formatMs = window.ShupingClock.format;

  function remainingMs() {
    var cur = state && state.current;
    return cur && cur.timer ? clock.remaining(cur.timer) : null;
  }

  // ---- drawing -------------------------------------------------------------------------------
  function show(el, on) { if (el) el.hidden = !on; }
  function text(el, value) { if (el && el.textContent !== value) el.textContent = value; }

  // Shrink a line until it fits its box (long unit names); the CSS size is the largest.
  function fit(el) {
    el.style.fontSize = "";
    var size = parseFloat(window.getComputedStyle(el).fontSize);
    var guard = 0;
    while (el.scrollWidth > el.clientWidth + 1 && size > 24 && guard++ < 60) {
      size -= 4;
      el.style.fontSize = size + "px";
    }
  }

  function currentAgendaItem() {
    if (!state || !state.agenda) return null;
    for (var i = 0; i < state.agenda.length; i++) if (state.agenda[i].current) return state.agenda[i];
    return null;
  }

  function drawTop() {
    text($("scr-title"), state.meeting.title);
    var item = currentAgendaItem();
    var cur = state.current;
    var pos = "";
    if (item && cur) {
      pos = item.section || "";
      if (cur.kind === "report" && cur.position_text) pos += (pos ? " · " : "") + cur.position_text;
    }
    text($("scr-pos"), pos);
  }

  function drawAgenda() {
    var list = $("scr-agenda");
    var sig = JSON.stringify(state.agenda);
    if (list.getAttribute("data-sig") === sig) return;
    list.setAttribute("data-sig", sig);
    while (list.firstChild) list.removeChild(list.firstChild);
    var section = null, currentLi = null;
    state.agenda.forEach(function (a) {
      if (a.section && a.section !== section) {
        section = a.section;
        var h = document.createElement("li");
        h.className = "scr-agenda-section";
        h.textContent = a.section;
        list.appendChild(h);
      }
      var li = document.createElement("li");
      li.className = "scr-agenda-item is-" + a.phase + (a.current ? " is-current" : "") + (a.absent ? " is-absent" : "");
      li.setAttribute("data-testid", "scr-agenda-" + a.id);
      var title = document.createElement("span");
      title.className = "scr-agenda-title";
      title.textContent = a.title;
      li.appendChild(title);
      var note = "";
      if (a.current) note = a.phase === "waiting" ? "当前" : (a.phase_label || "进行中");
      else if (a.phase === "done") note = "✓";
      if (a.absent) note = a.substitute ? "代：" + a.substitute : "缺席";
      if (note) {
        var tag = document.createElement("span");
        tag.className = "scr-agenda-tag";
        tag.textContent = note;
        li.appendChild(tag);
      }
      list.appendChild(li);
      if (a.current) currentLi = li;
    });
    placeAgenda(currentLi);
  }

  // Keep the current item in view (a third from the top) and fade the bottom only when the list is cut.
  function placeAgenda(currentLi) {
    var box = $("scr-agenda").parentNode;
    currentLi = currentLi || box.querySelector(".is-current");
    box.scrollTop = currentLi ? Math.max(0, currentLi.offsetTop - box.clientHeight / 3) : 0;
    box.classList.toggle("is-cut", box.scrollTop + box.clientHeight < box.scrollHeight - 2);
  }

  function drawRanking() {
    var box = $("scr-ranking");
    var rows = state.ranking;
    show(box, !!(rows && rows.length));
    box.parentNode.classList.toggle("has-ranking", !!(rows && rows.length));
    placeAgenda(null);
    if (!rows || !rows.length) return;
    var list = $("scr-ranking-list");
    while (list.firstChild) list.removeChild(list.firstChild);
    rows.forEach(function (r) {
      var li = document.createElement("li");
      var rank = document.createElement("b"); rank.textContent = r.rank;
      var unit = document.createElement("span"); unit.textContent = r.unit;
      var score = document.createElement("em"); score.textContent = r.score_display;
      li.appendChild(rank); li.appendChild(unit); li.appendChild(score);
      list.appendChild(li);
    });
  }

  var IDLE_KICKER = { planned: "即将开始", running: "请稍候", ended: "会议结束" };

  function drawIdle() {
    var m = state.meeting;
    text($("scr-idle-kicker"), IDLE_KICKER[m.state] || m.state_label || "");
    var sub = "";
    if (m.state === "ended") sub = "感谢各位参会";
    else if (state.agenda && state.agenda.length) {
      var next = null;
      for (var i = 0; i < state.agenda.length; i++) {
        if (state.agenda[i].phase === "waiting" && !state.agenda[i].absent) { next = state.agenda[i]; break; }
      }
      if (next) sub = "下一项：" + (next.section ? next.section + " " : "") + next.title;
    }
    text($("scr-idle-sub"), sub);
    var title = document.querySelector(".scr-idle-title");
    text(title, m.title);
  }

  var PHASE_TEXT = { waiting: "即将开始", speaking: "述职中", commenting: "点评中", done: "已结束" };

  function drawSpeaker() {
    var cur = state.current;
    var isReport = cur.kind === "report";
    var item = currentAgendaItem();
    var phase = isReport ? (PHASE_TEXT[cur.phase] || cur.phase_label)
      : ((item && item.section) || "") + (cur.phase === "done" ? " · 已结束" : "");
    $("scr-speaker").setAttribute("data-kind", cur.kind);
    if (isReport && cur.phase === "commenting") phase = "点评中 · 领导点评";
    text($("scr-phase"), phase);
    $("scr-phase").setAttribute("data-phase", cur.phase);
    var unit = $("scr-unit");
    text(unit, isReport ? (cur.unit || cur.title) : cur.title);
    fit(unit);
    text($("scr-name"), isReport ? (cur.secretary || "") : "");
    text($("scr-mode"), isReport ? (cur.mode_label || "") : "");
    show($("scr-mode"), isReport && !!cur.mode_label);
    show($("scr-substitute"), !!cur.substitute);
    text($("scr-substitute"), cur.substitute ? "代述职人：" + cur.substitute : "");
    // The closing speech shows no countdown unless the organiser started one.
    var t = cur.timer;
    show($("scr-clock"), !!t && (isReport || t.state !== "idle"));
    var j = state.judges;
    show($("scr-judges"), !!j);
    if (j) {
      text($("scr-judges-text"), j.submitted + " / " + j.expected + " 位评委已提交" +
           (j.window_label ? " · " + j.window_label : ""));
      $("scr-judges-bar").style.width = (j.expected ? Math.round(100 * j.submitted / j.expected) : 0) + "%";
      $("scr-judges").setAttribute("data-window", j.window);
    }
  }

  var BOX_TEXT = { setup: "测评即将开始", open: "测评进行中", closed: "测评已结束", published: "测评已结束" };

  function drawVote() {
    var v = state.vote;
    var phase = $("scr-vote-phase");
    text(phase, "民主测评 · " + (BOX_TEXT[v.box_state] || ""));
    phase.setAttribute("data-box", v.box_state);
    $("scr-vote").setAttribute("data-box", v.box_state);
    var over = v.box_state === "closed" || v.box_state === "published";
    text($("scr-vote-title"), over ? "民主测评投票已结束" : "扫码参加民主测评");
    var img = $("scr-qr");
    if (!img.getAttribute("src")) img.setAttribute("src", qrUrl);
    text($("scr-vote-url"), v.url);
    var box = $("scr-turnout");
    while (box.firstChild) box.removeChild(box.firstChild);
    // Groups without tokens (none issued to them this year) would only show 0 / 0.
    (v.groups || []).filter(function (g) { return g.issued > 0; }).forEach(function (g) {
      var row = document.createElement("div");
      row.className = "scr-turnout-row";
      var name = document.createElement("span"); name.className = "scr-turnout-name"; name.textContent = g.name;
      var bar = document.createElement("div"); bar.className = "scr-bar";
      var fill = document.createElement("i");
      fill.style.width = (g.issued ? Math.round(100 * g.used / g.issued) : 0) + "%";
      bar.appendChild(fill);
      var n = document.createElement("span"); n.className = "scr-turnout-n"; n.textContent = g.used + " / " + g.issued;
      row.appendChild(name); row.appendChild(n); row.appendChild(bar);
      box.appendChild(row);
    });
    var pct = v.issued ? Math.round(100 * v.used / v.issued) : 0;
    text($("scr-turnout-total"), "已提交 " + v.used + " 张 / 共发放 " + v.issued + " 张（" + pct + "%）");
  }

  function draw() {
    if (!state) return;
    var cur = state.current;
    var mode = "idle";
    if (state.meeting.state === "running" && cur) mode = cur.kind === "vote" && state.vote ? "vote" : "speaker";
    body.setAttribute("data-mode", mode);
    body.setAttribute("data-version", etag || "");
    show($("scr-idle"), mode === "idle");
    show($("scr-speaker"), mode === "speaker");
    show($("scr-vote"), mode === "vote");
    drawTop();
    if (mode === "idle") drawIdle();
    else if (mode === "speaker") drawSpeaker();
    else drawVote();
    drawAgenda();
    drawRanking();
    lastShown = "";
    tick();
  }

  function tick() {
    var el = $("scr-countdown");
    if (!state || !state.current || !state.current.timer) return;
    var t = state.current.timer;
    var ms = remainingMs();
    if (ms === null) return;
    var tone = window.ShupingClock.tone(ms);
    var note = "剩余时间";
    if (t.state === "paused") note = "已暂停";
    else if (t.state === "idle") {
      note = "限时 " + (t.planned_ms % 60000 ? formatMs(t.planned_ms) : t.planned_ms / 60000 + " 分钟");
    }
    else if (t.state === "stopped") note = "计时结束" + (t.overrun_ms > 0 ? " · 超时 " + formatMs(-t.overrun_ms).slice(1) : "");
    else if (ms <= 0) note = "已超时";
    var shown = formatMs(ms) + "|" + tone + "|" + t.state + "|" + note;
    if (shown === lastShown) return;
    lastShown = shown;
    text(el, formatMs(ms));
    var clock = $("scr-clock");
    clock.setAttribute("data-tone", tone);
    clock.setAttribute("data-timer", t.state);
    text($("scr-clock-note"), note);
  }

  // ---- polling -------------------------------------------------------------------------------
  function setOffline(off) {
    show($("scr-offline"), off);
    body.classList.toggle("is-offline", off);
  }

  function poll() {
    var sent = Date.now();
    var headers = {};
    if (etag) headers["If-None-Match"] = etag;
    var ctrl = window.AbortController ? new AbortController() : null;
    var timer = ctrl ? setTimeout(function () { ctrl.abort(); }, TIMEOUT_MS) : null;
    fetch(stateUrl, { headers: headers, cache: "no-store", credentials: "omit", signal: ctrl && ctrl.signal })
      .then(function (r) {
        var received = Date.now();
        var now = Number(r.headers.get("X-Server-Now"));
        if (now) clock.sample(now, sent, received);
        if (r.status === 304) return null;
        if (!r.ok) throw new Error("HTTP " + r.status);
        var tag = r.headers.get("ETag");
        return r.json().then(function (s) { state = s; etag = tag; draw(); });
      })
      .then(function () { failures = 0; setOffline(false); })
      .catch(function () { failures += 1; if (failures >= OFFLINE_AFTER) setOffline(true); })
      .then(function () {
        if (timer) clearTimeout(timer);
        setTimeout(poll, Math.max(50, POLL_MS - (Date.now() - sent)));
      });
  }

  // ---- frame: scale the 1920×1080 design to the window; full screen ---------------------------
  function scale() {
    var k = Math.min(window.innerWidth / DESIGN_W, window.innerHeight / DESIGN_H);
    var frame = document.getElementById("scr");
    frame.style.transform = "scale(" + k + ")";
    frame.style.left = Math.max(0, (window.innerWidth - DESIGN_W * k) / 2) + "px";
    frame.style.top = Math.max(0, (window.innerHeight - DESIGN_H * k) / 2) + "px";
  }

  function toggleFullscreen() {
    if (document.fullscreenElement) { if (document.exitFullscreen) document.exitFullscreen(); }
    else if (document.documentElement.requestFullscreen) document.documentElement.requestFullscreen();
  }

  document.addEventListener("fullscreenchange", function () {
    body.classList.toggle("is-fullscreen", !!document.fullscreenElement);
  });
  $("scr-fullscreen").addEventListener("click", toggleFullscreen);
  document.addEventListener("keydown", function (e) {
    if ((e.key === "f" || e.key === "F") && !e.ctrlKey && !e.metaKey && !e.altKey) toggleFullscreen();
  });
  window.addEventListener("resize", scale);

  // The state the page was rendered with: drawn at once, its clock sample trusted least.
  var initial = document.getElementById("scr-initial");
  if (initial) {
    try {
      state = JSON.parse(initial.textContent);
      // As if it had taken a very long round trip: the first poll replaces it.
      if (state.server_now) clock.sample(state.server_now, Date.now() - 1e9, Date.now() + 1e9);
    } catch (e) { state = null; }
  }
  scale();
  draw();
  setInterval(tick, 100);
  poll();

  // For tests and the curious: what this screen shows now.
  window.shupingScreen = {
    remainingMs: remainingMs,
    offsetMs: function () { return clock.offset(); },
  };
})();
