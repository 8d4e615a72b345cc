"""Tellers' paper-ballot pages: who may open what, blind second keying, mismatch queue and resolution."""

from __future__ import annotations

import pytest

from shuping.accounts.models import Role
from shuping.ballots.actions import paper
from shuping.ballots.casting import cast
from shuping.ballots.models import Ballot, BallotBox, BallotToken, BoxState, EncryptedBallot, PaperEntry, TokenStatus
from shuping.ballots.tests.conftest import sealed
from shuping.conftest import make_user


@pytest.fixture
def tellers(users):
    return (users.teller, make_user("teller_b", Role.TELLER), make_user("teller_c", Role.TELLER))


def token_of(box, n=0) -> BallotToken:
    return BallotToken.objects.select_related("box").filter(box=box).order_by("serial")[n]


def url(box, page: str = "", *args) -> str:
    base = f"/ballots/{box.pk}/paper/"
    return base + page + "".join(f"{a}/" for a in args)


def key_form(token: BallotToken, grades: str, **extra) -> dict[str, str]:
    data = {"sheet": token.code, **{f"g{i}": g for i, g in enumerate(grades)}}
    data.update(extra)
    return data


def mismatch(box, tellers) -> BallotToken:
    a, b, _ = tellers
    t = token_of(box)
    paper.key_sheet(a, t, "124", comment="甲的意见")
    paper.key_sheet(b, t, "134", comment="乙的意见")
    return t


# --- permissions -------------------------------------------------------------------------------

def test_the_box_picker_is_for_tellers_organisers_and_observers(box, users, client_for):
    for who in (users.teller, users.organiser, users.observer):
        r = client_for(who).get("/ballots/paper/")
        assert r.status_code == 200 and "2023年度述职评议" in r.text
    for who in (users.chair, users.judge, users.reporter, users.admin, users.nobody):
        assert client_for(who).get("/ballots/paper/").status_code == 403


def test_the_workbench_and_keying_are_for_tellers_only(box, users, client_for):
    t = token_of(box)
    for who in (users.organiser, users.observer, users.chair, users.reporter, users.nobody):
        c = client_for(who)
        assert c.get(url(box)).status_code == 403
        assert c.post(url(box, "find/"), {"sheet": t.code}).status_code == 403
        assert c.post(url(box, "key/"), key_form(t, "111")).status_code == 403
        assert c.post(url(box, "invalid/"), {"sheet": t.code, "reason": "x"}).status_code == 403
    assert not PaperEntry.objects.exists() and token_of(box).status == TokenStatus.ISSUED
    assert client_for(users.teller).get(url(box)).status_code == 200


def test_anonymous_users_are_sent_to_login(box, client):
    r = client.get(url(box))
    assert r.status_code == 302 and "/login" in r["Location"]


def test_progress_is_for_tellers_organisers_and_observers(box, users, client_for):
    for who in (users.teller, users.organiser, users.observer):
        assert client_for(who).get(url(box, "progress/")).status_code == 200
    for who in (users.chair, users.judge, users.reporter, users.nobody):
        assert client_for(who).get(url(box, "progress/")).status_code == 403


def test_mismatches_are_for_tellers_and_organisers(box, users, tellers, client_for):
    t = mismatch(box, tellers)
    for who in (users.organiser, tellers[2]):
        assert client_for(who).get(url(box, "mismatches/")).status_code == 200
        assert client_for(who).get(url(box, "mismatches/", t.serial)).status_code == 200
    for who in (users.observer, users.chair, users.reporter, users.nobody):
        assert client_for(who).get(url(box, "mismatches/")).status_code == 403
        assert client_for(who).get(url(box, "mismatches/", t.serial)).status_code == 403


def test_an_unknown_box_is_404(box, users, client_for):
    assert client_for(users.teller).get(f"/ballots/{box.pk + 99}/paper/").status_code == 404


# --- keying -------------------------------------------------------------------------------------

def test_a_teller_finds_a_sheet_and_sees_an_empty_grid(box, tellers, client_for):
    t = token_of(box)
    r = client_for(tellers[0]).post(url(box, "find/"), {"sheet": t.code.lower()})
    assert r.status_code == 200
    assert f"录入第 {t.serial} 号票" in r.text and "首次录入" in r.text and "区委领导" in r.text
    assert "东城街道党工委" in r.text and "钱东明" in r.text and "西城街道党工委" in r.text
    assert " checked" not in r.text


