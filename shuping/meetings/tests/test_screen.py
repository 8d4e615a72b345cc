"""The projector screen by key: the page, state.json (ETag, 304, no-store, server clock) and the vote QR code.

No login on any of them; a wrong key is 404 everywhere. The countdown itself is tested in the browser
(test_browser_meeting.py); here what Python can check.
"""

from __future__ import annotations

import json
import re

import pytest
import segno
from django.test import Client
from django.urls import reverse

from shuping.ballots.actions import voting
from shuping.ballots.models import BallotToken
from shuping.meetings import actions, views_screen
from shuping.meetings.models import Meeting
from shuping.meetings.state import build_state
from shuping.meetings.views_screen import state_etag

pytestmark = pytest.mark.django_db


def urls(meeting: Meeting) -> dict[str, str]:
    key = meeting.screen_key
    return {"page": reverse("meetings:screen", args=[key]), "state": reverse("meetings:screen_state", args=[key]),
            "qr": reverse("meetings:screen_vote_qr", args=[key])}


def test_the_page_opens_without_login_and_shows_the_meeting(meeting_setup):
    r = Client().get(urls(meeting_setup.meeting)["page"])
    assert r.status_code == 200
    html = r.content.decode()
    assert "2025年度述职评议" in html
    assert "全屏" in html and "连接中断，正在重连…" in html
    assert r["Cache-Control"] == "no-store"
    assert not r.cookies, "the projector gets no cookie"


def test_the_page_has_no_inline_script_or_style(meeting_setup):
    r = Client().get(urls(meeting_setup.meeting)["page"])
    html = r.content.decode()
    assert "script-src 'self'" in r["Content-Security-Policy"]
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    # Only external files, and the initial state as inert JSON (not executed, so CSP allows it).
    assert all('src="' in attrs or ('type="application/json"' in attrs) for attrs, _ in scripts), scripts
    assert all(body.strip() == "" for attrs, body in scripts if 'src="' in attrs)
    assert "<style" not in html and " style=" not in html and "onclick" not in html


def test_the_page_and_state_json_carry_the_same_state(meeting_setup, users):
    m = meeting_setup.meeting
    actions.start_meeting(users.organiser, m)
    actions.start_timer(users.organiser, meeting_setup.items[0])
    page = Client().get(urls(m)["page"]).content.decode()
    embedded = json.loads(re.search(r'<script id="scr-initial" type="application/json">(.*?)</script>', page,
                                    re.S).group(1))
    polled = Client().get(urls(m)["state"]).json()
    embedded.pop("server_now")
    polled.pop("server_now")
    assert embedded == polled
    assert polled["current"]["unit"] == "东城街道党工委" and polled["current"]["timer"]["state"] == "running"


@pytest.mark.parametrize("which", ["page", "state", "qr"])
def test_a_wrong_key_is_404(meeting_setup, which):
    good = urls(meeting_setup.meeting)[which]
    bad = good.replace(meeting_setup.meeting.screen_key, "not-the-key")
    assert Client().get(bad).status_code == 404
    # A key is the whole key: a prefix does not open the screen.
    short = good.replace(meeting_setup.meeting.screen_key, meeting_setup.meeting.screen_key[:-1])
    assert Client().get(short).status_code == 404


def test_only_get_is_allowed(meeting_setup):
    for url in urls(meeting_setup.meeting).values():
        assert Client().post(url).status_code == 405


