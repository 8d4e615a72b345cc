"""日常考核 page, template download, upload and JSON API: what each role may do and what a user sees."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from shuping.audit.models import AuditEvent
from shuping.campaigns import actions as campaign_actions
from shuping.results.models import ResultSheet, SheetState
from shuping.scoring import actions_routine
from shuping.scoring.models import RoutineScore
from shuping.scoring.tests.routine_workbooks import api_client, published_campaign, row, xlsx

LOCKED = "考核结果已提交审核/公布，日常考核得分已锁定"


@pytest.fixture
def campaign(users, district):
    return published_campaign(users, district)


def url(name, campaign):
    return reverse(f"scoring:{name}", args=[campaign.pk])


def upload(client, campaign, data, name="日常考核.xlsx"):
    return client.post(url("routine_import", campaign), {"file": SimpleUploadedFile(name, data)})


def stored(campaign):
    return dict(RoutineScore.objects.filter(participant__campaign=campaign).values_list("participant__unit__code", "score"))


def good_file():
    return xlsx([row("Q01", 87.3), row("Q02", 90)])


# ---------------------------------------------------------------- page


def test_readers_see_the_page_and_others_are_refused(users, client_for, campaign):
    for who in (users.organiser, users.observer, users.chair):
        assert client_for(who).get(url("routine", campaign)).status_code == 200, who
    for who in (users.admin, users.judge, users.teller, users.reporter, users.owner, users.nobody):
        assert client_for(who).get(url("routine", campaign)).status_code == 403, who


def test_anonymous_users_are_sent_to_login(client, campaign):
    r = client.get(url("routine", campaign))
    assert r.status_code == 302 and r["Location"].startswith("/login/")


def test_a_draft_campaign_is_hidden_from_the_chair(users, client_for, district):
    from datetime import date

    draft = campaign_actions.create_campaign(users.organiser, year=2026, title="2026年度述职评议",
                                             committee=district.root, meeting_date=date(2027, 1, 20))
    assert client_for(users.chair).get(url("routine", draft)).status_code == 404
    r = client_for(users.organiser).get(url("routine", draft))
    assert r.status_code == 200 and "发布后才能导入日常考核得分" in r.content.decode()
    assert 'data-testid="upload"' not in r.content.decode()


def test_an_unknown_campaign_is_404(users, client_for):
    assert client_for(users.organiser).get(reverse("scoring:routine", args=[99999])).status_code == 404


def test_the_page_shows_scores_sources_and_who_has_none(users, client_for, campaign):
    actions_routine.import_routine(users.organiser, campaign, good_file(), "三月.xlsx")
    html = client_for(users.observer).get(url("routine", campaign)).content.decode()
    assert "87.30" in html and "90.00" in html and "三月.xlsx 日常考核 第 2 行" in html and "组织部小王" in html
    assert "已有日常考核得分 2 个" in html and "无得分 1 个" in html and "区教育局党委" in html
    assert "未导入：综合得分中该项不计入" in html
    # Observers read: no upload form, no template link.
    assert 'data-testid="upload"' not in html and 'data-testid="template"' not in html


def test_the_organiser_sees_the_upload_form_and_template_link(users, client_for, campaign):
    html = client_for(users.organiser).get(url("routine", campaign)).content.decode()
    assert 'data-testid="upload"' in html and url("routine_template", campaign) in html


def test_the_campaign_tabs_link_the_page_for_its_readers(users, client_for, campaign):
    link = url("routine", campaign)
    for who in (users.organiser, users.observer, users.chair):
        assert link in client_for(who).get(reverse("campaigns:detail", args=[campaign.pk])).content.decode(), who
    assert link not in client_for(users.judge).get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()


# ---------------------------------------------------------------- upload


def test_an_upload_imports_and_shows_the_result(users, client_for, campaign):
    r = upload(client_for(users.organiser), campaign, good_file())
    html = r.content.decode()
    assert r.status_code == 200 and "已导入“日常考核.xlsx”" in html
    assert "以下 1 个述职对象未列入文件，没有日常考核得分" in html and "区教育局党委（李育才）" in html
    assert stored(campaign) == {"Q01": Decimal("87.30"), "Q02": Decimal("90.00")}


def test_a_bad_upload_lists_every_problem_and_keeps_nothing(users, client_for, campaign):
    actions_routine.import_routine(users.organiser, campaign, xlsx([row("Q11", 70)]), "旧.xlsx")
    events = AuditEvent.objects.count()
    bad = xlsx([row("Q01", 80), row("Q02", "优秀"), row("Q99", 101)])
    r = upload(client_for(users.organiser), campaign, bad, "坏.xlsx")
    html = r.content.decode()
    assert r.status_code == 422
    assert "未导入：文件“坏.xlsx”共有 3 处问题，系统中的日常考核得分没有任何改动" in html
    assert "文件“坏.xlsx” 工作表“日常考核” 第 3 行 “日常考核得分”列：“优秀”不是数字" in html
    assert "第 4 行 “单位代码”列：单位代码“Q99”在系统中不存在" in html
    assert "第 4 行 “日常考核得分”列：得分 101 超出 0–100 的范围" in html
    assert stored(campaign) == {"Q11": Decimal("70.00")} and AuditEvent.objects.count() == events


def test_a_file_over_the_limit_is_refused(users, client_for, campaign):
    r = upload(client_for(users.organiser), campaign, good_file() + b"\x00" * (5 * 1024 * 1024 + 10))
    assert r.status_code == 422 and "文件过大（超过 5 MB）" in r.content.decode()
    assert stored(campaign) == {}


def test_an_upload_without_a_file_is_refused(users, client_for, campaign):
    r = client_for(users.organiser).post(url("routine_import", campaign), {})
    assert r.status_code == 422 and 'data-testid="errors"' in r.content.decode()


def test_a_locked_campaign_refuses_the_upload_and_hides_the_form(users, client_for, campaign):
    ResultSheet.objects.create(campaign=campaign, state=SheetState.SUBMITTED, input_digest="0" * 64,
                               computed_at=timezone.now(), computed_by=users.organiser)
    c = client_for(users.organiser)
    r = upload(c, campaign, good_file())
    assert r.status_code == 422 and LOCKED in r.content.decode() and stored(campaign) == {}
    html = c.get(url("routine", campaign)).content.decode()
    assert LOCKED in html and 'data-testid="upload"' not in html


def test_only_organisers_upload_and_download_the_template(users, client_for, campaign):
    for who in (users.observer, users.chair, users.admin, users.judge, users.reporter, users.nobody):
        c = client_for(who)
        assert upload(c, campaign, good_file()).status_code == 403, who
        assert c.get(url("routine_template", campaign)).status_code == 403, who
    assert stored(campaign) == {}
    assert client_for(users.organiser).get(url("routine_import", campaign)).status_code == 405


def test_the_template_download_is_the_campaigns_workbook(users, client_for, campaign):
    r = client_for(users.organiser).get(url("routine_template", campaign))
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''2025" in r["Content-Disposition"]
    ws = load_workbook(io.BytesIO(r.content))["日常考核"]
    assert [c.value for c in ws["A"]] == ["单位代码", "Q01", "Q02", "Q11"]


# ---------------------------------------------------------------- API


def api(campaign, tail=""):
    return f"/api/campaigns/{campaign.pk}/routine-scores{tail}"


def test_api_reads_scores_for_readers_only(users, campaign):
    actions_routine.import_routine(users.organiser, campaign, good_file(), "三月.xlsx")
    for who in (users.organiser, users.observer, users.chair):
        r = api_client(who).get(api(campaign))
        assert r.status_code == 200, who
    body = r.json()
    assert [(x["unit_code"], x["score"], x["source"]) for x in body] == [
        ("Q01", "87.30", "三月.xlsx 日常考核 第 2 行"), ("Q02", "90.00", "三月.xlsx 日常考核 第 3 行"), ("Q11", None, None)]
    assert body[0]["imported_by"] == "organiser" and body[0]["secretary"] == "钱东明"
    for who in (users.admin, users.judge, users.teller, users.reporter, users.nobody):
        assert api_client(who).get(api(campaign)).status_code == 403, who


def test_api_needs_a_token_and_answers_404_for_unknown_campaigns(users, client):
    assert client.get("/api/campaigns/1/routine-scores").status_code == 401
    assert api_client(users.organiser).get("/api/campaigns/99999/routine-scores").status_code == 404


def test_api_template_is_for_organisers(users, campaign):
    r = api_client(users.organiser).get(api(campaign, "/template"))
    assert r.status_code == 200 and load_workbook(io.BytesIO(r.content)).sheetnames == ["日常考核", "说明"]
    assert api_client(users.observer).get(api(campaign, "/template")).status_code == 403


def test_api_import_replaces_and_reports(users, campaign):
    c = api_client(users.organiser)
    r = c.post(api(campaign, "/import"), {"file": SimpleUploadedFile("三月.xlsx", good_file())})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["count"] == 2 and body["changed"] == 2 and body["file"] == "三月.xlsx"
    assert body["scores"][0] == {"unit_code": "Q01", "score": "87.30", "previous": None, "row": 2}
    assert body["without_score"] == [{"unit_code": "Q11", "unit_name": "区教育局党委", "previous": None}]
    r = c.post(api(campaign, "/import"), {"file": SimpleUploadedFile("四月.xlsx", xlsx([row("Q11", 66)]))})
    assert r.status_code == 200 and stored(campaign) == {"Q11": Decimal("66.00")}


def test_api_import_refuses_with_the_same_messages_as_the_page(users, client_for, campaign):
    bad = xlsx([row("Q01", 80), row("Q01", 88.555)])
    r = api_client(users.organiser).post(api(campaign, "/import"), {"file": SimpleUploadedFile("坏.xlsx", bad)})
    assert r.status_code == 422
    errors = r.json()["errors"]
    assert errors == [
        "文件“坏.xlsx” 工作表“日常考核” 第 3 行 “单位代码”列：单位代码“Q01”重复（第 2 行已有）",
        "文件“坏.xlsx” 工作表“日常考核” 第 3 行 “日常考核得分”列：得分 88.555 超过 2 位小数",
    ]
    page = upload(client_for(users.organiser), campaign, bad, "坏.xlsx").content.decode()
    assert all(m in page for m in errors)
    assert stored(campaign) == {}


def test_api_import_is_locked_with_the_results(users, campaign):
    ResultSheet.objects.create(campaign=campaign, state=SheetState.PUBLISHED, input_digest="0" * 64,
                               computed_at=timezone.now(), computed_by=users.organiser)
    r = api_client(users.organiser).post(api(campaign, "/import"), {"file": SimpleUploadedFile("a.xlsx", good_file())})
    assert r.status_code == 422 and r.json()["errors"] == [LOCKED]


def test_api_import_is_for_organisers(users, campaign):
    for who in (users.observer, users.chair, users.admin, users.judge, users.reporter, users.nobody):
        r = api_client(who).post(api(campaign, "/import"), {"file": SimpleUploadedFile("a.xlsx", good_file())})
        assert r.status_code == 403, who
    assert stored(campaign) == {}
