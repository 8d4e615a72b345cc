"""Browser test: the chair writes a 点评 that saves itself, reloads it, tags a problem from a selection; an
older second window is warned instead of overwriting. The reporter strip follows the meeting.

Screenshots go to artifacts/screenshots/chair-*.png (look at them after changing the pad).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from shuping.conftest import PASSWORD
from shuping.meetings import actions
from shuping.meetings.models import Commentary, CommentaryProblem
from shuping.reports.models import Report, empty_sections

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[3] / "artifacts" / "screenshots"
SPEECH = "钱东明同志的述职重点突出，网格化治理有新进展。存在问题：党建经费保障不足。"


def login(browser: Any, base: str, username: str, problems: list[str]) -> Any:
    ctx = browser.new_context(viewport={"width": 1400, "height": 950}, locale="zh-CN")
    page = ctx.new_page()
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return page


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"chair-{name}.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_the_chair_writes_reloads_and_tags_a_problem(browser, live_server, users, meeting_setup):
    from playwright.sync_api import expect

    s = meeting_setup
    Report.objects.create(participant=s.east, sections={
        **empty_sections(), "performance": "一是推进网格化治理，建成党群服务站12个；二是开展“书记讲党课”活动18场。",
        "problems": "党建经费保障还不够有力，个别村党组织书记能力不足。"})
    actions.start_meeting(users.organiser, s.meeting)
    base = live_server.url
    problems: list[str] = []
    page = login(browser, base, "chair", problems)

    page.goto(f"{base}/meetings/{s.meeting.pk}/chair/")
    expect(page.locator(f"tr[data-item-id='{s.items[0].pk}']")).to_have_class(re.compile("current"))
    shot(page, "1-list")
    page.click(f"[data-testid=pad-{s.east.pk}]")
    pad_url = f"{base}/meetings/{s.meeting.pk}/chair/{s.east.pk}/"
    page.wait_for_url(pad_url)
    # The reporter strip follows the meeting: the organiser moves on, the chip of 西城 lights up.
    expect(page.locator(f".chip[data-item-id='{s.items[0].pk}']")).to_have_class(re.compile("current"))
    actions.next_item(users.organiser, s.meeting)
    expect(page.locator(f".chip[data-item-id='{s.items[1].pk}']")).to_have_class(re.compile("current"),
                                                                                  timeout=5000)

    # Type: the pad saves by itself about a second after the last key.
    page.click("#commentary")
    page.keyboard.type(SPEECH)
    status = page.locator("[data-testid=save-status]")
    expect(status).to_have_text(re.compile(r"已保存 \d\d:\d\d:\d\d"), timeout=5000)
    assert Commentary.objects.get(participant=s.east).text == SPEECH

    # A second window opened now is at the same revision; the first one writes on.
    other = page.context.new_page()
    other.goto(pad_url)
    page.bring_to_front()
    page.click("#commentary")
    page.keyboard.press("Control+End")
    page.keyboard.type("建议加强经费保障。")
    expect(status).to_have_text(re.compile("已保存"), timeout=5000)
    expect(page.locator("#commentary")).to_have_value(SPEECH + "建议加强经费保障。")

    # Reload: the text is there.
    page.reload()
    expect(page.locator("#commentary")).to_have_value(SPEECH + "建议加强经费保障。")

    # Select 党建经费保障不足 with the keyboard and tag it.
    page.click("#commentary")
    page.keyboard.press("Control+End")
    for _ in range(len("。建议加强经费保障。")):
        page.keyboard.press("ArrowLeft")
    for _ in range(len("党建经费保障不足")):
        page.keyboard.press("Shift+ArrowLeft")
    page.click("[data-testid=mark-problem]")
    expect(page.locator("[data-testid=problem-form]")).to_be_visible()
    expect(page.locator("#problem-text")).to_have_value("党建经费保障不足")
    page.select_option("#problem-category", "resources")
    page.click("[data-testid=problem-save]")
    expect(page.locator("[data-testid=problem]")).to_have_count(1)
    start = SPEECH.index("党建经费保障不足")
    expect(page.locator("[data-testid=problem]")).to_contain_text(f"第 {start + 1}–{start + 8} 字")
    expect(page.locator("[data-testid=problem]")).to_contain_text("阵地与经费保障")
    expect(page.locator("[data-testid=problem-form]")).to_be_hidden()
    p = CommentaryProblem.objects.get()
    assert (p.start, p.end, p.category) == (start, start + 8, "resources")

    # A typed problem without a selection.
    page.click("#commentary")
    page.keyboard.press("Control+End")
    page.click("[data-testid=mark-problem]")
    page.fill("#problem-text", "党员教育管理不够经常")
    page.select_option("#problem-category", "members")
    page.click("[data-testid=problem-save]")
    expect(page.locator("[data-testid=problem]")).to_have_count(2)
    shot(page, "2-pad")

    # Editing the text before the span keeps the problem on its words.
    page.click("#commentary")
    page.keyboard.press("Control+Home")
    page.keyboard.type("总体：")
    expect(status).to_have_text(re.compile("已保存"), timeout=5000)
    expect(page.locator("[data-testid=problem]").first).to_contain_text(f"第 {start + 4}–{start + 11} 字")

    # The older window types: refused with a warning, its text kept on the page.
    other.bring_to_front()
    other.click("#commentary")
    other.keyboard.press("Control+End")
    other.keyboard.type("旧窗口补充一句。")
    conflict = other.locator("[data-testid=conflict]")
    expect(conflict).to_be_visible(timeout=5000)
    expect(conflict).to_contain_text("另一窗口已修改")
    expect(other.locator("[data-testid=save-status]")).to_contain_text("另一窗口已修改")
    assert "旧窗口补充一句" not in Commentary.objects.get(participant=s.east).text
    shot(other, "3-conflict")
    other.click("[data-conflict=theirs]")
    expect(other.locator("#commentary")).to_have_value("总体：" + SPEECH + "建议加强经费保障。")

    # The observer reads the same pad without an editor.
    reader = login(browser, base, "observer", problems)
    reader.goto(pad_url)
    expect(reader.locator("[data-testid=commentary-readonly]")).to_contain_text("建议加强经费保障")
    expect(reader.locator("#commentary")).to_have_count(0)
    expect(reader.locator("[data-testid=problem]")).to_have_count(2)
    shot(reader, "4-observer")
    assert not problems, problems


@pytest.mark.django_db(transaction=True)
def test_text_typed_just_before_the_page_goes_away_is_saved(browser, live_server, users, meeting_setup):
    """Closing the laptop lid or the tab within the second after typing: the beacon on pagehide saves it."""
    s = meeting_setup
    base = live_server.url
    problems: list[str] = []
    page = login(browser, base, "chair", problems)
    page.goto(f"{base}/meetings/{s.meeting.pk}/chair/{s.west.pk}/")
    page.click("#commentary")
    page.keyboard.type("合盖前写下的最后一句")
    page.goto(f"{base}/")  # well within the 1 s debounce
    page.wait_for_timeout(500)
    assert Commentary.objects.get(participant=s.west).text == "合盖前写下的最后一句"
    assert not problems, problems
