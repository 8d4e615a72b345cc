"""Counting a stored box: tally from the database, reconciliation, and the observer's export."""

from __future__ import annotations

import csv
import io
import secrets

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from shuping.ballots import counting
from shuping.ballots.actions import paper
from shuping.ballots.casting import cast
from shuping.ballots.models import (
    Ballot,
    BallotBox,
    BallotComment,
    BallotReceipt,
    BallotToken,
    TokenChannel,
    TokenStatus,
)
from shuping.ballots.tally import tally
from shuping.ballots.tests.conftest import sealed


def tokens(box, group=None) -> list[BallotToken]:
    qs = BallotToken.objects.select_related("box").filter(box=box, status=TokenStatus.ISSUED).order_by("serial")
    return list(qs if group is None else qs.filter(group=group))


def vote(token: BallotToken, grades: str, comment: str = "", channel=TokenChannel.PHONE, item_grades=""):
    nonce = secrets.token_hex(8) if channel == TokenChannel.PHONE else ""
    return cast(token, channel, grades, item_grades=item_grades, comment=comment, nonce=nonce)


@pytest.fixture
def voted(box, users) -> BallotBox:
    """8 phone ballots in group 0, 5 in group 1 (2 of them on paper), 1 blank, 1 spoiled sheet, 1 revoked."""
    g0, g1 = tokens(box, 0), tokens(box, 1)
    for t, grades in zip(g0, ["111", "112", "124", "134", "121", "000", "221", "114"], strict=False):
        vote(t, grades, comment="加强阵地建设" if grades == "111" else "")
    for t, grades in zip(g1[:3], ["211", "244", "320"], strict=True):
        vote(t, grades)
    for t, grades in zip(g1[3:5], ["114", "224"], strict=True):
        vote(t, grades, channel=TokenChannel.PAPER)
    paper.mark_invalid(users.teller, g1[5], "一张票上填了两个选项")
    BallotToken.objects.filter(pk=g1[6].pk).update(status=TokenStatus.REVOKED)
    return sealed(box)


def test_tally_box_counts_the_stored_ballots(voted):
    t = counting.tally_box(voted)
    assert t.n_ballots == 13 and t.n_blank == 1
    assert [g.ballots for g in t.groups] == [8, 5, 0, 0]
    east = t.lines[0]
    # position 0: group 0 好 好 好 好 好 弃权 较好 好 (7 valid: 6×100 + 80) ; group 1 较好 较好 一般 好 较好
    assert east.counts.grades == (7, 4, 1, 0) and east.counts.abstain == 1
    assert east.groups[0].score_display == "97.14" and east.groups[1].score_display == "80.00"
    # (680/7 × 20 + 80 × 30) / 50
    assert east.score_display == "86.86" and east.renormalised


def test_tally_box_is_one_query(voted):
    box = BallotBox.objects.select_related("campaign").get(pk=voted.pk)  # as access.get_ballot_box returns it
    with CaptureQueriesContext(connection) as ctx:
        counting.tally_box(box, n_lines=3)
    assert len(ctx.captured_queries) == 1


def test_reconciliation_adds_up(voted):
    r = counting.reconciliation(voted)
    assert (r.issued, r.revoked, r.phone, r.paper, r.invalid) == (19, 1, 11, 2, 1)
    assert (r.blank, r.ballots, r.not_returned, r.comments) == (1, 13, 19 - 13 - 1, 1)
    assert r.ok and r.flags == [] and not r.too_many


def test_more_ballots_than_tokens_is_flagged(voted):
    # A ballot without a token (as if inserted behind the system's back).
    for _ in range(7):
        Ballot.objects.create(box=voted, group=0, grades="111")
    r = counting.reconciliation(voted)
    assert r.ballots == 20 and r.too_many
    assert [f.split("：")[0] for f in r.flags] == [counting.FLAG_TOO_MANY, counting.FLAG_MISMATCH]
    assert r.blocking == [f"{counting.FLAG_TOO_MANY}：选票 20 张 + 废票 1 张 > 发出 19 个"]


def test_ballots_not_matching_used_tokens_are_flagged(voted):
    Ballot.objects.filter(box=voted).first().delete()  # type: ignore[union-attr]
    r = counting.reconciliation(voted)
    assert not r.too_many and r.blocking == []
    assert r.flags == [f"{counting.FLAG_MISMATCH}：选票 12 张，已使用测评码 13 个（手机 11，纸质 2）"]


