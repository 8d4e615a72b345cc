"""The organiser's ballot-box pages: who may see and change what, and what the pages show."""

from __future__ import annotations

import pytest

from shuping.audit.models import AuditEvent
from shuping.ballots.actions import setup
from shuping.ballots.casting import cast
from shuping.ballots.models import BallotBox, BallotToken, BoxState, TokenChannel, TokenStatus


@pytest.fixture
def new_box(users, campaign) -> BallotBox:
    return setup.create_box(users.organiser, campaign)


def url(name: str, box: BallotBox, **kw) -> str:
    from django.urls import reverse

    return reverse(f"ballots:{name}", kwargs={"box_id": box.pk, **kw})


def test_campaign_tab_links_to_the_ballot_for_organisers_and_observers(users, client_for, campaign):
    for who, shown in ((users.organiser, True), (users.observer, True), (users.teller, False), (users.chair, False)):
        html = client_for(who).get(f"/campaigns/{campaign.pk}/").content.decode()
        assert ('data-testid="tab-ballot"' in html) is shown, who


def test_campaign_without_box_offers_creation_to_organisers(users, client_for, campaign):
    r = client_for(users.organiser).get(f"/ballots/campaign/{campaign.pk}/")
    assert r.status_code == 200 and "创建民主测评票箱" in r.content.decode()
    r = client_for(users.observer).get(f"/ballots/campaign/{campaign.pk}/")
    assert r.status_code == 200 and 'data-testid="create-box"' not in r.content.decode()
    for who in (users.teller, users.chair, users.reporter, users.nobody):
        assert client_for(who).get(f"/ballots/campaign/{campaign.pk}/").status_code == 403


def test_create_from_the_campaign_tab(users, client_for, campaign):
    assert client_for(users.observer).post(f"/ballots/campaign/{campaign.pk}/create/").status_code == 403
    assert not BallotBox.objects.exists()
    r = client_for(users.organiser).post(f"/ballots/campaign/{campaign.pk}/create/", follow=True)
    box = BallotBox.objects.get()
    assert r.redirect_chain[-1][0] == f"/ballots/{box.pk}/setup/"
    html = r.content.decode()
    assert "已创建民主测评票箱，测评票上共 3 名述职人" in html and "钱东明" in html and "李育才" in html
    # Visiting the tab again goes straight to the box.
    r = client_for(users.organiser).get(f"/ballots/campaign/{campaign.pk}/")
    assert r.status_code == 302 and r.url == f"/ballots/{box.pk}/setup/"


def test_setup_page_permissions(users, client_for, new_box):
    page = url("setup", new_box)
    r = client_for(users.organiser).get(page)
    assert r.status_code == 200 and 'data-testid="save-lines"' in r.content.decode()
    r = client_for(users.observer).get(page)
    html = r.content.decode()
    assert r.status_code == 200 and "save-lines" not in html and 'data-testid="open"' not in html
    assert 'data-testid="print"' not in html
    for who in (users.teller, users.judge, users.chair, users.admin, users.reporter, users.nobody):
        assert client_for(who).get(page).status_code == 403, who
        assert client_for(who).get(url("setup_tokens", new_box)).status_code == 403
        assert client_for(who).get(url("setup_turnout", new_box)).status_code == 403
    assert client_for(users.organiser).get("/ballots/999999/setup/").status_code == 404


def test_anonymous_users_are_sent_to_login(client, new_box):
    r = client.get(url("setup", new_box))
    assert r.status_code == 302 and "/login/" in r.url


@pytest.mark.parametrize("name", ["setup_lines", "setup_settings", "setup_issue", "setup_revoke"])
def test_observers_cannot_write(users, client_for, new_box, name):
    r = client_for(users.observer).post(url(name, new_box), {"include": [1], "count_0": "3", "serial": "1",
                                                              "reason": "x", "items": "a"})
    assert r.status_code == 403
    assert not BallotToken.objects.exists() and new_box.lines.count() == 3


@pytest.mark.parametrize("to", ["open", "close", "reopen", "publish"])
def test_only_organisers_move_the_box(users, client_for, new_box, to):
    for who in (users.observer, users.teller, users.nobody):
        assert client_for(who).post(url("setup_move", new_box, to=to), {"reason": "r"}).status_code == 403
    assert BallotBox.objects.get(pk=new_box.pk).state == BoxState.SETUP


def test_reorder_and_remove_lines(users, client_for, new_box, campaign):
    ids = {p.unit.code: p.pk for p in campaign.participants.select_related("unit")}
    c = client_for(users.organiser)
    r = c.post(url("setup_lines", new_box), {
        "include": [ids["Q01"], ids["Q11"]], f"order_{ids['Q01']}": "2", f"order_{ids['Q11']}": "1",
        f"order_{ids['Q02']}": "3"}, follow=True)
    assert "已保存测评票述职人名单（2 名）" in r.content.decode()
    assert list(new_box.lines.values_list("participant__unit__code", flat=True)) == ["Q11", "Q01"]
    c.post(url("setup_lines", new_box), {"reset": "1"})
    assert list(new_box.lines.values_list("participant__unit__code", flat=True)) == ["Q01", "Q02", "Q11"]
    r = c.post(url("setup_lines", new_box), {}, follow=True)
    assert "至少要有一名述职人" in r.content.decode()


