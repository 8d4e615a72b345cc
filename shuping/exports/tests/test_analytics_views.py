"""统计分析 pages and API: who may open what (every view and endpoint), what a unit-bound user gets, and that the
page carries the chart data and the tables with the same numbers (CSP: data in json_script, no inline JS)."""

from __future__ import annotations

import datetime
import json
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from shuping.accounts.actions import create_token
from shuping.campaigns.models import Campaign, CampaignState
from shuping.rectification.models import EntryState, LedgerEntry, Source
from shuping.results.models import ResultSheet
from shuping.results.tests import conftest as results_fixtures

from .test_analytics import publish

judges = results_fixtures.judges
scored = results_fixtures.scored

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")

CAMPAIGN_READERS = ["organiser", "observer", "chair"]
CAMPAIGN_REFUSED = ["reporter", "owner", "other_reporter", "judge", "teller", "admin", "nobody"]
MULTI_YEAR_READERS = ["organiser", "observer", "chair", "reporter", "owner", "other_reporter"]
MULTI_YEAR_REFUSED = ["judge", "teller", "admin", "nobody"]


def campaign_url(scored: Any) -> str:
    return f"/exports/analytics/campaign/{scored.campaign.pk}/"


def api_for(user: Any) -> Client:
    _, raw = create_token(user, "test")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def chart_data(html: str) -> dict[str, Any]:
    m = re.search(r'<script id="analytics-data" type="application/json">(.*?)</script>', html, re.S)
    assert m, "no chart data block"
    return {c["id"]: c for c in json.loads(m.group(1))["charts"]}


@pytest.fixture
def published(users, scored) -> ResultSheet:
    return publish(users, scored)


@pytest.fixture
def ledger(district, scored, published) -> list[LedgerEntry]:
    def make(unit, category, state=EntryState.OPEN, closed=None):
        return LedgerEntry.objects.create(campaign=scored.campaign, unit=unit, problem="问题", category=category,
                                          source=Source.INSPECTION, deadline=datetime.date(2025, 3, 31), state=state,
                                          closed_at=closed)
    return [make(district.east, "style", EntryState.CLOSED, datetime.datetime(2025, 3, 1, tzinfo=TZ)),
            make(district.west, "members")]


# ---------------------------------------------------------------- campaign page

@pytest.mark.parametrize("name", CAMPAIGN_READERS)
def test_campaign_readers_open_the_page(users, scored, published, client_for, name):
    r = client_for(getattr(users, name)).get(campaign_url(scored))
    assert r.status_code == 200
    html = r.content.decode()
    assert "综合得分分布" in html and "等次分布" in html and "民主测评好评率" in html
    assert "<script>" not in html  # CSP: code only in static files


@pytest.mark.parametrize("name", CAMPAIGN_REFUSED)
def test_campaign_page_is_refused_to_unit_bound_and_other_roles(users, scored, published, client_for, name):
    assert client_for(getattr(users, name)).get(campaign_url(scored)).status_code == 403


def test_campaign_page_needs_login(scored):
    r = Client().get(campaign_url(scored))
    assert r.status_code == 302 and "/login/" in r["Location"]


def test_a_draft_campaign_is_not_found_for_the_chair(users, district, client_for):
    draft = Campaign.objects.create(year=2026, title="2026年度", committee=district.root, state=CampaignState.DRAFT)
    assert client_for(users.chair).get(f"/exports/analytics/campaign/{draft.pk}/").status_code == 404
    r = client_for(users.organiser).get(f"/exports/analytics/campaign/{draft.pk}/")
    assert r.status_code == 200 and "尚未统分" in r.content.decode()


@pytest.mark.parametrize("name", ["organiser", "observer"])
def test_organiser_and_observer_see_the_judges_calibration(users, scored, published, client_for, name):
    html = client_for(getattr(users, name)).get(campaign_url(scored)).content.decode()
    assert "评委打分校准" in html and "评委5" in html
    data = chart_data(html)
    assert data["judge-deviation"]["series"][0]["data"] == ["4.00", "2.33", "0.33", "-1.67", "-3.67"]


def test_the_chair_sees_no_judge_names(users, scored, published, client_for):
    html = client_for(users.chair).get(campaign_url(scored)).content.decode()
    assert "评委打分校准" not in html and "评委1" not in html
    assert "judge-range" not in chart_data(html)


def test_the_page_tables_hold_the_chart_numbers(users, scored, published, client_for):
    html = client_for(users.organiser).get(campaign_url(scored)).content.decode()
    data = chart_data(html)
    assert set(data) == {"composite", "grades", "components", "good-rate", "judge-range", "judge-deviation"}
    comp = data["components"]
    assert comp["rows"][0] == ["1", "东城街道党工委", "31.33", "44.44", "21.11", "—", "96.89", "较好"]
    table = html.split('data-testid="table-components"')[1].split("</table>")[0]
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", table)
    assert cells[:8] == comp["rows"][0]
    for chart_id in data:
        assert f'id="chart-{chart_id}"' in html and f'data-png="{chart_id}"' in html
        assert f'data-toggle-table="{chart_id}"' in html


