"""Phone flow benchmark: simulated phones going through the real voter pages (HTML), on PostgreSQL.

    .venv/bin/python bench/phone_flow.py [--phones 500] [--rounds 3] [--rate 150] [--seconds 5]
                                         [--flow js|nojs|both] [--workers N] [--worker-class sync|gthread]
                                         [--threads N] [--postgres URL] [--keep]

What a voter's phone does after "请扫码测评", driven like a browser: every form is read from the HTML just
received (the form's action, its hidden inputs, the radio names and values), nothing about the URLs or the
field names is hard-coded beyond the first URL (the QR code) and the button texts a voter reads.

- flow `js` (a phone with JavaScript, the usual case): GET the ballot page; choose a grade for every
  reporter; do what static/ballots/vote.js does on 下一步 — the review is shown in the page, no request —
  and on 确认提交 post the page's in-page confirmation form (its hidden inputs, with `grades` filled from
  the chosen radios in page order); read the receipt.
- flow `nojs` (JavaScript off): GET the ballot page; POST its form (radios + hidden inputs) to get the
  server-rendered review page; POST the review page's 确认提交 form; read the receipt.

Phases, as in bench/ballot_submit.py (whose box setup, server start and psycopg baseline this reuses):
1. burst: `--phones` phones start at once, `--rounds` times with fresh tokens. voters/s = phones / time until
   the last receipt; p50/p99 of the whole flow (first byte sent → receipt) and of the first page alone.
2. paced: phones arriving at `--rate` per second for `--seconds` (open loop).
3. raw baseline: the same ballots written by plain psycopg from 8 threads in the same run; ratio voters/s / raw.
At the end every acknowledged receipt (a done page with a receipt) is looked up in the database.

Each request is its own connection with `Connection: close` (gunicorn's sync worker closes after each
answer anyway). The load generator is one asyncio process with raw streams and a few regular expressions;
it reports its own CPU seconds. Measured 2026-11-23 on the 2-core machine: about 0.5 ms of its CPU per
request, i.e. ~0.1 core at the rates reached here (see the CPU line each run prints).

Figures, not a test. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import os
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ballot_submit import (
    HOST,
    N_REPORTERS,
    free_port,
    machine_busy_seconds,
    pct,
    raw_baseline,
    server_args,
    setup_box,
    start_server,
    stop_server,
    stored_receipts,
    tree_cpu_seconds,
)
from common import prepare

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/shuping_bench_phone"
GRADE_CYCLE = "12340"

# Light parsing, as a browser reads forms: each <form>'s action, its inputs (type, name, value in whatever
# order the attributes come) and text areas. One C-level regex pass per form, no DOM.
_ACTION = re.compile(r'\baction="([^"]*)"')
_INPUT = re.compile(r'<input\b(?=[^>]*\btype="([^"]*)")(?=[^>]*\bname="([^"]*)")(?=(?:[^>]*\bvalue="([^"]*)")?)[^>]*>')
_TEXTAREA = re.compile(r'<textarea\b[^>]*\bname="([^"]*)"[^>]*>(.*?)</textarea>', re.S)
_RECEIPT = re.compile(r'data-receipt="([A-Z0-9]+)"')


def _text(value: str) -> str:
    return html.unescape(value) if "&" in value else value


@dataclass
class Form:
    action: str
    hidden: list[tuple[str, str]]
    radios: dict[str, list[str]]  # name → values, in page order
    textareas: dict[str, str]
    body: str

    def has_button(self, label: str) -> bool:
        return label in self.body


def forms_of(page: str) -> list[Form]:
    """The page's forms as a browser sees them: action, hidden inputs, radio groups, text areas."""
    out = []
    for chunk in page.split("<form")[1:]:
        head, _, rest = chunk.partition(">")
        body = rest.split("</form>", 1)[0]
        action = _ACTION.search(head)
        hidden: list[tuple[str, str]] = []
        radios: dict[str, list[str]] = {}
        for kind, name, value in _INPUT.findall(body):
            if kind == "hidden":
                hidden.append((name, _text(value)))
            elif kind == "radio":
                radios.setdefault(name, []).append(value)
        textareas = {name: _text(t) for name, t in _TEXTAREA.findall(body)}
        out.append(Form(action=_text(action.group(1)) if action else "", hidden=hidden, radios=radios,
                        textareas=textareas, body=body))
    return out


