"""The control screen, the meeting tab and the staff state endpoint: permissions of every page and POST,
htmx buttons, refused moves shown in the panel, keyboard hints, the projector link kept from readers."""

from __future__ import annotations

import pytest

from shuping.audit.models import AuditEvent
from shuping.campaigns.models import Campaign, CampaignState, Participant
from shuping.meetings import actions
from shuping.meetings.models import AgendaItem, Meeting, TimerState

HTMX = {"HX-Request": "true"}


def pages(m: Meeting) -> list[str]:
    return ["/meetings/", f"/meetings/campaign/{m.campaign_id}/", f"/meetings/{m.pk}/control/",
            f"/meetings/{m.pk}/control/live/", f"/meetings/{m.pk}/state.json"]


def posts(m: Meeting, item: AgendaItem) -> list[tuple[str, dict]]:
    return [(f"/meetings/campaign/{m.campaign_id}/create/", {}),
            (f"/meetings/{m.pk}/options/", {"show_judges": "1"}),
            (f"/meetings/{m.pk}/act/start_meeting/", {}),
            (f"/meetings/{m.pk}/act/move/", {"item": item.pk, "direction": "up"})]


@pytest.mark.parametrize("who", ["organiser", "observer", "chair"])
def test_readers_open_every_page(meeting_setup, users, client_for, who):
    c = client_for(getattr(users, who))
    for url in pages(meeting_setup.meeting):
        assert c.get(url).status_code == 200, url


@pytest.mark.parametrize("who", ["judge", "reporter", "teller", "admin", "nobody"])
def test_others_get_403(meeting_setup, users, client_for, who):
    c = client_for(getattr(users, who))
    m = meeting_setup.meeting
    for url in pages(m):
        assert c.get(url).status_code == 403, url
    for url, data in posts(m, meeting_setup.items[1]):
        assert c.post(url, data).status_code == 403, url


@pytest.mark.parametrize("who", ["observer", "chair"])
def test_readers_cannot_write(meeting_setup, users, client_for, who):
    c = client_for(getattr(users, who))
    m = meeting_setup.meeting
    for url, data in posts(m, meeting_setup.items[1]):
        assert c.post(url, data).status_code == 403, url
    assert Meeting.objects.get(pk=m.pk).version == 1


def test_anonymous_is_sent_to_login(client, meeting_setup):
    m = meeting_setup.meeting
    for url in pages(m):
        r = client.get(url)
        assert r.status_code == 302 and "/login" in r["Location"], url
    r = client.post(f"/meetings/{m.pk}/act/start_meeting/")
    assert r.status_code == 302 and "/login" in r["Location"]


def test_meeting_of_a_draft_campaign_is_404_for_chair(meeting_setup, users, client_for):
    c = meeting_setup.campaign
    Campaign.objects.filter(pk=c.pk).update(state=CampaignState.DRAFT)
    assert client_for(users.chair).get(f"/meetings/{meeting_setup.meeting.pk}/control/").status_code == 404
    assert client_for(users.observer).get(f"/meetings/{meeting_setup.meeting.pk}/control/").status_code == 200


def test_control_page_for_the_organiser(meeting_setup, users, client_for):
    m = meeting_setup.meeting
    r = client_for(users.organiser).get(f"/meetings/{m.pk}/control/")
    html = r.content.decode()
    assert "会议尚未开始" in html and 'data-testid="act-start_meeting"' in html
    assert "键盘快捷键" in html and "<kbd>N</kbd> 下一项" in html
    assert f"/meetings/screen/{m.screen_key}/" in html
    assert "东城街道党工委（钱东明）述职" in html and "议程二" in html


def test_readers_see_no_buttons_and_no_screen_key(meeting_setup, users, client_for):
    m = meeting_setup.meeting
    actions.start_meeting(users.organiser, m)
    for who in (users.observer, users.chair):
        html = client_for(who).get(f"/meetings/{m.pk}/control/").content.decode()
        assert "东城街道党工委" in html and "只读" in html
        assert "act-" not in html and m.screen_key not in html
        setup_html = client_for(who).get(f"/meetings/campaign/{m.campaign_id}/").content.decode()
        assert m.screen_key not in setup_html and "打开会议控制台" in setup_html


def test_htmx_buttons_run_actions_and_return_the_panel(meeting_setup, users, client_for):
    m, east = meeting_setup.meeting, meeting_setup.items[0]
    c = client_for(users.organiser)
    r = c.post(f"/meetings/{m.pk}/act/start_meeting/", headers=HTMX)
    assert r.status_code == 200 and 'id="live"' in r.content.decode() and "会议开始" in r.content.decode()
    r = c.post(f"/meetings/{m.pk}/act/start_timer/", {"item": east.pk}, headers=HTMX)
    html = r.content.decode()
    assert 'data-testid="act-pause_timer"' in html and 'data-key="space"' in html
    assert AgendaItem.objects.get(pk=east.pk).timer_state == TimerState.RUNNING
    assert "撤销：“东城街道党工委（钱东明）述职”开始计时（6:00）" in html
    r = c.post(f"/meetings/{m.pk}/act/open_scoring/", {"item": east.pk}, headers=HTMX)
    assert "0 / 3 位评委已提交" in r.content.decode()
    r = c.post(f"/meetings/{m.pk}/act/undo/", headers=HTMX)
    assert "不能撤销：评委可能已开始评分" in r.content.decode()


