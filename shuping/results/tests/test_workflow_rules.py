"""Rules of the result workflow that reach outside the sheet: the campaign's state and the follow-ups."""

from __future__ import annotations

import pytest

from shuping.results import actions


def test_the_campaign_cannot_be_announced_around_the_result_workflow(users, scored):
    """Once computed, 已公布 comes from publishing the results, not from moving the campaign alone."""
    from django.core.exceptions import ValidationError

    from shuping.campaigns import actions as campaign_actions

    sheet = actions.compute_results(users.organiser, scored.campaign)
    actions.submit_results(users.organiser, sheet)
    scored.campaign.refresh_from_db()
    with pytest.raises(ValidationError, match="考核结果尚未公布"):
        campaign_actions.transition(users.organiser, scored.campaign, "announced")


def test_republishing_after_a_correction_drops_measures_the_new_grade_no_longer_needs(users, scored):
    """edu was 差 (veto): 约谈, 通报批评, 限期整改. Corrected (reopened, veto gone) and republished as 一般:
    the untouched 通报批评 goes; the 约谈 the organiser already scheduled stays with its history."""
    from shuping.ballots.models import Ballot
    from shuping.results.models import FollowUp

    def publish():
        sheet = actions.compute_results(users.organiser, scored.campaign)
        actions.submit_results(users.organiser, sheet)
        actions.review_results(scored.organiser2, sheet, approve=True)
        actions.sign_results(users.chair, sheet, "区委常委会")
        return actions.publish_results(users.organiser, sheet)

    sheet = publish()
    assert set(FollowUp.objects.filter(participant=scored.edu).values_list("kind", flat=True)) == {
        "talk", "criticism", "rectify"}
    talk = FollowUp.objects.get(participant=scored.edu, kind="talk")
    actions.update_follow_up(users.organiser, talk, actions.FollowUpChange("组织部部长", None, None, "已约定时间"))
    actions.reopen_results(users.organiser, sheet, "民主测评票箱更正")
    # the correction: edu gets 较好 on every ballot → (74×30 + 80×40)/70 = 77.43 → 一般
    for b in Ballot.objects.filter(box=scored.box):
        Ballot.objects.filter(pk=b.pk).update(grades=b.grades[:2] + "2")
    publish()
    kinds = dict(FollowUp.objects.filter(participant=scored.edu).values_list("kind", "grade"))
    assert "criticism" not in kinds
    assert kinds["talk"] == "一般" and kinds["rectify"] == "一般"


def test_submitting_refuses_a_result_whose_inputs_changed_since_it_was_computed(users, scored):
    """A judge's late correction (or a re-imported 日常考核) after 统分 must not go to review unseen."""
    from decimal import Decimal

    from django.core.exceptions import ValidationError

    from shuping.scoring.models import RoutineScore

    sheet = actions.compute_results(users.organiser, scored.campaign)
    RoutineScore.objects.filter(participant=scored.west).update(score=Decimal("86"))
    with pytest.raises(ValidationError, match="请重新统分"):
        actions.submit_results(users.organiser, sheet)
    sheet = actions.compute_results(users.organiser, scored.campaign)
    assert actions.submit_results(users.organiser, sheet).state == "submitted"
