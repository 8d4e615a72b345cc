"""Browser test: a whole 述职评议会 driven from the control screen while two projectors follow.

The organiser clicks through the meeting on the control page (start, countdown start/pause/resume/extend,
转入点评, 开始评分 → a judge scores on a phone → 结束评分, an absence with a substitute, next, 民主测评
open → a voter votes on /v/ → close, closing speech, end). Two 1920×1080 projector contexts follow; the
second one's clock is 7 minutes fast, which the drift correction must hide. Every change must show within
1.5 s (live figures that are not meeting actions — a judge's sheet, a ballot — within 2.5 s: they travel
with the worker's 1 s refresh). A projector is reloaded mid-countdown and another loses the network.

Screenshots of the projector go to artifacts/screenshots/meeting-*.png: look at them, 300 people will.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from shuping.ballots.models import Ballot, BallotToken, EncryptedBallot
from shuping.conftest import PASSWORD
from shuping.meetings import actions
from shuping.meetings.models import AgendaItem, Meeting, MeetingState
from shuping.scoring.models import JudgeScore

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[3] / "artifacts" / "screenshots"
FOLLOW_S = 1.5   # a meeting action reaches every projector within this
LIVE_S = 2.5     # a figure that is not a meeting action (judge's sheet, ballot)
SKEW_MS = 7 * 60_000 + 4_321  # the second projector's clock is this much fast
SKEWED_CLOCK = f"(function () {{ var real = Date.now.bind(Date); Date.now = function () {{ return real() + {SKEW_MS}; }}; }})();"


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as pw_expect  # page.wait_for_function would need eval (CSP)

    return pw_expect(locator)


def watch(page: Any, problems: list[str]) -> Any:
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return page


def login(browser: Any, base: str, username: str, problems: list[str], phone: bool = False) -> Any:
    if phone:
        ctx = browser.new_context(viewport={"width": 375, "height": 667}, locale="zh-CN", is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    else:
        ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = watch(ctx.new_page(), problems)
    page.on("dialog", lambda d: d.accept())  # hx-confirm of 开始会议 / 结束评分 / 结束会议 …
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return page


def projector(browser: Any, url: str, problems: list[str], skewed: bool = False) -> Any:
    ctx = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    if skewed:
        ctx.add_init_script(SKEWED_CLOCK)
    page = watch(ctx.new_page(), problems)
    page.goto(url)
    return page


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"meeting-{name}.png"))


def remaining(page: Any) -> float:
    return float(page.evaluate("window.shupingScreen.remainingMs()"))


def disagreement(a: Any, b: Any) -> float:
    """How far apart two projectors' countdowns are right now (ms): a is read before and after b."""
    a1 = remaining(a)
    rb = remaining(b)
    a2 = remaining(a)
    return abs(rb - (a1 + a2) / 2)


class Stopwatch:
    """Times each change from the organiser's click until a projector shows it."""

    def __init__(self) -> None:
        self.delays: list[tuple[str, float]] = []

    def click(self, page: Any, testid: str) -> float:
        t0 = time.monotonic()
        page.click(f"[data-testid={testid}]")
        return t0

    def seen(self, label: str, t0: float, *checks: Any, within: float = FOLLOW_S) -> None:
        for check in checks:
            left = max(0.05, within - (time.monotonic() - t0))
            check(left * 1000)
        self.delays.append((label, time.monotonic() - t0))


def has_text(locator: Any, text: str) -> Any:
    return lambda ms: expect(locator).to_contain_text(text, timeout=ms)


def has_attr(locator: Any, name: str, value: str) -> Any:
    return lambda ms: expect(locator).to_have_attribute(name, value, timeout=ms)


