"""整改台账 .xlsx: the template, the export (the three lists of the entries a user may read, with the list's
filters) and the organiser's import.

Layout and validation live in `ledger_rules` (pure). Import is all or nothing: the file is read and validated
whole, then checked against the database inside the transaction that applies it; only a clean file is applied.
A row with an existing 条目编号 updates that entry (its unit never changes; a verified, closed entry is not
changed by a file); a row without one creates a new entry with source 导入. One audit event with the counts.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from shuping.accounts.access import LEDGER_MANAGERS, check_roles
from shuping.accounts.models import User
from shuping.audit.log import record
from shuping.campaigns.models import Campaign
from shuping.orgs.models import Person, Unit
from shuping.orgs.roster_rules import Problem
from shuping.rectification import actions
from shuping.rectification.categories import CATEGORIES, LABELS
from shuping.rectification.ledger_rules import (
    CATEGORY,
    DEADLINE,
    DUTY_SHEET,
    HEADERS,
    HELP_SHEET,
    MAX_BYTES,
    PROBLEM_SHEET,
    REQUIRED,
    SHOWN_ONLY,
    TASK_SHEET,
    LedgerRejected,
    LedgerRow,
    read_ledger,
    validate_ledger,
)
from shuping.rectification.models import EntryState, LedgerEntry, Source

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WIDTHS = {
    PROBLEM_SHEET: [6, 9, 9, 10, 22, 48, 22, 12, 24, 10, 12],
    TASK_SHEET: [6, 10, 36, 48, 36, 12],
    DUTY_SHEET: [6, 10, 36, 14],
}
UPDATED_FIELDS = ("campaign_id", "problem", "category", "source_ref", "measures", "target", "deadline",
                  "responsible_id", "responsible_name")


# ---------------------------------------------------------------- workbook

def _help_rows() -> list[list[str]]:
    return [
        ["整改台账导入说明", ""],
        ["三张清单", f"一个工作簿，三个工作表：“{PROBLEM_SHEET}”“{TASK_SHEET}”“{DUTY_SHEET}”，以“序号”对应——同一序号在"
                 "三张表中各有一行，表示同一条问题。请勿改动表头（第 1 行）。"],
        [PROBLEM_SHEET, "条目编号：系统中已有条目的编号（导出时填好），留空表示新增问题；考核年度：问题产生的考核年度，可留空；"
                        "单位代码、问题、问题类别必填；来源说明可选。"],
        [TASK_SHEET, "整改措施、整改目标、整改时限（日期，如 2025-06-30）。单位代码须与问题清单同一序号的单位代码一致。"],
        [DUTY_SHEET, "责任人：与单位人员同名时关联到该人员，否则按填写的姓名记录。单位代码须与问题清单一致。"],
        ["仅供核对", "问题清单的单位名称、来源、状态、销号日期，任务清单和责任清单的“问题”列只供阅读，导入时不读取。"
                  "状态只能通过整改进展和销号核验改变。"],
        ["问题类别（允许值）", "、".join(label for _, label in CATEGORIES)],
        ["导入规则", "整个文件先全部校验，有任何问题则一条也不导入，并列出每个问题所在的工作表、行和列。"],
        ["", "有条目编号的行更新该条目（不能改变所属单位；已销号的条目不能通过导入修改）；没有条目编号的行新增条目，来源记为“导入”。"],
        ["", "系统中已有、文件中没有的条目不会被删除。"],
        ["文件", f"Excel 工作簿（.xlsx），不超过 {MAX_BYTES // 1024 // 1024} MB；不接受启用宏的 .xlsm。"],
    ]


def _workbook(rows: list[dict[str, list[Any]]]) -> bytes:
    """`rows`: one dict per entry, sheet → the row's cells in HEADERS order."""
    wb = Workbook()
    first = wb.active
    assert first is not None
    bold, required_fill, shown_fill = Font(bold=True), PatternFill("solid", fgColor="FDECEA"), \
        PatternFill("solid", fgColor="EEF1F5")
    for i, sheet in enumerate((PROBLEM_SHEET, TASK_SHEET, DUTY_SHEET)):
        ws = first if i == 0 else wb.create_sheet(sheet)
        ws.title = sheet
        ws.append(HEADERS[sheet])
        for cell in ws[1]:
            cell.font = bold
            if cell.value in REQUIRED[sheet]:
                cell.fill = required_fill
            elif cell.value in SHOWN_ONLY[sheet]:
                cell.fill = shown_fill
                cell.comment = Comment("仅供核对，导入时不读取", "述评")
        for r in rows:
            ws.append(r[sheet])
        for i_col, width in enumerate(WIDTHS[sheet]):
            ws.column_dimensions[chr(ord("A") + i_col)].width = width
        for line in ws.iter_rows(min_row=2):
            for cell in line:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.freeze_panes = "B2"
        last = max(ws.max_row, 2) + 500
        if sheet == PROBLEM_SHEET:
            col = chr(ord("A") + HEADERS[sheet].index(CATEGORY))
            # The list is longer than Excel's 255-character inline limit: point at the 说明 sheet's cells.
            dv = DataValidation(type="list", formula1=f"'{HELP_SHEET}'!$B$20:$B$29", allow_blank=True,
                                showErrorMessage=True, errorTitle="问题类别不允许", error="请从下拉列表中选择问题类别")
            dv.add(f"{col}2:{col}{last}")
            ws.add_data_validation(dv)
        if sheet == TASK_SHEET:
            col = chr(ord("A") + HEADERS[sheet].index(DEADLINE))
            for (cell,) in ws.iter_rows(min_row=2, max_row=last, min_col=HEADERS[sheet].index(DEADLINE) + 1,
                                        max_col=HEADERS[sheet].index(DEADLINE) + 1):
                cell.number_format = "yyyy-mm-dd"
            dv = DataValidation(type="date", operator="greaterThan", formula1="36526", allow_blank=True,
                                showErrorMessage=True, errorTitle="日期不正确", error="请填写日期，如 2025-06-30")
            dv.add(f"{col}2:{col}{last}")
            ws.add_data_validation(dv)
    help_ws = wb.create_sheet(HELP_SHEET)
    help_ws.column_dimensions["A"].width = 18
    help_ws.column_dimensions["B"].width = 96
    for row in _help_rows():
        help_ws.append(row)
    help_ws["A1"].font = bold
    # The category list for the dropdown, at B20:B29.
    help_ws["A19"], help_ws["A19"].font = "问题类别", bold
    for i, (_, label) in enumerate(CATEGORIES):
        help_ws.cell(row=20 + i, column=2, value=label)
    for (cell,) in help_ws.iter_rows(min_col=2, max_col=2):
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _rows_of(e: LedgerEntry, seq: int) -> dict[str, list[Any]]:
    closed = timezone.localdate(e.closed_at) if e.state == EntryState.CLOSED and e.closed_at else None
    responsible = e.responsible.name if e.responsible_id and e.responsible else e.responsible_name
    return {
        PROBLEM_SHEET: [seq, e.pk, e.campaign.year if e.campaign_id and e.campaign else None, e.unit.code, e.unit.name,
                        e.problem, LABELS.get(e.category, e.category), e.get_source_display(), e.source_ref,
                        e.get_state_display(), closed],
        TASK_SHEET: [seq, e.unit.code, e.problem, e.measures, e.target, e.deadline],
        DUTY_SHEET: [seq, e.unit.code, e.problem, responsible],
    }


