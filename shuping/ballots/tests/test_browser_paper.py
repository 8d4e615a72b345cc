"""Browser test: two tellers in two Chromium contexts key the same paper sheet blind; a third resolves a mismatch.

Screenshots go to artifacts/screenshots/paper-*.png (look at them after changing a page).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shuping.accounts.models import Role
from shuping.ballots.actions import setup
from shuping.ballots.models import Ballot, BallotToken, EncryptedBallot, PaperEntry
from shuping.conftest import PASSWORD, make_user

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[3] / "artifacts" / "screenshots"


def login(browser: Any, base: str, username: str, csp_errors: list[str]) -> Any:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return page


def open_sheet(page: Any, base: str, box_pk: int, code: str) -> None:
    page.bring_to_front()  # two tellers share one headless browser here; autofocus needs the focused page
    page.goto(f"{base}/ballots/paper/")
    page.click(f"[data-testid=bench-{box_pk}]")
    page.wait_for_selector("[data-testid=sheet-code]")
    # The code box has the focus (autofocus), ready for a scanner or typing.
    # (expect polls from Playwright's own isolated world; wait_for_function with a string would need eval,
    # which our CSP forbids once the first check fails and it starts polling inside the page.)
    from playwright.sync_api import expect

    expect(page.locator("#sheet")).to_be_focused(timeout=5000)
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=grid]")


def key_by_keyboard(page: Any, keys: str) -> None:
    """The grid focuses its first row; each number key picks a grade and moves to the next row."""
    for k in keys:
        page.keyboard.press(k)


@pytest.mark.django_db(transaction=True)
def test_two_tellers_key_the_same_sheet_blind_and_a_third_resolves_a_mismatch(browser, live_server, users, box):
    SHOTS.mkdir(parents=True, exist_ok=True)
    make_user("teller_b", Role.TELLER, display_name="计票员乙")
    make_user("teller_c", Role.TELLER, display_name="计票员丙")
    base = live_server.url
    csp: list[str] = []
    a = login(browser, base, "teller", csp)
    b = login(browser, base, "teller_b", csp)
    first, second = BallotToken.objects.filter(box=box).order_by("serial")[:2]

    # Teller A keys sheet 1 with the keyboard: 好, 较好, 差 and a comment.
    open_sheet(a, base, box.pk, f"{first.code[:4].lower()}-{first.code[4:]}")
    assert "首次录入" in a.inner_text("[data-testid=sheet-state]")
    key_by_keyboard(a, "124")
    assert a.evaluate("document.activeElement.id") == "comment"
    a.keyboard.type("建议加强党群服务中心建设")
    assert a.inner_text("[data-picked]") == "3"
    a.screenshot(path=str(SHOTS / "paper-keying-first.png"), full_page=True)
    a.click("[data-testid=save]")
    a.wait_for_selector(".messages")
    assert "已保存，待另一名计票员复核" in a.inner_text(".messages")
    a.screenshot(path=str(SHOTS / "paper-saved-first.png"), full_page=True)

    # Teller B opens the same sheet: an empty grid, nothing of A's keying.
    open_sheet(b, base, box.pk, first.code)
    assert "复核录入" in b.inner_text("[data-testid=sheet-state]")
    assert b.locator("[data-testid=grid] input:checked").count() == 0
    assert b.input_value("[data-testid=comment]") == ""
    assert "建议加强党群服务中心建设" not in b.content()
    b.screenshot(path=str(SHOTS / "paper-keying-second-empty.png"), full_page=True)
    key_by_keyboard(b, "124")
    b.keyboard.type("建议加强党群服务中心建设")
    b.click("[data-testid=save]")
    b.wait_for_selector(".messages")
    assert "一致，已计入" in b.inner_text(".messages")
    b.screenshot(path=str(SHOTS / "paper-confirmed.png"), full_page=True)
    assert EncryptedBallot.objects.count() == 1 and not Ballot.objects.exists()  # in the urn until 封箱
    assert not PaperEntry.objects.exists()

    # A tries to key the counted sheet again: refused.
    a.goto(f"{base}/ballots/{box.pk}/paper/")
    a.fill("[data-testid=sheet-code]", first.code)
    a.click("[data-testid=find]")
    assert "已录入并计入" in a.inner_text(".messages")

    # Sheet 2: A and B disagree on the second row.
    open_sheet(a, base, box.pk, second.code)
    a.check("input[name=g0][value='1']")
    a.check("input[name=g1][value='1']")
    a.click("[data-testid=save]")
    a.wait_for_selector(".messages")
    open_sheet(b, base, box.pk, second.code)
    key_by_keyboard(b, "135")
    b.click("[data-testid=save]")
    b.wait_for_selector(".messages")
    assert "不一致，待处理" in b.inner_text(".messages")
    b.screenshot(path=str(SHOTS / "paper-mismatch-saved.png"), full_page=True)
    b.goto(f"{base}/ballots/{box.pk}/paper/mismatches/")
    assert "没有待您处理的不一致" in b.inner_text("main")

    # Teller C sees both keyings side by side and keys the final version.
    c = login(browser, base, "teller_c", csp)
    c.bring_to_front()
    c.goto(f"{base}/ballots/{box.pk}/paper/mismatches/")
    c.screenshot(path=str(SHOTS / "paper-mismatches.png"), full_page=True)
    c.click(f"[data-testid=resolve-{second.serial}]")
    assert c.locator("[data-testid=compare] tr.differs").count() == 1  # row 2: 好 vs 一般 (row 3 unmarked = 弃权 both)
    assert c.locator("[data-testid=grid] input:checked").count() == 2  # the agreed rows are preset
    c.screenshot(path=str(SHOTS / "paper-resolve.png"), full_page=True)
    c.check("input[name=g1][value='3']")
    c.click("[data-testid=save]")
    c.wait_for_selector(".messages")
    assert "已计入" in c.inner_text(".messages")
    assert EncryptedBallot.objects.count() == 2
    setup.close_box(users.organiser, box)  # 封箱 seals both
    assert sorted(Ballot.objects.values_list("grades", flat=True)) == ["124", "130"]

    c.goto(f"{base}/ballots/{box.pk}/paper/progress/")
    assert "2\n两次一致，已计入" in c.inner_text("[data-testid=progress]")
    c.screenshot(path=str(SHOTS / "paper-progress.png"), full_page=True)

    # After 封箱 a late sheet is keyed by A and B: it waits in the urn until a teller seals it.
    third = BallotToken.objects.filter(box=box).order_by("serial")[2]
    for page in (a, b):
        open_sheet(page, base, box.pk, third.code)
        key_by_keyboard(page, "222")
        page.click("[data-testid=save]")
        page.wait_for_selector(".messages")
    assert "1 张尚未封存" in b.inner_text("[data-testid=seal-panel]")
    b.screenshot(path=str(SHOTS / "paper-seal-panel.png"), full_page=True)
    b.once("dialog", lambda d: d.accept())
    b.click("[data-testid=seal]")
    b.wait_for_selector(".messages")
    assert "已封存纸质票 1 张，计入计票结果（本票箱选票共 3 张）" in b.inner_text(".messages")
    assert b.locator("[data-testid=seal-panel]").count() == 0
    assert sorted(Ballot.objects.values_list("grades", flat=True)) == ["124", "130", "222"]
    assert not csp, csp
    for page in (a, b, c):
        page.context.close()
