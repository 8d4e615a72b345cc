"""材料雷同 benchmark: 300 reports of 5,000 characters each (plus last year's 300), target < 10 s.

    .venv/bin/python bench/similarity.py [--reports 300] [--chars 5000] [--runs 3] [--postgres [URL]] [--keep]

Generated texts (seeded, so every run sees the same ones): every report opens with the same template lines
(boilerplate, in every report), takes ~15 stock sentences of the genre from a shared pool of 300 (each
sentence in ~5 % of the reports: shared, but not template), and fills up to `--chars` with random sentences
built from a vocabulary of two- to four-character words. Then 30 reports copy 2–4 paragraphs from another
unit's report, and 30 units reuse ~40 % of their own report of last year.

In a throw-away data folder (SQLite, or a throw-away PostgreSQL database with --postgres; bench/common.py) it
writes two campaigns of the same committee (last year and this year) with a submitted report per unit, then
times, as the median of `--runs` runs:

- the full check `checks.compute(campaign)` — what the organiser's page does on a cache miss: read the
  reports of both campaigns, normalise, shingle, index, extend, score (target < 10 s);
- the pure algorithm `similarity.compare` on texts already in memory;
- baseline 1: reading the same texts from the database and normalising them (the floor any check pays);
- baseline 2: the naive way, difflib.SequenceMatcher.get_matching_blocks on every allowed pair, timed on 40
  pairs and extrapolated to all of them;

and prints them with the ratios. It also checks the planted copies were all found. Figures, not a test.
"""

from __future__ import annotations

import argparse
import difflib
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DEFAULT_PG_URL, prepare

TARGET_S = 10.0
CHARS = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严"


def words(rnd: random.Random, n: int) -> list[str]:
    return ["".join(rnd.choices(CHARS, k=rnd.choice((2, 2, 3, 4)))) for _ in range(n)]


def sentence(rnd: random.Random, vocab: list[str]) -> str:
    parts = []
    for _ in range(rnd.randint(2, 4)):
        parts.append("".join(rnd.choices(vocab, k=rnd.randint(3, 6))))
    return "，".join(parts) + "。"


TEMPLATE = ("一年来，在区委的坚强领导下，我坚决贯彻落实新时代党的建设总要求和新时代党的组织路线，认真履行抓基层党建工作第一责任人职责。"
            "现将履职情况报告如下。")
TEMPLATE_END = "以上报告，请予审议。"


def generate(n: int, chars: int, seed: int = 2026) -> tuple[list[str], list[str], list[tuple[int, int]], list[int]]:
    """Last year's and this year's texts for `n` units, the planted (copier, source) pairs of this year, and
    the units that reuse last year's report."""
    rnd = random.Random(seed)
    vocab = words(rnd, 3000)
    pool = [sentence(rnd, vocab) for _ in range(300)]

    def report() -> str:
        paras = [TEMPLATE]
        body = rnd.sample(pool, 15)
        while sum(map(len, paras)) + sum(map(len, body)) < chars - len(TEMPLATE_END):
            body.append(sentence(rnd, vocab))
        rnd.shuffle(body)
        for i in range(0, len(body), 5):
            paras.append("".join(body[i:i + 5]))
        paras.append(TEMPLATE_END)
        return "\n".join(paras)[:chars]

    last = [report() for _ in range(n)]
    this = [report() for _ in range(n)]
    planted: list[tuple[int, int]] = []
    units = list(range(n))
    rnd.shuffle(units)
    for copier, source in zip(units[:30], units[30:60], strict=True):
        src = this[source].split("\n")
        mine = this[copier].split("\n")
        for p in rnd.sample(range(1, len(src) - 1), rnd.randint(2, 4)):
            mine[rnd.randrange(1, len(mine) - 1)] = src[p]
        this[copier] = "\n".join(mine)
        planted.append((copier, source))
    reused = units[60:90]
    for u in reused:
        old = last[u].split("\n")
        mine = this[u].split("\n")
        for i in range(1, len(mine) - 1):
            if rnd.random() < 0.4 and i < len(old) - 1:
                mine[i] = old[i]
        this[u] = "\n".join(mine)
    return last, this, planted, reused


CPU: dict[str, float] = {}


def timed(fn: Any, runs: int, name: str = "") -> tuple[float, Any]:
    """Median wall-clock seconds of `runs` runs (the CPU seconds of the same runs go to CPU[name]: on a
    shared, busy machine they show what the work itself costs)."""
    times, cpu, result = [], [], None
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    CPU[name] = statistics.median(cpu)
    return statistics.median(times), result


