"""Exports: a report as .docx in official layout, the campaign's reports as one bound PDF with a table of
contents; who may download them."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Pt

from shuping.reports import actions, exports
from shuping.reports.models import Report, ReportState
from shuping.reports.tests import docx_samples as s
from shuping.reports.tests.conftest import TEXT

needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils (pdftotext) not installed")


@pytest.fixture
def submitted(users, report, fill) -> Report:
    """东城街道: filled (with answers to last year's two open problems), signed and submitted."""
    fill(report)
    report.refresh_from_db()
    actions.sign(users.reporter, report, "钱东明")
    return actions.submit(users.reporter, report)


@pytest.fixture
def bound(users, campaign, district, submitted, fill) -> dict[str, Report]:
    """东城 submitted, 西城 approved, 教育局 a draft."""
    west = actions.open_report(users.other_reporter, campaign.participants.get(unit=district.west))
    fill(west, user=users.other_reporter)
    west.refresh_from_db()
    actions.sign(users.other_reporter, west, "孙西华")
    actions.submit(users.other_reporter, west)
    west = actions.approve(users.organiser, west)
    edu = Report.objects.create(participant=campaign.participants.get(unit=district.edu),
                                sections={"performance": "教育系统党建工作草稿。"})
    return {"east": submitted, "west": west, "edu": edu}


def read_docx(data: bytes):
    return docx.Document(io.BytesIO(data))


def east_asia(paragraph) -> str | None:
    return s.first_run_east_asia(paragraph)


# --- Word -----------------------------------------------------------------------------------------------

def test_docx_has_the_title_byline_headings_and_body(submitted):
    d = read_docx(exports.report_docx(submitted))
    texts = [p.text for p in d.paragraphs]
    assert texts[0] == "钱东明同志抓基层党建工作述职报告"
    assert texts[1] == "东城街道党工委书记　钱东明"
    headings = [t for t in texts if re.match(r"^[一二三四五六七八九十]、", t)]
    assert headings == ["一、履职情况和成效", "二、存在问题", "三、原因分析", "四、下步思路", "五、上年度问题整改情况"]
    for key, text in TEXT.items():
        assert text in texts, key
    assert texts.index(TEXT["performance"]) == texts.index("一、履职情况和成效") + 1


def test_docx_answers_each_prior_problem_in_the_rectification_section(submitted, prior):
    texts = [p.text for p in read_docx(exports.report_docx(submitted)).paragraphs]
    at = texts.index("五、上年度问题整改情况")
    rest = texts[at + 1:]
    assert rest == ["（一）社区党组织书记培训覆盖面不足", "已整改：社区党组织书记培训覆盖面不足已落实",
                    "（二）党群服务中心使用率不高", "已整改：党群服务中心使用率不高已落实"]
    assert "党建经费使用不规范" not in "".join(texts)  # closed last year: not carried over


def test_docx_fonts_sizes_and_east_asian_names(submitted):
    d = read_docx(exports.report_docx(submitted))
    paras = d.paragraphs
    title, byline = paras[0], paras[1]
    heading = next(p for p in paras if p.text == "一、履职情况和成效")
    body = next(p for p in paras if p.text == TEXT["performance"])
    assert east_asia(title) == "方正小标宋简体" and title.runs[0].font.size == Pt(22)
    assert title.alignment == 1  # centred
    assert east_asia(byline) == "楷体"
    assert east_asia(heading) == "黑体" and heading.runs[0].font.size == Pt(16)
    assert east_asia(body) == "仿宋" and body.runs[0].font.size == Pt(16)
    assert body.paragraph_format.first_line_indent == Pt(32)
    assert body.paragraph_format.line_spacing == Pt(28)
    # No theme font on any run, the defaults or Normal: it would win over the named font.
    from lxml import etree

    defaults = d.styles.element.find(qn("w:docDefaults"))
    xml = d.element.xml + etree.tostring(defaults).decode() + etree.tostring(d.styles["Normal"].element).decode()
    assert "eastAsiaTheme" not in xml and "asciiTheme" not in xml
    assert 'w:eastAsia="zh-CN"' in d.styles.element.xml


def test_docx_font_table_describes_the_chinese_fonts_for_fallback(submitted):
    d = read_docx(exports.report_docx(submitted))
    part = next(r.target_part for r in d.part.rels.values() if r.reltype.endswith("/fontTable"))
    table = part.blob.decode()
    for name, alt in (("仿宋", "FangSong"), ("黑体", "SimHei"), ("方正小标宋简体", "宋体")):
        block = re.search(rf'<w:font w:name="{name}">(.*?)</w:font>', table, re.S)
        assert block and f'w:altName w:val="{alt}"' in block.group(1) and 'w:charset w:val="86"' in block.group(1)


def test_docx_page_is_a4_with_official_margins_and_page_numbers(submitted):
    d = read_docx(exports.report_docx(submitted))
    sec = d.sections[0]
    def cm(*lengths):  # Word keeps twips: 21 cm reads back as 21.0009 cm
        return tuple(round(x.cm, 2) for x in lengths)

    assert cm(sec.page_width, sec.page_height) == (21, 29.7)
    assert cm(sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin) == (3.7, 3.5, 2.8, 2.6)
    footer = sec.footer.paragraphs[0]
    assert footer.text.startswith("— ") and footer.text.endswith(" —")
    assert footer.alignment == 1
    instr = footer._p.findall(f".//{qn('w:instrText')}")
    assert [i.text.strip() for i in instr] == ["PAGE"]


def test_docx_skips_empty_sections_and_keeps_unclassified_text(campaign, district):
    report = Report.objects.create(participant=campaign.participants.get(unit=district.edu), sections={
        "performance": "第一段。\n\n第二段。", "plans": "明年计划。", "unclassified": "导入时未能归类的署名行"})
    texts = [p.text for p in read_docx(exports.report_docx(report)).paragraphs]
    assert texts[2:] == ["一、履职情况和成效", "第一段。", "第二段。", "二、下步思路", "明年计划。",
                         "附：未归类内容", "导入时未能归类的署名行"]


def test_an_unanswered_prior_problem_says_so(report, prior):
    texts = [p.text for p in read_docx(exports.report_docx(report)).paragraphs]
    assert texts[2] == "一、上年度问题整改情况"
    assert texts[3:5] == ["（一）社区党组织书记培训覆盖面不足", "（未作答）"]


# --- PDF ------------------------------------------------------------------------------------------------

def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdf_pages(data: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "bound.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout
    return out.split("\f")[:-1]


@needs_poppler
def test_bound_pdf_has_cover_toc_with_page_numbers_and_each_report_on_its_own_page(bound, campaign, tmp_path):
    data = exports.bound_pdf(campaign, exports.bound_reports(campaign))
    assert data.startswith(b"%PDF")
    pages = pdf_pages(data, tmp_path)
    cover = flat(pages[0])
    assert campaign.title in cover and "述职报告汇编" in cover and "示例区委" in cover and "共2份" in cover
    toc = pages[1]
    assert "目" in toc and "录" in toc
    # "东城街道党工委　钱东明 . . . . 3"
    entries = {f"{u} {n}": int(p) for u, n, p in re.findall(r"^\s*(\S+党工委)\s+(\S+?)[\s.]+(\d+)\s*$", toc, re.M)}
    assert set(entries) == {"东城街道党工委 钱东明", "西城街道党工委 孙西华"}  # the draft is left out
    for label, page in entries.items():
        unit, name = label.split()
        text = pages[page - 1]
        assert f"{name}同志抓基层党建工作述职报告" in text.replace(" ", "")  # the report starts on that page
        assert unit in text
        assert f"—{page}—" in flat(text)  # its footer
    assert "区教育局党委" not in "".join(pages)
    east = pages[entries["东城街道党工委 钱东明"] - 1]
    assert "一、履职情况和成效" in east and "召开党建工作专题会议12次" in east.replace(" ", "")
    body = "".join(pages).replace(" ", "").replace("\n", "")
    assert "社区党组织书记培训覆盖面不足" in body and "已整改：党群服务中心使用率不高已落实" in body


@needs_poppler
def test_bound_pdf_with_all_reports_marks_their_state(bound, campaign, tmp_path):
    reports = exports.bound_reports(campaign, include_all=True)
    assert [r.participant.unit.name for r in reports] == ["东城街道党工委", "西城街道党工委", "区教育局党委"]
    pages = pdf_pages(exports.bound_pdf(campaign, reports, include_all=True), tmp_path)
    text = "".join(pages)
    assert "区教育局党委" in text and "草稿" in text and "已通过" in text and "共3份（含未提交）" in flat(text)
    assert len(pages) == 2 + 3  # cover, contents, one page per (short) report


@needs_poppler
def test_bound_pdf_without_reports_says_so(campaign, tmp_path):
    pages = pdf_pages(exports.bound_pdf(campaign, exports.bound_reports(campaign)), tmp_path)
    assert len(pages) == 2 and "暂无已提交的述职报告" in pages[1]


@needs_poppler
def test_a_long_report_runs_over_pages_and_the_next_one_starts_on_a_new_page(bound, campaign, tmp_path):
    east = bound["east"]
    east.sections = {**east.sections, "performance": "\n".join(["抓基层党建工作成效显著，" * 20] * 40)}
    east.save()
    pages = pdf_pages(exports.bound_pdf(campaign, exports.bound_reports(campaign)), tmp_path)
    toc = pages[1]
    west_page = int(re.search(r"西城街道党工委\s+孙西华[\s.]+(\d+)", toc).group(1))
    assert west_page > 4
    assert "孙西华同志抓基层党建工作述职报告" in pages[west_page - 1].replace(" ", "")
    assert "孙西华同志" not in pages[west_page - 2].replace(" ", "")


# --- downloads and who may have them --------------------------------------------------------------------

def test_report_docx_download(client_for, users, submitted):
    r = client_for(users.organiser).get(f"/reports/{submitted.pk}/export.docx")
    assert r.status_code == 200 and r["Content-Type"] == exports_view_type()
    assert "filename*=UTF-8''" in r["Content-Disposition"]
    assert read_docx(r.content).paragraphs[0].text == "钱东明同志抓基层党建工作述职报告"


def exports_view_type() -> str:
    from shuping.reports.views_exports import DOCX_TYPE

    return DOCX_TYPE


@pytest.mark.parametrize(("who", "status"), [
    ("organiser", 200), ("observer", 200), ("chair", 200), ("reporter", 200),
    ("other_reporter", 404), ("owner", 403), ("judge", 403), ("teller", 403), ("admin", 403), ("nobody", 403),
])
def test_who_may_download_a_report_docx(client_for, users, submitted, who, status):
    assert client_for(getattr(users, who)).get(f"/reports/{submitted.pk}/export.docx").status_code == status


def test_report_docx_needs_login(client, submitted):
    r = client.get(f"/reports/{submitted.pk}/export.docx")
    assert r.status_code == 302 and "/login" in r["Location"]


def test_a_missing_report_is_404(client_for, users, submitted):
    assert client_for(users.organiser).get("/reports/999999/export.docx").status_code == 404


@needs_poppler
def test_bound_pdf_download(client_for, users, bound, campaign, tmp_path):
    c = client_for(users.organiser)
    r = c.get(f"/reports/campaign/{campaign.pk}/bound.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert "区教育局党委" not in "".join(pdf_pages(r.content, tmp_path))
    r = c.get(f"/reports/campaign/{campaign.pk}/bound.pdf?all=1")
    assert "区教育局党委" in "".join(pdf_pages(r.content, tmp_path))


@pytest.mark.parametrize(("who", "status"), [
    ("organiser", 200), ("observer", 200), ("chair", 200),
    ("reporter", 403), ("other_reporter", 403), ("owner", 403), ("judge", 403), ("admin", 403), ("nobody", 403),
])
def test_who_may_download_the_bound_pdf_and_see_the_export_page(client_for, users, campaign, who, status):
    c = client_for(getattr(users, who))
    assert c.get(f"/reports/campaign/{campaign.pk}/bound.pdf").status_code == status
    assert c.get(f"/reports/campaign/{campaign.pk}/exports/").status_code == status


def test_a_draft_campaign_is_404_for_the_chair(client_for, users, district):
    from shuping.campaigns import actions as campaign_actions

    draft = campaign_actions.create_campaign(users.organiser, year=2030, title="草拟中的方案", committee=district.root)
    assert client_for(users.chair).get(f"/reports/campaign/{draft.pk}/bound.pdf").status_code == 404
    assert client_for(users.organiser).get(f"/reports/campaign/{draft.pk}/bound.pdf").status_code == 200


def test_export_page_lists_reports_with_their_downloads(client_for, users, bound, campaign):
    r = client_for(users.organiser).get(f"/reports/campaign/{campaign.pk}/exports/")
    html = r.content.decode()
    assert r.status_code == 200
    for name in ("东城街道党工委", "西城街道党工委", "区教育局党委"):
        assert name in html
    for report in bound.values():
        assert f"/reports/{report.pk}/export.docx" in html
    assert 'data-testid="n-bound">2<' in html
    assert f"/reports/campaign/{campaign.pk}/bound.pdf" in html


def test_bound_pdf_states_exclude_drafts_and_returned(bound, campaign, users):
    east = bound["east"]
    actions.return_report(users.organiser, east, "请补充数据")
    assert [r.participant.unit.name for r in exports.bound_reports(campaign)] == ["西城街道党工委"]
    assert ReportState.RETURNED not in exports.BOUND_STATES
