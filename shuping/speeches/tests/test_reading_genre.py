"""The reader on examples of the genre written for these tests: every marker style, nesting, the traps
(markers inside quotes, lists inside an item, 一是 mid-sentence, problems without markers, half-width punctuation,
placeholders and page footers) and the decoding of uploads (UTF-8, BOM, GBK, .docx)."""

from __future__ import annotations

import io

import pytest

from shuping.speeches.categorise import categorise
from shuping.speeches.reading import decode, problems, read
from shuping.speeches.tests.reading_helpers import assert_spans, markers_and_leads, walk

# A 点评 in miniature: 亮点 (一是…；二是…), problems (一是 with 1. 2. inside it), suggestions (一要 二要 三要).
COMMENTARY = """X县街道党工委书记的述职，重点突出，亮点鲜明。一是抓班子带队伍有力度，全年召开党建专题会12次；二是网格化治理有创新，建成“红色网格”46个；三是党群服务中心阵地作用发挥明显。
存在的问题：一是理论学习不够深入，主要表现在：1.学习形式单一，多以读文件为主；2.学用结合不紧，解决实际问题的办法不多。二是党务工作者队伍不稳定，专职党务干部只有2名。三是“四风”问题仍有反弹，文山会海现象依然存在。
下一步，希望你们做到以下几点：一要压实第一责任人责任，书记亲自抓、负总责；二要加强党员教育管理，用好积分制；三要持续整治形式主义，为基层减负。"""

# A closing speech: 比如/又如, 首先/其次/最后, 一、 headings with （一）（二） under them, 我就讲这些.
CLOSING_SPEECH = """同志们：
今天我们召开xx区2024年度基层党建述职评议会，*位同志作了述职，讲得都很好，达到了预期效果。
过去一年，全区各级党组织认真落实管党治党责任，基层党建工作取得了明显成效。比如，东街道推行“街巷长制”，群众满意度明显提升。又如，西镇整顿软弱涣散村党组织3个。
在看到成绩的同时，也要清醒看到存在的问题和不足。首先，部分书记抓党建的主责意识不强，重业务、轻党建的现象仍然存在；其次，基层党组织经费保障不到位，个别社区党群服务中心面积不达标；最后，少数党员干部廉洁意识淡薄，违反八项规定精神问题时有发生。
下面，我再讲几点意见。
一、提高政治站位
（一）强化理论武装。要把学习贯彻党的创新理论作为首要政治任务。
（二）落实第一议题制度。各级党组织要坚持第一议题制度，做到学深悟透。
二、压实工作责任
（一）严格述职评议。要坚持“述职述党建、考核考党建”。
（二）强化考核运用。考核结果要与干部任用挂钩。
我就讲这些，谢谢大家！"""

# A report's 存在问题 section: no signal at all, （1） markers.
REPORT_PROBLEMS = """（1）理论学习不够系统，中心组学习以传达文件为主，研讨交流不深入。
（2）基层组织建设存在薄弱环节，2个村党组织软弱涣散，整顿转化进度不快。
（3）党员发展把关不严，发展党员程序不够规范。"""

# Half-width punctuation, a problems paragraph without markers (one item per sentence, a 、 list split), 第一、.
TOWNSHIP = """一年来,全镇党建工作取得了积极成效,各村党组织战斗堡垒作用进一步增强。
但也要看到,工作中还有不少问题。一些村党组织书记年龄偏大、能力偏弱。部分村存在网格员配备不足、两个覆盖质量不高、党建经费使用不规范等问题。个别干部作风漂浮,搞形式主义,应付了事。对这些问题,我们必须高度重视。
下步工作建议:第一、要配强村党组织带头人;第二、要规范党建经费管理;第三、要深化作风建设。"""

