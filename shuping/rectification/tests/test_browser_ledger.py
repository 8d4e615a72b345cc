"""Browser test: closing a ledger entry through verification, in real Chromium at 1366×768.

The owner posts progress with an evidence file and requests 销号; a second organiser verifies; the first
organiser, who did not request it, could too, but the requester never sees verify buttons. Screenshots go to
artifacts/screenshots/ledger-*.png (look at them after changing the pages).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shuping.ballots.models import BallotBox, BallotComment, BoxState
from shuping.conftest import PASSWORD
from shuping.rectification.models import EntryState, Evidence

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[3] / "artifacts" / "screenshots"
VIEWPORT = {"width": 1366, "height": 768}


def _login(browser: Any, base: str, username: str, problems: list[str]) -> Any:
    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
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
    page.screenshot(path=str(SHOTS / f"ledger-{name}.png"), full_page=True)


def test_owner_requests_closure_and_a_second_organiser_verifies(browser, live_server, users, organiser2, entry,
                                                                west_entry, files):
    base = live_server.url
    problems: list[str] = []

    org = _login(browser, base, "organiser", problems)
    org.goto(f"{base}/ledger/")
    assert org.locator('[data-testid="ledger"] tbody tr').count() == 2
    shot(org, "1-problems")
    org.click('[data-testid="lists"] >> text=任务清单')
    assert "分批轮训社区书记" in org.locator('[data-testid="ledger"]').inner_text()
    shot(org, "2-tasks")
    org.click('[data-testid="lists"] >> text=责任清单')
    assert "周主任" in org.locator('[data-testid="ledger"]').inner_text()
    org.goto(f"{base}/ledger/new/")
    shot(org, "3-new")

    # The owner: only their unit's entry; posts progress with a PDF, then requests closure.
    owner = _login(browser, base, "owner", problems)
    owner.goto(f"{base}/ledger/")
    assert owner.locator('[data-testid="ledger"] tbody tr').count() == 1
    owner.click("text=基层党组织书记培训覆盖面不足")
    owner.fill('[data-testid="progress-form"] textarea[name=text]', "已完成第一批 32 名社区书记轮训")
    owner.set_input_files('[data-testid="progress-form"] input[type=file]',
                          files=[{"name": "培训签到表.pdf", "mimeType": "application/pdf", "buffer": files.pdf}])
    owner.click('[data-testid="post-progress"]')
    owner.wait_for_selector("text=已报送整改进展，附佐证材料 1 份")
    assert owner.locator('[data-testid="progress"]').count() == 1
    owner.fill('[data-testid="closure-form"] textarea[name=note]', "全部社区书记已轮训，培训档案齐全")
    owner.check('[data-testid="closure-form"] input[name=evidence]')
    shot(owner, "4-owner-progress")
    owner.click('[data-testid="request-closure"]')
    owner.wait_for_selector("text=已申请销号，等待组织部审核")
    shot(owner, "5-owner-requested")

    # The second organiser verifies.
    v = _login(browser, base, "organiser2", problems)
    v.goto(f"{base}/ledger/{entry.pk}/")
    assert v.locator('[data-testid="verify-box"]').is_visible()
    shot(v, "6-verify")
    v.click('[data-testid="verify"]')
    v.wait_for_selector("text=审核通过，已销号")
    assert "组织部小李" in v.locator('[data-testid="closed"]').inner_text()
    shot(v, "7-closed")

    entry.refresh_from_db()
    assert entry.state == EntryState.CLOSED and entry.verified_by == organiser2
    assert Evidence.objects.get().for_closure
    assert not problems, problems


def test_organiser_turns_a_ballot_comment_into_an_entry(browser, live_server, users, campaign):
    box = BallotBox.objects.create(campaign=campaign, state=BoxState.PUBLISHED)
    BallotComment.objects.create(box=box, text="希望加大对软弱涣散党组织的整顿力度")
    BallotComment.objects.create(box=box, text="党建经费使用公开不够")
    problems: list[str] = []
    org = _login(browser, live_server.url, "organiser", problems)
    org.goto(f"{live_server.url}/ledger/campaign/{campaign.pk}/comments/")
    shot(org, "8-comments")
    row = org.locator('[data-testid="comments"] tbody tr').filter(has_text="党建经费使用公开不够")
    row.locator("select[name=unit]").select_option(label="西城街道党工委")
    row.locator("select[name=category]").select_option(label="阵地与经费保障")
    row.locator("button").click()
    org.wait_for_selector("text=已将意见建议转为西城街道党工委的整改台账条目")
    assert "民主测评意见" in org.locator('[data-testid="entry"]').inner_text()
    shot(org, "9-from-comment")
    assert not problems, problems
