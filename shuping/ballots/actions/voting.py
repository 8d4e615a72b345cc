"""The voter's side of 民主测评: find a token by its QR secret or short code, read the ballot, submit.

Voters have no account: the token is their only credential, so these functions take no `actor`.
Nothing here writes an audit event or a log line: a ballot must not be linkable to a token, a device
or a time (domain.md "Integrity"); opening/closing the box and issuing tokens are audited elsewhere.

Short codes (8 symbols, ~40 bits) are typable and therefore guessable in principle: failed code look-ups
are counted per client key, `sha256(HMAC(SECRET_KEY, date) + address)` — a daily-changing keyed hash, so
the address is never stored in clear and (unlike a bare sha256 of an IPv4 address) cannot be recovered by
trying all 2^32 addresses. QR secrets carry 128 bits and are not throttled.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from shuping.ballots import casting, codes
from shuping.ballots.casting import CastResult, TokenRefused
from shuping.ballots.models import (
    BallotBox,
    BallotLine,
    BallotToken,
    BoxState,
    GuessThrottle,
    TokenChannel,
    TokenStatus,
)

# Failed short-code look-ups allowed per client key and window. A whole venue may share one address
# behind NAT, so the limit is generous for typos and still hopeless for guessing: at 20 tries per
# 10 minutes, finding one of 1,000 issued codes among 31^8 takes ~5e8 windows (~10,000 years).
GUESS_LIMIT = int(getattr(settings, "SHUPING_CODE_GUESS_LIMIT", 20))
GUESS_WINDOW = timedelta(minutes=int(getattr(settings, "SHUPING_CODE_GUESS_WINDOW_MINUTES", 10)))
THROTTLED_MESSAGE = "尝试次数过多，请稍后再试"

NONCE_BYTES = 16
MAX_NONCE_LENGTH = 64

# Labels voters (and API clients) may use for a grade, → the stored character.
LABEL_TO_CHAR = {label: char for char, label in codes.GRADE_LABELS.items()}
LABEL_TO_CHAR.update({char: char for char in codes.VALID_CHARS})
LABEL_TO_CHAR[""] = codes.ABSTAIN


class TooManyGuesses(Exception):
    """Too many failed short-code look-ups from this client key in the current window."""

    reason = "throttled"
    message = THROTTLED_MESSAGE

    def __init__(self) -> None:
        super().__init__(THROTTLED_MESSAGE)


def client_key(remote_addr: str, today: Any = None) -> str:
    """The throttle key for a client address: keyed, salted per day, one-way."""
    day = (today or timezone.localdate()).isoformat()
    salt = hmac.new(settings.SECRET_KEY.encode(), ("guess-throttle:" + day).encode(), hashlib.sha256).hexdigest()
    return hashlib.sha256((salt + (remote_addr or "")).encode()).hexdigest()


def new_nonce() -> str:
    """The one-time value of one rendering of the ballot page; never stored (only sha256 of it, on use)."""
    return secrets.token_urlsafe(NONCE_BYTES)


def _throttled(key: str) -> bool:
    row = GuessThrottle.objects.filter(key=key).values("failures", "window_start").first()
    return bool(row and row["window_start"] > timezone.now() - GUESS_WINDOW and row["failures"] >= GUESS_LIMIT)


def _count_failure(key: str) -> None:
    now = timezone.now()
    with transaction.atomic():
        # Restart the window when it has passed; otherwise count one more failure.
        if GuessThrottle.objects.filter(key=key, window_start__gt=now - GUESS_WINDOW).update(failures=F("failures") + 1):
            return
        if GuessThrottle.objects.filter(key=key).update(failures=1, window_start=now):
            return
        # Keys change daily: yesterday's rows are of no use, drop them while we are here.
        GuessThrottle.objects.filter(window_start__lt=now - timedelta(days=1)).delete()
        try:
            with transaction.atomic():
                GuessThrottle.objects.create(key=key, failures=1, window_start=now)
        except IntegrityError:  # a concurrent first failure from the same key
            GuessThrottle.objects.filter(key=key).update(failures=F("failures") + 1)


def find_token(secret: str | None = None, code: str | None = None, client_key: str = "",
               with_campaign: bool = True) -> BallotToken:
    """The token behind a scanned QR secret or a typed short code, with its box (and campaign, for pages).

    Raises TokenRefused(UNKNOWN) when there is none, TooManyGuesses when this client has failed too often
    with short codes. The token's own state (used, revoked, box closed…) is for the caller to show."""
    # The cast API needs only the box; loading the campaign (its scheme JSON) costs the hot path time.
    qs = BallotToken.objects.select_related("box__campaign" if with_campaign else "box")
    if secret:
        if len(secret) > 64:
            token = None
        elif with_campaign:
            token = qs.filter(secret=secret).first()
        else:
            token = _token_with_box(secret)
        if token is None:
            raise TokenRefused(TokenRefused.UNKNOWN)
        return token
    if client_key and _throttled(client_key):
        raise TooManyGuesses()
    normalised = codes.normalise_code(code or "")
    token = qs.filter(code=normalised).first() if len(normalised) == codes.CODE_LENGTH else None
    if token is None:
        if client_key:
            _count_failure(client_key)
        raise TokenRefused(TokenRefused.UNKNOWN)
    return token


