"""Every date a person reads is the local (Beijing-time) date, on both sides of the local midnight.

Each test runs twice with the clock frozen by time-machine (tick=False, so every `timezone.now()` in the test is
the same instant):
- 23:30 on 31 December 2026 Beijing time = 15:30 UTC, the same calendar day in both zones;
- 00:30 on 1 January 2027 Beijing time = 16:30 UTC on 31 December: UTC is still in the old day and the old year.
A date taken from an aware datetime without converting it to the display zone (`.date()`, `.year`, `strftime` on
a UTC value, an ORM date lookup in UTC) reads 31 December at 00:30 and fails here. The deadlines below are all
31 December 2026, so at 23:30 it is the deadline day itself (not yet late) and at 00:30 the day after (late).

Data is made through the real actions and read back from the pages, downloads and documents a user gets.
"""

from __future__ import annotations

import datetime
import io
import re
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from docx import Document

from shuping.accounts.models import Role
from shuping.campaigns import actions as campaign_actions
from shuping.campaigns.models import Campaign
from shuping.conftest import make_user
from shuping.core.downloads import quote_name
from shuping.exports import analytics
from shuping.exports.tests.helpers import publish, run
from shuping.meetings import actions as meeting_actions
from shuping.meetings import agenda
from shuping.rectification import actions as ledger
from shuping.rectification.models import Source
from shuping.reports import actions as reports
from shuping.reports import exports as report_exports
from shuping.results.models import FollowUp
from shuping.results.tests import conftest as results_fixtures

judges = results_fixtures.judges
scored = results_fixtures.scored

BEIJING = ZoneInfo("Asia/Shanghai")
DEADLINE = datetime.date(2026, 12, 31)
MEETING_DAY = datetime.date(2027, 1, 10)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass(frozen=True)
class Moment:
    at: datetime.datetime
    day: datetime.date  # the calendar day on a Beijing wall clock
    late: bool  # past DEADLINE (31 December 2026)

    def cn(self) -> str:
        """The day as documents write it: 2027年1月1日."""
        return f"{self.day.year}年{self.day.month}月{self.day.day}日"


MOMENTS = {
    "23:30": Moment(datetime.datetime(2026, 12, 31, 23, 30, tzinfo=BEIJING), datetime.date(2026, 12, 31), False),
    "00:30": Moment(datetime.datetime(2027, 1, 1, 0, 30, tzinfo=BEIJING), datetime.date(2027, 1, 1), True),
}


@pytest.fixture(params=list(MOMENTS))
def now(request: Any, time_machine: Any) -> Moment:
    moment = MOMENTS[request.param]
    time_machine.move_to(moment.at, tick=False)
    return moment


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def campaign(now, users, district) -> SimpleNamespace:
    """A published 2026 campaign: reports due 31 December, the meeting on 10 January."""
    c = campaign_actions.create_campaign(users.organiser, year=2026, title="2026年度述职评议", committee=district.root,
                                         meeting_date=MEETING_DAY, report_deadline=DEADLINE)
    east = campaign_actions.add_participant(users.organiser, c, district.east)
    west = campaign_actions.add_participant(users.organiser, c, district.west)
    c = campaign_actions.transition(users.organiser, c, "published")
    return SimpleNamespace(campaign=c, east=east, west=west)


def _row(html: str, marker: str) -> str:
    """The one table row of the page that contains `marker`."""
    rows = [r for r in re.findall(r"<tr[ >].*?</tr>", html, re.S) if marker in r]
    assert len(rows) == 1, marker
    return rows[0]


