"""整改台账 workbook rules: layout, reading and validation. Pure: imports no Django models.

Layout — the three lists organisers keep (问题清单 / 任务清单 / 责任清单), one sheet each, in one workbook,
sharing the key 序号 (one 序号 = one ledger entry; each 序号 appears once in every sheet):

- 问题清单: 序号, 条目编号, 考核年度, 单位代码, 单位名称, 问题, 问题类别, 来源, 来源说明, 状态, 销号日期
- 任务清单: 序号, 单位代码, 问题, 整改措施, 整改目标, 整改时限
- 责任清单: 序号, 单位代码, 问题, 责任人

Read on import: 问题清单's 条目编号 (blank = a new entry), 考核年度, 单位代码, 问题, 问题类别, 来源说明;
任务清单's 整改措施, 整改目标, 整改时限; 责任清单's 责任人. 单位代码 is repeated in 任务清单 and 责任清单 so a
shifted row shows: it must equal 问题清单's. Shown only (not read): 单位名称, 来源, 状态, 销号日期 and the 问题
copies of 任务清单/责任清单 — state changes go through progress and verification, never through a file.

`read_ledger` turns bytes into typed rows and collects every file and cell problem; `validate_ledger` checks the
rows against the database (given as plain mappings). Every problem names file, sheet, row and column (`Problem`
of the roster rules), so a bad file is refused whole with all its reasons.
"""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from shuping.core.xlsx_upload import CORRUPT, MACRO, xlsx_problem  # noqa: F401 (MACRO: tests read it here)
from shuping.orgs.roster_rules import ImportRejected, Problem, text
from shuping.rectification.categories import CATEGORIES

PROBLEM_SHEET, TASK_SHEET, DUTY_SHEET, HELP_SHEET = "问题清单", "任务清单", "责任清单", "说明"
SHEETS = (PROBLEM_SHEET, TASK_SHEET, DUTY_SHEET)
SEQ, ENTRY_ID, YEAR, CODE, UNIT_NAME, PROBLEM, CATEGORY = "序号", "条目编号", "考核年度", "单位代码", "单位名称", "问题", "问题类别"
SOURCE, SOURCE_REF, STATE, CLOSED_ON = "来源", "来源说明", "状态", "销号日期"
MEASURES, TARGET, DEADLINE, RESPONSIBLE = "整改措施", "整改目标", "整改时限", "责任人"
HEADERS: dict[str, list[str]] = {
    PROBLEM_SHEET: [SEQ, ENTRY_ID, YEAR, CODE, UNIT_NAME, PROBLEM, CATEGORY, SOURCE, SOURCE_REF, STATE, CLOSED_ON],
    TASK_SHEET: [SEQ, CODE, PROBLEM, MEASURES, TARGET, DEADLINE],
    DUTY_SHEET: [SEQ, CODE, PROBLEM, RESPONSIBLE],
}
REQUIRED: dict[str, list[str]] = {PROBLEM_SHEET: [SEQ, CODE, PROBLEM, CATEGORY], TASK_SHEET: [SEQ, CODE],
                                  DUTY_SHEET: [SEQ, CODE]}
SHOWN_ONLY: dict[str, list[str]] = {PROBLEM_SHEET: [UNIT_NAME, SOURCE, STATE, CLOSED_ON], TASK_SHEET: [PROBLEM],
                                    DUTY_SHEET: [PROBLEM]}
MAX_LEN = {SOURCE_REF: 300, RESPONSIBLE: 100, PROBLEM: 5000, MEASURES: 5000, TARGET: 5000, CODE: 32}  # as actions
CATEGORY_CODES = {label: code for code, label in CATEGORIES}
MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 10000
MAX_SHOWN = 200

NOT_XLSX = "不是 .xlsx 文件，请使用“下载模板”或“导出”得到的 Excel 工作簿（.xlsx）"
DATE_TEXT = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
INTEGER = re.compile(r"\d+")


