"""日常考核 .xlsx: the per-campaign template and the import of routine assessment scores.

Layout and validation live in `routine_rules` (pure). Import is all or nothing: the file is read and
validated whole, then checked against the database inside the transaction that applies it; a clean file
replaces every 日常考核 score of the campaign (participants missing from the file keep no score, so the
component drops out of their composite) and appends one audit event.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from shuping.accounts.models import User
from shuping.audit.log import record
from shuping.campaigns.models import Campaign, CampaignState, Participant
from shuping.orgs.models import Unit
from shuping.orgs.roster_rules import Problem
from shuping.results.models import ResultSheet
from shuping.scoring.models import RoutineScore
from shuping.scoring.routine_rules import (
    CODE,
    HEADERS,
    HELP_SHEET,
    MAX_BYTES,
    SCORE,
    SHEET,
    read_routine,
    validate_routine,
)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LOCKED = "考核结果已提交审核/公布，日常考核得分已锁定"
SOURCE_MAX = 300  # RoutineScore.source


class RoutineRejected(ValidationError):
    """The whole file is refused; `messages` lists every problem, each naming file, sheet, row and column."""

    def __init__(self, filename: str, problems: list[Problem]) -> None:
        self.filename = filename
        self.problems = problems
        super().__init__([p.message(filename) for p in problems])


def refusal(campaign: Campaign, sheet: ResultSheet | None = None) -> str:
    """Why 日常考核 scores of this campaign may not change now, or "" when they may."""
    if campaign.state == CampaignState.DRAFT:
        return "考核方案处于“草拟”状态，发布后才能导入日常考核得分"
    if campaign.state == CampaignState.ARCHIVED:
        return "考核方案已归档，日常考核得分不能再修改"
    if sheet is None and hasattr(campaign, "result_sheet"):
        sheet = campaign.result_sheet
    if sheet is not None and sheet.locked:
        return LOCKED
    return ""


def participants(campaign: Campaign) -> QuerySet[Participant]:
    """The campaign's participants in unit order, with their score (if any) and who imported it."""
    return (campaign.participants.select_related("unit", "secretary", "routine_score__imported_by")
            .order_by("unit__sort_order", "unit__code"))


def score_of(p: Participant) -> RoutineScore | None:
    return getattr(p, "routine_score", None)


# ---------------------------------------------------------------- template

def _help_rows() -> list[list[str]]:
    return [
        ["日常考核得分导入说明", ""],
        ["工作表", f"只读取工作表“{SHEET}”，第 1 行为表头：{'、'.join(HEADERS)}（请勿改名或删除）。"],
        ["单位代码", "按单位代码对应述职对象；须是本考核方案的述职对象，每个单位只能出现一次。"],
        ["单位名称、述职人", "仅供核对，导入时不读取。"],
        ["日常考核得分", "0–100 的数值，最多 2 位小数；不能为空。公式须已计算出结果（在 Excel/WPS 中保存过）。"],
        ["未列入的单位", "文件中没有的述职对象导入后没有日常考核得分，综合得分中该项不计入，其余各项权重按比例折算。"],
        ["导入规则", "整个文件先全部校验，有任何问题则一条也不导入，并列出每个问题所在的工作表、行和列。"],
        ["", "导入成功后，本考核方案原有的日常考核得分全部被本文件替换。"],
        ["文件", f"Excel 工作簿（.xlsx），不超过 {MAX_BYTES // 1024 // 1024} MB；不接受启用宏的 .xlsm。"],
    ]


