"""Browser test: a reporter writes a 述职报告 in real Chromium (autosave, a conflict, last year's items, 确认签字,
提交); the organiser returns it with a comment from the progress table; the reporter sees the comment.

Screenshots go to artifacts/screenshots/report-*.png (look at them after changing the pages).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shuping.conftest import PASSWORD
from shuping.reports import actions
from shuping.reports.models import Report, ReportState
from shuping.reports.tests.conftest import TEXT

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[3] / "artifacts" / "screenshots"
VIEWPORT = {"width": 1366, "height": 768}


def _login(browser: Any, base: str, username: str, problems: list[str]) -> Any:
    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = ctx.new_page()
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("dialog", lambda d: d.accept())  # data-confirm
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return page


def saved(page: Any) -> None:
    page.locator("[data-testid=save-status]:has-text('已自动保存')").wait_for()


def shot(page: Any, name: str, full: bool = True) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    if full:
        page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / f"report-{name}.png"), full_page=full)


def test_write_autosave_answer_sign_submit_then_returned_with_a_comment(browser, live_server, users, campaign,
                                                                        prior):
    problems: list[str] = []
    base = live_server.url

    page = _login(browser, base, "reporter", problems)
    page.click("nav.mainnav >> text=述职报告")
    shot(page, "1-home")
    page.click(f"[data-testid=write-{campaign.pk}]")
    page.wait_for_selector("[data-testid=report-form]")
    report = Report.objects.get(participant__unit=users.reporter.unit)
    status = page.locator("[data-testid=save-status]")

    # Type the first section: the autosave reports back and the word count follows.
    assert page.locator("[data-testid=missing]").is_visible()
    page.fill("#section-performance", TEXT["performance"])
    saved(page)
    assert page.locator("[data-count=performance]").first.inner_text() == str(len(TEXT["performance"]))
    report.refresh_from_db()
    assert report.sections["performance"] == TEXT["performance"] and report.revision == 1

    # Someone saves the draft elsewhere: the next autosave is refused and the page offers the latest text.
    actions.save_draft(users.reporter, report, revision=1, sections={"causes": "另一窗口写的原因"})
    page.fill("#section-problems", "这句不会被保存")
    conflict = page.locator("[data-testid=conflict]")
    conflict.wait_for(state="visible")
    assert "未保存" in status.inner_text()
    shot(page, "2-conflict", full=False)
    page.click("[data-testid=load-latest]")
    assert conflict.is_hidden()
    assert page.input_value("#section-causes") == "另一窗口写的原因"

    for key in ("problems", "causes", "plans"):
        page.fill(f"#section-{key}", TEXT[key])
    for entry, text in ((prior.east1, "已分三批完成社区书记轮训"), (prior.east2, "已建立党群服务中心开放制度")):
        page.fill(f"#answer-{entry.pk}", text)
    saved(page)
    assert page.locator("[data-testid=missing]").is_hidden()  # every item of last year answered
    shot(page, "3-written")

    # 确认签字 saves what was typed first, then signs; 提交 goes through.
    page.fill("#section-plans", TEXT["plans"] + "三要抓好整改落实。")
    page.click("[data-testid=sign]")
    page.wait_for_selector("[data-testid=signed-by]")
    assert "书记已确认签字" in page.content()
    report.refresh_from_db()
    assert report.sections["plans"].endswith("三要抓好整改落实。") and report.signed_by_name == "钱东明"
    page.click("[data-testid=submit]")
    page.wait_for_selector("text=述职报告已提交")
    assert page.locator("[data-testid=report-state]").inner_text() == "已提交"
    shot(page, "4-submitted")
    report.refresh_from_db()
    assert report.state == ReportState.SUBMITTED
    assert {a.entry_id: a.answer for a in report.prior_answers.all()}[prior.east1.pk] == "已分三批完成社区书记轮训"
    page.context.close()

    # The organiser opens it from the progress table and returns it with a comment.
    page = _login(browser, base, "organiser", problems)
    page.goto(f"{base}/campaigns/{campaign.pk}/")
    page.click("[data-testid=tab-reports]")
    page.wait_for_selector("[data-testid=progress]")
    assert page.locator(f"[data-testid=status-{report.participant_id}]").inner_text() == "已提交"
    shot(page, "5-progress")
    page.click(f"[data-testid=open-{report.participant_id}]")
    page.wait_for_selector("[data-testid=review]")
    shot(page, "6-review")
    page.fill("#return-comment", "请在“存在问题”中补充具体事例和数据。")
    page.click("[data-testid=return]")
    page.wait_for_selector("text=已退回修改")
    page.context.close()

    # The reporter sees the comment and can edit again.
    page = _login(browser, base, "reporter", problems)
    page.goto(f"{base}/reports/{report.pk}/")
    assert "请在“存在问题”中补充具体事例和数据。" in page.locator("[data-testid=reviews]").inner_text()
    assert page.locator("[data-testid=report-state]").inner_text() == "退回修改"
    page.wait_for_selector("[data-testid=report-form]")
    shot(page, "7-returned")
    page.click("[data-testid=versions]")
    page.wait_for_selector("[data-testid=version-list]")
    assert "提交" in page.locator("[data-testid=version-list]").inner_text()
    shot(page, "8-versions")
    page.context.close()
    assert problems == []
