"""Page benchmark: a 2,000-unit district through the real server, against a static file.

    .venv/bin/python bench/pages.py [--requests 200] [--clients 4] [--postgres [URL]] [--keep]

Loads a fresh district (root → 40 街道/机关 → 49 each = 2,001 units, each with a secretary; a
published campaign with 200 participants and last year's archived one) into a throw-away data
folder, starts `python -m shuping serve` (gunicorn, 2 sync workers) on a free 127.0.0.1 port, logs
in as an organiser and times repeated GETs of the organiser's pages and of /static/shuping/app.css
served by the same server in the same run. Prints per URL the median with one client alone (the
server's own time), median and p95 with the concurrent clients (what users wait under load), and
the ratio page p95 / static p95. Target: page p95 < 150 ms. Figures, not a test. Load generator
and server share the machine: run it on an otherwise idle one.
"""

from __future__ import annotations

import argparse
import http.client
import math
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BENCH_PASSWORD, DEFAULT_PG_URL, ROOT, district_rows, load_district, make_organiser, prepare

HOST = "127.0.0.1"
TARGET_P95_MS = 150.0
STATIC_PATH = "/static/shuping/app.css"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def request(port: int, method: str, path: str, headers: dict[str, str] | None = None,
            body: str | None = None) -> tuple[int, dict[str, list[str]], bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        got: dict[str, list[str]] = {}
        for k, v in resp.getheaders():
            got.setdefault(k.lower(), []).append(v)
        return resp.status, got, data
    finally:
        conn.close()


def cookies_from(headers: dict[str, list[str]]) -> dict[str, str]:
    jar = {}
    for line in headers.get("set-cookie", []):
        name, _, rest = line.partition("=")
        jar[name.strip()] = rest.split(";", 1)[0]
    return jar


def login(port: int, username: str) -> str:
    """Log in like a browser (GET the form, POST with the CSRF token); return the Cookie header."""
    status, headers, body = request(port, "GET", "/login/")
    jar = cookies_from(headers)
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if status != 200 or not match or "csrftoken" not in jar:
        raise SystemExit(f"登录页异常：HTTP {status}")
    form = urlencode({"csrfmiddlewaretoken": match.group(1).decode(), "username": username,
                      "password": BENCH_PASSWORD})
    status, headers, _ = request(port, "POST", "/login/", {
        "Cookie": f"csrftoken={jar['csrftoken']}",
        "Content-Type": "application/x-www-form-urlencoded",
        "Referer": f"http://{HOST}:{port}/login/",
    }, form)
    jar.update(cookies_from(headers))
    if status != 302 or "sessionid" not in jar:
        raise SystemExit(f"登录失败：HTTP {status}")
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def measure(port: int, path: str, cookie: str, total: int, clients: int) -> tuple[list[float], int]:
    """`total` GETs of `path` spread over `clients` threads; returns latencies (ms) and non-200 count."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    remaining = [total]

    def worker() -> None:
        nonlocal errors
        while True:
            with lock:
                if remaining[0] <= 0:
                    return
                remaining[0] -= 1
            t0 = time.perf_counter()
            try:
                status, _, _ = request(port, "GET", path, {"Cookie": cookie})
            except OSError:
                status = 0
            ms = (time.perf_counter() - t0) * 1000
            with lock:
                latencies.append(ms)
                if status != 200:
                    errors += 1

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def pages_to_measure(campaign_pk: int, unit_pk: int, root_pk: int, query: str) -> list[tuple[str, str]]:
    """(label, path) for each page, by URL name where the app has one, so it follows the apps' URLs."""
    from django.urls import NoReverseMatch, reverse

    def first(*candidates: tuple[str, list[int]]) -> str | None:
        for name, args in candidates:
            try:
                return reverse(name, args=args)
            except NoReverseMatch:
                continue
        return None

    pages = [("工作台 /", "/"), ("组织架构树", reverse("orgs:tree"))]
    pages.append(("单位搜索", reverse("orgs:tree") + "?q=" + quote(query)))
    children = first(("orgs:children", [root_pk]), ("orgs:unit_children", [root_pk]))
    if children:
        pages.append(("下级单位片段", children))
    pages.append(("单位详情", reverse("orgs:unit", args=[unit_pk])))
    pages.append(("考核方案列表", reverse("campaigns:list")))
    pages.append(("考核方案详情", reverse("campaigns:detail", args=[campaign_pk])))
    participants = first(("campaigns:participants", [campaign_pk]), ("campaigns:participant_list", [campaign_pk]))
    if participants:
        pages.append(("述职对象（200）", participants))
    return pages


def start_server(bench_env: dict[str, str], port: int, log_path: Path) -> subprocess.Popen[bytes]:
    from django.core.management import get_commands

    python = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
    bind = f"{HOST}:{port}"
    if "serve" in get_commands():
        cmd = [python, "-m", "shuping", "serve", "--bind", bind, "--workers", "2"]
    else:  # before the serve command existed: the same thing by hand
        subprocess.run([python, "-m", "shuping", "collectstatic", "--noinput", "-v0"], check=True, cwd=ROOT,
                       env={**_base_env(), **bench_env})
        cmd = [python, "-m", "gunicorn", "shuping.wsgi:application", "--bind", bind, "--workers", "2"]
    log = log_path.open("wb")
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**_base_env(), **bench_env}, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"服务器启动失败（退出码 {proc.returncode}），日志：{log_path}")
        try:
            if request(port, "GET", STATIC_PATH)[0] == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.3)
    proc.terminate()
    raise SystemExit(f"服务器 90 秒内未就绪，日志：{log_path}")


