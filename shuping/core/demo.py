"""The demo district (示范区县): an invented 青川区, modelled on the 2023 district meeting speech.

区委 → 8 街道/镇 党(工)委 reporting on site, and the bodies the speech names reporting in writing,
with a few 社区/村/学校/医院 units below them; a finished (archived) 2022 campaign and a 2023
campaign ready for its meeting; one demo login per role. Names and phone numbers are invented.
Built with the models directly (the demo is data, not a user's actions), plus one audit event.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError

from shuping.accounts.models import Role, User, UserRole
from shuping.audit.log import record
from shuping.ballots import casting
from shuping.ballots.actions import setup as ballot_setup
from shuping.ballots.models import (
    Ballot,
    BallotBox,
    BallotComment,
    BallotLine,
    BallotReceipt,
    BallotToken,
    EncryptedBallot,
    InvalidSheet,
    PaperEntry,
    TokenChannel,
)
from shuping.campaigns import actions as campaign_actions
from shuping.campaigns.models import Campaign, CampaignState, ParticipantMode
from shuping.core import demo_story
from shuping.meetings.models import Commentary, Meeting
from shuping.orgs.models import Person, Unit
from shuping.rectification.models import LedgerEntry
from shuping.reports.models import Report
from shuping.results import actions as result_actions
from shuping.results.models import FollowUp, GradeDecision, ResultRow, ResultSheet
from shuping.scoring import actions_judging as judging
from shuping.scoring import actions_routine
from shuping.scoring.models import JudgeReminder, JudgeScore, JudgeSeat, Recusal, RoutineScore, ScoringWindow

ROOT_CODE = "QC"
PASSWORD = "shuping-demo-2026"
ONSITE_GROUP = "街道/镇"
LOT_SEED = "qingchuan-2023"  # fixed, so every load draws the same order (and anyone can replay it)

# (code, name, short name, type, category, parent code, secretary, gender, position)
UNITS: list[tuple[str, str, str, str, str, str, str, str, str]] = [
    ("QC", "中共青川区委员会", "青川区委", "党委", "区县委", "", "周建国", "男", "区委书记"),
    # 街道/镇: on-site reporters
    ("QC01", "中共青川区城关街道工作委员会", "城关街道党工委", "党工委", "街道", "QC", "陈立新", "男", "党工委书记"),
    ("QC02", "中共青川区东湖街道工作委员会", "东湖街道党工委", "党工委", "街道", "QC", "刘慧敏", "女", "党工委书记"),
    ("QC03", "中共青川区西山街道工作委员会", "西山街道党工委", "党工委", "街道", "QC", "张卫东", "男", "党工委书记"),
    ("QC04", "中共青川区南桥街道工作委员会", "南桥街道党工委", "党工委", "街道", "QC", "杨晓峰", "男", "党工委书记"),
    ("QC05", "中共青川区北苑街道工作委员会", "北苑街道党工委", "党工委", "街道", "QC", "黄丽娟", "女", "党工委书记"),
    ("QC06", "中共青川区清河镇委员会", "清河镇党委", "党委", "乡镇", "QC", "吴志强", "男", "镇党委书记"),
    ("QC07", "中共青川区柳林镇委员会", "柳林镇党委", "党委", "乡镇", "QC", "徐海波", "男", "镇党委书记"),
    ("QC08", "中共青川区石门镇委员会", "石门镇党委", "党委", "乡镇", "QC", "孙雅琴", "女", "镇党委书记"),
    # Bodies named in the speech: written reporters
    ("QC11", "中共青川区直属机关工作委员会", "区直机关工委", "工委", "机关", "QC", "马俊杰", "男", "区直机关工委书记"),
    ("QC12", "中共青川经济开发区工作委员会", "经济开发区工委", "工委", "园区", "QC", "朱振华", "男", "开发区工委书记"),
    ("QC13", "中共青川区非公有制经济组织和社会组织工作委员会", "区“两新”工委", "工委", "两新", "QC", "胡晓红", "女",
     "区“两新”工委书记"),
    ("QC14", "中共青川区离退休干部工作委员会", "区离退休干部工委", "工委", "离退休", "QC", "郭明远", "男",
     "区离退休干部工委书记"),
    ("QC15", "中共青川区财政局党组", "区财政局党组", "党组", "机关", "QC", "林国庆", "男", "局党组书记、局长"),
    ("QC16", "中共青川区教育局委员会", "区教育局党委", "党委", "机关", "QC", "何静怡", "女", "局党委书记"),
    ("QC17", "中共青川区卫生健康局委员会", "区卫健局党委", "党委", "机关", "QC", "罗文斌", "男", "局党委书记"),
    # Lower units, to make the tree real
    ("QC0101", "城关街道新华社区党委", "新华社区党委", "党委", "街道", "QC01", "梁秀英", "女", "社区党委书记"),
    ("QC0102", "城关街道文昌社区党委", "文昌社区党委", "党委", "街道", "QC01", "宋建军", "男", "社区党委书记"),
    ("QC0103", "城关街道滨江社区党支部", "滨江社区党支部", "党支部", "街道", "QC01", "唐玉兰", "女", "社区党支部书记"),
    ("QC0601", "清河镇王庄村党支部", "王庄村党支部", "党支部", "乡镇", "QC06", "王德福", "男", "村党支部书记"),
    ("QC0602", "清河镇李家湾村党支部", "李家湾村党支部", "党支部", "乡镇", "QC06", "李长春", "男", "村党支部书记"),
    ("QC0603", "清河镇清河社区党总支", "清河社区党总支", "党总支", "乡镇", "QC06", "韩春梅", "女", "社区党总支书记"),
    ("QC1601", "青川区实验小学党支部", "实验小学党支部", "党支部", "学校", "QC16", "冯丽华", "女", "校党支部书记"),
    ("QC1602", "青川区第二中学党支部", "第二中学党支部", "党支部", "学校", "QC16", "邓志刚", "男", "校党支部书记"),
    ("QC1603", "青川区城关中学党支部", "城关中学党支部", "党支部", "学校", "QC16", "曹文静", "女", "校党支部书记"),
    ("QC1701", "青川区人民医院党委", "区人民医院党委", "党委", "医院", "QC17", "彭建华", "男", "医院党委书记"),
    ("QC1702", "青川区中医院党总支", "区中医院党总支", "党总支", "医院", "QC17", "曾晓玲", "女", "医院党总支书记"),
]
ONSITE_CODES = ["QC01", "QC02", "QC03", "QC04", "QC05", "QC06", "QC07", "QC08"]
WRITTEN_CODES = ["QC11", "QC12", "QC13", "QC14", "QC15", "QC16", "QC17"]

# Extra people (not secretaries): (unit code, name, gender, position)
EXTRA_PEOPLE = [
    ("QC", "郑秋云", "女", "区委常委、组织部部长"),
    ("QC", "王晓燕", "女", "区委组织部组织科科长"),
    ("QC", "赵永康", "男", "区纪委监委派驻组长"),
    ("QC", "许文涛", "男", "区委组织部干部"),
    ("QC", "钱志远", "男", "区委党的建设工作领导小组成员"),
    ("QC", "谢春华", "女", "区委组织部信息科科长"),
    # 评委 (with 钱志远 above): the panel of the 2022 and 2023 meetings
    ("QC", "李国栋", "男", "区人大常委会副主任"),
    ("QC", "陈思雨", "女", "区政协副主席"),
    ("QC", "方志诚", "男", "区委党校常务副校长"),
    ("QC", "蒋红梅", "女", "党代表、社区党委书记"),
]
# Further judges (not in the login table; same password): username → name
MORE_JUDGES = [("judge2", "李国栋"), ("judge3", "陈思雨"), ("judge4", "方志诚"), ("judge5", "蒋红梅")]

# username → (roles, display name, person (unit code, name) or None, note shown in the login table)
LOGINS: list[tuple[str, list[str], str, tuple[str, str] | None, str]] = [
    ("organiser", [Role.ORGANISER], "王晓燕", ("QC", "王晓燕"), "区委组织部组织科：组织架构、考核方案、抽签、统分"),
    ("organiser2", [Role.ORGANISER], "郑秋云", ("QC", "郑秋云"), "组织部部长：审核考核结果（统分以外的第二人）"),
    ("chair", [Role.CHAIR], "周建国", ("QC", "周建国"), "区委书记，点评领导；代表领导小组签批考核结果"),
    ("judge", [Role.JUDGE], "钱志远", ("QC", "钱志远"), "评委：现场评分（另有 judge2–judge5 四位评委，密码相同）"),
    ("reporter", [Role.REPORTER], "", None, "述职人：第一个现场述职的街道/镇书记，只看本单位"),
    ("owner", [Role.OWNER], "", None, "整改责任人：同一单位的组织委员"),
    ("teller", [Role.TELLER], "许文涛", ("QC", "许文涛"), "计票员：纸质票录入与复核"),
    ("observer", [Role.OBSERVER], "赵永康", ("QC", "赵永康"), "监督员（纪委）：只读，浏览并校验审计日志"),
    ("admin", [Role.ADMIN], "谢春华", ("QC", "谢春华"), "系统管理员：用户与角色"),
]


@dataclass
class DemoLogin:
    username: str
    roles: str
    display_name: str
    note: str


@dataclass
class DemoResult:
    created: bool
    logins: list[DemoLogin]
    notes: list[str]


def is_loaded() -> bool:
    return Unit.objects.filter(code=ROOT_CODE).exists()


def _phone(i: int) -> str:
    return f"138****{i:04d}"  # masked and invented


def _demo_unit_ids() -> list[list[int]]:
    """Ids of the demo tree by depth: [[root], [children], [grandchildren], …]."""
    levels: list[list[int]] = [list(Unit.objects.filter(code=ROOT_CODE).values_list("pk", flat=True))]
    while levels[-1]:
        levels.append(list(Unit.objects.filter(parent_id__in=levels[-1]).values_list("pk", flat=True)))
    return levels[:-1]


# Tokens per voter group (区委领导, 领导小组成员, 党代表, 基层党员群众代表).
TOKENS_PER_GROUP = (9, 21, 40, 60)


def _box_2022(organiser: User, campaign: Campaign) -> list[BallotToken]:
    """Last year's ballot box, set up with its tokens before the meeting."""
    box = ballot_setup.create_box(organiser, campaign)
    return ballot_setup.issue_tokens(organiser, box, dict(enumerate(TOKENS_PER_GROUP)))


