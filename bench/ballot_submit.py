"""Ballot submission benchmark: simulated phones casting through the real server on PostgreSQL.

    .venv/bin/python bench/ballot_submit.py [--phones 500] [--rounds 3] [--rate 500] [--seconds 5]
                                            [--workers 4] [--postgres URL] [--keep]

A throw-away PostgreSQL database gets a campaign with 30 reporters and an open ballot box with enough tokens;
`python -m shuping serve` (gunicorn) starts on a free 127.0.0.1 port. Then, all on loopback:

1. burst: `--phones` phones at once, each one JSON POST to /api/ballots/cast (asyncio streams, one
   connection each), `--rounds` times with fresh tokens: ballots/s = phones / time until the last answer,
   p50/p99 of the phones' waits (connect → full answer). With everyone at once, p99 ≈ the whole burst.
2. paced: phones arriving at `--rate` per second for `--seconds` (open loop, up to `--phones` in flight):
   the latency a phone sees when the venue submits at that rate.
3. baseline: the same writes by plain psycopg in the same run — per ballot one transaction with the token's
   conditional UPDATE and the ballot INSERT — from 8 threads; and the ratio server / raw database. (The
   baseline writes a plain ballot row, not the sealed urn's ciphertext: the ratio includes the urn's cost.)

Workers: gunicorn sync workers, 4 by default on this 2-core machine. A cast is short CPU work followed by
waits on PostgreSQL (the commit's fsync above all); with 2 workers both are often waiting and a core idles,
with 4 the cores stay busy while the database has at most 4 connections (each worker keeps one: bounded,
unlike the async servers in shared/limits.md). More workers only add contention with the load generator
and PostgreSQL for the same two cores. Try `--workers 2/3/5` to see.

Figures, not a test. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, district_rows, load_district, prepare

HOST = "127.0.0.1"
CAST_PATH = "/api/ballots/cast"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/shuping_bench_ballots"
N_REPORTERS = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def setup_box(n_tokens: int) -> tuple[int, list[str]]:
    """A campaign with 30 reporters, an open box, `n_tokens` tokens (4 groups). Returns (box id, secrets)."""
    from django.utils import timezone

    from shuping.ballots import codes
    from shuping.ballots.models import BallotBox, BallotLine, BallotToken, BoxState

    campaign, _ = load_district(district_rows(mids=N_REPORTERS, per_mid=1), participants=N_REPORTERS)
    box = BallotBox.objects.create(campaign=campaign, state=BoxState.OPEN, opened_at=timezone.now())
    BallotLine.objects.bulk_create([BallotLine(box=box, participant=p, position=i)
                                    for i, p in enumerate(campaign.participants.order_by("speaking_order", "pk"))])
    tokens = [BallotToken(box=box, group=i % 4, serial=i + 1, secret=codes.new_secret(), code=codes.new_code())
              for i in range(n_tokens)]
    BallotToken.objects.bulk_create(tokens, batch_size=2000)
    return box.pk, [t.secret for t in tokens]


def start_server(env: dict[str, str], port: int, workers: int | None, log_path: Path,
                 extra: list[str] | None = None, new_session: bool = False) -> subprocess.Popen[bytes]:
    """`shuping serve` (gunicorn) in the background; `new_session` puts it in its own process group
    (so the durability bench can kill -9 master and workers together). `workers` None: serve's default."""
    python = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
    cmd = [python, "-m", "shuping", "serve", "--no-migrate", "--bind", f"{HOST}:{port}",
           *(["--workers", str(workers)] if workers else []), "--", "--backlog", "2048", *(extra or [])]
    base = {k: v for k, v in os.environ.items() if not k.startswith("SHUPING_")}
    log = log_path.open("ab")
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**base, **env}, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=new_session)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"服务器启动失败（退出码 {proc.returncode}），日志：{log_path}")
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"服务器 90 秒内未就绪，日志：{log_path}")


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) used so far by process `pid` and its children (gunicorn: master + workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry) == pid or int(fields[1]) == pid:  # fields[1]: the parent's pid
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy so far (all processes, all cores; /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


def server_args(worker_class: str | None, threads: int | None) -> list[str]:
    """gunicorn arguments for --worker-class/--threads (none: shuping serve's defaults)."""
    return [*(["--worker-class", worker_class] if worker_class else []), *(["--threads", str(threads)] if threads else [])]


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, and SIGKILL if it has not stopped within 15 s."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def ballot_body(secret: str, i: int) -> bytes:
    grades = "".join("12340"[(i * 7 + k * 3) % 5] for k in range(N_REPORTERS))
    return json.dumps({"token": secret, "grades": grades, "nonce": f"bench-{secret[:8]}-{i}"}).encode()


@dataclass
class Outcome:
    latencies_ms: list[float] = field(default_factory=list)
    receipts: list[str] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


async def post_once(port: int, body: bytes, out: Outcome, timeout: float = 60.0) -> None:
    """One phone: connect, one POST, read the whole answer. A 200 with a receipt is an acknowledgement."""
    t0 = time.perf_counter()
    writer = None
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), timeout)
        writer.write(b"POST " + CAST_PATH.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/json\r\nConnection: close\r\n"
                     b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), timeout)
    except (TimeoutError, OSError) as e:
        out.error(type(e).__name__)
        return
    finally:
        if writer is not None:
            writer.close()
    ms = (time.perf_counter() - t0) * 1000
    head, _, payload = raw.partition(b"\r\n\r\n")
    status = head.split(b" ", 2)[1].decode() if head.startswith(b"HTTP/") else "?"
    if status != "200":
        out.error(f"HTTP {status}")
        return
    try:
        receipt = json.loads(payload)["receipt"]
    except (ValueError, KeyError):
        out.error("bad body")
        return
    out.latencies_ms.append(ms)
    out.receipts.append(receipt)


