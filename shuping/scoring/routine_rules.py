"""日常考核 workbook rules: layout, reading and validation. Pure: imports no Django models.

A routine-score .xlsx has one sheet "日常考核" with the columns 单位代码, 单位名称, 述职人, 日常考核得分 (header
in row 1, any column order). `read_routine` turns file bytes into typed rows and collects every problem of the
file and its cells; `validate_routine` checks the rows against the units of the database and the campaign's
participants (given as plain mappings). Problems name file, sheet, row and column (`Problem` of the roster
rules), so a bad file is refused whole with all its reasons.

Scores are Decimal from the start: an int cell is exact, a float cell goes through `repr` (the shortest text
that reads back as the same float, i.e. what Excel stored: 87.3 stays 87.3, never 87.299999…), a text cell
must be a plain decimal number.
"""

from __future__ import annotations

import io
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from shuping.core.xlsx_upload import CORRUPT, MACRO, xlsx_problem  # noqa: F401 (MACRO: tests read it here)
from shuping.orgs.roster_rules import Problem, text

SHEET = "日常考核"
HELP_SHEET = "说明"
CODE, NAME, SECRETARY, SCORE = "单位代码", "单位名称", "述职人", "日常考核得分"
HEADERS = [CODE, NAME, SECRETARY, SCORE]
MAX_BYTES = 5 * 1024 * 1024  # an upload; a district's sheet is a few dozen kB
MAX_ROWS = 5000
MAX_SHOWN = 200  # problems listed on the page; the total is always given
LOWEST, HIGHEST = Decimal(0), Decimal(100)
CENT = Decimal("0.01")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")

NOT_XLSX = "不是 .xlsx 文件，请使用“下载模板”得到的 Excel 工作簿（.xlsx）"


@dataclass
class RoutineRow:
    row: int  # spreadsheet row number (header is row 1)
    code: str
    name: str
    secretary: str
    score: Decimal | None  # None when the cell has a problem (listed in `problems`)


