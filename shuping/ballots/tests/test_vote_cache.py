"""The voter pages' per-box cache and the in-page review path: each voter sees their own token, nonce and
group and nobody else's; a changed box shows the new page; the hot requests are one and two queries."""

from __future__ import annotations

import html as htmllib
import re

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from shuping.ballots import views_vote
from shuping.ballots.actions import setup
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
from shuping.orgs.models import Unit


@pytest.fixture
def opened(box, users) -> BallotBox:
    """The `box` fixture opened the real way (open_box gives it its opening time, the cache's version)."""
    BallotBox.objects.filter(pk=box.pk).update(state=BoxState.SETUP)
    return setup.open_box(users.organiser, BallotBox.objects.get(pk=box.pk))


def token(box, group=0, n=0) -> BallotToken:
    return BallotToken.objects.filter(box=box, group=group).order_by("serial")[n]


def get(t: BallotToken):
    return Client().get(reverse("vote:ballot", args=[t.secret]))


def forms(page: str) -> list[dict]:
    """Each form as a browser reads it: action, hidden inputs, radio names (in page order), button texts."""
    out = []
    for head, body in re.findall(r"<form\b([^>]*)>(.*?)</form>", page, re.S):
        action = htmllib.unescape(re.search(r'action="([^"]*)"', head).group(1))
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', body))
        radios = list(dict.fromkeys(re.findall(r'<input type="radio" name="([^"]+)"', body)))
        buttons = re.findall(r"<button[^>]*>([^<]+)</button>", body)
        out.append({"action": action, "hidden": {k: htmllib.unescape(v) for k, v in hidden.items()},
                    "radios": radios, "buttons": buttons})
    return out


def form_with(page: str, button: str) -> dict:
    return next(f for f in forms(page) if any(button in b for b in f["buttons"]))


def reporters_in_order(page: str) -> list[str]:
    return re.findall(r'data-who="([^"]+)"', page)


def test_each_voter_gets_their_own_token_nonce_and_group_from_the_cached_page(opened):
    a, b = token(opened, group=0), token(opened, group=1)
    first, second, again = get(a).content.decode(), get(b).content.decode(), get(a).content.decode()
    for page, mine, other, group, other_group in ((first, a, b, "区委领导", "领导小组成员"),
                                                  (second, b, a, "领导小组成员", "区委领导")):
        assert f"/v/{mine.secret}/" in page and f"/v/{mine.secret}/submit/" in page
        assert other.secret not in page
        assert f"测评人员类别：<b>{group}</b>" in page and other_group not in page
        # One nonce per page: the no-JS form and the in-page confirmation carry the same one.
        assert form_with(page, "下一步")["hidden"]["nonce"] == form_with(page, "确认提交")["hidden"]["nonce"]
        assert "zz" + "secret" not in page and views_vote.MARKERS["nonce"] not in page
    nonces = {form_with(p, "下一步")["hidden"]["nonce"] for p in (first, second, again)}
    assert len(nonces) == 3, "every page view gets a fresh nonce, also from the cache"
    assert first.replace(form_with(first, "下一步")["hidden"]["nonce"], "N") == \
        again.replace(form_with(again, "下一步")["hidden"]["nonce"], "N"), "the same voter gets the same page"


def test_a_group_name_is_escaped_into_the_cached_page(opened):
    c = opened.campaign
    c.scheme["voter_groups"][0]["name"] = "<b>领导</b> & 代表"
    c.save(update_fields=["scheme"])
    page = get(token(opened, group=0)).content.decode()
    assert "&lt;b&gt;领导&lt;/b&gt; &amp; 代表" in page and "<b>领导</b>" not in page


def test_the_cached_ballot_page_is_one_query(opened, django_assert_num_queries):
    get(token(opened, n=0))  # builds the box's pages
    t = token(opened, n=1)
    with django_assert_num_queries(1):
        r = get(t)
    page = r.content.decode()
    assert r.status_code == 200 and r["Content-Type"].startswith("text/html")
    assert reporters_in_order(page) == ["东城街道党工委 钱东明", "西城街道党工委 孙西华", "区教育局党委 李育才"]
    assert page.count('type="radio"') == 3 * 5 and "2023年度述职评议" in page
    assert f'action="/v/{t.secret}/submit/"' in page
    assert "no-store" in r["Cache-Control"] and r["Referrer-Policy"] == "no-referrer" and not r.cookies


