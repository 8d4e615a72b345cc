"""The chair's pad pages: permissions of every page and POST, autosave answers, problems, the context panel."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from shuping.ballots.models import Ballot, BallotBox, BallotLine, BoxState
from shuping.campaigns.models import Campaign, CampaignState, Participant
from shuping.meetings.commentary import add_problem, save_commentary
from shuping.meetings.models import Commentary, CommentaryProblem
from shuping.rectification.models import EntryState, LedgerEntry, Source
from shuping.reports.models import Report, empty_sections
from shuping.scoring import actions_judging

READERS = ["chair", "organiser", "observer"]
OUTSIDERS = ["judge", "reporter", "other_reporter", "teller", "owner", "nobody"]


def urls(s) -> dict[str, str]:
    m, p = s.meeting.pk, s.east.pk
    return {
        "home": f"/meetings/{m}/chair/",
        "current": f"/meetings/{m}/chair/current.json",
        "pad": f"/meetings/{m}/chair/{p}/",
        "problems": f"/meetings/{m}/chair/{p}/problems/",
        "running_order": f"/meetings/{m}/docs/running-order.docx",
        "minutes": f"/meetings/{m}/docs/minutes.docx",
    }


@pytest.mark.parametrize("page", ["home", "current", "pad", "problems", "running_order", "minutes"])
@pytest.mark.parametrize("who", READERS)
def test_readers_open_every_page(meeting_setup, users, client_for, page, who):
    r = client_for(getattr(users, who)).get(urls(meeting_setup)[page])
    assert r.status_code == 200


@pytest.mark.parametrize("page", ["home", "current", "pad", "problems", "running_order", "minutes"])
@pytest.mark.parametrize("who", OUTSIDERS)
def test_others_get_403_on_every_page(meeting_setup, users, client_for, page, who):
    assert client_for(getattr(users, who)).get(urls(meeting_setup)[page]).status_code == 403


def test_anonymous_is_sent_to_login(meeting_setup, client):
    r = client.get(urls(meeting_setup)["pad"])
    assert r.status_code == 302 and "/login/" in r["Location"]


def posts(s, problem_id: int) -> dict[str, tuple[str, dict]]:
    base = f"/meetings/{s.meeting.pk}/chair/{s.east.pk}"
    return {
        "save": (f"{base}/save/", {"text": "新点评", "revision": "0"}),
        "add": (f"{base}/problems/add/", {"text": "新问题", "category": "style"}),
        "edit": (f"{base}/problems/{problem_id}/edit/", {"text": "改过的问题", "category": "style"}),
        "delete": (f"{base}/problems/{problem_id}/delete/", {}),
    }


@pytest.mark.parametrize("action", ["save", "add", "edit", "delete"])
@pytest.mark.parametrize("who", ["organiser", "observer", *OUTSIDERS])
def test_only_the_chair_posts(meeting_setup, users, client_for, action, who):
    p = add_problem(users.chair, meeting_setup.east, "原有问题", "members")
    url, data = posts(meeting_setup, p.pk)[action]
    assert client_for(getattr(users, who)).post(url, data).status_code == 403
    p.refresh_from_db()
    assert p.text == "原有问题" and not Commentary.objects.exclude(text="").exists()


@pytest.mark.parametrize("action", ["save", "add", "edit", "delete"])
def test_the_chair_posts(meeting_setup, users, client_for, action):
    p = add_problem(users.chair, meeting_setup.east, "原有问题", "members")
    url, data = posts(meeting_setup, p.pk)[action]
    r = client_for(users.chair).post(url, data, HTTP_HX_REQUEST="true")
    assert r.status_code == 200


def test_a_reporter_of_another_campaign_is_404(meeting_setup, users, client_for, district):
    other = Campaign.objects.create(year=2024, title="2024年度述职评议", committee=district.root,
                                    state=CampaignState.ARCHIVED)
    stranger = Participant.objects.create(campaign=other, unit=district.east, secretary=district.east.secretary)
    c = client_for(users.chair)
    assert c.get(f"/meetings/{meeting_setup.meeting.pk}/chair/{stranger.pk}/").status_code == 404
    assert c.post(f"/meetings/{meeting_setup.meeting.pk}/chair/{stranger.pk}/save/",
                  {"text": "x", "revision": "0"}).status_code == 404
    assert c.get("/meetings/999999/chair/").status_code == 404


def test_autosave_answers_the_revision_and_the_time(meeting_setup, users, client_for):
    c = client_for(users.chair)
    url = f"/meetings/{meeting_setup.meeting.pk}/chair/{meeting_setup.east.pk}/save/"
    r = c.post(url, {"text": "第一版", "revision": "0"})
    assert r.status_code == 200
    data = r.json()
    assert data["revision"] == 1 and len(data["saved_at"]) == 8 and 'id="problems"' in data["problems_html"]
    # An older window (still at revision 0) is refused with the current text; nothing is lost.
    r = c.post(url, {"text": "旧窗口的内容", "revision": "0"})
    assert r.status_code == 409
    assert r.json()["text"] == "第一版" and r.json()["revision"] == 1 and "另一窗口已修改" in r.json()["errors"][0]
    assert Commentary.objects.get().text == "第一版"
    assert c.post(url, {"text": "x"}).status_code == 422
    assert c.get(url).status_code == 405


def test_a_beacon_without_the_csrf_header_but_with_the_form_token_saves(meeting_setup, users):
    from django.test import Client

    c = Client(enforce_csrf_checks=True)
    c.force_login(users.chair)
    pad = c.get(f"/meetings/{meeting_setup.meeting.pk}/chair/{meeting_setup.east.pk}/")
    token = pad.context["csrf_token"]
    r = c.post(f"/meetings/{meeting_setup.meeting.pk}/chair/{meeting_setup.east.pk}/save/",
               {"text": "合盖前最后一句", "revision": "0", "csrfmiddlewaretoken": str(token)})
    assert r.status_code == 200 and Commentary.objects.get().text == "合盖前最后一句"


def test_adding_a_selected_problem_through_the_page(meeting_setup, users, client_for):
    text = "存在问题：党建经费保障不足。"
    save_commentary(users.chair, meeting_setup.east, text, 0)
    start = text.index("党建经费")
    r = client_for(users.chair).post(
        f"/meetings/{meeting_setup.meeting.pk}/chair/{meeting_setup.east.pk}/problems/add/",
        {"text": "", "category": "resources", "start": start, "end": start + 8, "quote": "党建经费保障不足"},
        HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    html = r.content.decode()
    assert "党建经费保障不足" in html and "阵地与经费保障" in html and f"第 {start + 1}–{start + 8} 字" in html
    assert CommentaryProblem.objects.get().start == start


def test_a_refused_problem_shows_the_message_in_the_list(meeting_setup, users, client_for):
    r = client_for(users.chair).post(
        f"/meetings/{meeting_setup.meeting.pk}/chair/{meeting_setup.east.pk}/problems/add/",
        {"text": "没有类别"}, HTTP_HX_REQUEST="true")
    assert "请选择问题类别" in r.content.decode() and 'data-testid="problem-errors"' in r.content.decode()
    # Without htmx: back to the pad with the message.
    r = client_for(users.chair).post(
        f"/meetings/{meeting_setup.meeting.pk}/chair/{meeting_setup.east.pk}/problems/add/", {"text": "没有类别"},
        follow=True)
    assert "请选择问题类别" in r.content.decode()


def test_the_pad_shows_the_context_of_the_reporter(meeting_setup, users, client_for, district):
    s = meeting_setup
    Report.objects.create(participant=s.east, sections={
        **empty_sections(), "performance": "成效：" + "甲" * 400, "problems": "问题：村级阵地建设滞后"})
    last = Campaign.objects.create(year=2024, title="2024年度述职评议", committee=district.root,
                                   state=CampaignState.ARCHIVED)
    Campaign.objects.filter(pk=last.pk).update(created_at=timezone.now() - timedelta(days=300))
    last.refresh_from_db()
    LedgerEntry.objects.create(campaign=last, unit=district.east, problem="软弱涣散党组织整顿不到位",
                               category="organisation", source=Source.COMMENTARY, deadline=date(2025, 6, 30))
    LedgerEntry.objects.create(campaign=last, unit=district.east, problem="党建经费未单列",
                               category="resources", source=Source.COMMENTARY, state=EntryState.CLOSED,
                               closed_at=timezone.now() - timedelta(days=30))
    LedgerEntry.objects.create(campaign=last, unit=district.west, problem="别的单位的问题",
                               category="style", source=Source.COMMENTARY)
    # Last year's published box: east got 好, 较好, 一般, 弃权 → 好评率 2/3.
    last_east = Participant.objects.create(campaign=last, unit=district.east, secretary=district.east.secretary)
    box = BallotBox.objects.create(campaign=last, state=BoxState.PUBLISHED)
    BallotLine.objects.create(box=box, participant=last_east, position=0)
    for g in "1230":
        Ballot.objects.create(box=box, group=0, grades=g)
    actions_judging.open_window(users.organiser, s.east)
    actions_judging.save_score(s.judges[0], s.east, ["20", "30", "15", "8"], submit=True)

    r = client_for(users.chair).get(f"/meetings/{s.meeting.pk}/chair/{s.east.pk}/")
    html = r.content.decode()
    assert "成效：" + "甲" * 297 + "……" in html and "甲" * 299 not in html
    assert "村级阵地建设滞后" in html
    assert "软弱涣散党组织整顿不到位" in html and "已超期" in html
    assert "党建经费未单列" in html and "已销号" in html
    assert "别的单位的问题" not in html
    assert "66.67%" in html
    assert 'data-testid="judges">1/3' in html
    assert 'id="commentary"' in html and "标记为问题" in html


def test_readers_see_the_text_but_no_editor(meeting_setup, users, client_for):
    save_commentary(users.chair, meeting_setup.east, "点评原文", 0)
    html = client_for(users.observer).get(f"/meetings/{meeting_setup.meeting.pk}/chair/{meeting_setup.east.pk}/"
                                          ).content.decode()
    assert "点评原文" in html and 'id="commentary"' not in html and "标记为问题" not in html


def test_home_lists_reporters_in_agenda_order_with_the_current_one(meeting_setup, users, client_for):
    s = meeting_setup
    s.meeting.current = s.items[1]
    s.meeting.save()
    save_commentary(users.chair, s.west, "已有点评", 0)
    html = client_for(users.chair).get(f"/meetings/{s.meeting.pk}/chair/").content.decode()
    assert html.index("东城街道党工委") < html.index("西城街道党工委")
    assert f'<tr data-item-id="{s.items[1].pk}" class="current">' in html
    assert "区教育局党委" not in html  # written reporters do not speak
    data = client_for(users.chair).get(f"/meetings/{s.meeting.pk}/chair/current.json").json()
    assert data["current"]["id"] == s.items[1].pk
