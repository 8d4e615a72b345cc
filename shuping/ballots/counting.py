"""Counting a ballot box: the tally (read once from the database, counted in shuping.ballots.tally),
the reconciliation of tokens against ballots, and the observer's export of all ballots.

Nothing here is cached: the tally is recomputed on every request (100,000 ballots × 30 reporters
take well under a second, bench/tally.py), so it can never drift from the stored ballots. Only sealed
ballots are counted (shuping.ballots.urn): the urn's encrypted ones cannot be read, and the reconciliation
shows how many wait to be sealed.

Integrity (domain.md): the export lists ballots in a fresh random order (secrets.SystemRandom), without
time, token or id, and without the voter's receipt — a receipt next to the grades would let anyone who
sees a voter's receipt learn that voter's ballot. Receipts are exported as their own sorted list
(each voter can check theirs was counted); comments as their own shuffled list.
"""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, QuerySet

from shuping.accounts.access import BALLOT_RESULT_READERS, check_roles, visible_campaigns
from shuping.accounts.models import Role, User
from shuping.audit.log import record
from shuping.audit.models import AuditEvent
from shuping.ballots import codes
from shuping.ballots.actions import paper, setup
from shuping.ballots.models import (
    Ballot,
    BallotBox,
    BallotComment,
    BallotLine,
    BallotReceipt,
    BallotToken,
    BoxState,
    EncryptedBallot,
    InvalidSheet,
    TokenChannel,
    TokenStatus,
)
from shuping.ballots.tally import Tally, tally
from shuping.ballots.urn_rules import digest

RESULT_READERS = BALLOT_RESULT_READERS
EXPORTERS = (Role.ORGANISER, Role.OBSERVER)
COUNTABLE_STATES = (BoxState.CLOSED, BoxState.PUBLISHED)

# Publication-blocking flags come from the one check in actions/setup.py (box_flags); this module adds a
# warning of its own: ballots that do not match the used tokens (cannot happen through casting.cast,
# which claims the token and stores the ballot in one transaction — so it means tampering or loss).
FLAG_TOO_MANY = setup.FLAG_TOO_MANY
FLAG_PAPER_PENDING = setup.FLAG_PAPER_PENDING
FLAG_MISMATCH = "选票数与已使用的测评码数不一致"


def countable(box: BallotBox) -> bool:
    """Counting starts when the box is closed: a tally watched while voters submit would reveal ballots."""
    return box.state in COUNTABLE_STATES


def boxes_for_results(user: User) -> QuerySet[BallotBox]:
    check_roles(user, *RESULT_READERS)
    return (BallotBox.objects.filter(campaign__in=visible_campaigns(user))
            .select_related("campaign").order_by("-campaign__year", "campaign__title"))


def lines_of(box: BallotBox) -> list[BallotLine]:
    return list(box.lines.select_related("participant__unit", "participant__secretary").order_by("position"))


def line_label(line: BallotLine) -> str:
    p = line.participant
    return f"{p.unit.name}（{p.secretary.name}）" if p.secretary_id else p.unit.name


def tally_box(box: BallotBox, n_lines: int | None = None) -> Tally:
    """The tally of every stored ballot of `box`: one query, streamed."""
    if n_lines is None:
        n_lines = box.lines.count()
    items = list(box.items)
    qs = Ballot.objects.filter(box_id=box.pk)
    rows = (qs.values_list("group", "grades", "item_grades") if items else qs.values_list("group", "grades"))
    return tally(box.campaign.scheme, n_lines, rows.iterator(chunk_size=10_000), items)


