"""Voter pages on a phone: code entry, ballot, review, submit, receipt; refusals and tampering."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from shuping.ballots.models import (
    Ballot,
    BallotBox,
    BallotComment,
    BallotLine,
    BallotReceipt,
    BallotToken,
    BoxState,
    EncryptedBallot,
    TokenStatus,
)
from shuping.ballots.tests.conftest import sealed


def tokens(box):
    return list(BallotToken.objects.filter(box=box).order_by("serial"))


def pids(box):
    return list(BallotLine.objects.filter(box=box).order_by("position").values_list("participant_id", flat=True))


def nonce_of(html: str) -> str:
    return re.search(r'name="nonce" value="([^"]+)"', html).group(1)


def test_the_ballot_page_shows_every_reporter_with_five_choices(box):
    t = tokens(box)[0]
    r = Client().get(reverse("vote:ballot", args=[t.secret]))
    html = r.content.decode()
    assert r.status_code == 200
    assert "2023年度述职评议" in html and "区委领导" in html
    for name in ("东城街道党工委", "钱东明", "西城街道党工委", "区教育局党委", "李育才"):
        assert name in html
    assert "书面" in html and "现场" in html
    assert html.count('type="radio"') == 3 * 5
    assert "意见建议" in html and 'maxlength="500"' in html
    assert "htmx" not in html and "alpine" not in html.lower() and "echarts" not in html
    assert "<script>" not in html and "style=" not in html
    assert not r.cookies, "the voter's phone gets no cookie"


def test_it_walks_from_ballot_to_review_to_receipt(box):
    t = tokens(box)[0]
    c = Client()
    nonce = nonce_of(c.get(reverse("vote:ballot", args=[t.secret])).content.decode())
    p = pids(box)
    r = c.post(reverse("vote:ballot", args=[t.secret]),
               {"nonce": nonce, f"g{p[0]}": "1", f"g{p[1]}": "4", "comment": "希望加强阵地建设"})
    html = r.content.decode()
    assert r.status_code == 200 and "请核对您的选择" in html
    assert "弃权（未选）" in html and "已选 2/3" in html
    assert not EncryptedBallot.objects.exists(), "the review step changes nothing"
    grades = re.search(r'name="grades" value="([^"]+)"', html).group(1)
    assert grades == "140"
    r = c.post(reverse("vote:submit", args=[t.secret]),
               {"nonce": nonce, "grades": grades, "item_grades": "", "comment": "希望加强阵地建设"})
    html = r.content.decode()
    assert r.status_code == 200 and "已提交" in html and "回执码" in html
    receipt = re.search(r'data-receipt="([A-Z0-9]+)"', html).group(1)
    sealed(box)
    assert BallotReceipt.objects.get().receipt == receipt and Ballot.objects.get().grades == "140"
    assert BallotComment.objects.get().text == "希望加强阵地建设"
    t.refresh_from_db()
    assert (t.status, t.channel) == (TokenStatus.USED, "phone")


def test_a_retry_of_the_same_submission_says_already_counted_with_the_same_receipt(box):
    t = tokens(box)[0]
    url = reverse("vote:submit", args=[t.secret])
    first = Client().post(url, {"nonce": "n" * 22, "grades": "111"}).content.decode()
    again = Client().post(url, {"nonce": "n" * 22, "grades": "111"}).content.decode()
    assert "您的选票此前已成功提交并计入" in again
    assert re.search(r'data-receipt="(\w+)"', first).group(1) == re.search(r'data-receipt="(\w+)"', again).group(1)
    assert EncryptedBallot.objects.count() == 1


def test_a_second_different_ballot_with_the_same_token_is_refused(box):
    t = tokens(box)[0]
    url = reverse("vote:submit", args=[t.secret])
    Client().post(url, {"nonce": "first-nonce-xxxxxxxxx", "grades": "111"})
    r = Client().post(url, {"nonce": "other-nonce-xxxxxxxxx", "grades": "444"})
    assert r.status_code == 409 and "该测评码已经使用过" in r.content.decode()
    sealed(box)
    assert Ballot.objects.count() == 1 and Ballot.objects.get().grades == "111"


def test_going_back_from_the_review_keeps_the_choices(box):
    t = tokens(box)[0]
    r = Client().post(reverse("vote:ballot", args=[t.secret]),
                      {"edit": "1", "nonce": "keep-me-xxxxxxxxxxxx", "grades": "230", "comment": "改一下"})
    html = r.content.decode()
    assert 'value="keep-me-xxxxxxxxxxxx"' in html and "改一下" in html
    assert html.count(" checked") == 2


@pytest.mark.parametrize("status,message", [
    (TokenStatus.USED, "该测评码已经使用过"),
    (TokenStatus.REVOKED, "该测评码已被作废"),
    (TokenStatus.INVALID, "已登记为废票"),
])
def test_a_token_that_cannot_vote_gets_a_clear_message(box, status, message):
    t = tokens(box)[0]
    BallotToken.objects.filter(pk=t.pk).update(status=status)
    r = Client().get(reverse("vote:ballot", args=[t.secret]))
    assert r.status_code == 409 and message in r.content.decode()
    assert 'type="radio"' not in r.content.decode()


@pytest.mark.parametrize("state,message", [(BoxState.SETUP, "尚未开始"), (BoxState.CLOSED, "已结束"),
                                           (BoxState.PUBLISHED, "已结束")])
def test_a_box_that_is_not_open_gets_a_clear_message(box, state, message):
    BallotBox.objects.filter(pk=box.pk).update(state=state)
    t = tokens(box)[0]
    assert message in Client().get(reverse("vote:ballot", args=[t.secret])).content.decode()
    r = Client().post(reverse("vote:submit", args=[t.secret]), {"nonce": "x" * 20, "grades": "111"})
    assert message in r.content.decode() and not EncryptedBallot.objects.exists()


def test_an_unknown_token_is_a_404_with_a_message(box):
    r = Client().get(reverse("vote:ballot", args=["no-such-secret-at-all-xx"]))
    assert r.status_code == 404 and "无效的测评码" in r.content.decode()


def test_the_short_code_leads_to_the_ballot(box):
    t = tokens(box)[0]
    typed = f"{t.code[:4].lower()}-{t.code[4:]}"
    r = Client().post(reverse("vote:enter"), {"code": typed})
    assert r.status_code == 302 and r["Location"] == reverse("vote:ballot", args=[t.secret])
    assert Client().get(reverse("vote:enter")).status_code == 200


def test_guessing_short_codes_is_throttled(box, settings):
    c = Client(REMOTE_ADDR="10.1.2.3")
    from shuping.ballots.actions import voting

    for _ in range(voting.GUESS_LIMIT):
        r = c.post(reverse("vote:enter"), {"code": "ZZZZ-ZZZZ"})
        assert r.status_code == 404 and "无效的测评码" in r.content.decode()
    t = tokens(box)[0]
    r = c.post(reverse("vote:enter"), {"code": t.code})
    assert r.status_code == 429 and "尝试次数过多，请稍后再试" in r.content.decode()
    # Another address is not affected; the stored key is not the address.
    assert Client(REMOTE_ADDR="10.9.9.9").post(reverse("vote:enter"), {"code": t.code}).status_code == 302
    from shuping.ballots.models import GuessThrottle

    assert not GuessThrottle.objects.filter(key__contains="10.1.2.3").exists()
    assert GuessThrottle.objects.count() == 1


@pytest.mark.parametrize("tamper", [
    lambda p: {"g999999": "1"},             # a reporter not on this ballot
    lambda p: {f"g{p[1]}": "9"},            # a value that is not a grade
    lambda p: {f"g{p[1]}": "好"},           # a label instead of the form's value
    lambda p: {f"i{p[0]}_0": "1"},          # an item grade where the ballot has no items
    lambda p: {f"i{p[0]}_x": "1"},          # a malformed item field
    lambda p: {"comment": "很" * 501},      # longer than the box allows
])
def test_a_tampered_review_post_is_refused_and_changes_nothing(box, tamper):
    t = tokens(box)[0]
    p = pids(box)
    r = Client().post(reverse("vote:ballot", args=[t.secret]), {"nonce": "n" * 22, f"g{p[0]}": "1", **tamper(p)})
    html = r.content.decode()
    assert r.status_code == 400 and "v-refused" in html
    assert 'name="edit"' not in html and "下一步" in html, "back on the ballot, not on the review page"
    assert not EncryptedBallot.objects.exists()


def test_item_grades_go_onto_the_ballot(box):
    BallotBox.objects.filter(pk=box.pk).update(items=["组织建设", "作风建设"])
    t = tokens(box)[0]
    p = pids(box)
    html = Client().get(reverse("vote:ballot", args=[t.secret])).content.decode()
    assert "分项评价（可选）" in html and "作风建设" in html
    r = Client().post(reverse("vote:ballot", args=[t.secret]),
                      {"nonce": "n" * 22, f"g{p[0]}": "1", f"i{p[0]}_1": "2", f"i{p[2]}_0": "4"})
    html = r.content.decode()
    item_grades = re.search(r'name="item_grades" value="([^"]+)"', html).group(1)
    assert item_grades == "02" + "00" + "40"  # reporter-major: position * n_items + item
    assert "作风建设：较好" in html


@pytest.mark.parametrize("data,message", [
    ({"grades": "11"}, "应对全部 3 名述职人"),
    ({"grades": "11x"}, "应对全部 3 名述职人"),
    ({"grades": "1111"}, "应对全部 3 名述职人"),
    ({"grades": "111", "comment": "很" * 501}, "不能超过 500 字"),
    ({"grades": "111", "item_grades": "12"}, "分项评价内容有误"),
    ({"grades": "111", "nonce": ""}, "一次性提交码"),
])
def test_a_tampered_submission_is_refused_and_changes_nothing(box, data, message):
    t = tokens(box)[0]
    r = Client().post(reverse("vote:submit", args=[t.secret]), {"nonce": "n" * 22, **data})
    assert r.status_code == 400 and message in r.content.decode()
    assert not EncryptedBallot.objects.exists()
    t.refresh_from_db()
    assert t.status == TokenStatus.ISSUED


def test_voter_pages_are_not_cached_and_send_no_referrer(box):
    r = Client().get(reverse("vote:ballot", args=[tokens(box)[0].secret]))
    assert "no-store" in r["Cache-Control"] or "max-age=0" in r["Cache-Control"]
    assert r["Referrer-Policy"] == "no-referrer"


def test_voter_pages_need_no_login_even_for_staff_only_users(box, users, client_for):
    # Anyone holding the token may vote, logged in or not: the token is the credential.
    r = client_for(users.nobody).get(reverse("vote:ballot", args=[tokens(box)[0].secret]))
    assert r.status_code == 200


def test_a_first_ballot_page_reads_the_token_the_lines_and_the_campaign(box, django_assert_num_queries):
    # Not cached yet (see test_vote_cache.py for the cached page): token + box, lines with names, campaign.
    t = tokens(box)[0]
    with django_assert_num_queries(3):
        r = Client().get(reverse("vote:ballot", args=[t.secret]))
    html = r.content.decode()
    assert r.status_code == 200 and html.count('type="radio"') == 3 * 5
    assert "钱东明" in html and "区委领导" in html and f"/v/{t.secret}/submit/" in html