def form_with(forms: list[Form], label: str) -> Form:
    """The form whose button reads `label` (what the voter taps)."""
    for f in forms:
        if f.has_button(label):
            return f
    raise ValueError(f"no form with {label!r}")


def choose(form: Form, i: int) -> list[tuple[str, str]]:
    """A voter's choices: one value for each reporter's radio group (the item grades under 分项 left alone)."""
    picked = []
    for k, (name, values) in enumerate(form.radios.items()):
        if "_" in name:  # per-item radios inside the closed 分项评价 details
            continue
        want = GRADE_CYCLE[(i * 7 + k * 3) % len(GRADE_CYCLE)]
        picked.append((name, want if want in values else values[0]))
    return picked


class FlowError(Exception):
    pass


async def request(port: int, method: str, path: str, body: bytes = b"", timeout: float = 60.0) -> tuple[int, str]:
    """One HTTP/1.1 request on its own connection; (status, body text)."""
    writer = None
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), timeout)
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        if method == "POST":
            head += f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
        writer.write(head.encode() + b"\r\n" + body)
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), timeout)
    except (TimeoutError, OSError) as e:
        raise FlowError(type(e).__name__) from None
    finally:
        if writer is not None:
            writer.close()
    top, _, payload = raw.partition(b"\r\n\r\n")
    if not top.startswith(b"HTTP/"):
        raise FlowError("no HTTP answer")
    status = int(top.split(b" ", 2)[1])
    if b"chunked" in top.lower():
        raise FlowError("chunked answer")  # not expected from Django's pages
    return status, payload.decode("utf-8", "replace")


@dataclass
class Outcome:
    flow_ms: list[float] = field(default_factory=list)
    first_ms: list[float] = field(default_factory=list)
    receipts: list[str] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    requests: int = 0

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1

    def merge(self, other: Outcome) -> None:
        self.flow_ms += other.flow_ms
        self.first_ms += other.first_ms
        self.receipts += other.receipts
        self.requests += other.requests
        for k, v in other.errors.items():
            self.errors[k] = self.errors.get(k, 0) + v


async def post_form(port: int, form: Form, fields: list[tuple[str, str]], out: Outcome) -> str:
    out.requests += 1
    status, page = await request(port, "POST", form.action, urlencode(fields).encode())
    if status != 200:
        raise FlowError(f"HTTP {status} on POST")
    return page


async def phone(port: int, secret: str, i: int, flow: str, out: Outcome) -> None:
    """One voter, from the QR code's URL to the receipt."""
    t0 = time.perf_counter()
    try:
        out.requests += 1
        status, page = await request(port, "GET", f"/v/{quote(secret)}/")
        first = (time.perf_counter() - t0) * 1000
        if status != 200:
            raise FlowError(f"HTTP {status} on GET")
        forms = forms_of(page)
        ballot = form_with(forms, "下一步")
        chosen = choose(ballot, i)
        if flow == "js":
            # vote.js: 下一步 shows the review in the page; 确认提交 posts the in-page confirmation form with
            # `grades` = the chosen value of each reporter's radio group in page order.
            confirm = form_with(forms, "确认提交")
            grades = "".join(v for _, v in chosen)
            fields = [(n, grades if n == "grades" else v) for n, v in confirm.hidden]
            done = await post_form(port, confirm, fields, out)
        else:
            fields = [*ballot.hidden, *chosen, *ballot.textareas.items()]
            review = await post_form(port, ballot, fields, out)
            confirm = form_with(forms_of(review), "确认提交")
            done = await post_form(port, confirm, confirm.hidden, out)
        m = _RECEIPT.search(done)
        if not m:
            raise FlowError("no receipt")
    except (FlowError, ValueError) as e:
        out.error(str(e))
        return
    out.first_ms.append(first)
    out.flow_ms.append((time.perf_counter() - t0) * 1000)
    out.receipts.append(m.group(1))


async def burst(port: int, secrets: list[str], start: int, flow: str) -> tuple[Outcome, float]:
    out = Outcome()
    t0 = time.perf_counter()
    await asyncio.gather(*(phone(port, s, start + i, flow, out) for i, s in enumerate(secrets)))
    return out, time.perf_counter() - t0


