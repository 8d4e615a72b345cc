"""The shared write path: one ballot per token, idempotent retries, clear refusals."""

import pytest
from django.core.exceptions import ValidationError

from shuping.ballots.casting import TokenRefused, cast
from shuping.ballots.models import (
    Ballot,
    BallotBox,
    BallotComment,
    BallotReceipt,
    BallotToken,
    BoxState,
    EncryptedBallot,
    TokenStatus,
)
from shuping.ballots.tests.conftest import sealed


def token_of(box, n=0):
    return BallotToken.objects.select_related("box").filter(box=box).order_by("serial")[n]


def test_a_token_casts_one_ballot(box):
    t = token_of(box)
    result = cast(t, "phone", "124", comment="建议加强阵地建设", nonce="n1")
    assert not result.already_counted and len(result.receipt) == 10
    t.refresh_from_db()
    assert (t.status, t.channel) == (TokenStatus.USED, "phone")
    # Until 封箱 only ciphertext is stored; then the ballot, its comment and its receipt, each apart.
    assert EncryptedBallot.objects.count() == 1 and not Ballot.objects.exists()
    sealed(box)
    b = Ballot.objects.get()
    assert (b.grades, b.group) == ("124", 0)
    assert BallotComment.objects.get().text == "建议加强阵地建设"
    assert BallotReceipt.objects.get().receipt == result.receipt
    assert not EncryptedBallot.objects.exists()


def test_a_retry_with_the_same_nonce_says_already_counted(box):
    t = token_of(box)
    first = cast(t, "phone", "111", nonce="n1")
    again = cast(token_of(box), "phone", "111", nonce="n1")
    assert again.already_counted and again.receipt == first.receipt
    assert EncryptedBallot.objects.count() == 1


def test_a_different_ballot_with_a_used_token_is_refused(box):
    cast(token_of(box), "phone", "111", nonce="n1")
    with pytest.raises(TokenRefused) as e:
        cast(token_of(box), "phone", "444", nonce="n2")
    assert e.value.reason == TokenRefused.USED and "已经使用过" in e.value.message
    sealed(box)
    assert list(Ballot.objects.values_list("grades", flat=True)) == ["111"]


@pytest.mark.parametrize("state,reason", [(BoxState.SETUP, TokenRefused.NOT_OPEN), (BoxState.CLOSED, TokenRefused.CLOSED)])
def test_a_box_that_is_not_open_refuses(box, state, reason):
    BallotBox.objects.filter(pk=box.pk).update(state=state)
    with pytest.raises(TokenRefused) as e:
        cast(token_of(box), "phone", "111", nonce="n1")
    assert e.value.reason == reason
    assert not EncryptedBallot.objects.exists()


def test_a_revoked_token_is_refused(box):
    t = token_of(box)
    BallotToken.objects.filter(pk=t.pk).update(status=TokenStatus.REVOKED)
    with pytest.raises(TokenRefused) as e:
        cast(t, "phone", "111", nonce="n1")
    assert e.value.reason == TokenRefused.REVOKED


@pytest.mark.parametrize("grades", ["11", "1111", "15x", "", "1 1"])
def test_malformed_grades_change_nothing(box, grades):
    with pytest.raises(ValidationError):
        cast(token_of(box), "phone", grades, nonce="n1")
    assert not EncryptedBallot.objects.exists()
    assert token_of(box).status == TokenStatus.ISSUED


def test_an_oversized_comment_is_refused(box):
    with pytest.raises(ValidationError, match="不能超过 500 字"):
        cast(token_of(box), "phone", "111", comment="很" * 501, nonce="n1")
    assert not EncryptedBallot.objects.exists()
