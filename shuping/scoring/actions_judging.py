"""现场/书面评分 actions: the judges' panel, 回避, scoring windows, judges' sheets and reminders.

Pages, the JSON API and scripts all call these. Each change authorises through `shuping.accounts.access`,
runs in one transaction and appends an audit event (a saved sheet is audited with its points).

Concurrency: every change to a reporter's window or to a sheet for that reporter first locks the
reporter's `ScoringWindow` row (SELECT … FOR UPDATE). Saves for one reporter therefore queue up behind
each other and behind closing the window: the upsert of (participant, judge) can never insert twice,
and nothing is accepted after "结束评分" has committed. Different reporters do not wait for each other.

Scores are Decimal throughout; points are stored as plain decimal strings in scheme order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from shuping.accounts.access import SCORERS, SCORING_MANAGERS, check_roles
from shuping.accounts.models import Role, User
from shuping.audit.log import record
from shuping.campaigns.models import Campaign, CampaignState, Participant, ParticipantMode
from shuping.results.models import ResultSheet, SheetState
from shuping.scoring.models import JudgeReminder, JudgeScore, JudgeSeat, Recusal, ScoringWindow, WindowState

# Windows open and close, and judges score, only while the meeting runs or the scores are being tallied.
SCORING_STATES = (CampaignState.MEETING, CampaignState.TALLYING)
# The panel and 回避 may change until the results are announced.
PANEL_CLOSED_STATES = (CampaignState.ANNOUNCED, CampaignState.ARCHIVED)
LOCKED = "考核结果已提交审核/公布，评分已锁定"
MAX_REASON = 200
TWO_PLACES = -2


def _campaign_label(campaign: Campaign) -> str:
    return str(CampaignState(campaign.state).label)


def _window_label(state: str) -> str:
    return str(WindowState(state).label)


def judge_name(user: User) -> str:
    return user.display_name or user.username


def reporter_name(p: Participant) -> str:
    return f"{p.unit.name}（{p.secretary.name}）"


def is_locked(campaign: Campaign) -> bool:
    """The results sheet has gone to review or further: judges' scores are frozen."""
    return hasattr(campaign, "result_sheet") and bool(campaign.result_sheet.locked)


def _check_unlocked(campaign: Campaign) -> None:
    if is_locked(campaign):
        raise ValidationError(LOCKED)


