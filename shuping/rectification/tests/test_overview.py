"""整改台账 overview (counts per unit and category with fixed dates, table, chart data) and 晒账 (no personal data),
with the permissions of both pages."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from shuping.rectification import actions
from shuping.rectification.models import EntryState, LedgerEntry, Source
from shuping.rectification.overview import LATE, ON_TIME, OPEN, OVERDUE, build, status_of

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
OVERVIEW = reverse("rectification:overview")
PAST, FUTURE = datetime.date(2020, 6, 30), datetime.date(2099, 12, 31)


def at(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=TZ)


def make(campaign: Any, unit: Any, category: str, deadline: datetime.date | None, state: str = EntryState.OPEN,
         closed: datetime.datetime | None = None, problem: str = "问题") -> LedgerEntry:
    return LedgerEntry.objects.create(campaign=campaign, unit=unit, problem=problem, category=category,
                                      source=Source.INSPECTION, deadline=deadline, state=state, closed_at=closed)


@pytest.fixture
def ledger(district, campaign) -> list[LedgerEntry]:
    """east: open, overdue, on time (last evening), late (next morning), requested past its deadline (overdue);
    west: closed without a deadline (on time). Deadlines in 2020 or 2099, so any real today gives these states."""
    return [
        make(campaign, district.east, "workforce", FUTURE),
        make(campaign, district.east, "workforce", PAST),
        make(campaign, district.east, "style", PAST, EntryState.CLOSED, at(2020, 6, 30, 23, 30)),
        make(campaign, district.east, "style", PAST, EntryState.CLOSED, at(2020, 7, 1, 8, 0)),
        make(campaign, district.east, "members", PAST, EntryState.REQUESTED),
        make(campaign, district.west, "members", None, EntryState.CLOSED, at(2021, 1, 1, 9, 0)),
    ]


def test_status_of_with_fixed_dates():
    today = datetime.date(2025, 7, 1)
    assert status_of(EntryState.OPEN, datetime.date(2025, 7, 1), None, today) == OPEN  # the deadline day itself
    assert status_of(EntryState.OPEN, datetime.date(2025, 6, 30), None, today) == OVERDUE
    assert status_of(EntryState.OPEN, None, None, today) == OPEN
    assert status_of(EntryState.REQUESTED, datetime.date(2025, 6, 30), None, today) == OVERDUE  # not verified yet
    assert status_of(EntryState.CLOSED, datetime.date(2025, 6, 30), at(2025, 6, 30, 23, 59), today) == ON_TIME
    assert status_of(EntryState.CLOSED, datetime.date(2025, 6, 30), at(2025, 7, 1, 0, 1), today) == LATE
    assert status_of(EntryState.CLOSED, None, at(2030, 1, 1), today) == ON_TIME


def test_counts_per_unit_and_category(district, ledger):
    ov = build(LedgerEntry.objects.select_related("unit"), datetime.date(2025, 7, 1))
    units = {r.label: r.counts for r in ov.units}
    assert units == {
        "东城街道党工委": {OPEN: 1, OVERDUE: 2, ON_TIME: 1, LATE: 1},
        "西城街道党工委": {OPEN: 0, OVERDUE: 0, ON_TIME: 1, LATE: 0},
    }
    cats = {r.key: r.counts for r in ov.categories}
    assert len(cats) == 10  # every category, with zeros
    assert cats["workforce"] == {OPEN: 1, OVERDUE: 1, ON_TIME: 0, LATE: 0}
    assert cats["style"] == {OPEN: 0, OVERDUE: 0, ON_TIME: 1, LATE: 1}
    assert cats["members"] == {OPEN: 0, OVERDUE: 1, ON_TIME: 1, LATE: 0}
    assert cats["political"] == {OPEN: 0, OVERDUE: 0, ON_TIME: 0, LATE: 0}
    assert ov.total.counts == {OPEN: 1, OVERDUE: 2, ON_TIME: 2, LATE: 1} and ov.total.total == 6
    assert ov.total.on_time_rate == "33%" and ov.units[1].on_time_rate == "100%"
    # On 2020-06-30 nothing was overdue yet, and the entries closed later were still open.
    early = build(LedgerEntry.objects.select_related("unit").filter(closed_at__isnull=True), PAST)
    assert early.total.counts == {OPEN: 3, OVERDUE: 0, ON_TIME: 0, LATE: 0}


def _chart(html: str) -> dict[str, Any]:
    m = re.search(r'<script id="overview-data" type="application/json">(.*?)</script>', html, re.S)
    assert m, "chart data block missing"
    return json.loads(m.group(1))


def _row(html: str, attr: str) -> list[str]:
    m = re.search(rf"<tr {attr}>(.*?)</tr>", html, re.S)
    assert m, attr
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", m.group(1), re.S)]


def test_overview_page_table_and_chart(users, district, ledger, client_for):
    resp = client_for(users.organiser).get(OVERVIEW)
    assert resp.status_code == 200
    html = resp.content.decode()
    assert _row(html, f'data-unit="{district.east.pk}"') == ["东城街道党工委", "1", "2", "1", "1", "5", "20%", "查看"]
    assert _row(html, f'data-unit="{district.west.pk}"') == ["西城街道党工委", "0", "0", "1", "0", "1", "100%", "查看"]
    assert _row(html, 'data-category="style"') == ["作风建设", "0", "0", "1", "1", "2", "50%"]
    chart = _chart(html)
    assert chart["units"]["names"] == ["东城街道党工委", "西城街道党工委"]
    assert [(s["name"], s["data"]) for s in chart["units"]["series"]] == [
        ("整改中", [1, 0]), ("逾期未完成", [2, 0]), ("按期销号", [1, 1]), ("逾期销号", [1, 0])]
    # CSP: the chart's code is a static file; the page has no inline script besides the JSON block.
    assert "vendor/echarts-6.0.0.min.js" in html and "rectification/overview.js" in html
    assert re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html) == []
    assert 'data-png="chart-units"' in html
    assert reverse("rectification:public", args=[district.east.pk]) in html


def test_overview_filters_by_campaign_and_year(users, district, ledger, client_for):
    make(None, district.edu, "integrity", FUTURE)  # outside any campaign
    c = client_for(users.organiser)
    everything = _chart(c.get(OVERVIEW).content.decode())
    assert everything["units"]["names"] == ["东城街道党工委", "西城街道党工委", "区教育局党委"]
    by_campaign = _chart(c.get(OVERVIEW, {"campaign": ledger[0].campaign_id}).content.decode())
    assert by_campaign["units"]["names"] == ["东城街道党工委", "西城街道党工委"]
    html = c.get(OVERVIEW, {"year": 2019}).content.decode()
    assert "所选范围内没有整改台账条目" in html and 'id="overview-data"' not in html


def test_overview_permissions(users, ledger, client_for):
    for user in (users.organiser, users.observer, users.chair):
        assert client_for(user).get(OVERVIEW).status_code == 200
    for user in (users.reporter, users.owner, users.other_reporter, users.judge, users.teller, users.admin,
                 users.nobody):
        assert client_for(user).get(OVERVIEW).status_code == 403
    from django.test import Client
    assert Client().get(OVERVIEW).status_code == 302  # to the login page


# ---------------------------------------------------------------- 晒账

def _sheet(html: str) -> str:
    m = re.search(r'<article class="public-sheet".*?</article>', html, re.S)
    assert m
    return m.group(0)


def test_public_summary_has_no_personal_data(users, district, entry, organiser2, files, client_for):
    actions.post_progress(users.owner, entry, text="已完成第一批轮训，张秘书负责签到",
                          files=[files.upload("轮训签到表.pdf", files.pdf)])
    actions.request_closure(users.owner, entry, note="全部轮训完成，请李科长审核", files=[files.upload("总结.pdf", files.pdf)])
    actions.return_closure(users.organiser, entry, reason="佐证缺少王干事签字")
    entry.refresh_from_db()
    ev_ids = list(entry.evidence.values_list("pk", flat=True))
    actions.request_closure(users.owner, entry, note="已补签字", evidence_ids=ev_ids)
    actions.verify_closure(organiser2, entry)
    LedgerEntry.objects.filter(pk=entry.pk).update(deadline=FUTURE)  # closed on time, whatever today is
    make(entry.campaign, district.east, "members", PAST, problem="“三会一课”记录不全")

    resp = client_for(users.chair).get(reverse("rectification:public", args=[district.east.pk]))
    assert resp.status_code == 200
    html = resp.content.decode()
    sheet = _sheet(html)
    entry.refresh_from_db()
    closed_on = timezone.localdate(entry.closed_at).isoformat()
    # What the public sees: problem, category, measures, deadline, state, closed date.
    for shown in ("东城街道党工委", "基层党组织书记培训覆盖面不足", "党务队伍建设", "分批轮训社区书记", "2099-12-31",
                  "已销号", closed_on, "“三会一课”记录不全", "2020-06-30", "已逾期"):
        assert shown in sheet, shown
    assert "共有问题 2 条：已销号 1 条（其中按期 1 条），整改中 1 条（其中逾期 1 条）" in sheet
    # No personal data anywhere on the page: responsible person, evidence, notes, progress, users.
    for hidden in ("钱东明", "轮训签到表", "总结.pdf", "张秘书", "李科长", "王干事", "已补签字", "组织部小王", "组织部小李",
                   "年内轮训全覆盖", "2025年第二季度党建督查"):
        assert hidden not in html, hidden
    for username in ("owner", "organiser", "organiser2"):
        assert username not in sheet
    assert "data-print" in html and "rectification/overview.css" in html
    css = (Path(__file__).parents[1] / "static/rectification/overview.css").read_text(encoding="utf-8")
    assert "@media print" in css and "size: A4" in css


def test_public_summary_year_filter(users, district, entry, client_for):
    make(None, district.east, "members", FUTURE, problem="年度外的问题")
    url = reverse("rectification:public", args=[district.east.pk])
    c = client_for(users.organiser)
    assert "年度外的问题" in _sheet(c.get(url).content.decode())
    sheet = _sheet(c.get(url, {"year": 2025}).content.decode())
    assert "年度外的问题" not in sheet and "基层党组织书记培训覆盖面不足" in sheet and "2025年度问题整改落实情况" in sheet


def test_public_summary_permissions(users, district, entry, west_entry, client_for):
    east = reverse("rectification:public", args=[district.east.pk])
    west = reverse("rectification:public", args=[district.west.pk])
    for user in (users.organiser, users.observer, users.chair):
        assert client_for(user).get(east).status_code == 200
        assert client_for(user).get(west).status_code == 200
    for user in (users.reporter, users.owner):  # their own unit only; another unit is not there for them
        assert client_for(user).get(east).status_code == 200
        assert client_for(user).get(west).status_code == 404
    assert client_for(users.other_reporter).get(west).status_code == 200
    assert client_for(users.other_reporter).get(east).status_code == 404
    for user in (users.judge, users.teller, users.admin, users.nobody):
        assert client_for(user).get(east).status_code == 403
    assert client_for(users.organiser).get(reverse("rectification:public", args=[999999])).status_code == 404
