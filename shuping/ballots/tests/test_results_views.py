"""Results pages: who may see the tally and take the export, what the page shows, when it counts."""

from __future__ import annotations

import csv
import io
import secrets

import pytest
from openpyxl import load_workbook

from shuping.audit.models import AuditEvent
from shuping.ballots.casting import cast
from shuping.ballots.models import Ballot, BallotBox, BallotReceipt, BallotToken, TokenChannel
from shuping.ballots.tests.conftest import sealed
from shuping.campaigns.models import CampaignState


def url(box, page: str = "") -> str:
    return f"/ballots/{box.pk}/results/{page}"


def close(box) -> BallotBox:
    sealed(box)
    return BallotBox.objects.select_related("campaign").get(pk=box.pk)


@pytest.fixture
def counted(box) -> BallotBox:
    """Group 0: 4 ballots (below 5: hidden); group 1: 6 ballots. Reporter west gets 3 差 of 5 valid."""
    tokens = list(BallotToken.objects.select_related("box").filter(box=box).order_by("serial"))
    g0 = [t for t in tokens if t.group == 0][:4]
    g1 = [t for t in tokens if t.group == 1][:6]
    for t, grades in zip(g0 + g1, ["114", "124", "110", "120", "134", "144", "200", "230", "340", "000"],
                         strict=True):
        cast(t, TokenChannel.PHONE, grades, comment="建议多下基层" if grades == "000" else "",
             nonce=secrets.token_hex(8))
    return close(box)


@pytest.mark.parametrize("who", ["organiser", "observer", "chair"])
def test_result_readers_may_open_the_tally(counted, users, client_for, who):
    r = client_for(getattr(users, who)).get(url(counted))
    assert r.status_code == 200
    assert "各述职人测评结果" in r.content.decode()


@pytest.mark.parametrize("who", ["reporter", "other_reporter", "owner", "teller", "judge", "admin", "nobody"])
def test_others_may_not_open_the_tally(counted, users, client_for, who):
    assert client_for(getattr(users, who)).get(url(counted)).status_code == 403
    assert client_for(getattr(users, who)).get("/ballots/results/").status_code == 403


def test_anonymous_users_are_sent_to_log_in(counted, client):
    r = client.get(url(counted))
    assert r.status_code == 302 and "/login/" in r["Location"]


def test_a_box_of_a_draft_campaign_is_invisible_to_the_chair(counted, users, client_for):
    counted.campaign.state = CampaignState.DRAFT
    counted.campaign.save()
    assert client_for(users.chair).get(url(counted)).status_code == 404
    assert client_for(users.organiser).get(url(counted)).status_code == 200


def test_unknown_box_is_404(users, client_for, db):
    assert client_for(users.organiser).get("/ballots/9999/results/").status_code == 404


def test_nothing_is_counted_while_the_box_is_open(box, users, client_for):
    t = BallotToken.objects.select_related("box").filter(box=box).first()
    cast(t, TokenChannel.PHONE, "111", nonce="n" * 16)  # type: ignore[arg-type]
    html = client_for(users.organiser).get(url(box)).content.decode()
    assert "封箱后才计票" in html
    assert 'data-testid="tally"' not in html and 'data-testid="reconciliation"' not in html
    assert client_for(users.observer).get(url(box, "export.xlsx")).status_code == 404


def test_the_page_shows_reconciliation_and_tally(counted, users, client_for):
    html = client_for(users.organiser).get(url(counted)).content.decode()
    assert 'data-testid="recon-ok"' in html
    assert '<td class="num ok" data-testid="ballots-stored">' not in html  # no false alarm styling
    # group 0 has 4 ballots: hidden everywhere, still counted
    assert "（不足 5 票，不单独显示）" in html
    # east (position 0): g0 好 好 好 好 (hidden) ; g1 好 好 较好 较好 一般 弃权 → (200+160+60)/5 = 84
    # score = (100×20 + 84×30) / 50 = 90.4
    assert ">90.40<" in html
    assert "区委领导（不足 5 票，不单独显示） × 40.00% + 领导小组成员 84.00 × 60.00% = 90.40" in html
    assert "党代表、基层党员群众代表没有有效评价" in html


def test_the_veto_signal_is_shown(counted, users, client_for):
    html = client_for(users.observer).get(url(counted)).content.decode()
    # edu (position 2): 差 差 弃权 弃权 差 差 弃权 弃权 弃权 弃权 → 4 差 of 4 valid
    assert 'data-testid="line-2" class="veto"' in html
    assert "差 4 票 ÷ 有效 4 票 = 100.00%，超过 1/3" in html


def test_too_many_ballots_are_flagged_on_the_page(counted, users, client_for):
    for _ in range(11):
        Ballot.objects.create(box=counted, group=1, grades="111")
    html = client_for(users.organiser).get(url(counted)).content.decode()
    assert "选票数与废票数之和多于发出的测评码数：选票 21 张 + 废票 0 张 &gt; 发出 20 个" in html
    assert "不能公布民主测评结果" in html


def test_the_chart_data_is_a_json_block_not_a_script(counted, users, client_for):
    html = client_for(users.organiser).get(url(counted)).content.decode()
    assert '<script id="good-rate-data" type="application/json">' in html
    assert "onclick" not in html and 'style="' not in html


@pytest.mark.parametrize("who", ["organiser", "observer"])
def test_exporters_get_the_xlsx(counted, users, client_for, who):
    r = client_for(getattr(users, who)).get(url(counted, "export.xlsx"))
    assert r.status_code == 200 and r["Content-Disposition"].endswith('.xlsx"')
    wb = load_workbook(io.BytesIO(r.content), read_only=True)
    rows = list(wb["选票"].iter_rows(values_only=True))
    assert rows[0][0] == "测评人员类别" and len(rows) == 1 + 10
    assert AuditEvent.objects.filter(action="ballots.exported").count() == 1


@pytest.mark.parametrize("who", ["chair", "reporter", "teller", "nobody"])
def test_others_may_not_export(counted, users, client_for, who):
    c = client_for(getattr(users, who))
    assert c.get(url(counted, "export.xlsx")).status_code == 403
    assert c.get(url(counted, "export-ballots.csv")).status_code == 403


def test_csv_parts(counted, users, client_for):
    c = client_for(users.observer)
    receipts = list(csv.reader(io.StringIO(c.get(url(counted, "export-receipts.csv")).content.decode("utf-8-sig"))))
    assert [r[0] for r in receipts[1:]] == sorted(BallotReceipt.objects.values_list("receipt", flat=True))
    comments = c.get(url(counted, "export-comments.csv")).content.decode("utf-8-sig")
    assert "建议多下基层" in comments
    ballots = list(csv.reader(io.StringIO(c.get(url(counted, "export-ballots.csv")).content.decode("utf-8-sig"))))
    assert len(ballots) == 11
    assert c.get(url(counted, "export-tokens.csv")).status_code == 404


def test_export_buttons_only_for_exporters(counted, users, client_for):
    assert 'data-testid="export-xlsx"' in client_for(users.observer).get(url(counted)).content.decode()
    assert 'data-testid="export-xlsx"' not in client_for(users.chair).get(url(counted)).content.decode()


def test_results_home_lists_boxes(counted, users, client_for):
    html = client_for(users.chair).get("/ballots/results/").content.decode()
    assert counted.campaign.title in html and url(counted) in html
