"""Tellers' paper ballots with the two-person rule.

A returned paper sheet is found by its short code or its QR (`find_sheet`), then keyed blind by two
different tellers (`key_sheet`): the first keying waits as a `PaperEntry`; the second is compared with it.
Identical → the ballot is cast through `casting.cast` (channel paper) and both entries are deleted, in one
transaction. Different → the sheet waits as a mismatch until a teller who keyed neither entry (or an
organiser) looks at the sheet again and keys the authoritative version (`resolve_mismatch`).

Spoiled sheets (`mark_invalid`) are recorded by ONE teller with a reason: the physical sheet is kept with
its serial, the teller, the reason and time are in the audit log and the count shows in the reconciliation,
so an observer can check every invalid sheet against paper; a second blind confirmation would double the
work for a rare case without adding evidence the sheet itself does not keep. A sheet that two tellers
keyed differently may only be declared invalid by a third person (it is then the resolution).

Paper sheets are counted after voting ends, so the box may be open or closed, not yet published.
Audit events carry the token serial and the tellers, never the grades.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from shuping.accounts.access import PAPER_PROGRESS_READERS, check_roles, visible_campaigns
from shuping.accounts.models import Role, User
from shuping.audit.log import record
from shuping.ballots import casting, codes
from shuping.ballots.actions import setup as ballot_setup
from shuping.ballots.models import (
    BallotBox,
    BallotLine,
    BallotToken,
    BoxState,
    EncryptedBallot,
    InvalidSheet,
    PaperEntry,
    TokenChannel,
    TokenStatus,
)

KEYERS = (Role.TELLER,)
RESOLVERS = (Role.TELLER, Role.ORGANISER)
PROGRESS_READERS = PAPER_PROGRESS_READERS
PAPER_STATES = (BoxState.OPEN, BoxState.CLOSED)

# What a teller sees when the sheet is looked up (never the content of an earlier keying).
NEW = "new"
AWAITING_SECOND = "awaiting_second"
KEYED_BY_YOU = "keyed_by_you"
MISMATCH = "mismatch"
COUNTED = "counted"
PHONE = "phone"
INVALID = "invalid"
REVOKED = "revoked"

MSG_PHONE = "该票号已通过手机投票，纸质票不再计入"
MSG_COUNTED = "该纸质票已录入并计入，不能重复录入"
MSG_INVALID = "该票已登记为废票"
MSG_REVOKED = "该测评码已被作废，纸质票不计入"
MSG_SAME_TELLER = "您已录入过此票，须由另一名计票员复核"
MSG_MISMATCH = "该票两次录入不一致，待处理：须由未参与录入的计票员或组织部处理"
SHEET_MESSAGES = {
    NEW: "首次录入",
    AWAITING_SECOND: "复核录入：请对照票面独立录入（看不到首次录入的内容）",
    KEYED_BY_YOU: MSG_SAME_TELLER,
    MISMATCH: MSG_MISMATCH,
    COUNTED: MSG_COUNTED,
    PHONE: MSG_PHONE,
    INVALID: MSG_INVALID,
    REVOKED: MSG_REVOKED,
}

# Outcomes of a keying.
PENDING = "pending"
CONFIRMED = "confirmed"
MISMATCHED = "mismatch"
OUTCOME_MESSAGES = {
    PENDING: "已保存，待另一名计票员复核",
    CONFIRMED: "一致，已计入",
    MISMATCHED: "不一致，待处理",
}


@dataclass(frozen=True)
class Sheet:
    token: BallotToken
    state: str

    @property
    def message(self) -> str:
        return SHEET_MESSAGES[self.state]

    @property
    def keyable(self) -> bool:
        return self.state in (NEW, AWAITING_SECOND)


@dataclass(frozen=True)
class Keying:
    """One reading of a sheet, normalised so two tellers' readings compare fairly."""

    grades: str
    item_grades: str = ""
    comment: str = ""
    blank_sheet: bool = False

    def same_as(self, other: Keying) -> bool:
        return (self.grades, self.item_grades, comment_key(self.comment), self.blank_sheet) == (
            other.grades, other.item_grades, comment_key(other.comment), other.blank_sheet)


@dataclass(frozen=True)
class KeyResult:
    outcome: str
    serial: int
    receipt: str = ""

    @property
    def message(self) -> str:
        return OUTCOME_MESSAGES[self.outcome]


@dataclass
class Differences:
    positions: list[int] = field(default_factory=list)  # ballot line positions whose overall grade differs
    item_positions: list[int] = field(default_factory=list)  # positions whose item grades differ
    comment: bool = False
    blank_sheet: bool = False

    def as_data(self) -> dict[str, Any]:
        return {"positions": self.positions, "item_positions": self.item_positions,
                "comment": self.comment, "blank_sheet": self.blank_sheet}


