"""考核结果 workflow through the actions: what an organiser, a reviewer, the committee and the observer check.

The expected numbers are the hand-computed ones in conftest.py's docstring (the `scored` campaign).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from shuping.audit import log
from shuping.audit.models import AuditEvent
from shuping.ballots.models import BallotToken, BoxState, TokenStatus
from shuping.campaigns.models import CampaignState
from shuping.results import actions, maths
from shuping.results.models import FollowUp, ResultRow, ResultSheet, SheetState
from shuping.scoring.models import JudgeScore, RoutineScore


def rows_by_unit(sheet: ResultSheet) -> dict[str, ResultRow]:
    return {r.participant.unit.code: r for r in sheet.rows.select_related("participant__unit")}


def outputs_by_unit(sheet: ResultSheet, scored: Any) -> dict[str, dict[str, Any]]:
    keys = {str(scored.east.pk): "Q01", str(scored.west.pk): "Q02", str(scored.edu.pk): "Q11"}
    return {keys[r["key"]]: r for r in sheet.outputs["rows"]}


def refused(fn: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(ValidationError) as e:
        fn(*args, **kwargs)
    return " ".join(e.value.messages)


def signed(users: Any, scored: Any) -> ResultSheet:
    """Computed by the organiser, reviewed by the second organiser, signed by the chair."""
    sheet = actions.compute_results(users.organiser, scored.campaign)
    actions.submit_results(users.organiser, sheet)
    actions.review_results(scored.organiser2, sheet, approve=True)
    return actions.sign_results(users.chair, sheet, "区委常委会 2026 年第 3 次会议")


def campaign_state(scored: Any) -> str:
    scored.campaign.refresh_from_db()
    return scored.campaign.state


# ---------------------------------------------------------------- 统分

def test_compute_gives_the_hand_computed_ranks_grades_flags_and_composites(users, scored):
    sheet = actions.compute_results(users.organiser, scored.campaign)
    rows = rows_by_unit(sheet)
    assert [(c, rows[c].rank, rows[c].grade) for c in ("Q01", "Q02", "Q11")] == [
        ("Q01", 1, "较好"), ("Q02", 2, "较好"), ("Q11", 3, "差")]
    assert rows["Q01"].flags == ["renormalised", "quota_demoted"]  # 好 by score, but the quota is floor(0.9) = 0
    assert rows["Q02"].flags == ["renormalised"]
    assert rows["Q11"].flags == ["renormalised", "veto"]

    # The composites do not terminate: the stored 28 digits agree with the fraction, the display is half-up,
    # and the maths on the stored inputs gives the fraction itself.
    hand = {"Q01": Fraction(8720, 90), "Q02": Fraction(7390, 90), "Q11": Fraction(3420, 70)}
    shown = {"Q01": "96.89", "Q02": "82.11", "Q11": "48.86"}
    again = maths.recompute(sheet.inputs["maths"])
    for code, value in hand.items():
        row = rows[code]
        assert row.composite_display == shown[code]
        assert abs(Fraction(Decimal(row.composite)) - value) < Fraction(1, 10**25)
        assert again.row(str(row.participant_id)).composite == value
        assert maths.exact_text(value) == f"{value.numerator}/{value.denominator}"

    out = outputs_by_unit(sheet, scored)
    comps = {code: {name: c["value"] for name, c in r["components"].items()} for code, r in out.items()}
    # Terminating components compare exactly.
    assert {k: Fraction(Decimal(v)) for k, v in comps["Q01"].items() if v} == {
        "judging": 94, "ballot": 100, "routine": 95}
    assert {k: Fraction(Decimal(v)) for k, v in comps["Q02"].items() if v} == {
        "judging": 83, "ballot": 80, "routine": 85}
    assert {k: Fraction(Decimal(v)) for k, v in comps["Q11"].items() if v} == {"judging": 74, "ballot": 30}
    assert comps["Q11"]["routine"] is None and comps["Q01"]["rectification"] is None
    # east's five judges: 90 and 98 dropped.
    dropped = {e["total"]: e["dropped"] for e in out["Q01"]["judging"]["entries"]}
    assert dropped == {"90": "low", "92": "", "94": "", "96": "", "98": "high"}
    assert out["Q02"]["judging"]["k"] == 0 and out["Q02"]["judging"]["judges_expected"] == 4
    assert "94.00 × 33.33%" in out["Q01"]["composite_formula"]  # 30% of the 90% present

    assert sheet.state == SheetState.COMPUTED and sheet.version == 1
    assert campaign_state(scored) == CampaignState.TALLYING
    assert AuditEvent.objects.filter(action="results.compute", object_id=str(sheet.pk)).count() == 1


def test_compute_is_refused_outside_tallying(users, scored):
    scored.campaign.state = CampaignState.MEETING
    scored.campaign.save()
    assert "只能在“统分中”统分" in refused(actions.compute_results, users.organiser, scored.campaign)
    assert not ResultSheet.objects.exists()


def test_compute_is_refused_while_the_ballot_box_is_open(users, scored):
    scored.box.state = BoxState.OPEN
    scored.box.save()
    assert "票箱尚未封箱" in refused(actions.compute_results, users.organiser, scored.campaign)
    assert not ResultSheet.objects.exists()


@pytest.mark.parametrize("who", ["observer", "chair", "judge", "reporter", "nobody"])
def test_only_organisers_compute(users, scored, who):
    with pytest.raises(PermissionDenied):
        actions.compute_results(getattr(users, who), scored.campaign)


def test_recomputing_before_submission_gives_identical_outputs_and_a_new_version(users, scored):
    first = actions.compute_results(users.organiser, scored.campaign)
    outputs, digest = first.outputs, first.input_digest
    again = actions.compute_results(scored.organiser2, scored.campaign)
    assert again.pk == first.pk and again.version == 2
    assert again.outputs == outputs and again.input_digest == digest
    assert again.rows.count() == 3


# ---------------------------------------------------------------- 审核

def test_submit_locks_the_sheet_and_moves_the_campaign_to_review(users, scored):
    sheet = actions.compute_results(users.organiser, scored.campaign)
    actions.submit_results(users.organiser, sheet)
    sheet.refresh_from_db()
    assert sheet.state == SheetState.SUBMITTED and sheet.locked and sheet.submitted_by == users.organiser
    assert campaign_state(scored) == CampaignState.REVIEW
    msg = refused(actions.compute_results, users.organiser, scored.campaign)
    assert "只能在“统分中”统分" in msg  # the campaign has moved on
    # Even with the campaign forced back, the sheet itself refuses: it is locked.
    scored.campaign.state = CampaignState.TALLYING
    scored.campaign.save()
    assert "已锁定" in refused(actions.compute_results, users.organiser, scored.campaign)
    assert "不能提交审核" in refused(actions.submit_results, users.organiser, sheet)


def test_the_reviewer_must_be_a_second_person(users, scored):
    sheet = actions.compute_results(users.organiser, scored.campaign)
    actions.submit_results(users.organiser, sheet)
    assert "另一位工作人员" in refused(actions.review_results, users.organiser, sheet, True)
    actions.review_results(scored.organiser2, sheet, approve=True, note="数据核对无误")
    sheet.refresh_from_db()
    assert sheet.state == SheetState.REVIEWED and sheet.reviewed_by == scored.organiser2
    assert sheet.review_note == "数据核对无误"
    assert campaign_state(scored) == CampaignState.REVIEW


def test_returning_needs_a_note_and_unlocks(users, scored):
    sheet = actions.compute_results(users.organiser, scored.campaign)
    actions.submit_results(users.organiser, sheet)
    assert "退回须填写审核意见" in refused(actions.review_results, scored.organiser2, sheet, False, "  ")
    actions.review_results(scored.organiser2, sheet, approve=False, note="西城街道日常考核分数待核实")
    sheet.refresh_from_db()
    assert sheet.state == SheetState.COMPUTED and not sheet.locked
    assert sheet.review_note == "西城街道日常考核分数待核实"
    assert campaign_state(scored) == CampaignState.TALLYING
    assert actions.compute_results(users.organiser, scored.campaign).version == 2
    ev = AuditEvent.objects.get(action="results.return")
    assert ev.data["note"] == "西城街道日常考核分数待核实" and ev.actor == "organiser2"


# ---------------------------------------------------------------- the committee: ties across the quota

@pytest.fixture
def tied(scored):
    """Only 日常考核 counts, east and west both 95, no tie-break, 好 for at most 1 of 3 (50%): they share
    rank 1 across the quota boundary."""
    scheme = dict(scored.campaign.scheme)
    scheme.update(quota_good_percent="50", tie_breaks=[],
                  component_weights={"judging": "0", "ballot": "0", "routine": "100", "rectification": "0"})
    scored.campaign.scheme = scheme
    scored.campaign.save()
    RoutineScore.objects.filter(participant=scored.west).update(score=Decimal("95"))
    return scored


def test_a_tie_across_the_quota_needs_the_committee_before_signature(users, tied):
    sheet = actions.compute_results(users.organiser, tied.campaign)
    rows = rows_by_unit(sheet)
    assert sheet.outputs["quota"] == 1
    assert (rows["Q01"].rank, rows["Q02"].rank) == (1, 1)
    assert rows["Q01"].grade == rows["Q02"].grade == "较好"
    assert "quota_tie" in rows["Q01"].flags and "quota_tie" in rows["Q02"].flags
    assert [r.participant.unit.code for r in actions.quota_ties(sheet)] == ["Q01", "Q02"]

    actions.submit_results(users.organiser, sheet)
    actions.review_results(tied.organiser2, sheet, approve=True)
    msg = refused(actions.sign_results, users.chair, sheet, "区委常委会")
    assert "须先由领导小组决定等次" in msg and "东城街道党工委" in msg and "西城街道党工委" in msg

    assert "只有并列跨越" in refused(actions.decide_grade, users.chair, sheet, tied.edu, "好", "常委会")
    assert "请填写决定依据" in refused(actions.decide_grade, users.chair, sheet, tied.east, "好", " ")
    assert "不能是“一般”" in refused(actions.decide_grade, users.chair, sheet, tied.east, "一般", "常委会")
    with pytest.raises(PermissionDenied):
        actions.decide_grade(users.observer, sheet, tied.east, "好", "常委会")

    actions.decide_grade(users.chair, sheet, tied.east, "好", "区委常委会 2026 年第 3 次会议")
    sheet.refresh_from_db()
    rows = rows_by_unit(sheet)
    assert rows["Q01"].grade == "好" and "committee_decision" in rows["Q01"].flags
    msg = refused(actions.sign_results, users.chair, sheet, "区委常委会")
    assert "西城街道党工委" in msg and "东城街道党工委" not in msg

    actions.decide_grade(users.organiser, sheet, tied.west, "较好", "区委常委会 2026 年第 3 次会议")
    actions.sign_results(users.chair, sheet, "区委常委会 2026 年第 3 次会议")
    sheet.refresh_from_db()
    assert sheet.state == SheetState.SIGNED and sheet.signed_by == users.chair
    assert [(r.participant.unit.code, r.grade) for r in sheet.rows.select_related("participant__unit")
            if r.rank == 1] == [("Q01", "好"), ("Q02", "较好")]
    assert sheet.inputs["maths"]["overrides"] == {str(tied.east.pk): "好", str(tied.west.pk): "较好"}
    assert actions.verify_results(users.observer, sheet).ok
    assert AuditEvent.objects.filter(action="results.decide").count() == 2


def test_signature_needs_a_reference_and_a_reviewed_sheet(users, scored):
    sheet = actions.compute_results(users.organiser, scored.campaign)
    assert "不能签批" in refused(actions.sign_results, users.chair, sheet, "常委会")
    actions.submit_results(users.organiser, sheet)
    actions.review_results(scored.organiser2, sheet, approve=True)
    assert "请填写签批依据" in refused(actions.sign_results, users.chair, sheet, "")
    with pytest.raises(PermissionDenied):
        actions.sign_results(users.observer, sheet, "常委会")


# ---------------------------------------------------------------- 公布 and follow-ups

def test_publish_creates_follow_ups_and_publishes_the_closed_box(users, scored):
    # 较好 from 85: west (82.11) becomes 一般.
    scheme = dict(scored.campaign.scheme, grade_thresholds={"好": "90", "较好": "85", "一般": "70"})
    scored.campaign.scheme = scheme
    scored.campaign.save()
    sheet = signed(users, scored)
    actions.publish_results(users.organiser, sheet)
    sheet.refresh_from_db()
    assert sheet.state == SheetState.PUBLISHED and sheet.published_by == users.organiser
    assert campaign_state(scored) == CampaignState.ANNOUNCED
    scored.box.refresh_from_db()
    assert scored.box.state == BoxState.PUBLISHED
    grades = {code: r.grade for code, r in rows_by_unit(sheet).items()}
    assert grades == {"Q01": "较好", "Q02": "一般", "Q11": "差"}
    made = {(f.participant.unit.code, f.kind, f.grade) for f in FollowUp.objects.select_related("participant__unit")}
    assert made == {("Q02", "talk", "一般"), ("Q02", "rectify", "一般"),
                    ("Q11", "talk", "差"), ("Q11", "criticism", "差"), ("Q11", "rectify", "差")}
    assert "不能公布" in refused(actions.publish_results, users.organiser, sheet)
    assert FollowUp.objects.count() == 5


def test_publish_is_refused_while_the_box_has_a_blocking_flag(users, scored):
    sheet = signed(users, scored)
    # Two used tokens revoked behind the app's back: 20 ballots, 18 tokens issued.
    used = BallotToken.objects.filter(box=scored.box, status=TokenStatus.USED).values_list("pk", flat=True)[:2]
    BallotToken.objects.filter(pk__in=list(used)).update(status=TokenStatus.REVOKED)
    msg = refused(actions.publish_results, users.organiser, sheet)
    assert "票箱核对未通过" in msg and "选票 20 张" in msg and "发出 18 个" in msg
    sheet.refresh_from_db()
    scored.box.refresh_from_db()
    assert sheet.state == SheetState.SIGNED and scored.box.state == BoxState.CLOSED
    assert not FollowUp.objects.exists() and campaign_state(scored) == CampaignState.REVIEW


def test_follow_ups_are_updated_by_organisers_and_audited(users, scored):
    actions.publish_results(users.organiser, signed(users, scored))
    fu = FollowUp.objects.get(participant=scored.edu, kind="talk")
    today = timezone.localdate()
    change = actions.FollowUpChange(responsible=" 组织部部长 ", due_date=today, done_at=today, note="已约谈")
    with pytest.raises(PermissionDenied):
        actions.update_follow_up(users.observer, fu, change)
    late = actions.FollowUpChange(responsible="", due_date=None, done_at=today.replace(year=today.year + 1), note="")
    assert "不能晚于今天" in refused(actions.update_follow_up, users.organiser, fu, late)
    actions.update_follow_up(users.organiser, fu, change)
    fu.refresh_from_db()
    assert (fu.responsible, fu.done_at, fu.note) == ("组织部部长", today, "已约谈")
    ev = AuditEvent.objects.get(action="results.follow_up")
    assert ev.data["before"]["responsible"] == "" and ev.data["after"]["responsible"] == "组织部部长"


# ---------------------------------------------------------------- 重新打开

def test_reopening_needs_a_reason_is_audited_and_goes_back_to_tallying(users, scored):
    sheet = signed(users, scored)
    actions.publish_results(users.organiser, sheet)
    assert "必须填写理由" in refused(actions.reopen_results, users.organiser, sheet, "  ")
    with pytest.raises(PermissionDenied):
        actions.reopen_results(users.chair, sheet, "理由")
    actions.reopen_results(users.organiser, sheet, "西城街道日常考核分数录入有误")
    sheet.refresh_from_db()
    assert sheet.state == SheetState.COMPUTED and sheet.published_at is None and not sheet.locked
    assert campaign_state(scored) == CampaignState.TALLYING
    ev = AuditEvent.objects.get(action="results.reopen")
    assert ev.data == {"from": "published", "reason": "西城街道日常考核分数录入有误"}
    assert "西城街道日常考核分数录入有误" in ev.summary
    assert actions.compute_results(users.organiser, scored.campaign).version == 2
    assert "不能重新打开" in refused(actions.reopen_results, users.organiser, sheet, "再次")


def test_every_step_is_in_the_audit_log_and_the_chain_verifies(users, tied):
    sheet = actions.compute_results(users.organiser, tied.campaign)
    actions.submit_results(users.organiser, sheet)
    actions.review_results(tied.organiser2, sheet, approve=False, note="请复核")
    actions.compute_results(users.organiser, tied.campaign)
    actions.submit_results(users.organiser, sheet)
    actions.review_results(tied.organiser2, sheet, approve=True)
    for p, g in ((tied.east, "好"), (tied.west, "较好")):
        actions.decide_grade(users.chair, sheet, p, g, "常委会")
    actions.sign_results(users.chair, sheet, "常委会")
    actions.publish_results(users.organiser, sheet)
    actions.verify_results(users.observer, sheet)
    actions.reopen_results(users.organiser, sheet, "更正")
    steps = list(AuditEvent.objects.filter(action__startswith="results.").order_by("seq")
                 .values_list("action", "actor"))
    assert steps == [
        ("results.compute", "organiser"), ("results.submit", "organiser"), ("results.return", "organiser2"),
        ("results.compute", "organiser"), ("results.submit", "organiser"), ("results.review", "organiser2"),
        ("results.decide", "chair"), ("results.decide", "chair"), ("results.sign", "chair"),
        ("results.publish", "organiser"), ("results.verify", "observer"), ("results.reopen", "organiser"),
    ]
    transitions = list(AuditEvent.objects.filter(action="campaign.transition").order_by("seq")
                       .values_list("data__to", flat=True))
    assert transitions == ["review", "tallying", "review", "announced", "review", "tallying"]
    assert log.verify().ok


# ---------------------------------------------------------------- the observer's check

def test_verify_is_ok_right_after_compute(users, scored):
    sheet = actions.compute_results(users.organiser, scored.campaign)
    check = actions.verify_results(users.observer, sheet)
    assert check.ok and check.differences == [] and check.current_digest == sheet.input_digest
    with pytest.raises(PermissionDenied):
        actions.verify_results(users.reporter, sheet)


def test_verify_reports_a_judge_total_changed_behind_the_apps_back(users, scored):
    sheet = actions.compute_results(users.organiser, scored.campaign)
    JudgeScore.objects.filter(participant=scored.west, total=Decimal("80")).update(total=Decimal("88"))
    check = actions.verify_results(users.observer, sheet)
    assert not check.ok and not check.inputs_current
    assert check.recomputed_identical and check.rows_identical  # the stored sheet itself is consistent
    assert check.differences == ["“西城街道党工委”的输入数据在统分后发生了变化"]
    assert check.current_digest != check.stored_digest
    ev = AuditEvent.objects.filter(action="results.verify").latest("seq")
    assert ev.data["ok"] is False and ev.data["differences"] == check.differences


def test_verify_reports_a_tampered_grade(users, scored):
    sheet = actions.compute_results(users.organiser, scored.campaign)
    ResultRow.objects.filter(sheet=sheet, participant=scored.west).update(grade="好")
    check = actions.verify_results(users.observer, sheet)
    assert not check.ok and not check.rows_identical and check.inputs_current
    assert check.differences == [f"结果表中述职对象 {scored.west.pk} 的名次、等次或得分与计算结果不一致"]


def test_verify_reports_tampered_outputs(users, scored):
    sheet = actions.compute_results(users.organiser, scored.campaign)
    outputs = sheet.outputs
    outputs["rows"][0]["composite_display"] = "99.99"
    ResultSheet.objects.filter(pk=sheet.pk).update(outputs=outputs)
    sheet.refresh_from_db()
    check = actions.verify_results(users.observer, sheet)
    assert not check.ok and not check.recomputed_identical
    assert "按保存的输入重新计算，结果与保存的结果不一致" in check.differences


def test_recompute_from_the_stored_inputs_gives_identical_outputs(users, scored):
    sheet = actions.compute_results(users.organiser, scored.campaign)
    sheet = ResultSheet.objects.get(pk=sheet.pk)  # as read back from the database
    assert maths.as_data(maths.recompute(sheet.inputs["maths"])) == sheet.outputs
