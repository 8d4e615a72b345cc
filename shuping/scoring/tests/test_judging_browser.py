"""Browser test: a judge scores on a 375×667 phone and submits; the organiser closes the window with htmx.

Screenshots go to artifacts/screenshots/judging-*.png (look at them after changing a scoring page).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from shuping.accounts.models import Role
from shuping.conftest import PASSWORD, make_user
from shuping.scoring import actions_judging as judging
from shuping.scoring.models import JudgeScore, ScoringWindow, WindowState

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[3] / "artifacts" / "screenshots"


def login(browser: Any, base: str, username: str, problems: list[str], phone: bool = False) -> Any:
    if phone:
        ctx = browser.new_context(viewport={"width": 375, "height": 667}, locale="zh-CN", is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    else:
        ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("dialog", lambda d: d.accept())  # the confirm() of 提交 / 结束评分
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return page


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"judging-{name}.png"), full_page=True)


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as pw_expect  # page.wait_for_function would need eval (CSP)

    return pw_expect(locator)


def test_a_judge_scores_on_a_phone_and_the_organiser_closes(browser, live_server, users, meeting, reporters, panel,
                                                            judges):
    others = [make_user(f"judge{i}", Role.JUDGE, display_name=n) for i, n in enumerate(["张评委", "王评委", "刘评委"])]
    judging.set_panel(users.organiser, meeting, [*panel, *others])
    judging.open_window(users.organiser, reporters.east)
    for u, pts in zip(others[:2], (["26", "35", "17", "9"], ["24.5", "33", "16", "8.5"]), strict=True):
        judging.save_score(u, reporters.east, pts, submit=True)
    judging.remind_missing(users.organiser, reporters.east)
    base = live_server.url
    problems: list[str] = []

    page = login(browser, base, "judge", problems, phone=True)
    page.click("nav.mainnav >> text=现场评分")
    page.click(f"[data-testid=seat-{meeting.pk}]")
    page.wait_for_selector("[data-testid=speaking]")
    assert "已评 0 / 3" in page.inner_text("[data-testid=done-count]")
    assert "请尽快提交对东城街道党工委（钱东明）的评分" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.locator("[data-testid=score-now]").bounding_box()["height"] >= 44
    shot(page, "1-judge-list")

    page.click("[data-testid=score-now]")
    page.wait_for_selector("[data-testid=sheet]")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    for i in range(4):
        box = page.locator(f"#p{i}").bounding_box()
        assert box["height"] >= 44 and box["x"] + box["width"] <= 375
    page.fill("#p0", "27")
    page.fill("#p1", "36.5")
    assert page.inner_text("[data-testid=total]") == "63.5"  # live total (Alpine)
    assert page.inner_text("[data-testid=note]") == "还有 2 项未填"
    page.fill("#p2", "25")  # over the maximum of 20
    assert "1 项超出范围" in page.inner_text("[data-testid=note]")
    assert page.get_attribute("#p2", "aria-invalid") == "true"
    shot(page, "2-score-typing")
    page.click("[data-testid=submit]")  # the server refuses with a message naming the indicator
    page.wait_for_selector("[data-testid=errors]")
    assert "“问题查摆与整改”的得分应在 0 到 20 分之间，当前为 25" in page.inner_text("[data-testid=errors]")
    assert page.input_value("#p1") == "36.5"
    shot(page, "3-score-error")
    page.fill("#p2", "18.25")
    page.fill("#p3", "9")
    assert page.inner_text("[data-testid=total]") == "90.75"
    page.click("[data-testid=submit]")
    page.wait_for_url(f"{base}/scoring/judge/{meeting.pk}/")
    assert "已提交对东城街道党工委（钱东明）的评分，合计 90.75 分" in page.content()
    assert "已评 1 / 3" in page.inner_text("[data-testid=done-count]")
    shot(page, "4-judge-submitted")
    s = JudgeScore.objects.get(judge=users.judge, participant=reporters.east)
    assert s.points == ["27", "36.5", "18.25", "9"] and s.total == Decimal("90.75") and s.submitted_at

    org = login(browser, base, "organiser", problems)
    org.goto(f"{base}/campaigns/{meeting.pk}/")
    org.click("[data-testid=tab-scoring]")
    org.wait_for_selector("[data-testid=progress]")
    assert "3 / 5 位评委已提交" in org.inner_text(f"[data-testid=count-{reporters.east.pk}]")
    assert "刘评委、评委乙" in org.inner_text(f"[data-testid=missing-{reporters.east.pk}]")
    shot(org, "5-organiser")
    org.click(f"[data-testid=close-{reporters.east.pk}]")
    org.wait_for_selector("[data-testid=flash-ok]")
    assert "已结束评分" in org.inner_text("[data-testid=flash-ok]")
    assert org.inner_text(f"[data-testid=state-{reporters.east.pk}]") == "已结束"
    assert ScoringWindow.objects.get(participant=reporters.east).state == WindowState.CLOSED
    org.click(f"[data-testid=open-{reporters.west.pk}]")
    expect(org.locator(f"[data-testid=state-{reporters.west.pk}]")).to_have_text("评分中")
    shot(org, "6-organiser-after")

    # The judge's list notices the new window by itself (htmx poll) and the closed sheet is read-only.
    expect(page.locator("[data-testid=speaking] h3")).to_contain_text("孙西华", timeout=12000)
    page.goto(f"{base}/scoring/judge/{meeting.pk}/reporter/{reporters.east.pk}/")
    assert page.is_disabled("#p0") and page.locator("[data-testid=submit]").count() == 0
    assert page.inner_text("[data-testid=total]") == "90.75"
    shot(page, "7-score-closed")

    obs = login(browser, base, "observer", problems)
    obs.goto(f"{base}/scoring/campaign/{meeting.pk}/")
    assert obs.locator("text=开始评分").count() == 0 and obs.locator("[data-testid=add-judge-btn]").count() == 0
    assert not problems, problems
