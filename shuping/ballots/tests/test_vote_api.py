"""POST /api/ballots/cast: token-authenticated casting for scripts, integrations and the load benchmark."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from shuping.ballots.models import (
    Ballot,
    BallotBox,
    BallotComment,
    BallotLine,
    BallotReceipt,
    BallotToken,
    EncryptedBallot,
    TokenStatus,
)
from shuping.ballots.tests.conftest import sealed

URL = "/api/ballots/cast"


def tokens(box):
    return list(BallotToken.objects.filter(box=box).order_by("serial"))


def pids(box):
    return list(BallotLine.objects.filter(box=box).order_by("position").values_list("participant_id", flat=True))


def post(body, client=None, **extra):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return (client or Client()).post(URL, data=data, content_type="application/json", **extra)


def test_it_casts_with_the_qr_secret_and_labels_by_participant(box):
    t = tokens(box)[0]
    p = pids(box)
    r = post({"token": t.secret, "grades": {str(p[0]): "好", str(p[2]): "差"}, "comment": "多下基层", "nonce": "a1"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["already_counted"] is False and body["message"] == "已提交" and len(body["receipt"]) == 10
    sealed(box)
    b = Ballot.objects.get()
    assert (b.grades, b.group) == ("104", 0) and BallotReceipt.objects.get().receipt == body["receipt"]
    assert BallotComment.objects.get().text == "多下基层"


def test_it_casts_with_the_short_code_and_a_grade_string(box):
    t = tokens(box)[15]
    r = post({"token": t.code.lower(), "grades": "321", "nonce": "a2"})
    assert r.status_code == 200
    sealed(box)
    assert Ballot.objects.get().grades == "321" and Ballot.objects.get().group == 1


def test_a_retry_with_the_same_nonce_is_already_counted(box):
    t = tokens(box)[0]
    first = post({"token": t.secret, "grades": "111", "nonce": "same"}).json()
    again = post({"token": t.secret, "grades": "111", "nonce": "same"})
    assert again.status_code == 200
    assert again.json() == {"receipt": first["receipt"], "already_counted": True, "message": "您的选票此前已成功提交并计入"}
    assert EncryptedBallot.objects.count() == 1


def test_a_different_ballot_with_a_used_token_is_refused(box):
    t = tokens(box)[0]
    post({"token": t.secret, "grades": "111", "nonce": "one"})
    r = post({"token": t.secret, "grades": "444", "nonce": "two"})
    assert r.status_code == 409 and r.json()["reason"] == "used" and "已经使用过" in r.json()["detail"]
    sealed(box)
    assert Ballot.objects.get().grades == "111"


def test_an_unknown_token_is_404(box):
    r = post({"token": "ZZZZZZZZ", "grades": "111", "nonce": "x"})
    assert r.status_code == 404 and r.json()["reason"] == "unknown"


def test_a_revoked_token_is_refused(box):
    t = tokens(box)[0]
    BallotToken.objects.filter(pk=t.pk).update(status=TokenStatus.REVOKED)
    r = post({"token": t.secret, "grades": "111", "nonce": "x"})
    assert r.status_code == 409 and "作废" in r.json()["detail"]


def test_a_closed_box_refuses(box):
    BallotBox.objects.filter(pk=box.pk).update(state="closed")
    r = post({"token": tokens(box)[0].secret, "grades": "111", "nonce": "x"})
    assert r.status_code == 409 and r.json()["reason"] == "closed"


@pytest.mark.parametrize("body,message", [
    ("{not json", "不是合法的 JSON"),
    (b"{\xff\xfe", "不是合法的 JSON"),
    ("[]", "应为 JSON 对象"),
    ("", "应为 JSON 对象"),
    ('{"grades": "111", "nonce": "x"}', "缺少字段 token"),
    ('{"token": "abc", "grades": "111"}', "缺少字段 nonce"),
])
def test_malformed_json_is_a_422_with_a_clear_message(box, body, message):
    r = post(body)
    assert r.status_code == 422
    assert any(message in e for e in r.json()["errors"]), r.json()
    assert not EncryptedBallot.objects.exists()


@pytest.mark.parametrize("grades,message", [
    ({"999999": "好"}, "不在本次测评票上"),
    ({"abc": "好"}, "不在本次测评票上"),
    ({"PID0": "优秀"}, "无效"),  # a label that is not a grade (PID0: the first reporter's id)
    ("11", "应对全部 3 名述职人"),
    ("1x1", "应对全部 3 名述职人"),
])
def test_tampered_grades_are_refused_and_change_nothing(box, grades, message):
    t = tokens(box)[0]
    if isinstance(grades, dict) and "PID0" in grades:
        grades = {str(pids(box)[0]): grades["PID0"]}
    r = post({"token": t.secret, "grades": grades, "nonce": "x"})
    assert r.status_code == 422 and message in " ".join(r.json()["errors"])
    assert not EncryptedBallot.objects.exists()
    t.refresh_from_db()
    assert t.status == TokenStatus.ISSUED


def test_an_oversized_comment_is_refused(box):
    r = post({"token": tokens(box)[0].secret, "grades": "111", "comment": "很" * 501, "nonce": "x"})
    assert r.status_code == 422 and "不能超过 500 字" in r.json()["errors"][0]
    assert not EncryptedBallot.objects.exists()


def test_item_grades_by_name(box):
    BallotBox.objects.filter(pk=box.pk).update(items=["组织建设", "作风建设"])
    p = pids(box)
    r = post({"token": tokens(box)[0].secret, "grades": "111", "nonce": "x",
              "item_grades": {str(p[1]): {"作风建设": "一般"}, str(p[2]): ["好", "差"]}})
    assert r.status_code == 200, r.content
    sealed(box)
    assert Ballot.objects.get().item_grades == "00" + "03" + "14"


def test_item_grades_on_a_ballot_without_items_are_refused(box):
    r = post({"token": tokens(box)[0].secret, "grades": "111", "nonce": "x",
              "item_grades": {str(pids(box)[0]): ["好"]}})
    assert r.status_code == 422 and "不设分项" in r.json()["errors"][0]


def test_short_code_guessing_is_throttled(box):
    from shuping.ballots.actions import voting

    for _ in range(voting.GUESS_LIMIT):
        assert post({"token": "ZZZZZZZZ", "grades": "111", "nonce": "x"}, REMOTE_ADDR="10.0.0.7").status_code == 404
    r = post({"token": tokens(box)[0].code, "grades": "111", "nonce": "x"}, REMOTE_ADDR="10.0.0.7")
    assert r.status_code == 429 and r.json()["detail"] == "尝试次数过多，请稍后再试"
    assert not EncryptedBallot.objects.exists()


def test_it_needs_no_api_token_and_ignores_one(box, users):
    # Voters have no account; a staff bearer token neither helps nor hurts.
    r = post({"token": tokens(box)[0].secret, "grades": "111", "nonce": "x"}, HTTP_AUTHORIZATION="Bearer nonsense")
    assert r.status_code == 200


def test_the_cast_path_is_a_few_queries(box, django_assert_max_num_queries):
    t = tokens(box)
    post({"token": t[0].secret, "grades": "111", "nonce": "warm"})  # layout cache warm (box opened_at unset → no cache)
    with django_assert_max_num_queries(6):
        assert post({"token": t[1].secret, "grades": "111", "nonce": "y"}).status_code == 200


def test_it_is_in_the_openapi_schema(box):
    schema = Client().get("/api/openapi.json").json()
    op = schema["paths"]["/api/ballots/cast"]["post"]
    assert "token" in json.dumps(op["requestBody"]) and not op.get("security")
