"""Roster import benchmark: time importing a 2,000-unit roster .xlsx.

    .venv/bin/python bench/roster_import.py [--postgres [URL]] [--keep] [--out FILE]

Builds the roster workbook of bench/common.py's district (sheet 单位: 2,001 units with their
secretaries; sheet 人员: one more person per 街道/机关) in the layout of the orgs template, then
into a fresh, empty database times, through the same code path the import page and
`shuping import_roster FILE --user USERNAME` use:
  1. the first import (creates everything),
  2. the same file again (idempotent: nothing changes),
against a baseline measured in the same run: openpyxl alone reading every cell of the file.
Target: under 5 s. Figures, not a test.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from contextlib import redirect_stdout
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DEFAULT_PG_URL, district_rows, make_organiser, person_name, prepare

TARGET_S = 5.0
UNIT_HEADERS = ["单位代码", "单位名称", "简称", "组织类型", "类别", "上级单位代码", "书记姓名", "书记职务", "书记电话", "排序"]
PERSON_HEADERS = ["姓名", "所属单位代码", "职务", "性别", "电话"]


def build_workbook(path: Path) -> tuple[int, int]:
    """Write the roster; return (units, extra people)."""
    from openpyxl import Workbook

    rows = district_rows()
    wb = Workbook(write_only=True)
    units = wb.create_sheet("单位")
    units.append(UNIT_HEADERS)
    for i, r in enumerate(rows):
        units.append([r["code"], r["name"], "", r["type"], r["category"], r["parent"], r["secretary"], "书记",
                      f"1380000{i:04d}", r["order"]])
    people = wb.create_sheet("人员")
    people.append(PERSON_HEADERS)
    extra = 0
    for i, r in enumerate(rows):
        if r["parent"] == "B":  # the 街道/机关: a deputy secretary each
            people.append([person_name(i + 5000), r["code"], "副书记", "女" if i % 2 else "男", f"1390000{i:04d}"])
            extra += 1
    wb.save(path)
    return len(rows), extra


def read_with_openpyxl(path: Path) -> int:
    """Baseline: openpyxl alone reading every cell (read-only mode)."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    cells = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            cells += sum(1 for v in row if v is not None)
    wb.close()
    return cells


def import_file(path: Path, username: str) -> str:
    """The documented entry point; returns what the command printed (its result summary)."""
    from django.core.management import call_command

    out = io.StringIO()
    with redirect_stdout(out):
        call_command("import_roster", str(path), user=username, stdout=out)
    return out.getvalue().strip()


def timed(fn, *args):  # -> (seconds, result)
    t0 = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - t0, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", nargs="?", const=DEFAULT_PG_URL, default=None, metavar="URL",
                        help=f"用 PostgreSQL（默认 {DEFAULT_PG_URL}，会删除重建该库）")
    parser.add_argument("--keep", action="store_true", help="保留数据目录（和数据库）以便查看")
    parser.add_argument("--out", type=Path, help="另存一份生成的名册 .xlsx")
    args = parser.parse_args()

    bench = prepare(args.postgres, args.keep)
    try:
        from django.core.management import get_commands

        from shuping.orgs.models import Person, Unit

        if "import_roster" not in get_commands():
            raise SystemExit("还没有 import_roster 命令（shuping/orgs/management/commands/import_roster.py）")
        path = bench.data_dir / "roster-2000.xlsx"
        build_s, (n_units, n_extra) = timed(build_workbook, path)
        if args.out:
            args.out.write_bytes(path.read_bytes())
        organiser = make_organiser()
        engine = "PostgreSQL" if args.postgres else "SQLite (WAL)"
        print(f"名册：{n_units} 个单位 + {n_extra} 名其他人员，{path.stat().st_size / 1024:.0f} KB"
              f"（生成用时 {build_s:.2f} s）；数据库 {engine}\n")

        base_s, cells = timed(read_with_openpyxl, path)
        first_s, first_out = timed(import_file, path, organiser.username)
        units_after, people_after = Unit.objects.count(), Person.objects.count()
        again_s, again_out = timed(import_file, path, organiser.username)
        unchanged = (Unit.objects.count(), Person.objects.count()) == (units_after, people_after)

        print(f"基线：openpyxl 只读 {cells} 个单元格        {base_s:6.2f} s")
        print(f"首次导入（新建）                       {first_s:6.2f} s  = 基线的 {first_s / base_s:.1f} 倍  "
              f"{'达标' if first_s < TARGET_S else '未达标'}（目标 < {TARGET_S:.0f} s）")
        print(f"再次导入同一文件（幂等）               {again_s:6.2f} s  = 基线的 {again_s / base_s:.1f} 倍  "
              f"{'达标' if again_s < TARGET_S else '未达标'}")
        print(f"\n库中：{units_after} 个单位，{people_after} 名人员；再次导入后数量{'不变' if unchanged else '有变化（!）'}")
        print(f"首次导入结果：{first_out or '（无输出）'}")
        print(f"再次导入结果：{again_out or '（无输出）'}")
    finally:
        from django.db import connections

        connections.close_all()
        bench.close()


if __name__ == "__main__":
    main()
