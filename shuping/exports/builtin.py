"""The exports of issue 8 that build on results, meetings, the ledger and ballots (registered on import).

Results-based exports read the stored result sheet: campaign-wide readers (组织部, 监督, 点评领导) from the
moment it is computed (marked 尚未公布 until published) for the workbook, published only for 通报 and
反馈意见书; a reporter only once published and only their own unit's row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django.core.exceptions import ValidationError
from django.utils import timezone

from shuping.accounts.access import EXPORT_READERS, LEDGER_READERS, LEDGER_UNIT_ROLES
from shuping.accounts.models import Role
from shuping.ballots import counting
from shuping.exports import announcement_docx, results_xlsx
from shuping.exports.registry import Exporter, Progress, register
from shuping.results.models import ResultSheet, SheetState

if TYPE_CHECKING:
    from shuping.accounts.models import User
    from shuping.campaigns.models import Campaign
    from shuping.exports.models import ExportJob


def _stamp() -> str:
    return f"{timezone.localdate():%Y%m%d}"


def _sheet(campaign: Campaign | None) -> ResultSheet:
    sheet = ResultSheet.objects.filter(campaign=campaign).select_related("campaign__committee").first()
    if sheet is None:
        raise ValidationError("尚未统分，还没有考核结果可以导出")
    return sheet


def _scope_ok(user: User, sheet: ResultSheet, exporter: Exporter, published_only: bool) -> None:
    unit_id = exporter.scope_unit_id(user)
    if (published_only or unit_id is not None) and sheet.state != SheetState.PUBLISHED:
        raise ValidationError("考核结果尚未公布，不能导出")
    if unit_id is not None and not sheet.rows.filter(participant__unit_id=unit_id).exists():
        raise ValidationError("本单位不在本次考核结果中")


class _ResultExporter(Exporter):
    roles: ClassVar[tuple[str, ...]] = EXPORT_READERS
    unit_roles: ClassVar[tuple[str, ...]] = (Role.REPORTER,)
    published_only = False

    def check(self, user: User, campaign: Campaign | None) -> None:
        _scope_ok(user, _sheet(campaign), self, self.published_only)

    def _name(self, job: ExportJob, what: str) -> str:
        assert job.campaign is not None
        scope = f"-{job.unit.name}" if job.unit_id and job.unit else ""
        return f"{job.campaign.title}-{what}{scope}-{_stamp()}.{self.extension}"


@register
class ResultsWorkbook(_ResultExporter):
    key, label, extension, order = "results_xlsx", "考核结果工作簿（Excel）", "xlsx", 10
    description = "考核结果与各组成部分明细（评委各指标评分、民主测评分类别票数、日常考核、整改成效），含复算公式，A4 横向打印"

    def build(self, job: ExportJob, progress: Progress) -> tuple[str, bytes]:
        sheet = _sheet(job.campaign)
        data = results_xlsx.build(sheet, unit_id=job.unit_id, names=job.unit_id is None, progress=progress)
        return self._name(job, "考核结果"), data


@register
class Announcement(_ResultExporter):
    key, label, extension, order = "announcement_docx", "考核结果通报（Word）", "docx", 20
    description = "按“好、较好、一般、差”等次列出各单位的通报稿，含文号占位、落款和日期；须考核结果已公布"
    unit_roles = ()
    published_only = True

    def build(self, job: ExportJob, progress: Progress) -> tuple[str, bytes]:
        return self._name(job, "考核结果通报"), announcement_docx.announcement(_sheet(job.campaign), progress)


@register
class Feedback(_ResultExporter):
    key, label, extension, order = "feedback_docx", "反馈意见书（Word）", "docx", 30
    description = "每位述职人一页：考核结果及各项得分、点评意见、列入整改台账的问题和时限；述职人只能导出本人的"
    published_only = True

    def build(self, job: ExportJob, progress: Progress) -> tuple[str, bytes]:
        data = announcement_docx.feedback(_sheet(job.campaign), job.unit_id, progress)
        return self._name(job, "反馈意见书"), data


@register
class Ledger(Exporter):
    """The ledger's own three-list workbook (shuping.rectification.ledger_xlsx), as a job: re-importable."""

    key, label, extension, order = "ledger_xlsx", "整改台账（Excel 三张清单）", "xlsx", 40
    description = "问题清单、任务清单、责任清单，可修改后导入；本单位人员只导出本单位的条目"
    roles = LEDGER_READERS
    unit_roles = LEDGER_UNIT_ROLES
    needs_campaign = False

    def build(self, job: ExportJob, progress: Progress) -> tuple[str, bytes]:
        from shuping.rectification import actions, ledger_xlsx

        filters = actions.Filters(campaign=job.campaign_id, unit=job.unit_id)
        entries = ledger_xlsx.entries_for(job.requested_by, filters)
        if job.unit_id is not None:  # entries_for already limits unit-bound users; never trust one layer only
            entries = [e for e in entries if e.unit_id == job.unit_id]
        progress(50, f"{len(entries)} 条整改条目")
        where = f"{job.campaign.title}-" if job.campaign else ""
        scope = f"{job.unit.name}-" if job.unit_id and job.unit else ""
        return f"整改台账-{where}{scope}{_stamp()}.xlsx", ledger_xlsx.export_bytes(entries)


@register
class Ballots(Exporter):
    """The observer's ballot export (every ballot in random order, receipts, comments), as a job."""

    key, label, extension, order = "ballots_xlsx", "民主测评选票明细（Excel，供监督核对）", "xlsx", 50
    description = "封箱后的全部选票（随机顺序，不含任何身份信息）、回执码和意见建议"
    roles = counting.EXPORTERS

    def check(self, user: User, campaign: Campaign | None) -> None:
        from shuping.results.compute import ballot_box

        box = ballot_box(campaign) if campaign else None
        if box is None or not counting.countable(box):
            raise ValidationError("民主测评票箱尚未封箱，不能导出选票")

    def build(self, job: ExportJob, progress: Progress) -> tuple[str, bytes]:
        from shuping.results.compute import ballot_box

        assert job.campaign is not None
        box = ballot_box(job.campaign)
        assert box is not None
        export = counting.export_for(job.requested_by, box, "xlsx")
        progress(60, f"{len(export.rows)} 张选票")
        return f"{job.campaign.title}-民主测评选票-{_stamp()}.xlsx", counting.export_xlsx(export)