@dataclass
class Mismatch:
    token: BallotToken
    entries: list[PaperEntry]
    differences: Differences


_SPACE = re.compile(r"\s+")


def normalise_comment(text: str) -> str:
    """Stored form of a keyed comment: whitespace runs collapsed, ends trimmed."""
    return _SPACE.sub(" ", text or "").strip()


def comment_key(text: str) -> str:
    """Comparison form: full-/half-width and spacing differences between two typists do not count."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text or ""))


def lines_of(box: BallotBox) -> list[BallotLine]:
    return list(box.lines.select_related("participant__unit", "participant__secretary").order_by("position"))


def normalise_keying(box: BallotBox, n_lines: int, grades: str, item_grades: str = "", comment: str = "",
                     blank_sheet: bool = False) -> Keying:
    """Validate one keying (same rules as every ballot) and bring it to its comparable form."""
    if blank_sheet:
        # 空白票: counts as all 弃权, nothing else is read from the sheet.
        return Keying(grades=codes.ABSTAIN * n_lines, blank_sheet=True)
    comment = normalise_comment(comment)
    casting.check_grades(box, n_lines, grades, item_grades, comment)
    if item_grades and set(item_grades) == {codes.ABSTAIN}:
        item_grades = ""  # no item marked at all: the same as no item grades
    return Keying(grades=grades, item_grades=item_grades, comment=comment)


def differences(box: BallotBox, a: Keying, b: Keying) -> Differences:
    n_items = len(box.items)
    d = Differences(comment=comment_key(a.comment) != comment_key(b.comment), blank_sheet=a.blank_sheet != b.blank_sheet)
    d.positions = [i for i, (x, y) in enumerate(zip(a.grades, b.grades, strict=False)) if x != y]
    if n_items and a.item_grades != b.item_grades:
        ia = a.item_grades or codes.ABSTAIN * (len(a.grades) * n_items)
        ib = b.item_grades or codes.ABSTAIN * (len(b.grades) * n_items)
        d.item_positions = [p for p in range(len(a.grades))
                            if ia[p * n_items:(p + 1) * n_items] != ib[p * n_items:(p + 1) * n_items]]
    return d


def keying_of(entry: PaperEntry) -> Keying:
    return Keying(entry.grades, entry.item_grades, entry.comment, entry.blank_sheet)


def _check_box(box: BallotBox) -> None:
    if box.state == BoxState.SETUP:
        raise ValidationError("票箱尚未开启，不能录入纸质票")
    if box.state == BoxState.PUBLISHED:
        raise ValidationError("测评结果已公布，不能再录入纸质票")


def _refuse_used(token: BallotToken) -> None:
    """A token counts once, whichever way it was used."""
    if token.status == TokenStatus.USED:
        raise ValidationError(MSG_PHONE if token.channel == TokenChannel.PHONE else MSG_COUNTED)
    if token.status == TokenStatus.INVALID:
        raise ValidationError(MSG_INVALID)
    if token.status == TokenStatus.REVOKED:
        raise ValidationError(MSG_REVOKED)


def _lock(token: BallotToken) -> tuple[BallotBox, BallotToken, list[PaperEntry]]:
    """Lock the box (so it cannot be published meanwhile), then the token (so two tellers, or a teller
    and a phone, queue up behind each other), and read the pending entries."""
    # NO KEY UPDATE: still excludes a concurrent publish (FOR UPDATE) and other tellers, but not the
    # KEY SHARE lock a phone's ballot INSERT takes on the box — a plain FOR UPDATE here deadlocks with it.
    box = BallotBox.objects.select_for_update(no_key=True, of=("self",)).select_related("campaign").get(pk=token.box_id)
    _check_box(box)
    locked = BallotToken.objects.select_for_update().get(pk=token.pk)
    locked.box = box
    entries = list(PaperEntry.objects.filter(token=locked).select_related("teller").order_by("id"))
    return box, locked, entries


def _cast(token: BallotToken, keying: Keying, n_lines: int) -> casting.CastResult:
    try:
        return casting.cast(token, TokenChannel.PAPER, keying.grades, keying.item_grades, keying.comment,
                            n_lines=n_lines)
    except casting.TokenRefused as e:  # checked under the lock already; kept for a clear message regardless
        raise ValidationError(e.message) from None


def _names(entries: list[PaperEntry]) -> list[str]:
    return [e.teller.username for e in entries]


def sheet_state(user: User, token: BallotToken, entries: list[PaperEntry]) -> str:
    if token.status == TokenStatus.USED:
        return PHONE if token.channel == TokenChannel.PHONE else COUNTED
    if token.status == TokenStatus.INVALID:
        return INVALID
    if token.status == TokenStatus.REVOKED:
        return REVOKED
    if len(entries) >= 2:
        return MISMATCH
    if any(e.teller_id == user.pk for e in entries):
        return KEYED_BY_YOU
    return AWAITING_SECOND if entries else NEW


def parse_sheet_input(raw: str) -> tuple[str, str]:
    """What was typed or scanned → (secret, code). A scanner types the QR's whole URL (…/v/<secret>/)."""
    raw = (raw or "").strip()
    if "/v/" in raw:
        secret = raw.split("/v/", 1)[1].split("?")[0].split("#")[0].strip("/")
        return secret, ""
    code = codes.normalise_code(raw)
    secret = raw if len(raw) >= 16 and " " not in raw else ""
    return secret, code


