"""整改成效: the share of the previous campaign's entries closed and verified by their deadline, and its place
in the composite (shuping.results.compute / actions.compute_results)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from shuping.campaigns.models import Campaign, CampaignState
from shuping.orgs.models import Unit
from shuping.rectification.models import EntryState, LedgerEntry, Source
from shuping.rectification.scoring import (
    closed_on_time,
    previous_campaign,
    rectification_score,
    rectification_scores_for,
)
from shuping.results import actions, maths
from shuping.results.compute import rectification_scores
from shuping.results.tests.conftest import judges, scored  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


def entry(campaign: Campaign | None, unit: Unit, deadline: date | None = None, closed: datetime | None = None,
          state: str | None = None) -> LedgerEntry:
    return LedgerEntry.objects.create(
        campaign=campaign, unit=unit, problem="党员教育管理不够规范", category="members", source=Source.COMMENTARY,
        deadline=deadline, closed_at=closed,
        state=state or (EntryState.CLOSED if closed else EntryState.OPEN))


def ledger_2024(district, committee: Unit | None = None) -> Campaign:
    """2024 campaign: east 4 entries (2 on time), west 1 (on time), edu none."""
    c = Campaign.objects.create(year=2024, title="2024年度述职评议", committee=committee or district.root,
                                state=CampaignState.ARCHIVED)
    entry(c, district.east, date(2024, 6, 30), local(2024, 6, 30, 23, 30))  # last evening of the deadline: on time
    entry(c, district.east, date(2024, 6, 30), local(2024, 7, 1, 0, 10))  # ten minutes late
    entry(c, district.east, date(2024, 9, 30))  # still open
    entry(c, district.east, None, local(2025, 2, 1, 10))  # no deadline, verified before the 2025 meeting
    entry(c, district.west, date(2024, 12, 31), local(2024, 12, 1, 9))
    return c


def test_closed_on_time_rules():
    d = date(2024, 6, 30)
    assert closed_on_time(EntryState.CLOSED, d, local(2024, 6, 30, 23, 59), None)
    assert not closed_on_time(EntryState.CLOSED, d, local(2024, 7, 1, 0, 0), None)
    # Only verified closures count: a pending request, an open or reopened entry do not.
    assert not closed_on_time(EntryState.REQUESTED, d, local(2024, 6, 1), None)
    assert not closed_on_time(EntryState.OPEN, d, None, None)
    # No deadline: on time when verified before the new campaign's meeting (any time while it is unset).
    assert closed_on_time(EntryState.CLOSED, None, local(2025, 2, 28, 23), date(2025, 3, 1))
    assert not closed_on_time(EntryState.CLOSED, None, local(2025, 3, 1, 9), date(2025, 3, 1))
    assert closed_on_time(EntryState.CLOSED, None, local(2025, 3, 1, 9), None)


def test_previous_campaign_is_last_year_or_the_latest_earlier_one(district):
    other = Unit.objects.create(code="X", name="另一区委", type="党委", category="区县委")
    c2021 = Campaign.objects.create(year=2021, title="2021", committee=district.root)
    c2025 = Campaign.objects.create(year=2025, title="2025", committee=district.root)
    Campaign.objects.create(year=2024, title="别的考核主体", committee=other)
    assert previous_campaign(c2025) == c2021  # 2022–2024 missing for this committee
    c2024 = Campaign.objects.create(year=2024, title="2024", committee=district.root)
    assert previous_campaign(c2025) == c2024
    assert previous_campaign(c2021) is None


def test_rectification_score_per_unit(district):
    ledger_2024(district)
    c2025 = Campaign.objects.create(year=2025, title="2025", committee=district.root, meeting_date=date(2025, 3, 1))
    # Entries outside the previous campaign never count: this year's, and those raised outside any campaign.
    entry(c2025, district.east, date(2025, 6, 30))
    entry(None, district.west, date(2024, 6, 30))
    assert rectification_score(district.east.pk, c2025) == Fraction(50)  # 2 of 4
    assert rectification_score(district.west.pk, c2025) == Fraction(100)
    assert rectification_score(district.edu.pk, c2025) is None  # no entries: the component drops out
    # A meeting before the undated closure: it no longer counts as on time.
    c2025.meeting_date = date(2025, 1, 15)
    assert rectification_score(district.east.pk, c2025) == Fraction(25)
    assert rectification_scores_for(c2025, [district.east.pk, district.edu.pk]) == {
        district.east.pk: Fraction(25), district.edu.pk: None}


def test_no_previous_campaign_means_no_score(district):
    c2025 = Campaign.objects.create(year=2025, title="2025", committee=district.root)
    entry(None, district.east, date(2024, 6, 30), local(2024, 6, 1))
    assert rectification_score(district.east.pk, c2025) is None


def test_thirds_stay_exact(district):
    c2024 = Campaign.objects.create(year=2024, title="2024", committee=district.root)
    for closed in (local(2024, 5, 1), None, None):
        entry(c2024, district.edu, date(2024, 6, 30), closed)
    c2025 = Campaign.objects.create(year=2025, title="2025", committee=district.root)
    assert rectification_score(district.edu.pk, c2025) == Fraction(100, 3)


def test_compute_results_includes_the_rectification_component(users, district, scored):  # noqa: F811
    ledger_2024(district)
    scored.campaign.meeting_date = date(2025, 3, 1)
    scored.campaign.save()
    assert rectification_scores(scored.campaign) == {scored.east.pk: Fraction(50), scored.west.pk: Fraction(100)}

    sheet = actions.compute_results(users.organiser, scored.campaign)
    outputs = {r["key"]: r for r in sheet.outputs["rows"]}
    east, west, edu = (outputs[str(p.pk)] for p in (scored.east, scored.west, scored.edu))
    assert Decimal(east["components"]["rectification"]["value"]) == 50
    assert east["components"]["rectification"]["display"] == "50.00"
    assert Decimal(west["components"]["rectification"]["value"]) == 100
    assert edu["components"]["rectification"]["value"] is None  # no 2024 entries: drops out
    # Composite with all four weights (30/40/20/10): east (94×30 + 100×40 + 95×20 + 50×10)/100 = 92.2,
    # west (83×30 + 80×40 + 85×20 + 100×10)/100 = 83.9; edu unchanged (74×30 + 30×40)/70.
    assert Decimal(east["composite"]) == Decimal("92.2")
    assert Decimal(west["composite"]) == Decimal("83.9")
    assert east["composite_display"] == "92.20" and west["composite_display"] == "83.90"
    assert edu["composite_display"] == "48.86"
    # The stored inputs carry the score, so a recomputation from the snapshot agrees.
    assert maths.recompute(sheet.inputs["maths"]).row(str(scored.east.pk)).composite == Fraction(922, 10)