# Traps: markers inside quotes, 一是 referring back mid-sentence, 1.5倍, 一、二线, 1、 and ①②, junk and a footer.
TRAPS = """同志们:
今天召开述职评议会,主要任务是总结工作。会议有两项议程:一是听取述职,二是进行民主测评。
总体来看,各单位工作扎实,成效明显。
在充分肯定成绩的同时,也要看到问题和不足:
1、有的党组织把“四个意识”“两个维护”停留在口头上,学习教育流于形式。
2、有的单位党建与业务“两张皮”问题突出,上面讲的一是抓党建、二是抓业务,实际上党建工作常常让位于业务。
3、有的党组织书记落实“第一责任人”职责不到位,对“一岗双责”认识不足。
下面,我讲三点要求。
（一）要强化政治引领。各级党组织要牢记“一是要讲政治、二是要守纪律”的要求,做到以下几点:①坚持第一议题制度;②落实“三会一课”制度。
（二）要夯实基层基础。要落实1.5倍的经费增长,推动一、二线党务力量下沉,统一是非标准。
（三）要锤炼过硬作风。
***
同志们,让我们以更加昂扬的精神状态,推动全区党建工作再上新台阶。
本文由网友投稿,版权归原作者所有。
上一篇:2023年述职评议会讲话
相关推荐"""

# 1． (full-width dot), 第一， and (1) half-width parentheses, 一是 over two paragraphs, footer with a URL.
NUMBERED = """在看到成绩的同时，也要看到存在的差距和不足，主要有：
1．政治理论学习不够深入。
一是学习不系统，(1)中心组学习次数不够；(2)学习笔记流于形式。
二是学用脱节，理论指导实践的作用发挥不够。
2．党建经费保障不到位。党群服务中心运行经费没有纳入预算。
下一步，要做到：第一，强化理论武装；第二，保障党建经费。
如若转载，请注明出处：https://example.com/1.html"""

# A 点评 as typed in the pad: no markers, headings with colons, short problems separated by commas.
PAD = ("王书记的述职实事求是，抓基层党建工作思路清晰、措施有力。存在问题：理论学习不够深入，组织生活不够规范。"
       "建议：进一步压实责任，加强党员教育管理。")

TEXTS = [COMMENTARY, CLOSING_SPEECH, REPORT_PROBLEMS, TOWNSHIP, TRAPS, NUMBERED, PAD]


@pytest.mark.parametrize("text", TEXTS)
def test_every_item_is_a_span(text):
    assert_spans(text, read(text))


def test_commentary_in_miniature():
    r = read(COMMENTARY)
    assert r.kinds == ["achievements", "problems", "requirements"]
    highlights, found, suggestions = r.parts
    assert markers_and_leads(highlights.items) == [
        ("一是", "抓班子带队伍有力度"), ("二是", "网格化治理有创新"), ("三是", "党群服务中心阵地作用发挥明显")]
    assert highlights.items[0].text == "抓班子带队伍有力度，全年召开党建专题会12次"  # ；left out
    assert markers_and_leads(found.items) == [
        ("一是", "理论学习不够深入"), ("二是", "党务工作者队伍不稳定"), ("三是", "“四风”问题仍有反弹")]
    # the numbered list inside 一是 is its children, not items of their own
    assert markers_and_leads(found.items[0].children) == [("1.", "学习形式单一"), ("2.", "学用结合不紧")]
    assert found.items[0].text.endswith("解决实际问题的办法不多。")
    assert [i.category for i in found.items] == ["political", "workforce", "style"]
    assert markers_and_leads(suggestions.items) == [
        ("一要", "压实第一责任人责任"), ("二要", "加强党员教育管理"), ("三要", "持续整治形式主义")]
    assert problems(r) == found.items


def test_closing_speech_with_headings_examples_and_ordinal_words():
    r = read(CLOSING_SPEECH)
    assert r.kinds == ["opening", "achievements", "problems", "requirements", "closing"]
    opening, achievements, found, requirements, closing = r.parts
    assert opening.items == []  # xx区, *位同志 are placeholders, not markers
    assert markers_and_leads(achievements.items) == [("比如，", "东街道推行“街巷长制”"), ("又如，", "西镇整顿软弱涣散村党组织3个")]
    assert markers_and_leads(found.items) == [
        ("首先，", "部分书记抓党建的主责意识不强"), ("其次，", "基层党组织经费保障不到位"),
        ("最后，", "少数党员干部廉洁意识淡薄")]
    assert [i.category for i in found.items] == ["responsibility", "resources", "integrity"]
    assert markers_and_leads(requirements.items) == [("一、", "提高政治站位"), ("二、", "压实工作责任")]
    assert [markers_and_leads(i.children) for i in requirements.items] == [
        [("（一）", "强化理论武装"), ("（二）", "落实第一议题制度")],
        [("（一）", "严格述职评议"), ("（二）", "强化考核运用")]]
    assert r.text[closing.start:closing.end] == "我就讲这些，谢谢大家！"


