"""Exports benchmark: the results workbook (.xlsx) and the 归档 dossier (.pdf) for 300 reporters, 25 judges
and 100,000 ballots, on SQLite and PostgreSQL.

    .venv/bin/python bench/exports.py [--reporters 300] [--judges 25] [--ballots 100000] [--runs 3]
                                      [--postgres [URL]] [--sqlite-only] [--keep] [--out DIR]

For each database (throw-away, bench/common.py) it builds the data of bench/results.py (`build`: a campaign
in 统分中, a submitted sheet per judge and reporter, 日常考核 for all, a closed box with `--ballots` ballots),
then computes, submits, reviews, signs and publishes the result through the actions. Then:

- time (median of `--runs`): `results_xlsx.build(sheet)` (the results workbook, E1) and
  `dossier.dossier_pdf(campaign)` (the dossier, everything from the database reads to the PDF bytes);
  target < 10 s each;
- peak memory of each, measured first in a forked child (before any timing run): the Python heap's peak
  under tracemalloc, and the growth of the child's max RSS (it starts at the parent's current RSS);
- baselines, measured in the same run: openpyxl (write-only) writing a plain workbook with as many cells
  as the results workbook has, and reportlab drawing a plain PDF with as many pages as the dossier, 50 lines
  of Chinese text per page straight on the canvas — the ratio says what the layout costs over the library's
  floor.

Figures, not a test. `--out DIR` keeps the last workbook and dossier of each database for a look.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DEFAULT_PG_URL, add_database_args, prepare, run_per_database

TARGET_S = 10.0
PG_URL = DEFAULT_PG_URL.rsplit("/", 1)[0] + "/shuping_bench_exports"


def timed(fn: Any, runs: int) -> tuple[float, float, Any]:
    """Median wall-clock and CPU seconds of `runs` calls, and the last result. The CPU time (this process)
    is the steadier figure on a shared machine: other processes add to the wall clock, not to it."""
    walls, cpus, result = [], [], None
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus), result


def peak_mb(fn: Any) -> tuple[float, float]:
    """Build once in a forked child: (peak of the Python heap under tracemalloc, growth of the max RSS above
    where the child started), in MB. The RSS figure also counts C-level memory (database driver, zlib) but
    misses memory the parent had already freed to its allocator; tracemalloc counts exactly the Python
    objects the build held at its peak."""
    from django.db import connections

    connections.close_all()  # the child opens its own connection; never share the parent's socket
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(r)
        try:
            start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            fn()
            grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - start
            tracemalloc.start()
            fn()
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            os.write(w, f"{peak} {grown}".encode())
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r) as f:
        text = f.read()
    os.waitpid(pid, 0)
    if not text:
        return float("nan"), float("nan")
    peak, grown = text.split()
    return int(peak) / 2**20, int(grown) / 1024


def publish(campaign: Any, organiser: Any) -> Any:
    from shuping.accounts.models import Role, User, UserRole
    from shuping.results import actions

    reviewer = User.objects.create_user("bench-reviewer", password="x", display_name="组织部（审核）")
    UserRole.objects.create(user=reviewer, role=Role.ORGANISER)
    sheet = actions.compute_results(organiser, campaign)
    actions.submit_results(organiser, sheet)
    actions.review_results(reviewer, sheet, approve=True, note="基准测试审核")
    actions.sign_results(organiser, sheet, "区委常委会（基准测试）")
    sheet = actions.publish_results(organiser, sheet)
    sheet.refresh_from_db()
    return sheet


def cells_of(xlsx: bytes) -> tuple[int, int]:
    """(sheets, cells holding a value) of a workbook, read back the way a user's program would."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(xlsx), read_only=True)
    n = sum(1 for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None)
    return len(wb.worksheets), n


def plain_xlsx(n_cells: int, width: int = 12) -> bytes:
    """Baseline: openpyxl write-only, `n_cells` short values (half text, half numbers) in rows of `width`."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("数据")
    rows = -(-n_cells // width)
    for i in range(rows):
        ws.append([f"第{i}行{j}" if j % 2 == 0 else i * 0.5 + j for j in range(width)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def plain_pdf(pages: int) -> bytes:
    """Baseline: `pages` A4 pages of 50 lines of Chinese text each, drawn straight on a reportlab canvas."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    from shuping.ballots.pdf import FONT, _font

    _font()
    out = io.BytesIO()
    c = Canvas(out, pagesize=A4, pageCompression=1)
    line = "第一单位党委 书记一 现场述职 94.00 100.00 95.00 96.89 较好 权重折算"
    for p in range(pages):
        c.setFont(FONT, 9)
        for k in range(50):
            c.drawString(42, 800 - k * 15, f"{p + 1:04d}-{k:02d} {line}")
        c.drawCentredString(297, 30, f"第 {p + 1} 页 共 {pages} 页")
        c.showPage()
    c.save()
    return out.getvalue()


def pdf_pages(pdf: bytes) -> int:
    import re

    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


