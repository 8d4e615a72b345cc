"""述职报告 fixtures.

- `campaign`: a published 2026 campaign (east, west on site; 教育局 in writing), meeting in 30 days, so the
  report deadline (10 days before) is still ahead; built through the campaign actions.
- `prior`: last year's (2025) campaign with ledger entries still open for 东城街道 (two) and 西城街道 (one),
  and one closed 东城街道 entry that must not be carried over.
- `report`: the reporter's (东城街道) draft, opened through `open_report`.
- `fill(report, answer=True)`: writes every section (and the prior answers) through `save_draft`.
- `api_for(user)`: a client speaking to /api/ with the user's bearer token.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from types import SimpleNamespace

import pytest
from django.test import Client
from django.utils import timezone

from shuping.accounts.actions import create_token
from shuping.accounts.models import User
from shuping.campaigns import actions as campaign_actions
from shuping.campaigns.models import Campaign, CampaignState, ParticipantMode
from shuping.rectification.models import EntryState, LedgerEntry, Source
from shuping.reports import actions
from shuping.reports.models import Report

TEXT = {
    "performance": "一是压实党建责任，召开党建工作专题会议12次。二是推进网格化治理，建成网格党支部36个。",
    "problems": "一是部分社区党组织书记履职能力不强。二是党建与业务融合不够紧密。",
    "causes": "主要是培训针对性不强，考核导向作用发挥不够。",
    "plans": "一要加强书记队伍建设，开展全员轮训。二要完善考核办法，强化结果运用。",
}


@pytest.fixture
def campaign(users, district) -> Campaign:
    meeting = timezone.localdate() + datetime.timedelta(days=30)
    c = campaign_actions.create_campaign(users.organiser, year=2026, title="2026年度党（工）委书记抓基层党建工作述职评议",
                                         committee=district.root, meeting_date=meeting)
    campaign_actions.add_participant(users.organiser, c, district.east)
    campaign_actions.add_participant(users.organiser, c, district.west)
    campaign_actions.add_participant(users.organiser, c, district.edu, mode=ParticipantMode.WRITTEN)
    return campaign_actions.transition(users.organiser, c, "published")


@pytest.fixture
def prior(users, district) -> SimpleNamespace:
    """Last year's campaign and its ledger (created directly: the ledger's own actions are another area's)."""
    last = Campaign.objects.create(year=2025, title="2025年度述职评议", committee=district.root,
                                   state=CampaignState.ARCHIVED)

    def entry(unit, problem, **kw):
        return LedgerEntry.objects.create(campaign=last, unit=unit, problem=problem, category="workforce",
                                          source=kw.pop("source", Source.COMMENTARY),
                                          deadline=datetime.date(2026, 6, 30), **kw)

    return SimpleNamespace(
        campaign=last,
        east1=entry(district.east, "社区党组织书记培训覆盖面不足", source_ref="2025年点评"),
        east2=entry(district.east, "党群服务中心使用率不高", source=Source.INSPECTION),
        east_closed=entry(district.east, "党建经费使用不规范", state=EntryState.CLOSED),
        west=entry(district.west, "网格党支部作用发挥不明显"),
    )


@pytest.fixture
def east(campaign, district):
    return campaign.participants.get(unit=district.east)


@pytest.fixture
def report(users, east, prior) -> Report:
    return actions.open_report(users.reporter, east)


@pytest.fixture
def fill(users) -> Callable[..., Report]:
    def do(report: Report, answer: bool = True, user: User | None = None) -> Report:
        report.refresh_from_db()
        answers = {str(a.entry_id): f"已整改：{a.entry.problem}已落实" for a in report.prior_answers.all()} if answer else {}
        return actions.save_draft(user or users.reporter, report, revision=report.revision, sections=dict(TEXT),
                                  answers=answers)

    return do


@pytest.fixture
def api_for() -> Callable[[User], Client]:
    def make(user: User) -> Client:
        _, raw = create_token(user, "test")
        return Client(headers={"Authorization": f"Bearer {raw}"})

    return make
