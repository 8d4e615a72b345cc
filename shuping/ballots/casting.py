"""The one write path for a ballot, shared by phones, the API and tellers' paper entry.

Few queries by design (shared/limits.md): one conditional UPDATE of the token, one INSERT of the
ballot with its grades in one column, and one INSERT for a comment if there is one — in one transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from shuping.ballots import codes
from shuping.ballots.models import (
    Ballot,
    BallotBox,
    BallotComment,
    BallotToken,
    BoxState,
    TokenChannel,
    TokenStatus,
)


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
    # Paper sheets are collected at the meeting and keyed by tellers after the box is closed.
    accepting = box.state == BoxState.OPEN or (channel == TokenChannel.PAPER and box.state == BoxState.CLOSED)
    try:
        stored = accepting and _claim_and_store(token, channel, sub_hash, grades, item_grades, receipt, comment)
    except IntegrityError:  # a receipt collision (≈2^-50): nothing was stored; the voter simply submits again
        raise ValidationError("提交失败，请重新提交") from None
    if not stored:
        current = BallotToken.objects.filter(pk=token.pk).values("status", "submission_hash").first()
        status = current["status"] if current else None
        if current and nonce and status == TokenStatus.USED and current["submission_hash"] == sub_hash:
            return CastResult(receipt=receipt, already_counted=True)
        raise _refusal(status, box.state)
    return CastResult(receipt=receipt, already_counted=False)


# PostgreSQL: the claim and the inserts as ONE statement — one round trip, atomic on its own (or part of
# the caller's transaction). The claim is a conditional UPDATE of the token row alone, so a concurrent
# claimer waits on the row lock and then re-checks status='issued': exactly one wins.
_PG_CAST = f"""
WITH claimed AS (
    UPDATE {BallotToken._meta.db_table} SET status = %s, channel = %s, submission_hash = %s
    WHERE id = %s AND status = %s
    RETURNING box_id, "group"
), ballot AS (
    INSERT INTO {Ballot._meta.db_table} (id, box_id, "group", grades, item_grades, receipt)
    SELECT %s, box_id, "group", %s, %s, %s FROM claimed
    RETURNING box_id
), note AS (
    INSERT INTO {BallotComment._meta.db_table} (id, box_id, text)
    SELECT %s, box_id, %s FROM ballot WHERE %s
)
SELECT count(*) FROM ballot
"""


def _claim_and_store(token: BallotToken, channel: str, sub_hash: str, grades: str, item_grades: str,
                     receipt: str, comment: str) -> bool:
    """Claim the token and store the ballot (and its comment, apart). False when the token was not issued."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_PG_CAST, [
                TokenStatus.USED, channel, sub_hash, token.pk, TokenStatus.ISSUED,
                uuid.uuid4(), grades, item_grades, receipt,
                uuid.uuid4(), comment, bool(comment),
            ])
            row = cursor.fetchone()
            return bool(row and row[0] == 1)
    with transaction.atomic():
        if BallotToken.objects.filter(pk=token.pk, status=TokenStatus.ISSUED).update(
            status=TokenStatus.USED, channel=channel, submission_hash=sub_hash
        ) != 1:
            return False
        Ballot.objects.create(box_id=token.box_id, group=token.group, grades=grades,
                              item_grades=item_grades, receipt=receipt)
        if comment:
            BallotComment.objects.create(box_id=token.box_id, text=comment)
    return True
