"""讲话与点评: texts read into structure (speeches, 点评, reports' 存在问题) and the phrase library for drafts.

`SpeechText` keeps the decoded text a reading was made of, so every extracted item's [start, end) offsets and
every ledger entry made from it (LedgerEntry.source_link → the text, highlighted) stay checkable, and the
reviewer's corrections of the reading (part boundaries moved, items joined, split or dropped).
`Phrase` is Shuping's own phrase library, kept as data the organiser edits; drafts are assembled from it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shuping.rectification.categories import CATEGORIES


class TextKind(models.TextChoices):
    SPEECH = "speech", _("讲话")
    COMMENTARY = "commentary", _("点评")
    REPORT = "report", _("述职报告存在问题")


class SpeechText(models.Model):
    campaign = models.ForeignKey("campaigns.Campaign", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="speech_texts")
    unit = models.ForeignKey("orgs.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("类型"), max_length=12, choices=TextKind.choices, default=TextKind.SPEECH)
    title = models.CharField(_("标题"), max_length=200)
    text = models.TextField(_("正文"))  # the decoded input, exactly as read (offsets refer to it)
    source_name = models.CharField(_("来源文件"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)  # when its problems went to the ledger
    # The reviewer's corrections of the reading (reading.Correction as JSON, in the order made): the page shows
    # reading.read(text, corrections).
    corrections = models.JSONField(_("审核更正"), default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("讲话文本")
        verbose_name_plural = _("讲话文本")


class PhraseSlot(models.TextChoices):
    OPENING = "opening", _("开头")
    ACHIEVEMENTS = "achievements", _("成绩（引入语）")
    HIGHLIGHT = "highlight", _("亮点")
    PROBLEMS = "problems", _("问题（引入语）")
    PROBLEM = "problem", _("问题")
    SUGGESTION = "suggestion", _("建议/要求")
    CLOSING = "closing", _("结尾")


class Phrase(models.Model):
    slot = models.CharField(_("用途"), max_length=14, choices=PhraseSlot.choices)
    category = models.CharField(_("问题类别"), max_length=20, choices=CATEGORIES, blank=True)
    text = models.TextField(_("措辞"))  # may hold {unit}, {name}, {count}, {examples} … placeholders
    sort_order = models.PositiveIntegerField(default=0)
    active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slot", "category", "sort_order", "pk"]
        verbose_name = _("措辞")
        verbose_name_plural = _("措辞库")