def _lock_campaign(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update(of=("self",)).select_related("committee").get(pk=campaign.pk)


def _check_panel_open(campaign: Campaign) -> None:
    if campaign.state in PANEL_CLOSED_STATES:
        raise ValidationError(f"考核方案处于“{_campaign_label(campaign)}”状态，评委名单和回避已不能修改")
    _check_unlocked(campaign)


def _check_scoring_state(campaign: Campaign, doing: str) -> None:
    if campaign.state not in SCORING_STATES:
        allowed = "、".join(f"“{CampaignState(s).label}”" for s in SCORING_STATES)
        raise ValidationError(f"考核方案处于“{_campaign_label(campaign)}”状态，不能{doing}（只能在{allowed}状态下进行）")
    _check_unlocked(campaign)


def _reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(f"{what}必须填写理由")
    if len(reason) > MAX_REASON:
        raise ValidationError(f"理由不能超过 {MAX_REASON} 字")
    return reason


# ---------------------------------------------------------------- 回避


def is_recused(judge: User, participant: Participant) -> bool:
    """A judge never scores their own unit; further 回避 are set by the organiser."""
    if judge.unit_id is not None and judge.unit_id == participant.unit_id:
        return True
    return Recusal.objects.filter(judge=judge, participant=participant).exists()


def recused_pairs(campaign: Campaign) -> set[tuple[int, int]]:
    """(judge id, participant id) of every 回避 in the campaign: own unit and recorded ones."""
    pairs = set(Recusal.objects.filter(campaign=campaign).values_list("judge_id", "participant_id"))
    units: dict[int, list[int]] = {}
    for pid, unit_id in campaign.participants.values_list("pk", "unit_id"):
        units.setdefault(unit_id, []).append(pid)
    for judge_id, unit_id in JudgeSeat.objects.filter(campaign=campaign).values_list("user_id", "user__unit_id"):
        for pid in units.get(unit_id, []):
            pairs.add((judge_id, pid))
    return pairs


# ---------------------------------------------------------------- the panel


def _check_judges(users: Iterable[User]) -> None:
    wrong = [judge_name(u) for u in users if not (u.is_active and u.has_role(Role.JUDGE))]
    if wrong:
        raise ValidationError(f"以下用户没有“评委”角色（或已停用），不能加入评委名单：{'、'.join(wrong)}")


def _scored(campaign: Campaign, users: Sequence[User]) -> list[str]:
    ids = set(JudgeScore.objects.filter(participant__campaign=campaign, judge__in=users)
              .values_list("judge_id", flat=True))
    return [judge_name(u) for u in users if u.pk in ids]


def set_panel(actor: User, campaign: Campaign, users: Sequence[User]) -> list[JudgeSeat]:
    """The whole panel at once: adds the new judges, removes those left out (never one who has scored)."""
    check_roles(actor, *SCORING_MANAGERS)
    wanted = {u.pk: u for u in users}
    _check_judges(wanted.values())
    with transaction.atomic():
        c = _lock_campaign(campaign)
        _check_panel_open(c)
        # Seat rows locked before looking for scores: a judge's save in flight finishes first (see save_score).
        seats = {s.user_id: s for s in JudgeSeat.objects.select_for_update(of=("self",)).filter(campaign=c)
                 .select_related("user")}
        removed = [s.user for uid, s in seats.items() if uid not in wanted]
        added = [u for uid, u in wanted.items() if uid not in seats]
        scored = _scored(c, removed)
        if scored:
            raise ValidationError(f"以下评委已有评分，不能移出评委名单：{'、'.join(scored)}")
        if removed or added:
            JudgeSeat.objects.filter(campaign=c, user__in=removed).delete()
            Recusal.objects.filter(campaign=c, judge__in=removed).delete()
            JudgeSeat.objects.bulk_create([JudgeSeat(campaign=c, user=u) for u in added])
            record(actor, "scoring.panel_set", c, f"设置评委名单：共 {len(wanted)} 名"
                   + (f"，新增 {'、'.join(judge_name(u) for u in added)}" if added else "")
                   + (f"，移出 {'、'.join(judge_name(u) for u in removed)}" if removed else ""),
                   {"judges": sorted(u.username for u in wanted.values()),
                    "added": [u.username for u in added], "removed": [u.username for u in removed]})
        return list(JudgeSeat.objects.filter(campaign=c).select_related("user"))


def add_judge(actor: User, campaign: Campaign, user: User) -> JudgeSeat:
    check_roles(actor, *SCORING_MANAGERS)
    _check_judges([user])
    with transaction.atomic():
        c = _lock_campaign(campaign)
        _check_panel_open(c)
        if JudgeSeat.objects.filter(campaign=c, user=user).exists():
            raise ValidationError(f"“{judge_name(user)}”已在评委名单中")
        seat = JudgeSeat.objects.create(campaign=c, user=user)
        record(actor, "scoring.judge_add", c, f"将“{judge_name(user)}”加入评委名单", {"judge": user.username})
    return seat


def remove_judge(actor: User, campaign: Campaign, user: User) -> None:
    check_roles(actor, *SCORING_MANAGERS)
    with transaction.atomic():
        c = _lock_campaign(campaign)
        _check_panel_open(c)
        seat = JudgeSeat.objects.select_for_update(of=("self",)).filter(campaign=c, user=user).first()
        if seat is None:
            raise ValidationError(f"“{judge_name(user)}”不在评委名单中")
        n = JudgeScore.objects.filter(participant__campaign=c, judge=user).count()
        if n:
            raise ValidationError(f"评委“{judge_name(user)}”已有 {n} 份评分，不能移出评委名单")
        seat.delete()
        Recusal.objects.filter(campaign=c, judge=user).delete()
        record(actor, "scoring.judge_remove", c, f"将“{judge_name(user)}”移出评委名单", {"judge": user.username})


def add_recusal(actor: User, campaign: Campaign, judge: User, participant: Participant, reason: str) -> Recusal:
    check_roles(actor, *SCORING_MANAGERS)
    reason = _reason(reason, "设置回避")
    with transaction.atomic():
        c = _lock_campaign(campaign)
        _check_panel_open(c)
        if participant.campaign_id != c.pk:
            raise ValidationError("该述职对象不属于本考核方案")
        if not JudgeSeat.objects.filter(campaign=c, user=judge).exists():
            raise ValidationError(f"“{judge_name(judge)}”不在本考核方案的评委名单中")
        name = reporter_name(participant)
        if judge.unit_id is not None and judge.unit_id == participant.unit_id:
            raise ValidationError(f"“{judge_name(judge)}”与{name}是同一单位，已自动回避，无需再设")
        if Recusal.objects.filter(judge=judge, participant=participant).exists():
            raise ValidationError(f"“{judge_name(judge)}”对{name}已设回避")
        _lock_window(participant)  # no sheet of this judge can appear while we decide
        if JudgeScore.objects.filter(judge=judge, participant=participant).exists():
            raise ValidationError(f"“{judge_name(judge)}”已对{name}评分，不能再设回避")
        r = Recusal.objects.create(campaign=c, judge=judge, participant=participant, reason=reason, created_by=actor)
        record(actor, "scoring.recusal_add", c, f"设置回避：评委“{judge_name(judge)}”不评{name}，理由：{reason}",
               {"judge": judge.username, "participant": participant.pk, "unit": participant.unit.code,
                "reason": reason})
    return r


def remove_recusal(actor: User, campaign: Campaign, judge: User, participant: Participant) -> None:
    check_roles(actor, *SCORING_MANAGERS)
    with transaction.atomic():
        c = _lock_campaign(campaign)
        _check_panel_open(c)
        r = Recusal.objects.filter(campaign=c, judge=judge, participant=participant).first()
        if r is None:
            raise ValidationError(f"“{judge_name(judge)}”对{reporter_name(participant)}没有设置回避")
        r.delete()
        record(actor, "scoring.recusal_remove", c,
               f"取消回避：评委“{judge_name(judge)}”可评{reporter_name(participant)}",
               {"judge": judge.username, "participant": participant.pk, "unit": participant.unit.code,
                "was_reason": r.reason})


# ---------------------------------------------------------------- windows


def _lock_window(participant: Participant) -> ScoringWindow:
    """The reporter's window row, created on first use, locked FOR UPDATE until the transaction ends."""
    ScoringWindow.objects.get_or_create(participant_id=participant.pk)
    return ScoringWindow.objects.select_for_update().get(participant_id=participant.pk)


def window_state(participant: Participant) -> str:
    w = ScoringWindow.objects.filter(participant_id=participant.pk).values_list("state", flat=True).first()
    return w or WindowState.PENDING


def _move_window(actor: User, participant: Participant, src: str, dst: str, doing: str, verb: str,
                 reason: str = "") -> ScoringWindow:
    check_roles(actor, *SCORING_MANAGERS)
    with transaction.atomic():
        c = Campaign.objects.select_related("committee").get(pk=participant.campaign_id)
        _check_scoring_state(c, doing)
        w = _lock_window(participant)
        if w.state != src:
            raise ValidationError(f"{reporter_name(participant)}的评分处于“{_window_label(w.state)}”状态，不能{doing}")
        if dst == WindowState.OPEN and not JudgeSeat.objects.filter(campaign=c).exists():
            raise ValidationError("评委名单为空，请先设置评委再开始评分")
        now = timezone.now()
        w.state = dst
        if dst == WindowState.OPEN:
            w.opened_at, w.closed_at = now, None
        else:
            w.closed_at = now
        w.save(update_fields=["state", "opened_at", "closed_at"])
        record(actor, f"scoring.window_{verb}", w, f"{reporter_name(participant)}：{doing}"
               + (f"，理由：{reason}" if reason else ""),
               {"participant": participant.pk, "unit": participant.unit.code, "from": src, "to": dst,
                "reason": reason})
    return w


def open_window(actor: User, participant: Participant) -> ScoringWindow:
    return _move_window(actor, participant, WindowState.PENDING, WindowState.OPEN, "开始评分", "open")


def close_window(actor: User, participant: Participant) -> ScoringWindow:
    return _move_window(actor, participant, WindowState.OPEN, WindowState.CLOSED, "结束评分", "close")


def reopen_window(actor: User, participant: Participant, reason: str) -> ScoringWindow:
    reason = _reason(reason, "重新开放评分")
    return _move_window(actor, participant, WindowState.CLOSED, WindowState.OPEN, "重新开放评分", "reopen", reason)


# ---------------------------------------------------------------- judges' sheets


def indicators(campaign: Campaign) -> list[tuple[str, Decimal]]:
    return [(str(i["name"]), Decimal(str(i["max_points"]))) for i in campaign.scheme.get("judge_indicators", [])]


def parse_points(campaign: Campaign, points: Sequence[Any]) -> list[Decimal]:
    """One Decimal per indicator, each 0 ≤ x ≤ max with at most two decimals; every problem in Chinese."""
    inds = indicators(campaign)
    if len(points) != len(inds):
        raise ValidationError(f"应填写 {len(inds)} 项指标的得分，实际收到 {len(points)} 项")
    errors: list[str] = []
    out: list[Decimal] = []
    for (name, top), raw in zip(inds, points, strict=True):
        text = "" if raw is None else str(raw).strip()
        if not text:
            errors.append(f"请填写“{name}”的得分")
            continue
        try:
            d = Decimal(text)
        except (InvalidOperation, ValueError):
            errors.append(f"“{name}”的得分“{text}”不是有效的数字")
            continue
        if not d.is_finite():
            errors.append(f"“{name}”的得分“{text}”不是有效的数字")
            continue
        exponent = d.as_tuple().exponent
        if isinstance(exponent, int) and exponent < TWO_PLACES:
            errors.append(f"“{name}”的得分“{text}”最多保留两位小数")
            continue
        if not 0 <= d <= top:
            errors.append(f"“{name}”的得分应在 0 到 {top} 分之间，当前为 {text}")
            continue
        out.append(d + Decimal(0))  # -0 → 0
    if errors:
        raise ValidationError(errors)
    return out


def _plain(d: Decimal) -> str:
    return format(d, "f")


def has_seat(user: User, campaign: Campaign) -> bool:
    return JudgeSeat.objects.filter(campaign=campaign, user=user).exists()


def save_score(actor: User, participant: Participant, points: Sequence[Any], submit: bool) -> JudgeScore:
    """The judge's sheet for one reporter: create or update it; `submit` marks it 已提交 (kept on later saves)."""
    check_roles(actor, *SCORERS)
    with transaction.atomic():
        c = Campaign.objects.get(pk=participant.campaign_id)
        # The seat row stays locked to the end, so removing this judge waits for the save and then sees it.
        if not list(JudgeSeat.objects.select_for_update().filter(campaign=c, user=actor).order_by()
                    .values_list("pk", flat=True)):
            raise PermissionDenied("您不是本考核方案的评委")
        name = reporter_name(participant)
        if is_recused(actor, participant):
            raise ValidationError(f"您须对{name}回避，不能评分")
        _check_scoring_state(c, "评分")
        values = parse_points(c, points)
        w = _lock_window(participant)  # saves for this reporter queue here; see the module docstring
        # Submitting the results locks every window row first: a save that waited here behind a submission
        # must see it (a fresh query, not the campaign's cached sheet).
        if ResultSheet.objects.filter(campaign_id=c.pk).exclude(state=SheetState.COMPUTED).exists():
            raise ValidationError(LOCKED)
        if Recusal.objects.filter(judge=actor, participant=participant).exists():  # set while we waited
            raise ValidationError(f"您须对{name}回避，不能评分")
        if w.state != WindowState.OPEN:
            raise ValidationError(f"{name}的评分{'尚未开始' if w.state == WindowState.PENDING else '已结束'}，不能保存")
        total = sum(values, Decimal(0)).quantize(Decimal("0.01"))  # exact: every value has ≤ 2 places
        stored = [_plain(v) for v in values]
        score = JudgeScore.objects.filter(participant=participant, judge=actor).first()
        before = list(score.points) if score is not None else None
        now = timezone.now()
        if score is None:
            score = JudgeScore(participant=participant, judge=actor)
        first_submit = submit and score.submitted_at is None
        score.points, score.total = stored, total
        if first_submit:
            score.submitted_at = now
        score.save()
        verb = "提交" if submit else "保存"
        record(actor, "scoring.score_submit" if submit else "scoring.score_save", score,
               f"评委“{judge_name(actor)}”{verb}对{name}的评分：合计 {_plain(total)} 分",
               {"participant": participant.pk, "unit": participant.unit.code, "judge": actor.username,
                "points": stored, "total": _plain(total), "submitted": score.submitted_at is not None,
                "first_submit": first_submit, "before": before})
    return score


# ---------------------------------------------------------------- reminders


def _missing_judges(campaign: Campaign, participant_ids: Sequence[int]) -> dict[int, list[int]]:
    """participant id → ids of panel judges (not recused) who have not submitted for them."""
    judges = list(JudgeSeat.objects.filter(campaign=campaign).values_list("user_id", flat=True))
    recused = recused_pairs(campaign)
    done = set(JudgeScore.objects.filter(participant_id__in=participant_ids, submitted_at__isnull=False)
               .values_list("judge_id", "participant_id"))
    return {pid: [j for j in judges if (j, pid) not in recused and (j, pid) not in done] for pid in participant_ids}


def remind_missing(actor: User, target: Participant | Campaign) -> list[User]:
    """Remind every judge who has not submitted for this reporter (or for any open window of the campaign)."""
    check_roles(actor, *SCORING_MANAGERS)
    with transaction.atomic():
        if isinstance(target, Participant):
            c = Campaign.objects.get(pk=target.campaign_id)
            _check_scoring_state(c, "提醒评委")
            if window_state(target) != WindowState.OPEN:
                raise ValidationError(f"{reporter_name(target)}的评分不在进行中，无需提醒")
            parts = [target]
        else:
            c = target
            _check_scoring_state(c, "提醒评委")
            parts = list(c.participants.select_related("unit", "secretary")
                         .filter(scoring_window__state=WindowState.OPEN))
            if not parts:
                raise ValidationError("当前没有正在进行的评分，无需提醒")
        missing = _missing_judges(c, [p.pk for p in parts])
        per_judge: dict[int, list[Participant]] = {}
        for p in parts:
            for j in missing[p.pk]:
                per_judge.setdefault(j, []).append(p)
        judges = {u.pk: u for u in User.objects.filter(pk__in=per_judge)}
        reminded = sorted(judges.values(), key=lambda u: u.username)
        JudgeReminder.objects.bulk_create([
            JudgeReminder(campaign=c, judge=u, created_by=actor,
                          message=f"请尽快提交对{'、'.join(reporter_name(p) for p in per_judge[u.pk])}的评分"[:300])
            for u in reminded])
        if reminded:
            record(actor, "scoring.remind", c, f"提醒 {len(reminded)} 名评委提交评分："
                   + "、".join(judge_name(u) for u in reminded),
                   {"participants": [p.pk for p in parts], "judges": [u.username for u in reminded]})
    return reminded


def mark_reminders_seen(judge: User, campaign: Campaign) -> int:
    """The judge has read their reminders (not audited: it changes nothing about scores)."""
    return JudgeReminder.objects.filter(campaign=campaign, judge=judge, seen_at__isnull=True).update(
        seen_at=timezone.now())


# ---------------------------------------------------------------- read helpers


def ordered_participants(campaign: Campaign) -> list[Participant]:
    """On-site reporters in speaking order, then written ones in roster order."""
    big = 10**9
    rows = list(campaign.participants.select_related("unit", "secretary"))
    rows.sort(key=lambda p: (0 if p.mode == ParticipantMode.ONSITE else 1,
                             p.speaking_order if p.speaking_order is not None else big,
                             p.unit.sort_order, p.unit.code))
    return rows


@dataclass
class ProgressRow:
    participant: Participant
    window: str
    window_label: str
    expected: list[User]
    submitted: int
    saved: int  # saved but not yet submitted
    missing: list[User] = field(default_factory=list)
    recused: list[User] = field(default_factory=list)

    @property
    def missing_names(self) -> list[str]:
        return [judge_name(u) for u in self.missing]


def progress(campaign: Campaign) -> list[ProgressRow]:
    """Per reporter: window state, the judges expected (panel minus 回避), how many submitted, who is missing."""
    parts = ordered_participants(campaign)
    judges = [s.user for s in JudgeSeat.objects.filter(campaign=campaign).select_related("user")]
    recused = recused_pairs(campaign)
    windows = dict(ScoringWindow.objects.filter(participant__campaign=campaign)
                   .values_list("participant_id", "state"))
    sheets: dict[tuple[int, int], bool] = {
        (j, p): sub is not None
        for j, p, sub in JudgeScore.objects.filter(participant__campaign=campaign)
        .values_list("judge_id", "participant_id", "submitted_at")}
    rows = []
    for p in parts:
        expected = [u for u in judges if (u.pk, p.pk) not in recused]
        state = windows.get(p.pk, WindowState.PENDING)
        rows.append(ProgressRow(
            participant=p, window=state, window_label=_window_label(state), expected=expected,
            submitted=sum(1 for u in expected if sheets.get((u.pk, p.pk)) is True),
            saved=sum(1 for u in expected if sheets.get((u.pk, p.pk)) is False),
            missing=[u for u in expected if sheets.get((u.pk, p.pk)) is not True],
            recused=[u for u in judges if (u.pk, p.pk) in recused],
        ))
    return rows


@dataclass
class HomeRow:
    participant: Participant
    window: str
    window_label: str
    sheet: JudgeScore | None

    @property
    def status(self) -> str:
        if self.sheet is None:
            return "未评分"
        return "已提交" if self.sheet.submitted_at else "已保存，未提交"

    @property
    def submitted(self) -> bool:
        return self.sheet is not None and self.sheet.submitted_at is not None

    @property
    def speaking(self) -> bool:
        return self.window == WindowState.OPEN


def judge_home(judge: User, campaign: Campaign) -> list[HomeRow]:
    """The reporters this judge scores, in speaking order (on-site first, then written); 回避 left out."""
    recused = recused_pairs(campaign)
    windows = dict(ScoringWindow.objects.filter(participant__campaign=campaign)
                   .values_list("participant_id", "state"))
    sheets = {s.participant_id: s for s in JudgeScore.objects.filter(participant__campaign=campaign, judge=judge)}
    rows = []
    for p in ordered_participants(campaign):
        if (judge.pk, p.pk) in recused:
            continue
        state = windows.get(p.pk, WindowState.PENDING)
        rows.append(HomeRow(participant=p, window=state, window_label=_window_label(state), sheet=sheets.get(p.pk)))
    return rows