@dataclass
class Reconciliation:
    """Tokens against ballots. `not_returned` = issued − used − invalid."""

    issued: int = 0  # not revoked
    revoked: int = 0
    phone: int = 0  # tokens used on a phone
    paper: int = 0  # tokens used by a confirmed paper entry
    invalid: int = 0  # spoiled paper sheets (废票)
    blank: int = 0  # sealed ballots with every grade 弃权
    ballots: int = 0  # ballots stored (sealed and unsealed)
    unsealed: int = 0  # of which still in the urn (paper keyed after 封箱): not counted yet
    comments: int = 0
    paper_pending: int = 0  # sheets keyed once or mismatched, not yet counted
    seal_digest: str = ""  # what the last 封箱/封存 audit event recorded for the whole sealed set
    flags: list[str] = field(default_factory=list)  # blocking ones (setup.box_flags) first, then warnings
    blocking: list[str] = field(default_factory=list)

    @property
    def used(self) -> int:
        return self.phone + self.paper

    @property
    def not_returned(self) -> int:
        return self.issued - self.used - self.invalid

    @property
    def too_many(self) -> bool:
        """More ballots (plus spoiled sheets) than tokens issued: the box cannot be published."""
        return self.ballots + self.invalid > self.issued

    @property
    def ok(self) -> bool:
        return not self.flags

    def as_dict(self) -> dict[str, Any]:
        return {
            "issued": self.issued, "revoked": self.revoked, "used_phone": self.phone, "used_paper": self.paper,
            "invalid": self.invalid, "blank": self.blank, "not_returned": self.not_returned,
            "ballots": self.ballots, "unsealed": self.unsealed, "comments": self.comments,
            "paper_pending": self.paper_pending, "seal_digest": self.seal_digest,
            "too_many": self.too_many, "flags": list(self.flags), "blocks_publication": bool(self.blocking),
        }


def reconciliation(box: BallotBox, n_lines: int | None = None) -> Reconciliation:
    """Counts only (a handful of aggregate queries)."""
    if n_lines is None:
        n_lines = box.lines.count()
    r = Reconciliation()
    rows = BallotToken.objects.filter(box=box).values("status", "channel").annotate(n=Count("id")).order_by()
    for row in rows:
        status, channel, n = row["status"], row["channel"], row["n"]
        if status == TokenStatus.REVOKED:
            r.revoked += n
            continue
        r.issued += n
        if status == TokenStatus.USED:
            if channel == TokenChannel.PHONE:
                r.phone += n
            else:
                r.paper += n
    r.invalid = InvalidSheet.objects.filter(box=box).count()
    ballots = Ballot.objects.filter(box=box)
    r.unsealed = EncryptedBallot.objects.filter(box=box).count()
    sealed = ballots.count()
    r.ballots = sealed + r.unsealed
    r.blank = ballots.filter(grades=codes.ABSTAIN * n_lines).count() if n_lines else sealed
    r.comments = BallotComment.objects.filter(box=box).count()
    keyed_once, mismatched = paper.pending_sheets(box)
    r.paper_pending = keyed_once + mismatched
    last_seal = (AuditEvent.objects.filter(action="ballot.seal", object_type=BallotBox._meta.label_lower,
                                           object_id=str(box.pk)).order_by("-seq").values_list("data", flat=True).first())
    r.seal_digest = str((last_seal or {}).get("digest", ""))
    r.blocking = setup.box_flags(box, setup.BoxCounts(issued=r.issued, ballots=r.ballots, invalid=r.invalid,
                                                      paper_pending=r.paper_pending, unsealed=r.unsealed))
    r.flags = list(r.blocking)
    if r.ballots != r.used:
        r.flags.append(f"{FLAG_MISMATCH}：选票 {r.ballots} 张，已使用测评码 {r.used} 个（手机 {r.phone}，纸质 {r.paper}）")
    return r


# ---- the observer's export -------------------------------------------------------------------------

@dataclass
class Export:
    header: list[str]
    rows: list[list[str]]  # shuffled
    receipts: list[str]  # sorted
    comments: list[str]  # shuffled
    title: str = ""
    ballots: list[tuple[int, str, str]] = field(default_factory=list, repr=False)  # (group, grades, item grades)

    @property
    def digest(self) -> str:
        """The sealed set's digest (urn_rules.digest), as the 封箱 audit event records it."""
        return digest(self.ballots, self.comments, self.receipts)


def group_names(box: BallotBox) -> list[str]:
    return [str(g["name"]) for g in box.campaign.scheme["voter_groups"]]


