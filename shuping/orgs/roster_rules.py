"""Roster workbook rules: layout, reading and validation. Pure: imports no Django models.

A roster .xlsx has a sheet "单位" (one row per unit, with its secretary) and a sheet "人员" (other
people). `read_roster` turns file bytes into typed rows; `validate_roster` checks them against the
units already in the database (given as a plain code → parent-code map). Both collect every problem
as a `Problem` naming file, sheet, row and column, so a bad file is rejected whole with all reasons.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

UNIT_SHEET = "单位"
PERSON_SHEET = "人员"
HELP_SHEET = "说明"
UNIT_HEADERS = ["单位代码", "单位名称", "简称", "组织类型", "类别", "上级单位代码", "书记姓名", "书记职务", "书记电话", "排序"]
PERSON_HEADERS = ["姓名", "所属单位代码", "职务", "性别", "电话"]
UNIT_REQUIRED = ["单位代码", "单位名称", "组织类型", "类别", "书记姓名"]
PERSON_REQUIRED = ["姓名", "所属单位代码"]
GENDERS = ("男", "女")
# Field lengths of the models (orgs.models); longer values would fail in the database.
MAX_LEN = {
    "单位代码": 32, "单位名称": 100, "简称": 50, "上级单位代码": 32, "书记姓名": 50, "书记职务": 100,
    "书记电话": 30, "姓名": 50, "所属单位代码": 32, "职务": 100, "电话": 30,
}
MAX_ROWS = 20000  # per sheet; a district has a few thousand units at most
MAX_SHOWN = 200  # problems listed on the page; the total is always given


@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int | None  # spreadsheet row number (header is row 1); None for file-level problems
    column: str
    reason: str

    def message(self, filename: str) -> str:
        where = f"文件“{filename}”"
        if self.sheet:
            where += f" 工作表“{self.sheet}”"
        if self.row:
            where += f" 第 {self.row} 行"
        if self.column:
            where += f" “{self.column}”列"
        return f"{where}：{self.reason}"


@dataclass
class UnitRow:
    row: int
    code: str
    name: str
    short_name: str
    type: str
    category: str
    parent_code: str
    secretary_name: str
    secretary_position: str
    secretary_phone: str
    sort_order: int


@dataclass
class PersonRow:
    row: int
    name: str
    unit_code: str
    position: str
    gender: str
    phone: str


@dataclass
class Roster:
    units: list[UnitRow] = field(default_factory=list)
    people: list[PersonRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class ImportRejected(Exception):
    """A whole spreadsheet is refused; `messages` lists every problem (already formatted). `what` names the
    kind of file in the summary."""

    what = "文件"

    def __init__(self, filename: str, problems: list[Problem]) -> None:
        self.filename = filename
        self.problems = problems
        self.messages = [p.message(filename) for p in problems]
        super().__init__(f"{self.what}“{filename}”有 {len(problems)} 处问题，未导入任何数据")


class RosterRejected(ImportRejected):
    what = "名册"


def text(value: Any) -> str:
    """A cell as text: numbers typed into code/phone cells lose their '.0', whitespace is trimmed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_roster(data: bytes, filename: str) -> Roster:
    """Read the two sheets. File-level problems (not an .xlsx, missing sheet/column, too many rows) stop here."""
    from openpyxl import load_workbook  # openpyxl is plain Python, not Django

    roster = Roster()
    if not filename.lower().endswith(".xlsx"):
        roster.problems.append(Problem("", None, "", "不是 .xlsx 文件，请使用“下载模板”得到的 Excel 工作簿（.xlsx）"))
        return roster
    if not zipfile.is_zipfile(io.BytesIO(data)):
        roster.problems.append(Problem("", None, "", "文件已损坏或不是有效的 .xlsx 工作簿"))
        return roster
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of errors for broken archives
        roster.problems.append(Problem("", None, "", "文件已损坏或不是有效的 .xlsx 工作簿"))
        return roster
    try:
        unit_rows = _sheet_rows(wb, UNIT_SHEET, UNIT_HEADERS, required=True, problems=roster.problems)
        person_rows = _sheet_rows(wb, PERSON_SHEET, PERSON_HEADERS, required=False, problems=roster.problems)
    finally:
        wb.close()
    if roster.problems:
        return roster
    for n, cells in unit_rows:
        order_text = cells["排序"]
        order = 0
        if order_text:
            try:
                order = int(float(order_text))
            except ValueError:
                roster.problems.append(Problem(UNIT_SHEET, n, "排序", f"“{order_text}”不是整数"))
        roster.units.append(UnitRow(
            row=n, code=cells["单位代码"], name=cells["单位名称"], short_name=cells["简称"], type=cells["组织类型"],
            category=cells["类别"], parent_code=cells["上级单位代码"], secretary_name=cells["书记姓名"],
            secretary_position=cells["书记职务"], secretary_phone=cells["书记电话"], sort_order=order,
        ))
    for n, cells in person_rows:
        roster.people.append(PersonRow(row=n, name=cells["姓名"], unit_code=cells["所属单位代码"], position=cells["职务"],
                                       gender=cells["性别"], phone=cells["电话"]))
    return roster