def test_the_in_page_confirmation_casts_in_one_request_with_two_queries(opened, django_assert_max_num_queries):
    t = token(opened)
    page = get(t).content.decode()
    confirm = form_with(page, "确认提交")
    assert confirm["action"] == f"/v/{t.secret}/submit/"
    assert confirm["hidden"]["grades"] == "", "vote.js fills the grades from the radios"
    fields = {**confirm["hidden"], "grades": "140", "comment": "加强阵地建设"}
    # PostgreSQL: the token with its box, then the claim and the inserts as one statement.
    with django_assert_max_num_queries(2 if connection.vendor == "postgresql" else 6):
        r = Client().post(confirm["action"], fields)
    done = r.content.decode()
    assert r.status_code == 200 and "您的选票已成功提交并计入" in done and "2023年度述职评议" in done
    receipt = re.search(r'data-receipt="([A-Z0-9]+)"', done).group(1)
    assert f"{receipt[:5]}-{receipt[5:]}" in done
    t.refresh_from_db()
    assert t.status == TokenStatus.USED and t.channel == "phone"
    # The same page posted again (a reload, a second tap): already counted, same receipt, nothing added.
    again = Client().post(confirm["action"], fields).content.decode()
    assert "此前已成功提交并计入" in again and f'data-receipt="{receipt}"' in again
    assert EncryptedBallot.objects.count() == 1
    sealed(opened)
    assert [b.grades for b in Ballot.objects.all()] == ["140"]
    assert BallotReceipt.objects.get().receipt == receipt and BallotComment.objects.get().text == "加强阵地建设"


def test_without_javascript_the_ballot_review_and_submit_forms_lead_to_the_receipt(opened):
    t = token(opened, group=1)
    get(token(opened, group=1, n=1))  # the page comes from the cache
    page = get(t).content.decode()
    ballot = form_with(page, "下一步")
    assert ballot["action"] == f"/v/{t.secret}/"
    radios = ballot["radios"]
    assert radios == [f"g{pid}" for pid in BallotLine.objects.filter(box=opened).order_by("position")
                      .values_list("participant_id", flat=True)]
    review = Client().post(ballot["action"], {**ballot["hidden"], radios[0]: "2", radios[2]: "4"}).content.decode()
    assert "请核对您的选择" in review and "已选 2/3" in review and "领导小组成员" in review
    confirm = form_with(review, "确认提交")
    assert confirm["hidden"]["grades"] == "204" and confirm["hidden"]["nonce"] == ballot["hidden"]["nonce"]
    done = Client().post(confirm["action"], confirm["hidden"]).content.decode()
    assert "您的选票已成功提交并计入" in done
    sealed(opened)
    assert Ballot.objects.get().grades == "204" and Ballot.objects.get().group == 1


def test_a_box_reordered_and_given_items_before_it_is_opened_again_shows_the_new_page(opened, users):
    t = token(opened)
    assert reporters_in_order(get(t).content.decode())[0] == "东城街道党工委 钱东明"
    # Lines and items can only change before voting starts; stand in for a box taken back to 准备中.
    BallotBox.objects.filter(pk=opened.pk).update(state=BoxState.SETUP)
    box = BallotBox.objects.get(pk=opened.pk)
    ids = list(BallotLine.objects.filter(box=box).order_by("position").values_list("participant_id", flat=True))
    setup.set_lines(users.organiser, box, ids[::-1])
    setup.update_box(users.organiser, box, ["组织建设"], comments_enabled=False, comment_max_chars=500)
    assert "尚未开始" in get(t).content.decode()
    setup.open_box(users.organiser, box)
    page = get(t).content.decode()
    assert reporters_in_order(page) == ["区教育局党委 李育才", "西城街道党工委 孙西华", "东城街道党工委 钱东明"]
    assert "组织建设" in page and "意见建议" not in page
    assert form_with(page, "下一步")["radios"][0] == f"g{ids[-1]}"


