"""The reader on the three real speeches (../shared/fixtures/speeches): the parts and items a careful reader finds
there, written down by hand, and the span invariant for every item."""

from __future__ import annotations

from pathlib import Path

import pytest

from shuping.speeches.reading import Reading, problems, read
from shuping.speeches.tests.reading_helpers import assert_spans, markers_and_leads

# Copies of ../shared/fixtures/speeches kept beside the tests, so they run (never skip) on any checkout.
FIXTURES = Path(__file__).resolve().parent / "speeches"
NAMES = ["2022-commentary-outline.txt", "2023-district-meeting.txt", "district-organs-meeting.txt"]



def load(name: str) -> tuple[str, Reading]:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    return text, read(text)


@pytest.mark.parametrize("name", NAMES)
def test_every_item_is_a_span_of_the_input(name):
    text, reading = load(name)
    assert_spans(text, reading)


def test_2022_commentary_outline():
    text, reading = load("2022-commentary-outline.txt")
    assert reading.kinds == ["opening", "achievements", "requirements", "closing"]
    opening, achievements, requirements, closing = reading.parts
    assert text[opening.start:].startswith("同志们：\n今天召集大家")  # the title line is not part of the speech
    assert text[opening.start:opening.end].endswith("应该说，会议取得了预期效果。")
    assert text[achievements.start:].startswith("过去一年，*各级党组织书记认真贯彻")
    assert achievements.items == []
    assert text[requirements.start:].startswith("下面，我就进一步做好当前和今后一个时期工作，再强调几点意见。")
    assert markers_and_leads(requirements.items) == [
        ("第一，", "要在抓实政治建设上下更大功夫"),
        ("第二，", "要在提升党建质量上下更大功夫"),
        ("第三，", "要在加强干部队伍建设上下更大功夫"),
        ("第四，", "要在驰而不息正风肃纪反腐上下功夫"),
    ]
    # “四个意识”、“两个维护”, “第一责任人”, 不敢腐、不能腐 … inside the items are no markers
    assert all(i.children == [] for i in requirements.items)
    assert requirements.items[0].text.endswith("转化为具体举措、具体行动。")
    assert requirements.items[3].text.endswith("让人民群众在全面从严治党中感受到公平正义。")
    assert text[closing.start:closing.end].startswith("同志们，当前和今后一个时期既充满着挑战又孕育着希望。")
    assert text[closing.start:closing.end].endswith("我就讲这么多，谢谢大家！")
    assert problems(reading) == []  # this outline names no problems of its own


def test_2023_district_meeting():
    text, reading = load("2023-district-meeting.txt")
    # cut off mid-sentence, followed by a web page's footer: no closing part
    assert reading.kinds == ["opening", "achievements", "problems", "requirements"]
    opening, achievements, problems_part, requirements = reading.parts
    assert text[opening.start:].startswith("今天,我们召开2023年度党(工)委书记抓基层党建工作述职评议会")
    # the agenda (一是 … 2. … 3.由我…提几点要求), 首先 without 其次 and the *** lines stay in the opening
    assert opening.items == []
    assert "提几点要求" in text[opening.start:opening.end] and "********" in text[opening.start:opening.end]
    assert text[achievements.start:].startswith("一年来,全区各级党组织坚持以***新时代中国特色社会主义思想为指导")
    assert markers_and_leads(achievements.items) == [
        ("1.", "政治责任不断压实"), ("2.", "中心工作不断推进"), ("3.", "战斗堡垒不断筑牢")]
    assert achievements.items[2].text.endswith("有效激发基层干部干事创业活力。")
    assert text[problems_part.start:].startswith("在肯定成绩的同时,也要看到问题与不足。")
    found = problems(reading)
    assert [(i.marker, i.text) for i in found] == [
        ("", "政绩意识不够牢"), ("", "担当意识不够强"), ("", "压力传导不够实"),
        ("", "没有做到把党建工作同中心工作同谋划、同部署、同考核,没有形成层层抓落实的责任闭环"),
        ("", "在工作中也暴露出个人党组织书记领导力、判断力、执行力不强等问题"),  # one shared problem, not split
        ("", "党务工作者队伍专业性稳定性不强"), ("", "党员分类管理还存在短板"), ("", "网格化管理还不够精细"),
        ("", "党群服务中心建设规格不高"), ("", "党建工作经费服务保障作用发挥不充分"),
    ]
    categories = {i.text: i.category for i in found}
    assert categories["政绩意识不够牢"] == "responsibility"
    assert categories["压力传导不够实"] == "responsibility"
    assert categories["担当意识不够强"] == "responsibility"  # from its sentence: "…责任制落实方面…"
    assert categories["党务工作者队伍专业性稳定性不强"] == "workforce"
    assert categories["党员分类管理还存在短板"] == "members"
    assert categories["网格化管理还不够精细"] == "governance"
    assert categories["党群服务中心建设规格不高"] == "resources"
    assert categories["党建工作经费服务保障作用发挥不充分"] == "resources"
    assert text[requirements.start:].startswith("同志们,大战大考过后的实践证明")
    assert markers_and_leads(requirements.items) == [("1.", "要始终坚持政治引领")]
    assert requirements.items[0].text.endswith("坚决维护以***同志为核心的党中央权威的必然要")
    body_end = max(p.end for p in reading.parts)
    assert "本文内容由互联网用户自发贡献" not in text[:body_end] and text[:body_end].endswith("的必然要")


def test_district_organs_meeting():
    text, reading = load("district-organs-meeting.txt")
    assert reading.kinds == ["opening", "requirements", "closing"]
    opening, requirements, closing = reading.parts
    assert text[opening.start:].startswith("同志们：")
    assert text[requirements.start:].startswith("下面，对抓好党建工作，我再强调三点意见。")
    assert markers_and_leads(requirements.items) == [
        ("一、", "切实增强抓好基层党建工作的使命感和紧迫感"),
        ("二、", "坚定不移提升管党治党的能力水平"),
        ("三、", "务求实效提高党的建设质量"),
    ]
    assert [markers_and_leads(i.children) for i in requirements.items] == [
        [("1.", "抓好基层党建工作的是做好各项工作的重要基础"),
         ("2.", "加强基层党建工作是党提高社会治理能力的重要途径"),
         ("3.", "强化基层党建工作是落实全面从严治党方略的必然要求")],
        [("1.", "始终把政治建设摆在首位"), ("2.", "吃透上级决策部署精神"), ("3.", "要提升执行力")],
        [("1.", "要从解决问题入手抓好基层党建"), ("2.", "要勇于发扬斗争精神"), ("3.", "要坚持以人民为中心")],
    ]
    # a heading item runs to the next heading, its sub-items inside it
    first = requirements.items[0]
    assert first.text.endswith("通过强化基层党建促进全面从严治党向基层延伸取得实效。")
    assert first.children[2].end == first.end
    # "存在社会服务不够精准，…等问题" inside a requirement is no problems part of the speech
    assert problems(reading) == []
    assert text[closing.start:closing.end] == text[closing.start:].strip()
    assert text[closing.start:].startswith("同志们，今年党和国家大事、要事、喜事、盛事多。")
