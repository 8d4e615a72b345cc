"""Drafting pages and API: who may open what, the draft shows the facts with their source links, inserting it into
the chair's pad, the closing outline page and .docx, and the JSON API."""

from __future__ import annotations

import io

import pytest
from docx import Document

from shuping.meetings.models import Commentary
from shuping.meetings.tests.conftest import meeting_setup  # noqa: F401 (fixture)
from shuping.speeches.tests.test_drafting import drafting_setup  # noqa: F401 (fixture)

EDITORS = ["organiser", "chair"]
OTHERS = ["observer", "admin", "judge", "teller", "reporter", "owner", "other_reporter", "nobody"]


def pages(s) -> dict[str, str]:
    return {
        "index": "/speeches/drafts/",
        "draft": f"/speeches/draft/{s.east.pk}/",
        "closing": f"/speeches/closing/{s.campaign.pk}/",
        "docx": f"/speeches/closing/{s.campaign.pk}/outline.docx",
    }


@pytest.mark.parametrize("page", ["index", "draft", "closing", "docx"])
@pytest.mark.parametrize("who", EDITORS)
def test_editors_open_every_page(drafting_setup, users, client_for, page, who):  # noqa: F811
    assert client_for(getattr(users, who)).get(pages(drafting_setup)[page]).status_code == 200


@pytest.mark.parametrize("page", ["index", "draft", "closing", "docx"])
@pytest.mark.parametrize("who", OTHERS)
def test_others_get_403(drafting_setup, users, client_for, page, who):  # noqa: F811
    assert client_for(getattr(users, who)).get(pages(drafting_setup)[page]).status_code == 403


def test_anonymous_is_sent_to_login(drafting_setup, client):  # noqa: F811
    r = client.get(pages(drafting_setup)["draft"])
    assert r.status_code == 302 and "/login/" in r["Location"]


def test_unknown_reporter_and_campaign_are_404(drafting_setup, users, client_for):  # noqa: F811
    c = client_for(users.chair)
    assert c.get("/speeches/draft/999999/").status_code == 404
    assert c.get("/speeches/closing/999999/").status_code == 404


def test_the_draft_page_shows_the_facts_with_links_and_the_plain_text_without(drafting_setup, users, client_for):  # noqa: F811
    s = drafting_setup
    r = client_for(users.chair).get(f"/speeches/draft/{s.east.pk}/")
    html = r.content.decode()
    draft = html[html.index('data-testid="draft"'):html.index('data-testid="plain-text"')]
    assert "全年召开党工委理论学习中心组学习会12次" in draft
    assert f'href="/reports/{s.report.pk}/#section-performance"' in draft
    assert "社区党组织书记后备力量不足" in draft and f'href="/ledger/{s.open_entry.pk}/"' in draft
    assert "党建经费未单列" in draft and f'href="/ledger/{s.closed_entry.pk}/"' in draft
    assert "好评率为75.00%" in draft and f'href="/ballots/{s.last_box.pk}/results/"' in draft
    assert "“问题查摆与整改”一项平均13.00分" in draft and f'href="/scoring/campaign/{s.campaign.pk}/"' in draft
    assert "<sup>" in draft and "别的单位的问题" not in html
    plain = r.context["text"]
    assert "全年召开党工委理论学习中心组学习会12次" in plain and "/reports/" not in plain and "[1]" not in plain
    assert "匿名" in html  # ballot comments: said why they are left out
    assert 'data-testid="insert"' in html and 'data-testid="polish"' not in html  # LLM off by default


def test_the_organiser_sees_the_draft_but_cannot_insert(drafting_setup, users, client_for):  # noqa: F811
    s = drafting_setup
    c = client_for(users.organiser)
    assert 'data-testid="insert"' not in c.get(f"/speeches/draft/{s.east.pk}/").content.decode()
    assert c.post(f"/speeches/draft/{s.east.pk}/insert/", {"text": "x"}).status_code == 403
    assert not Commentary.objects.exists()


def test_the_chair_inserts_the_draft_after_what_is_in_the_pad(drafting_setup, users, client_for):  # noqa: F811
    from shuping.meetings.commentary import save_commentary

    s = drafting_setup
    save_commentary(users.chair, s.east, "现场记下的一句。", 0)
    c = client_for(users.chair)
    text = c.get(f"/speeches/draft/{s.east.pk}/").context["text"]
    r = c.post(f"/speeches/draft/{s.east.pk}/insert/", {"text": text})
    assert r.status_code == 302 and r["Location"] == f"/meetings/{s.meeting.pk}/chair/{s.east.pk}/"
    saved = Commentary.objects.get(participant=s.east)
    assert saved.text.startswith("现场记下的一句。\n\n一、亮点") and "社区党组织书记后备力量不足" in saved.text
    assert saved.revision == 2
    assert c.get(f"/speeches/draft/{s.east.pk}/insert/").status_code == 405


