"""Word import: splitting a .docx into the report's sections, and refusing files that are not plain .docx."""

from __future__ import annotations

import io

import docx
import openpyxl
import pytest
from django.core.exceptions import ValidationError

from shuping.reports.docx_split import MAX_BYTES, classify, split_docx
from shuping.reports.tests import docx_samples as s

ROMAN = ("一、", "二、", "三、", "四、", "五、")


def split(items: list[s.Item]):
    return split_docx(s.build(items), "述职报告.docx")


def assert_standard(result) -> None:
    assert result.sections["performance"] == f"{s.PERFORMANCE}\n\n{s.PERFORMANCE_2}"
    assert result.sections["problems"] == s.PROBLEMS
    assert result.sections["causes"] == s.CAUSES
    assert result.sections["plans"] == s.PLANS
    assert result.sections["rectification"] == s.RECTIFICATION
    # The title and the name/date lines are kept, in 未归类.
    assert result.unclassified.split("\n\n") == [
        "东城街道党工委书记钱东明同志2024年度抓基层党建工作述职报告", "东城街道党工委书记  钱东明", "2025年1月10日"]


@pytest.mark.parametrize("heading", ["h1", "h2", "bold", "heiti", "p"])
def test_it_splits_headings_in_heading_styles_bold_or_plain(heading):
    assert_standard(split(s.standard(heading)))


@pytest.mark.parametrize("numbers", [
    ROMAN,
    ("（一）", "（二）", "（三）", "（四）", "（五）"),
    ("(一)", "(二)", "(三)", "(四)", "(五)"),
    ("1.", "2.", "3.", "4.", "5."),
    ("1、", "2、", "3、", "4、", "5、"),
    ("第一部分 ", "第二部分 ", "第三部分 ", "第四部分 ", "第五部分 "),
    ("第一部分：", "第二部分：", "第三部分：", "第四部分：", "第五部分："),
    ("", "", "", "", ""),
    ("", "", "", "", ""),
], ids=["cn", "paren_cn", "ascii_paren_cn", "arabic_dot", "arabic_comma", "part", "part_colon", "unnumbered_bold", "unnumbered_heiti"])
def test_it_accepts_every_numbering(request, numbers):
    heading = "p" if numbers[0] else ("heiti" if "heiti" in request.node.callspec.id else "bold")
    assert_standard(split(s.standard(heading, numbers)))


@pytest.mark.parametrize(("heading", "key"), [
    ("一、履职情况和成效", "performance"),
    ("一、抓基层党建工作情况", "performance"),
    ("一、履行基层党建工作第一责任人职责情况", "performance"),
    ("一、主要做法和成效", "performance"),
    ("一、工作开展情况", "performance"),
    ("一、取得的成效", "performance"),
    ("二、存在的问题", "problems"),
    ("二、存在问题", "problems"),
    ("二、存在的不足", "problems"),
    ("二、问题和不足", "problems"),
    ("二、差距和不足", "problems"),
    ("二、查摆出的问题", "problems"),
    ("三、原因分析", "causes"),
    ("三、问题产生的原因", "causes"),
    ("三、原因剖析", "causes"),
    ("三、下一步工作打算", "plans"),
    ("三、下一步工作思路", "plans"),
    ("三、下步措施", "plans"),
    ("四、今后努力方向", "plans"),
    ("四、2025年工作思路", "plans"),
    ("四、改进措施", "plans"),
    ("四、上年度问题整改情况", "rectification"),
    ("四、整改落实情况", "rectification"),
    ("四、上年度述职评议反馈问题整改情况", "rectification"),
    ("五、去年述职评议指出问题的整改情况", "rectification"),
    ("五、上年度存在问题整改情况", "rectification"),  # not a 存在问题 heading
    ("五、巡察反馈问题整改", "rectification"),
    ("关于2024年度抓基层党建工作情况的述职报告", None),  # a title, not a section
    ("钱东明同志抓基层党建工作述职报告", None),
    ("五、其他需要说明的事项", None),
])
def test_keyword_table(heading, key):
    assert classify(heading)[0] == key


def test_problems_and_causes_together_go_to_problems_with_a_warning():
    result = split([
        ("h1", "一、履职情况和成效"), ("p", s.PERFORMANCE),
        ("h1", "二、存在问题及原因"), ("p", s.PROBLEMS), ("p", s.CAUSES),
        ("h1", "三、下一步工作打算"), ("p", s.PLANS),
        ("h1", "四、上年度问题整改情况"), ("p", s.RECTIFICATION),
    ])
    assert result.sections["problems"] == f"{s.PROBLEMS}\n\n{s.CAUSES}"
    assert result.sections["causes"] == ""
    assert any("存在问题及原因" in w and "原因分析" in w and "存在问题" in w for w in result.warnings)
    assert not any("未找到" in w for w in result.warnings)  # causes are not missing: they are with the problems