def template_bytes(campaign: Campaign) -> bytes:
    """The campaign's participants (code, name, secretary) and their current score, ready to fill in."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEET
    ws.append(HEADERS)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="FDECEA")
    for cell in ws[1]:
        cell.font = bold
        if cell.value in (CODE, SCORE):
            cell.fill = fill
    ws["A1"].comment = Comment("按单位代码对应述职对象，请勿修改。单位名称、述职人仅供核对。", "述评")
    ws["D1"].comment = Comment("填写 0–100 的数值，最多 2 位小数，不能为空。\n整个文件校验通过才会导入，"
                               "导入后替换本考核方案原有的全部日常考核得分。详见“说明”工作表。", "述评")
    for p in participants(campaign):
        existing = score_of(p)
        ws.append([p.unit.code, p.unit.name, p.secretary.name, existing.score if existing else None])
    for col, width in zip("ABCD", (14, 32, 12, 14), strict=True):
        ws.column_dimensions[col].width = width
    for (cell,) in ws.iter_rows(min_row=2, min_col=4, max_col=4):
        cell.number_format = "0.00"
    ws.freeze_panes = "A2"
    dv = DataValidation(type="decimal", operator="between", formula1="0", formula2="100", allow_blank=True,
                        showErrorMessage=True, errorTitle="得分不允许", error="请填写 0–100 的数值，最多 2 位小数")
    dv.add(f"D2:D{max(ws.max_row, 2) + 200}")
    ws.add_data_validation(dv)
    help_ws = wb.create_sheet(HELP_SHEET)
    help_ws.column_dimensions["A"].width = 18
    help_ws.column_dimensions["B"].width = 90
    for row in _help_rows():
        help_ws.append(row)
    help_ws["A1"].font = bold
    for (cell,) in help_ws.iter_rows(min_col=2, max_col=2):
        cell.alignment = Alignment(wrap_text=True)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def template_name(campaign: Campaign) -> str:
    return f"{campaign.year}年度日常考核得分.xlsx"


# ---------------------------------------------------------------- import

@dataclass
class ImportedScore:
    code: str
    unit: str
    secretary: str
    score: Decimal
    previous: Decimal | None
    row: int

    @property
    def changed(self) -> bool:
        return self.previous != self.score


@dataclass
class Unscored:
    code: str
    unit: str
    secretary: str
    previous: Decimal | None  # the score it had before this import, now removed


@dataclass
class ImportResult:
    filename: str
    sha256: str
    scores: list[ImportedScore] = field(default_factory=list)
    without_score: list[Unscored] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return sum(1 for s in self.scores if s.changed)

    @property
    def had_scores(self) -> bool:
        """Whether the campaign had scores before: then the old → new comparison is worth showing open."""
        return any(s.previous is not None for s in self.scores) or self.removed > 0

    @property
    def removed(self) -> int:
        return sum(1 for u in self.without_score if u.previous is not None)

    def summary(self) -> str:
        text = f"{len(self.scores)} 个述职对象有得分（其中新增或改变 {self.changed} 个）"
        if self.without_score:
            text += f"；{len(self.without_score)} 个未列入文件，没有日常考核得分"
            if self.removed:
                text += f"（其中 {self.removed} 个原有得分已清除）"
        return text

    def as_data(self) -> dict[str, Any]:
        return {
            "file": self.filename, "sha256": self.sha256, "count": len(self.scores),
            "scores": {s.code: str(s.score) for s in self.scores},
            "changed": self.changed,
            "without_score": [u.code for u in self.without_score],
            "removed": {u.code: str(u.previous) for u in self.without_score if u.previous is not None},
        }


def source_text(filename: str, row: int) -> str:
    tail = f" {SHEET} 第 {row} 行"
    return filename[: SOURCE_MAX - len(tail)] + tail


def import_routine(actor: User, campaign: Campaign, data: bytes, filename: str) -> ImportResult:
    """Validate the whole file, then replace the campaign's 日常考核 scores, in one transaction."""
    reason = refusal(campaign)
    if reason:
        raise ValidationError(reason)
    parsed = read_routine(data, filename)
    if parsed.problems and not parsed.rows:  # unreadable file, sheet or header: no rows to check further
        raise RoutineRejected(filename, parsed.problems)
    with transaction.atomic():
        # Lock the campaign and its result sheet so a submission or a state change cannot slip in between.
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        reason = refusal(campaign, ResultSheet.objects.select_for_update().filter(campaign=campaign).first())
        if reason:
            raise ValidationError(reason)
        people = list(participants(campaign))
        by_code = {p.unit.code: p for p in people}
        codes = {r.code for r in parsed.rows if r.code}
        units = dict(Unit.objects.filter(code__in=codes).values_list("code", "name"))
        problems = validate_routine(parsed, units, by_code.keys())
        if problems:
            raise RoutineRejected(filename, problems)

        result = ImportResult(filename=filename, sha256=hashlib.sha256(data).hexdigest())
        previous = {p.pk: s.score for p in people if (s := score_of(p)) is not None}
        new: list[RoutineScore] = []
        for r in parsed.rows:
            p = by_code[r.code]
            assert r.score is not None  # validated
            new.append(RoutineScore(participant=p, score=r.score, source=source_text(filename, r.row), imported_by=actor))
            result.scores.append(ImportedScore(code=r.code, unit=p.unit.name, secretary=p.secretary.name, score=r.score,
                                               previous=previous.get(p.pk), row=r.row))
        in_file = {r.code for r in parsed.rows}
        result.without_score = [Unscored(code=p.unit.code, unit=p.unit.name, secretary=p.secretary.name,
                                         previous=previous.get(p.pk)) for p in people if p.unit.code not in in_file]
        RoutineScore.objects.filter(participant__campaign=campaign).delete()
        RoutineScore.objects.bulk_create(new)
        record(actor, "routine.import", campaign, f"导入日常考核得分“{filename}”：{result.summary()}", result.as_data())
    return result