@dataclass
class RoutineSheet:
    rows: list[RoutineRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def shown(value: Any) -> str:
    """A cell value as the user typed it, for messages (floats via repr: 87.345, not 87.34499…)."""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def parse_score(value: Any) -> tuple[Decimal | None, str]:
    """(score, "") for a valid cell, else (None, reason). Valid: a number 0–100 with at most 2 decimals."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, "日常考核得分为空"
    number: Decimal | None = None
    if isinstance(value, bool):  # TRUE/FALSE cells (bool is an int in Python)
        number = None
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, str) and PLAIN_NUMBER.fullmatch(value.strip()):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:  # pragma: no cover - the pattern admits only plain numbers
            number = None
    if number is None or not number.is_finite():
        return None, f"“{shown(value)}”不是数字"
    if number < LOWEST or number > HIGHEST:
        return None, f"得分 {shown(value)} 超出 0–100 的范围"
    if number != number.quantize(CENT):
        return None, f"得分 {shown(value)} 超过 2 位小数"
    return number.quantize(CENT), ""


def file_problem(data: bytes, filename: str) -> str:
    """The reason a file cannot be read at all, or ""."""
    return xlsx_problem(data, filename, max_bytes=MAX_BYTES, not_xlsx=NOT_XLSX,
                        too_big=f"文件过大（超过 {MAX_BYTES // 1024 // 1024} MB），请只保留“{SHEET}”工作表后上传")


def read_routine(data: bytes, filename: str) -> RoutineSheet:
    """Read the sheet. A file-level problem (type, size, corrupt, sheet, header) stops here; cell problems
    (empty, non-numeric, out of range, too many decimals, formula without a value) are all collected."""
    from openpyxl import load_workbook  # openpyxl is plain Python, not Django

    out = RoutineSheet()
    reason = file_problem(data, filename)
    if reason:
        out.problems.append(Problem("", None, "", reason))
        return out
    try:
        # Twice: cached values (what Excel last computed) and cell types (to tell formulas apart).
        values_wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        types_wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds of errors for broken archives
        out.problems.append(Problem("", None, "", CORRUPT))
        return out
    try:
        _read_sheet(values_wb, types_wb, out)
    except Exception:  # a damaged sheet part (bad XML) inside a valid archive
        out.rows, out.problems = [], [Problem("", None, "", CORRUPT)]
    finally:
        values_wb.close()
        types_wb.close()
    return out


def _read_sheet(values_wb: Any, types_wb: Any, out: RoutineSheet) -> None:
    if SHEET not in values_wb.sheetnames:
        out.problems.append(Problem(SHEET, None, "", f"缺少工作表“{SHEET}”（现有：{'、'.join(values_wb.sheetnames)}）"))
        return
    value_rows = values_wb[SHEET].iter_rows(values_only=True)
    type_rows = types_wb[SHEET].iter_rows()
    header = [text(v) for v in next(value_rows, ())]
    next(type_rows, ())
    index = {name: i for i, name in reversed(list(enumerate(header))) if name}
    missing = [h for h in HEADERS if h not in index]
    if missing:
        expected = "、".join(HEADERS)
        out.problems.extend(Problem(SHEET, 1, h, f"缺少表头列（第 1 行须为：{expected}；请勿改动模板表头）")
                            for h in missing)
        return
    for n, (values, cells) in enumerate(zip(value_rows, type_rows, strict=False), start=2):
        def value(col: str, values: tuple[Any, ...] = values) -> Any:
            i = index[col]
            return values[i] if i < len(values) else None

        def is_formula(col: str, cells: tuple[Any, ...] = cells) -> bool:
            i = index[col]
            return i < len(cells) and getattr(cells[i], "data_type", None) == "f"

        if all(value(h) is None or text(value(h)) == "" for h in HEADERS) and not any(is_formula(h) for h in HEADERS):
            continue  # blank rows (and rows formatted but empty) are ignored
        if len(out.rows) >= MAX_ROWS:
            out.problems.append(Problem(SHEET, None, "", f"行数超过上限 {MAX_ROWS}"))
            return
        row = RoutineRow(row=n, code=text(value(CODE)), name=text(value(NAME)), secretary=text(value(SECRETARY)),
                         score=None)
        for col in (CODE, SCORE):
            if is_formula(col) and value(col) is None:
                out.problems.append(Problem(SHEET, n, col, "单元格是公式但没有计算结果（请在 Excel/WPS 中打开并保存，"
                                                           "或改为直接填写数值）"))
        if not row.code and not is_formula(CODE):
            out.problems.append(Problem(SHEET, n, CODE, "单位代码为空"))
        if not (is_formula(SCORE) and value(SCORE) is None):
            row.score, reason = parse_score(value(SCORE))
            if reason:
                out.problems.append(Problem(SHEET, n, SCORE, reason))
        out.rows.append(row)
    if not out.rows and not out.problems:
        out.problems.append(Problem(SHEET, None, "", "没有数据行：请在表头下逐行填写各单位的日常考核得分"))


def validate_routine(sheet: RoutineSheet, units: Mapping[str, str], participant_codes: Collection[str]) -> list[Problem]:
    """Every problem of the file: its own, then each row's unit against the database.

    `units` maps the unit codes found in the database (at least those of the file) to unit names;
    `participant_codes` are the codes of the campaign's participants.
    """
    problems = list(sheet.problems)
    first_row: dict[str, int] = {}
    for r in sheet.rows:
        if not r.code:
            continue
        if r.code in first_row:
            problems.append(Problem(SHEET, r.row, CODE, f"单位代码“{r.code}”重复（第 {first_row[r.code]} 行已有）"))
            continue
        first_row[r.code] = r.row
        if r.code not in units:
            problems.append(Problem(SHEET, r.row, CODE, f"单位代码“{r.code}”在系统中不存在"))
        elif r.code not in participant_codes:
            problems.append(Problem(SHEET, r.row, CODE,
                                    f"单位“{units[r.code]}”（{r.code}）不是本考核方案的述职对象"))
    # In reading order: file-level first, then row by row, column by column.
    return sorted(problems, key=lambda p: (p.row or 0, HEADERS.index(p.column) if p.column in HEADERS else -1))