def _cells(row: str) -> list[str]:
    """The text of each cell, tags dropped and white space collapsed."""
    return [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def _paragraphs(data: bytes) -> list[str]:
    return [p.text for p in Document(io.BytesIO(data)).paragraphs]


def _downloaded_as(resp: Any, name: str) -> bool:
    return resp["Content-Disposition"].endswith(f"filename*=UTF-8''{quote_name(name)}")


# ---------------------------------------------------------------- 述职报告: 逾期提交, 逾期未交, 提交于


def test_a_report_is_late_only_after_the_local_deadline_day(now, users, campaign, client_for):
    report = reports.open_report(users.reporter, campaign.east)
    report = reports.save_draft(users.reporter, report, revision=report.revision,
                                sections={"performance": "一是压实党建责任。", "problems": "一是书记履职能力不强。"},
                                answers={})
    reports.sign(users.reporter, report, "钱东明")
    report = reports.submit(users.reporter, report)
    assert report.late is now.late

    page = client_for(users.reporter).get(reverse("reports:report", args=[report.pk])).content.decode()
    assert ('data-testid="late"' in page) is now.late
    html = client_for(users.organiser).get(reverse("reports:campaign", args=[campaign.campaign.pk])).content.decode()
    east = _row(html, f'data-testid="status-{campaign.east.pk}"')
    assert "已提交" in east and ("逾期提交" in east) is now.late
    assert now.at.strftime("%Y-%m-%d %H:%M") in east  # 提交时间 on a Beijing clock
    west = _row(html, f'data-testid="status-{campaign.west.pk}"')  # nothing submitted
    assert f'data-testid="status-{campaign.west.pk}">{"逾期" if now.late else "未提交"}<' in west
    assert f"提交于 {now.day.isoformat()}" in report_exports.state_line(report)  # the bound PDF's line


# ---------------------------------------------------------------- 整改台账: 超期, 按期/逾期销号, year, file name


def test_ledger_deadlines_and_closures_follow_the_local_day(now, users, district, campaign, client_for, media):
    c = campaign.campaign
    open_entry = ledger.create_entry(users.organiser, unit=district.east, campaign=c, problem="党员教育管理不规范",
                                     category="members", source=Source.INSPECTION, deadline=DEADLINE)
    closed = ledger.create_entry(users.organiser, unit=district.east, campaign=c, problem="党建经费使用不规范",
                                 category="resources", source=Source.INSPECTION, deadline=DEADLINE)
    ledger.request_closure(users.owner, closed, note="已整改",
                           files=[SimpleUploadedFile("整改报告.pdf", PDF, content_type="application/pdf")])
    ledger.verify_closure(make_user("organiser2", Role.ORGANISER), closed)

    organiser = client_for(users.organiser)
    row = _row(organiser.get(reverse("rectification:ledger")).content.decode(), f'"entry-{open_entry.pk}"')
    assert ('data-testid="flag-deadline">超期' in row) is now.late
    tasks = organiser.get(reverse("rectification:ledger"), {"view": "tasks"}).content.decode()
    deadline, last_progress = _cells(_row(tasks, f'"entry-{open_entry.pk}"'))[4:6]
    assert (deadline, last_progress) == ("2026-12-31", f"{now.day.isoformat()} （尚无进展）")  # 立项 today
    todo = "整改台账：1 条超期"
    assert (todo in organiser.get(reverse("dashboard")).content.decode()) is now.late

    public = client_for(users.chair).get(reverse("rectification:public", args=[district.east.pk])).content.decode()
    if now.late:
        assert f"截至 {now.cn()}，共有问题 2 条：已销号 1 条（其中按期 0 条），整改中 1 条（其中逾期 1 条）。" in public
    else:
        assert f"截至 {now.cn()}，共有问题 2 条：已销号 1 条（其中按期 1 条），整改中 1 条。" in public
    deadline, state, closed_on = _cells(_row(public, "党建经费使用不规范"))[4:]
    assert (deadline, closed_on) == ("2026-12-31", now.day.isoformat())
    assert state == ("已销号 逾期销号" if now.late else "已销号")

    resp = organiser.get(reverse("rectification:export"))
    assert resp.status_code == 200 and _downloaded_as(resp, f"整改台账-{now.day:%Y%m%d}.xlsx")


def test_an_entry_without_a_campaign_belongs_to_the_local_year(now, users, district, client_for):
    entry = ledger.create_entry(users.organiser, unit=district.east, problem="党群服务中心使用率不高",
                                category="resources", source=Source.SELF_REVIEW)
    organiser = client_for(users.organiser)
    for year in (2026, 2027):  # the ledger's year filter: a date lookup in the database
        html = organiser.get(reverse("rectification:ledger"), {"year": year}).content.decode()
        assert (f'data-testid="entry-{entry.pk}"' in html) is (year == now.day.year), year
    heatmap = next(c for c in analytics.multi_year_charts(users.observer).charts if c.id == "categories-years")
    assert heatmap.labels == [str(now.day.year)]
    page = client_for(users.observer).get(reverse("exports:analytics")).content.decode()
    assert f"统计日期：{now.cn()}" in page


# ---------------------------------------------------------------- 考核结果: 通报 date and file name, 完成日期


def test_the_announcement_is_dated_and_named_on_the_local_day(now, users, scored, client_for, media,
                                                              django_capture_on_commit_callbacks):
    publish(users, scored)
    job = run(django_capture_on_commit_callbacks, users.organiser, "announcement_docx", scored.campaign)
    resp = client_for(users.organiser).get(reverse("exports:download", args=[job.pk]))
    name = f"{scored.campaign.title}-考核结果通报-{now.day:%Y%m%d}.docx"
    assert resp.status_code == 200 and _downloaded_as(resp, name)
    text = _paragraphs(b"".join(resp.streaming_content))
    assert text[-1] == now.cn()

    follow_ups = reverse("results:follow_ups", args=[scored.campaign.pk])
    fu = FollowUp.objects.get(participant=scored.edu, kind="talk")
    edit = reverse("results:follow_up_edit", args=[scored.campaign.pk, fu.pk])
    organiser = client_for(users.organiser)
    tomorrow = now.day + datetime.timedelta(days=1)
    html = organiser.post(edit, {"done_at": tomorrow.isoformat()}, follow=True).content.decode()
    assert "完成日期不能晚于今天" in html
    html = organiser.post(edit, {"done_at": now.day.isoformat()}, follow=True).content.decode()
    assert "完成日期不能晚于今天" not in html  # done today is accepted, even just after midnight
    row = _row(client_for(users.observer).get(follow_ups).content.decode(), f'"fu-{fu.pk}"')  # read-only view
    assert _cells(row)[6] == now.day.isoformat()  # 完成日期


# ---------------------------------------------------------------- 述职评议会: the date on its documents


def test_meeting_documents_show_local_times_and_dates(now, users, campaign, client_for):
    meeting = agenda.create_meeting(users.organiser, campaign.campaign)
    meeting_actions.start_meeting(users.organiser, meeting)
    c = client_for(users.organiser)

    def doc(name: str) -> list[str]:
        return _paragraphs(c.get(reverse(f"meetings:{name}", args=[meeting.pk])).content)

    assert f"时　　间：2027年1月10日 {now.at:%H:%M}" in doc("minutes_docx")  # the start on a Beijing clock
    # Without a meeting date on the campaign, the documents are dated by the day the meeting started.
    Campaign.objects.filter(pk=campaign.campaign.pk).update(meeting_date=None)
    assert f"时间：{now.cn()}" in doc("running_order_docx")
    assert f"时　　间：{now.cn()} {now.at:%H:%M}" in doc("minutes_docx")