def test_the_closing_page_and_docx(drafting_setup, users, client_for):  # noqa: F811
    s = drafting_setup
    c = client_for(users.organiser)
    html = c.get(f"/speeches/closing/{s.campaign.pk}/").content.decode()
    assert "总结讲话提纲" in html and "二、存在的共性问题" in html and "党务队伍建设" in html
    assert f'href="/reports/{s.report.pk}/#section-problems"' in html
    assert "考核结果尚未公布" in html
    r = c.get(f"/speeches/closing/{s.campaign.pk}/outline.docx")
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment; filename*=UTF-8''" in r["Content-Disposition"]
    texts = [p.text for p in Document(io.BytesIO(r.content)).paragraphs]
    assert texts[0].endswith("总结讲话提纲") and "同志们：" in texts and "三、下步工作要求" in texts


def test_the_chair_pad_links_to_the_draft(drafting_setup, users, client_for):  # noqa: F811
    s = drafting_setup
    html = client_for(users.chair).get(f"/meetings/{s.meeting.pk}/chair/{s.east.pk}/").content.decode()
    assert f'href="/speeches/draft/{s.east.pk}/"' in html and "生成点评草稿" in html


# --- API ---------------------------------------------------------------------------------------------

@pytest.fixture
def api_for():
    from django.test import Client

    from shuping.accounts.actions import create_token

    def make(user):
        _, raw = create_token(user, "test")
        return Client(headers={"Authorization": f"Bearer {raw}"})

    return make


def test_api_draft_for_editors_only(drafting_setup, users, api_for):  # noqa: F811
    s = drafting_setup
    url = f"/api/speeches/drafts/commentary/{s.east.pk}"
    data = api_for(users.chair).get(url).json()
    assert [x["key"] for x in data["sections"]] == ["highlights", "problems", "suggestions"]
    facts = [x for sec in data["sections"] for x in sec["sentences"] if x["sources"]]
    assert any("社区党组织书记后备力量不足" in x["text"] and x["sources"][0]["url"] == f"/ledger/{s.open_entry.pk}/"
               for x in facts)
    assert "一、亮点" in data["text"]
    assert api_for(users.observer).get(url).status_code == 403
    assert api_for(users.reporter).get(url).status_code == 403
    assert api_for(users.organiser).get("/api/speeches/drafts/commentary/999999").status_code == 404
    closing = api_for(users.organiser).get(f"/api/speeches/drafts/closing/{s.campaign.pk}")
    assert closing.status_code == 200 and closing.json()["sections"][0]["key"] == "opening"
    assert api_for(users.judge).get(f"/api/speeches/drafts/closing/{s.campaign.pk}").status_code == 403


def test_api_phrases(drafting_setup, users, api_for):  # noqa: F811
    organiser, chair = api_for(users.organiser), api_for(users.chair)
    assert len(chair.get("/api/speeches/phrases").json()) >= 35
    assert api_for(users.observer).get("/api/speeches/phrases").status_code == 403
    body = {"slot": "suggestion", "category": "style", "text": "要少开会、开短会。"}
    assert chair.post("/api/speeches/phrases", body, content_type="application/json").status_code == 403
    r = organiser.post("/api/speeches/phrases", body, content_type="application/json")
    assert r.status_code == 201 and r.json()["text"] == "要少开会、开短会。"
    pid = r.json()["id"]
    assert chair.patch(f"/api/speeches/phrases/{pid}", {"active": False},
                       content_type="application/json").status_code == 403
    r = organiser.patch(f"/api/speeches/phrases/{pid}", {"active": False, "text": "要开短会。"},
                        content_type="application/json")
    assert r.status_code == 200 and r.json()["active"] is False and r.json()["text"] == "要开短会。"
    r = organiser.post("/api/speeches/phrases", {"slot": "closing", "category": "style", "text": "x"},
                       content_type="application/json")
    assert r.status_code == 422 and "只有“问题”和“建议/要求”" in r.json()["errors"][0]