async def burst(port: int, secrets: list[str], start: int) -> tuple[Outcome, float]:
    """All phones at once. Returns the outcome and the wall time until the last answer."""
    out = Outcome()
    bodies = [ballot_body(s, start + i) for i, s in enumerate(secrets)]
    t0 = time.perf_counter()
    await asyncio.gather(*(post_once(port, b, out) for b in bodies))
    return out, time.perf_counter() - t0


async def paced(port: int, secrets: list[str], rate: float, max_in_flight: int) -> tuple[Outcome, float]:
    """Phones arriving at `rate` per second (open loop), at most `max_in_flight` waiting at once."""
    out = Outcome()
    gate = asyncio.Semaphore(max_in_flight)
    t0 = time.perf_counter()

    async def phone(i: int, secret: str) -> None:
        async with gate:
            await post_once(port, ballot_body(secret, i), out)

    tasks = []
    for i, secret in enumerate(secrets):
        delay = t0 + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(phone(i, secret)))
    await asyncio.gather(*tasks)
    return out, time.perf_counter() - t0


def raw_baseline(database_url: str, box_id: int, secrets: list[str], threads: int = 8) -> float:
    """The same writes straight through psycopg: per ballot, one transaction of the token's conditional
    UPDATE and the ballot INSERT. Returns ballots/s."""
    import uuid

    import psycopg

    with psycopg.connect(database_url) as conn:
        ids = dict(conn.execute("SELECT secret, id FROM ballots_ballottoken WHERE secret = ANY(%s)",
                                (secrets,)).fetchall())
    work = [(ids[s], ballot_body(s, i)) for i, s in enumerate(secrets)]
    lock = threading.Lock()
    failures = [0]

    def worker(chunk: list[tuple[int, bytes]]) -> None:
        with psycopg.connect(database_url) as conn:
            for token_id, body in chunk:
                grades = json.loads(body)["grades"]
                with conn.transaction():
                    cur = conn.execute("UPDATE ballots_ballottoken SET status='used', channel='phone', "
                                       "submission_hash=%s WHERE id=%s AND status='issued'", ("x" * 64, token_id))
                    if cur.rowcount != 1:
                        with lock:
                            failures[0] += 1
                        continue
                    conn.execute('INSERT INTO ballots_ballot (id, box_id, "group", grades, item_grades) '
                                 "VALUES (%s, %s, %s, %s, '')", (uuid.uuid4(), box_id, token_id % 4, grades))

    chunks = [work[i::threads] for i in range(threads)]
    pool = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    t0 = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - t0
    if failures[0]:
        print(f"  基线：{failures[0]} 次更新未命中")
    return len(work) / elapsed


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))] if ordered else float("nan")