def test_the_second_teller_sees_nothing_of_the_first_keying(box, tellers, client_for):
    a, b, _ = tellers
    t = token_of(box)
    r = client_for(a).post(url(box, "key/"), key_form(t, "124", comment="首次录入的意见XYZ"), follow=True)
    assert "已保存，待另一名计票员复核" in r.text
    r = client_for(b).post(url(box, "find/"), {"sheet": t.code})
    assert r.status_code == 200 and "复核录入" in r.text
    assert " checked" not in r.text and "首次录入的意见XYZ" not in r.text and "teller" not in r.text.split("<main")[1]


def test_the_same_teller_is_refused_on_the_page(box, tellers, client_for):
    a = tellers[0]
    t = token_of(box)
    c = client_for(a)
    c.post(url(box, "key/"), key_form(t, "124"))
    r = c.post(url(box, "find/"), {"sheet": t.code}, follow=True)
    assert "须由另一名计票员复核" in r.text and 'name="g0"' not in r.text
    r = c.post(url(box, "key/"), key_form(t, "124"), follow=True)
    assert "须由另一名计票员复核" in r.text
    assert PaperEntry.objects.count() == 1


def test_two_agreeing_tellers_count_the_sheet(box, tellers, client_for):
    a, b, _ = tellers
    t = token_of(box, 12)
    client_for(a).post(url(box, "key/"), key_form(t, "12"))  # an unmarked row is 弃权
    r = client_for(b).post(url(box, "key/"), key_form(t, "120"), follow=True)
    assert f"第 {t.serial} 号票：一致，已计入" in r.text
    assert list(Ballot.objects.filter(box=sealed(box)).values_list("grades", "group")) == [("120", 1)]
    assert not PaperEntry.objects.exists()


def test_disagreeing_tellers_see_not_equal_and_no_ballot(box, tellers, client_for):
    a, b, _ = tellers
    t = token_of(box)
    client_for(a).post(url(box, "key/"), key_form(t, "124"))
    r = client_for(b).post(url(box, "key/"), key_form(t, "134"), follow=True)
    assert "不一致，待处理" in r.text
    assert not EncryptedBallot.objects.exists()


def test_a_blank_sheet_button(box, tellers, client_for):
    a, b, _ = tellers
    t = token_of(box)
    client_for(a).post(url(box, "key/"), {"sheet": t.code, "blank": "1"})
    client_for(b).post(url(box, "key/"), {"sheet": t.code, "blank": "1", "g0": "1"})
    assert list(Ballot.objects.filter(box=sealed(box)).values_list("grades", flat=True)) == ["000"]


def test_a_spoiled_sheet_with_a_reason(box, tellers, client_for):
    t = token_of(box)
    c = client_for(tellers[0])
    r = c.post(url(box, "invalid/"), {"sheet": t.code, "reason": ""}, follow=True)
    assert "请填写废票原因" in r.text and token_of(box).status == TokenStatus.ISSUED
    r = c.post(url(box, "invalid/"), {"sheet": t.code, "reason": "勾选两项"}, follow=True)
    assert f"第 {t.serial} 号票已登记为废票" in r.text and token_of(box).status == TokenStatus.INVALID
    r = c.post(url(box, "find/"), {"sheet": t.code}, follow=True)
    assert "该票已登记为废票" in r.text


def test_a_phone_used_token_is_refused_at_the_workbench(box, tellers, client_for):
    t = token_of(box)
    cast(t, "phone", "111", nonce="n1")
    r = client_for(tellers[0]).post(url(box, "find/"), {"sheet": t.code}, follow=True)
    assert "该票号已通过手机投票，纸质票不再计入" in r.text


def test_an_unknown_code_says_so(box, tellers, client_for):
    r = client_for(tellers[0]).post(url(box, "find/"), {"sheet": "ZZZZ-ZZZZ"}, follow=True)
    assert "未找到该测评票" in r.text


def test_tampered_grades_change_nothing(box, tellers, client_for):
    t = token_of(box)
    r = client_for(tellers[0]).post(url(box, "key/"), key_form(t, "19x"), follow=True)
    assert "选票内容不完整或有误" in r.text and not PaperEntry.objects.exists()