def child(kind: str, n_reporters: int, n_judges: int, n_ballots: int, runs: int, pg_url: str, keep: bool,
          out_dir: str) -> None:
    bench = prepare(pg_url if kind == "postgres" else None, keep)
    try:
        from results import build

        from shuping.exports import dossier, results_xlsx

        campaign, organiser, _box, load_s = build(n_reporters, n_judges, n_ballots)
        t0 = time.perf_counter()
        sheet = publish(campaign, organiser)
        publish_s = time.perf_counter() - t0
        campaign.refresh_from_db()

        # Memory first: in a fresh child of a parent that has not built any file yet.
        xlsx_mb, xlsx_rss = peak_mb(lambda: results_xlsx.build(sheet))
        pdf_mb, pdf_rss = peak_mb(lambda: dossier.dossier_pdf(campaign))
        xlsx_s, xlsx_cpu, xlsx = timed(lambda: results_xlsx.build(sheet), runs)
        pdf_s, pdf_cpu, pdf = timed(lambda: dossier.dossier_pdf(campaign), runs)
        n_sheets, n_cells = cells_of(xlsx)
        n_pages = pdf_pages(pdf)
        base_xlsx_s, base_xlsx_cpu, _ = timed(lambda: plain_xlsx(n_cells), runs)
        base_pdf_s, base_pdf_cpu, _ = timed(lambda: plain_pdf(n_pages), runs)
        base_xlsx_mb, base_xlsx_rss = peak_mb(lambda: plain_xlsx(n_cells))
        base_pdf_mb, base_pdf_rss = peak_mb(lambda: plain_pdf(n_pages))
        if out_dir:
            Path(out_dir).mkdir(parents=True, exist_ok=True)
            (Path(out_dir) / f"results-{kind}.xlsx").write_bytes(xlsx)
            (Path(out_dir) / f"dossier-{kind}.pdf").write_bytes(pdf)
        print(json.dumps({
            "kind": kind, "reporters": n_reporters, "judges": n_judges, "ballots": n_ballots, "load_s": load_s,
            "publish_s": publish_s, "xlsx_s": xlsx_s, "xlsx_cpu": xlsx_cpu, "pdf_cpu": pdf_cpu,
            "base_xlsx_cpu": base_xlsx_cpu, "base_pdf_cpu": base_pdf_cpu, "load": os.getloadavg()[0], "xlsx_bytes": len(xlsx), "xlsx_sheets": n_sheets,
            "xlsx_cells": n_cells, "base_xlsx_s": base_xlsx_s, "xlsx_mb": xlsx_mb, "base_xlsx_mb": base_xlsx_mb,
            "pdf_s": pdf_s, "pdf_bytes": len(pdf), "pdf_pages": n_pages, "base_pdf_s": base_pdf_s,
            "pdf_mb": pdf_mb, "base_pdf_mb": base_pdf_mb, "xlsx_rss": xlsx_rss, "pdf_rss": pdf_rss,
            "base_xlsx_rss": base_xlsx_rss, "base_pdf_rss": base_pdf_rss,
        }))
    finally:
        bench.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reporters", type=int, default=300)
    ap.add_argument("--judges", type=int, default=25)
    ap.add_argument("--ballots", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", default="", help="keep the last workbook and dossier of each database here")
    add_database_args(ap, PG_URL)
    args = ap.parse_args()

    if args.child:
        child(args.child, args.reporters, args.judges, args.ballots, args.runs, args.postgres, args.keep, args.out)
        return

    print(f"导出基准：{args.reporters} 名述职人 × {args.judges} 位评委，{args.ballots:,} 张选票，结果已公布；"
          f"时间取 {args.runs} 次的中位数")
    results = run_per_database(__file__, args)

    print()
    print(f"{'数据库':<9}{'文件':<14}{'大小':>10}{'用时':>9}{'CPU':>8}{'峰值内存':>8}{'RSS增长':>8}{'基线用时':>9}"
          f"{'基线CPU':>8}{'基线内存':>8}{'比值':>6}  达标(<{TARGET_S:.0f}s)")
    for r in results:
        for label, key, size, base in (
                (f"工作簿 {r['xlsx_sheets']} 表", "xlsx", f"{r['xlsx_cells']:,} 格", "base_xlsx"),
                (f"归档 PDF {r['pdf_pages']} 页", "pdf", f"{r['pdf_bytes'] / 1024:,.0f} KB", "base_pdf")):
            s, b = r[f"{key}_s"], r[f"{base}_s"]
            c, bc = r[f"{key}_cpu"], r[f"{base}_cpu"]
            print(f"{r['kind']:<10}{label:<14}{size:>12}{s:>9.2f}s{c:>7.2f}s{r[f'{key}_mb']:>8.0f}MB"
                  f"{r[f'{key}_rss']:>7.0f}MB{b:>9.2f}s{bc:>7.2f}s{r[f'{base}_mb']:>8.0f}MB"
                  f"{c / bc if bc else float('nan'):>7.1f}  "
                  f"{'是' if s < TARGET_S else '否'}")
    print()
    print("用时 = 从读取数据库到文件字节的全程（中位数）；峰值内存 = 单独子进程生成一次时 tracemalloc 记录的 Python 堆峰值，RSS 增长 = 同一子进程最大常驻内存的增长；"
          "基线 = openpyxl 只写模式写入同样单元格数的普通表格 / reportlab 直接在画布上写同样页数的纯文字 PDF；"
          "比值 = CPU ÷ 基线 CPU（本机与他人共用时，CPU 时间比墙钟时间稳定）。")
    for r in results:
        print(f"{r['kind']}: 造数 {r['load_s']:.1f}s（选票），统分至公布 {r['publish_s']:.1f}s，"
              f"运行时 1 分钟平均负载 {r['load']:.1f}（{os.cpu_count()} 核）")


if __name__ == "__main__":
    main()