def _sheet_rows(wb: Any, sheet: str, headers: list[str], required: bool,
                problems: list[Problem]) -> list[tuple[int, dict[str, str]]]:
    if sheet not in wb.sheetnames:
        if required:
            problems.append(Problem(sheet, None, "", f"缺少工作表“{sheet}”"))
        return []
    ws = wb[sheet]
    rows = ws.iter_rows(values_only=True)
    header = [text(v) for v in next(rows, ())]
    index = {name: i for i, name in reversed(list(enumerate(header))) if name}
    missing = [h for h in headers if h not in index]
    if missing:
        problems.extend(Problem(sheet, 1, h, "缺少表头列") for h in missing)
        return []
    out: list[tuple[int, dict[str, str]]] = []
    for n, values in enumerate(rows, start=2):
        cells = {h: text(values[index[h]]) if index[h] < len(values) else "" for h in headers}
        if not any(cells.values()):
            continue  # blank rows (and rows formatted but empty) are ignored
        if len(out) >= MAX_ROWS:
            problems.append(Problem(sheet, None, "", f"行数超过上限 {MAX_ROWS}，请拆分后分批导入"))
            return []
        out.append((n, cells))
    return out


def field_problems(values: Mapping[str, str], required: Iterable[str]) -> list[tuple[str, str]]:
    """(column, reason) for missing required values and too-long values. Shared with the unit/person forms."""
    out = []
    for col in required:
        if not values.get(col, ""):
            out.append((col, "书记姓名为空：每个单位必须填写书记" if col == "书记姓名" else "必填项为空"))
    for col, value in values.items():
        limit = MAX_LEN.get(col)
        if limit and len(value) > limit:
            out.append((col, f"长度 {len(value)} 超过上限 {limit} 个字符"))
    return out