def receipts_of(box: BallotBox) -> list[str]:
    """Every stored ballot's receipt, sorted: a voter checks that theirs was counted."""
    return sorted(BallotReceipt.objects.filter(box=box).values_list("receipt", flat=True))


def export_ballots(box: BallotBox) -> Export:
    """Every ballot as a row of labels, in a fresh random order; receipts sorted; comments shuffled."""
    lines = lines_of(box)
    items = list(box.items)
    names = group_names(box)
    header = ["测评人员类别"] + [line_label(ln) for ln in lines]
    header += [f"{line_label(ln)}·{item}" for ln in lines for item in items]
    labels = codes.GRADE_LABELS
    rows = []
    stored = list(Ballot.objects.filter(box=box).values_list("group", "grades", "item_grades")
                  .iterator(chunk_size=10_000))
    for group, grades, item_grades in stored:
        row = [names[group] if 0 <= group < len(names) else str(group)]
        row += [labels[ch] for ch in grades]
        if items:
            row += [labels[ch] for ch in (item_grades or codes.ABSTAIN * len(lines) * len(items))]
        rows.append(row)
    rng = secrets.SystemRandom()
    rng.shuffle(rows)
    receipts = receipts_of(box)
    comments = list(BallotComment.objects.filter(box=box).values_list("text", flat=True))
    rng.shuffle(comments)
    return Export(header=header, rows=rows, receipts=receipts, comments=comments, title=str(box.campaign.title),
                  ballots=stored)


def export_for(actor: User, box: BallotBox, fmt: str) -> Export:
    """The export for an observer or organiser; who took it (not what it held) goes into the audit log."""
    check_roles(actor, *EXPORTERS)
    with transaction.atomic():
        export = export_ballots(box)
        record(actor, "ballots.exported", box, f"导出民主测评选票（{len(export.rows)} 张，{fmt}）",
               {"format": fmt, "ballots": len(export.rows), "receipts": len(export.receipts),
                "comments": len(export.comments), "digest": export.digest})
    return export


def export_xlsx(export: Export) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("选票")
    ws.append(export.header)
    for row in export.rows:
        ws.append(row)
    rs = wb.create_sheet("回执码")
    rs.append(["回执码"])
    for receipt in export.receipts:
        rs.append([receipt])
    cs = wb.create_sheet("意见建议")
    cs.append(["意见建议"])
    for text in export.comments:
        cs.append([_cell_text(text)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _cell_text(text: str) -> str:
    # A leading =, +, - or @ would be taken for a formula by spreadsheet programs.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


EXPORT_PARTS = ("ballots", "receipts", "comments")


def export_csv(export: Export, part: str = "ballots") -> str:
    """One part as CSV (UTF-8 with BOM so spreadsheet programs read the Chinese)."""
    out = io.StringIO()
    out.write("\ufeff")
    w = csv.writer(out)
    if part == "ballots":
        w.writerow(export.header)
        w.writerows(export.rows)
    elif part == "receipts":
        w.writerow(["回执码"])
        w.writerows([r] for r in export.receipts)
    elif part == "comments":
        w.writerow(["意见建议"])
        w.writerows([_cell_text(t)] for t in export.comments)
    else:
        raise ValueError(part)
    return out.getvalue()


def rows_to_ballots(export_header: list[str], rows: list[list[str]], group_names: list[str],
                    n_items: int = 0) -> list[tuple[int, str, str]]:
    """An export's rows back to (group, grades, item_grades) — what an observer does to recompute the tally."""
    chars = {label: ch for ch, label in codes.GRADE_LABELS.items()}
    index = {name: i for i, name in enumerate(group_names)}
    n_cols = len(export_header) - 1
    n_lines = n_cols // (1 + n_items)
    out = []
    for row in rows:
        grades = "".join(chars[v] for v in row[1:1 + n_lines])
        item_grades = "".join(chars[v] for v in row[1 + n_lines:])
        out.append((index[row[0]], grades, item_grades))
    return out
