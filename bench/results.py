"""Results benchmark: 统分 for 300 reporters, 25 judges each and 100,000 ballots, on SQLite and PostgreSQL.

    .venv/bin/python bench/results.py [--reporters 300] [--judges 25] [--ballots 100000] [--runs 3]
                                      [--postgres [URL]] [--sqlite-only] [--keep]

For each database (throw-away, see bench/common.py) it builds a campaign in 统分中 with `--reporters`
participants, a panel of `--judges` judges with a submitted sheet for every reporter, 日常考核 scores for all,
and a closed ballot box with `--ballots` ballots over all reporters. Then, median of `--runs` runs:

- `actions.compute_results` end to end — what the 统分 button does: read every input (the ballots in one
  streamed query), count, compute, store the sheet, its rows and the audit event (target < 2 s);
- of which pure maths: `maths.compute` + `maths.as_data` on the gathered inputs, and the pure ballot count
  `tally.tally()` on rows already in memory — the rest is the database (reads and writes);
- baseline: the raw `SELECT "group", grades` of the ballots through a plain cursor (fetchall).

Figures, not a test.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import add_database_args, insert_ballots, prepare, run_per_database, timed

TARGET_S = 2.0


def build(n_reporters: int, n_judges: int, n_ballots: int) -> Any:
    from decimal import Decimal

    from django.db import connection, transaction
    from django.utils import timezone

    from shuping.accounts.models import Role, User, UserRole
    from shuping.ballots.models import BallotBox, BallotLine, BoxState
    from shuping.campaigns.models import Campaign, CampaignState, Participant
    from shuping.orgs.models import Person, Unit
    from shuping.scoring.models import JudgeScore, JudgeSeat, RoutineScore

    rnd = random.Random(2026)
    now = timezone.now()
    with transaction.atomic():
        root = Unit.objects.create(code="T", name="基准区委", type="党委", category="区县委")
        units = Unit.objects.bulk_create([
            Unit(code=f"T{i:03d}", name=f"第{i}单位党委", type="党委", category="街道", parent=root, sort_order=i)
            for i in range(1, n_reporters + 1)
        ])
        people = Person.objects.bulk_create([Person(name=f"书记{i}", unit=u, position="书记")
                                             for i, u in enumerate(units)])
        campaign = Campaign.objects.create(year=2026, title="基准考核", committee=root, state=CampaignState.TALLYING)
        parts = Participant.objects.bulk_create([
            Participant(campaign=campaign, unit=u, secretary=p, speaking_order=i + 1)
            for i, (u, p) in enumerate(zip(units, people, strict=True))
        ])
        organiser = User.objects.create_user("bench-organiser", password="x")
        UserRole.objects.create(user=organiser, role=Role.ORGANISER)
        judges = [User.objects.create_user(f"bench-judge{i}", password="x") for i in range(n_judges)]
        UserRole.objects.bulk_create([UserRole(user=j, role=Role.JUDGE) for j in judges])
        JudgeSeat.objects.bulk_create([JudgeSeat(campaign=campaign, user=j) for j in judges])
        sheets = []
        for p in parts:
            for j in judges:
                pts = [Decimal(rnd.randint(20, 30)), Decimal(rnd.randint(28, 40)), Decimal(rnd.randint(12, 20)),
                       Decimal(rnd.randint(50, 100)) / 10]
                sheets.append(JudgeScore(participant=p, judge=j, points=[str(x) for x in pts], total=sum(pts),
                                         submitted_at=now))
        JudgeScore.objects.bulk_create(sheets, batch_size=2000)
        RoutineScore.objects.bulk_create([
            RoutineScore(participant=p, score=Decimal(rnd.randint(7000, 10000)) / 100, source=f"基准 第 {i + 2} 行",
                         imported_by=organiser) for i, p in enumerate(parts)])
        box = BallotBox.objects.create(campaign=campaign, state=BoxState.CLOSED)
        BallotLine.objects.bulk_create([BallotLine(box=box, participant=p, position=i) for i, p in enumerate(parts)])

    load_s = insert_ballots(box, n_ballots, n_reporters)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return Campaign.objects.get(pk=campaign.pk), organiser, box, load_s


def child(kind: str, n_reporters: int, n_judges: int, n_ballots: int, runs: int, pg_url: str, keep: bool) -> None:
    bench = prepare(pg_url if kind == "postgres" else None, keep)
    try:
        from django.db import connection

        from shuping.ballots.tally import tally
        from shuping.results import actions, compute, maths

        campaign, organiser, box, load_s = build(n_reporters, n_judges, n_ballots)

        def raw_fetch() -> list[Any]:
            with connection.cursor() as cur:
                cur.execute('SELECT "group", grades FROM ballots_ballot WHERE box_id = %s', [box.pk])
                return cur.fetchall()

        raw_s, rows = timed(raw_fetch, runs)
        total_s, sheet = timed(lambda: actions.compute_results(organiser, campaign), runs)
        gather_s, g = timed(lambda: compute.gather(campaign), runs)
        maths_s, _ = timed(lambda: maths.as_data(maths.compute(g.scheme, g.reporters)), runs)
        pure_tally_s, _ = timed(lambda: tally(campaign.scheme, n_reporters, rows), runs)
        check_s, chk = timed(lambda: compute.check(sheet), 1)
        assert sheet.rows.count() == n_reporters and chk.ok, chk.differences
        pure_s = maths_s + pure_tally_s
        print(json.dumps({
            "kind": kind, "reporters": n_reporters, "judges": n_judges, "ballots": n_ballots, "load_s": load_s,
            "total_s": total_s, "gather_s": gather_s, "maths_s": maths_s, "pure_tally_s": pure_tally_s,
            "pure_s": pure_s, "db_s": max(total_s - pure_s, 0.0), "raw_fetch_s": raw_s, "check_s": check_s,
            "first": sheet.outputs["rows"][0]["composite_display"],
        }))
    finally:
        bench.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reporters", type=int, default=300)
    ap.add_argument("--judges", type=int, default=25)
    ap.add_argument("--ballots", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    add_database_args(ap)
    args = ap.parse_args()

    if args.child:
        child(args.child, args.reporters, args.judges, args.ballots, args.runs, args.postgres, args.keep)
        return

    print(f"统分基准：{args.reporters} 名述职人 × {args.judges} 位评委，{args.ballots:,} 张选票，"
          f"每项取 {args.runs} 次的中位数")
    results = run_per_database(__file__, args)

    print()
    print(f"{'数据库':<10}{'统分全程':>10}{'纯计算':>10}{'占比':>8}{'数据库':>10}{'读取输入':>10}"
          f"{'基线:原始SELECT':>18}{'比值':>8}{'核对':>10}  达标(<{TARGET_S:.0f}s)")
    for r in results:
        ratio = r["total_s"] / r["raw_fetch_s"] if r["raw_fetch_s"] else float("nan")
        share = r["pure_s"] / r["total_s"] if r["total_s"] else float("nan")
        ok = "是" if r["total_s"] < TARGET_S else "否"
        print(f"{r['kind']:<10}{r['total_s'] * 1000:>8.0f}ms{r['pure_s'] * 1000:>8.0f}ms{share:>8.0%}"
              f"{r['db_s'] * 1000:>8.0f}ms{r['gather_s'] * 1000:>8.0f}ms{r['raw_fetch_s'] * 1000:>16.0f}ms"
              f"{ratio:>8.2f}{r['check_s'] * 1000:>8.0f}ms  {ok}")
    print()
    print("统分全程 = actions.compute_results（读取全部输入、计票、计算、保存结果与审计）；纯计算 = maths.compute + "
          "as_data + 内存中的 tally.tally()；数据库 = 全程 − 纯计算；基线 = 全部选票的原始 SELECT（fetchall）；"
          "核对 = 观察员的重算与比对。")


if __name__ == "__main__":
    main()
