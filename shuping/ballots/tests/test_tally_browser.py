"""Browser test: the tally page of a realistic closed box (~300 ballots with a skew) in real Chromium.

No CSP violation, the 好评率 chart draws, clicking a score shows its formula. Screenshots go to
artifacts/screenshots/tally-*.png (look at them after changing the page).
"""

from __future__ import annotations

import random
import secrets
from pathlib import Path

import pytest

from shuping.ballots import codes
from shuping.ballots.casting import cast
from shuping.ballots.models import BallotBox, BallotLine, BallotToken, BoxState, TokenChannel
from shuping.ballots.tests.conftest import sealed
from shuping.campaigns.models import Campaign, CampaignState, Participant, ParticipantMode
from shuping.conftest import PASSWORD
from shuping.orgs.models import Person, Unit

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[3] / "artifacts" / "screenshots"

REPORTERS = [  # unit, secretary, mean quality (higher = more 好), written?
    ("东城街道党工委", "钱东明", 0.85, False), ("西城街道党工委", "孙西华", 0.7, False),
    ("南湖街道党工委", "周南湖", 0.9, False), ("北山镇党委", "吴北山", 0.55, False),
    ("开发区党工委", "郑开发", 0.75, False), ("区教育局党委", "李育才", 0.8, True),
    ("区卫健委党委", "王卫健", 0.65, True), ("区国资委党委", "冯国资", 0.2, True),
]
GROUP_SIZES = [4, 28, 96, 172]  # 区委领导 has 4: below 5, hidden


def _grade(rnd: random.Random, quality: float) -> str:
    x = rnd.random()
    if x < 0.04:
        return codes.ABSTAIN
    if quality < 0.3:  # the weak one: many 差
        return rnd.choices("1234", weights=[15, 15, 25, 45])[0]
    return rnd.choices("1234", weights=[quality * 100, (1 - quality) * 70, (1 - quality) * 25, 3])[0]


@pytest.fixture
def realistic_box(district) -> BallotBox:
    rnd = random.Random(7)
    campaign = Campaign.objects.create(year=2025, title="2025年度党（工）委书记抓基层党建工作述职评议",
                                       committee=district.root, state=CampaignState.MEETING)
    for i, (name, sec, _, written) in enumerate(REPORTERS, start=1):
        unit = Unit.objects.create(code=f"R{i:02d}", name=name, type="党工委", category="街道",
                                   parent=district.root, sort_order=20 + i)
        person = Person.objects.create(name=sec, unit=unit, position="书记")
        Participant.objects.create(campaign=campaign, unit=unit, secretary=person,
                                   mode=ParticipantMode.WRITTEN if written else ParticipantMode.ONSITE,
                                   speaking_order=None if written else i)
    box = BallotBox.objects.create(campaign=campaign, state=BoxState.OPEN)
    for pos, p in enumerate(campaign.participants.order_by("mode", "speaking_order", "unit__code")):
        BallotLine.objects.create(box=box, participant=p, position=pos)
    tokens = []
    for group, n in enumerate(GROUP_SIZES):
        tokens += [BallotToken(box=box, group=group, serial=len(tokens) + k + 1, secret=codes.new_secret(),
                               code=codes.new_code()) for k in range(n + 6)]  # a few not returned
    BallotToken.objects.bulk_create(tokens)
    quality = {ln.position: REPORTERS[[r[0] for r in REPORTERS].index(ln.participant.unit.name)][2]
               for ln in box.lines.select_related("participant__unit")}
    issued = BallotToken.objects.select_related("box").filter(box=box).order_by("serial")
    used_in_group = [0] * len(GROUP_SIZES)
    for t in issued:
        if used_in_group[t.group] == GROUP_SIZES[t.group]:
            continue  # the group's last 6 tokens are not returned
        used_in_group[t.group] += 1
        grades = "".join(_grade(rnd, quality[p]) for p in range(len(REPORTERS)))
        if t.serial % 97 == 0:
            grades = codes.ABSTAIN * len(REPORTERS)  # a blank ballot
        channel = TokenChannel.PAPER if t.serial % 5 == 0 else TokenChannel.PHONE
        cast(t, channel, grades, comment="建议加强党建经费保障" if t.serial % 41 == 0 else "",
             nonce=secrets.token_hex(8) if channel == TokenChannel.PHONE else "", n_lines=len(REPORTERS))
    return sealed(box)  # 封箱


def test_the_tally_page_draws_and_explains_its_scores(browser, live_server, users, realistic_box):
    SHOTS.mkdir(parents=True, exist_ok=True)
    csp: list[str] = []
    ctx = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    page.on("console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None)
    base = live_server.url
    page.goto(f"{base}/login/")
    page.fill("#id_username", "observer")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/ballots/{realistic_box.pk}/results/")
    page.wait_for_selector("[data-testid=chart] svg")
    assert page.locator("[data-testid=chart] svg rect").count() > 0
    assert page.locator("[data-testid=tally] tr.veto").count() == 1  # 区国资委党委: many 差
    assert not page.locator("[data-testid=formula-0]").is_visible()
    page.screenshot(path=str(SHOTS / "tally-page.png"), full_page=True)

    page.click("[data-testid=score-0]")
    formula = page.locator("[data-testid=formula-0]")
    assert formula.is_visible()
    assert "区委领导（不足 5 票，不单独显示） × 20%" in formula.inner_text()
    formula.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "tally-formula.png"), full_page=False)
    page.click("[data-testid=score-0]")
    assert not formula.is_visible()
    assert csp == []
    ctx.close()
