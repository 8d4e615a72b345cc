"""Browser test: log in as each role in real Chromium, check what each sees, save screenshots.

Screenshots go to artifacts/screenshots/ (look at them after changing a page).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from shuping.campaigns.models import Campaign, CampaignState, Participant
from shuping.conftest import PASSWORD

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[3] / "artifacts" / "screenshots"


@pytest.fixture
def meeting(district) -> Campaign:
    c = Campaign.objects.create(year=2023, title="2023年度党（工）委书记抓基层党建工作述职评议", committee=district.root,
                                state=CampaignState.PUBLISHED)
    Campaign.objects.create(year=2024, title="2024年度述职评议（草拟）", committee=district.root)
    Participant.objects.create(campaign=c, unit=district.east, secretary=district.east.secretary, speaking_order=1)
    Participant.objects.create(campaign=c, unit=district.west, secretary=district.west.secretary, speaking_order=2)
    Participant.objects.create(campaign=c, unit=district.edu, secretary=district.edu.secretary, mode="written")
    return c


# role → (nav entries that must be shown, nav entries that must not be shown)
EXPECTED = {
    "organiser": (["工作台", "组织架构", "考核方案", "审计日志"], ["用户与角色"]),
    "admin": (["组织架构", "用户与角色", "审计日志"], []),
    "observer": (["组织架构", "考核方案", "审计日志"], ["用户与角色"]),
    "chair": (["组织架构", "考核方案"], ["审计日志", "用户与角色"]),
    "judge": (["组织架构", "考核方案"], ["审计日志", "用户与角色"]),
    "teller": (["组织架构", "考核方案"], ["审计日志", "用户与角色"]),
    "reporter": (["本单位", "考核方案"], ["组织架构", "审计日志", "用户与角色"]),
    "owner": (["本单位", "考核方案"], ["组织架构", "审计日志", "用户与角色"]),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_sees_its_own_world(browser, live_server, users, meeting, role):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1366, "height": 800}, locale="zh-CN")  # type: ignore[attr-defined]
    csp_errors: list[str] = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", role)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    nav = page.inner_text("nav.mainnav")
    shown, hidden = EXPECTED[role]
    for label in shown:
        assert label in nav, f"{role} 应看到“{label}”"
    for label in hidden:
        assert label not in nav, f"{role} 不应看到“{label}”"
    table = page.inner_text("[data-testid=campaigns]")
    assert "2023年度党（工）委书记抓基层党建工作述职评议" in table
    assert ("草拟" in table) == (role in ("organiser", "admin", "observer"))
    page.screenshot(path=str(SHOTS / f"dashboard-{role}.png"), full_page=True)
    if role in ("reporter", "owner"):
        page.click("nav.mainnav >> text=本单位")
        assert "东城街道党工委" in page.inner_text("main")
        page.screenshot(path=str(SHOTS / f"unit-{role}.png"), full_page=True)
        # Another unit is not there for them.
        resp = page.goto(f"{live_server.url}/orgs/units/{meeting.committee.children.get(code='Q02').pk}/")
        assert resp is not None and resp.status == 404
    assert not csp_errors, csp_errors
    page.close()


@pytest.mark.django_db(transaction=True)
def test_login_page_and_lockout_message(browser, live_server, users):
    page = browser.new_page(viewport={"width": 1366, "height": 800})  # type: ignore[attr-defined]
    page.goto(f"{live_server.url}/login/")
    page.screenshot(path=str(SHOTS / "login.png"))
    for _ in range(5):
        page.fill("#id_username", "organiser")
        page.fill("#id_password", "wrong-password")
        page.click("button[type=submit]")
    assert "已锁定" in page.inner_text("[data-testid=login-error]")
    page.screenshot(path=str(SHOTS / "login-locked.png"))
    page.close()