def test_a_reports_problems_section_without_any_signal():
    r = read(REPORT_PROBLEMS)
    assert r.kinds == ["problems"]
    assert markers_and_leads(problems(r)) == [
        ("（1）", "理论学习不够系统"), ("（2）", "基层组织建设存在薄弱环节"), ("（3）", "党员发展把关不严")]
    assert [i.category for i in problems(r)] == ["political", "organisation", "members"]


def test_problems_paragraph_without_markers_and_half_width_punctuation():
    r = read(TOWNSHIP)
    assert r.kinds == ["achievements", "problems", "requirements"]
    found = problems(r)
    assert [(i.marker, i.text) for i in found] == [
        ("", "一些村党组织书记年龄偏大、能力偏弱"),  # no 存在……等问题 frame: one sentence, one item
        ("", "网格员配备不足"), ("", "两个覆盖质量不高"), ("", "党建经费使用不规范"),  # split, each an exact span
        ("", "个别干部作风漂浮,搞形式主义,应付了事"),
    ]  # "但也要看到,…" opens the part and "对这些问题,…" wraps it up: neither is a problem
    assert [i.category for i in found[1:]] == ["governance", "governance", "resources", "style"]
    assert markers_and_leads(r.parts[2].items) == [
        ("第一、", "要配强村党组织带头人"), ("第二、", "要规范党建经费管理"), ("第三、", "要深化作风建设")]


def test_traps():
    r = read(TRAPS)
    assert r.kinds == ["opening", "achievements", "problems", "requirements", "closing"]
    opening, achievements, found, requirements, closing = r.parts
    # an agenda in the opening is a list of its own; 总体来看 opens the achievements
    assert markers_and_leads(opening.items) == [("一是", "听取述职"), ("二是", "进行民主测评")]
    assert r.text[achievements.start:achievements.end] == "总体来看,各单位工作扎实,成效明显。"
    assert markers_and_leads(found.items) == [
        ("1、", "有的党组织把“四个意识”“两个维护”停留在口头上"),
        ("2、", "有的单位党建与业务“两张皮”问题突出"),
        ("3、", "有的党组织书记落实“第一责任人”职责不到位")]
    # "上面讲的一是抓党建、二是抓业务" refers back: no markers, no children
    assert found.items[1].children == [] and "上面讲的一是抓党建、二是抓业务" in found.items[1].text
    assert [i.category for i in found.items[:2]] == ["political", "integration"]
    assert markers_and_leads(requirements.items) == [
        ("（一）", "要强化政治引领"), ("（二）", "要夯实基层基础"), ("（三）", "要锤炼过硬作风")]
    # “一是要讲政治、二是要守纪律” is a quotation: only ① ② are the item's list
    assert markers_and_leads(requirements.items[0].children) == [("①", "坚持第一议题制度"), ("②", "落实“三会一课”制度")]
    assert requirements.items[1].children == []  # 1.5倍, 一、二线, 统一是非 are no markers
    assert requirements.items[2].text == "要锤炼过硬作风。"  # the *** line after it is junk, not text
    assert r.text[closing.start:closing.end] == "同志们,让我们以更加昂扬的精神状态,推动全区党建工作再上新台阶。"
    assert all("版权" not in i.text and "上一篇" not in i.text for p in r.parts for i in walk(p.items))
    assert max(p.end for p in r.parts) == r.text.index("本文由网友投稿") - 1


def test_full_width_dot_half_width_parentheses_and_a_list_inside_a_list():
    r = read(NUMBERED)
    assert r.kinds == ["problems", "requirements"]
    found = problems(r)
    assert markers_and_leads(found) == [("1．", "政治理论学习不够深入"), ("2．", "党建经费保障不到位")]
    assert markers_and_leads(found[0].children) == [("一是", "学习不系统"), ("二是", "学用脱节")]
    assert markers_and_leads(found[0].children[0].children) == [("(1)", "中心组学习次数不够"), ("(2)", "学习笔记流于形式")]
    assert [i.category for i in found] == ["political", "resources"]
    assert markers_and_leads(r.parts[1].items) == [("第一，", "强化理论武装"), ("第二，", "保障党建经费")]
    assert r.parts[1].items[1].text == "保障党建经费。"  # the page's "如若转载…" line is cut off