def test_refused_move_shows_the_message(meeting_setup, users, client_for):
    m, east = meeting_setup.meeting, meeting_setup.items[0]
    c = client_for(users.organiser)
    r = c.post(f"/meetings/{m.pk}/act/move/", {"item": east.pk, "direction": "up"}, headers=HTMX)
    assert r.status_code == 200 and "已在最前面" in r.content.decode()
    r = c.post(f"/meetings/{m.pk}/act/move/", {"item": east.pk, "direction": "up"})  # without JS: message + redirect
    assert r.status_code == 302 and r["Location"] == f"/meetings/{m.pk}/control/"
    assert "已在最前面" in c.get(r["Location"]).content.decode()
    assert c.post(f"/meetings/{m.pk}/act/explode/").status_code == 404


def test_absence_form(meeting_setup, users, client_for):
    m, west = meeting_setup.meeting, meeting_setup.items[1]
    c = client_for(users.organiser)
    r = c.post(f"/meetings/{m.pk}/act/absent/", {"item": west.pk, "absent": "1", "substitute": "王副书记",
                                                  "note": "书记住院"}, headers=HTMX)
    assert "缺席，王副书记代述职" in r.content.decode()
    w = AgendaItem.objects.get(pk=west.pk)
    assert (w.absent, w.substitute, w.substitute_note) == (True, "王副书记", "书记住院")


def test_setup_page_create_options_and_agenda(users, client_for, meeting_setup, district):
    # a second campaign without a meeting
    c2 = Campaign.objects.create(year=2026, title="2026年度述职评议", committee=district.root,
                                 state=CampaignState.PUBLISHED)
    Participant.objects.create(campaign=c2, unit=district.east, secretary=district.east.secretary, speaking_order=1)
    org = client_for(users.organiser)
    html = org.get(f"/meetings/campaign/{c2.pk}/").content.decode()
    assert "尚未安排述职评议会" in html and 'data-testid="create"' in html and 'data-testid="tab-meeting"' in html
    assert "安排述职评议会" not in client_for(users.observer).get(f"/meetings/campaign/{c2.pk}/").content.decode(
        ).split("尚未安排")[1].split("</section>")[0].replace("安排述职评议会。", "")
    r = org.post(f"/meetings/campaign/{c2.pk}/create/")
    assert r.status_code == 302
    m2 = Meeting.objects.get(campaign=c2)
    html = org.get(f"/meetings/campaign/{c2.pk}/").content.decode()
    assert f"/meetings/screen/{m2.screen_key}/" in html and "此地址含密钥" in html and "复制" in html
    assert "议程 2 项" in html  # the success message: one report and the closing speech
    r = org.post(f"/meetings/campaign/{c2.pk}/create/")
    assert "已安排述职评议会" in org.get(r["Location"]).content.decode()
    r = org.post(f"/meetings/{m2.pk}/options/", {"show_ranking": "1", "attendees": "86", "attendance_note": "应到90"})
    m2.refresh_from_db()
    assert (m2.show_ranking, m2.show_judges, m2.attendees) == (True, False, 86)
    r = org.post(f"/meetings/{m2.pk}/options/", {"attendees": "八十"})
    assert "不是整数" in org.get(r["Location"]).content.decode()
    r = org.post(f"/meetings/{m2.pk}/act/add_item/", {"title": "通报整改情况", "minutes": "5", "back": "setup"})
    assert r["Location"] == f"/meetings/campaign/{c2.pk}/"
    added = AgendaItem.objects.get(meeting=m2, title="通报整改情况")
    assert added.position == 2
    html = org.get(r["Location"]).content.decode()
    assert f'data-testid="remove-{added.pk}"' in html
    org.post(f"/meetings/{m2.pk}/act/remove_item/", {"item": added.pk, "back": "setup"})
    assert not AgendaItem.objects.filter(pk=added.pk).exists()


def test_state_json_etag_and_304(meeting_setup, users, client_for):
    m = meeting_setup.meeting
    c = client_for(users.observer)
    r = c.get(f"/meetings/{m.pk}/state.json")
    assert r.status_code == 200 and r["Cache-Control"] == "no-store"
    etag = r["ETag"]
    body = r.json()
    assert body["meeting"]["state"] == "planned" and body["control"]["version"] == 1
    r = c.get(f"/meetings/{m.pk}/state.json", headers={"If-None-Match": etag})
    assert r.status_code == 304 and r["ETag"] == etag
    actions.start_meeting(users.organiser, m)
    r = c.get(f"/meetings/{m.pk}/state.json", headers={"If-None-Match": etag})
    assert r.status_code == 200 and r["ETag"] != etag and r.json()["current"]["unit"] == "东城街道党工委"


def test_live_panel_carries_the_state_etag(meeting_setup, users, client_for):
    m = meeting_setup.meeting
    c = client_for(users.organiser)
    etag = c.get(f"/meetings/{m.pk}/state.json")["ETag"]
    html = c.get(f"/meetings/{m.pk}/control/live/").content.decode().replace("&quot;", '"')
    assert f'data-etag="{etag}"' in html


def test_every_control_post_is_audited(meeting_setup, users, client_for):
    m = meeting_setup.meeting
    c = client_for(users.organiser)
    c.post(f"/meetings/{m.pk}/act/start_meeting/", headers=HTMX)
    c.post(f"/meetings/{m.pk}/act/next/", headers=HTMX)
    assert list(AuditEvent.objects.filter(action__startswith="meeting.").values_list("action", flat=True)) == [
        "meeting.create", "meeting.start_meeting", "meeting.next"]


def test_nav_and_tab_for_meeting_readers(meeting_setup, users, client_for):
    for who in (users.organiser, users.observer, users.chair):
        html = client_for(who).get("/").content.decode()
        assert 'href="/meetings/"' in html
    assert 'href="/meetings/"' not in client_for(users.judge).get("/").content.decode()
