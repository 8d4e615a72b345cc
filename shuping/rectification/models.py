"""整改台账 (rectification ledger): one ledger; 问题清单 / 任务清单 / 责任清单 are views of it.

An entry is a problem of one unit with its category, source, measures, responsible person, deadline and
target. Owners (整改责任人 of the unit) post progress reports with evidence; closure (销号) is requested by
the owner and verified by a second person at the 组织部 (never the requester); only verified entries count as
closed. Reopening a closed entry needs a reason (audited).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shuping.rectification.categories import CATEGORIES


class Source(models.TextChoices):
    COMMENTARY = "commentary", _("点评")
    BALLOT = "ballot", _("民主测评意见")
    INSPECTION = "inspection", _("督查")
    SELF_REVIEW = "self", _("自查")
    IMPORT = "import", _("导入")


class EntryState(models.TextChoices):
    OPEN = "open", _("整改中")
    REQUESTED = "requested", _("申请销号")
    CLOSED = "closed", _("已销号")


class LedgerEntry(models.Model):
    campaign = models.ForeignKey("campaigns.Campaign", verbose_name=_("考核年度"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="ledger_entries")  # where it was raised
    unit = models.ForeignKey("orgs.Unit", verbose_name=_("单位"), on_delete=models.PROTECT, related_name="ledger_entries")
    problem = models.TextField(_("问题"))
    category = models.CharField(_("问题类别"), max_length=20, choices=CATEGORIES)
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices)
    source_ref = models.CharField(_("来源说明"), max_length=300, blank=True)  # e.g. "点评 第 30–58 字"
    source_link = models.CharField(max_length=300, blank=True)  # a path inside Shuping back to the source text
    measures = models.TextField(_("整改措施"), blank=True)
    responsible = models.ForeignKey("orgs.Person", verbose_name=_("责任人"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="ledger_entries")
    responsible_name = models.CharField(_("责任人"), max_length=100, blank=True)  # when not in the roster
    deadline = models.DateField(_("整改时限"), null=True, blank=True)
    target = models.TextField(_("整改目标"), blank=True)
    state = models.CharField(_("状态"), max_length=10, choices=EntryState.choices, default=EntryState.OPEN)
    closure_requested_at = models.DateTimeField(null=True, blank=True)
    closure_requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                             on_delete=models.PROTECT, related_name="+")
    closure_note = models.TextField(_("销号说明"), blank=True)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)  # set when verified
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    return_reason = models.CharField(_("退回理由"), max_length=500, blank=True)  # the last verification refusal
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["unit__sort_order", "unit__code", "created_at", "pk"]
        verbose_name = _("整改台账条目")
        verbose_name_plural = _("整改台账")
        indexes = [models.Index(fields=["unit", "state"]), models.Index(fields=["campaign", "state"])]

    def __str__(self) -> str:
        return f"{self.unit}：{self.problem[:30]}"

    @property
    def closed(self) -> bool:
        return self.state == EntryState.CLOSED


class ProgressReport(models.Model):
    """整改进展: posted by an owner on the scheme's cadence (default quarterly)."""

    entry = models.ForeignKey(LedgerEntry, on_delete=models.CASCADE, related_name="progress_reports")
    text = models.TextField(_("进展情况"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["entry", "created_at"]


class Evidence(models.Model):
    """佐证材料: a checked file attached to a progress report or to a closure request."""

    entry = models.ForeignKey(LedgerEntry, on_delete=models.CASCADE, related_name="evidence")
    progress = models.ForeignKey(ProgressReport, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="evidence")
    for_closure = models.BooleanField(default=False)
    file = models.FileField(upload_to="evidence/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=100)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
