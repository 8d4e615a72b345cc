"""考核结果 under concurrent requests on PostgreSQL: one consistent sheet, one publication, whatever the race.

Real threads, each with its own database connection, released at once by a barrier (as in
shuping/ballots/tests/test_concurrency.py). The actions lock the campaign row first, so the steps serialise.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from shuping.audit import log
from shuping.audit.models import AuditEvent
from shuping.ballots.models import BallotBox, BoxState
from shuping.campaigns.models import Campaign, CampaignState
from shuping.conftest import race
from shuping.results import actions, compute
from shuping.results.models import FollowUp, ResultSheet, SheetState

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrency needs PostgreSQL"),
]


def sheet_of(campaign: Campaign) -> ResultSheet:
    return ResultSheet.objects.select_related("campaign").get(campaign_id=campaign.pk)


def assert_consistent(sheet: ResultSheet) -> None:
    """One row per participant, equal to the stored outputs; recomputing from the inputs agrees."""
    rows = {str(r.participant_id): (r.rank, r.grade, r.composite) for r in sheet.rows.all()}
    outputs = {r["key"]: (r["rank"], r["grade"], r["composite"]) for r in sheet.outputs["rows"]}
    assert rows == outputs and len(rows) == sheet.campaign.participants.count()
    check = compute.check(sheet)
    assert check.ok, check.differences


def errors(out: list[Any]) -> list[Exception]:
    unexpected = [e for e in out if isinstance(e, Exception) and not isinstance(e, ValidationError)]
    assert not unexpected, unexpected
    return [e for e in out if isinstance(e, Exception)]


def test_two_organisers_computing_at_once_leave_one_sheet(users, scored):
    actors = [users.organiser, scored.organiser2]
    for round_ in range(3):
        out = race(2, lambda i: actions.compute_results(actors[i], Campaign.objects.get(pk=scored.campaign.pk)))
        assert errors(out) == []
        assert ResultSheet.objects.count() == 1
        sheet = sheet_of(scored.campaign)
        assert sheet.version == 2 * (round_ + 1)
        assert_consistent(sheet)
    versions = list(AuditEvent.objects.filter(action="results.compute").order_by("seq")
                    .values_list("data__version", flat=True))
    assert versions == [1, 2, 3, 4, 5, 6]
    assert log.verify().ok


def test_compute_racing_submit_leaves_one_consistent_sheet(users, scored):
    actions.compute_results(users.organiser, scored.campaign)
    outcomes = set()
    for _ in range(4):
        before = sheet_of(scored.campaign).version

        def work(i: int) -> Any:
            if i == 0:
                return actions.compute_results(scored.organiser2, Campaign.objects.get(pk=scored.campaign.pk))
            return actions.submit_results(users.organiser, sheet_of(scored.campaign))

        out = race(2, work)
        refused = errors(out)
        sheet = sheet_of(scored.campaign)
        assert sheet.state == SheetState.SUBMITTED and sheet.campaign.state == CampaignState.REVIEW
        if refused:  # submit won: the computation found the campaign in review, the sheet locked
            assert isinstance(out[0], ValidationError) and sheet.version == before
            outcomes.add("submit first")
        else:  # compute won, then the new version was submitted
            assert sheet.version == before + 1
            outcomes.add("compute first")
        assert_consistent(sheet)
        actions.reopen_results(users.organiser, sheet, "并发测试：重新打开")
    assert outcomes  # either order is fine; each left a consistent sheet
    assert log.verify().ok


def test_publish_twice_at_once_publishes_once_with_one_set_of_follow_ups(users, scored):
    sheet = actions.compute_results(users.organiser, scored.campaign)
    actions.submit_results(users.organiser, sheet)
    actions.review_results(scored.organiser2, sheet, approve=True)
    actions.sign_results(users.chair, sheet, "区委常委会")

    out = race(2, lambda i: actions.publish_results(users.organiser, sheet_of(scored.campaign)))
    refused = errors(out)
    assert len(refused) == 1 and "不能公布" in refused[0].messages[0]
    sheet = sheet_of(scored.campaign)
    assert sheet.state == SheetState.PUBLISHED and sheet.campaign.state == CampaignState.ANNOUNCED
    assert BallotBox.objects.get(pk=scored.box.pk).state == BoxState.PUBLISHED
    assert sorted(FollowUp.objects.values_list("participant_id", "kind")) == [
        (scored.edu.pk, "criticism"), (scored.edu.pk, "rectify"), (scored.edu.pk, "talk")]
    assert AuditEvent.objects.filter(action="results.publish").count() == 1
    assert AuditEvent.objects.filter(action="ballot.publish").count() == 1
    assert_consistent(sheet)
    assert log.verify().ok
