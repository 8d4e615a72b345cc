"""Hand-written report texts for the 材料雷同 tests, and a builder of campaigns with submitted reports.

Each unit's own text is written to share nothing of 13 characters with the others; COPIED is a paragraph one
unit lifts from another; TEMPLATE is the opening every report carries (template text, not copying).
"""

from __future__ import annotations

from typing import Any

from shuping.campaigns.models import Campaign, CampaignState, Participant
from shuping.orgs.models import Person, Unit
from shuping.reports.models import Report, ReportState, empty_sections

TEMPLATE = ("一年来，在区委的坚强领导下，我认真履行抓基层党建工作第一责任人职责，"
            "现将履职情况报告如下。")

OWN = {
    "east": ("坚持把网格化治理作为重点，全街道划分网格八十六个，选派机关干部下沉社区两百余人次，"
             "推动小区党支部实现全覆盖，居民议事厅每月开放四次。"),
    "west": ("西城以老旧小区改造为抓手，组织物业公司党员亮身份，开展“红色物业”评星活动，"
             "全年解决加装电梯、停车难等诉求一百三十件。"),
    "edu": ("教育系统推进党组织领导的校长负责制，修订议事规则十二项，建立书记校长定期沟通机制，"
            "在青年教师中发展党员九名，培养骨干教师三十人。"),
    "north": ("北城聚焦产业园区两新组织，新建非公企业党组织七个，选派党建指导员驻点服务，"
              "把招商引资与党建联建结合起来，园区党员先锋岗达到四十个。"),
    "south": ("南城坚持抓乡促村，整顿软弱涣散村党组织三个，村集体经济收入全部超过十万元，"
              "推行村干部坐班值班和群众事项代办制度。"),
}

COPIED = ("针对部分党员教育管理松散的问题，我们建立了“积分制”管理办法，将党员参加组织生活、志愿服务、"
          "联系群众等情况量化计分，每季度公示一次，年底与评先评优挂钩。")

PROBLEMS = {
    "east": "一是社区书记队伍年龄偏大；二是部分网格员业务不熟。",
    "west": "物业企业党建覆盖还有空白，居民参与积极性不够高。",
    "edu": "民办学校党建基础薄弱，党建与教学融合不够紧密。",
    "north": "园区企业流动性大，党员管理难度较大。",
    "south": "村级后备力量不足，产业发展带动能力较弱。",
}


def sections(performance: str, problems: str = "") -> dict[str, str]:
    s = empty_sections()
    s["performance"] = performance
    s["problems"] = problems
    return s


def make_units(root: Unit, names: list[str]) -> dict[str, Unit]:
    units = {}
    for i, name in enumerate(names, start=20):
        unit = Unit.objects.create(code=f"Q{i}", name=f"{name}测试单位", type="党工委", category="街道", parent=root,
                                   sort_order=i)
        unit.secretary = Person.objects.create(name=f"{name}书记", unit=unit, position="书记")
        unit.save()
        units[name] = unit
    return units


def campaign_with_reports(committee: Unit, year: int, texts: dict[Unit, Any],
                          state: str = CampaignState.PUBLISHED) -> tuple[Campaign, dict[Unit, Report]]:
    """A campaign of `committee` with one report per unit: texts[unit] is a sections dict, or a
    (sections, report state) pair (default submitted)."""
    campaign = Campaign.objects.create(year=year, title=f"{year}年度述职评议", committee=committee, state=state)
    reports = {}
    for unit, value in texts.items():
        secs, rstate = value if isinstance(value, tuple) else (value, ReportState.SUBMITTED)
        p = Participant.objects.create(campaign=campaign, unit=unit, secretary=unit.secretary)
        reports[unit] = Report.objects.create(participant=p, sections=secs, state=rstate)
    return campaign, reports