@dataclass
class LedgerRow:
    seq: int
    rows: dict[str, int]  # sheet → spreadsheet row number of this 序号
    entry_id: int | None = None
    year: int | None = None
    unit_code: str = ""
    problem: str = ""
    category: str = ""  # code (categories.CATEGORIES); "" when the label is unknown (a problem is listed)
    source_ref: str = ""
    measures: str = ""
    target: str = ""
    deadline: datetime.date | None = None
    responsible: str = ""


@dataclass
class LedgerSheet:
    rows: list[LedgerRow] = field(default_factory=list)  # in 问题清单 order
    problems: list[Problem] = field(default_factory=list)


class LedgerRejected(ImportRejected):
    what = "整改台账"


def parse_date(value: Any) -> tuple[datetime.date | None, str]:
    """(date, "") for a date cell or text such as 2025-06-30, 2025/6/30, 2025.6.30, 2025年6月30日; blank → (None,
    ""); anything else → (None, reason)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, ""
    if isinstance(value, datetime.datetime):
        return value.date(), ""
    if isinstance(value, datetime.date):
        return value, ""
    shown = text(value)
    m = DATE_TEXT.fullmatch(shown) if isinstance(value, str) else None
    if m:
        try:
            return datetime.date(int(m[1]), int(m[2]), int(m[3])), ""
        except ValueError:
            pass
    return None, f"“{shown}”不是有效日期（请填写日期，如 2025-06-30）"


def parse_int(value: Any) -> int | None:
    """A whole number typed as a number or as text, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and INTEGER.fullmatch(value.strip()):
        return int(value.strip())
    return None


def file_problem(data: bytes, filename: str) -> str:
    """The reason a file cannot be read at all, or ""."""
    return xlsx_problem(data, filename, max_bytes=MAX_BYTES, not_xlsx=NOT_XLSX,
                        too_big=f"文件过大（超过 {MAX_BYTES // 1024 // 1024} MB）")


def read_ledger(data: bytes, filename: str) -> LedgerSheet:
    """Read the three sheets and join them on 序号. A file-level problem (type, size, corrupt, missing sheet or
    header) stops here; cell and consistency problems are all collected."""
    from openpyxl import load_workbook  # openpyxl is plain Python, not Django

    out = LedgerSheet()
    reason = file_problem(data, filename)
    if reason:
        out.problems.append(Problem("", None, "", reason))
        return out
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of errors for broken archives
        out.problems.append(Problem("", None, "", CORRUPT))
        return out
    try:
        sheets = {name: _sheet_rows(wb, name, out.problems) for name in SHEETS}
    except Exception:  # a damaged sheet part (bad XML) inside a valid archive
        return LedgerSheet(problems=[Problem("", None, "", CORRUPT)])
    finally:
        wb.close()
    if out.problems:
        return out
    _join(sheets, out)
    if not out.rows and not out.problems:
        out.problems.append(Problem(PROBLEM_SHEET, None, "", "没有数据行：请在“问题清单”表头下逐行填写问题"))
    return out


def _sheet_rows(wb: Any, sheet: str, problems: list[Problem]) -> list[tuple[int, dict[str, Any]]]:
    if sheet not in wb.sheetnames:
        problems.append(Problem(sheet, None, "", f"缺少工作表“{sheet}”（现有：{'、'.join(wb.sheetnames)}；"
                                                 "三张清单须在同一个工作簿中）"))
        return []
    rows = wb[sheet].iter_rows(values_only=True)
    header = [text(v) for v in next(rows, ())]
    index = {name: i for i, name in reversed(list(enumerate(header))) if name}
    wanted = HEADERS[sheet]
    missing = [h for h in wanted if h not in index and h not in SHOWN_ONLY[sheet]]
    if missing:
        expected = "、".join(wanted)
        problems.extend(Problem(sheet, 1, h, f"缺少表头列（第 1 行须为：{expected}；请勿改动模板表头）") for h in missing)
        return []
    out: list[tuple[int, dict[str, Any]]] = []
    for n, values in enumerate(rows, start=2):
        cells = {h: values[index[h]] if h in index and index[h] < len(values) else None for h in wanted}
        if all(text(v) == "" for v in cells.values()):
            continue  # blank rows (and rows formatted but empty) are ignored
        if len(out) >= MAX_ROWS:
            problems.append(Problem(sheet, None, "", f"行数超过上限 {MAX_ROWS}，请拆分后分批导入"))
            return []
        out.append((n, cells))
    return out