def test_a_whole_meeting_on_the_projector(browser, live_server, meeting_setup, users):
    s = meeting_setup
    east_item, west_item, _vote_item, closing_item = s.items
    # Short speeches so the amber and red minutes come in seconds.
    AgendaItem.objects.filter(pk=east_item.pk).update(planned_seconds=63)
    AgendaItem.objects.filter(pk=west_item.pk).update(planned_seconds=2)
    base = live_server.url
    screen_url = f"{base}/meetings/screen/{s.meeting.screen_key}/"
    problems: list[str] = []
    sw = Stopwatch()

    p1 = projector(browser, screen_url, problems)
    p2 = projector(browser, screen_url, problems, skewed=True)
    org = login(browser, base, "organiser", problems)
    org.goto(f"{base}/meetings/{s.meeting.pk}/control/")

    # Before the start: the meeting's title.
    for p in (p1, p2):
        expect(p.locator("[data-testid=scr-idle]")).to_be_visible()
        expect(p.locator("[data-testid=scr-idle-kicker]")).to_have_text("即将开始")
    assert "2025年度述职评议" in p1.inner_text("[data-testid=scr-idle]")
    assert "下一项：议程一 东城街道党工委（钱东明）述职" in p1.inner_text("[data-testid=scr-idle-sub]")
    assert p1.evaluate("document.documentElement.scrollWidth") <= 1920
    shot(p1, "1-before")

    # 开始会议: the first reporter is on.
    t0 = sw.click(org, "act-start_meeting")
    sw.seen("开始会议", t0, *(has_text(p.locator("[data-testid=scr-unit]"), "东城街道党工委") for p in (p1, p2)))
    assert p1.inner_text("[data-testid=scr-name]") == "钱东明"
    assert p1.inner_text("[data-testid=scr-mode]") == "现场述职"
    assert p1.inner_text("[data-testid=scr-pos]") == "议程一 · 第 1 位 / 共 2 位"
    assert p1.inner_text("[data-testid=scr-countdown]") == "01:03"
    assert "0 / 3 位评委已提交" in p1.inner_text("[data-testid=scr-judges-text]")
    shot(p1, "2-first-reporter")

    # 开始计时: both projectors count the same despite p2's clock being 7 minutes fast.
    t0 = sw.click(org, "act-start_timer")
    sw.seen("开始计时", t0, *(has_attr(p.locator("[data-testid=scr-clock]"), "data-timer", "running") for p in (p1, p2)))
    assert p1.inner_text("[data-testid=scr-phase]") == "述职中"
    time.sleep(0.6)
    assert disagreement(p1, p2) < 500
    assert 55_000 < remaining(p2) < 63_000
    assert abs(p2.evaluate("window.shupingScreen.offsetMs()") + SKEW_MS) < 500  # it found its clock 7 min fast
    shot(p1, "3-speaking")
    # The last minute is amber.
    expect(p1.locator("[data-testid=scr-clock]")).to_have_attribute("data-tone", "warning", timeout=6000)
    expect(p2.locator("[data-testid=scr-clock]")).to_have_attribute("data-tone", "warning", timeout=1000)
    shot(p1, "4-last-minute")

    # 暂停 / 继续 / 延长.
    t0 = sw.click(org, "act-pause_timer")
    sw.seen("暂停", t0, *(has_attr(p.locator("[data-testid=scr-clock]"), "data-timer", "paused") for p in (p1, p2)))
    assert p1.inner_text("[data-testid=scr-clock-note]") == "已暂停"
    frozen = remaining(p1)
    time.sleep(1.0)
    assert remaining(p1) == frozen == remaining(p2)
    shot(p1, "5-paused")
    t0 = sw.click(org, "act-resume_timer")
    sw.seen("继续", t0, *(has_attr(p.locator("[data-testid=scr-clock]"), "data-timer", "running") for p in (p1, p2)))
    t0 = sw.click(org, "act-extend_timer")
    sw.seen("延长 1 分钟", t0, *(has_attr(p.locator("[data-testid=scr-clock]"), "data-tone", "normal") for p in (p1, p2)))
    assert 100_000 < remaining(p1) < 121_000
    assert disagreement(p1, p2) < 500

    # A projector reloaded mid-countdown comes back right.
    p1.reload()
    expect(p1.locator("[data-testid=scr-unit]")).to_have_text("东城街道党工委")
    time.sleep(0.8)  # a few polls: the best round trip replaces the page's own clock reading
    assert disagreement(p1, p2) < 500

    # A projector that loses the network keeps counting and says so; it recovers by itself.
    p2.context.set_offline(True)
    expect(p2.locator("[data-testid=scr-offline]")).to_be_visible(timeout=3000)
    before = remaining(p2)
    time.sleep(1.0)
    assert 800 < before - remaining(p2) < 1300, "keeps counting offline"
    shot(p2, "6-offline")
    p2.context.set_offline(False)
    expect(p2.locator("[data-testid=scr-offline]")).to_be_hidden(timeout=3000)
    assert disagreement(p1, p2) < 500

    # 转入点评.
    t0 = sw.click(org, "act-commentary")
    sw.seen("转入点评", t0, *(has_text(p.locator("[data-testid=scr-phase]"), "点评中") for p in (p1, p2)))
    expect(p1.locator("[data-testid=scr-clock]")).to_have_attribute("data-timer", "stopped")

    # 开始评分 → a judge scores on a phone → the strip counts → 结束评分.
    t0 = sw.click(org, "act-open_scoring")
    sw.seen("开始评分", t0, *(has_text(p.locator("[data-testid=scr-judges-text]"), "0 / 3 位评委已提交 · 评分中")
                              for p in (p1, p2)))
    judge = login(browser, base, "judge1", problems, phone=True)
    judge.goto(f"{base}/scoring/judge/{s.campaign.pk}/reporter/{s.east.pk}/")
    for i, v in enumerate(("27", "36", "18", "9")):
        judge.fill(f"#p{i}", v)
    t0 = time.monotonic()
    judge.click("[data-testid=submit]")
    sw.seen("评委提交（非会议操作）", t0, *(has_text(p.locator("[data-testid=scr-judges-text]"), "1 / 3 位评委已提交")
                                   for p in (p1, p2)), within=LIVE_S)
    assert JudgeScore.objects.get(participant=s.east).submitted_at is not None
    shot(p1, "7-commenting-scoring")
    t0 = sw.click(org, "act-close_scoring")
    sw.seen("结束评分", t0, *(has_text(p.locator("[data-testid=scr-judges-text]"), "已结束") for p in (p1, p2)))

    # The organiser lets the hall see the ranking board (off by default).
    assert p1.locator("[data-testid=scr-ranking]").is_hidden()
    t0 = time.monotonic()
    actions.set_options(users.organiser, s.meeting, show_ranking=True, show_judges=True)
    sw.seen("显示排名", t0, *(has_text(p.locator("[data-testid=scr-ranking-list]"), "东城街道党工委") for p in (p1, p2)))
    assert p1.inner_text("[data-testid=scr-ranking-list] li").split() == ["1", "东城街道党工委", "90.00"]
    shot(p1, "7b-ranking")
    actions.set_options(users.organiser, s.meeting, show_ranking=False, show_judges=True)
    expect(p1.locator("[data-testid=scr-ranking]")).to_be_hidden(timeout=FOLLOW_S * 1000)

    # 西城's secretary is absent: a substitute reports; the agenda on the screen says so.
    org.click(f"[data-testid=item-{west_item.pk}] summary")
    form = org.locator(f"[data-testid=item-{west_item.pk}] form")
    form.locator("input[name=absent]").check()
    form.locator("input[name=substitute]").fill("周副书记")
    t0 = sw.click(org, f"absent-save-{west_item.pk}")
    sw.seen("缺席登记", t0, *(has_text(p.locator(f"[data-testid=scr-agenda-{west_item.pk}]"), "代：周副书记")
                              for p in (p1, p2)))

    # 下一项: 西城, reported by the substitute; 2 seconds planned, so red soon.
    t0 = sw.click(org, "act-next")
    sw.seen("下一位", t0, *(has_text(p.locator("[data-testid=scr-unit]"), "西城街道党工委") for p in (p1, p2)))
    assert p1.inner_text("[data-testid=scr-substitute]") == "代述职人：周副书记"
    assert p1.inner_text("[data-testid=scr-pos]") == "议程一 · 第 2 位 / 共 2 位"
    assert "✓" in p1.inner_text(f"[data-testid=scr-agenda-{east_item.pk}]")
    t0 = sw.click(org, "act-start_timer")
    sw.seen("开始计时", t0, *(has_attr(p.locator("[data-testid=scr-clock]"), "data-timer", "running") for p in (p1, p2)))
    expect(p1.locator("[data-testid=scr-clock]")).to_have_attribute("data-tone", "over", timeout=4000)
    expect(p1.locator("[data-testid=scr-countdown]")).to_have_text("+00:01", timeout=3000)
    expect(p1.locator("[data-testid=scr-clock-note]")).to_have_text("已超时")
    assert disagreement(p1, p2) < 500
    shot(p1, "8-over-time-substitute")

    # 民主测评: QR code and turnout; a voter votes on a phone; closed.
    t0 = sw.click(org, "act-next")
    sw.seen("转到民主测评", t0, *(has_attr(p.locator("body"), "data-mode", "vote") for p in (p1, p2)))
    assert p1.inner_text("[data-testid=scr-pos]") == "议程二"
    qr = p1.locator("[data-testid=scr-qr]")
    expect(qr).to_have_attribute("src", f"/meetings/screen/{s.meeting.screen_key}/vote-qr.svg")
    assert p1.evaluate("document.querySelector('[data-testid=scr-qr]').naturalWidth") > 0
    assert p1.inner_text("[data-testid=scr-vote-url]").endswith("/v/")
    t0 = sw.click(org, "act-open_vote")
    sw.seen("开始投票", t0, *(has_text(p.locator("[data-testid=scr-vote-phase]"), "测评进行中") for p in (p1, p2)))
    assert "已提交 0 张 / 共发放 20 张" in p1.inner_text("[data-testid=scr-turnout-total]")
    voter_ctx = browser.new_context(viewport={"width": 375, "height": 667}, locale="zh-CN", is_mobile=True,
                                    has_touch=True)
    voter = watch(voter_ctx.new_page(), [])  # the used token's 409 after submitting is expected there
    token = BallotToken.objects.filter(box=s.box, group=0).order_by("serial").first()
    voter.goto(f"{base}/v/")
    voter.fill("#code", token.code)
    voter.click("button[type=submit]")
    voter.wait_for_url(f"**/v/{token.secret}/")
    for i in range(3):
        voter.locator(".v-line").nth(i).get_by_text("好", exact=True).click()
    voter.click("button:has-text(\"下一步\")")
    t0 = time.monotonic()
    voter.click("button:has-text(\"确认提交\")")
    sw.seen("投票（非会议操作）", t0, *(has_text(p.locator("[data-testid=scr-turnout-total]"), "已提交 1 张 / 共发放 20 张")
                                 for p in (p1, p2)), within=LIVE_S)
    assert EncryptedBallot.objects.count() == 1 and not Ballot.objects.exists()  # sealed at 封箱
    shot(p1, "9-vote")
    t0 = sw.click(org, "act-close_vote")
    sw.seen("结束投票", t0, *(has_text(p.locator("[data-testid=scr-vote-phase]"), "测评已结束") for p in (p1, p2)))
    assert Ballot.objects.count() == 1 and not EncryptedBallot.objects.exists()
    expect(p1.locator("[data-testid=scr-qr]")).to_be_hidden()
    assert p1.inner_text("[data-testid=scr-vote-title]") == "民主测评投票已结束"
    shot(p1, "10-vote-closed")

    # 领导总结讲话: no countdown on the screen unless one is started.
    t0 = sw.click(org, "act-next")
    sw.seen("转到总结讲话", t0, *(has_text(p.locator("[data-testid=scr-unit]"), "领导总结讲话") for p in (p1, p2)))
    expect(p1.locator("[data-testid=scr-clock]")).to_be_hidden()
    assert p1.inner_text("[data-testid=scr-pos]") == "议程三"
    shot(p1, "11-closing")

    # 结束会议.
    t0 = sw.click(org, "act-end_meeting")
    sw.seen("结束会议", t0, *(has_text(p.locator("[data-testid=scr-idle-kicker]"), "会议结束") for p in (p1, p2)))
    assert Meeting.objects.get(pk=s.meeting.pk).state == MeetingState.ENDED
    assert AgendaItem.objects.get(pk=closing_item.pk).phase == "done"
    assert AgendaItem.objects.get(pk=west_item.pk).overrun_ms > 0
    shot(p1, "12-ended")

    # The 全屏 button puts the page in full screen (and hides itself there).
    p1.click("[data-testid=scr-fullscreen]")
    expect(p1.locator("body")).to_have_class("scr is-fullscreen")
    assert p1.evaluate("!!document.fullscreenElement")

    print("\n".join(f"{label}: {d * 1000:.0f} ms" for label, d in sw.delays))
    assert not problems, problems
    for ctx in browser.contexts:  # stop the polling before the test database goes away
        ctx.close()