def test_a_title_mentioning_the_section_words_stays_unclassified():
    result = split([
        ("bold", "关于2024年度抓基层党建工作情况的述职报告"),
        ("bold", "一、抓基层党建工作情况"), ("p", s.PERFORMANCE),
        ("bold", "二、存在问题"), ("p", s.PROBLEMS),
    ])
    assert result.unclassified == "关于2024年度抓基层党建工作情况的述职报告"
    assert result.sections["performance"] == s.PERFORMANCE


def test_a_sub_heading_with_a_keyword_stays_in_its_section():
    sub = "（三）巡视反馈问题整改情况"
    result = split([
        ("p", "一、履职情况和成效"), ("p", s.PERFORMANCE),
        ("bold", sub), ("p", "巡视反馈的5个问题已全部整改到位。"),
        ("p", "二、存在的问题"), ("p", s.PROBLEMS), ("bold", "（一）思想认识方面的问题"), ("p", "认识不到位。"),
        ("p", "三、下一步打算"), ("p", s.PLANS), ("h2", "（二）抓好问题整改"), ("p", "逐条对账销号。"),
    ])
    assert result.sections["performance"] == f"{s.PERFORMANCE}\n\n{sub}\n\n巡视反馈的5个问题已全部整改到位。"
    assert result.sections["rectification"] == ""
    assert result.sections["problems"].endswith("（一）思想认识方面的问题\n\n认识不到位。")
    assert result.sections["plans"].endswith("（二）抓好问题整改\n\n逐条对账销号。")


def test_sub_headings_in_heading_2_stay_in_their_section():
    result = split([
        ("h1", "履职情况和成效"), ("h2", "抓好整改落实情况"), ("p", s.PERFORMANCE),
        ("h1", "存在问题"), ("p", s.PROBLEMS),
    ])
    assert result.sections["performance"] == f"抓好整改落实情况\n\n{s.PERFORMANCE}"
    assert result.sections["rectification"] == ""


def test_body_text_mentioning_problems_is_not_a_heading():
    long = "在看到成绩的同时，我也清醒地认识到，工作中还存在的问题和不足，主要表现在以下几个方面，需要在今后的工作中认真加以解决。"
    result = split([("p", "一、履职情况和成效"), ("p", s.PERFORMANCE), ("p", long), ("bold", "存在的问题"),
                    ("p", s.PROBLEMS)])
    assert result.sections["performance"] == f"{s.PERFORMANCE}\n\n{long}"
    assert result.sections["problems"] == s.PROBLEMS


def test_a_plain_unnumbered_short_line_is_body_text():
    result = split([("h1", "一、履职情况和成效"), ("p", "存在问题"), ("p", s.PERFORMANCE)])
    assert result.sections["performance"] == f"存在问题\n\n{s.PERFORMANCE}"


def test_long_bold_emphasis_is_body_text():
    emphasis = "始终坚持把抓好党建作为最大政绩，把存在的问题当作改进工作的方向，一以贯之推动全面从严治党向基层延伸，切实压实各级责任。"
    result = split([("h1", "一、履职情况和成效"), ("bold", emphasis), ("p", s.PERFORMANCE)])
    assert result.sections["performance"] == f"{emphasis}\n\n{s.PERFORMANCE}"
    assert result.sections["problems"] == ""


def test_an_unrecognised_top_heading_goes_to_unclassified_with_what_follows():
    result = split([
        ("p", "一、履职情况和成效"), ("p", s.PERFORMANCE),
        ("p", "二、存在的问题"), ("p", s.PROBLEMS),
        ("p", "三、其他需要说明的事项"), ("p", "本人没有需要报告的个人事项。"),
        ("p", "四、下一步工作打算"), ("p", s.PLANS),
    ])
    assert result.sections["problems"] == s.PROBLEMS
    assert result.unclassified == "三、其他需要说明的事项\n\n本人没有需要报告的个人事项。"
    assert result.sections["plans"] == s.PLANS
    assert ("三、其他需要说明的事项", "unclassified") in result.headings


def test_a_bold_lead_in_heading_with_text_in_the_same_paragraph():
    result = split([
        ("lead", "一、履职情况和成效。|" + s.PERFORMANCE),
        ("lead", "二、存在的问题：|" + s.PROBLEMS),
    ])
    assert result.sections["performance"] == s.PERFORMANCE
    assert result.sections["problems"] == s.PROBLEMS


def test_no_heading_at_all_keeps_everything_in_unclassified():
    result = split([("p", s.PERFORMANCE), ("p", s.PROBLEMS)])
    assert result.unclassified == f"{s.PERFORMANCE}\n\n{s.PROBLEMS}"
    assert all(v == "" for v in result.sections.values())
    assert any("没有识别出" in w for w in result.warnings)


def test_missing_sections_are_named_in_a_warning():
    result = split([("h1", "一、履职情况和成效"), ("p", s.PERFORMANCE)])
    assert any("未找到" in w and "存在问题" in w and "上年度问题整改情况" in w for w in result.warnings)


