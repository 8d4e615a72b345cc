"""述职报告: a participant's written report, its versions, its answers to last year's open problems, reviews.

States: draft (草稿) → submitted (已提交) → approved (已通过) or returned (退回修改) → submitted again.
A report is late when submitted after the campaign's report_deadline (marked, not refused).
Sections follow domain.md; text the .docx import could not place goes to "unclassified" (未归类), shown.
The 上年度问题整改情况 section is answered item by item in `PriorAnswer`, one per open ledger entry of the
unit from earlier campaigns; submission needs every answer.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

SECTIONS: list[tuple[str, str]] = [
    ("performance", "履职情况和成效"),
    ("problems", "存在问题"),
    ("causes", "原因分析"),
    ("plans", "下步思路"),
    ("rectification", "上年度问题整改情况"),
]
UNCLASSIFIED = ("unclassified", "未归类")


def empty_sections() -> dict[str, str]:
    return {k: "" for k, _ in [*SECTIONS, UNCLASSIFIED]}


class ReportState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    RETURNED = "returned", _("退回修改")
    APPROVED = "approved", _("已通过")


class Report(models.Model):
    participant = models.OneToOneField("campaigns.Participant", on_delete=models.PROTECT, related_name="report")
    state = models.CharField(_("状态"), max_length=10, choices=ReportState.choices, default=ReportState.DRAFT)
    sections = models.JSONField(default=empty_sections)
    revision = models.PositiveIntegerField(default=0)  # +1 on every save; autosave sends the one it edited
    signed_by_name = models.CharField(_("签字人"), max_length=50, blank=True)  # 书记确认签字
    signed_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    late = models.BooleanField(_("逾期提交"), default=False)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    source_file = models.CharField(_("导入文件"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("述职报告")
        verbose_name_plural = _("述职报告")


class ReportVersion(models.Model):
    """A saved state of the report (autosave, import, submission …), for the version history."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    sections = models.JSONField()
    answers = models.JSONField(default=dict)  # ledger entry id → answer text
    note = models.CharField(max_length=100)  # 自动保存 / 导入 Word / 提交 / …
    saved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    saved_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["report", "-number"]
        constraints = [models.UniqueConstraint(fields=["report", "number"], name="unique_report_version")]


class PriorAnswer(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="prior_answers")
    entry = models.ForeignKey("rectification.LedgerEntry", on_delete=models.PROTECT, related_name="report_answers")
    answer = models.TextField(_("整改情况"), blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "entry"], name="unique_prior_answer")]


class ReviewAction(models.TextChoices):
    RETURN = "return", _("退回修改")
    APPROVE = "approve", _("审核通过")
    REMIND = "remind", _("催报")


class ReportReview(models.Model):
    """The organiser's review steps and reminders, shown to the reporter."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="reviews")
    action = models.CharField(max_length=10, choices=ReviewAction.choices)
    comment = models.TextField(_("意见"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["report", "-at"]