def _vote_2022(campaign: Campaign, tokens: list[BallotToken]) -> None:
    """Last year's 民主测评 (the box opened from the meeting's control screen): most tokens used on phones,
    some not returned. Grades are drawn with a fixed seed and a per-reporter lean, so the tally looks real."""
    box = BallotBox.objects.get(campaign=campaign)
    rng = random.Random(2022)
    n_lines = box.lines.count()
    lean = [rng.choice((0.75, 0.6, 0.5, 0.35)) for _ in range(n_lines)]
    for token in tokens:
        if rng.random() < 0.06:  # not returned
            continue
        grades = "".join(
            "0" if rng.random() < 0.03 else
            "1" if (r := rng.random()) < lean[i] else "2" if r < lean[i] + 0.3 else "3" if r < 0.97 else "4"
            for i in range(n_lines))
        token.box = box
        casting.cast(token, TokenChannel.PHONE, grades, nonce=f"demo-2022-{token.serial}", n_lines=n_lines)


# How well each 2022 reporter did, 0–1: steers the invented judge and 日常考核 scores, so the demo result has
# a 好 quota to enforce, a 一般 with its follow-up measures, and an ordinary middle.
STANDING = {"QC13": 0.97, "QC04": 0.96, "QC15": 0.96, "QC07": 0.95, "QC17": 0.96, "QC16": 0.90, "QC14": 0.88,
            "QC01": 0.88, "QC03": 0.87, "QC06": 0.86, "QC11": 0.86, "QC05": 0.85, "QC12": 0.82, "QC02": 0.80,
            "QC08": 0.70}


