"""Browser test: the 统计分析 pages in real Chromium at 1366×768.

Every chart draws on a canvas with no CSP violation or script error; the 表格 button swaps a chart for its table
(same numbers) and back; the PNG button downloads a PNG made by ECharts' getDataURL. Screenshots go to
artifacts/screenshots/analytics-*.png (look at them after changing the pages).
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from shuping.campaigns.models import Campaign, CampaignState
from shuping.conftest import PASSWORD
from shuping.rectification.models import EntryState, LedgerEntry, Source
from shuping.results.tests import conftest as results_fixtures

from .test_analytics import publish

judges = results_fixtures.judges
scored = results_fixtures.scored

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[3] / "artifacts" / "screenshots"
VIEWPORT = {"width": 1366, "height": 768}
TZ = ZoneInfo("Asia/Shanghai")


def _login(browser: Any, base: str, username: str, problems: list[str]) -> Any:
    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN", accept_downloads=True)
    page = ctx.new_page()
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" or "Content Security Policy" in m.text
            else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return page


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"analytics-{name}.png"), full_page=True)


@pytest.fixture
def history(users, district, scored) -> None:
    """The scored campaign published, a 2024 campaign with a ledger, and this year's entries."""
    publish(users, scored)
    c2024 = Campaign.objects.create(year=2024, title="2024年度述职评议", committee=district.root,
                                    state=CampaignState.ANNOUNCED)
    d = datetime.date(2025, 3, 31)
    rows = [(c2024, district.east, "style", EntryState.CLOSED, datetime.datetime(2025, 3, 1, tzinfo=TZ)),
            (c2024, district.east, "members", EntryState.OPEN, None),
            (c2024, district.west, "governance", EntryState.CLOSED, datetime.datetime(2025, 4, 3, tzinfo=TZ)),
            (c2024, district.edu, "political", EntryState.CLOSED, datetime.datetime(2025, 3, 30, tzinfo=TZ)),
            (scored.campaign, district.east, "style", EntryState.OPEN, None),
            (scored.campaign, district.west, "governance", EntryState.OPEN, None),
            (scored.campaign, district.edu, "resources", EntryState.OPEN, None)]
    for campaign, unit, category, state, closed in rows:
        LedgerEntry.objects.create(campaign=campaign, unit=unit, problem="问题", category=category,
                                   source=Source.INSPECTION, deadline=d, state=state, closed_at=closed)


def canvases(page: Any) -> dict[str, int]:
    """Chart id → drawn canvas count (a canvas with a non-zero size)."""
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('[data-chart-card]')].map(card =>
        [card.dataset.chartCard, [...card.querySelectorAll('canvas')].filter(c => c.width > 0 && c.height > 0).length]))""")


def test_campaign_charts_draw_toggle_and_export(browser, live_server, users, history):
    base = live_server.url
    problems: list[str] = []
    page = _login(browser, base, "organiser", problems)
    campaign = Campaign.objects.get(year=2025)
    page.goto(f"{base}/exports/analytics/campaign/{campaign.pk}/")
    page.wait_for_selector("#chart-composite canvas")
    drawn = canvases(page)
    assert set(drawn) == {"composite", "grades", "components", "good-rate", "judge-range", "judge-deviation"}
    assert all(n >= 1 for n in drawn.values()), drawn
    assert page.locator("#table-components").is_hidden()
    shot(page, "campaign")

    # The table view: same numbers as the chart data; back to the chart.
    toggle = page.locator('[data-toggle-table="components"]')
    toggle.click()
    assert page.locator("#table-components").is_visible() and page.locator("#chart-components").is_hidden()
    first = page.locator('[data-testid="table-components"] tbody tr').first.locator("td").all_inner_texts()
    assert first == ["1", "东城街道党工委", "31.33", "44.44", "21.11", "—", "96.89", "较好"]
    assert toggle.inner_text() == "图表"
    page.locator('[data-testid="card-components"]').screenshot(path=str(SHOTS / "analytics-components-table.png"))
    toggle.click()
    assert page.locator("#chart-components").is_visible() and page.locator("#table-components").is_hidden()

    # PNG: a real PNG file from getDataURL.
    with page.expect_download() as info:
        page.click('[data-png="judge-deviation"]')
    download = info.value
    assert download.suggested_filename.endswith(".png") and "评委打分松紧" in download.suggested_filename
    data = Path(download.path()).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    url = page.evaluate("() => echarts.getInstanceByDom(document.getElementById('chart-grades')).getDataURL()")
    assert url.startswith("data:image/png;base64,")
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "analytics-export-judge-deviation.png").write_bytes(data)
    assert problems == []

    # The chair: no calibration view.
    chair = _login(browser, base, "chair", problems)
    chair.goto(f"{base}/exports/analytics/campaign/{campaign.pk}/")
    chair.wait_for_selector("#chart-good-rate canvas")
    assert "judge-range" not in canvases(chair) and chair.locator("text=评委打分校准").count() == 0
    assert problems == []


def test_multi_year_charts_for_the_observer_and_a_reporter(browser, live_server, users, district, history):
    base = live_server.url
    problems: list[str] = []
    page = _login(browser, base, "observer", problems)
    page.goto(f"{base}/exports/analytics/")
    page.wait_for_selector("#chart-closure canvas")
    drawn = canvases(page)
    assert set(drawn) == {"history", "categories-years", "categories-units", "closure"}
    assert all(n >= 1 for n in drawn.values()), drawn
    assert "作风建设" in page.locator('[data-testid="recurring"]').inner_text()
    shot(page, "multi-year")
    page.select_option("#f-unit", str(district.west.pk))
    page.click("text=查看")
    page.wait_for_selector("#chart-history canvas")
    page.click('[data-toggle-table="history"]')
    assert "82.11" in page.locator('[data-testid="table-history"]').inner_text()
    with page.expect_download() as info:
        page.click('[data-png="categories-years"]')
    assert Path(info.value.path()).read_bytes()[:4] == b"\x89PNG"
    assert problems == []

    rep = _login(browser, base, "reporter", problems)
    rep.goto(f"{base}/exports/analytics/")
    rep.wait_for_selector("#chart-closure canvas")
    text = rep.locator("main, body").first.inner_text()
    assert "西城街道" not in text and "区教育局" not in text and "仅显示本单位" in text
    shot(rep, "multi-year-reporter")
    assert problems == []
