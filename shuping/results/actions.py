"""考核结果 actions: 统分, 提交审核, 审核 (a second person), 领导小组决定 and 签批, 公布, 重新打开, follow-ups.

Pages, the JSON API and commands call these. Each authorises through shuping.accounts.access, runs in one
transaction under a row lock on the campaign, and appends an audit event. The campaign's own state follows
the sheet: 统分中 while computed, 审核中 from submission to signature, 已公布 once published.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from shuping.accounts.access import (
    RESULT_MANAGERS,
    RESULT_READERS,
    RESULT_SIGNERS,
    check_roles,
    get_campaign,
)
from shuping.accounts.models import Role, User
from shuping.audit.log import record
from shuping.ballots.actions import setup as box_setup
from shuping.ballots.models import BoxState
from shuping.campaigns import actions as campaign_actions
from shuping.campaigns.models import Campaign, CampaignState, Participant
from shuping.results import compute, maths
from shuping.results.models import (
    FollowUp,
    FollowUpKind,
    GradeDecision,
    ResultRow,
    ResultSheet,
    SheetState,
)
from shuping.scoring.models import ScoringWindow

# Follow-up measures by grade (domain.md "Results": 一般/差 trigger 约谈, 通报批评, 限期整改).
FOLLOW_UPS = {
    "一般": (FollowUpKind.TALK, FollowUpKind.RECTIFY),
    "差": (FollowUpKind.TALK, FollowUpKind.CRITICISM, FollowUpKind.RECTIFY),
}


def _label(state: str) -> str:
    return str(SheetState(state).label)


def _lock_campaign(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


def _lock_sheet(sheet: ResultSheet) -> ResultSheet:
    _lock_campaign(sheet.campaign)
    return ResultSheet.objects.select_for_update().select_related("campaign").get(pk=sheet.pk)


def _require(sheet: ResultSheet, states: tuple[str, ...], doing: str) -> None:
    if sheet.state not in states:
        allowed = "、".join(f"“{_label(s)}”" for s in states)
        raise ValidationError(f"考核结果处于“{_label(sheet.state)}”状态，不能{doing}（只能在{allowed}时{doing}）")


def _move_campaign(actor: User, campaign: Campaign, to_state: str, reason: str = "") -> None:
    """Step the campaign along with the sheet (through its own audited transition)."""
    campaign.refresh_from_db()
    if campaign.state != to_state:
        campaign_actions.transition(actor, campaign, to_state, reason)


def get_sheet(user: User, campaign_id: int) -> ResultSheet:
    """The result sheet of a campaign the user may read results of (a reporter: own unit, once published)."""
    campaign = get_campaign(user, campaign_id)
    sheet = ResultSheet.objects.filter(campaign=campaign).select_related("campaign").first()
    if not user.has_role(*RESULT_READERS):
        if not user.has_role(Role.REPORTER):
            raise PermissionDenied("您没有查看考核结果的权限")
        if sheet is None or sheet.state != SheetState.PUBLISHED or not user.unit_id:
            raise Http404("考核结果尚未公布")
        if not sheet.rows.filter(participant__unit_id=user.unit_id).exists():
            raise Http404("考核结果不存在或无权查看")
    if sheet is None:
        raise Http404("尚未统分")
    return sheet


def _write_rows(sheet: ResultSheet, res: maths.Results) -> None:
    sheet.rows.all().delete()
    ResultRow.objects.bulk_create([
        ResultRow(sheet=sheet, participant_id=int(r.key), rank=r.rank, grade=r.grade,
                  composite=maths.dec_text(r.composite) or "",
                  composite_display=maths.num(r.composite) if r.composite is not None else "",
                  flags=list(r.flags))
        for r in res.rows
    ])


def _summary_rows(res: maths.Results, details: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"participant": int(r.key), "unit": details["reporters"][r.key]["unit"], "rank": r.rank,
             "grade": r.grade, "composite": maths.dec_text(r.composite), "flags": list(r.flags)}
            for r in res.rows]


@transaction.atomic
def compute_results(actor: User, campaign: Campaign) -> ResultSheet:
    """统分: read every input, compute, store inputs + outputs + rows. Repeatable until submitted."""
    check_roles(actor, *RESULT_MANAGERS)
    c = _lock_campaign(campaign)
    if c.state != CampaignState.TALLYING:
        raise ValidationError(f"考核方案处于“{CampaignState(c.state).label}”状态，只能在“统分中”统分"
                              "（会议结束后请先将考核方案变更为“统分中”）")
    sheet = ResultSheet.objects.select_for_update().filter(campaign=c).first()
    if sheet is not None and sheet.locked:
        raise ValidationError(f"考核结果处于“{_label(sheet.state)}”状态，已锁定；如需重新统分，请先重新打开并说明理由")
    box = compute.ballot_box(c)
    if box is not None and box.state not in (BoxState.CLOSED, BoxState.PUBLISHED):
        raise ValidationError("民主测评票箱尚未封箱，不能统分")
    if not c.participants.exists():
        raise ValidationError("没有述职对象，无法统分")
    g = compute.gather(c)
    snap = g.snapshot()
    res = maths.compute(g.scheme, g.reporters)
    inputs = {"maths": snap, "details": g.details}
    now = timezone.now()
    if sheet is None:
        sheet = ResultSheet(campaign=c, version=1)
    else:
        sheet.version += 1
        sheet.decisions.all().delete()
    sheet.state = SheetState.COMPUTED
    sheet.inputs = inputs
    sheet.outputs = maths.as_data(res)
    sheet.input_digest = compute.digest(snap)
    sheet.computed_at, sheet.computed_by = now, actor
    sheet.submitted_at = sheet.submitted_by = sheet.reviewed_at = sheet.reviewed_by = None  # type: ignore[assignment]
    sheet.signed_at = sheet.signed_by = None  # type: ignore[assignment]
    sheet.review_note = sheet.sign_reference = ""
    sheet.save()
    _write_rows(sheet, res)
    record(actor, "results.compute", sheet,
           f"“{c.title}”统分（第 {sheet.version} 次）：{res.n} 个述职对象，输入摘要 {sheet.input_digest[:12]}…",
           {"version": sheet.version, "input_digest": sheet.input_digest, "rows": _summary_rows(res, g.details)})
    return sheet


@transaction.atomic
def submit_results(actor: User, sheet: ResultSheet) -> ResultSheet:
    """统分 → 审核: the sheet locks; the campaign moves to 审核中."""
    check_roles(actor, *RESULT_MANAGERS)
    s = _lock_sheet(sheet)
    _require(s, (SheetState.COMPUTED,), "提交审核")
    # Judges' saves lock their reporter's window row; holding them all, no save can slip in between this
    # check and the lock (a save that waited re-checks the sheet after getting its window row).
    list(ScoringWindow.objects.select_for_update().filter(participant__campaign_id=s.campaign_id)
         .values_list("pk", flat=True))
    current = compute.gather(s.campaign).snapshot(s.inputs["maths"].get("overrides"))
    if compute.digest(current) != s.input_digest:
        raise ValidationError("统分后评分、日常考核或测评数据有变化，请重新统分后再提交审核")
    s.state, s.submitted_at, s.submitted_by = SheetState.SUBMITTED, timezone.now(), actor
    s.save()
    _move_campaign(actor, s.campaign, CampaignState.REVIEW)
    record(actor, "results.submit", s, f"考核结果提交审核（第 {s.version} 次统分）",
           {"version": s.version, "input_digest": s.input_digest})
    return s


@transaction.atomic
def review_results(actor: User, sheet: ResultSheet, approve: bool, note: str = "") -> ResultSheet:
    """A second organiser approves (→ 待签批) or returns it (→ 已统分, note required)."""
    check_roles(actor, *RESULT_MANAGERS)
    s = _lock_sheet(sheet)
    _require(s, (SheetState.SUBMITTED,), "审核")
    if actor.pk in (s.submitted_by_id, s.computed_by_id):
        raise ValidationError("审核须由统分、提交以外的另一位工作人员进行")
    note = note.strip()
    if approve:
        s.state, s.reviewed_at, s.reviewed_by, s.review_note = SheetState.REVIEWED, timezone.now(), actor, note
        s.save()
        record(actor, "results.review", s, "考核结果审核通过" + (f"：{note}" if note else ""),
               {"approve": True, "note": note, "input_digest": s.input_digest})
    else:
        if not note:
            raise ValidationError("退回须填写审核意见")
        s.state, s.review_note = SheetState.COMPUTED, note
        s.submitted_at = s.submitted_by = None  # type: ignore[assignment]
        s.save()
        _move_campaign(actor, s.campaign, CampaignState.TALLYING, f"考核结果审核退回：{note}")
        record(actor, "results.return", s, f"考核结果审核退回：{note}", {"approve": False, "note": note})
    return s


def quota_ties(sheet: ResultSheet) -> list[ResultRow]:
    return [r for r in sheet.rows.select_related("participant__unit") if "quota_tie" in r.flags]


@transaction.atomic
def decide_grade(actor: User, sheet: ResultSheet, participant: Participant, grade: str, reason: str) -> ResultSheet:
    """The committee's grade for a tie straddling the 好 quota, recorded before signature."""
    check_roles(actor, *RESULT_SIGNERS)
    s = _lock_sheet(sheet)
    _require(s, (SheetState.REVIEWED,), "决定并列等次")
    reason = reason.strip()
    if not reason:
        raise ValidationError("请填写决定依据（如会议名称、日期）")
    decisions = dict(s.inputs["maths"].get("overrides", {}))
    row = s.rows.filter(participant=participant).first()
    if row is None or ("quota_tie" not in row.flags):
        raise ValidationError("只有并列跨越“好”等次比例的述职对象需要领导小组决定等次")
    decisions[str(participant.pk)] = grade
    snap = dict(s.inputs["maths"], overrides=decisions)
    try:
        res = maths.recompute(snap)
    except ValueError as e:
        raise ValidationError(str(e)) from None
    GradeDecision.objects.update_or_create(sheet=s, participant=participant,
                                           defaults={"grade": grade, "reason": reason, "decided_by": actor})
    s.inputs = dict(s.inputs, maths=snap)
    s.outputs = maths.as_data(res)
    s.input_digest = compute.digest(snap)
    s.save()
    _write_rows(s, res)
    record(actor, "results.decide", s, f"领导小组决定“{participant.unit.name}”等次为“{grade}”，依据：{reason}",
           {"participant": participant.pk, "grade": grade, "reason": reason, "input_digest": s.input_digest})
    return s


