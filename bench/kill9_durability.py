"""Durability under a hard crash: every ballot acknowledged with "已提交" is still there after kill -9.

    .venv/bin/python bench/kill9_durability.py [--ballots 2000] [--in-flight 200] [--kill-after 0.6]
                                               [--postgres URL] [--keep]

Starts the real server (`python -m shuping serve`, gunicorn) on a throw-away PostgreSQL database with an
open 30-reporter box, fires `--ballots` submissions to /api/ballots/cast with `--in-flight` at a time, and
`kill -9`s the whole server (master and workers) `--kill-after` seconds into the load. Every response that
said 已提交 (HTTP 200 with a receipt) is recorded. Then it restarts the server and checks:

1. encrypted ballots in the urn == used tokens (no ballot without its token claim, no claim without its ballot);
2. the phones whose answer was lost retry with the same nonce: each gets 已提交 or "already counted",
   never a refusal;
3. 封箱 after the crash decrypts every ballot (the urn key survived kill -9) and every acknowledged receipt is
   among the sealed ones; ballots == tokens submitted, exactly once each.

Prints the figures; exits non-zero if a check fails. Bounded, loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ballot_submit import Outcome, ballot_body, free_port, post_once, setup_box, start_server
from common import prepare

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/shuping_bench_kill9"


async def load_then_kill(port: int, secrets: list[str], in_flight: int, kill_at: int, kill_after: float,
                         proc: subprocess.Popen[bytes]) -> tuple[Outcome, dict[int, str]]:
    """Submit everything; kill -9 the server's process group once `kill_at` ballots were acknowledged
    (at most `kill_after` s in). Returns the outcome and,
    per submission index, the receipt if it was acknowledged."""
    out = Outcome()
    acked: dict[int, str] = {}
    gate = asyncio.Semaphore(in_flight)

    async def phone(i: int, secret: str) -> None:
        async with gate:
            single = Outcome()
            await post_once(port, ballot_body(secret, i), single, timeout=10)
            if single.receipts:
                acked[i] = single.receipts[0]
                out.receipts.append(single.receipts[0])
            for k, v in single.errors.items():
                out.errors[k] = out.errors.get(k, 0) + v

    async def killer() -> None:
        # Mid-load: once a share of the ballots has been acknowledged (or after kill_after s at the latest).
        deadline = time.monotonic() + kill_after
        while len(acked) < kill_at and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        os.killpg(proc.pid, signal.SIGKILL)  # master and every worker at once, like a power cut of the app

    await asyncio.gather(killer(), *(phone(i, s) for i, s in enumerate(secrets)))
    return out, acked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ballots", type=int, default=2000, help="提交总数（默认 2000）")
    parser.add_argument("--in-flight", type=int, default=200, help="同时在途的提交数（默认 200）")
    parser.add_argument("--kill-at", type=float, default=0.3, help="已确认达到总数的多少比例时 kill -9（默认 0.3）")
    parser.add_argument("--kill-after", type=float, default=20, help="最迟开始后多少秒 kill -9（默认 20）")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn 同步工作进程数（默认 2）")
    parser.add_argument("--postgres", default=DEFAULT_URL, metavar="URL", help=f"PostgreSQL（默认 {DEFAULT_URL}，会删除重建）")
    parser.add_argument("--keep", action="store_true", help="保留数据目录和数据库")
    args = parser.parse_args()
    n = max(10, min(args.ballots, 20000))
    in_flight = max(1, min(args.in_flight, 1000))

    bench = prepare(args.postgres, args.keep)
    proc = None
    ok = True
    try:
        box_id, secrets = setup_box(n + 20)
        secrets, warm = secrets[:n], secrets[n:]
        from django.db import connections, transaction

        from shuping.ballots import urn
        from shuping.ballots.models import Ballot, BallotBox, BallotReceipt, BallotToken, EncryptedBallot, TokenStatus

        connections.close_all()
        log = bench.data_dir / "server.log"
        port = free_port()
        proc = start_server(bench.env, port, args.workers, log, new_session=True)
        warm_out = Outcome()

        async def warm_up() -> None:  # the workers' first requests (imports, connections) are slow
            await asyncio.gather(*(post_once(port, ballot_body(s, 10**6 + i), warm_out) for i, s in enumerate(warm)))

        asyncio.run(warm_up())
        kill_at = int(n * max(0.01, min(args.kill_at, 0.95)))
        t0 = time.perf_counter()
        out, acked = asyncio.run(load_then_kill(port, secrets, in_flight, kill_at, args.kill_after, proc))
        proc.wait(timeout=10)
        print(f"{n} 张提交，{in_flight} 张同时在途；已确认约 {kill_at} 张时 kill -9 服务器（主进程和全部 worker），"
              f"用时 {time.perf_counter() - t0:.1f} s")
        print(f"  已确认（已提交+回执）：{len(acked)}；未得到答复：{n - len(acked)}（{out.errors}）")

        # While voting, ballots are ciphertext in the urn: what can be checked now is the count.
        in_urn = EncryptedBallot.objects.filter(box_id=box_id).count()
        used = BallotToken.objects.filter(box_id=box_id, status=TokenStatus.USED).count()
        print(f"重启前数据库：票箱内加密选票 {in_urn} 张，已使用测评码 {used} 个")
        print(f"  1. 加密选票数 == 已使用测评码数：{'是' if in_urn == used else '否'}")
        ok &= in_urn == used
        connections.close_all()

        proc = start_server(bench.env, port, args.workers, log, new_session=True)
        retry = [i for i in range(n) if i not in acked]
        again = Outcome()

        async def retry_all() -> None:
            gate = asyncio.Semaphore(in_flight)

            async def one(i: int) -> None:
                async with gate:
                    await post_once(port, ballot_body(secrets[i], i), again)

            await asyncio.gather(*(one(i) for i in retry))

        asyncio.run(retry_all())
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        # 封箱 after the crash: the urn key survived kill -9 (fsynced before the first ballot), so every
        # acknowledged ballot decrypts and is sealed.
        with transaction.atomic():
            box = BallotBox.objects.select_for_update().get(pk=box_id)
            urn.seal(box)
        stored_after = set(BallotReceipt.objects.filter(box_id=box_id).values_list("receipt", flat=True))
        lost = set(acked.values()) - stored_after
        print(f"封箱后：选票 {Ballot.objects.filter(box_id=box_id).count()} 张，回执码 {len(stored_after)} 个；"
              f"已确认 ⊆ 封箱后的选票：{'是' if not lost else f'否，丢失 {len(lost)} 张'}")
        ok &= not lost
        used_after = BallotToken.objects.filter(box_id=box_id, status=TokenStatus.USED).count()
        print(f"重启后，{len(retry)} 部未得到答复的手机用同一提交码重试：{len(again.receipts)} 张得到 已提交/已计入，"
              f"拒绝或错误 {sum(again.errors.values())}（{again.errors}）")
        total = n + len(warm_out.receipts)
        print(f"  3. 最终选票 {len(stored_after)} 张 == 提交的测评码 {total} 个（含预热 {len(warm_out.receipts)}）"
              f" == 已使用测评码 {used_after} 个：{'是' if len(stored_after) == total == used_after else '否'}")
        ok &= not again.errors and len(stored_after) == total == used_after
        ok &= set(acked.values()) <= stored_after
    finally:
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        from django.db import connections

        connections.close_all()
        bench.close()
    print("结论：" + ("通过" if ok else "未通过"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