def template_bytes() -> bytes:
    """Headers, one example problem, the 说明 sheet and the category dropdown."""
    import datetime

    example: dict[str, list[Any]] = {
        PROBLEM_SHEET: [1, None, None, "Q01", "示例街道党工委", "党员教育管理不够规范，“三会一课”记录不全",
                        LABELS["members"], "", "2025年度述职评议会点评", "", None],
        TASK_SHEET: [1, "Q01", "党员教育管理不够规范，“三会一课”记录不全", "逐支部检查“三会一课”台账，建立月度通报制度",
                     "年底前所有支部台账规范完整", datetime.date(2026, 6, 30)],
        DUTY_SHEET: [1, "Q01", "党员教育管理不够规范，“三会一课”记录不全", "张三"],
    }
    return _workbook([example])


def entries_for(user: User, filters: actions.Filters) -> list[LedgerEntry]:
    """The entries the ledger list shows `user` for `filters` (actions.Filters), in the ledger's order (unit,
    creation). Sorted here: `actions.search` annotates (GROUP BY), and Django drops Meta.ordering from GROUP BY
    queries, so its order is the database's."""
    rows = actions.search(user, filters, timezone.localdate())
    return sorted((e for e, _ in rows), key=lambda e: (e.unit.sort_order, e.unit.code, e.created_at, e.pk))


def export_bytes(entries: Iterable[LedgerEntry]) -> bytes:
    """The entries (filtered by the caller, who may read them; with unit, campaign and responsible loaded) in the
    template's layout, in the ledger's order: re-importable as is."""
    return _workbook([_rows_of(e, i) for i, e in enumerate(entries, start=1)])


def export_name() -> str:
    return f"整改台账-{timezone.localdate():%Y%m%d}.xlsx"


# ---------------------------------------------------------------- import

@dataclass
class ImportResult:
    filename: str
    sha256: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    created_ids: list[int] = field(default_factory=list)
    updated_ids: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    def summary(self) -> str:
        return f"共 {self.total} 条：新增 {self.created}、更新 {self.updated}、未变 {self.unchanged}"

    def as_data(self) -> dict[str, Any]:
        return {"file": self.filename, "sha256": self.sha256, "rows": self.total, "created": self.created,
                "updated": self.updated, "unchanged": self.unchanged, "created_ids": self.created_ids,
                "updated_ids": self.updated_ids}


