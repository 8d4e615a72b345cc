"""The dashboard's 待办 list: what this user should do next, from the scoring and results workflows.

A handful of queries, each limited to what the user's roles concern.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from shuping.accounts.access import RESULT_MANAGERS, RESULT_SIGNERS, SCORERS, SCORING_MANAGERS
from shuping.accounts.models import Role, User
from shuping.results.models import ResultSheet, SheetState
from shuping.scoring.models import JudgeReminder, JudgeScore, JudgeSeat, ScoringWindow, WindowState


@dataclass
class Todo:
    text: str
    href: str
    urgent: bool = False


def _unit_name(window: ScoringWindow) -> str:
    p = window.participant
    return f"{p.unit.name}（{p.secretary.name}）" if p.secretary_id else p.unit.name


def todos(user: User) -> list[Todo]:
    out: list[Todo] = []
    if user.has_role(*SCORERS):
        campaigns = list(JudgeSeat.objects.filter(user=user).values_list("campaign_id", flat=True))
        if campaigns:
            done = set(JudgeScore.objects.filter(judge=user, submitted_at__isnull=False,
                                                 participant__campaign_id__in=campaigns)
                       .values_list("participant_id", flat=True))
            open_windows = (ScoringWindow.objects.filter(state=WindowState.OPEN, participant__campaign_id__in=campaigns)
                            .select_related("participant__unit", "participant__secretary"))
            for w in open_windows:
                p = w.participant
                if p.pk in done or (user.unit_id and user.unit_id == p.unit_id):
                    continue
                out.append(Todo(f"正在评分：{_unit_name(w)}，您尚未提交",
                                reverse("scoring:score", args=[p.campaign_id, p.pk]), urgent=True))
            unseen = JudgeReminder.objects.filter(judge=user, seen_at__isnull=True).values_list("campaign_id", flat=True)
            for cid in sorted(set(unseen)):
                out.append(Todo("组织部提醒您提交评分", reverse("scoring:judge_campaign", args=[cid]), urgent=True))
    if user.has_role(*SCORING_MANAGERS):
        for w in (ScoringWindow.objects.filter(state=WindowState.OPEN).select_related("participant__unit",
                                                                                     "participant__secretary")):
            out.append(Todo(f"评分进行中：{_unit_name(w)}", reverse("scoring:control", args=[w.participant.campaign_id])))
    sheets = ResultSheet.objects.exclude(state=SheetState.PUBLISHED).select_related("campaign")
    for s in sheets:
        href = reverse("results:campaign", args=[s.campaign_id])
        title = s.campaign.title
        if s.state == SheetState.COMPUTED and user.has_role(*RESULT_MANAGERS):
            out.append(Todo(f"{title}：已统分，待提交审核", href))
        elif s.state == SheetState.SUBMITTED and user.has_role(*RESULT_MANAGERS):
            if user.pk in (s.submitted_by_id, s.computed_by_id):
                out.append(Todo(f"{title}：已提交，等待另一位工作人员审核", href))
            else:
                out.append(Todo(f"{title}：考核结果待您审核", href, urgent=True))
        elif s.state == SheetState.REVIEWED and user.has_role(*RESULT_SIGNERS):
            out.append(Todo(f"{title}：考核结果待领导小组签批", href, urgent=True))
        elif s.state == SheetState.SIGNED and user.has_role(*RESULT_MANAGERS):
            out.append(Todo(f"{title}：已签批，待公布", href, urgent=True))
    if user.has_role(Role.REPORTER) and user.unit_id:
        for s in (ResultSheet.objects.filter(state=SheetState.PUBLISHED, rows__participant__unit_id=user.unit_id)
                  .select_related("campaign").order_by("-campaign__year")[:3]):
            out.append(Todo(f"{s.campaign.title}：本人考核结果已公布", reverse("results:mine", args=[s.campaign_id])))
    out.extend(_ledger_todos(user))
    return out


def _ledger_todos(user: User) -> list[Todo]:
    """整改台账, from one query over the user's unclosed entries: closure requests to verify (organisers, never
    their own), overdue entries (organisers and the unit's people), closure requests sent back (the unit)."""
    from shuping.accounts.access import LEDGER_MANAGERS, LEDGER_READERS, LEDGER_UNIT_ROLES
    from shuping.rectification import actions as ledger
    from shuping.rectification.models import EntryState

    manager = user.has_role(*LEDGER_MANAGERS)
    unit = bool(user.has_role(*LEDGER_UNIT_ROLES) and user.unit_id)
    if not (manager or unit) or not user.has_role(*LEDGER_READERS, *LEDGER_UNIT_ROLES):
        return []
    entries = list(ledger.with_last_progress(ledger.visible_entries(user)).exclude(state=EntryState.CLOSED))
    statuses = [ledger.status(e, last_progress_at=e.last_progress_at) for e in entries]  # type: ignore[attr-defined]
    out: list[Todo] = []
    href = reverse("rectification:ledger")
    if manager:
        n = sum(1 for e in entries if e.state == EntryState.REQUESTED and e.closure_requested_by_id != user.pk)
        if n:
            out.append(Todo(f"整改台账：{n} 条销号申请待审核", f"{href}?state=requested", urgent=True))
    n_p = sum(1 for s in statuses if s.progress_overdue)
    n_d = sum(1 for s in statuses if s.past_deadline)
    if n_p or n_d:
        parts = [f"{n_p} 条进展逾期" if n_p else "", f"{n_d} 条超期" if n_d else ""]
        out.append(Todo(f"整改台账：{'，'.join(p for p in parts if p)}", f"{href}?overdue=any", urgent=unit))
    if unit:
        n = sum(1 for e in entries if e.state == EntryState.OPEN and e.return_reason)
        if n:
            out.append(Todo(f"整改台账：{n} 条销号申请被退回", f"{href}?state=open", urgent=True))
    return out
