"""Meeting live-update benchmark: 50 projector screens polling state.json while the organiser runs the meeting.

    .venv/bin/python bench/meeting_live.py [--screens 50] [--changes 40] [--postgres [URL]] [--keep]

A throw-away database (bench/common.py) gets a published campaign with 10 on-site reporters, a panel of 5
judges, a ballot box with 200 tokens and the meeting built by `agenda.create_meeting`; `python -m shuping
serve` (gunicorn, 2 sync workers as shipped) starts on a free 127.0.0.1 port. Then, all on loopback:

1. live: `--screens` simulated screens (one thread each, a new connection per request like a browser whose
   keep-alive gunicorn's sync workers refuse) poll `/meetings/screen/<key>/state.json` every 500 ms with
   If-None-Match, as static/meetings/screen.js does. A controller in this process performs `--changes`
   meeting actions (start, countdown start/pause/resume/extend, 点评, judges' window open/close, next …) with
   the real action functions against the same database, one every 1.0–1.5 s. For each change and each screen,
   the delay from the moment the action was called until that screen first received the new state (the
   ETag the controller computes for it). p50/p95/max over all screens × changes (target p95 < 1 s), and
   the requests per second the server answered (200s and 304s).
2. baseline: the same screens poll `/healthz` (no database) on the same server at the same rate; the
   per-request latency of state.json vs /healthz, and their ratio.
3. capacity: 8 clients back to back for 5 s on state.json with the current ETag (every answer a 304, the
   steady state of a meeting) and on /healthz: how many polls per second the server could answer.

With a 500 ms poll, a change waits on average 250 ms for the next poll of each screen; the rest is the
server. Figures, not a test. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import http.client
import math
import random
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DEFAULT_PG_URL, district_rows, load_district, make_organiser, prepare
from pages import HOST, free_port, start_server

POLL_MS = 500
TARGET_P95_MS = 1000.0


@dataclass
class Screen:
    """One simulated projector: the ETags it received, with when; its request latencies."""

    path: str
    seen: list[tuple[str, float]] = field(default_factory=list)  # (etag, perf_counter when received)
    latencies: list[float] = field(default_factory=list)
    ok: int = 0
    not_modified: int = 0
    errors: int = 0


def get(port: int, path: str, etag: str | None) -> tuple[int, str]:
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request("GET", path, headers={"If-None-Match": etag} if etag else {})
        resp = conn.getresponse()
        resp.read()
        return resp.status, resp.getheader("ETag") or ""
    finally:
        conn.close()


def run_screen(port: int, screen: Screen, stop: threading.Event) -> None:
    etag: str | None = None
    time.sleep(random.random() * POLL_MS / 1000)  # screens were switched on at different moments
    while not stop.is_set():
        sent = time.perf_counter()
        try:
            status, tag = get(port, screen.path, etag)
        except OSError:
            status, tag = 0, ""
        received = time.perf_counter()
        screen.latencies.append((received - sent) * 1000)
        if status == 200:
            screen.ok += 1
            if tag != etag:
                etag = tag
                screen.seen.append((tag, received))
        elif status == 304:
            screen.not_modified += 1
        else:
            screen.errors += 1
        stop.wait(max(0.05, POLL_MS / 1000 - (time.perf_counter() - sent)))


def build() -> tuple[object, object, object]:
    """A published campaign: 10 on-site reporters, 5 judges, a ballot box with 200 tokens; its meeting."""
    from shuping.accounts.models import Role, User, UserRole
    from shuping.ballots import codes
    from shuping.ballots.models import BallotBox, BallotLine, BallotToken
    from shuping.meetings import agenda
    from shuping.orgs.models import Unit
    from shuping.scoring.models import JudgeSeat

    campaign, _root = load_district(district_rows(mids=10, per_mid=2), participants=10)
    organiser = make_organiser()
    for i in range(5):
        judge = User.objects.create_user(username=f"bench-judge{i}", display_name=f"评委{i + 1}")
        UserRole.objects.create(user=judge, role=Role.JUDGE)
        JudgeSeat.objects.create(campaign=campaign, user=judge)
    box = BallotBox.objects.create(campaign=campaign)
    for pos, p in enumerate(campaign.participants.order_by("speaking_order")):
        BallotLine.objects.create(box=box, participant=p, position=pos)
    BallotToken.objects.bulk_create([BallotToken(box=box, group=i % 2, serial=i + 1, secret=codes.new_secret(),
                                                 code=codes.new_code()) for i in range(200)])
    meeting = agenda.create_meeting(organiser, campaign)
    assert Unit.objects.exists()
    return organiser, meeting, box


def script(organiser, meeting, n: int):  # -> iterator of (label, callable)
    """The organiser's clicks, in meeting order, until `n` changes."""
    from shuping.meetings import actions as a

    yield "开始会议", lambda: a.start_meeting(organiser, meeting)
    count = 1
    while True:
        meeting.refresh_from_db()
        item = meeting.current
        if item is None:
            return
        steps = [("开始计时", a.start_timer), ("暂停", a.pause_timer), ("继续", a.resume_timer),
                 ("延长 1 分钟", a.extend_timer), ("转入点评", a.to_commentary), ("开始评分", a.open_scoring),
                 ("结束评分", a.close_scoring)] if item.kind == "report" else []
        for label, fn in steps:
            if count >= n:
                return
            yield label, (lambda fn=fn, item=item: fn(organiser, item))
            count += 1
        if count >= n:
            return
        yield "下一位", lambda: a.next_item(organiser, meeting)
        count += 1


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def poll_phase(port: int, path: str, n_screens: int, seconds: float | None, work=None) -> tuple[list[Screen], float]:
    """Start the screens; run `work()` (or sleep `seconds`); stop them. Returns the screens and the duration."""
    screens = [Screen(path) for _ in range(n_screens)]
    stop = threading.Event()
    threads = [threading.Thread(target=run_screen, args=(port, s, stop), daemon=True) for s in screens]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    if work is not None:
        work()
    else:
        time.sleep(seconds or 0)
    stop.set()
    for t in threads:
        t.join()
    return screens, time.perf_counter() - t0