@transaction.atomic
def sign_results(actor: User, sheet: ResultSheet, reference: str) -> ResultSheet:
    """领导小组签批: every straddling tie must have the committee's decision first."""
    check_roles(actor, *RESULT_SIGNERS)
    s = _lock_sheet(sheet)
    _require(s, (SheetState.REVIEWED,), "签批")
    reference = reference.strip()
    if not reference:
        raise ValidationError("请填写签批依据（如：区委常委会 2026 年第 30 次会议）")
    undecided = [r.participant.unit.name for r in quota_ties(s) if "committee_decision" not in r.flags
                 and not s.decisions.filter(participant=r.participant).exists()]
    if undecided:
        raise ValidationError(f"以下述职对象并列跨越“好”等次比例，须先由领导小组决定等次：{'、'.join(undecided)}")
    s.state, s.signed_at, s.signed_by, s.sign_reference = SheetState.SIGNED, timezone.now(), actor, reference
    s.save()
    record(actor, "results.sign", s, f"考核结果签批：{reference}", {"reference": reference,
                                                              "input_digest": s.input_digest})
    return s


def publish_problems(sheet: ResultSheet) -> list[str]:
    problems = []
    box = compute.ballot_box(sheet.campaign)
    if box is not None:
        problems += box_setup.box_flags(box)
    return problems


