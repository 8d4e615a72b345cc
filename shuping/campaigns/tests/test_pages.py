"""Campaign pages: who may open and use each one, and what they see."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shuping.accounts.models import Role
from shuping.audit.models import AuditEvent
from shuping.campaigns import actions
from shuping.campaigns.models import Campaign, CampaignState, LotDraw, Participant, ParticipantMode
from shuping.conftest import make_user
from shuping.orgs.models import Person, Unit

READ_PAGES = ["detail", "scheme", "participants"]
EDIT_GETS = ["edit", "scheme_edit", "participants_add"]


def url(name: str, c: Campaign, *extra: int) -> str:
    return reverse(f"campaigns:{name}", args=[c.pk, *extra])


def test_the_list_shows_states_and_filters(users, client_for, campaign, published_2024):
    r = client_for(users.organiser).get(reverse("campaigns:list"))
    assert r.status_code == 200
    html = r.content.decode()
    assert "2025年度党（工）委书记" in html and "state-draft" in html and "state-published" in html
    r = client_for(users.organiser).get(reverse("campaigns:list"), {"state": "published"})
    assert "2025年度党（工）委书记" not in r.content.decode() and "2024年度" in r.content.decode()
    r = client_for(users.organiser).get(reverse("campaigns:list"), {"year": "2025"})
    assert "2024年度" not in r.content.decode()


@pytest.fixture
def published_2024(users, district) -> Campaign:
    import datetime

    c = actions.create_campaign(users.organiser, year=2024, title="2024年度述职评议", committee=district.root,
                                meeting_date=datetime.date(2025, 1, 15))
    actions.add_participant(users.organiser, c, district.east)
    return actions.transition(users.organiser, c, "published")


def test_the_list_hides_drafts_from_chair_judge_and_reporters(users, client_for, campaign, published_2024):
    for who in (users.chair, users.judge, users.teller, users.reporter):
        html = client_for(who).get(reverse("campaigns:list")).content.decode()
        assert "2024年度述职评议" in html and "2025年度党（工）委书记" not in html, who
    assert client_for(users.nobody).get(reverse("campaigns:list")).status_code == 403


def test_the_list_shows_reporters_only_their_units_campaigns(users, client_for, published_2024):
    html = client_for(users.other_reporter).get(reverse("campaigns:list")).content.decode()
    assert "2024年度述职评议" not in html


def test_anonymous_users_are_sent_to_login(client, campaign):
    r = client.get(url("detail", campaign))
    assert r.status_code == 302 and r["Location"].startswith("/login/")


@pytest.mark.parametrize("name", READ_PAGES)
def test_drafts_are_readable_by_organiser_observer_admin_only(users, client_for, campaign, name):
    for who in (users.organiser, users.observer, users.admin):
        assert client_for(who).get(url(name, campaign)).status_code == 200, who
    for who in (users.chair, users.judge, users.teller, users.reporter):
        assert client_for(who).get(url(name, campaign)).status_code == 404, who
    assert client_for(users.nobody).get(url(name, campaign)).status_code == 403


@pytest.mark.parametrize("name", READ_PAGES)
def test_published_campaigns_are_readable_by_participants(users, client_for, published, name):
    for who in (users.chair, users.judge, users.teller, users.reporter, users.other_reporter):
        assert client_for(who).get(url(name, published)).status_code == 200, who


def test_reporters_of_other_units_do_not_see_the_campaign(users, client_for, published, streets):
    outsider = make_user("outsider", Role.REPORTER, unit=streets[0])
    assert client_for(outsider).get(url("detail", published)).status_code == 404


def test_a_reporter_sees_only_their_own_participant_row(users, client_for, published):
    html = client_for(users.reporter).get(url("participants", published)).content.decode()
    assert "东城街道党工委" in html and "西城街道党工委" not in html and "区教育局党委" not in html
    assert "添加述职对象" not in html and "移除" not in html


def test_lots_are_not_for_reporters(users, client_for, published):
    assert client_for(users.reporter).get(url("lots", published)).status_code == 403
    assert client_for(users.judge).get(url("lots", published)).status_code == 200
    assert client_for(users.observer).get(url("lots", published)).status_code == 200


@pytest.mark.parametrize("name", EDIT_GETS)
def test_edit_pages_are_for_organisers(users, client_for, campaign, name):
    assert client_for(users.organiser).get(url(name, campaign)).status_code == 200
    for who in (users.observer, users.admin, users.chair, users.reporter, users.nobody):
        assert client_for(who).get(url(name, campaign)).status_code == 403, who


def test_participant_edit_page_is_for_organisers(users, client_for, campaign):
    p = campaign.participants.get(unit__code="Q01")
    assert client_for(users.organiser).get(url("participant_edit", campaign, p.pk)).status_code == 200
    assert client_for(users.observer).get(url("participant_edit", campaign, p.pk)).status_code == 403


def test_post_endpoints_refuse_everyone_but_organisers(users, client_for, campaign):
    p = campaign.participants.get(unit__code="Q01")
    posts = [
        (url("transition", campaign), {"to": "published"}),
        (url("copy", campaign), {}),
        (url("participant_remove", campaign, p.pk), {}),
        (url("participant_move", campaign, p.pk), {"direction": "down"}),
        (url("participants_order", campaign), {"order": [p.pk]}),
        (url("lots_draw", campaign), {"group": "街道", "count": 1}),
        (url("participants_add", campaign), {"category": "街道", "mode": "onsite"}),
        (url("scheme_edit", campaign), {}),
        (url("edit", campaign), {"title": "x", "year": 2025}),
        (reverse("campaigns:new"), {"title": "x", "year": 2030}),
    ]
    for who in (users.observer, users.admin, users.chair, users.judge, users.reporter, users.nobody):
        c = client_for(who)
        for path, data in posts:
            assert c.post(path, data).status_code == 403, (who, path)
    assert Campaign.objects.get(pk=campaign.pk).state == CampaignState.DRAFT
    assert Campaign.objects.count() == 1 and campaign.participants.count() == 3


def test_other_campaigns_participants_answer_404(users, client_for, campaign, published_2024):
    foreign = published_2024.participants.get()
    r = client_for(users.organiser).post(url("participant_remove", campaign, foreign.pk))
    assert r.status_code == 404
    assert Participant.objects.filter(pk=foreign.pk).exists()


def test_organiser_creates_a_campaign(users, client_for, district):
    r = client_for(users.organiser).post(reverse("campaigns:new"), {
        "year": 2026, "title": "2026年度述职评议", "committee": district.root.pk, "meeting_date": "2027-01-20"})
    c = Campaign.objects.get(year=2026)
    assert r.status_code == 302 and r["Location"] == url("detail", c)
    assert str(c.report_deadline) == "2027-01-10" and c.state == CampaignState.DRAFT


def test_the_create_form_shows_action_errors(users, client_for, campaign, district):
    r = client_for(users.organiser).post(reverse("campaigns:new"), {
        "year": 2025, "title": "重复", "committee": district.root.pk})
    assert r.status_code == 200 and "2025 年度考核方案已存在" in r.content.decode()


def test_organiser_edits_basic_fields(users, client_for, campaign):
    r = client_for(users.organiser).post(url("edit", campaign), {
        "year": 2025, "title": "改过的名称", "meeting_date": "2026-01-22", "report_deadline": ""})
    assert r.status_code == 302
    campaign.refresh_from_db()
    assert campaign.title == "改过的名称" and str(campaign.report_deadline) == "2026-01-12"


def test_detail_shows_only_legal_next_states(users, client_for, published):
    html = client_for(users.organiser).get(url("detail", published)).content.decode()
    assert 'data-testid="to-meeting"' in html
    assert 'data-testid="to-archived"' not in html and 'data-testid="to-published"' not in html


def test_detail_asks_a_reason_for_backward_moves(users, client_for, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(state="announced")
    html = client_for(users.organiser).get(url("detail", campaign)).content.decode()
    assert 'data-testid="to-archived"' in html and 'data-testid="to-review"' in html
    assert "退回“审核中”的理由（必填）" in html


def test_detail_lists_publish_problems_and_history(users, client_for, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(meeting_date=None)
    html = client_for(users.organiser).get(url("detail", campaign)).content.decode()
    assert "请先填写述职评议会日期" in html
    assert "创建考核方案“2025年度" in html  # history from the audit log


def test_history_is_not_shown_to_chairs(users, client_for, published):
    html = client_for(users.chair).get(url("detail", published)).content.decode()
    assert 'data-testid="history"' not in html and 'data-testid="to-meeting"' not in html


def test_transition_through_the_page(users, client_for, campaign):
    c = client_for(users.organiser)
    r = c.post(url("transition", campaign), {"to": "published"}, follow=True)
    assert "考核方案已变为“已发布”" in r.content.decode()
    r = c.post(url("transition", campaign), {"to": "archived"}, follow=True)
    assert "不能从“已发布”变为“已归档”" in r.content.decode()
    assert Campaign.objects.get(pk=campaign.pk).state == CampaignState.PUBLISHED


def test_backward_move_without_reason_is_refused_on_the_page(users, client_for, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(state="review")
    r = client_for(users.organiser).post(url("transition", campaign), {"to": "tallying", "reason": ""}, follow=True)
    assert "必须填写理由" in r.content.decode()
    assert Campaign.objects.get(pk=campaign.pk).state == CampaignState.REVIEW


def test_copy_through_the_page(users, client_for, campaign):
    r = client_for(users.organiser).post(url("copy", campaign))
    new = Campaign.objects.get(year=2026)
    assert r.status_code == 302 and r["Location"] == url("detail", new)
    assert new.participants.count() == 3


def scheme_post(**changes: str) -> dict[str, object]:
    data: dict[str, object] = {
        "grade_points_0": "100", "grade_points_1": "80", "grade_points_2": "60", "grade_points_3": "0",
        "group_name": ["区委领导", "党代表", ""], "group_weight": ["40", "60", ""],
        "indicator_name": ["述职内容", "工作成效"], "indicator_max": ["50", "50"],
        "ballot_item": ["理论武装"],
        "weight_judging": "30", "weight_ballot": "40", "weight_routine": "20", "weight_rectification": "10",
        "threshold_0": "90", "threshold_1": "80", "threshold_2": "70", "quota_good_percent": "30",
        "veto_enabled": "on", "veto_bad_share": "1/3", "tie_breaks": ["ballot", "judging", "", ""],
        "min_group_size_shown": "5", "trim_k": "1", "trim_min_judges": "5",
        "report_days_before_meeting": "7", "speaking_minutes": "5", "progress_report_months": "3",
    }
    data.update(changes)
    return data


def test_the_scheme_editor_saves(users, client_for, campaign):
    r = client_for(users.organiser).post(url("scheme_edit", campaign), scheme_post())
    assert r.status_code == 302
    campaign.refresh_from_db()
    s = campaign.scheme
    assert s["voter_groups"] == [{"name": "区委领导", "weight": "40"}, {"name": "党代表", "weight": "60"}]
    assert s["judge_indicators"][1] == {"name": "工作成效", "max_points": "50"}
    assert s["ballot_items"] == ["理论武装"] and s["speaking_minutes"] == 5 and s["veto_enabled"] is True
    assert s["tie_breaks"] == ["ballot", "judging"]
    html = client_for(users.organiser).get(url("scheme", campaign)).content.decode()
    assert "党代表" in html and "60%" in html and "每人 5 分钟" in html


def test_the_scheme_editor_shows_all_messages_at_the_top(users, client_for, campaign):
    r = client_for(users.organiser).post(url("scheme_edit", campaign), scheme_post(
        group_weight=["40", "70"], threshold_2="85", weight_routine="30"))
    assert r.status_code == 422
    html = r.content.decode()
    assert "考核规则有 3 处需要修改，未保存" in html
    assert "测评人员类别权重合计应为 100%，当前为 110%" in html
    assert "综合得分各组成部分权重合计应为 100%，当前为 110%" in html
    assert "等次分数线应满足" in html
    assert 'value="70"' in html  # what was typed stays in the form
    campaign.refresh_from_db()
    assert campaign.scheme["voter_groups"][0]["weight"] == "20"


def test_the_scheme_editor_is_read_only_once_published(users, client_for, published):
    c = client_for(users.organiser)
    html = c.get(url("scheme_edit", published)).content.decode()
    assert "考核规则已冻结，以下内容只读" in html and "<fieldset disabled>" in html
    assert 'data-testid="save-scheme"' not in html
    r = c.post(url("scheme_edit", published), scheme_post())
    assert r.status_code == 422 and "考核规则已冻结" in r.content.decode()
    published.refresh_from_db()
    assert published.scheme["speaking_minutes"] == 6
    assert 'data-testid="edit-scheme"' not in c.get(url("scheme", published)).content.decode()


def test_bulk_add_all_units_of_a_category(users, client_for, campaign, streets):
    r = client_for(users.organiser).post(url("participants_add", campaign),
                                         {"category": "街道", "mode": "written", "draw_group": "街道"})
    assert r.status_code == 302
    assert campaign.participants.filter(mode=ParticipantMode.WRITTEN, draw_group="街道").count() == 5


def test_add_picked_units(users, client_for, campaign, streets):
    page = client_for(users.organiser).get(url("participants_add", campaign), {"category": "街道", "q": "第3"})
    html = page.content.decode()
    assert "第3街道党工委" in html and "第4街道党工委" not in html and "东城街道党工委" not in html
    r = client_for(users.organiser).post(url("participants_add", campaign),
                                         {"units": [streets[0].pk, streets[1].pk], "mode": "onsite"})
    assert r.status_code == 302
    assert list(campaign.participants.filter(mode="onsite").order_by("speaking_order")
            .values_list("unit__code", flat=True)) == ["Q01", "Q02", "Q03", "Q04"]


def test_adding_nothing_says_so(users, client_for, campaign):
    r = client_for(users.organiser).post(url("participants_add", campaign), {"mode": "onsite"})
    assert "请勾选单位，或选择一个类别" in r.content.decode()


def test_edit_move_order_and_remove_on_the_page(users, client_for, campaign):
    c = client_for(users.organiser)
    east = campaign.participants.get(unit__code="Q01")
    west = campaign.participants.get(unit__code="Q02")
    c.post(url("participant_move", campaign, east.pk), {"direction": "down"})
    assert list(campaign.participants.filter(mode="onsite").order_by("speaking_order")
                .values_list("unit__code", flat=True)) == ["Q02", "Q01"]
    c.post(url("participants_order", campaign), {"order": [east.pk, west.pk]})
    assert Participant.objects.get(pk=east.pk).speaking_order == 1
    r = c.post(url("participant_edit", campaign, east.pk),
               {"secretary": east.secretary_id, "mode": "written", "speaking_order": "", "draw_group": "街道"})
    assert r.status_code == 302
    east.refresh_from_db()
    assert (east.mode, east.speaking_order, east.draw_group) == ("written", None, "街道")
    c.post(url("participant_remove", campaign, west.pk))
    assert not Participant.objects.filter(pk=west.pk).exists()


def test_draw_and_replay_on_the_page(users, client_for, campaign, streets):
    actions.add_participants(users.organiser, campaign, streets, draw_group="街道")
    c = client_for(users.organiser)
    html = c.get(url("lots", campaign)).content.decode()
    assert "街道（5 个）" in html
    r = c.post(url("lots_draw", campaign), {"group": "街道", "count": 2}, follow=True)
    lot = LotDraw.objects.get()
    html = r.content.decode()
    assert f"抽签完成（种子 {lot.seed}）" in html and 'data-testid="replay-ok"' in html
    LotDraw.objects.filter(pk=lot.pk).update(drawn=list(reversed(lot.drawn)))
    assert 'data-testid="replay-bad"' in c.get(url("lots", campaign)).content.decode()


def test_a_bad_draw_count_is_explained(users, client_for, campaign, streets):
    actions.add_participants(users.organiser, campaign, streets, draw_group="街道")
    r = client_for(users.organiser).post(url("lots_draw", campaign), {"group": "街道", "count": 9}, follow=True)
    assert "抽取人数应在 1 到 5 之间" in r.content.decode()
    assert not LotDraw.objects.exists()


def big_campaign(users, district, n: int) -> Campaign:
    import datetime

    units = Unit.objects.bulk_create([
        Unit(code=f"B{i:04d}", name=f"第{i}党支部", type="党支部", category="两新", parent=district.root, sort_order=100 + i)
        for i in range(n)])
    people = Person.objects.bulk_create([Person(name=f"书记{i}", unit=u, position="书记") for i, u in enumerate(units)])
    for u, p in zip(units, people, strict=True):
        u.secretary = p
    Unit.objects.bulk_update(units, ["secretary"])
    c = actions.create_campaign(users.organiser, year=2025, title="大方案", committee=district.root,
                                meeting_date=datetime.date(2026, 1, 20))
    actions.add_participants(users.organiser, c, units[: n // 2], draw_group="两新")
    actions.add_participants(users.organiser, c, units[n // 2:], mode=ParticipantMode.WRITTEN)
    return c


def test_the_participant_list_has_no_n_plus_one(users, client_for, district, django_assert_max_num_queries):
    c = big_campaign(users, district, 200)
    client = client_for(users.organiser)
    with django_assert_max_num_queries(8):
        r = client.get(url("participants", c))
    assert r.status_code == 200 and r.content.decode().count('id="p') == 200


def test_the_campaign_list_has_no_n_plus_one(users, client_for, district, campaign, published_2024,
                                            django_assert_max_num_queries):
    client = client_for(users.organiser)
    with django_assert_max_num_queries(7):
        assert client.get(reverse("campaigns:list")).status_code == 200


def test_page_actions_are_audited(users, client_for, campaign):
    client_for(users.organiser).post(url("transition", campaign), {"to": "published"})
    ev = AuditEvent.objects.filter(action="campaign.transition").get()
    assert ev.actor == "organiser" and ev.data["from"] == "draft" and ev.data["to"] == "published"


def test_adding_offers_direct_subordinates_unless_asked(users, client_for, campaign, streets):
    community = Unit.objects.create(code="Q0301", name="第3街道某社区党委", type="党委", category="街道",
                                    parent=streets[0])
    community.secretary = Person.objects.create(name="社区书记", unit=community)
    community.save()
    c = client_for(users.organiser)
    assert "第3街道某社区党委" not in c.get(url("participants_add", campaign)).content.decode()
    assert "第3街道某社区党委" in c.get(url("participants_add", campaign), {"scope": "all"}).content.decode()
    c.post(url("participants_add", campaign), {"category": "街道", "mode": "onsite"})
    assert not campaign.participants.filter(unit=community).exists()
    assert campaign.participants.filter(unit__category="街道").count() == 7
