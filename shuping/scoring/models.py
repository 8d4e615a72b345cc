"""现场/书面评分 (judges' scores) and 日常考核 (routine assessment scores).

- `JudgeSeat`: a judge (a user with the judge role) on a campaign's panel.
- `Recusal`: a further 回避 set by the organiser. A judge never scores a reporter of their own unit
  (user.unit == participant.unit); that rule is applied everywhere and not stored.
- `ScoringWindow`: per reporter, pending → open → closed (the organiser may reopen). Judges may save
  and change their sheet only while the window is open.
- `JudgeScore`: one judge's sheet for one reporter: points per indicator (Decimal strings, scheme
  order) and their total. `submitted_at` set = 已提交; a submitted sheet may still be changed while the
  window is open (it stays submitted). Unique per (participant, judge): concurrent saves upsert.
- `JudgeReminder`: the organiser chasing a judge who has not submitted; shown on the judge's page.
- `RoutineScore`: the imported 日常考核 score (0–100) of one participant, with where it came from.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class JudgeSeat(models.Model):
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="judge_seats")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("评委"), on_delete=models.PROTECT,
                             related_name="judge_seats")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["campaign", "user__username"]
        verbose_name = _("评委")
        verbose_name_plural = _("评委")
        constraints = [models.UniqueConstraint(fields=["campaign", "user"], name="unique_judge_seat")]

    def __str__(self) -> str:
        return str(self.user)


class Recusal(models.Model):
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="recusals")
    judge = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="recusals")
    participant = models.ForeignKey("campaigns.Participant", on_delete=models.CASCADE, related_name="recusals")
    reason = models.CharField(_("回避原因"), max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("回避")
        verbose_name_plural = _("回避")
        constraints = [models.UniqueConstraint(fields=["judge", "participant"], name="unique_recusal")]


class WindowState(models.TextChoices):
    PENDING = "pending", _("未开始")
    OPEN = "open", _("评分中")
    CLOSED = "closed", _("已结束")


class ScoringWindow(models.Model):
    participant = models.OneToOneField("campaigns.Participant", on_delete=models.CASCADE,
                                       related_name="scoring_window")
    state = models.CharField(_("评分状态"), max_length=8, choices=WindowState.choices, default=WindowState.PENDING)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("评分窗口")
        verbose_name_plural = _("评分窗口")


class JudgeScore(models.Model):
    participant = models.ForeignKey("campaigns.Participant", on_delete=models.PROTECT, related_name="judge_scores")
    judge = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="judge_scores")
    points = models.JSONField(default=list)  # Decimal strings, one per scheme indicator, in scheme order
    total = models.DecimalField(_("合计"), max_digits=6, decimal_places=2)
    submitted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("评委评分")
        verbose_name_plural = _("评委评分")
        constraints = [models.UniqueConstraint(fields=["participant", "judge"], name="unique_judge_score")]


class JudgeReminder(models.Model):
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="judge_reminders")
    judge = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="judge_reminders")
    message = models.CharField(max_length=300)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class RoutineScore(models.Model):
    participant = models.OneToOneField("campaigns.Participant", on_delete=models.CASCADE,
                                       related_name="routine_score")
    score = models.DecimalField(_("日常考核得分"), max_digits=5, decimal_places=2)
    source = models.CharField(_("来源"), max_length=300)  # file name, sheet and row it was read from
    imported_at = models.DateTimeField(auto_now=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("日常考核得分")
        verbose_name_plural = _("日常考核得分")
