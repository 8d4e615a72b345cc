"""Browser tests: the organiser pastes a speech, reviews the extracted problems beside the highlighted text, joins
two, drops one, assigns units, confirms; the ledger shows the entries, and their links lead back to the text
with the span highlighted. The chair corrects a misread speech from the sentence menu (the achievements start
here, split this item) with the doubtful spots flagged first. No CSP violations or page errors.

Screenshots go to artifacts/screenshots/speech-*.png (look at them after changing the review page).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from shuping.conftest import PASSWORD
from shuping.rectification.models import LedgerEntry, Source
from shuping.speeches import reading
from shuping.speeches.models import SpeechText
from shuping.speeches.tests.test_review import SPEECH, review_campaign

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[3] / "artifacts" / "screenshots"


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


def shot(page: Any, name: str, full: bool = False) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"speech-{name}.png"), full_page=full)


@pytest.mark.django_db(transaction=True)
def test_paste_review_merge_drop_assign_confirm_and_follow_the_link_back(browser, live_server, users, district):
    from playwright.sync_api import expect

    campaign = review_campaign(users, district)
    spans = [(i.start, i.end) for i in reading.problems(reading.read(SPEECH))]
    assert len(spans) == 3
    base = live_server.url
    problems: list[str] = []
    page = login(browser, base, "organiser", problems)

    page.click("nav.mainnav >> text=讲话与点评")
    page.wait_for_url(f"{base}/speeches/")
    page.click("[data-testid=new-text]")
    page.select_option("#f-kind", "speech")
    page.select_option("#f-campaign", str(campaign.pk))
    page.fill("#f-title", "2025年度述职评议会总结讲话")
    page.fill("#f-text", SPEECH)
    shot(page, "1-new", full=True)
    page.click("[data-testid=read]")
    st = SpeechText.objects.get()
    page.wait_for_url(f"{base}/speeches/{st.pk}/")

    items = page.locator("[data-testid=item]")
    expect(items).to_have_count(3)
    expect(page.locator("#source .mk-problem").first).to_be_visible()
    expect(page.locator("#source .part")).to_have_count(5)
    # Clicking an item highlights its span in the text.
    items.nth(2).locator(".item-head").click()
    expect(items.nth(2)).to_have_class("item active")
    hl = page.locator("#source .hl")
    expect(hl.first).to_contain_text("阵地和经费保障不足")
    shot(page, "2-review")

    # Edit the first row's unit, join the second to it (the unsaved unit carries over), drop the third.
    items.nth(0).locator("select[name=unit]").select_option(label="西城街道党工委")
    items.nth(1).locator("[data-testid=join]").click()
    expect(page.locator("[data-testid=corrections]")).to_have_text("已更正 1 处")
    expect(items).to_have_count(2)
    merged = items.nth(0)
    expect(merged.locator("textarea")).to_have_value(
        "责任落实不够到位，有的书记抓党建精力投入不足，研究部署不多。二是党务干部队伍不够稳定，专职党务工作者流动频繁，业务能力有待提高。")
    expect(merged.locator("[data-where]")).to_have_text(f"第 {spans[0][0] + 1}–{spans[1][1]} 字")
    expect(merged.locator("select[name=unit]")).to_have_value(str(district.west.pk))
    assert page.url == f"{base}/speeches/{st.pk}/"  # a reload shows the review, it does not post again
    items.nth(1).locator("[data-testid=drop]").click()
    expect(page.locator("[data-testid=corrections]")).to_have_text("已更正 2 处")
    expect(items).to_have_count(1)
    merged = items.nth(0)
    # The marker between the two joined items ("二是") is part of the highlight.
    merged.locator(".item-head").click()
    assert "二是" in "".join(page.locator("#source .hl").all_inner_texts())
    merged.locator("textarea").fill("责任落实不够到位，党务干部队伍不够稳定")
    expect(merged.locator("select[name=category]")).to_have_value("responsibility")
    shot(page, "3-edited")

    # A text clicked on the left brings its row forward (and offers corrections there).
    page.locator("#source .mk-problem").first.click()
    expect(merged).to_have_class("item active")
    expect(page.locator("[data-testid=fix-menu]")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("[data-testid=fix-menu]")).to_be_hidden()

    page.click("[data-testid=confirm]")
    page.wait_for_url(f"{base}/speeches/{st.pk}/")
    expect(page.locator("[data-testid=confirmed]")).to_be_visible()
    e = LedgerEntry.objects.get()
    a, b = spans[0][0] + 1, spans[1][1]
    assert (e.unit, e.campaign, e.category, e.source) == (district.west, campaign, "responsibility",
                                                          Source.COMMENTARY)
    assert e.problem == "责任落实不够到位，党务干部队伍不够稳定"
    assert e.source_link == f"/speeches/{st.pk}/#s-{a}-{b}"
    shot(page, "4-confirmed")

    # The ledger lists the entry with its link back; following it highlights the span.
    page.goto(f"{base}/ledger/")
    link = page.locator("[data-testid=source-link]")
    expect(link).to_have_text(f"讲话《2025年度述职评议会总结讲话》第 {a}–{b} 字")
    shot(page, "5-ledger")
    link.click()
    page.wait_for_url(f"{base}/speeches/{st.pk}/#s-{a}-{b}")
    hl = page.locator("#source .hl")
    expect(hl.first).to_be_visible()
    highlighted = "".join(hl.all_inner_texts())
    assert highlighted == SPEECH[a - 1:b]
    shot(page, "6-link-back")

    assert problems == []


FIXTURE = Path(__file__).resolve().parent / "speeches" / "2023-district-meeting.txt"  # copy of ../shared/fixtures


@pytest.mark.django_db(transaction=True)
def test_a_real_speech_uploaded_in_gbk_is_reviewed_in_its_own_scrolling_pane(browser, live_server, users,
                                                                                district, tmp_path):
    from playwright.sync_api import expect

    campaign = review_campaign(users, district)
    text = FIXTURE.read_text(encoding="utf-8")
    gbk = tmp_path / "2023讲话.txt"
    gbk.write_bytes(text.encode("gb18030"))
    base = live_server.url
    problems: list[str] = []
    page = login(browser, base, "organiser", problems)
    page.goto(f"{base}/speeches/new/")
    page.select_option("#f-campaign", str(campaign.pk))
    page.set_input_files("#f-file", str(gbk))
    page.click("[data-testid=read]")
    st = SpeechText.objects.get()
    page.wait_for_url(f"{base}/speeches/{st.pk}/")
    assert st.title == "2023讲话" and st.source_name == "2023讲话.txt"
    found = reading.problems(reading.read(st.text))
    items = page.locator("[data-testid=item]")
    expect(items).to_have_count(len(found))
    assert len(found) >= 3
    # The last problem, clicked in the list, is brought into view inside the text pane.
    items.last.locator(".item-head").click()
    hl = page.locator("#source .hl").first
    expect(hl).to_be_in_viewport()
    shot(page, "7-real-speech")
    page.goto(f"{base}/speeches/")
    expect(page.locator(f"[data-testid=text-{st.pk}]")).to_contain_text("2023讲话.txt")
    shot(page, "8-list")
    assert problems == []


GENRE = Path(__file__).resolve().parent / "genre"


@pytest.mark.django_db(transaction=True)
def test_the_chair_fixes_a_misread_speech_from_the_sentence_menu(browser, live_server, users, district):
    from playwright.sync_api import expect

    from shuping.speeches import actions
    from shuping.speeches.models import TextKind

    campaign = review_campaign(users, district)
    text = (GENRE / "g12-continuation-paragraph.txt").read_text(encoding="utf-8")
    st = actions.create_text(users.organiser, kind=TextKind.SPEECH, title="2024年度总结讲话", text=text,
                             campaign=campaign)
    base = live_server.url
    problems: list[str] = []
    page = login(browser, base, "chair", problems)
    page.goto(f"{base}/speeches/{st.pk}/")
    items = page.locator("[data-testid=item]")
    expect(items).to_have_count(3)
    # The one doubtful item — (一) with a following 有的… paragraph — is flagged and listed first.
    expect(page.locator("[data-testid=checks]")).to_contain_text("其后不带序号的“有的……”段落并入此条")
    expect(items.nth(0).locator("[data-testid=low]")).to_be_visible()
    expect(page.locator("#source .mk-low").first).to_be_visible()
    shot(page, "9-flagged")

    # Split it there: click the sentence, pick the split.
    page.locator("#source span[data-s]", has_text="有的村党支部书记认为").first.click()
    menu = page.locator("[data-testid=fix-menu]")
    expect(menu).to_be_visible()
    expect(menu.locator("[data-fix=split]")).to_be_visible()
    expect(menu.locator("[data-fix=join]")).to_be_hidden()
    shot(page, "10-menu")
    menu.locator("[data-fix=split]").click()
    expect(items).to_have_count(4)
    expect(items.nth(1).locator("textarea")).to_have_value(re.compile("^有的村党支部书记认为抓党建是乡镇的事"))

    # Start the requirements one sentence later by mistake, then take it back.
    page.locator("#source span[data-s]", has_text="严格落实乡镇党委书记").first.click()
    menu.locator("[data-fix=part][data-kind=requirements]").click()
    expect(page.locator("[data-testid=corrections]")).to_have_text("已更正 2 处")
    page.locator("[data-testid=undo]").click()
    expect(page.locator("[data-testid=corrections]")).to_have_text("已更正 1 处")
    expect(items).to_have_count(4)
    shot(page, "11-corrected", full=True)
    st.refresh_from_db()
    assert [c["op"] for c in st.corrections] == ["split"]
    assert problems == []