def test_a_repeated_section_is_merged_with_a_warning():
    result = split([("h1", "存在问题"), ("p", "甲。"), ("h1", "原因分析"), ("p", s.CAUSES), ("h1", "存在的不足"),
                    ("p", "乙。")])
    assert result.sections["problems"] == "甲。\n\n乙。"
    assert any("不止一次" in w for w in result.warnings)


def test_tables_keep_their_text_in_place():
    result = split([("h1", "一、履职情况和成效"), ("p", s.PERFORMANCE), ("table", "指标|完成\n党员发展|12名"),
                    ("h1", "二、存在问题"), ("p", s.PROBLEMS)])
    assert result.sections["performance"] == f"{s.PERFORMANCE}\n\n指标 | 完成\n党员发展 | 12名"


def test_tracked_insertions_are_read_and_deletions_left_out():
    result = split([("h1", "一、履职情况和成效"), ("ins", "这是修订时新加的一句。")])
    assert result.sections["performance"] == "这是修订时新加的一句。"
    assert "删掉的旧句子" not in result.sections["performance"]
    assert any("修订" in w for w in result.warnings)


def test_text_boxes_are_not_mixed_into_the_paragraph():
    result = split([("h1", "一、履职情况和成效"), ("textbox", "文本框里的字")])
    assert result.sections["performance"] == "正文段落。"


def test_blank_paragraphs_do_not_make_empty_paragraphs():
    result = split([("h1", "一、履职情况和成效"), ("blank", ""), ("p", s.PERFORMANCE), ("blank", ""),
                    ("p", s.PERFORMANCE_2)])
    assert result.sections["performance"] == f"{s.PERFORMANCE}\n\n{s.PERFORMANCE_2}"


# --- refusals -------------------------------------------------------------------------------------------

def refused(data: bytes, filename: str = "钱东明述职报告.docx") -> str:
    with pytest.raises(ValidationError) as e:
        split_docx(data, filename)
    message = e.value.messages[0]
    assert filename in message  # the message names the file
    return message


def test_it_refuses_an_old_doc():
    assert "请在 Word/WPS 中“另存为”" in refused(s.ole_file(), "述职报告.doc")
    assert ".docx" in refused(s.ole_file(), "述职报告.doc")


def test_it_refuses_an_encrypted_document():
    assert "已加密" in refused(s.ole_file(("EncryptionInfo", "EncryptedPackage")))


def test_it_refuses_what_is_not_a_zip():
    assert "不是 Word 文档" in refused(b"%PDF-1.7\n...")
    assert "不是 Word 文档" in refused("纯文本的述职报告".encode())


def test_it_refuses_an_excel_workbook_renamed_docx():
    wb = openpyxl.Workbook()
    out = io.BytesIO()
    wb.save(out)
    assert "没有 Word 正文" in refused(out.getvalue())


def test_it_refuses_a_zip_without_content_types():
    data = s.without_member(s.build(s.standard()), "[Content_Types].xml")
    assert "不是 Word 文档" in refused(data)


def test_it_refuses_a_corrupt_zip():
    data = s.build(s.standard())
    assert "已损坏" in refused(data[: len(data) // 2])


def test_it_refuses_a_damaged_document_part():
    data = s.replacing(s.build(s.standard()), "word/document.xml", lambda b: b[:200])
    assert "已损坏" in refused(data)


def test_it_refuses_a_file_over_10_mb():
    data = b"PK\x03\x04" + b"\x00" * MAX_BYTES
    message = refused(data)
    assert "过大" in message and "10 MB" in message


def test_it_refuses_macros_by_content_type():
    def to_docm(content_types: bytes) -> bytes:
        return content_types.replace(b"wordprocessingml.document.main+xml",
                                     b"ms-word.document.macroEnabled.main+xml")
    data = s.replacing(s.build(s.standard()), "[Content_Types].xml", to_docm)
    assert "宏" in refused(data, "述职报告.docm")


def test_it_refuses_macros_by_vba_project():
    data = s.with_member(s.build(s.standard()), "word/vbaProject.bin", b"\xd0\xcf\x11\xe0macro")
    assert "宏" in refused(data)


def test_it_refuses_an_empty_document():
    assert "空白文档" in refused(s.build([("blank", ""), ("blank", "")]))
    assert "空文件" in refused(b"")


def test_a_valid_file_is_read_whatever_its_name():
    result = split_docx(s.build(s.standard()), "报告（终稿）")
    assert result.sections["plans"] == s.PLANS


def test_a_document_saved_by_python_docx_reads_back_its_styles():
    # Sanity check of the builders: Heading 1 really is a heading style.
    document = docx.Document(io.BytesIO(s.build([("h1", "一、履职情况和成效")])))
    assert document.paragraphs[0].style.name == "Heading 1"