def _judge_2022(organiser: User, campaign: Campaign, judges: list[User]) -> None:
    """Last year's 现场评分: five judges score every reporter (written ones on their report), window by window."""
    judging.set_panel(organiser, campaign, judges)
    rng = random.Random(2023)
    maxima = [int(m) for _, m in judging.indicators(campaign)]
    for p in judging.ordered_participants(campaign):
        judging.open_window(organiser, p)
        lean = STANDING[p.unit.code]
        for j in judges:
            if judging.is_recused(j, p):
                continue
            halves = [min(2 * m, round(2 * m * rng.uniform(lean - 0.06, lean + 0.05))) for m in maxima]
            judging.save_score(j, p, [str(Decimal(h) / 2) for h in halves], submit=True)
        judging.close_window(organiser, p)


def _routine_2022(organiser: User, campaign: Campaign) -> None:
    """日常考核 imported the way the organiser does it: the template, filled in, uploaded."""
    import io

    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(actions_routine.template(organiser, campaign)))
    ws = wb["日常考核"]
    rng = random.Random(2024)
    for row in ws.iter_rows(min_row=2):
        if row[0].value:
            row[3].value = min(1000, round(1000 * STANDING[row[0].value] + rng.randint(-20, 20))) / 10
    out = io.BytesIO()
    wb.save(out)
    actions_routine.import_routine(organiser, campaign, out.getvalue(), "2022年度日常考核得分.xlsx")


