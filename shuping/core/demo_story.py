"""The demo's meeting, 点评, ledger and reports (see demo.py for the district and the scoring).

2022: the meeting is run on the control screen (each on-site reporter speaks against the countdown, the chair
comments and tags the problems), ended — the tagged problems become ledger entries — and the ledger is
worked on: deadlines and measures set, progress reported with evidence, one entry verified and closed,
one closure waiting for verification. 2023: the meeting's agenda is ready, and the demo reporter has a draft
report that answers last year's open problems. All through the same actions the users' pages call.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shuping.accounts.models import User
from shuping.campaigns.models import Campaign
from shuping.meetings import actions as meeting_actions
from shuping.meetings import agenda, commentary
from shuping.meetings.models import ItemKind, Meeting
from shuping.rectification import actions as ledger_actions
from shuping.rectification.models import LedgerEntry
from shuping.reports import actions as report_actions

# One 点评 per on-site reporter in 2022, in the genre (亮点 → 问题 → 建议); the quoted problems are tagged.
COMMENTS: list[tuple[str, list[tuple[str, str]]]] = [
    ("一年来，你们坚持把抓基层党建作为第一责任，社区网格党支部实现全覆盖，“红色物业”经验在全区推广。"
     "存在的问题：一是部分社区党组织书记年龄偏大，后备力量不足；二是党员教育管理方式比较单一，流动党员管理有盲区。"
     "希望你们抓好带头人队伍建设，创新党员教育方式。",
     [("部分社区党组织书记年龄偏大，后备力量不足", "workforce"),
      ("党员教育管理方式比较单一，流动党员管理有盲区", "members")]),
    ("东湖街道推动“两新”组织党建有新进展，党群服务中心功能进一步完善。"
     "但也要看到，个别软弱涣散党组织整顿还不彻底，党建与业务“两张皮”现象仍然存在。"
     "下一步要坚持问题导向，把整顿成效体现在服务群众上。",
     [("个别软弱涣散党组织整顿还不彻底", "organisation"),
      ("党建与业务“两张皮”现象仍然存在", "integration")]),
    ("西山街道书记带头讲党课、带头调研，责任落实比较到位。"
     "问题是基层党建经费保障不够有力，部分村级活动场所设施老化。希望加大投入，夯实阵地保障。",
     [("基层党建经费保障不够有力，部分村级活动场所设施老化", "resources")]),
    ("南桥街道坚持党建引领基层治理，网格化管理精细，群众满意度高。"
     "不足之处在于理论学习还停留在读文件、念报纸，学用结合不够紧密。要在学懂弄通做实上下功夫。",
     [("理论学习还停留在读文件、念报纸，学用结合不够紧密", "political")]),
    ("北苑街道党建工作基础扎实。但述职中反映出，个别班子成员“一岗双责”落实不到位，"
     "抓党建的精力投入不够。希望进一步压实责任，形成齐抓共管的格局。",
     [("个别班子成员“一岗双责”落实不到位", "responsibility")]),
    ("清河镇在村级组织换届后及时开展培训，村干部队伍结构明显优化。"
     "存在的主要问题是文山会海仍然较多，基层减负还需加力。要持续整治形式主义，为基层松绑减负。",
     [("文山会海仍然较多，基层减负还需加力", "style")]),
    ("柳林镇特色产业党建联盟做得有声有色，党建和发展结合得比较好。"
     "问题是村务监督机制不够健全，部分村“三资”管理不够规范。希望把全面从严治党延伸到村一级。",
     [("部分村“三资”管理不够规范", "integrity")]),
    ("石门镇在基层治理中注重发挥党员作用，但党组织书记抓党建的主动性不强，对问题剖析不够深入。"
     "希望你们对照今天的点评逐条整改，明年向全区交出满意答卷。",
     [("党组织书记抓党建的主动性不强，对问题剖析不够深入", "responsibility")]),
]


def _at(day: date, hour: int, minute: int, second: int = 0) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute, second))


def run_meeting_2022(organiser: User, chair: User, campaign: Campaign, day: date) -> Meeting:
    """The 2022 meeting on its day: 述职 against the countdown (some run over), 点评 with tagged problems."""
    meeting = agenda.create_meeting(organiser, campaign)
    meeting_actions.set_options(organiser, meeting, show_ranking=False, show_judges=True, attendees=136,
                                attendance_note="区委领导、领导小组成员、党代表和基层党员群众代表共 136 人参会")
    t = _at(day, 9, 0)
    meeting_actions.start_meeting(organiser, meeting, now=t)
    reports = list(meeting.items.filter(kind=ItemKind.REPORT).select_related("participant").order_by("position"))
    for i, item in enumerate(reports):
        t += timedelta(minutes=1)
        meeting.refresh_from_db()
        if meeting.current_id != item.pk:
            meeting_actions.go_to(organiser, item, now=t)
        meeting_actions.start_timer(organiser, item, now=t)
        spoke = timedelta(minutes=5, seconds=20 + 17 * i)  # the later speakers run over the 6 minutes
        t += spoke
        meeting_actions.to_commentary(organiser, item, now=t)
        text, problems = COMMENTS[i % len(COMMENTS)]
        assert item.participant is not None
        saved = commentary.save_commentary(chair, item.participant, text, 0)
        for phrase, category in problems:
            start = saved.text.index(phrase)
            commentary.add_problem(chair, item.participant, phrase, category, start=start, end=start + len(phrase))
        t += timedelta(minutes=3)
    return meeting


def vote_item(meeting: Meeting):  # -> AgendaItem
    return meeting.items.get(kind=ItemKind.VOTE)


def open_vote_2022(organiser: User, meeting: Meeting, day: date) -> None:
    item = vote_item(meeting)
    meeting_actions.go_to(organiser, item, now=_at(day, 10, 40))
    meeting_actions.open_vote(organiser, item, now=_at(day, 10, 41))


def close_vote_2022(organiser: User, meeting: Meeting, day: date) -> None:
    meeting_actions.close_vote(organiser, vote_item(meeting), now=_at(day, 11, 0))


def end_meeting_2022(organiser: User, meeting: Meeting, day: date) -> list[LedgerEntry]:
    closing = meeting.items.get(kind=ItemKind.CLOSING)
    meeting_actions.go_to(organiser, closing, now=_at(day, 11, 2))
    meeting_actions.end_meeting(organiser, meeting, now=_at(day, 11, 40))
    return list(LedgerEntry.objects.filter(campaign=meeting.campaign).order_by("pk"))


def _evidence(name: str) -> SimpleUploadedFile:
    body = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
            b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def work_the_ledger(organiser: User, verifier: User, owner: User, entries: list[LedgerEntry]) -> None:
    """Measures and deadlines for every entry; the owner's unit reports progress, gets one entry closed
    (verified by a second person) and asks to close another (waiting for verification)."""
    for e in entries:
        ledger_actions.update_entry(
            organiser, e, measures="制定整改方案，明确责任人和时间节点，按季度报送进展", deadline=date(2023, 6, 30),
            target="问题整改到位，建立长效机制", responsible_name=e.unit.secretary.name if e.unit.secretary else "")
    own = [e for e in entries if owner.unit_id == e.unit_id]
    if own:
        first = own[0]
        ledger_actions.post_progress(owner, first, text="已完成软弱涣散党组织的摸排，逐一制定整顿方案。",
                                     files=[_evidence("整顿方案.pdf")])
        ledger_actions.request_closure(owner, first, note="整顿工作已完成，经街道党工委验收。",
                                       files=[_evidence("验收报告.pdf")])
        ledger_actions.verify_closure(verifier, first)
    if len(own) > 1:
        ledger_actions.post_progress(owner, own[1], text="建立党建与业务同谋划、同部署、同考核机制，已试行一个季度。",
                                     files=[_evidence("考核办法.pdf")])
        ledger_actions.request_closure(owner, own[1], note="机制已建立并运行，申请销号。",
                                       evidence_ids=[ev.pk for ev in own[1].evidence.all()])


def draft_report_2023(reporter: User, campaign: Campaign) -> None:
    """The demo reporter's 2023 report: written in part, last year's open problems answered, not yet submitted."""
    participant = report_actions.own_participant(reporter, campaign)
    report = report_actions.open_report(reporter, participant)
    answers = {str(a.entry_id): "已建立党建与业务融合考核机制，每季度通报一次，整改正在推进。"
               for a in report.prior_answers.all()}
    report_actions.save_draft(reporter, report, revision=report.revision, sections={
        "performance": "一年来，街道党工委坚持把抓基层党建作为最大政绩，全年召开党建专题会议 12 次，"
                       "书记带头讲党课 4 次，社区党组织全部完成标准化建设。",
        "problems": "一是党建引领基层治理的办法还不多；二是党员队伍结构有待优化。",
        "causes": "主要是思想认识还有差距，统筹谋划不够。",
        "plans": "下一步，我们将聚焦问题抓整改，推动党建工作与中心工作深度融合。",
    }, answers=answers)


def plan_meeting_2023(organiser: User, campaign: Campaign) -> Meeting:
    return agenda.create_meeting(organiser, campaign)