def _seqs(sheet: str, rows: list[tuple[int, dict[str, Any]]],
          problems: list[Problem]) -> dict[int, tuple[int, dict[str, Any]]]:
    """序号 → (row, cells) of one sheet; empty, non-integer and repeated 序号 are problems."""
    by_seq: dict[int, tuple[int, dict[str, Any]]] = {}
    for n, cells in rows:
        raw = cells[SEQ]
        seq = parse_int(raw)
        if text(raw) == "":
            problems.append(Problem(sheet, n, SEQ, "序号为空"))
        elif seq is None or seq <= 0:
            problems.append(Problem(sheet, n, SEQ, f"“{text(raw)}”不是正整数"))
        elif seq in by_seq:
            problems.append(Problem(sheet, n, SEQ, f"序号 {seq} 重复（第 {by_seq[seq][0]} 行已有）"))
        else:
            by_seq[seq] = (n, cells)
    return by_seq


def _text_cell(sheet: str, n: int, col: str, value: Any, problems: list[Problem], required: bool = False) -> str:
    value_text = text(value)
    if required and not value_text:
        problems.append(Problem(sheet, n, col, "问题内容为空" if col == PROBLEM else "必填项为空"))
    limit = MAX_LEN.get(col)
    if limit and len(value_text) > limit:
        problems.append(Problem(sheet, n, col, f"长度 {len(value_text)} 超过上限 {limit} 个字符"))
    return value_text


def _join(sheets: dict[str, list[tuple[int, dict[str, Any]]]], out: LedgerSheet) -> None:
    p = out.problems
    by_sheet = {name: _seqs(name, sheets[name], p) for name in SHEETS}
    problems_by_seq = by_sheet[PROBLEM_SHEET]
    # Inconsistent sheets: a 序号 of 任务清单/责任清单 without a problem, or a problem missing from either.
    for name in (TASK_SHEET, DUTY_SHEET):
        for seq, (n, _cells) in by_sheet[name].items():
            if seq not in problems_by_seq:
                p.append(Problem(name, n, SEQ, f"序号 {seq} 在“{PROBLEM_SHEET}”中不存在（三张清单的序号须一一对应）"))
    for seq, (n, cells) in problems_by_seq.items():
        row = LedgerRow(seq=seq, rows={PROBLEM_SHEET: n})
        raw_id = cells[ENTRY_ID]
        if text(raw_id):
            row.entry_id = parse_int(raw_id)
            if row.entry_id is None or row.entry_id <= 0:
                p.append(Problem(PROBLEM_SHEET, n, ENTRY_ID, f"“{text(raw_id)}”不是有效的条目编号（新增的问题请留空）"))
        raw_year = cells[YEAR]
        if text(raw_year):
            row.year = parse_int(raw_year)
            if row.year is None or not 2000 <= row.year <= 2100:
                p.append(Problem(PROBLEM_SHEET, n, YEAR, f"“{text(raw_year)}”不是有效年度（如 2025；不属于任何考核年度请留空）"))
                row.year = None
        row.unit_code = _text_cell(PROBLEM_SHEET, n, CODE, cells[CODE], p, required=True)
        row.problem = _text_cell(PROBLEM_SHEET, n, PROBLEM, cells[PROBLEM], p, required=True)
        label = _text_cell(PROBLEM_SHEET, n, CATEGORY, cells[CATEGORY], p, required=True)
        if label:
            row.category = CATEGORY_CODES.get(label, "")
            if not row.category:
                p.append(Problem(PROBLEM_SHEET, n, CATEGORY,
                                 f"“{label}”不是允许的问题类别（{'、'.join(CATEGORY_CODES)}）"))
        row.source_ref = _text_cell(PROBLEM_SHEET, n, SOURCE_REF, cells[SOURCE_REF], p)

        for name in (TASK_SHEET, DUTY_SHEET):
            other = by_sheet[name].get(seq)
            if other is None:
                p.append(Problem(PROBLEM_SHEET, n, SEQ, f"序号 {seq} 在“{name}”中没有对应的行（三张清单的序号须一一对应）"))
                continue
            m, o = other
            row.rows[name] = m
            code = text(o[CODE])
            if not code:
                p.append(Problem(name, m, CODE, "单位代码为空"))
            elif row.unit_code and code != row.unit_code:
                p.append(Problem(name, m, CODE, f"单位代码“{code}”与“{PROBLEM_SHEET}”第 {n} 行（序号 {seq}）的"
                                               f"“{row.unit_code}”不一致"))
            if name == TASK_SHEET:
                row.measures = _text_cell(name, m, MEASURES, o[MEASURES], p)
                row.target = _text_cell(name, m, TARGET, o[TARGET], p)
                row.deadline, reason = parse_date(o[DEADLINE])
                if reason:
                    p.append(Problem(name, m, DEADLINE, reason))
            else:
                row.responsible = _text_cell(name, m, RESPONSIBLE, o[RESPONSIBLE], p)
        out.rows.append(row)