def test_state_json_headers_and_304(meeting_setup):
    url = urls(meeting_setup.meeting)["state"]
    c = Client()
    r = c.get(url)
    assert r.status_code == 200 and r["Content-Type"] == "application/json"
    assert r["Cache-Control"] == "no-store"
    etag = r["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    body = r.json()
    assert abs(int(r["X-Server-Now"]) - body["server_now"]) == 0
    assert body["meeting"]["state"] == "planned" and body["current"] is None

    again = c.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag and again["Cache-Control"] == "no-store"
    assert int(again["X-Server-Now"]) >= body["server_now"]  # the clock keeps coming, even on 304
    assert c.get(url, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200
    assert c.get(url, HTTP_IF_NONE_MATCH=f'"x", W/{etag}').status_code == 304


def test_every_action_changes_the_etag(meeting_setup, users):
    m, org = meeting_setup.meeting, users.organiser
    url = urls(m)["state"]
    c = Client()
    seen = [c.get(url)["ETag"]]

    def changed() -> dict:
        r = c.get(url, HTTP_IF_NONE_MATCH=seen[-1])
        assert r.status_code == 200, "the screen must redraw"
        seen.append(r["ETag"])
        return r.json()

    actions.start_meeting(org, m)
    assert changed()["current"]["unit"] == "东城街道党工委"
    actions.start_timer(org, meeting_setup.items[0])
    assert changed()["current"]["timer"]["state"] == "running"
    actions.pause_timer(org, meeting_setup.items[0])
    assert changed()["current"]["timer"]["state"] == "paused"
    actions.next_item(org, m)
    assert changed()["current"]["unit"] == "西城街道党工委"
    assert len(set(seen)) == len(seen)


def test_live_turnout_changes_the_etag_without_an_action(meeting_setup, users, monkeypatch):
    """民主测评: a voter's ballot is not a meeting action, yet the screens must show the new turnout."""
    clock = [1000.0]
    monkeypatch.setattr(views_screen.time, "monotonic", lambda: clock[0])
    m, org = meeting_setup.meeting, users.organiser
    actions.start_meeting(org, m)
    vote_item = meeting_setup.items[2]
    actions.go_to(org, vote_item)
    actions.open_vote(org, vote_item)
    c = Client()
    url = urls(m)["state"]
    r = c.get(url)
    before = r.json()["vote"]
    assert before["box_state"] == "open" and before["used"] == 0 and before["issued"] == 20
    version = Meeting.objects.get(pk=m.pk).version
    token = BallotToken.objects.filter(box=meeting_setup.box, group=1).order_by("serial").first()
    voting.submit(token, "000", nonce="n-1")
    assert Meeting.objects.get(pk=m.pk).version == version  # nothing bumped the version …
    clock[0] += views_screen.LIVE_SECONDS / 2
    assert c.get(url, HTTP_IF_NONE_MATCH=r["ETag"]).status_code == 304  # (the worker's copy is still fresh)
    clock[0] += views_screen.LIVE_SECONDS / 2
    after = c.get(url, HTTP_IF_NONE_MATCH=r["ETag"])
    assert after.status_code == 200  # … but within LIVE_SECONDS the ETag changed
    groups = {g["name"]: g for g in after.json()["vote"]["groups"]}
    assert after.json()["vote"]["used"] == 1 and groups["领导小组成员"]["used"] == 1


def test_an_unchanged_state_costs_one_query(meeting_setup, users, django_assert_num_queries):
    m = meeting_setup.meeting
    actions.start_meeting(users.organiser, m)
    url = urls(m)["state"]
    c = Client()
    etag = c.get(url)["ETag"]
    with django_assert_num_queries(1):  # the meeting's version by key; the state comes from the worker's copy
        r = c.get(url, HTTP_IF_NONE_MATCH=etag)
    assert r.status_code == 304
    with django_assert_num_queries(1):
        assert c.get(url).json()["current"]["unit"] == "东城街道党工委"


def test_the_etag_ignores_the_clock(meeting_setup):
    m = meeting_setup.meeting
    a, b = build_state(m), build_state(m)
    b["server_now"] = a["server_now"] + 12345
    assert state_etag(a) == state_etag(b)
    b["meeting"]["title"] = "改了"
    assert state_etag(a) != state_etag(b)


def test_the_screen_shows_no_staff_only_figures(meeting_setup, users):
    """Judges' progress only when the organiser lets the hall see it; never the control block."""
    m, org = meeting_setup.meeting, users.organiser
    actions.start_meeting(org, m)
    url = urls(m)["state"]
    body = Client().get(url).json()
    assert "control" not in body
    assert body["judges"] == {"window": "pending", "window_label": "未开始", "submitted": 0, "expected": 3}
    assert body["ranking"] is None  # the ranking board is off by default
    actions.set_options(org, m, show_ranking=False, show_judges=False)
    assert Client().get(url).json()["judges"] is None


def test_the_vote_qr_code_encodes_the_voters_page(meeting_setup, settings):
    settings.SHUPING_PUBLIC_URL = "https://pj.example.cn"
    url = urls(meeting_setup.meeting)["qr"]
    c = Client()
    r = c.get(url)
    assert r.status_code == 200 and r["Content-Type"] == "image/svg+xml"
    svg = r.content.decode()
    assert svg.startswith("<svg") and "viewBox" in svg and "民主测评二维码" in svg
    # The same symbol segno makes for the voters' entry page (the vote.url of the state).
    expected = segno.make("https://pj.example.cn/v/", error="m", micro=False)
    assert f'viewBox="0 0 {expected.symbol_size(border=2)[0]} {expected.symbol_size(border=2)[1]}"' in svg
    assert re.search(r'd="([^"]+)"', svg.split("qrline")[1]).group(1) in _svg_of(expected)
    assert r["Cache-Control"] == "no-cache"
    assert c.get(url, HTTP_IF_NONE_MATCH=r["ETag"]).status_code == 304
    settings.SHUPING_PUBLIC_URL = "https://other.example.cn"
    assert c.get(url, HTTP_IF_NONE_MATCH=r["ETag"]).status_code == 200


def _svg_of(qr: segno.QRCode) -> str:
    import io

    buf = io.BytesIO()
    qr.save(buf, kind="svg", border=2)
    return buf.getvalue().decode()


def test_the_vote_url_in_the_state_is_the_one_in_the_qr_code(meeting_setup, users, settings):
    settings.SHUPING_PUBLIC_URL = "https://pj.example.cn"
    m, org = meeting_setup.meeting, users.organiser
    actions.start_meeting(org, m)
    actions.go_to(org, meeting_setup.items[2])
    assert Client().get(urls(m)["state"]).json()["vote"]["url"] == "https://pj.example.cn/v/"


def test_no_qr_code_without_a_ballot_box(meeting_setup):
    meeting_setup.box.tokens.all().delete()
    meeting_setup.box.lines.all().delete()
    meeting_setup.box.delete()
    assert Client().get(urls(meeting_setup.meeting)["qr"]).status_code == 404