_TOKEN_WITH_BOX_SQL = (
    'SELECT t.id, t.box_id, t."group", t.serial, t.status, t.channel, t.submission_hash, '
    "b.campaign_id, b.state, b.items, b.comments_enabled, b.comment_max_chars, b.opened_at, b.urn_key_id "
    f"FROM {BallotToken._meta.db_table} t JOIN {BallotBox._meta.db_table} b ON b.id = t.box_id WHERE t.secret = %s"
)


def _token_row(secret: str) -> tuple[Any, ...] | None:
    with connection.cursor() as cursor:
        cursor.execute(_TOKEN_WITH_BOX_SQL, [secret])
        return cursor.fetchone()


def _token_with_box(secret: str) -> BallotToken | None:
    """The hot path's token lookup as plain SQL: the ORM's query compilation was a large share of a cast.

    It is also the request's connection health check. With CONN_HEALTH_CHECKS Django sends `SELECT 1` before
    the first query of every request — on the voters' path a third of the database round trips. Here the
    look-up itself tells: if the kept connection turns out dead, it is dropped and the (read-only) look-up
    asked once more on a fresh one, which is what the health check would have done."""
    db: Any = connection  # health_check_* are not in django-stubs
    own_check = (db.connection is not None and db.health_check_enabled and not db.health_check_done
                 and not db.in_atomic_block)
    if own_check:
        db.health_check_done = True
    try:
        row = _token_row(secret)
    except (OperationalError, InterfaceError):
        if not own_check:
            raise
        connection.close()
        row = _token_row(secret)
    if row is None:
        return None
    (tid, box_id, group, serial, status, channel, sub_hash, campaign_id, state, items, comments, max_chars, opened,
     key_id) = row
    if isinstance(items, str):  # SQLite returns JSON as text
        items = json.loads(items)
    if isinstance(opened, str):
        opened = datetime.fromisoformat(opened)
    if opened is not None and opened.tzinfo is None:  # SQLite stores UTC without an offset
        opened = opened.replace(tzinfo=UTC)
    box = BallotBox(id=box_id, campaign_id=campaign_id, state=state, items=items, comments_enabled=bool(comments),
                    comment_max_chars=max_chars, opened_at=opened, urn_key_id=key_id)
    token = BallotToken(id=tid, box_id=box_id, group=group, serial=serial, secret=secret, status=status,
                        channel=channel, submission_hash=sub_hash)
    token.box = box
    return token


def token_refusal(token: BallotToken) -> TokenRefused | None:
    """Why this token cannot vote on a phone right now, or None if it can."""
    if token.status == TokenStatus.USED:
        return TokenRefused(TokenRefused.USED)
    if token.status == TokenStatus.REVOKED:
        return TokenRefused(TokenRefused.REVOKED)
    if token.status == TokenStatus.INVALID:
        return TokenRefused(TokenRefused.INVALID)
    if token.box.state == BoxState.SETUP:
        return TokenRefused(TokenRefused.NOT_OPEN)
    if token.box.state != BoxState.OPEN:
        return TokenRefused(TokenRefused.CLOSED)
    return None


def group_name(box: BallotBox, group: int) -> str:
    groups = box.campaign.scheme.get("voter_groups", [])
    return str(groups[group]["name"]) if 0 <= group < len(groups) else f"第{group + 1}类"


