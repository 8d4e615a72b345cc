/* 述职评议会: the shared countdown clock (control screen; the projector may load it too).
 *
 * Every answer from state.json gives a sample offset = server_now − (t_sent + t_received) / 2 with its
 * round trip; the offset used is the one with the smallest round trip of the recent samples. A running
 * countdown is ends_at − (Date.now() + offset): every screen counts against the server's clock, so two
 * screens never differ by more than half a round trip. Paused/stopped/idle: remaining_ms as sent.
 * Plain JS, no inline code (CSP).
 */
(function () {
  "use strict";
  var SAMPLES = 20;

  function Clock() { this.samples = []; }
  Clock.prototype.sample = function (serverNow, tSent, tReceived) {
    if (serverNow == null || isNaN(serverNow)) return;
    this.samples.push({ offset: serverNow - (tSent + tReceived) / 2, rtt: tReceived - tSent });
    if (this.samples.length > SAMPLES) this.samples.shift();
  };
  Clock.prototype.offset = function () {
    var best = null;
    for (var i = 0; i < this.samples.length; i++) {
      if (best === null || this.samples[i].rtt < best.rtt) best = this.samples[i];
    }
    return best ? best.offset : 0;
  };
  Clock.prototype.now = function () { return Date.now() + this.offset(); };
  /* Milliseconds left on a state timer ({state, planned_ms, ends_at, remaining_ms}); negative = over. */
  Clock.prototype.remaining = function (timer) {
    if (!timer) return null;
    if (timer.state === "running" && timer.ends_at != null) return timer.ends_at - this.now();
    if (timer.remaining_ms != null) return timer.remaining_ms;
    return timer.planned_ms != null ? timer.planned_ms : null;
  };

  function two(n) { return (n < 10 ? "0" : "") + n; }
  /* 05:59 while time is left (rounded up, so 0:00 shows only when it is over), +00:12 when over. */
  function format(ms) {
    if (ms == null) return "--:--";
    if (ms > 0) {
      var s = Math.ceil(ms / 1000);
      return two(Math.floor(s / 60)) + ":" + two(s % 60);
    }
    var over = Math.floor(-ms / 1000);
    return "+" + two(Math.floor(over / 60)) + ":" + two(over % 60);
  }
  /* normal / warning (last minute) / over */
  function tone(ms) {
    if (ms == null) return "normal";
    if (ms <= 0) return "over";
    return ms <= 60000 ? "warning" : "normal";
  }

  window.ShupingClock = { Clock: Clock, format: format, tone: tone };
})();