def find_sheet(teller: User, box: BallotBox, code_or_secret: str) -> Sheet:
    """Look a returned sheet up by its short code or scanned QR; says what this teller may do with it."""
    check_roles(teller, *KEYERS)
    _check_box(box)
    secret, code = parse_sheet_input(code_or_secret)
    q = Q()
    if secret:
        q |= Q(secret=secret)
    if len(code) == codes.CODE_LENGTH:
        q |= Q(code=code)
    token = BallotToken.objects.filter(q, box=box).select_related("box").first() if q else None
    if token is None:
        raise ValidationError("未找到该测评票：请核对票面上的 8 位测评码，或重新扫描二维码")
    entries = list(token.paper_entries.all())
    return Sheet(token=token, state=sheet_state(teller, token, entries))


def key_sheet(teller: User, token: BallotToken, grades: str, item_grades: str = "", comment: str = "",
              blank_sheet: bool = False) -> KeyResult:
    """One teller's blind keying of a sheet: the first waits, the second confirms (→ cast) or mismatches."""
    check_roles(teller, *KEYERS)
    with transaction.atomic():
        box, token, entries = _lock(token)
        _refuse_used(token)
        if any(e.teller_id == teller.pk for e in entries):
            raise ValidationError(MSG_SAME_TELLER)
        if len(entries) >= 2:
            raise ValidationError(MSG_MISMATCH)
        n_lines = box.lines.count()
        mine = normalise_keying(box, n_lines, grades, item_grades, comment, blank_sheet)
        entry = PaperEntry.objects.create(box=box, token=token, teller=teller, grades=mine.grades,
                                          item_grades=mine.item_grades, comment=mine.comment,
                                          blank_sheet=mine.blank_sheet)
        if not entries:
            return KeyResult(PENDING, token.serial)
        first = entries[0]
        tellers = [first.teller.username, teller.username]
        if keying_of(first).same_as(mine):
            result = _cast(token, keying_of(first), n_lines)  # the first's comment text, as typed
            PaperEntry.objects.filter(token=token).delete()
            record(teller, "ballot.paper_confirm", box, f"纸质票 {token.serial} 号经两名计票员一致录入，已计入",
                   {"serial": token.serial, "tellers": tellers})
            return KeyResult(CONFIRMED, token.serial, result.receipt)
        diff = differences(box, keying_of(first), keying_of(entry))
        record(teller, "ballot.paper_mismatch", box, f"纸质票 {token.serial} 号两次录入不一致，待处理",
               {"serial": token.serial, "tellers": tellers, **diff.as_data()})
        return KeyResult(MISMATCHED, token.serial)


def _mismatched_token_ids(box: BallotBox) -> list[int]:
    return list(PaperEntry.objects.filter(box=box).values("token_id").annotate(n=Count("id"))
                .filter(n__gte=2).values_list("token_id", flat=True))


def mismatches(user: User, box: BallotBox) -> list[Mismatch]:
    """Sheets whose two keyings differ, for resolvers — leaving out the sheets this user keyed."""
    check_roles(user, *RESOLVERS)
    entries = (PaperEntry.objects.filter(box=box, token_id__in=_mismatched_token_ids(box))
               .select_related("teller", "token").order_by("token__serial", "id"))
    by_token: dict[int, list[PaperEntry]] = {}
    for e in entries:
        by_token.setdefault(e.token_id, []).append(e)
    out = []
    for pair in by_token.values():
        if any(e.teller_id == user.pk for e in pair):
            continue
        out.append(Mismatch(pair[0].token, pair, differences(box, keying_of(pair[0]), keying_of(pair[1]))))
    return out


def get_mismatch(user: User, box: BallotBox, serial: int) -> Mismatch:
    """One mismatched sheet for a resolver; the tellers who keyed it get 404 (they must not see the other keying)."""
    for m in mismatches(user, box):
        if m.token.serial == serial:
            return m
    raise Http404("没有这张待处理的纸质票，或您参与了它的录入")