def test_a_published_box_takes_no_paper(box, tellers, client_for):
    BallotBox.objects.filter(pk=box.pk).update(state=BoxState.PUBLISHED)
    c = client_for(tellers[0])
    assert "不能再录入纸质票" in c.get(url(box)).text
    r = c.post(url(box, "key/"), key_form(token_of(box), "111"), follow=True)
    assert "不能再录入纸质票" in r.text and not PaperEntry.objects.exists()


def test_the_workbench_never_puts_codes_in_urls(box, tellers, client_for):
    r = client_for(tellers[0]).get(url(box))
    assert 'method="post"' in r.text and 'name="sheet"' in r.text and "autofocus" in r.text


# --- mismatches ---------------------------------------------------------------------------------

def test_the_mismatch_queue_hides_sheets_from_the_two_who_keyed_them(box, tellers, client_for):
    a, b, c = tellers
    t = mismatch(box, tellers)
    for keyer in (a, b):
        r = client_for(keyer).get(url(box, "mismatches/"))
        assert "没有待您处理的不一致" in r.text
        assert client_for(keyer).get(url(box, "mismatches/", t.serial)).status_code == 404
        assert client_for(keyer).post(url(box, "mismatches/", t.serial), {"g0": "1"}).status_code == 404
    r = client_for(c).get(url(box, "mismatches/"))
    assert f'data-testid="resolve-{t.serial}"' in r.text and "teller、teller_b" in r.text


def test_the_resolver_sees_both_keyings_with_differing_rows_marked(box, tellers, client_for):
    t = mismatch(box, tellers)
    r = client_for(tellers[2]).get(url(box, "mismatches/", t.serial))
    assert r.status_code == 200
    assert "甲的意见" in r.text and "乙的意见" in r.text
    compare = r.text.split('data-testid="compare"')[1].split("</table>")[0]
    assert compare.count('class="differs"') == 2  # 西城 row and the comment
    grid = r.text.split('data-testid="grid"')[1].split("</table>")[0]
    assert grid.count(" checked") == 2 and grid.count(" required") == 5  # agreed rows preset; differing row required


def test_the_resolver_keys_the_final_version(box, tellers, users, client_for):
    t = mismatch(box, tellers)
    r = client_for(users.organiser).post(url(box, "mismatches/", t.serial),
                                         {"action": "resolve", "g0": "1", "g1": "3", "g2": "4", "comment": "乙的意见"},
                                         follow=True)
    assert "不一致已处理，一致，已计入" in r.text
    assert list(Ballot.objects.filter(box=sealed(box)).values_list("grades", flat=True)) == ["134"]
    assert not PaperEntry.objects.exists()
    assert client_for(users.organiser).get(url(box, "mismatches/", t.serial)).status_code == 404


def test_the_resolver_may_declare_the_sheet_invalid(box, tellers, client_for):
    t = mismatch(box, tellers)
    r = client_for(tellers[2]).post(url(box, "mismatches/", t.serial), {"action": "invalid", "reason": "涂改"},
                                    follow=True)
    assert "已登记为废票" in r.text and token_of(box).status == TokenStatus.INVALID
    assert not EncryptedBallot.objects.exists()


def test_progress_page_and_fragment(box, tellers, users, client_for):
    mismatch(box, tellers)
    r = client_for(users.observer).get(url(box, "progress/"))
    assert "不一致，待处理" in r.text and "我录入的待复核" not in r.text
    r = client_for(users.observer).get(url(box, "progress/"), headers={"HX-Request": "true"})
    assert r.text.lstrip().startswith('<div class="paper-progress"') and "<html" not in r.text


def test_tellers_see_the_paper_entry_in_the_navigation(users, client_for):
    assert "纸质票录入" in client_for(users.teller).get("/").text
    assert "纸质票录入" not in client_for(users.chair).get("/").text


def test_the_polled_progress_fragment_is_cheap(box, tellers, client_for, django_assert_max_num_queries):
    mismatch(box, tellers)
    c = client_for(tellers[2])
    with django_assert_max_num_queries(6):  # session, user, roles, box, two aggregates
        r = c.get(url(box, "progress/"), headers={"HX-Request": "true"})
    assert r.status_code == 200
