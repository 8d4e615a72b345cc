"""The one write path for a ballot, shared by phones, the API and tellers' paper entry.

Few queries by design (shared/limits.md): one statement on PostgreSQL that checks the box still takes
ballots under the key the ballot was encrypted with, claims the token and inserts the encrypted ballot
(shuping.ballots.urn) — atomic on its own. Nothing readable is stored until the box is sealed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from shuping.ballots import codes, urn
from shuping.ballots.models import BallotBox, BallotToken, BoxState, EncryptedBallot, TokenChannel, TokenStatus
from shuping.ballots.urn_rules import UrnBallot


class TokenRefused(Exception):
    """The token cannot cast a ballot; `reason` is one of the class attributes, `message` is for the voter."""

    UNKNOWN = "unknown"
    USED = "used"
    REVOKED = "revoked"
    INVALID = "invalid"
    NOT_OPEN = "not_open"
    CLOSED = "closed"

    MESSAGES = {
        UNKNOWN: "无效的测评码，请核对后重新输入",
        USED: "该测评码已经使用过，不能再次投票",
        REVOKED: "该测评码已被作废，请向工作人员领取新的测评票",
        INVALID: "该测评码对应的纸质票已登记为废票",
        NOT_OPEN: "民主测评尚未开始，请稍候",
        CLOSED: "民主测评已结束（票箱已封箱）",
    }

    def __init__(self, reason: str) -> None:
        super().__init__(self.MESSAGES[reason])
        self.reason = reason
        self.message = self.MESSAGES[reason]


@dataclass(frozen=True)
class CastResult:
    receipt: str
    already_counted: bool  # True when this was a retry of a submission already stored


def check_grades(box: BallotBox, n_lines: int, grades: str, item_grades: str = "", comment: str = "") -> None:
    """Refuse malformed ballots with a clear message; changes nothing."""
    if len(grades) != n_lines or any(ch not in codes.VALID_CHARS for ch in grades):
        raise ValidationError(f"选票内容不完整或有误：应对全部 {n_lines} 名述职人各选一项（好、较好、一般、差或弃权）")
    n_items = len(box.items)
    if item_grades and (len(item_grades) != n_lines * n_items or any(ch not in codes.VALID_CHARS for ch in item_grades)):
        raise ValidationError("分项评价内容有误")
    if comment and not box.comments_enabled:
        raise ValidationError("本次测评不收集意见建议")
    if len(comment) > box.comment_max_chars:
        raise ValidationError(f"意见建议不能超过 {box.comment_max_chars} 字（当前 {len(comment)} 字）")


def _refusal(status: str | None, box_state: str) -> TokenRefused:
    if status is None:
        return TokenRefused(TokenRefused.UNKNOWN)
    if status == TokenStatus.USED:
        return TokenRefused(TokenRefused.USED)
    if status == TokenStatus.REVOKED:
        return TokenRefused(TokenRefused.REVOKED)
    if status == TokenStatus.INVALID:
        return TokenRefused(TokenRefused.INVALID)
    if box_state == BoxState.SETUP:
        return TokenRefused(TokenRefused.NOT_OPEN)
    return TokenRefused(TokenRefused.CLOSED)


def cast(
    token: BallotToken,
    channel: str,
    grades: str,
    item_grades: str = "",
    comment: str = "",
    nonce: str = "",
    n_lines: int | None = None,
) -> CastResult:
    """Cast one ballot with `token` (fetched with its box). Exactly once per token, even under
    concurrent submissions. `channel` is TokenChannel.PHONE or PAPER.

    `nonce` is the phone page's one-time value: the same nonce again returns the same receipt with
    already_counted=True; a different ballot with a used token raises TokenRefused(USED)."""
    box = token.box
    if n_lines is None:
        n_lines = box.lines.count()
    comment = comment.strip()
    check_grades(box, n_lines, grades, item_grades, comment)
    sub_hash = codes.submission_hash(nonce) if nonce else ""
    # Paper ballots have no nonce: their receipt is random.
    receipt = codes.receipt_for(nonce or codes.new_secret(), settings.SECRET_KEY)
    ballot = UrnBallot(group=token.group, grades=grades, item_grades=item_grades, comment=comment, receipt=receipt)
    # Paper sheets are collected at the meeting and keyed by tellers after the box is closed.
    states: list[str] = [BoxState.OPEN, BoxState.CLOSED] if channel == TokenChannel.PAPER else [BoxState.OPEN]
    key_id = box.urn_key_id
    for _attempt in range(2):
        stored = box.state in states and _claim_and_store(token, channel, sub_hash, states, key_id,
                                                          urn.encrypt(box, n_lines, ballot))
        if stored:
            return CastResult(receipt=receipt, already_counted=False)
        current = (BallotToken.objects.filter(pk=token.pk)
                   .values("status", "submission_hash", "box__state", "box__urn_key_id").first())
        if current is None:
            raise TokenRefused(TokenRefused.UNKNOWN)
        status = current["status"]
        if nonce and status == TokenStatus.USED and current["submission_hash"] == sub_hash:
            return CastResult(receipt=receipt, already_counted=True)
        if status != TokenStatus.ISSUED or current["box__state"] not in states or current["box__urn_key_id"] == key_id:
            raise _refusal(status, current["box__state"])
        # The box was sealed and reopened between reading it and casting: encrypt under its new key, once.
        box.state, box.urn_key_id = current["box__state"], current["box__urn_key_id"]
        key_id = box.urn_key_id
    raise _refusal(TokenStatus.ISSUED, box.state)


# PostgreSQL: the check, the claim and the insert as ONE statement — one round trip, atomic on its own (or
# part of the caller's transaction). The box row is read FOR KEY SHARE: a seal holds it FOR UPDATE, so a cast
# in flight finishes before the seal reads the urn, and a cast arriving during the seal waits, re-reads the
# row and finds another key (or a closed box) — nothing can be stored under a key after its seal. The claim
# is a conditional UPDATE of the token row, so a concurrent claimer waits on the row lock and then re-checks
# status='issued': exactly one wins.
_PG_CAST = f"""
WITH box AS (
    SELECT id FROM {BallotBox._meta.db_table} WHERE id = %s AND urn_key_id = %s AND state = ANY(%s) FOR KEY SHARE
), claimed AS (
    UPDATE {BallotToken._meta.db_table} SET status = %s, channel = %s, submission_hash = %s
    WHERE id = %s AND status = %s AND box_id = (SELECT id FROM box)
    RETURNING box_id
), stored AS (
    INSERT INTO {EncryptedBallot._meta.db_table} (id, box_id, key_id, blob)
    SELECT %s, box_id, %s, %s FROM claimed
    RETURNING box_id
)
SELECT count(*) FROM stored
"""


def _claim_and_store(token: BallotToken, channel: str, sub_hash: str, states: list[str], key_id: str,
                     blob: bytes) -> bool:
    """Claim the token and store its encrypted ballot. False when the token was not issued, or the box no
    longer takes ballots under `key_id` (closed, or sealed since it was read)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_PG_CAST, [
                token.box_id, key_id, states,
                TokenStatus.USED, channel, sub_hash, token.pk, TokenStatus.ISSUED,
                uuid.uuid4(), key_id, blob,
            ])
            row = cursor.fetchone()
            return bool(row and row[0] == 1)
    # SQLite has one writer at a time: the UPDATE takes the write lock and its subquery reads the box as of then.
    with transaction.atomic():
        if BallotToken.objects.filter(pk=token.pk, status=TokenStatus.ISSUED, box__urn_key_id=key_id,
                                      box__state__in=states).update(
                status=TokenStatus.USED, channel=channel, submission_hash=sub_hash) != 1:
            return False
        EncryptedBallot.objects.create(box_id=token.box_id, key_id=key_id, blob=blob)
    return True