def load(n: int, last_texts: list[str], this_texts: list[str]) -> Any:
    """Two campaigns of one committee, a submitted report per unit in each (straight through the ORM)."""
    from django.db import transaction

    from shuping.campaigns.models import Campaign, CampaignState, Participant
    from shuping.orgs.models import Person, Unit
    from shuping.reports.models import Report, ReportState, empty_sections

    with transaction.atomic():
        root = Unit.objects.create(code="S", name="基准区委", type="党委", category="区县委")
        units = Unit.objects.bulk_create([
            Unit(code=f"S{i:03d}", name=f"第{i + 1}街道党工委", type="党工委", category="街道", parent=root, sort_order=i)
            for i in range(n)
        ])
        people = Person.objects.bulk_create([Person(name=f"书记{i}", unit=u, position="书记")
                                             for i, u in enumerate(units)])
        campaign = None
        for year, texts in ((2025, last_texts), (2026, this_texts)):
            campaign = Campaign.objects.create(year=year, title=f"{year}年度述职评议", committee=root,
                                               state=CampaignState.PUBLISHED)
            parts = Participant.objects.bulk_create([Participant(campaign=campaign, unit=u, secretary=p)
                                                     for u, p in zip(units, people, strict=True)])
            reports = []
            for p, text in zip(parts, texts, strict=True):
                paras = text.split("\n")
                half = len(paras) // 2
                sections = empty_sections()
                sections["performance"] = "\n".join(paras[:half])
                sections["problems"] = "\n".join(paras[half:])
                reports.append(Report(participant=p, state=ReportState.SUBMITTED, sections=sections))
            Report.objects.bulk_create(reports)
    return campaign


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", type=int, default=300)
    ap.add_argument("--chars", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--postgres", nargs="?", const=DEFAULT_PG_URL, default=None)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()

    bench = prepare(args.postgres, args.keep)
    try:
        from shuping.reports.models import Report
        from shuping.speeches import checks, similarity

        last, this, planted, reused = generate(args.reports, args.chars)
        campaign = load(args.reports, last, this)
        db = "PostgreSQL" if args.postgres else "SQLite"
        print(f"材料雷同基准（{db}）：本年 {args.reports} 份 + 上年 {args.reports} 份报告，每份约 {args.chars} 字")

        full_s, result = timed(lambda: checks.compute(campaign), args.runs, "full")
        docs = [similarity.Doc(("this", i), t, i) for i, t in enumerate(this)]
        docs += [similarity.Doc(("last", i), t, i, current=False) for i, t in enumerate(last)]
        pure_s, pure = timed(lambda: similarity.compare(docs, min_score=checks.FLOOR), args.runs, "pure")

        def read_and_normalise() -> int:
            ids = [campaign.pk, campaign.pk - 1]
            texts = [checks.report_text(s)[0] for s in Report.objects.filter(participant__campaign_id__in=ids)
                     .values_list("sections", flat=True)]
            return sum(len(similarity.normalise(t).text) for t in texts)

        read_s, _ = timed(read_and_normalise, args.runs, "read")

        allowed = args.reports * (args.reports - 1) // 2 + args.reports
        sample = [(this[i], this[i + 1]) for i in range(0, 60, 2)] + [(this[i], last[i]) for i in range(10)]
        c0 = time.process_time()
        for x, y in sample:
            difflib.SequenceMatcher(None, x, y, autojunk=False).get_matching_blocks()
        naive_pair_s = (time.process_time() - c0) / len(sample)  # CPU seconds: compared with CPU["full"]
        naive_s = naive_pair_s * allowed

        by_key = {(p.a, p.b) for p in pure.pairs}
        found_copies = sum(1 for c, s in planted if (("this", c), ("this", s)) in by_key
                           or (("this", s), ("this", c)) in by_key)
        found_reuse = sum(1 for u in reused if (("this", u), ("last", u)) in by_key)
        top = pure.pairs[:60]
        planted_keys = {frozenset({("this", c), ("this", s)}) for c, s in planted}
        planted_keys |= {frozenset({("this", u), ("last", u)}) for u in reused}
        top_planted = sum(1 for p in top if frozenset({p.a, p.b}) in planted_keys)

        print(f"  完整检查 checks.compute（读库+计算）：{full_s:.2f} s（CPU {CPU['full']:.2f} s；目标 < {TARGET_S:.0f} s）"
              f"{'  ✓' if full_s < TARGET_S else '  ✗ 超出目标'}")
        print(f"  纯算法 similarity.compare：{pure_s:.2f} s（CPU {CPU['pure']:.2f} s）；保留的雷同对（≥ {checks.FLOOR:%}）{len(pure.pairs)} 对，"
              f"模板片段 {pure.boilerplate_shingles} 个")
        print(f"  基线1 读库并规范化全部文本：{read_s:.2f} s（CPU {CPU['read']:.2f} s）；"
              f"完整检查 / 基线1 = {full_s / read_s:.1f}（CPU {CPU['full'] / CPU['read']:.1f}）")
        print(f"  基线2 SequenceMatcher 逐对比较：每对 CPU {naive_pair_s * 1000:.0f} ms × {allowed} 对 ≈ {naive_s:.0f} s；"
              f"基线2 / 完整检查（CPU）= {naive_s / CPU['full']:.0f}")
        print(f"  植入的抄袭：他单位 {found_copies}/{len(planted)}，本单位上年 {found_reuse}/{len(reused)} 已找到；"
              f"得分前 60 对中 {top_planted} 对是植入的")
        print(f"  前 60 对最低分 {top[-1].score:.1%}；第 61 对 {pure.pairs[60].score:.1%}" if len(pure.pairs) > 60 else "")
        del result
    finally:
        bench.close()


if __name__ == "__main__":
    main()