def test_before_the_box_is_published_the_ballot_chart_waits(users, scored, client_for):
    from shuping.results import actions
    actions.compute_results(users.organiser, scored.campaign)
    html = client_for(users.observer).get(campaign_url(scored)).content.decode()
    assert "民主测评结果公布后显示" in html and "good-rate" not in chart_data(html)
    assert "components" in chart_data(html)


# ---------------------------------------------------------------- multi-year page

@pytest.mark.parametrize("name", MULTI_YEAR_READERS)
def test_multi_year_page_opens(users, scored, published, ledger, client_for, name):
    r = client_for(getattr(users, name)).get("/exports/analytics/")
    assert r.status_code == 200
    assert "问题类别 × 年度" in r.content.decode()


@pytest.mark.parametrize("name", MULTI_YEAR_REFUSED)
def test_multi_year_page_is_refused(users, client_for, name):
    assert client_for(getattr(users, name)).get("/exports/analytics/").status_code == 403


def test_multi_year_needs_login():
    r = Client().get("/exports/analytics/")
    assert r.status_code == 302 and "/login/" in r["Location"]


def test_a_reader_chooses_any_unit(users, district, scored, published, ledger, client_for):
    html = client_for(users.observer).get(f"/exports/analytics/?unit={district.west.pk}").content.decode()
    data = chart_data(html)
    assert data["history"]["rows"] == [["2025", "2025年度述职评议", "82.11", "2/3", "较好"]]
    assert f'href="/exports/analytics/campaign/{scored.campaign.pk}/"' in html  # each campaign's charts
    assert data["categories-units"]["labels"] == ["东城街道党工委", "西城街道党工委"]


def test_a_reporter_sees_only_their_unit(users, district, scored, published, ledger, client_for):
    c = client_for(users.reporter)
    html = c.get("/exports/analytics/").content.decode()
    assert "仅显示本单位" in html and "西城街道" not in html and "区教育局" not in html
    assert "/exports/analytics/campaign/" not in html  # campaign-wide charts are not theirs
    data = chart_data(html)
    assert data["history"]["rows"][0][2] == "96.89"
    assert c.get(f"/exports/analytics/?unit={district.west.pk}").status_code == 404
    assert c.get(f"/exports/analytics/?unit={district.east.pk}").status_code == 200


def test_the_other_reporter_sees_west_only(users, district, scored, published, ledger, client_for):
    html = client_for(users.other_reporter).get("/exports/analytics/").content.decode()
    assert "东城街道" not in html and "82.11" in html


# ---------------------------------------------------------------- API

@pytest.mark.parametrize("name", CAMPAIGN_READERS)
def test_api_campaign_charts_for_readers(users, scored, published, name):
    r = api_for(getattr(users, name)).get(f"/api/exports/analytics/campaigns/{scored.campaign.pk}")
    assert r.status_code == 200
    body = r.json()
    ids = [c["id"] for c in body["charts"]]
    assert body["sheet_state"] == "published" and "components" in ids
    assert ("judge-deviation" in ids) == (name != "chair") == body["judges_shown"]


@pytest.mark.parametrize("name", CAMPAIGN_REFUSED)
def test_api_campaign_charts_refused(users, scored, published, name):
    r = api_for(getattr(users, name)).get(f"/api/exports/analytics/campaigns/{scored.campaign.pk}")
    assert r.status_code == 403


def test_api_without_token_is_401(scored):
    assert Client().get(f"/api/exports/analytics/campaigns/{scored.campaign.pk}").status_code == 401
    assert Client().get("/api/exports/analytics/multi-year").status_code == 401


@pytest.mark.parametrize("name", MULTI_YEAR_READERS)
def test_api_multi_year_for_readers_and_unit_roles(users, district, scored, published, ledger, name):
    r = api_for(getattr(users, name)).get("/api/exports/analytics/multi-year")
    assert r.status_code == 200
    body = r.json()
    units = next(c for c in body["charts"] if c["id"] == "categories-units")["labels"]
    if name in ("reporter", "owner"):
        assert body["unit_bound"] and units == ["东城街道党工委"] and body["unit_id"] == district.east.pk
    elif name == "other_reporter":
        assert units == ["西城街道党工委"]
    else:
        assert units == ["东城街道党工委", "西城街道党工委"] and not body["unit_bound"]


@pytest.mark.parametrize("name", MULTI_YEAR_REFUSED)
def test_api_multi_year_refused(users, name):
    assert api_for(getattr(users, name)).get("/api/exports/analytics/multi-year").status_code == 403


def test_api_multi_year_other_unit_is_404_for_a_reporter(users, district, scored, published):
    r = api_for(users.reporter).get(f"/api/exports/analytics/multi-year?unit={district.west.pk}")
    assert r.status_code == 404