@transaction.atomic
def publish_results(actor: User, sheet: ResultSheet) -> ResultSheet:
    """公布: locks for good (only a reasoned reopening undoes it); publishes the ballot tally with it;
    creates the follow-up measures for 一般 and 差."""
    check_roles(actor, *RESULT_MANAGERS)
    s = _lock_sheet(sheet)
    _require(s, (SheetState.SIGNED,), "公布")
    problems = publish_problems(s)
    if problems:
        raise ValidationError(["民主测评票箱核对未通过，不能公布：", *problems])
    box = compute.ballot_box(s.campaign)
    if box is not None and box.state == BoxState.CLOSED:
        box_setup.publish_box(actor, box)
    s.state, s.published_at, s.published_by = SheetState.PUBLISHED, timezone.now(), actor
    s.save()
    _move_campaign(actor, s.campaign, CampaignState.ANNOUNCED)
    created, removed = [], []
    required = set()
    for row in s.rows.select_related("participant__unit"):
        for kind in FOLLOW_UPS.get(row.grade, ()):
            required.add((row.participant_id, kind))
            fu, new = FollowUp.objects.get_or_create(campaign=s.campaign, participant=row.participant, kind=kind,
                                                     defaults={"grade": row.grade})
            if new:
                created.append({"participant": row.participant_id, "kind": kind, "grade": row.grade})
            elif fu.grade != row.grade:
                FollowUp.objects.filter(pk=fu.pk).update(grade=row.grade)
    # A measure from an earlier publication that the corrected grade no longer calls for goes, unless the
    # organiser already worked on it (then it stays, with its history, for them to close).
    for fu in FollowUp.objects.filter(campaign=s.campaign):
        if (fu.participant_id, fu.kind) not in required and not (fu.responsible or fu.due_date or fu.done_at
                                                                  or fu.note):
            removed.append({"participant": fu.participant_id, "kind": fu.kind, "grade": fu.grade})
            fu.delete()
    record(actor, "results.publish", s, f"公布考核结果（{s.rows.count()} 个述职对象），输入摘要 {s.input_digest[:12]}…",
           {"input_digest": s.input_digest, "follow_ups": created, "follow_ups_removed": removed})
    return s


