"""现场评分 pages: who may open and change what, and what judges and organisers see."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from shuping.accounts.models import Role
from shuping.conftest import make_user
from shuping.scoring import actions_judging as judging
from shuping.scoring.models import JudgeReminder, JudgeScore, JudgeSeat, Recusal, ScoringWindow, WindowState

GOOD = ["25", "30.5", "18", "9"]


def judge_urls(meeting, reporters) -> list[str]:
    return [reverse("scoring:judge_campaign", args=[meeting.pk]), reverse("scoring:judge_list", args=[meeting.pk]),
            reverse("scoring:score", args=[meeting.pk, reporters.west.pk])]


def control_urls(meeting) -> list[str]:
    return [reverse("scoring:control", args=[meeting.pk]), reverse("scoring:control_progress", args=[meeting.pk])]


def write_posts(meeting, reporters, judges) -> list[tuple[str, dict]]:
    return [
        (reverse("scoring:window", args=[meeting.pk, reporters.west.pk, "open"]), {}),
        (reverse("scoring:window", args=[meeting.pk, reporters.west.pk, "close"]), {}),
        (reverse("scoring:window", args=[meeting.pk, reporters.west.pk, "reopen"]), {"reason": "x"}),
        (reverse("scoring:remind", args=[meeting.pk]), {}),
        (reverse("scoring:panel", args=[meeting.pk, "add"]), {"judge": judges.judge.pk}),
        (reverse("scoring:panel", args=[meeting.pk, "remove"]), {"judge": judges.judge_b.pk}),
        (reverse("scoring:panel", args=[meeting.pk, "add_recusal"]),
         {"judge": judges.judge_b.pk, "pid": reporters.west.pk, "reason": "x"}),
        (reverse("scoring:panel", args=[meeting.pk, "remove_recusal"]),
         {"judge": judges.judge_b.pk, "pid": reporters.west.pk}),
    ]


# ---------------------------------------------------------------- permissions


def test_anonymous_users_are_sent_to_login(client, meeting, reporters, panel, judges):
    for url in ["/scoring/", *judge_urls(meeting, reporters), *control_urls(meeting)]:
        r = client.get(url)
        assert r.status_code == 302 and "/login" in r.url, url
    for url, data in write_posts(meeting, reporters, judges):
        r = client.post(url, data)
        assert r.status_code == 302 and "/login" in r.url, url
    assert not ScoringWindow.objects.exists()


def test_home_is_for_judges_and_scoring_readers(users, client_for, meeting, panel):
    for who in (users.judge, users.organiser, users.observer, users.chair):
        assert client_for(who).get("/scoring/").status_code == 200, who
    for who in (users.reporter, users.teller, users.admin, users.nobody):
        assert client_for(who).get("/scoring/").status_code == 403, who


def test_judge_pages_need_a_seat(users, client_for, meeting, reporters, panel):
    outsider = make_user("judge_c", Role.JUDGE)
    for url in judge_urls(meeting, reporters):
        assert client_for(users.judge).get(url).status_code == 200, url
        assert client_for(outsider).get(url).status_code == 404, url
        for who in (users.organiser, users.observer, users.reporter, users.nobody):
            assert client_for(who).get(url).status_code == 403, (url, who)
    r = client_for(outsider).post(reverse("scoring:score", args=[meeting.pk, reporters.west.pk]),
                                  {"p0": "1", "p1": "1", "p2": "1", "p3": "1", "action": "submit"})
    assert r.status_code == 404 and not JudgeScore.objects.exists()


def test_a_recused_judge_gets_404_for_that_reporter(client_for, meeting, reporters, panel, judges):
    url = reverse("scoring:score", args=[meeting.pk, reporters.east.pk])
    assert client_for(judges.judge_east).get(url).status_code == 404
    assert client_for(judges.judge_east).post(url, {"action": "submit"}).status_code == 404


def test_control_page_readers_and_writers(users, client_for, meeting, reporters, panel):
    for url in control_urls(meeting):
        for who in (users.organiser, users.observer, users.chair):
            assert client_for(who).get(url).status_code == 200, (url, who)
        for who in (users.judge, users.reporter, users.teller, users.admin, users.nobody):
            assert client_for(who).get(url).status_code == 403, (url, who)
    org = client_for(users.organiser).get(control_urls(meeting)[0]).content.decode()
    assert f'data-testid="open-{reporters.west.pk}"' in org and 'data-testid="add-judge-btn"' in org
    for who in (users.observer, users.chair):
        html = client_for(who).get(control_urls(meeting)[0]).content.decode()
        assert "开始评分" not in html and "add-judge-btn" not in html and "add-recusal" not in html and "移出" not in html
        assert "0 / 2 位评委已提交" in html  # east: judge_east is recused


def test_only_organisers_change_anything(users, client_for, meeting, reporters, panel, judges):
    for url, data in write_posts(meeting, reporters, judges):
        for who in (users.observer, users.chair, users.judge, users.reporter, users.nobody):
            assert client_for(who).post(url, data).status_code == 403, (url, who)
    assert not ScoringWindow.objects.exists() and not Recusal.objects.exists() and not JudgeReminder.objects.exists()
    assert JudgeSeat.objects.filter(campaign=meeting).count() == 3


def test_draft_campaigns_are_hidden_from_chairs(users, client_for, district):
    import datetime

    from shuping.campaigns import actions as campaigns

    c = campaigns.create_campaign(users.organiser, year=2024, title="草拟", committee=district.root,
                                  meeting_date=datetime.date(2025, 1, 20))
    assert client_for(users.chair).get(reverse("scoring:control", args=[c.pk])).status_code == 404
    assert client_for(users.organiser).get(reverse("scoring:control", args=[c.pk])).status_code == 200


def test_nav_and_campaign_tab(users, client_for, meeting, panel):
    for who, nav in ((users.judge, True), (users.organiser, True), (users.observer, False), (users.reporter, False)):
        html = client_for(who).get("/").content.decode()
        assert ('href="/scoring/"' in html) is nav, who
    for who, tab in ((users.organiser, True), (users.observer, True), (users.chair, True), (users.judge, False)):
        html = client_for(who).get(f"/campaigns/{meeting.pk}/").content.decode()
        assert ('data-testid="tab-scoring"' in html) is tab, who


# ---------------------------------------------------------------- the judge's pages


def test_judge_home_lists_seats_with_counts(users, client_for, meeting, reporters, panel, judges):
    judging.open_window(users.organiser, reporters.west)
    judging.save_score(judges.judge, reporters.west, GOOD, submit=True)
    html = client_for(judges.judge).get("/scoring/").content.decode()
    assert meeting.title in html and "已评 1 / 3" in html and "正在评分：西城街道党工委" in html
    html = client_for(make_user("judge_c", Role.JUDGE)).get("/scoring/").content.decode()
    assert 'data-testid="no-seat"' in html


def test_judge_campaign_page_highlights_the_open_window_and_shows_reminders(users, client_for, meeting, reporters,
                                                                              panel, judges):
    judging.open_window(users.organiser, reporters.west)
    judging.remind_missing(users.organiser, reporters.west)
    c = client_for(judges.judge_east)
    html = c.get(reverse("scoring:judge_campaign", args=[meeting.pk])).content.decode()
    assert "已评 0 / 2" in html  # east is their own unit: not offered
    assert f'data-testid="reporter-{reporters.east.pk}"' not in html
    assert html.index('data-testid="speaking"') < html.index('data-testid="reporters"')
    assert "正在述职" in html and "孙西华" in html
    assert "请尽快提交对西城街道党工委（孙西华）的评分" in html
    c.post(reverse("scoring:reminders_seen", args=[meeting.pk]))
    html = c.get(reverse("scoring:judge_campaign", args=[meeting.pk])).content.decode()
    assert 'data-testid="reminders"' not in html


def test_score_form_save_submit_and_errors(users, client_for, meeting, reporters, panel, judges):
    url = reverse("scoring:score", args=[meeting.pk, reporters.west.pk])
    c = client_for(judges.judge)
    html = c.get(url).content.decode()
    assert "评分尚未开始" in html and 'data-testid="submit"' not in html and "disabled" in html
    judging.open_window(users.organiser, reporters.west)
    html = c.get(url).content.decode()
    assert 'data-testid="submit"' in html and "满分 30 分" in html and "合计（满分 100）" in html
    r = c.post(url, {"p0": "31", "p1": "30", "p2": "1.234", "p3": "", "action": "submit"})
    html = r.content.decode()
    assert r.status_code == 422 and "“述职内容”的得分应在 0 到 30 分之间，当前为 31" in html
    assert "“问题查摆与整改”的得分“1.234”最多保留两位小数" in html and "请填写“现场表现”的得分" in html
    assert 'value="31"' in html  # what the judge typed stays in the form
    assert not JudgeScore.objects.exists()
    r = c.post(url, {"p0": "25", "p1": "30.5", "p2": "18", "p3": "9", "action": "save"}, follow=True)
    assert "已保存（合计 82.50 分），尚未提交" in r.content.decode()
    assert JudgeScore.objects.get().submitted_at is None
    r = c.post(url, {"p0": "25", "p1": "30.5", "p2": "18", "p3": "9.5", "action": "submit"}, follow=True)
    html = r.content.decode()
    assert r.redirect_chain[-1][0] == reverse("scoring:judge_campaign", args=[meeting.pk])
    assert "已提交对西城街道党工委（孙西华）的评分，合计 83.00 分" in html and "已评 1 / 3" in html
    s = JudgeScore.objects.get()
    assert s.total == Decimal("83.00") and s.submitted_at is not None
    judging.close_window(users.organiser, reporters.west)
    html = c.get(url).content.decode()
    assert "评分已结束，以下内容只读" in html and 'data-testid="save"' not in html and 'value="9.5"' in html
    r = c.post(url, {"p0": "1", "p1": "1", "p2": "1", "p3": "1", "action": "submit"})
    assert r.status_code == 422 and "评分已结束，不能保存" in r.content.decode()
    assert JudgeScore.objects.get().total == Decimal("83.00")


# ---------------------------------------------------------------- the organiser's page


def test_window_buttons_with_htmx_return_the_progress_panel(users, client_for, meeting, reporters, panel):
    c = client_for(users.organiser)
    hx = {"HTTP_HX_REQUEST": "true"}
    r = c.post(reverse("scoring:window", args=[meeting.pk, reporters.east.pk, "open"]), **hx)
    html = r.content.decode()
    assert r.status_code == 200 and 'id="progress"' in html and "东城街道党工委（钱东明）：已开始评分" in html
    assert 'hx-trigger="every 3s"' in html and f'data-testid="close-{reporters.east.pk}"' in html
    r = c.post(reverse("scoring:window", args=[meeting.pk, reporters.east.pk, "open"]), **hx)
    assert "不能开始评分" in r.content.decode() and 'data-testid="flash-error"' in r.content.decode()
    c.post(reverse("scoring:window", args=[meeting.pk, reporters.east.pk, "close"]), **hx)
    r = c.post(reverse("scoring:window", args=[meeting.pk, reporters.east.pk, "reopen"]), {"reason": ""}, **hx)
    assert "重新开放评分必须填写理由" in r.content.decode()
    r = c.post(reverse("scoring:window", args=[meeting.pk, reporters.east.pk, "reopen"]), {"reason": "漏评"}, **hx)
    assert "已重新开放评分" in r.content.decode()
    assert ScoringWindow.objects.get(participant=reporters.east).state == WindowState.OPEN
    # Without htmx: a redirect to the page with a message.
    r = c.post(reverse("scoring:window", args=[meeting.pk, reporters.west.pk, "open"]), follow=True)
    assert "西城街道党工委（孙西华）：已开始评分" in r.content.decode()


def test_progress_shows_counts_and_missing_names_and_remind(users, client_for, meeting, reporters, panel, judges):
    judging.open_window(users.organiser, reporters.west)
    judging.save_score(judges.judge, reporters.west, GOOD, submit=True)
    c = client_for(users.organiser)
    html = c.get(reverse("scoring:control", args=[meeting.pk])).content.decode()
    assert "1 / 3 位评委已提交" in html and "评委乙、东城评委" in html
    r = c.post(reverse("scoring:remind", args=[meeting.pk]), {"pid": reporters.west.pk}, HTTP_HX_REQUEST="true")
    assert "已提醒 2 名评委：评委乙、东城评委" in r.content.decode()
    assert JudgeReminder.objects.count() == 2
    r = c.post(reverse("scoring:remind", args=[meeting.pk]), HTTP_HX_REQUEST="true")
    assert "已提醒 2 名评委" in r.content.decode()


def test_panel_and_recusal_forms(users, client_for, meeting, reporters, panel, judges):
    c = client_for(users.organiser)
    newcomer = make_user("judge_c", Role.JUDGE, display_name="评委丙")
    html = c.get(reverse("scoring:control", args=[meeting.pk])).content.decode()
    assert "评委丙" in html and "本单位，自动回避" in html
    r = c.post(reverse("scoring:panel", args=[meeting.pk, "add"]), {"judge": newcomer.pk}, follow=True)
    assert "已将“评委丙”加入评委名单" in r.content.decode()
    r = c.post(reverse("scoring:panel", args=[meeting.pk, "add"]), {"judge": users.teller.pk}, follow=True)
    assert "没有“评委”角色" in r.content.decode()
    r = c.post(reverse("scoring:panel", args=[meeting.pk, "add_recusal"]),
               {"judge": newcomer.pk, "pid": reporters.west.pk, "reason": "近亲属在该单位"}, follow=True)
    assert "已设置回避：“评委丙”不评西城街道党工委（孙西华）" in r.content.decode()
    assert "近亲属在该单位" in r.content.decode()
    r = c.post(reverse("scoring:panel", args=[meeting.pk, "add_recusal"]),
               {"judge": newcomer.pk, "pid": reporters.east.pk, "reason": ""}, follow=True)
    assert "设置回避必须填写理由" in r.content.decode()
    r = c.post(reverse("scoring:panel", args=[meeting.pk, "remove_recusal"]),
               {"judge": newcomer.pk, "pid": reporters.west.pk}, follow=True)
    assert "已取消“评委丙”对西城街道党工委（孙西华）的回避" in r.content.decode()
    judging.open_window(users.organiser, reporters.west)
    judging.save_score(newcomer, reporters.west, GOOD, submit=True)
    html = c.get(reverse("scoring:control", args=[meeting.pk])).content.decode()
    assert 'data-testid="remove-judge_c"' not in html and 'data-testid="remove-judge"' in html  # 已评分: no button
    r = c.post(reverse("scoring:panel", args=[meeting.pk, "remove"]), {"judge": newcomer.pk}, follow=True)
    assert "评委“评委丙”已有 1 份评分，不能移出评委名单" in r.content.decode()
    r = c.post(reverse("scoring:panel", args=[meeting.pk, "remove"]), {"judge": judges.judge.pk}, follow=True)
    assert "已将“judge”移出评委名单" in r.content.decode()


def test_pages_are_read_only_when_locked(users, client_for, meeting, reporters, panel, judges):
    from django.utils import timezone

    from shuping.results.models import ResultSheet, SheetState

    judging.open_window(users.organiser, reporters.west)
    ResultSheet.objects.create(campaign=meeting, state=SheetState.SUBMITTED, input_digest="x",
                               computed_at=timezone.now(), computed_by=users.organiser)
    html = client_for(users.organiser).get(reverse("scoring:control", args=[meeting.pk])).content.decode()
    assert "评分已锁定" in html and "结束评分" not in html and "add-judge-btn" not in html
    html = client_for(judges.judge).get(reverse("scoring:score", args=[meeting.pk, reporters.west.pk])).content.decode()
    assert "评分已锁定" in html and 'data-testid="submit"' not in html
