"""Browser test: the 考核结果 page in real Chromium at 1366×768.

The organiser clicks a composite score and sees its formula in the side panel (htmx, no CSP violation),
closes it, and the reporter opens their own result. Screenshots go to artifacts/screenshots/results-*.png
(look at them after changing the pages).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shuping.conftest import PASSWORD
from shuping.results import actions

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[3] / "artifacts" / "screenshots"
VIEWPORT = {"width": 1366, "height": 768}


def _login(browser: Any, base: str, username: str, csp: list[str]) -> Any:
    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = ctx.new_page()
    page.on("console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return page


def test_the_organiser_opens_an_explanation_and_the_reporter_their_result(browser, live_server, users, scored):
    SHOTS.mkdir(parents=True, exist_ok=True)
    actions.compute_results(users.organiser, scored.campaign)
    csp: list[str] = []
    base = live_server.url
    east = scored.east.pk

    page = _login(browser, base, "organiser", csp)
    page.goto(f"{base}/results/campaign/{scored.campaign.pk}/")
    page.wait_for_selector("[data-testid=results]")
    assert not page.locator("[data-testid=explain-panel]").is_visible()
    page.screenshot(path=str(SHOTS / "results-page.png"), full_page=True)

    page.click(f"[data-testid=composite-{east}]")
    panel = page.locator("[data-testid=explain-panel]")
    panel.locator("[data-testid=explain-composite]").wait_for()
    assert panel.is_visible()
    assert "日常考核 95.00 × 22.22% = 96.89" in panel.locator("[data-testid=formula]").inner_text()
    assert page.url.endswith(f"/results/campaign/{scored.campaign.pk}/")  # stayed on the page
    page.screenshot(path=str(SHOTS / "results-explain-composite.png"))

    page.click(f"[data-testid=judging-{east}]")
    panel.locator("[data-testid=explain-judging]").wait_for()
    assert "去掉最高" in panel.inner_text() and "评委5" in panel.inner_text()
    page.screenshot(path=str(SHOTS / "results-explain-judging.png"))
    page.click("[data-testid=explain-close]")
    assert not panel.is_visible()
    page.context.close()

    sheet = scored.campaign.result_sheet
    actions.submit_results(users.organiser, sheet)
    actions.review_results(scored.organiser2, sheet, approve=True)
    actions.sign_results(users.chair, sheet, "区委常委会 2026 年第 3 次会议")
    actions.publish_results(users.organiser, sheet)

    page = _login(browser, base, "reporter", csp)
    page.click("nav.mainnav >> text=考核结果")
    page.click("text=查看本人结果")
    page.wait_for_selector("[data-testid=summary]")
    assert page.locator("[data-testid=composite]").inner_text() == "96.89"
    assert "评委1" not in page.content()
    page.screenshot(path=str(SHOTS / "results-mine.png"), full_page=True)
    page.context.close()
    assert csp == []


def test_the_committee_decides_a_tie_and_the_follow_ups_and_check_pages_render(browser, live_server, users,
                                                                               scored):
    """Screenshots of the chair's 签批 step with a tie across the quota, the follow-ups and the check."""
    from decimal import Decimal

    from shuping.scoring.models import RoutineScore

    SHOTS.mkdir(parents=True, exist_ok=True)
    scheme = dict(scored.campaign.scheme, quota_good_percent="50", tie_breaks=[],
                  component_weights={"judging": "0", "ballot": "0", "routine": "100", "rectification": "0"})
    scored.campaign.scheme = scheme
    scored.campaign.save()
    RoutineScore.objects.filter(participant=scored.west).update(score=Decimal("95"))
    sheet = actions.compute_results(users.organiser, scored.campaign)
    actions.submit_results(users.organiser, sheet)
    actions.review_results(scored.organiser2, sheet, approve=True)
    csp: list[str] = []
    base = live_server.url

    page = _login(browser, base, "chair", csp)
    page.goto(f"{base}/results/campaign/{scored.campaign.pk}/")
    assert page.locator("[data-testid=ties] form").count() == 2
    page.fill(f"#reason-{scored.east.pk}", "领导小组 2026 年第 3 次会议")
    page.select_option(f"#grade-{scored.east.pk}", "好")
    page.click(f"[data-testid=decide-{scored.east.pk}] button")
    page.wait_for_selector("text=已记录领导小组决定")
    page.screenshot(path=str(SHOTS / "results-ties.png"), full_page=True)
    page.context.close()

    actions.decide_grade(users.chair, sheet, scored.west, "较好", "领导小组 2026 年第 3 次会议")
    actions.sign_results(users.chair, sheet, "区委常委会 2026 年第 30 次会议")
    actions.publish_results(users.organiser, sheet)

    page = _login(browser, base, "organiser", csp)
    page.goto(f"{base}/results/campaign/{scored.campaign.pk}/follow-ups/")
    assert page.locator("[data-testid=follow-ups] tbody tr").count() == 3  # edu: 差
    page.screenshot(path=str(SHOTS / "results-follow-ups.png"), full_page=True)
    page.goto(f"{base}/results/campaign/{scored.campaign.pk}/")
    page.click("[data-testid=verify]")
    page.wait_for_selector("[data-testid=check-ok]")
    page.screenshot(path=str(SHOTS / "results-verify.png"), full_page=True)
    page.context.close()
    assert csp == []