def test_settings_form(users, client_for, new_box):
    c = client_for(users.organiser)
    c.post(url("setup_settings", new_box), {"items": "政治建设\r\n\r\n作风建设", "comment_max_chars": "200"})
    new_box.refresh_from_db()
    assert new_box.items == ["政治建设", "作风建设"] and not new_box.comments_enabled
    assert new_box.comment_max_chars == 200
    r = c.post(url("setup_settings", new_box), {"items": "", "comments_enabled": "1", "comment_max_chars": "0"},
               follow=True)
    assert "意见建议字数上限应在 1 到 5000 之间" in r.content.decode()


def test_issue_tokens_form(users, client_for, new_box):
    c = client_for(users.organiser)
    r = c.post(url("setup_issue", new_box), {"count_0": "5", "count_1": "", "count_3": "2"}, follow=True)
    assert "已发放测评码 7 个（票号 1–7）" in r.content.decode()
    assert list(BallotToken.objects.filter(box=new_box).values_list("group", flat=True)) == [0] * 5 + [3] * 2
    r = c.post(url("setup_issue", new_box), {"count_0": "abc"}, follow=True)
    assert "不是整数" in r.content.decode() and BallotToken.objects.count() == 7


def test_token_list_shows_status_but_never_codes(users, client_for, box):
    token = BallotToken.objects.select_related("box").get(box=box, serial=1)
    cast(token, TokenChannel.PHONE, "123", nonce="n")
    for who in (users.organiser, users.observer):
        r = client_for(who).get(url("setup_tokens", box))
        html = r.content.decode()
        assert r.status_code == 200 and "000001" in html and "已使用" in html and "手机" in html
        for t in BallotToken.objects.filter(box=box):
            assert t.code not in html and t.secret not in html
    r = client_for(users.organiser).get(url("setup_tokens", box), {"status": "used"})
    assert r.content.decode().count("<tr>") == 2  # head + one row


def test_revoke_form(users, client_for, box):
    c = client_for(users.organiser)
    r = c.post(url("setup_revoke", box), {"serial": "4", "reason": "票据遗失"}, follow=True)
    assert "已作废票号 4 的测评码" in r.content.decode()
    assert BallotToken.objects.get(box=box, serial=4).status == TokenStatus.REVOKED
    r = c.post(url("setup_revoke", box), {"serial": "99", "reason": "x"}, follow=True)
    assert "票号“99”不存在" in r.content.decode()


def test_state_buttons(users, client_for, new_box):
    c = client_for(users.organiser)
    r = c.post(url("setup_move", new_box, to="open"), follow=True)
    assert "已开始投票" in r.content.decode() and 'data-testid="close"' in r.content.decode()
    c.post(url("setup_move", new_box, to="close"))
    r = c.post(url("setup_move", new_box, to="reopen"), {"reason": ""}, follow=True)
    assert "重新开启投票须填写理由" in r.content.decode()
    c.post(url("setup_move", new_box, to="reopen"), {"reason": "代表迟到"})
    assert BallotBox.objects.get(pk=new_box.pk).state == BoxState.OPEN
    c.post(url("setup_move", new_box, to="close"))
    r = c.post(url("setup_move", new_box, to="publish"), follow=True)
    assert "已公布测评结果" in r.content.decode() and "票箱已锁定" in r.content.decode()
    r = c.post(url("setup_move", new_box, to="bogus"), follow=True)
    assert "未知的操作" in r.content.decode()


def test_closed_box_shows_flags_and_disables_publish(users, client_for, box):
    from shuping.ballots.models import Ballot

    Ballot.objects.bulk_create([Ballot(box=box, group=0, grades="111", ) for i in range(21)])
    setup.close_box(users.organiser, box)
    html = client_for(users.organiser).get(url("setup", box)).content.decode()
    assert 'data-testid="flags"' in html and "选票 21 张 + 废票 0 张 &gt; 发出 20 个" in html
    assert 'data-testid="publish" disabled' in html


def test_turnout_fragment(users, client_for, box, django_assert_max_num_queries):
    tokens = list(BallotToken.objects.select_related("box").filter(box=box).order_by("serial"))
    cast(tokens[0], TokenChannel.PHONE, "123", nonce="a")
    cast(tokens[15], TokenChannel.PAPER, "000")
    c = client_for(users.observer)
    with django_assert_max_num_queries(5):  # session, user, roles, box, one aggregate
        r = c.get(url("setup_turnout", box))
    html = r.content.decode()
    assert 'hx-trigger="every 2s"' in html
    row0 = html.split('data-testid="turnout-group-0"')[1].split("</tr>")[0]
    assert "<td class=\"num\">10</td><td class=\"num\">1</td><td class=\"num\">0</td>" in row0
    total = html.split('data-testid="turnout-total"')[1].split("</tr>")[0]
    assert ">20<" in total and ">18<" in total
    setup.close_box(users.organiser, box)
    setup.publish_box(users.organiser, box)
    assert "hx-trigger" not in c.get(url("setup_turnout", box)).content.decode()  # polling stops


def test_print_pdfs_organiser_only(users, client_for, box):
    c = client_for(users.organiser)
    r = c.get(url("setup_print", box), {"kind": "slips", "group": "1", "unused": "1"})
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf" and r.content.startswith(b"%PDF")
    assert 'filename="ballot-' in r["Content-Disposition"] and r["Cache-Control"] == "no-store"
    ev = AuditEvent.objects.filter(action="ballot.tokens_print").get()
    assert ev.data == {"kind": "slips", "group": 1, "unused_only": True, "count": 10}
    for who in (users.observer, users.teller, users.nobody):
        assert client_for(who).get(url("setup_print", box)).status_code == 403
    r = c.get(url("setup_print", box), {"kind": "posters"}, follow=True)
    assert "打印类型只能是" in r.content.decode()