def resolve_mismatch(resolver: User, token: BallotToken, grades: str, item_grades: str = "", comment: str = "",
                     blank_sheet: bool = False) -> KeyResult:
    """A third person looks at the sheet again and keys the authoritative version, which is cast."""
    check_roles(resolver, *RESOLVERS)
    with transaction.atomic():
        box, token, entries = _lock(token)
        _refuse_used(token)
        if len(entries) < 2:
            raise ValidationError("该票没有待处理的不一致录入")
        if any(e.teller_id == resolver.pk for e in entries):
            raise PermissionDenied("不一致的票须由未参与录入的计票员或组织部处理")
        n_lines = box.lines.count()
        final = normalise_keying(box, n_lines, grades, item_grades, comment, blank_sheet)
        diff = differences(box, keying_of(entries[0]), keying_of(entries[1]))
        result = _cast(token, final, n_lines)
        PaperEntry.objects.filter(token=token).delete()
        record(resolver, "ballot.paper_resolve", box, f"纸质票 {token.serial} 号不一致已处理并计入",
               {"serial": token.serial, "tellers": _names(entries), "resolver": resolver.username, **diff.as_data()})
        return KeyResult(CONFIRMED, token.serial, result.receipt)


def mark_invalid(actor: User, token: BallotToken, reason: str) -> InvalidSheet:
    """Record a spoiled sheet (废票) with its reason; its token can then never cast a ballot.

    Any pending keying of the sheet is discarded. A mismatched sheet may only be declared invalid by
    someone who keyed neither entry (a third teller or an organiser): that is its resolution."""
    check_roles(actor, *RESOLVERS)
    reason = normalise_comment(reason)
    if not reason:
        raise ValidationError("请填写废票原因")
    if len(reason) > 200:
        raise ValidationError("废票原因不能超过 200 字")
    with transaction.atomic():
        box, token, entries = _lock(token)
        _refuse_used(token)
        mismatched = len(entries) >= 2
        if not actor.has_role(*KEYERS) and not mismatched:
            raise PermissionDenied("废票由计票员登记；组织部只处理两次录入不一致的票")
        if mismatched and any(e.teller_id == actor.pk for e in entries):
            raise PermissionDenied("不一致的票须由未参与录入的计票员或组织部处理")
        discarded = _names(entries)
        PaperEntry.objects.filter(token=token).delete()
        sheet = InvalidSheet.objects.create(box=box, token=token, reason=reason, recorded_by=actor)
        BallotToken.objects.filter(pk=token.pk).update(status=TokenStatus.INVALID)
        record(actor, "ballot.sheet_invalid", box, f"纸质票 {token.serial} 号登记为废票：{reason}",
               {"serial": token.serial, "reason": reason, "discarded_keyings": discarded})
        return sheet


@dataclass
class Progress:
    issued: int = 0  # not revoked
    keyed_once: int = 0
    mismatched: int = 0
    confirmed: int = 0  # paper ballots counted
    invalid: int = 0
    phone: int = 0
    unused: int = 0  # neither used nor invalid (includes sheets keyed once or mismatched)
    mine_pending: int = 0  # keyed by the viewing teller, waiting for a second teller
    unsealed: int = 0  # counted after 封箱 and waiting in the urn for 封存纸质票 (0 while voting is open)

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def progress(user: User, box: BallotBox) -> Progress:
    """Counts only — two aggregate queries, cheap enough to poll."""
    check_roles(user, *PROGRESS_READERS)
    total = ballot_setup.turnout(box).total  # the same token counts the organiser's turnout shows
    p = Progress(issued=total.issued, confirmed=total.paper, invalid=total.invalid, phone=total.phone,
                 unused=total.remaining)
    p.keyed_once, p.mismatched, p.mine_pending = _pending(box, user.pk)
    if box.state == BoxState.CLOSED:
        p.unsealed = EncryptedBallot.objects.filter(box_id=box.pk).count()
    return p


def _pending(box: BallotBox, user_id: int | None = None) -> tuple[int, int, int]:
    keyed_once = mismatched = mine = 0
    per_token = (PaperEntry.objects.filter(box=box).values("token_id")
                 .annotate(n=Count("id"), mine=Count("id", filter=Q(teller_id=user_id))).order_by())
    for row in per_token:
        if row["n"] >= 2:
            mismatched += 1
        else:
            keyed_once += 1
            mine += row["mine"]
    return keyed_once, mismatched, mine


def pending_sheets(box: BallotBox) -> tuple[int, int]:
    """(sheets keyed once awaiting the second teller, sheets with a mismatch) — for the reconciliation and
    for refusing publication while paper is still being counted. No access check: counts only."""
    keyed_once, mismatched, _ = _pending(box)
    return keyed_once, mismatched


def boxes_for_paper(user: User) -> QuerySet[BallotBox]:
    """Ballot boxes of the campaigns the user may see, newest campaign first."""
    return (BallotBox.objects.filter(campaign__in=visible_campaigns(user))
            .select_related("campaign").order_by("-campaign__year", "campaign__title"))