def test_a_closed_box_refuses_the_cached_page_and_a_reopened_one_serves_it_again(opened, users):
    t = token(opened)
    assert get(t).status_code == 200
    setup.close_box(users.organiser, opened)
    r = get(t)
    assert r.status_code == 409 and "已结束" in r.content.decode() and 'type="radio"' not in r.content.decode()
    setup.reopen_box(users.organiser, BallotBox.objects.get(pk=opened.pk), "会场网络故障，部分测评人未能提交")
    r = get(t)
    page = r.content.decode()
    assert r.status_code == 200 and page.count('type="radio"') == 15 and f"/v/{t.secret}/submit/" in page


def test_an_item_change_shows_at_once_and_a_renamed_unit_within_the_cache_lifetime(opened, monkeypatch):
    t = token(opened)
    assert "分项评价" not in get(t).content.decode()
    BallotBox.objects.filter(pk=opened.pk).update(items=["作风建设"])
    assert "作风建设" in get(t).content.decode(), "the items are part of the cache key"
    Unit.objects.filter(name="东城街道党工委").update(name="东城街道党工委（新）")
    clock = [views_vote.time.monotonic() + views_vote.PAGE_TTL + 1]
    monkeypatch.setattr(views_vote.time, "monotonic", lambda: clock[0])
    assert "东城街道党工委（新） 钱东明" in get(t).content.decode()


def test_a_page_filled_in_on_other_lines_is_refused_and_changes_nothing(opened):
    t = token(opened)
    page = get(t).content.decode()
    fields = {**form_with(page, "确认提交")["hidden"], "grades": "111", "layout": "0123456789abcdef"}
    r = Client().post(reverse("vote:submit", args=[t.secret]), fields)
    assert r.status_code == 400 and views_vote.LAYOUT_CHANGED in r.content.decode()
    assert not EncryptedBallot.objects.exists()
    t.refresh_from_db()
    assert t.status == TokenStatus.ISSUED


def test_after_voting_the_same_token_gets_the_used_message_not_the_cached_page(opened):
    t = token(opened)
    page = get(t).content.decode()
    Client().post(reverse("vote:submit", args=[t.secret]), {**form_with(page, "确认提交")["hidden"], "grades": "111"})
    r = get(t)
    assert r.status_code == 409 and "该测评码已经使用过" in r.content.decode()
    assert 'type="radio"' not in r.content.decode()


@pytest.mark.parametrize("secret,status,message", [
    ("no-such-secret-at-all-xx", 404, "无效的测评码"),
    ("x" * 65, 404, "无效的测评码"),
])
def test_an_unknown_token_on_either_page_is_a_404(opened, secret, status, message):
    for r in (Client().get(f"/v/{secret}/"), Client().post(f"/v/{secret}/submit/", {"grades": "111", "nonce": "n"})):
        assert r.status_code == status and message in r.content.decode()
    assert not EncryptedBallot.objects.exists()


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (CONN_HEALTH_CHECKS, a killed backend)")
@pytest.mark.django_db(transaction=True)
def test_the_token_look_up_replaces_a_dead_kept_connection_instead_of_a_health_check(opened, monkeypatch):
    import psycopg

    checks = []
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append(1) or True)  # Django's `SELECT 1`
    t = token(opened)
    assert get(t).status_code == 200
    # A new request with a kept connection whose server process has died meanwhile (a PostgreSQL restart).
    pid = connection.connection.info.backend_pid
    with psycopg.connect(connection.connection.info.dsn, password=connection.settings_dict["PASSWORD"],
                         autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    connection.health_check_done = False  # as close_old_connections() leaves it at each request's start
    r = get(t)
    assert r.status_code == 200 and f"/v/{t.secret}/submit/" in r.content.decode()
    assert connection.connection.info.backend_pid != pid
    assert not checks, "no separate health-check round trip on the voter path"
