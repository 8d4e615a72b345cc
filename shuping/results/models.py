"""考核结果: the computed result sheet of a campaign, its rows, the committee's decisions and follow-ups.

Workflow (issue 4): 统分 (computed) → 审核 (submitted; a second person reviews) → 签批 (reviewed, then
signed by the committee) → 公布 (published, locked). Reopening a published or submitted sheet needs a
reason and is audited. `inputs` is the complete snapshot the maths ran on and `outputs` what it gave, so
the observer can recompute from `inputs` and compare, and compare `inputs` with the live data.
Exact values are kept as Decimal strings (SQLite has no exact decimal column type).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SheetState(models.TextChoices):
    COMPUTED = "computed", _("已统分")
    SUBMITTED = "submitted", _("待审核")
    REVIEWED = "reviewed", _("已审核，待签批")
    SIGNED = "signed", _("已签批，待公布")
    PUBLISHED = "published", _("已公布")


class ResultSheet(models.Model):
    campaign = models.OneToOneField("campaigns.Campaign", on_delete=models.PROTECT, related_name="result_sheet")
    state = models.CharField(_("状态"), max_length=10, choices=SheetState.choices, default=SheetState.COMPUTED)
    version = models.PositiveIntegerField(default=1)  # +1 on every computation
    inputs = models.JSONField(default=dict)
    outputs = models.JSONField(default=dict)
    input_digest = models.CharField(max_length=64)  # sha256 of the canonical JSON of `inputs`
    computed_at = models.DateTimeField()
    computed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    review_note = models.CharField(_("审核意见"), max_length=500, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    sign_reference = models.CharField(_("签批依据"), max_length=300, blank=True)  # e.g. 区委常委会 2026-12-20
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")

    class Meta:
        verbose_name = _("考核结果")
        verbose_name_plural = _("考核结果")

    def __str__(self) -> str:
        return f"{self.campaign} 考核结果"

    @property
    def locked(self) -> bool:
        """Inputs (judge scores, routine scores) and the computation may no longer change."""
        return self.state != SheetState.COMPUTED


class ResultRow(models.Model):
    sheet = models.ForeignKey(ResultSheet, on_delete=models.CASCADE, related_name="rows")
    participant = models.ForeignKey("campaigns.Participant", on_delete=models.PROTECT, related_name="result_rows")
    rank = models.PositiveIntegerField(_("名次"))
    grade = models.CharField(_("等次"), max_length=4)
    composite = models.CharField(_("综合得分"), max_length=40)  # exact Decimal string
    composite_display = models.CharField(max_length=12)  # 2-place half-up
    flags = models.JSONField(default=list)  # flag codes, see shuping.results.maths.FLAG_LABELS

    class Meta:
        ordering = ["sheet", "rank", "participant__unit__sort_order"]
        constraints = [models.UniqueConstraint(fields=["sheet", "participant"], name="unique_result_row")]


class GradeDecision(models.Model):
    """The committee's grade for a reporter whose shared rank straddles the 好 quota (flagged for it)."""

    sheet = models.ForeignKey(ResultSheet, on_delete=models.CASCADE, related_name="decisions")
    participant = models.ForeignKey("campaigns.Participant", on_delete=models.PROTECT, related_name="+")
    grade = models.CharField(_("等次"), max_length=4)
    reason = models.CharField(_("依据"), max_length=300)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sheet", "participant"], name="unique_grade_decision")]


class FollowUpKind(models.TextChoices):
    TALK = "talk", _("约谈")
    CRITICISM = "criticism", _("通报批评")
    RECTIFY = "rectify", _("限期整改")


class FollowUp(models.Model):
    """A follow-up measure for a reporter graded 一般 or 差 (created on publication, edited by the organiser)."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="follow_ups")
    participant = models.ForeignKey("campaigns.Participant", on_delete=models.PROTECT, related_name="follow_ups")
    kind = models.CharField(_("措施"), max_length=10, choices=FollowUpKind.choices)
    grade = models.CharField(_("等次"), max_length=4)
    responsible = models.CharField(_("负责人"), max_length=100, blank=True)
    due_date = models.DateField(_("完成时限"), null=True, blank=True)
    done_at = models.DateField(_("完成日期"), null=True, blank=True)
    note = models.CharField(_("情况说明"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["campaign", "participant__speaking_order", "kind"]
        constraints = [models.UniqueConstraint(fields=["campaign", "participant", "kind"], name="unique_follow_up")]