def _base_env() -> dict[str, str]:
    """This process's environment without SHUPING_* settings (the server gets the bench's own)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("SHUPING_")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="每个地址请求次数（默认 200）")
    parser.add_argument("--clients", type=int, default=4, help="并发客户端数（默认 4）")
    parser.add_argument("--postgres", nargs="?", const=DEFAULT_PG_URL, default=None, metavar="URL",
                        help=f"用 PostgreSQL（默认 {DEFAULT_PG_URL}，会删除重建该库）")
    parser.add_argument("--keep", action="store_true", help="保留数据目录（和数据库）以便查看")
    args = parser.parse_args()
    total = max(1, min(args.requests, 5000))
    clients = max(1, min(args.clients, 32))

    t0 = time.perf_counter()
    bench = prepare(args.postgres, args.keep)
    proc = None
    try:
        rows = district_rows()
        campaign, root = load_district(rows, participants=200)
        make_organiser()
        from django.db import connections

        from shuping.orgs.models import Unit

        leaf = Unit.objects.filter(parent__parent=root).order_by("code")[100]
        pages = pages_to_measure(campaign.pk, leaf.pk, root.pk, query="第7街道")
        engine = "PostgreSQL" if args.postgres else "SQLite (WAL)"
        print(f"数据：{Unit.objects.count()} 个单位，{campaign.participants.count()} 个述职对象，{engine}；"
              f"准备用时 {time.perf_counter() - t0:.1f} s")
        connections.close_all()

        port = free_port()
        proc = start_server(bench.env, port, bench.data_dir / "server.log")
        cookie = login(port, "bench-organiser")
        targets = [("静态文件（基线）", STATIC_PATH), *pages]
        for _, path in targets:  # warm up: imports, template loading, SQLite page cache
            for _ in range(5):
                request(port, "GET", path, {"Cookie": cookie})

        print(f"服务器 http://{HOST}:{port}（gunicorn 2 个同步 worker）；每个地址 {total} 次请求，{clients} 个并发客户端\n")
        results = []
        for label, path in targets:
            latencies, errors = measure(port, path, cookie, total, clients)
            # One client alone: the server's own time per page, without waiting for a free worker.
            alone, _ = measure(port, path, cookie, min(total, 30), 1)
            results.append((label, path, statistics.median(alone), statistics.median(latencies), p95(latencies),
                            errors))
        static_p95 = results[0][4]

        print(_pad("页面", 14) + "".join(_pad(h, w, right=True) for h, w in
                                         (("单客户端 ms", 12), ("中位数 ms", 10), ("p95 ms", 10), ("p95/静态", 10),
                                          ("非200", 7)))
              + "  达标  地址")
        worst = 0.0
        for label, path, single, median, pct95, errors in results:
            is_static = path == STATIC_PATH
            ratio = pct95 / static_p95 if static_p95 else float("nan")
            ok = "—" if is_static else ("是" if pct95 < TARGET_P95_MS and not errors else "否")
            if not is_static:
                worst = max(worst, pct95)
            print(f"{_pad(label, 14)}{single:>12.1f}{median:>10.1f}{pct95:>10.1f}{ratio:>10.1f}{errors:>7}  {_pad(ok, 4)}  {path}")
        print(f"\n最慢页面 p95 {worst:.1f} ms（目标 < {TARGET_P95_MS:.0f} ms），为静态文件 p95 的 {worst / static_p95:.1f} 倍")
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


def _pad(text: str, width: int, right: bool = False) -> str:
    """Align mixed CJK/ASCII text in a terminal (CJK characters take two columns)."""
    fill = " " * max(0, width - sum(2 if ord(ch) > 0x2E80 else 1 for ch in text))
    return fill + text if right else text + fill


if __name__ == "__main__":
    main()