def capacity(port: int, path: str, etag: str | None, clients: int = 8, seconds: float = 5.0) -> float:
    """Requests per second answered with `clients` back-to-back pollers."""
    done = [0] * clients
    deadline = time.perf_counter() + seconds

    def worker(i: int) -> None:
        while time.perf_counter() < deadline:
            try:
                get(port, path, etag)
                done[i] += 1
            except OSError:
                pass

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--screens", type=int, default=50, help="模拟大屏数（默认 50）")
    parser.add_argument("--changes", type=int, default=40, help="会议操作次数（默认 40）")
    parser.add_argument("--postgres", nargs="?", const=DEFAULT_PG_URL, default=None, metavar="URL",
                        help=f"用 PostgreSQL（默认 {DEFAULT_PG_URL}，会删除重建该库）")
    parser.add_argument("--keep", action="store_true", help="保留数据目录（和数据库）以便查看")
    args = parser.parse_args()
    n_screens = max(1, min(args.screens, 500))

    bench = prepare(args.postgres, args.keep)
    proc = None
    try:
        organiser, meeting, _box = build()
        from django.db import connections

        from shuping.meetings.state import build_state
        from shuping.meetings.views_screen import state_etag

        engine = "PostgreSQL" if args.postgres else "SQLite (WAL)"
        port = free_port()
        proc = start_server(bench.env, port, bench.data_dir / "server.log")
        path = f"/meetings/screen/{meeting.screen_key}/state.json"
        for _ in range(5):  # warm up both workers
            get(port, path, None)
            get(port, "/healthz", None)
        print(f"{engine}；服务器 http://{HOST}:{port}（gunicorn 2 个同步 worker）；"
              f"{n_screens} 块大屏每 {POLL_MS} ms 轮询一次\n")

        changes: list[tuple[str, float, float, str]] = []  # (label, t_called, action ms, expected etag)

        def controller() -> None:
            time.sleep(1.5)  # every screen has its first state
            for label, fn in script(organiser, meeting, args.changes):
                t_called = time.perf_counter()
                fn()
                t_done = time.perf_counter()
                etag = state_etag(build_state(meeting))
                changes.append((label, t_called, (t_done - t_called) * 1000, etag))
                time.sleep(1.0 + random.random() * 0.5)
            time.sleep(1.0)  # the last change reaches everyone

        screens, duration = poll_phase(port, path, n_screens, None, controller)
        delays: list[float] = []
        missed = 0
        for s in screens:
            for i, (_label, t_called, _ms, etag) in enumerate(changes):
                t_next = changes[i + 1][1] if i + 1 < len(changes) else math.inf
                hit = next((t for tag, t in s.seen if tag == etag and t_called <= t < t_next + 5), None)
                if hit is None:
                    missed += 1
                else:
                    delays.append((hit - t_called) * 1000)
        requests = sum(s.ok + s.not_modified + s.errors for s in screens)
        ok = sum(s.ok for s in screens)
        errors = sum(s.errors for s in screens)
        state_lat = [x for s in screens for x in s.latencies]
        action_ms = [c[2] for c in changes]

        base, base_duration = poll_phase(port, "/healthz", n_screens, 10.0)
        base_lat = [x for s in base for x in s.latencies]
        base_requests = sum(len(s.latencies) for s in base)

        print(f"会议操作 {len(changes)} 次（{', '.join(sorted({c[0] for c in changes}))}）；"
              f"操作本身 中位数 {statistics.median(action_ms):.1f} ms，最大 {max(action_ms):.1f} ms")
        print(f"大屏看到变化的延迟（从点击到该屏收到新状态，{len(delays)} 次 = {n_screens} 屏 × {len(changes)} 次"
              f"{'，漏看 ' + str(missed) if missed else ''}）：")
        print(f"  p50 {pct(delays, 0.5):.0f} ms   p95 {pct(delays, 0.95):.0f} ms   max {max(delays):.0f} ms"
              f"   （目标 p95 < {TARGET_P95_MS:.0f} ms：{'达标' if pct(delays, 0.95) < TARGET_P95_MS else '未达标'}）")
        print(f"state.json：{requests / duration:.0f} 次/秒（{requests} 次，其中 200 {ok} 次、304 {requests - ok - errors} 次、"
              f"错误 {errors} 次），单次 p50 {pct(state_lat, 0.5):.1f} ms  p95 {pct(state_lat, 0.95):.1f} ms")
        print(f"基线 /healthz：{base_requests / base_duration:.0f} 次/秒，单次 p50 {pct(base_lat, 0.5):.1f} ms  "
              f"p95 {pct(base_lat, 0.95):.1f} ms")
        print(f"state.json / healthz 单次 p95 之比：{pct(state_lat, 0.95) / pct(base_lat, 0.95):.1f} 倍")
        _, etag = get(port, path, None)
        cap_state = capacity(port, path, etag)
        cap_health = capacity(port, "/healthz", None)
        print(f"容量（8 个客户端连续请求 5 秒）：state.json（304）{cap_state:.0f} 次/秒，/healthz {cap_health:.0f} 次/秒；"
              f"{n_screens} 块大屏每秒只需 {n_screens * 1000 / POLL_MS:.0f} 次")
        connections.close_all()
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        from django.db import connections

        connections.close_all()
        bench.close()


if __name__ == "__main__":
    main()