def find_cycles(parents: Mapping[str, str]) -> list[list[str]]:
    """Each cycle in a code → parent-code map, once, as the list of codes around it (in walking order)."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    cycles: list[list[str]] = []
    for start in parents:
        path: list[str] = []
        node: str | None = start
        while node and node in parents and state.get(node) != 2:
            if state.get(node) == 1:
                cycles.append(path[path.index(node):])
                break
            state[node] = 1
            path.append(node)
            node = parents[node]
        for code in path:
            state[code] = 2
    return cycles


def validate_roster(
    roster: Roster,
    existing_parents: Mapping[str, str],
    types: Iterable[str],
    categories: Iterable[str],
) -> list[Problem]:
    """Every problem with the rows, given the database's units as code → parent code ("" for a root)."""
    problems = list(roster.problems)
    types, categories = list(types), list(categories)
    first_row: dict[str, int] = {}
    file_codes = {u.code for u in roster.units if u.code}
    for u in roster.units:
        values = {"单位代码": u.code, "单位名称": u.name, "简称": u.short_name, "组织类型": u.type, "类别": u.category,
                  "上级单位代码": u.parent_code, "书记姓名": u.secretary_name, "书记职务": u.secretary_position,
                  "书记电话": u.secretary_phone}
        problems += [Problem(UNIT_SHEET, u.row, c, r) for c, r in field_problems(values, UNIT_REQUIRED)]
        if u.type and u.type not in types:
            problems.append(Problem(UNIT_SHEET, u.row, "组织类型", f"“{u.type}”不是允许的组织类型（{'、'.join(types)}）"))
        if u.category and u.category not in categories:
            problems.append(Problem(UNIT_SHEET, u.row, "类别", f"“{u.category}”不是允许的类别（{'、'.join(categories)}）"))
        if u.code:
            if u.code in first_row:
                problems.append(Problem(UNIT_SHEET, u.row, "单位代码",
                                        f"单位代码“{u.code}”重复（第 {first_row[u.code]} 行已有）"))
            else:
                first_row[u.code] = u.row
        if u.parent_code and u.parent_code == u.code:
            problems.append(Problem(UNIT_SHEET, u.row, "上级单位代码", "上级单位不能是本单位"))
        elif u.parent_code and u.parent_code not in file_codes and u.parent_code not in existing_parents:
            problems.append(Problem(UNIT_SHEET, u.row, "上级单位代码",
                                    f"上级单位代码“{u.parent_code}”在文件和系统中都不存在"))

    # Cycles through the parent links the database will have after the import (file overrides database).
    merged = dict(existing_parents)
    for u in roster.units:
        if u.code and first_row.get(u.code) == u.row:
            merged[u.code] = u.parent_code
    for cycle in find_cycles({c: p for c, p in merged.items() if p != c}):
        in_file = [c for c in cycle if c in first_row]
        if not in_file:
            continue  # already in the database; not this file's doing
        code = min(in_file, key=lambda c: first_row[c])
        loop = " → ".join([*cycle, cycle[0]])
        problems.append(Problem(UNIT_SHEET, first_row[code], "上级单位代码", f"上级关系形成循环：{loop}"))

    secretaries = {u.code: u.secretary_name for u in roster.units if u.code}
    seen_people: dict[tuple[str, str], int] = {}
    for p in roster.people:
        values = {"姓名": p.name, "所属单位代码": p.unit_code, "职务": p.position, "电话": p.phone}
        problems += [Problem(PERSON_SHEET, p.row, c, r) for c, r in field_problems(values, PERSON_REQUIRED)]
        if p.gender and p.gender not in GENDERS:
            problems.append(Problem(PERSON_SHEET, p.row, "性别", f"“{p.gender}”不是允许的值（男、女或留空）"))
        if p.unit_code and p.unit_code not in file_codes and p.unit_code not in existing_parents:
            problems.append(Problem(PERSON_SHEET, p.row, "所属单位代码",
                                    f"单位代码“{p.unit_code}”在文件和系统中都不存在"))
        if p.name and p.unit_code:
            key = (p.unit_code, p.name)
            if key in seen_people:
                problems.append(Problem(PERSON_SHEET, p.row, "姓名",
                                        f"“{p.name}”在单位“{p.unit_code}”下重复（第 {seen_people[key]} 行已有）"))
            else:
                seen_people[key] = p.row
            if secretaries.get(p.unit_code) == p.name:
                problems.append(Problem(PERSON_SHEET, p.row, "姓名",
                                        f"“{p.name}”已是单位“{p.unit_code}”的书记，书记只在“单位”表填写"))
    # In reading order: file, then sheet 单位 row by row, then sheet 人员 (stable: columns keep their order).
    sheet_order = {"": 0, UNIT_SHEET: 1, PERSON_SHEET: 2}
    return sorted(problems, key=lambda p: (sheet_order.get(p.sheet, 3), p.row or 0))