def _people(unit_ids: set[int]) -> dict[tuple[int, str], int | None]:
    """(unit id, name) → person id; None when the name is not unique in the unit."""
    out: dict[tuple[int, str], int | None] = {}
    for pid, uid, name in Person.objects.filter(unit_id__in=unit_ids).values_list("pk", "unit_id", "name"):
        out[(uid, name)] = None if (uid, name) in out else pid
    return out


def _values(r: LedgerRow, unit_id: int, campaign_id: int | None,
            people: dict[tuple[int, str], int | None]) -> dict[str, Any]:
    person = people.get((unit_id, r.responsible)) if r.responsible else None
    return {"campaign_id": campaign_id, "problem": r.problem, "category": r.category, "source_ref": r.source_ref,
            "measures": r.measures, "target": r.target, "deadline": r.deadline, "responsible_id": person,
            "responsible_name": "" if person else r.responsible}


def import_ledger(actor: User, data: bytes, filename: str) -> ImportResult:
    """Validate the whole file, then create and update entries, in one transaction (organisers only)."""
    check_roles(actor, *LEDGER_MANAGERS)
    parsed = read_ledger(data, filename)
    if parsed.problems and not parsed.rows:  # unreadable file, sheet or header: no rows to check further
        raise LedgerRejected(filename, parsed.problems)
    with transaction.atomic():
        codes = {r.unit_code for r in parsed.rows if r.unit_code}
        units = dict(Unit.objects.filter(code__in=codes).values_list("code", "pk"))
        ids = {r.entry_id for r in parsed.rows if r.entry_id}
        existing = {e.pk: e for e in LedgerEntry.objects.select_for_update(of=("self",)).filter(pk__in=ids)
                    .select_related("unit", "responsible")}
        years = {r.year for r in parsed.rows if r.year}
        campaigns: dict[int, list[tuple[int, Collection[str]]]] = {}
        for c in Campaign.objects.filter(year__in=years).prefetch_related("participants__unit"):
            campaigns.setdefault(c.year, []).append((c.pk, {p.unit.code for p in c.participants.all()}))
        problems, campaign_of = validate_ledger(parsed, units.keys(), {pk: e.unit.code for pk, e in existing.items()},
                                                campaigns)
        people = _people(set(units.values()))
        result = ImportResult(filename=filename, sha256=hashlib.sha256(data).hexdigest())
        to_create: list[LedgerEntry] = []
        to_update: list[tuple[LedgerEntry, dict[str, Any]]] = []
        for r in parsed.rows:
            if r.unit_code not in units or (r.entry_id is not None and r.entry_id not in existing):
                continue  # already a problem
            values = _values(r, units[r.unit_code], campaign_of[r.seq], people)
            if r.entry_id is None:
                to_create.append(LedgerEntry(unit_id=units[r.unit_code], source=Source.IMPORT, created_by=actor,
                                             **values))
                continue
            e = existing[r.entry_id]
            if e.responsible is not None and e.responsible.name == r.responsible:  # keep the link (names may repeat)
                values.update(responsible_id=e.responsible_id, responsible_name="")
            changed = {k: v for k, v in values.items() if getattr(e, k) != v}
            if not changed:
                result.unchanged += 1
            elif e.state == EntryState.CLOSED:
                problems.append(Problem(PROBLEM_SHEET, r.rows[PROBLEM_SHEET], "条目编号",
                                        f"条目 {e.pk} 已销号，不能通过导入修改（改动了：{_field_names(changed)}）；"
                                        "如确需修改，请先在台账中重新打开该条目"))
            else:
                to_update.append((e, changed))
        if problems:
            order = {"": 0, PROBLEM_SHEET: 1, TASK_SHEET: 2, DUTY_SHEET: 3}
            raise LedgerRejected(filename, sorted(problems, key=lambda p: (order.get(p.sheet, 4), p.row or 0)))
        for e in to_create:
            e.save()
            result.created_ids.append(e.pk)
        for e, changed in to_update:
            for k, v in changed.items():
                setattr(e, k, v)
            e.save(update_fields=[*changed, "updated_at"])
            result.updated_ids.append(e.pk)
        result.created, result.updated = len(to_create), len(to_update)
        record(actor, "ledger.import", None, f"导入整改台账“{filename}”：{result.summary()}", result.as_data())
    return result


FIELD_NAMES = {"campaign_id": "考核年度", "problem": "问题", "category": "问题类别", "source_ref": "来源说明",
               "measures": "整改措施", "target": "整改目标", "deadline": "整改时限", "responsible_id": "责任人",
               "responsible_name": "责任人"}


def _field_names(changed: dict[str, Any]) -> str:
    return "、".join(dict.fromkeys(FIELD_NAMES[k] for k in changed))