def resolve_campaign(year: int, unit_code: str, campaigns: Mapping[int, list[tuple[int, Collection[str]]]]
                     ) -> tuple[int | None, str]:
    """The campaign of `year` for a unit: (id, "") or (None, reason). `campaigns` maps a year to its campaigns as
    (id, participant unit codes); with several campaigns that year, the one the unit takes part in."""
    found = campaigns.get(year, [])
    if not found:
        return None, f"系统中没有 {year} 年度的考核方案"
    if len(found) == 1:
        return found[0][0], ""
    mine = [cid for cid, codes in found if unit_code in codes]
    if len(mine) == 1:
        return mine[0], ""
    return None, f"{year} 年度有多个考核方案，无法确定该单位所属的一个"


def validate_ledger(
    sheet: LedgerSheet,
    unit_codes: Collection[str],
    entries: Mapping[int, str],
    campaigns: Mapping[int, list[tuple[int, Collection[str]]]],
) -> tuple[list[Problem], dict[int, int | None]]:
    """Every problem of the file (its own, then each row against the database) and the campaign id of each 序号.

    `unit_codes`: the units of the database; `entries`: the ledger entries named by the file, id → unit code
    (ids missing here do not exist or may not be touched); `campaigns`: see `resolve_campaign`."""
    problems = list(sheet.problems)
    campaign_of: dict[int, int | None] = {}
    first_id: dict[int, int] = {}
    for r in sheet.rows:
        n = r.rows[PROBLEM_SHEET]
        if r.unit_code and r.unit_code not in unit_codes:
            problems.append(Problem(PROBLEM_SHEET, n, CODE, f"单位代码“{r.unit_code}”在系统中不存在"))
        if r.entry_id is not None:
            if r.entry_id in first_id:
                problems.append(Problem(PROBLEM_SHEET, n, ENTRY_ID,
                                        f"条目编号 {r.entry_id} 重复（第 {first_id[r.entry_id]} 行已有）"))
            else:
                first_id[r.entry_id] = n
            if r.entry_id not in entries:
                problems.append(Problem(PROBLEM_SHEET, n, ENTRY_ID, f"条目编号 {r.entry_id} 在系统中不存在"
                                                                    "（新增的问题请将条目编号留空）"))
            elif r.unit_code and entries[r.entry_id] != r.unit_code:
                problems.append(Problem(PROBLEM_SHEET, n, CODE, f"条目 {r.entry_id} 属于单位“{entries[r.entry_id]}”，"
                                                                "不能通过导入改为其他单位"))
        campaign_of[r.seq] = None
        if r.year is not None:
            cid, reason = resolve_campaign(r.year, r.unit_code, campaigns)
            if reason:
                problems.append(Problem(PROBLEM_SHEET, n, YEAR, reason))
            campaign_of[r.seq] = cid
    order = {"": 0, PROBLEM_SHEET: 1, TASK_SHEET: 2, DUTY_SHEET: 3}
    return sorted(problems, key=lambda p: (order.get(p.sheet, 4), p.row or 0)), campaign_of
