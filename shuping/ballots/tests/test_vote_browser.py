"""Browser test: a voter on a 375×667 phone in a WeChat-like browser, from the code to the receipt.

Screenshots go to artifacts/screenshots/vote-*.png (look at them after changing a voter page).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from shuping.ballots.models import Ballot, BallotBox, BallotReceipt, BallotToken, EncryptedBallot
from shuping.ballots.tests.conftest import sealed

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[3] / "artifacts" / "screenshots"
WECHAT_UA = ("Mozilla/5.0 (Linux; Android 13; V2227A Build/TP1A.220624.014; wv) AppleWebKit/537.36 "
             "(KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 "
             "MMWEBSDK/20231202 MicroMessenger/8.0.47.2560(0x28002F35) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN")


def phone(browser):
    ctx = browser.new_context(viewport={"width": 375, "height": 667}, user_agent=WECHAT_UA, locale="zh-CN",
                              is_mobile=True, has_touch=True, device_scale_factor=2)
    return ctx, ctx.new_page()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"vote-{name}.png"), full_page=True)


def test_a_voter_grades_reviews_and_gets_a_receipt_on_a_phone(browser, live_server, box):
    BallotBox.objects.filter(pk=box.pk).update(opened_at=timezone.now())  # opened: its pages are cached
    token = BallotToken.objects.filter(box=box).order_by("serial").first()
    ctx, page = phone(browser)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))  # script errors (HTTP 409 of the used token is expected)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))

    page.goto(f"{live_server.url}/v/")
    shot(page, "1-enter")
    page.fill("#code", token.code[:4].lower() + "-" + token.code[4:])
    page.click("button[type=submit]")
    page.wait_for_url(f"**/v/{token.secret}/")
    assert "区委领导" in page.content()
    assert page.locator(".v-progress").inner_text() == "0/3 已选"
    # Big touch targets: every choice at least 44 px tall and wide enough for a thumb.
    box_ = page.locator(".v-choice span").first.bounding_box()
    assert box_["height"] >= 44 and box_["width"] >= 56
    # Nothing wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot(page, "2-ballot")
    page.locator(".v-line").nth(0).get_by_text("好", exact=True).click()
    page.locator(".v-line").nth(1).get_by_text("差", exact=True).click()
    assert page.locator(".v-progress").inner_text() == "2/3 已选"
    page.fill("#comment", "建议进一步加强党群服务中心建设")
    shot(page, "3-filled")
    n_requests = len(requests)
    page.click("button:has-text(\"下一步\")")
    # The review is shown in the page: no request, the same address, the ballot hidden.
    review = page.locator(".v-inpage")
    expect(review).to_be_visible()
    expect(page.locator("form.v-form")).to_be_hidden()
    assert len(requests) == n_requests and page.url.endswith(f"/v/{token.secret}/")
    expect(review.locator(".v-count")).to_have_text("2/3")
    expect(review.locator(".v-review li")).to_have_text([
        re.compile("东城街道党工委 钱东明\\s*好"), re.compile("西城街道党工委 孙西华\\s*差"),
        re.compile("区教育局党委 李育才\\s*弃权（未选）")])
    expect(review.locator(".v-comment")).to_have_text("建议进一步加强党群服务中心建设")
    shot(page, "4-review")
    # 返回修改 keeps the choices; change one, review again.
    review.get_by_text("返回修改").click()
    expect(page.locator("form.v-form")).to_be_visible()
    page.locator(".v-line").nth(1).get_by_text("一般", exact=True).click()
    assert page.locator(".v-progress").inner_text() == "2/3 已选"
    page.click("button:has-text(\"下一步\")")
    expect(review.locator(".v-review li").nth(1)).to_contain_text("一般")
    page.click("button:has-text(\"确认提交\")")
    page.wait_for_selector(".v-receipt")
    assert page.url.endswith(f"/v/{token.secret}/submit/")
    receipt = page.locator(".v-receipt").get_attribute("data-receipt")
    shot(page, "5-done")
    assert EncryptedBallot.objects.count() == 1
    # A reload re-sends the same page: already counted, same receipt.
    page.reload()
    page.wait_for_selector(".v-receipt")
    assert "此前已成功提交并计入" in page.content()
    assert page.locator(".v-receipt").get_attribute("data-receipt") == receipt
    assert EncryptedBallot.objects.count() == 1
    # Opening the ballot again: the token is used.
    page.goto(f"{live_server.url}/v/{token.secret}/")
    assert "该测评码已经使用过" in page.content()
    shot(page, "6-used")
    assert not errors, errors
    assert all(u.startswith(live_server.url) for u in requests), "no external requests"
    assert not ctx.cookies(), "no cookie on the voter's phone"
    ctx.close()
    sealed(box)
    assert Ballot.objects.get().grades == "130" and BallotReceipt.objects.get().receipt == receipt


def test_the_ballot_page_works_without_javascript(browser, live_server, box):
    token = BallotToken.objects.filter(box=box).order_by("serial").first()
    ctx = browser.new_context(viewport={"width": 375, "height": 667}, user_agent=WECHAT_UA, java_script_enabled=False)
    page = ctx.new_page()
    page.goto(f"{live_server.url}/v/{token.secret}/")
    expect(page.locator(".v-inpage")).to_be_hidden()
    page.locator(".v-line").nth(2).get_by_text("较好", exact=True).click()
    page.click("button:has-text(\"下一步\")")
    # The server's review page (a new page, not the in-page review).
    page.wait_for_url(f"**/v/{token.secret}/")
    expect(page.locator("li.v-r2")).to_contain_text("区教育局党委 李育才")
    assert "已选 1/3" in page.content() and page.locator("form.v-form").count() == 0
    page.click("button:has-text(\"确认提交\")")
    expect(page.locator(".v-receipt")).to_be_visible()
    assert "已提交" in page.content()
    receipt = page.locator(".v-receipt").get_attribute("data-receipt")
    sealed(box)
    assert Ballot.objects.get().grades == "002" and BallotReceipt.objects.get().receipt == receipt
    ctx.close()


def test_voter_pages_are_light(browser, live_server, box):
    token = BallotToken.objects.filter(box=box).order_by("serial").first()
    ctx, page = phone(browser)
    sizes: list[int] = []
    page.on("response", lambda r: sizes.append(len(r.body())))
    page.goto(f"{live_server.url}/v/{token.secret}/")
    page.wait_for_load_state("networkidle")
    assert sum(sizes) < 30_000, sizes  # html + css + js, uncompressed
    ctx.close()