def test_a_commentary_typed_in_the_pad():
    r = read(PAD)
    assert r.kinds == ["achievements", "problems", "requirements"]
    assert [(i.text, i.category) for i in problems(r)] == [
        ("理论学习不够深入", "political"), ("组织生活不够规范", "organisation")]
    assert r.text[r.parts[2].start:r.parts[2].end] == "建议：进一步压实责任，加强党员教育管理。"


def test_categorise():
    assert categorise("网格化管理不够精细，两个覆盖质量不高") == "governance"
    assert categorise("形式主义、官僚主义问题仍然存在") == "style"
    assert categorise("党群服务中心建设滞后，经费保障不足") == "resources"
    assert categorise("今天天气很好") is None
    assert categorise("理论学习不深，廉政教育不够") is None  # a tie: the reviewer decides


# ---------------------------------------------------------------------------------------------------- decoding

SAMPLE = "存在的问题：一是理论学习不够深入；二是党建经费保障不到位。"


def test_decode_utf8_with_and_without_bom_and_gbk():
    assert decode(SAMPLE.encode("utf-8"), "a.txt") == SAMPLE
    assert decode(b"\xef\xbb\xbf" + SAMPLE.encode("utf-8"), "a.txt") == SAMPLE
    assert decode(SAMPLE.encode("gbk"), "讲话.TXT") == SAMPLE
    assert decode(SAMPLE.encode("gb18030"), "a.txt") == SAMPLE
    assert decode("一是\r\n二是".encode(), "a.txt") == "一是\n二是"
    assert markers_and_leads(problems(read(decode(SAMPLE.encode("gbk"), "a.txt")))) == [
        ("一是", "理论学习不够深入"), ("二是", "党建经费保障不到位")]


def test_decode_docx():
    import docx

    document = docx.Document()
    document.add_paragraph("同志们：")
    document.add_paragraph("在看到成绩的同时，也要看到问题和不足。")
    document.add_paragraph("一是理论学习不够深入。")
    document.add_paragraph("二是党建经费保障不到位。")
    buf = io.BytesIO()
    document.save(buf)
    text = decode(buf.getvalue(), "讲话.docx")
    assert text == "同志们：\n在看到成绩的同时，也要看到问题和不足。\n一是理论学习不够深入。\n二是党建经费保障不到位。"
    assert markers_and_leads(problems(read(text))) == [("一是", "理论学习不够深入"), ("二是", "党建经费保障不到位")]


@pytest.mark.parametrize(("data", "name", "message"), [
    (b"%PDF-1.4 ...", "a.pdf", "不支持的文件类型"),
    (b"PK\x03\x04 broken", "a.docx", "不是有效的 Word"),
    (b"\x00\x01\x02binary", "a.txt", "不是文本文件"),
    (b"\xff\xfe\xfd\xfc\x80\x81", "a.txt", "无法识别"),
])
def test_decode_refuses_what_it_cannot_read(data, name, message):
    with pytest.raises(ValueError, match=message):
        decode(data, name)


def test_any_mix_of_the_genre_keeps_the_span_invariant():
    """Pieces of all examples glued at random (cut mid-sentence, mid-marker, CRLF…): never a crash, every item a
    span of the input."""
    import random

    rnd = random.Random(7)
    pieces = [t[i:i + rnd.randint(1, 30)] for t in TEXTS for i in range(0, len(t), 5)]
    for _ in range(400):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 40)))
        if rnd.random() < 0.3:
            text = text.replace("\n", rnd.choice(["\r\n", "\n\n", " "]))
        assert_spans(text, read(text))


def test_a_long_text():
    """199 numbered problems of 580 characters each (the keyword tables read each text once: ~0.2 s)."""
    text = "在看到成绩的同时，也要看到问题和不足。\n" + "\n".join(
        f"{i}. " + "理论学习不够深入，党建经费保障不到位，网格化管理不够精细。" * 20 for i in range(1, 200))
    found = problems(read(text))
    assert [i.marker for i in found] == [f"{i}." for i in range(1, 200)]
    assert found[-1].text.endswith("网格化管理不够精细。") and len(found[-1].text) == 29 * 20
