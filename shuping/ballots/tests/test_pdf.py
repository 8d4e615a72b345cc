"""Ballot sheet and QR slip PDFs: the text a voter reads is there (read back with pdftotext)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from shuping.ballots import pdf
from shuping.ballots.actions import setup
from shuping.ballots.models import BallotBox, BallotToken
from shuping.campaigns.models import Participant
from shuping.orgs.models import Person, Unit

HAVE_PDFTOTEXT = shutil.which("pdftotext") is not None
needs_pdftotext = pytest.mark.skipif(not HAVE_PDFTOTEXT and not os.environ.get("CI"),
                                     reason="pdftotext (poppler-utils) is not installed")


def pdf_text(data: bytes, layout: bool = False) -> str:
    args = ["pdftotext", *(["-layout"] if layout else []), "-", "-"]
    return subprocess.run(args, input=data, capture_output=True, check=True).stdout.decode()


def pages(data: bytes) -> list[str]:
    return pdf_text(data, layout=True).split("\f")[:-1]


@pytest.fixture
def printed_box(users, campaign) -> BallotBox:
    box = setup.create_box(users.organiser, campaign)
    setup.issue_tokens(users.organiser, box, {0: 2, 3: 1})
    return BallotBox.objects.select_related("campaign").get(pk=box.pk)


def tokens_of(box: BallotBox) -> list[BallotToken]:
    return list(BallotToken.objects.filter(box=box).order_by("serial"))


@needs_pdftotext
def test_sheets_have_one_page_per_token_with_grid_code_and_group(printed_box):
    toks = tokens_of(printed_box)
    data = pdf.ballot_sheets_pdf(printed_box, toks)
    assert data.startswith(b"%PDF")
    sheets = pages(data)
    assert len(sheets) == 3
    first = sheets[0]
    for text in ("2023年度述职评议民主测评票", "测评人员类别：区委领导", "票号：000001", "东城街道党工委", "钱东明",
                 "西城街道党工委", "孙西华", "区教育局党委", "李育才", "现场述职", "书面述职", "较好", "弃权",
                 "意见建议", "不填视为弃权", f"{toks[0].code[:4]}-{toks[0].code[4:]}"):
        assert text in first, text
    assert "测评人员类别：基层党员群众代表" in sheets[2] and f"{toks[2].code[:4]}-{toks[2].code[4:]}" in sheets[2]
    assert toks[1].code[:4] in sheets[1] and toks[0].code[:4] not in sheets[1]


@needs_pdftotext
def test_long_ballots_continue_on_a_second_page_with_serial_and_code(users, printed_box, district):
    campaign = printed_box.campaign
    for i in range(25):
        unit = Unit.objects.create(code=f"Z{i:02d}", name=f"测试第{i + 1}社区党委", type="党委", category="社区",
                                   parent=district.east, sort_order=100 + i)
        person = Person.objects.create(name=f"书记{i + 1}", unit=unit, position="书记")
        Participant.objects.create(campaign=campaign, unit=unit, secretary=person, speaking_order=10 + i)
    setup.set_lines(users.organiser, printed_box, [p.pk for p in setup.default_participants(campaign)])
    setup.update_box(users.organiser, printed_box, ["政治建设", "工作成效"], False, 100)
    token = tokens_of(printed_box)[0]
    sheet = pages(pdf.ballot_sheets_pdf(printed_box, [token]))
    assert len(sheet) >= 2
    code = f"{token.code[:4]}-{token.code[4:]}"
    for p, text in enumerate(sheet, start=1):
        assert "000001" in text and code in text and f"第 {p}/{len(sheet)} 页" in text
    everything = "\n".join(sheet)
    assert "书记25" in everything and "测试第25社区党委" in everything
    assert "分项评价" in everything and "政治建设" in everything and "工作成效" in everything
    assert "意见建议" not in everything  # switched off


@needs_pdftotext
def test_slips_carry_code_group_and_instruction(printed_box, settings):
    settings.SHUPING_PUBLIC_URL = "https://pj.example.cn"
    toks = tokens_of(printed_box)
    text = pdf_text(pdf.qr_slips_pdf(printed_box, toks))
    for t in toks:
        assert f"{t.code[:4]}-{t.code[4:]}" in text
    assert "区委领导" in text and "基层党员群众代表" in text and "票号 000003" in text
    assert "https://pj.example.cn/v/" in text and "每码限投一次" in text
    assert len(pages(pdf.qr_slips_pdf(printed_box, toks * 4))) == 2  # 12 slips, 10 per page


def test_qr_encodes_the_absolute_voting_url(printed_box, settings):
    settings.SHUPING_PUBLIC_URL = "https://pj.example.cn"
    token = tokens_of(printed_box)[0]
    assert pdf.vote_url(token) == f"https://pj.example.cn/v/{token.secret}/"


def test_no_tokens_gives_a_one_page_notice(printed_box):
    assert pdf.ballot_sheets_pdf(printed_box, []).startswith(b"%PDF")
    assert pdf.qr_slips_pdf(printed_box, []).startswith(b"%PDF")


def test_a_missing_font_is_a_clear_message(printed_box, monkeypatch, tmp_path):
    from reportlab.pdfbase import pdfmetrics

    monkeypatch.setattr(pdf, "FONT", "WQYMissingForTest")
    monkeypatch.setattr(pdf, "FONT_PATH", tmp_path / "none.ttc")
    with pytest.raises(pdf.FontMissing, match="缺少中文字体文件"):
        pdf.ballot_sheets_pdf(printed_box, tokens_of(printed_box))
    assert "WQYMissingForTest" not in pdfmetrics.getRegisteredFontNames()
