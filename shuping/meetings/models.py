"""述职评议会: the meeting of a campaign, its agenda, the countdown, the control log and the chair's 点评.

- `Meeting`: one per campaign. `version` goes up on every change the screens must show; screens poll the
  state (see shuping/meetings/state.py) and redraw when it changed. `screen_key` opens the projector view
  without a login.
- `AgendaItem`: 议程一 one item per reporter (述职 then 点评: `phase`), 议程二 民主测评, 议程三 closing speech.
  The countdown (openslides-style): while running, the absolute `timer_ends_at`; while paused, the
  `timer_remaining_ms`. `used_ms` is the speaking time so far; `overrun_ms` is recorded when the speech ends.
- `MeetingAction`: every control action (audited too), with a snapshot of what it changed, so the last one
  can be undone; the minutes read their times from here.
- `Commentary`: the chair's 点评 of one reporter, saved as they type (`revision` guards against an older tab
  overwriting a newer text); `CommentaryProblem`: a problem the chair tagged in it with its category, which
  becomes a ledger entry (source 点评) when the meeting ends.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shuping.rectification.categories import CATEGORIES


class MeetingState(models.TextChoices):
    PLANNED = "planned", _("未开始")
    RUNNING = "running", _("进行中")
    ENDED = "ended", _("已结束")


class Meeting(models.Model):
    campaign = models.OneToOneField("campaigns.Campaign", on_delete=models.PROTECT, related_name="meeting")
    state = models.CharField(_("状态"), max_length=8, choices=MeetingState.choices, default=MeetingState.PLANNED)
    screen_key = models.CharField(max_length=32, unique=True)  # secrets.token_urlsafe; in the projector URL
    current = models.ForeignKey("AgendaItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    show_ranking = models.BooleanField(_("大屏显示实时排名"), default=False)
    show_judges = models.BooleanField(_("大屏显示评委提交进度"), default=True)
    attendees = models.PositiveIntegerField(_("参会人数"), null=True, blank=True)
    attendance_note = models.TextField(_("出席情况"), blank=True)
    version = models.PositiveBigIntegerField(default=1)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("述职评议会")
        verbose_name_plural = _("述职评议会")

    def __str__(self) -> str:
        return f"{self.campaign} 述职评议会"


class ItemKind(models.TextChoices):
    REPORT = "report", _("述职")
    VOTE = "vote", _("民主测评")
    CLOSING = "closing", _("总结讲话")
    OTHER = "other", _("其他")


class Phase(models.TextChoices):
    WAITING = "waiting", _("未开始")
    SPEAKING = "speaking", _("述职中")
    COMMENTING = "commenting", _("点评中")
    DONE = "done", _("已结束")


class TimerState(models.TextChoices):
    IDLE = "idle", _("未计时")
    RUNNING = "running", _("计时中")
    PAUSED = "paused", _("已暂停")
    STOPPED = "stopped", _("已停止")


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=8, choices=ItemKind.choices)
    title = models.CharField(_("议程"), max_length=200)
    participant = models.ForeignKey("campaigns.Participant", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="agenda_items")
    absent = models.BooleanField(_("缺席"), default=False)
    substitute = models.CharField(_("代述职人"), max_length=50, blank=True)
    substitute_note = models.CharField(_("代述职说明"), max_length=200, blank=True)
    phase = models.CharField(max_length=10, choices=Phase.choices, default=Phase.WAITING)
    planned_seconds = models.PositiveIntegerField(default=360)
    timer_state = models.CharField(max_length=8, choices=TimerState.choices, default=TimerState.IDLE)
    timer_ends_at = models.DateTimeField(null=True, blank=True)  # while running
    timer_remaining_ms = models.BigIntegerField(null=True, blank=True)  # while paused (negative = over time)
    used_ms = models.BigIntegerField(default=0)  # speaking time so far, pauses excluded
    overrun_ms = models.BigIntegerField(null=True, blank=True)  # recorded when the speech ends
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["meeting", "position"]
        # Not deferrable (SQLite has no deferred constraints): actions.move_item re-numbers through free positions.
        constraints = [models.UniqueConstraint(fields=["meeting", "position"], name="unique_agenda_position")]


class MeetingAction(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="actions")
    seq = models.PositiveIntegerField()
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=30)  # start_timer, pause_timer, next, open_scoring, …
    summary = models.CharField(max_length=300)
    item = models.ForeignKey(AgendaItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    before = models.JSONField(default=dict)  # what undo restores
    undone = models.BooleanField(default=False)

    class Meta:
        ordering = ["meeting", "seq"]
        constraints = [models.UniqueConstraint(fields=["meeting", "seq"], name="unique_meeting_action_seq")]


class Commentary(models.Model):
    participant = models.OneToOneField("campaigns.Participant", on_delete=models.PROTECT, related_name="commentary")
    text = models.TextField(_("点评"), blank=True)
    revision = models.PositiveIntegerField(default=0)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("点评")
        verbose_name_plural = _("点评")


class CommentaryProblem(models.Model):
    commentary = models.ForeignKey(Commentary, on_delete=models.CASCADE, related_name="problems")
    text = models.TextField(_("问题"))
    category = models.CharField(_("问题类别"), max_length=20, choices=CATEGORIES)
    start = models.PositiveIntegerField(null=True, blank=True)  # character offsets into the commentary text
    end = models.PositiveIntegerField(null=True, blank=True)
    ledger_entry = models.OneToOneField("rectification.LedgerEntry", null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="commentary_problem")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["commentary", "start", "pk"]