def describe(label: str, out: Outcome, n: int, elapsed: float) -> str:
    errors = sum(out.errors.values())
    detail = "，".join(f"{k} ×{v}" for k, v in out.errors.items())
    return (f"{label}: {len(out.receipts)}/{n} 张已提交，{len(out.receipts) / elapsed:,.0f} 张/秒，"
            f"p50 {pct(out.latencies_ms, 50):.0f} ms，p99 {pct(out.latencies_ms, 99):.0f} ms，"
            f"错误 {errors}{'（' + detail + '）' if detail else ''}")


def stored_receipts(box_id: int) -> set[str]:
    """The receipts the database holds for the box. While voting they are inside the sealed urn's ciphertext,
    so this seals the urn first (as 封箱 does, shuping.ballots.urn) and reads the receipts it set apart."""
    from django.db import transaction

    from shuping.ballots import urn
    from shuping.ballots.models import BallotBox, BallotReceipt

    with transaction.atomic():
        urn.seal(BallotBox.objects.select_for_update().get(pk=box_id))
    return set(BallotReceipt.objects.filter(box_id=box_id).values_list("receipt", flat=True))


WRK_SCRIPT = r"""
-- Each wrk thread casts with its own slice of the token file, one token per request, never twice.
local tokens = {}
for line in io.lines("%(tokens)s") do tokens[#tokens + 1] = line end
local counter = 1
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  thread:set("nthreads", %(threads)d)
  table.insert(threads, thread)
end
function init(args)
  counter = id + 1
  non200 = 0
end
function request()
  local secret = tokens[counter] or tokens[#tokens]
  counter = counter + nthreads
  local grades = string.rep("12340", 6)
  local body = '{"token":"' .. secret .. '","grades":"' .. grades .. '","nonce":"wrk-' .. secret .. '"}'
  return wrk.format("POST", "%(path)s", {["Content-Type"] = "application/json"}, body)
end
function response(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
end
function done(summary, latency, requests)
  local errs = 0
  for _, t in ipairs(threads) do errs = errs + (t:get("non200") or 0) end
  io.write(string.format("WRK requests=%%d seconds=%%.3f p50=%%.1f p99=%%.1f non200=%%d sockerr=%%d\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    errs, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def wrk_phase(port: int, secrets: list[str], connections: int, seconds: int, work_dir: Path) -> str | None:
    """The same casts driven by wrk (C, 2 threads): the server's rate without a Python load generator
    competing for the two cores. None when wrk is not installed (apt-get install wrk)."""
    import shutil

    if shutil.which("wrk") is None:
        return None
    tokens = work_dir / "wrk-tokens.txt"
    tokens.write_text("\n".join(secrets) + "\n")
    script = work_dir / "cast.lua"
    script.write_text(WRK_SCRIPT % {"tokens": tokens, "threads": 2, "path": CAST_PATH})
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script),
                          f"http://{HOST}:{port}/"], capture_output=True, text=True, timeout=seconds + 60)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("WRK ")), "")
    if not line:
        return f"wrk 未给出结果：{out.stdout[-300:]} {out.stderr[-300:]}"
    f = dict(kv.split("=") for kv in line[4:].split())
    rate = int(f["requests"]) / float(f["seconds"])
    return (f"wrk（C 负载发生器，{connections} 个并发连接，{seconds} s）：{rate:,.0f} 张/秒，p50 {float(f['p50']):.0f} ms，"
            f"p99 {float(f['p99']):.0f} ms，非 200 应答 {f['non200']}，连接错误 {f['sockerr']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phones", type=int, default=500, help="同时投票的手机数（默认 500）")
    parser.add_argument("--rounds", type=int, default=3, help="集中提交轮数（默认 3，取中位数）")
    parser.add_argument("--rate", type=float, default=500, help="匀速到达：每秒提交数（默认 500）")
    parser.add_argument("--seconds", type=float, default=5, help="匀速到达持续秒数（默认 5）")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn 工作进程数（默认 shuping serve 的默认值）")
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default=None, help="gunicorn worker 类型")
    parser.add_argument("--threads", type=int, default=None, help="gthread 每进程线程数")
    parser.add_argument("--baseline", type=int, default=5000, help="psycopg 基线写入张数（默认 5000）")
    parser.add_argument("--postgres", default=DEFAULT_URL, metavar="URL", help=f"PostgreSQL（默认 {DEFAULT_URL}，会删除重建）")
    parser.add_argument("--keep", action="store_true", help="保留数据目录和数据库")
    parser.add_argument("--wrk-seconds", type=int, default=10, help="wrk 阶段秒数（默认 10；0 跳过；需要 wrk）")
    args = parser.parse_args()
    phones = max(1, min(args.phones, 2000))
    rounds = max(1, min(args.rounds, 10))
    rate = max(1.0, min(args.rate, 5000.0))
    n_paced = int(rate * max(1.0, min(args.seconds, 30.0)))
    n_baseline = max(100, min(args.baseline, 50000))
    warm = 40

    bench = prepare(args.postgres, args.keep)
    proc = None
    try:
        t0 = time.perf_counter()
        wrk_seconds = max(0, min(args.wrk_seconds, 60))
        n_wrk = 2000 * wrk_seconds  # more than the server can take in that time
        box_id, secrets = setup_box(warm + phones * rounds + n_paced + n_baseline + n_wrk)
        from django.db import connections

        connections.close_all()
        print(f"数据：{N_REPORTERS} 名述职人，{len(secrets)} 个测评码，PostgreSQL；准备 {time.perf_counter() - t0:.1f} s")
        port = free_port()
        extra = server_args(args.worker_class, args.threads)
        proc = start_server(bench.env, port, args.workers, bench.data_dir / "server.log", extra)
        print(f"服务器 http://{HOST}:{port}（shuping serve {' '.join(extra) or '默认配置'}"
              f"{f'，{args.workers} 个 worker' if args.workers else ''}），负载与服务器、数据库共用 {os.cpu_count()} 核\n")

        cursor = 0
        warm_out, _ = asyncio.run(burst(port, secrets[:warm], 0))  # imports, connections, the layout cache
        if warm_out.errors:
            raise SystemExit(f"预热失败：{warm_out.errors}，日志：{bench.data_dir / 'server.log'}")
        cursor = warm
        acknowledged: set[str] = set(warm_out.receipts)

        results = []
        for r in range(rounds):
            chunk = secrets[cursor:cursor + phones]
            cursor += phones
            out, elapsed = asyncio.run(burst(port, chunk, cursor))
            acknowledged |= set(out.receipts)
            results.append((len(out.receipts) / elapsed, out, elapsed))
            print(describe(f"集中提交 第{r + 1}轮（{phones} 部手机同时）", out, phones, elapsed))
        results.sort(key=lambda x: x[0])
        median_rate, median_out, _ = results[len(results) // 2]

        chunk = secrets[cursor:cursor + n_paced]
        cursor += n_paced
        paced_out, paced_elapsed = asyncio.run(paced(port, chunk, rate, phones))
        acknowledged |= set(paced_out.receipts)
        print(describe(f"匀速到达（每秒 {rate:.0f} 部，共 {n_paced} 部）", paced_out, n_paced, paced_elapsed))

        wrk_line = None
        if wrk_seconds:
            wrk_line = wrk_phase(port, secrets[cursor:cursor + n_wrk], phones, wrk_seconds, bench.data_dir)
            cursor += n_wrk
            print(wrk_line or "wrk 未安装，跳过 C 负载发生器阶段（apt-get install wrk）")

        raw_rate = raw_baseline(args.postgres, box_id, secrets[cursor:cursor + n_baseline])
        stored = stored_receipts(box_id)
        missing = acknowledged - stored
        errors = sum(sum(o.errors.values()) for _, o, _ in results) + sum(paced_out.errors.values())
        print(f"基线（psycopg 直连，8 线程，令牌 UPDATE + 选票 INSERT 每张一个事务）：{raw_rate:,.0f} 张/秒")
        print()
        print(f"集中提交中位数：{median_rate:,.0f} 张/秒（目标 ≥ 500），p50 {pct(median_out.latencies_ms, 50):.0f} ms，"
              f"p99 {pct(median_out.latencies_ms, 99):.0f} ms（目标 < 300）")
        print(f"匀速 {rate:.0f}/s：p50 {pct(paced_out.latencies_ms, 50):.0f} ms，p99 {pct(paced_out.latencies_ms, 99):.0f} ms")
        print(f"服务器 / 数据库直写 = {median_rate / raw_rate:.2f}")
        print(f"错误 {errors}；已确认回执 {len(acknowledged)} 张，均已存储：{'是' if not missing else f'否，缺 {len(missing)}'}")
    finally:
        if proc is not None:
            stop_server(proc)
        from django.db import connections

        connections.close_all()
        bench.close()


if __name__ == "__main__":
    main()
