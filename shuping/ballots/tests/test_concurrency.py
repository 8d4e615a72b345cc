"""Concurrent submissions on PostgreSQL: one token, one ballot — whatever the race.

Real threads, each with its own database connection, released at once by a barrier.
"""

from __future__ import annotations

import pytest
from django.db import connection

from shuping.ballots.actions import setup, voting
from shuping.ballots.casting import TokenRefused
from shuping.ballots.models import Ballot, BallotReceipt, BallotToken, BoxState, EncryptedBallot, TokenStatus
from shuping.ballots.tests.conftest import sealed
from shuping.conftest import race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrency needs PostgreSQL"),
]


def fresh(secret: str):
    return voting.find_token(secret=secret)


def test_twenty_different_submissions_of_one_token_make_exactly_one_ballot(box):
    secret = BallotToken.objects.filter(box=box).first().secret
    out = race(20, lambda i: voting.submit(fresh(secret), "1234"[i % 4] * 3, nonce=f"nonce-{i}"))
    successes = [r for r in out if not isinstance(r, Exception)]
    refused = [r for r in out if isinstance(r, TokenRefused)]
    assert len(successes) == 1 and not successes[0].already_counted
    assert len(refused) == 19 and {r.reason for r in refused} == {TokenRefused.USED}
    assert EncryptedBallot.objects.count() == 1
    sealed(box)
    assert Ballot.objects.count() == 1
    assert BallotReceipt.objects.get().receipt == successes[0].receipt


def test_the_same_submission_sent_twenty_times_at_once_counts_once_and_all_say_counted(box):
    secret = BallotToken.objects.filter(box=box).first().secret
    out = race(20, lambda i: voting.submit(fresh(secret), "123", nonce="the-same-nonce"))
    assert not [r for r in out if isinstance(r, Exception)], out
    assert len({r.receipt for r in out}) == 1
    assert sum(1 for r in out if not r.already_counted) == 1
    assert EncryptedBallot.objects.count() == 1


def test_many_tokens_in_parallel_make_as_many_ballots_as_successes(box):
    secrets = list(BallotToken.objects.filter(box=box).values_list("secret", flat=True))
    # Each token is submitted twice with different nonces, all at once: 40 attempts on 20 tokens.
    out = race(2 * len(secrets), lambda i: voting.submit(fresh(secrets[i // 2]), "214", nonce=f"n-{i}"))
    successes = [r for r in out if not isinstance(r, Exception)]
    assert all(isinstance(r, TokenRefused) and r.reason == TokenRefused.USED for r in out if isinstance(r, Exception))
    assert len(successes) == len(secrets) == EncryptedBallot.objects.count()
    assert BallotToken.objects.filter(status=TokenStatus.USED).count() == len(secrets)
    assert len({r.receipt for r in successes}) == len(successes)
    sealed(box)
    assert Ballot.objects.count() == len(secrets) and not EncryptedBallot.objects.exists()


def test_casts_racing_the_seal_are_either_sealed_or_refused_never_lost(box, users):
    """封箱 while phones submit: every acknowledged ballot is among the sealed ones, nothing waits in the urn
    under a destroyed key, and a refused phone was told the box is closed (its token stays unused)."""
    secrets = list(BallotToken.objects.filter(box=box).values_list("secret", flat=True))

    def work(i: int):
        if i == len(secrets):
            return setup.close_box(users.organiser, box)
        return voting.submit(fresh(secrets[i]), "123", nonce=f"n-{i}")

    out = race(len(secrets) + 1, work)
    acknowledged = [r for r in out[:-1] if not isinstance(r, Exception)]
    refused = [r for r in out[:-1] if isinstance(r, Exception)]
    assert not isinstance(out[-1], Exception), out[-1]
    assert all(isinstance(r, TokenRefused) and r.reason == TokenRefused.CLOSED for r in refused), refused
    assert Ballot.objects.filter(box=box).count() == len(acknowledged)
    assert sorted(BallotReceipt.objects.values_list("receipt", flat=True)) == sorted(r.receipt for r in acknowledged)
    assert not EncryptedBallot.objects.exists()
    assert BallotToken.objects.filter(status=TokenStatus.USED).count() == len(acknowledged)
    assert box.state == BoxState.CLOSED