@transaction.atomic
def reopen_results(actor: User, sheet: ResultSheet, reason: str) -> ResultSheet:
    """Back to 已统分 (inputs and computation unlocked) from any later state; the reason is audited."""
    check_roles(actor, *RESULT_MANAGERS)
    s = _lock_sheet(sheet)
    _require(s, (SheetState.SUBMITTED, SheetState.REVIEWED, SheetState.SIGNED, SheetState.PUBLISHED), "重新打开")
    reason = reason.strip()
    if not reason:
        raise ValidationError("重新打开考核结果必须填写理由")
    src = s.state
    s.state = SheetState.COMPUTED
    s.submitted_at = s.submitted_by = s.reviewed_at = s.reviewed_by = None  # type: ignore[assignment]
    s.signed_at = s.signed_by = s.published_at = s.published_by = None  # type: ignore[assignment]
    s.sign_reference = ""
    s.save()
    c = s.campaign
    c.refresh_from_db()
    if c.state == CampaignState.ANNOUNCED:
        campaign_actions.transition(actor, c, CampaignState.REVIEW, f"重新打开考核结果：{reason}")
    c.refresh_from_db()
    if c.state == CampaignState.REVIEW:
        campaign_actions.transition(actor, c, CampaignState.TALLYING, f"重新打开考核结果：{reason}")
    record(actor, "results.reopen", s, f"考核结果由“{_label(src)}”重新打开，理由：{reason}",
           {"from": src, "reason": reason})
    return s


@dataclass
class FollowUpChange:
    responsible: str
    due_date: date | None
    done_at: date | None
    note: str


@transaction.atomic
def update_follow_up(actor: User, follow_up: FollowUp, change: FollowUpChange) -> FollowUp:
    check_roles(actor, *RESULT_MANAGERS)
    fu = FollowUp.objects.select_for_update().select_related("participant__unit").get(pk=follow_up.pk)
    if change.done_at and change.done_at > timezone.localdate():
        raise ValidationError("完成日期不能晚于今天")
    before = {"responsible": fu.responsible, "due_date": _iso(fu.due_date), "done_at": _iso(fu.done_at),
              "note": fu.note}
    fu.responsible, fu.due_date, fu.done_at, fu.note = (change.responsible.strip(), change.due_date,
                                                        change.done_at, change.note.strip())
    fu.save()
    after = {"responsible": fu.responsible, "due_date": _iso(fu.due_date), "done_at": _iso(fu.done_at),
             "note": fu.note}
    record(actor, "results.follow_up", fu,
           f"更新“{fu.participant.unit.name}”的{fu.get_kind_display()}：负责人 {fu.responsible or '—'}，"
           f"时限 {after['due_date'] or '—'}，完成 {after['done_at'] or '未完成'}",
           {"before": before, "after": after})
    return fu


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def verify_results(actor: User, sheet: ResultSheet) -> compute.Check:
    """The observer's check: recompute from the stored inputs and compare with the live data."""
    check_roles(actor, *RESULT_READERS)
    result = compute.check(sheet)
    record(actor, "results.verify", sheet, "核对考核结果：" + ("一致" if result.ok else "发现差异"),
           {"ok": result.ok, "differences": result.differences, "stored_digest": result.stored_digest,
            "current_digest": result.current_digest})
    return result


def can_manage(user: User) -> bool:
    return user.has_role(*RESULT_MANAGERS)


def can_sign(user: User) -> bool:
    return user.has_role(*RESULT_SIGNERS)


def is_reader(user: User) -> bool:
    return user.has_role(*RESULT_READERS)