def _results_2022(organiser: User, reviewer: User, chair: User, campaign: Campaign) -> None:
    """统分 → 审核 (a second organiser) → 领导小组决定并列 → 签批 → 公布."""
    sheet = result_actions.compute_results(organiser, campaign)
    result_actions.submit_results(organiser, sheet)
    result_actions.review_results(reviewer, sheet, approve=True, note="已逐项核对评委评分、测评票数和日常考核得分")
    for row in result_actions.quota_ties(sheet):
        result_actions.decide_grade(chair, sheet, row.participant, "较好", "区委党建领导小组 2023 年第 1 次会议")
    result_actions.sign_results(chair, sheet, "区委常委会 2023 年第 2 次会议")
    result_actions.publish_results(organiser, sheet)


def wipe() -> None:
    """Remove the demo district, its campaigns, people and demo logins. The audit log stays (append-only)."""
    levels = _demo_unit_ids()
    ids = [pk for level in levels for pk in level]
    if not ids:
        return
    try:
        campaigns = Campaign.objects.filter(committee_id__in=ids)
        Report.objects.filter(participant__campaign__in=campaigns).delete()
        Commentary.objects.filter(participant__campaign__in=campaigns).delete()
        Meeting.objects.filter(campaign__in=campaigns).delete()
        LedgerEntry.objects.filter(unit_id__in=ids).delete()
        sheets = ResultSheet.objects.filter(campaign__in=campaigns)
        ResultRow.objects.filter(sheet__in=sheets).delete()
        GradeDecision.objects.filter(sheet__in=sheets).delete()
        sheets.delete()
        FollowUp.objects.filter(campaign__in=campaigns).delete()
        JudgeScore.objects.filter(participant__campaign__in=campaigns).delete()
        RoutineScore.objects.filter(participant__campaign__in=campaigns).delete()
        ScoringWindow.objects.filter(participant__campaign__in=campaigns).delete()
        JudgeSeat.objects.filter(campaign__in=campaigns).delete()
        Recusal.objects.filter(campaign__in=campaigns).delete()
        JudgeReminder.objects.filter(campaign__in=campaigns).delete()
        boxes = BallotBox.objects.filter(campaign__committee_id__in=ids)
        for model in (Ballot, BallotComment, BallotReceipt, EncryptedBallot, InvalidSheet, PaperEntry):
            model.objects.filter(box__in=boxes).delete()
        BallotToken.objects.filter(box__in=boxes).delete()
        BallotLine.objects.filter(box__in=boxes).delete()
        boxes.delete()
        Campaign.objects.filter(committee_id__in=ids).delete()
        # Demo logins are tied to demo people; a same-named account made by hand is left alone.
        User.objects.filter(username__in=[u for u, *_ in LOGINS] + [u for u, _ in MORE_JUDGES],
                            person__unit_id__in=ids).delete()
        Unit.objects.filter(pk__in=ids).update(secretary=None)
        Person.objects.filter(unit_id__in=ids).delete()
        for level in reversed(levels):  # leaves first: a unit's parent is PROTECTed
            Unit.objects.filter(pk__in=level).delete()
    except ProtectedError as e:
        blocking = "、".join(sorted({str(o) for o in e.protected_objects})[:5])
        raise ValidationError(
            f"无法清除示范数据：还有其他数据引用示范单位或人员（{blocking}……）。"
            "请改用一个新的数据目录，或 `shuping flush` 清空整个数据库后重新载入。"
        ) from e