def test_pending_paper_entries_are_flagged(voted, users):
    paper.key_sheet(users.teller, tokens(voted, 1)[0], "111")
    r = counting.reconciliation(voted)
    assert r.paper_pending == 1 and r.blocking == [f"{counting.FLAG_PAPER_PENDING}：1 张"]


def test_export_has_no_time_token_id_or_receipt_next_to_grades(voted):
    ex = counting.export_ballots(voted)
    assert ex.header == ["测评人员类别", "东城街道党工委（钱东明）", "西城街道党工委（孙西华）", "区教育局党委（李育才）"]
    assert len(ex.rows) == 13
    receipts = set(BallotReceipt.objects.filter(box=voted).values_list("receipt", flat=True))
    ids = {str(pk) for pk in Ballot.objects.filter(box=voted).values_list("id", flat=True)}
    secrets_and_codes = set(BallotToken.objects.filter(box=voted).values_list("secret", flat=True))
    secrets_and_codes |= set(BallotToken.objects.filter(box=voted).values_list("code", flat=True))
    cells = {cell for row in ex.rows for cell in row}
    assert cells <= {"区委领导", "领导小组成员", "好", "较好", "一般", "差", "弃权"}
    assert not cells & (receipts | ids | secrets_and_codes)
    assert ex.receipts == sorted(receipts)
    assert ex.comments == ["加强阵地建设"]


def test_export_order_is_shuffled(box):
    for i, t in enumerate(tokens(box)):
        vote(t, "111" if i % 2 else "444")
    sealed(box)
    orders = {tuple(r[1] for r in counting.export_ballots(box).rows) for _ in range(5)}
    assert len(orders) > 1


def test_the_tally_can_be_recomputed_from_the_xlsx_export_alone(voted):
    data = counting.export_xlsx(counting.export_ballots(voted))
    wb = load_workbook(io.BytesIO(data), read_only=True)
    assert wb.sheetnames == ["选票", "回执码", "意见建议"]
    sheet = [[str(c) for c in row] for row in wb["选票"].iter_rows(values_only=True)]
    header, rows = sheet[0], sheet[1:]
    scheme = voted.campaign.scheme
    names = [g["name"] for g in scheme["voter_groups"]]
    recomputed = tally(scheme, 3, counting.rows_to_ballots(header, rows, names))
    assert recomputed == counting.tally_box(voted)
    receipts = [r[0] for r in wb["回执码"].iter_rows(min_row=2, values_only=True)]
    assert receipts == sorted(BallotReceipt.objects.filter(box=voted).values_list("receipt", flat=True))


def test_the_tally_can_be_recomputed_from_the_csv_export_alone(voted):
    text = counting.export_csv(counting.export_ballots(voted), "ballots")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    names = [g["name"] for g in voted.campaign.scheme["voter_groups"]]
    recomputed = tally(voted.campaign.scheme, 3, counting.rows_to_ballots(rows[0], rows[1:], names))
    assert recomputed == counting.tally_box(voted)


def test_item_grades_are_exported_and_recomputed(box):
    box.items = ["理论武装", "基层治理"]
    box.save()
    box = BallotBox.objects.select_related("campaign").get(pk=box.pk)
    for t, (g, i) in zip(tokens(box), [("124", "121134"), ("111", ""), ("222", "222222")],
                         strict=False):
        t.box = box
        vote(t, g, item_grades=i)
    ex = counting.export_ballots(sealed(box))
    assert ex.header[-1] == "区教育局党委（李育才）·基层治理" and len(ex.header) == 1 + 3 + 6
    names = [g["name"] for g in box.campaign.scheme["voter_groups"]]
    recomputed = tally(box.campaign.scheme, 3, counting.rows_to_ballots(ex.header, ex.rows, names, 2),
                       item_names=box.items)
    direct = counting.tally_box(box)
    assert recomputed == direct
    assert direct.lines[0].items[0].counts.grades == (1, 1, 0, 0) and direct.lines[0].items[0].counts.abstain == 1


def test_comment_cells_cannot_become_formulas(box):
    vote(tokens(box)[0], "111", comment="=HYPERLINK(\"x\")")
    text = counting.export_csv(counting.export_ballots(sealed(box)), "comments")
    assert "'=HYPERLINK" in text
    assert BallotComment.objects.get().text.startswith("=")