@dataclass(frozen=True)
class BallotLayout:
    """What a box's ballot looks like: participant ids in position order and the per-item names."""

    participant_ids: tuple[int, ...]
    items: tuple[str, ...]

    @property
    def n_lines(self) -> int:
        return len(self.participant_ids)

    @cached_property
    def signature(self) -> str:
        """A short fingerprint of the layout: a page sends it back so a positional grade string is never
        read against other lines than the ones it was filled in on."""
        text = json.dumps([self.participant_ids, self.items], ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


# Per-process cache of open boxes' layouts, keyed by (box id, opened_at): the ballot lines are fixed once
# the box opens, and the cast path should not count them on every submission (shared/limits.md).
_LAYOUTS: dict[tuple[int, Any], BallotLayout] = {}


def layout_of(box: BallotBox) -> BallotLayout:
    cacheable = box.state in (BoxState.OPEN, BoxState.CLOSED) and box.opened_at is not None
    key = (box.pk, box.opened_at)
    if cacheable and key in _LAYOUTS:
        return _LAYOUTS[key]
    ids = tuple(BallotLine.objects.filter(box=box).order_by("position").values_list("participant_id", flat=True))
    layout = BallotLayout(participant_ids=ids, items=tuple(str(i) for i in box.items))
    if cacheable:
        if len(_LAYOUTS) > 256:
            _LAYOUTS.clear()
        _LAYOUTS[key] = layout
    return layout


def remember_layout(box: BallotBox, layout: BallotLayout) -> None:
    """Replace the cached layout of `box` with one just read (the voter pages read the lines anyway)."""
    if box.state in (BoxState.OPEN, BoxState.CLOSED) and box.opened_at is not None:
        _LAYOUTS[(box.pk, box.opened_at)] = layout


def lines_for_display(box: BallotBox) -> list[BallotLine]:
    return list(BallotLine.objects.filter(box=box).select_related("participant__unit", "participant__secretary")
                .order_by("position"))


def _char(value: Any, what: str) -> str:
    char = LABEL_TO_CHAR.get(str(value).strip()) if isinstance(value, str | int) else None
    if char is None:
        raise ValidationError(f"{what}的评价“{str(value)[:20]}”无效：只能是 好、较好、一般、差 或 弃权")
    return char


def _position_of(layout: BallotLayout, key: Any) -> int:
    try:
        return layout.participant_ids.index(int(key))
    except (TypeError, ValueError):
        raise ValidationError(f"述职人“{str(key)[:20]}”不在本次测评票上") from None


def grades_from_mapping(layout: BallotLayout, mapping: dict[Any, Any]) -> str:
    """{participant id: label or grade char} → the ballot's grade string; reporters left out are 弃权.

    A participant who is not on this ballot, or an unknown label, is refused (nothing is guessed)."""
    chars = [codes.ABSTAIN] * layout.n_lines
    for key, value in mapping.items():
        pos = _position_of(layout, key)
        chars[pos] = _char(value, f"第 {pos + 1} 名述职人")
    return "".join(chars)


def item_grades_from_mapping(layout: BallotLayout, mapping: dict[Any, Any]) -> str:
    """{participant id: {item name or index: label} or [labels]} → the item grade string ("" if none)."""
    n_items = len(layout.items)
    if not mapping:
        return ""
    if not n_items:
        raise ValidationError("本次测评不设分项评价")
    chars = [codes.ABSTAIN] * (layout.n_lines * n_items)
    for key, per_item in mapping.items():
        pos = _position_of(layout, key)
        pairs = list(enumerate(per_item)) if isinstance(per_item, list) else (
            list(per_item.items()) if isinstance(per_item, dict) else None)
        if pairs is None:
            raise ValidationError("分项评价格式有误")
        for item, value in pairs:
            if isinstance(item, str) and item in layout.items:
                k = layout.items.index(item)
            elif isinstance(item, int) or (isinstance(item, str) and item.isdigit()):
                k = int(item)
            else:
                k = -1
            if not 0 <= k < n_items:
                raise ValidationError(f"分项“{str(item)[:20]}”不在本次测评票上")
            chars[pos * n_items + k] = _char(value, f"第 {pos + 1} 名述职人的分项")
    out = "".join(chars)
    return "" if set(out) == {codes.ABSTAIN} else out


def check_nonce(nonce: str) -> str:
    nonce = (nonce or "").strip()
    if not nonce or len(nonce) > MAX_NONCE_LENGTH:
        raise ValidationError("提交内容不完整（缺少一次性提交码），请刷新测评页面后重新填写")
    return nonce


def check_ballot(token: BallotToken, layout: BallotLayout, grades: str, item_grades: str = "",
                 comment: str = "") -> None:
    """Validate a ballot without casting it (for the review page); same rules as casting."""
    casting.check_grades(token.box, layout.n_lines, grades, item_grades, comment.strip())


def submit(token: BallotToken, grades: str, item_grades: str = "", comment: str = "", nonce: str = "",
           layout: BallotLayout | None = None) -> CastResult:
    """Cast the phone ballot of `token` (fetched by find_token). Same nonce again → already_counted."""
    nonce = check_nonce(nonce)
    layout = layout or layout_of(token.box)
    return casting.cast(token, TokenChannel.PHONE, grades, item_grades, comment, nonce, n_lines=layout.n_lines)