@transaction.atomic
def load(reset: bool = False) -> DemoResult:
    """Load the demo district once; with reset, wipe it first. Returns the logins to print."""
    if reset:
        wipe()
    elif is_loaded():
        return DemoResult(created=False, logins=_logins(), notes=["示范数据已存在，未重复载入（如需重新载入请加 --reset）"])

    units: dict[str, Unit] = {}
    for i, (code, name, short, typ, cat, parent, *_rest) in enumerate(UNITS):
        units[code] = Unit.objects.create(
            code=code, name=name, short_name=short, type=typ, category=cat,
            parent=units[parent] if parent else None, sort_order=i,
        )
    people: dict[tuple[str, str], Person] = {}
    for i, (code, _n, _s, _t, _c, _p, secretary, gender, position) in enumerate(UNITS, start=1):
        person = Person.objects.create(name=secretary, unit=units[code], position=position, gender=gender,
                                       phone=_phone(i))
        people[(code, secretary)] = person
        units[code].secretary = person
        units[code].save(update_fields=["secretary"])
    for i, (code, name, gender, position) in enumerate(EXTRA_PEOPLE, start=101):
        people[(code, name)] = Person.objects.create(name=name, unit=units[code], position=position, gender=gender,
                                                     phone=_phone(i))

    notes: list[str] = []
    users: dict[str, User] = {}
    for username, roles, display, person_key, _note in LOGINS:
        if User.objects.filter(username=username).exists():
            notes.append(f"用户 {username} 已存在，未改动")
            continue
        user = User(username=username, display_name=display, person=people[person_key] if person_key else None)
        user.set_password(PASSWORD)  # the demo password skips the validators on purpose
        user.save()
        UserRole.objects.bulk_create([UserRole(user=user, role=r) for r in roles])
        users[username] = user
    for username, name in MORE_JUDGES:
        if User.objects.filter(username=username).exists():
            notes.append(f"用户 {username} 已存在，未改动")
            continue
        # 蒋红梅 leads a community under 城关街道: she is recused from scoring 城关街道 (回避) automatically.
        user = User(username=username, display_name=name, person=people[("QC", name)],
                    unit=units["QC01"] if username == "judge5" else None)
        user.set_password(PASSWORD)
        user.save()
        UserRole.objects.create(user=user, role=Role.JUDGE)
        users[username] = user

    # The campaigns are built through the same actions the organiser uses, so their history is real.
    root = units[ROOT_CODE]
    organiser = users.get("organiser") or User.objects.get(username="organiser")
    streets = [units[c] for c in ONSITE_CODES]
    bodies = [units[c] for c in WRITTEN_CODES]
    last_year = campaign_actions.create_campaign(
        organiser, year=2022, title="2022年度党（工）委书记抓基层党建工作述职评议考核", committee=root,
        meeting_date=date(2023, 1, 12),
    )
    campaign_actions.add_participants(organiser, last_year, streets, mode=ParticipantMode.ONSITE, draw_group=ONSITE_GROUP)
    campaign_actions.add_participants(organiser, last_year, bodies, mode=ParticipantMode.WRITTEN)
    campaign_actions.transition(organiser, last_year, CampaignState.PUBLISHED)
    reviewer = users.get("organiser2") or User.objects.get(username="organiser2")
    chair = users.get("chair") or User.objects.get(username="chair")
    tokens = _box_2022(organiser, last_year)
    meeting_day = date(2023, 1, 12)
    meeting_2022 = demo_story.run_meeting_2022(organiser, chair, last_year, meeting_day)
    demo_story.open_vote_2022(organiser, meeting_2022, meeting_day)
    _vote_2022(last_year, tokens)
    demo_story.close_vote_2022(organiser, meeting_2022, meeting_day)
    ledger_2022 = demo_story.end_meeting_2022(organiser, meeting_2022, meeting_day)
    panel = [users[u] for u in ("judge", *(u for u, _ in MORE_JUDGES)) if u in users]
    last_year.refresh_from_db()
    _judge_2022(organiser, last_year, panel)
    campaign_actions.transition(organiser, last_year, CampaignState.TALLYING)
    last_year.refresh_from_db()
    _routine_2022(organiser, last_year)
    _results_2022(organiser, reviewer, chair, last_year)
    campaign_actions.transition(organiser, last_year, CampaignState.ARCHIVED)
    this_year = campaign_actions.copy_campaign(organiser, last_year)
    meeting = date(2024, 1, 18)
    campaign_actions.update_campaign(
        organiser, this_year, title=this_year.title, meeting_date=meeting,
        report_deadline=meeting - timedelta(days=this_year.scheme["report_days_before_meeting"]),
    )
    # 2023: the streets' speaking order drawn by lot (replayable from the fixed seed).
    lot = campaign_actions.draw_lots(organiser, this_year, ONSITE_GROUP, len(ONSITE_CODES), seed=LOT_SEED)
    drawn = list(lot.drawn)
    campaign_actions.transition(organiser, this_year, CampaignState.PUBLISHED)
    # 2023: the ballot box is set up and its tokens issued, ready to print and open at the meeting.
    box = ballot_setup.create_box(organiser, this_year)
    ballot_setup.issue_tokens(organiser, box, dict(enumerate(TOKENS_PER_GROUP)))
    judging.set_panel(organiser, this_year, panel)  # the same five judges score the 2023 meeting
    demo_story.plan_meeting_2023(organiser, this_year)

    # The reporter is the secretary of the first unit to speak; the owner is a colleague there.
    first = units[drawn[0]]
    if "reporter" in users:
        rep = users["reporter"]
        rep.unit, rep.person, rep.display_name = first, first.secretary, first.secretary.name if first.secretary else ""
        rep.save(update_fields=["unit", "person", "display_name"])
    if "owner" in users:
        colleague = Person.objects.create(name="高明辉", unit=first, position="组织委员", gender="男", phone=_phone(200))
        own = users["owner"]
        own.unit, own.person, own.display_name = first, colleague, colleague.name
        own.save(update_fields=["unit", "person", "display_name"])
        demo_story.work_the_ledger(organiser, reviewer, own, ledger_2022)
    if "reporter" in users:
        demo_story.draft_report_2023(users["reporter"], this_year)

    record("cli", "demo.load", root, f"载入示范数据：{root.short_name}，{len(units)} 个单位，2 个年度考核方案",
           {"units": len(units), "campaigns": [2022, 2023], "reset": reset, "lot_seed": LOT_SEED,
            "speaking_order": drawn, "users": sorted(users)})
    return DemoResult(created=True, logins=_logins(), notes=notes)


def _logins() -> list[DemoLogin]:
    found = {u.username: u for u in User.objects.filter(username__in=[u for u, *_ in LOGINS]).select_related("unit")}
    rows = []
    for username, _roles, _display, _person, note in LOGINS:
        user = found.get(username)
        if user is None:
            continue
        name = user.display_name + (f"（{user.unit.short_name or user.unit.name}）" if user.unit else "")
        rows.append(DemoLogin(username, "、".join(user.role_labels()), name, note))
    return rows


def counts() -> dict[str, Any]:
    ids = [pk for level in _demo_unit_ids() for pk in level]
    return {
        "units": len(ids),
        "people": Person.objects.filter(unit_id__in=ids).count(),
        "campaigns": Campaign.objects.filter(committee_id__in=ids).count(),
    }