async def paced(port: int, secrets: list[str], rate: float, max_in_flight: int, flow: str) -> tuple[Outcome, float]:
    out = Outcome()
    gate = asyncio.Semaphore(max_in_flight)
    t0 = time.perf_counter()

    async def one(i: int, secret: str) -> None:
        async with gate:
            await phone(port, secret, i, flow, out)

    tasks = []
    for i, secret in enumerate(secrets):
        delay = t0 + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, secret)))
    await asyncio.gather(*tasks)
    return out, time.perf_counter() - t0


def describe(label: str, out: Outcome, n: int, elapsed: float) -> str:
    errors = sum(out.errors.values())
    detail = "，".join(f"{k} ×{v}" for k, v in sorted(out.errors.items()))
    return (f"{label}: {len(out.receipts)}/{n} 人已提交，{len(out.receipts) / elapsed:,.0f} 人/秒；"
            f"全程 p50 {pct(out.flow_ms, 50):.0f} ms p99 {pct(out.flow_ms, 99):.0f} ms；"
            f"首页 p50 {pct(out.first_ms, 50):.0f} ms p99 {pct(out.first_ms, 99):.0f} ms；"
            f"错误 {errors}{'（' + detail + '）' if detail else ''}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phones", type=int, default=500, help="同时扫码的手机数（默认 500）")
    parser.add_argument("--rounds", type=int, default=3, help="集中投票轮数（默认 3，取中位数）")
    parser.add_argument("--rate", type=float, default=150, help="匀速到达：每秒到达人数（默认 150）")
    parser.add_argument("--seconds", type=float, default=5, help="匀速到达持续秒数（默认 5；0 跳过）")
    parser.add_argument("--flow", choices=["js", "nojs", "both"], default="both",
                        help="js：页内核对后直接提交（默认同时测两种）；nojs：经服务器核对页")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn 工作进程数（默认 shuping serve 的默认值）")
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default=None, help="gunicorn worker 类型")
    parser.add_argument("--threads", type=int, default=None, help="gthread 每进程线程数")
    parser.add_argument("--baseline", type=int, default=5000, help="psycopg 基线写入张数（默认 5000）")
    parser.add_argument("--postgres", default=DEFAULT_URL, metavar="URL", help=f"PostgreSQL（默认 {DEFAULT_URL}，会删除重建）")
    parser.add_argument("--keep", action="store_true", help="保留数据目录和数据库")
    args = parser.parse_args()
    phones = max(1, min(args.phones, 2000))
    rounds = max(1, min(args.rounds, 10))
    rate = max(1.0, min(args.rate, 2000.0))
    n_paced = int(rate * max(0.0, min(args.seconds, 30.0)))
    n_baseline = max(100, min(args.baseline, 50000))
    flows = ["js", "nojs"] if args.flow == "both" else [args.flow]
    warm = 40

    bench = prepare(args.postgres, args.keep)
    proc = None
    try:
        t0 = time.perf_counter()
        need = len(flows) * (warm + phones * rounds + n_paced) + n_baseline
        box_id, secrets = setup_box(need)
        from django.db import connections

        connections.close_all()
        print(f"数据：{N_REPORTERS} 名述职人，{len(secrets)} 个测评码，PostgreSQL；准备 {time.perf_counter() - t0:.1f} s")
        port = free_port()
        extra = server_args(args.worker_class, args.threads)
        workers = args.workers
        proc = start_server(bench.env, port, workers, bench.data_dir / "server.log", extra)
        print(f"服务器 http://{HOST}:{port}（shuping serve {' '.join(extra) or '默认配置'}"
              f"{f'，{workers} 个 worker' if workers else ''}），负载与服务器、数据库共用 {os.cpu_count()} 核\n")

        cursor = 0
        acknowledged: set[str] = set()
        summary: dict[str, tuple[float, Outcome, Outcome | None, float]] = {}
        cpu_lines: dict[str, str] = {}
        cpu0, wall0 = time.process_time(), time.perf_counter()
        requests = 0
        for flow in flows:
            warm_out, _ = asyncio.run(burst(port, secrets[cursor:cursor + warm], cursor, flow))
            cursor += warm
            if warm_out.errors:
                raise SystemExit(f"预热失败：{warm_out.errors}，日志：{bench.data_dir / 'server.log'}")
            acknowledged |= set(warm_out.receipts)
            results = []
            used0 = (tree_cpu_seconds(proc.pid), time.process_time(), machine_busy_seconds(), time.perf_counter())
            for r in range(rounds):
                out, elapsed = asyncio.run(burst(port, secrets[cursor:cursor + phones], cursor, flow))
                cursor += phones
                requests += out.requests
                acknowledged |= set(out.receipts)
                results.append((len(out.receipts) / elapsed, out, elapsed))
                print(describe(f"[{flow}] 集中扫码 第{r + 1}轮（{phones} 部手机同时）", out, phones, elapsed))
            used = [b - a for a, b in zip(used0, (tree_cpu_seconds(proc.pid), time.process_time(),
                                                    machine_busy_seconds(), time.perf_counter()), strict=True)]
            voters = rounds * phones
            cpu_lines[flow] = (f"[{flow}] 集中扫码 CPU：服务器 {used[0] / voters * 1000:.2f} ms/人，负载发生器 "
                               f"{used[1] / voters * 1000:.2f} ms/人；整机忙 {used[2] / used[3]:.2f} 核"
                               f"（其中服务器 {used[0] / used[3]:.2f}、负载发生器 {used[1] / used[3]:.2f}，"
                               f"其余为 PostgreSQL 和机器上的其他进程）")
            print(cpu_lines[flow])
            paced_out = None
            if n_paced:
                paced_out, paced_elapsed = asyncio.run(
                    paced(port, secrets[cursor:cursor + n_paced], rate, phones, flow))
                cursor += n_paced
                requests += paced_out.requests
                acknowledged |= set(paced_out.receipts)
                print(describe(f"[{flow}] 匀速到达（每秒 {rate:.0f} 人，共 {n_paced} 人）", paced_out, n_paced,
                               paced_elapsed))
            rates = sorted(x[0] for x in results)
            all_bursts = Outcome()
            for _, o, _ in results:
                all_bursts.merge(o)
            summary[flow] = (statistics.median(rates), all_bursts, paced_out, max(x[2] for x in results))
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0

        raw_rate = raw_baseline(args.postgres, box_id, secrets[cursor:cursor + n_baseline])
        stored = stored_receipts(box_id)
        missing = acknowledged - stored
        print(f"基线（psycopg 直连，8 线程，令牌 UPDATE + 选票 INSERT 每张一个事务）：{raw_rate:,.0f} 张/秒")
        print(f"负载发生器 CPU：{cpu:.1f} s / 墙钟 {wall:.1f} s（{cpu / wall:.0%} 核），{requests} 个请求，"
              f"每请求 {cpu / max(1, requests) * 1000:.2f} ms")
        print()
        for flow, (median_rate, out, paced_out, _) in summary.items():
            errors = sum(out.errors.values()) + (sum(paced_out.errors.values()) if paced_out else 0)
            line = (f"[{flow}] {phones} 部同时：中位 {median_rate:,.0f} 人/秒，全程 p50 {pct(out.flow_ms, 50):.0f} ms "
                    f"p99 {pct(out.flow_ms, 99):.0f} ms，首页 p50 {pct(out.first_ms, 50):.0f} ms "
                    f"p99 {pct(out.first_ms, 99):.0f} ms（{rounds} 轮合计）")
            if paced_out:
                line += (f"；匀速 {rate:.0f}/s 全程 p50 {pct(paced_out.flow_ms, 50):.0f} ms "
                         f"p99 {pct(paced_out.flow_ms, 99):.0f} ms")
            print(line + f"；错误 {errors}；手机流程 / 数据库直写 = {median_rate / raw_rate:.2f}")
            print("  " + cpu_lines[flow])
        print(f"已确认回执 {len(acknowledged)} 张，均已存储：{'是' if not missing else f'否，缺 {len(missing)}'}"
              f"（确认未存储 {len(missing)}）")
    finally:
        if proc is not None:
            stop_server(proc)
        from django.db import connections

        connections.close_all()
        bench.close()


if __name__ == "__main__":
    main()
