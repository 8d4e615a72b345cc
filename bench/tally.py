"""Tally benchmark: 100,000 ballots × 30 reporters, on SQLite and on PostgreSQL.

    .venv/bin/python bench/tally.py [--ballots 100000] [--reporters 30] [--runs 5] [--postgres [URL]] [--sqlite-only]
                                    [--keep]

For each database (a throw-away data folder, and a throw-away PostgreSQL database — see bench/common.py)
it bulk-inserts the ballots (4 voter groups, a skewed grade mix) into one closed box, then times, as the
median of `--runs` runs:

- `counting.tally_box(box)` — what the results page and the API do on every request: the DB read plus
  the count (target < 1 s);
- the baseline: the raw `SELECT "group", grades` of the same rows through a plain DB cursor (fetchall);
- the pure count `tally.tally()` on rows already in memory;
- `counting.reconciliation(box)` (the aggregate queries).

and prints them with the ratio tally_box / baseline. Each database runs in its own child process
(Django is set up once per process). Figures, not a test: run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import add_database_args, insert_ballots, prepare, run_per_database, timed

TARGET_S = 1.0


def build(n_ballots: int, n_reporters: int) -> Any:
    """A closed box with `n_reporters` lines and `n_ballots` ballots (plus as many used tokens)."""
    from django.db import connection, transaction

    from shuping.ballots.models import BallotBox, BallotLine, BoxState
    from shuping.campaigns.models import Campaign, CampaignState, Participant
    from shuping.orgs.models import Person, Unit

    with transaction.atomic():
        root = Unit.objects.create(code="T", name="基准区委", type="党委", category="区县委")
        units = Unit.objects.bulk_create([
            Unit(code=f"T{i:03d}", name=f"第{i}街道党工委", type="党工委", category="街道", parent=root, sort_order=i)
            for i in range(1, n_reporters + 1)
        ])
        people = Person.objects.bulk_create([Person(name=f"书记{i}", unit=u, position="书记")
                                             for i, u in enumerate(units)])
        campaign = Campaign.objects.create(year=2026, title="基准测评", committee=root, state=CampaignState.MEETING)
        parts = Participant.objects.bulk_create([
            Participant(campaign=campaign, unit=u, secretary=p, speaking_order=i + 1)
            for i, (u, p) in enumerate(zip(units, people, strict=True))
        ])
        box = BallotBox.objects.create(campaign=campaign, state=BoxState.CLOSED)
        BallotLine.objects.bulk_create([BallotLine(box=box, participant=p, position=i) for i, p in enumerate(parts)])

    load_s = insert_ballots(box, n_ballots, n_reporters)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return BallotBox.objects.select_related("campaign").get(pk=box.pk), load_s


def child(kind: str, n_ballots: int, n_reporters: int, runs: int, pg_url: str, keep: bool) -> None:
    bench = prepare(pg_url if kind == "postgres" else None, keep)
    try:
        from django.db import connection

        from shuping.ballots import counting
        from shuping.ballots.tally import tally

        box, load_s = build(n_ballots, n_reporters)

        def raw_fetch() -> list[Any]:
            with connection.cursor() as cur:
                cur.execute('SELECT "group", grades FROM ballots_ballot WHERE box_id = %s', [box.pk])
                return cur.fetchall()

        raw_s, rows = timed(raw_fetch, runs)
        tally_box_s, t = timed(lambda: counting.tally_box(box, n_reporters), runs)
        pure_s, _ = timed(lambda: tally(box.campaign.scheme, n_reporters, rows), runs)
        recon_s, recon = timed(lambda: counting.reconciliation(box, n_reporters), runs)
        assert t.n_ballots == n_ballots and recon.ballots == n_ballots and not recon.flags, recon.flags
        print(json.dumps({
            "kind": kind, "ballots": n_ballots, "reporters": n_reporters, "load_s": load_s,
            "tally_box_s": tally_box_s, "raw_fetch_s": raw_s, "pure_tally_s": pure_s,
            "reconciliation_s": recon_s, "first_score": t.lines[0].score_display,
        }))
    finally:
        bench.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ballots", type=int, default=100_000)
    ap.add_argument("--reporters", type=int, default=30)
    ap.add_argument("--runs", type=int, default=5)
    add_database_args(ap)
    args = ap.parse_args()

    if args.child:
        child(args.child, args.ballots, args.reporters, args.runs, args.postgres, args.keep)
        return

    print(f"民主测评计票基准：{args.ballots:,} 张选票 × {args.reporters} 名述职人，4 个测评人员类别，"
          f"每项取 {args.runs} 次的中位数")
    results = run_per_database(__file__, args)

    print()
    print(f"{'数据库':<10}{'tally_box':>12}{'基线:原始SELECT':>18}{'比值':>8}{'纯计数':>10}{'核对表':>10}"
          f"{'写入数据':>10}  达标(<{TARGET_S:.0f}s)")
    for r in results:
        ratio = r["tally_box_s"] / r["raw_fetch_s"] if r["raw_fetch_s"] else float("nan")
        ok = "是" if r["tally_box_s"] < TARGET_S else "否"
        print(f"{r['kind']:<10}{r['tally_box_s'] * 1000:>10.0f}ms{r['raw_fetch_s'] * 1000:>16.0f}ms{ratio:>8.2f}"
              f"{r['pure_tally_s'] * 1000:>8.0f}ms{r['reconciliation_s'] * 1000:>8.0f}ms{r['load_s']:>9.1f}s  {ok}")
    print()
    print("tally_box = 一次查询读出全部选票（组别 + 评价串）并计票；基线 = 同一查询经原始游标 fetchall；"
          "纯计数 = 内存中已有的行交给 tally.tally()。")


if __name__ == "__main__":
    main()
