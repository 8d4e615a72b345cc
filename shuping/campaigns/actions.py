"""Campaign actions: create and edit campaigns, their scheme, participants, lot draws, copies and states.

Pages, the JSON API and management commands all call these. Each one authorises through
`shuping.accounts.access`, runs in one transaction and appends an audit event.
"""

from __future__ import annotations

import copy
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from shuping.accounts.access import CAMPAIGN_EDITORS, check_roles
from shuping.accounts.models import User
from shuping.audit.log import record
from shuping.campaigns import lots
from shuping.campaigns.models import (
    BACKWARD,
    TRANSITIONS,
    Campaign,
    CampaignState,
    LotDraw,
    Participant,
    ParticipantMode,
)
from shuping.campaigns.scheme import DEFAULT_SCHEME, default_scheme, validate_scheme
from shuping.orgs.models import Person, Unit

# States in which the participant list may still change ("before 会议中").
PARTICIPANTS_OPEN = (CampaignState.DRAFT, CampaignState.PUBLISHED)
INT_FIELDS = ("min_group_size_shown", "trim_k", "trim_min_judges", "report_days_before_meeting",
              "speaking_minutes", "progress_report_months")


def _label(state: str) -> str:
    return str(CampaignState(state).label)


def _check_writer(actor: User) -> None:
    check_roles(actor, *CAMPAIGN_EDITORS)


def _lock(campaign: Campaign) -> Campaign:
    """Re-read the campaign under a row lock so concurrent edits queue up behind each other."""
    return Campaign.objects.select_for_update().select_related("committee").get(pk=campaign.pk)


def _check_participants_open(campaign: Campaign) -> None:
    if campaign.state not in PARTICIPANTS_OPEN:
        raise ValidationError(f"考核方案处于“{_label(campaign.state)}”状态，述职对象已不能修改（只能在会议开始前修改）")


def default_deadline(meeting_date: date | None, scheme: dict[str, Any]) -> date | None:
    if meeting_date is None:
        return None
    return meeting_date - timedelta(days=int(scheme.get("report_days_before_meeting", 10)))


def normalise_scheme(scheme: dict[str, Any]) -> dict[str, Any]:
    """A validated scheme in its stored shape: integers as int, every other number as a trimmed string."""
    s = {k: scheme[k] for k in DEFAULT_SCHEME}
    for k in INT_FIELDS:
        s[k] = int(str(s[k]).strip())

    def dec(v: Any) -> str:
        return str(Decimal(str(v).strip()))

    s["ballot_grades"] = [{"label": str(g["label"]).strip(), "points": dec(g["points"])} for g in s["ballot_grades"]]
    s["ballot_items"] = [str(n).strip() for n in s["ballot_items"]]
    s["voter_groups"] = [{"name": str(g["name"]).strip(), "weight": dec(g["weight"])} for g in s["voter_groups"]]
    s["judge_indicators"] = [{"name": str(i["name"]).strip(), "max_points": dec(i["max_points"])}
                             for i in s["judge_indicators"]]
    s["component_weights"] = {k: dec(v) for k, v in s["component_weights"].items()}
    s["grade_thresholds"] = {k: dec(v) for k, v in s["grade_thresholds"].items()}
    s["quota_good_percent"] = dec(s["quota_good_percent"])
    s["veto_bad_share"] = str(s["veto_bad_share"]).strip()
    s["tie_breaks"] = list(s["tie_breaks"])
    return s


def check_scheme(scheme: Any) -> dict[str, Any]:
    """The scheme in stored shape, or ValidationError with every message from validate_scheme."""
    if not isinstance(scheme, dict):
        raise ValidationError("考核规则格式不正确")
    try:
        errors = validate_scheme(scheme)
    except (AttributeError, KeyError, TypeError) as e:  # wrong shapes from the API (a list where a dict belongs …)
        raise ValidationError(f"考核规则格式不正确：{e}") from None
    if errors:
        raise ValidationError(errors)
    return normalise_scheme(scheme)


# ---------------------------------------------------------------- campaigns


@transaction.atomic
def create_campaign(
    actor: User,
    *,
    year: int,
    title: str,
    committee: Unit,
    meeting_date: date | None = None,
    report_deadline: date | None = None,
) -> Campaign:
    _check_writer(actor)
    title = title.strip()
    if not title:
        raise ValidationError("名称不能为空")
    if not 2000 <= year <= 2100:
        raise ValidationError(f"年度应在 2000 到 2100 之间，当前为 {year}")
    if Campaign.objects.filter(committee=committee, year=year).exists():
        raise ValidationError(f"{committee.name}的 {year} 年度考核方案已存在")
    scheme = default_scheme()
    campaign = Campaign.objects.create(
        year=year, title=title, committee=committee, scheme=scheme, meeting_date=meeting_date,
        report_deadline=report_deadline or default_deadline(meeting_date, scheme),
    )
    _check_dates(campaign)
    record(actor, "campaign.create", campaign, f"创建考核方案“{title}”",
           {"year": year, "committee": committee.code, "meeting_date": _iso(meeting_date),
            "report_deadline": _iso(campaign.report_deadline)})
    return campaign


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _check_dates(c: Campaign) -> None:
    if c.meeting_date and c.report_deadline and c.report_deadline > c.meeting_date:
        raise ValidationError("述职报告截止日期不能晚于述职评议会日期")


@transaction.atomic
def update_campaign(
    actor: User,
    campaign: Campaign,
    *,
    title: str,
    meeting_date: date | None,
    report_deadline: date | None,
    year: int | None = None,
) -> Campaign:
    """Basic fields. The year only while in draft; dates until the meeting starts."""
    _check_writer(actor)
    c = _lock(campaign)
    if c.state == CampaignState.ARCHIVED:
        raise ValidationError("考核方案已归档，不能修改")
    before = {"title": c.title, "year": c.year, "meeting_date": _iso(c.meeting_date),
              "report_deadline": _iso(c.report_deadline)}
    title = title.strip()
    if not title:
        raise ValidationError("名称不能为空")
    if year is not None and year != c.year:
        if c.state != CampaignState.DRAFT:
            raise ValidationError("考核方案已发布，年度不能修改")
        if not 2000 <= year <= 2100:
            raise ValidationError(f"年度应在 2000 到 2100 之间，当前为 {year}")
        if Campaign.objects.filter(committee_id=c.committee_id, year=year).exclude(pk=c.pk).exists():
            raise ValidationError(f"{c.committee.name}的 {year} 年度考核方案已存在")
        c.year = year
    if (meeting_date != c.meeting_date or report_deadline != c.report_deadline) and c.state not in PARTICIPANTS_OPEN:
        raise ValidationError("会议已开始，述职评议会日期和述职报告截止日期不能再修改")
    c.title, c.meeting_date = title, meeting_date
    c.report_deadline = report_deadline or default_deadline(meeting_date, c.scheme)
    _check_dates(c)
    c.save()
    after = {"title": c.title, "year": c.year, "meeting_date": _iso(c.meeting_date),
             "report_deadline": _iso(c.report_deadline)}
    record(actor, "campaign.update", c, f"修改考核方案“{c.title}”的基本信息", {"before": before, "after": after})
    return c


@transaction.atomic
def update_scheme(actor: User, campaign: Campaign, scheme: Any) -> Campaign:
    _check_writer(actor)
    c = _lock(campaign)
    if c.scheme_frozen:
        raise ValidationError(f"考核方案处于“{_label(c.state)}”状态，考核规则已冻结，不能修改（只有草拟状态可以修改）")
    new = check_scheme(scheme)
    changed = sorted(k for k in new if new[k] != c.scheme.get(k))
    c.scheme = new
    c.save(update_fields=["scheme", "updated_at"])
    record(actor, "campaign.scheme", c, f"修改考核方案“{c.title}”的考核规则",
           {"changed": changed, "scheme": new})
    return c


def publish_problems(campaign: Campaign) -> list[str]:
    """Why this campaign cannot be published yet (empty when it can)."""
    problems = [f"考核规则：{m}" for m in validate_scheme(campaign.scheme)]
    parts = list(campaign.participants.select_related("unit", "secretary"))
    if not parts:
        problems.append("至少需要一个述职对象")
    for p in parts:
        if p.secretary_id is None:
            problems.append(f"述职对象“{p.unit.name}”没有述职人（书记）")
    if campaign.meeting_date is None:
        problems.append("请先填写述职评议会日期")
    return problems


def _check_result_sheet(c: Campaign, src: str, to_state: str) -> None:
    """Once results are computed, 已公布 follows the result sheet: it is published (and reopened) on the
    results page, never by moving the campaign alone."""
    sheet = getattr(c, "result_sheet", None)  # the reverse one-to-one raises AttributeError when absent
    if sheet is None:
        return
    if to_state == CampaignState.ANNOUNCED and sheet.state != "published":
        raise ValidationError("考核结果尚未公布：请在“考核结果”页完成审核、签批和公布")
    if src == CampaignState.ANNOUNCED and to_state == CampaignState.REVIEW and sheet.state == "published":
        raise ValidationError("考核结果已公布：如需更正，请在“考核结果”页说明理由后重新打开")


@transaction.atomic
def transition(actor: User, campaign: Campaign, to_state: str, reason: str = "") -> Campaign:
    _check_writer(actor)
    c = _lock(campaign)
    src = c.state
    if to_state not in CampaignState.values:
        raise ValidationError(f"未知状态“{to_state}”")
    if to_state not in TRANSITIONS[src]:
        allowed = "、".join(f"“{_label(s)}”" for s in TRANSITIONS[src]) or "无"
        raise ValidationError(
            f"不能从“{_label(src)}”变为“{_label(to_state)}”；当前状态下可变为：{allowed}")
    reason = reason.strip()
    backward = (src, to_state) in BACKWARD
    if backward and not reason:
        raise ValidationError(f"从“{_label(src)}”退回“{_label(to_state)}”必须填写理由")
    _check_result_sheet(c, src, to_state)
    if to_state == CampaignState.PUBLISHED:
        problems = publish_problems(c)
        if problems:
            raise ValidationError(["不能发布：" + problems[0], *problems[1:]])
    c.state = to_state
    c.save(update_fields=["state", "updated_at"])
    verb = "退回" if backward else "变更为"
    record(actor, "campaign.transition", c, f"考核方案“{c.title}”由“{_label(src)}”{verb}“{_label(to_state)}”"
           + (f"，理由：{reason}" if reason else ""),
           {"from": src, "to": to_state, "reason": reason, "backward": backward})
    return c


def _copy_title(title: str, old_year: int, new_year: int) -> str:
    if str(old_year) in title:
        return title.replace(str(old_year), str(new_year))
    return f"{new_year}年度{title}"


@transaction.atomic
def copy_campaign(actor: User, source: Campaign, *, title: str = "") -> Campaign:
    """Next year's campaign: same scheme and participants (with the units' current secretaries), in draft."""
    _check_writer(actor)
    year = source.year + 1
    if Campaign.objects.filter(committee_id=source.committee_id, year=year).exists():
        raise ValidationError(f"{source.committee.name}的 {year} 年度考核方案已存在，不能再复制")
    old = list(source.participants.select_related("unit__secretary").order_by("id"))
    inactive = [p.unit for p in old if not p.unit.active]
    old = [p for p in old if p.unit.active]
    missing = [p.unit.name for p in old if p.unit.secretary_id is None]
    if missing:
        raise ValidationError(f"以下单位当前没有书记，请先在组织架构中设置后再复制：{'、'.join(missing)}")
    new = Campaign.objects.create(
        year=year, title=title.strip() or _copy_title(source.title, source.year, year), committee=source.committee,
        scheme=copy.deepcopy(source.scheme), copied_from=source,
    )
    Participant.objects.bulk_create([
        Participant(campaign=new, unit=p.unit, secretary_id=cast(int, p.unit.secretary_id), mode=p.mode,
                    speaking_order=p.speaking_order, draw_group=p.draw_group)
        for p in old
    ])
    _renumber(new)
    changed = [p.unit.code for p in old if p.secretary_id != p.unit.secretary_id]
    record(actor, "campaign.copy", new, f"由“{source.title}”复制为“{new.title}”",
           {"source": source.pk, "year": year, "participants": len(old),
            "secretary_changed": changed, "skipped_inactive": [u.code for u in inactive]})
    return new


# ---------------------------------------------------------------- participants


def _renumber(campaign: Campaign, onsite_order: list[int] | None = None) -> None:
    """Keep on-site speaking order 1..n contiguous; written reporters have none.

    `onsite_order` (participant ids) puts those first, in that order; the rest keep theirs."""
    parts = list(Participant.objects.filter(campaign=campaign).select_related("unit"))
    onsite = [p for p in parts if p.mode == ParticipantMode.ONSITE]
    onsite.sort(key=lambda p: (p.speaking_order is None, p.speaking_order or 0, p.unit.sort_order, p.unit.code))
    if onsite_order is not None:
        rank = {pid: i for i, pid in enumerate(onsite_order)}
        onsite.sort(key=lambda p: rank.get(p.pk, len(rank)))
    changed = []
    for i, p in enumerate(onsite, 1):
        if p.speaking_order != i:
            p.speaking_order = i
            changed.append(p)
    for p in parts:
        if p.mode == ParticipantMode.WRITTEN and p.speaking_order is not None:
            p.speaking_order = None
            changed.append(p)
    if changed:
        Participant.objects.bulk_update(changed, ["speaking_order"])


def _secretary_for(unit: Unit, secretary: Person | None) -> Person:
    if secretary is None:
        if unit.secretary_id is None:
            raise ValidationError(f"单位“{unit.name}”没有书记，请先在组织架构中设置书记，或指定述职人")
        return unit.secretary  # type: ignore[return-value]
    if secretary.unit_id != unit.pk:
        raise ValidationError(f"述职人“{secretary.name}”不是“{unit.name}”的人员")
    return secretary


def _check_mode(mode: str) -> None:
    if mode not in ParticipantMode.values:
        raise ValidationError(f"未知述职方式“{mode}”，应为 现场述职 或 书面述职")


@transaction.atomic
def add_participant(
    actor: User,
    campaign: Campaign,
    unit: Unit,
    *,
    secretary: Person | None = None,
    mode: str = ParticipantMode.ONSITE,
    speaking_order: int | None = None,
    draw_group: str = "",
) -> Participant:
    _check_writer(actor)
    c = _lock(campaign)
    _check_participants_open(c)
    _check_mode(mode)
    if c.participants.filter(unit=unit).exists():
        raise ValidationError(f"“{unit.name}”已是本考核方案的述职对象")
    person = _secretary_for(unit, secretary)
    p = Participant.objects.create(campaign=c, unit=unit, secretary=person, mode=mode, draw_group=draw_group.strip())
    if mode == ParticipantMode.ONSITE:
        _place(c, p, speaking_order)
    record(actor, "participant.add", c, f"添加述职对象“{unit.name}”（{person.name}，{p.get_mode_display()}）",
           {"participant": p.pk, "unit": unit.code, "secretary": person.pk, "mode": mode, "draw_group": p.draw_group})
    return p


def _place(c: Campaign, p: Participant, position: int | None) -> None:
    """Put an on-site participant at `position` (1-based; None → last) and renumber the rest."""
    ids = list(c.participants.filter(mode=ParticipantMode.ONSITE).exclude(pk=p.pk)
               .order_by("speaking_order", "unit__sort_order", "unit__code").values_list("pk", flat=True))
    if position is None or position > len(ids):
        ids.append(p.pk)
    else:
        if position < 1:
            raise ValidationError("述职顺序应从 1 开始")
        ids.insert(position - 1, p.pk)
    _renumber(c, ids)


@transaction.atomic
def add_participants(
    actor: User, campaign: Campaign, units: list[Unit], *, mode: str = ParticipantMode.ONSITE, draw_group: str = ""
) -> list[Participant]:
    """Several units at once (e.g. all 街道), each with its current secretary. All or nothing;
    units already in the campaign are left as they are."""
    _check_writer(actor)
    c = _lock(campaign)
    _check_participants_open(c)
    _check_mode(mode)
    present = set(c.participants.values_list("unit_id", flat=True))
    todo = [u for u in units if u.pk not in present and u.pk != c.committee_id]
    missing = [u.name for u in todo if u.secretary_id is None]
    if missing:
        raise ValidationError(f"以下单位没有书记，请先在组织架构中设置书记：{'、'.join(missing)}")
    if not todo:
        raise ValidationError("所选单位都已是述职对象，没有可添加的单位")
    start = (c.participants.filter(mode=ParticipantMode.ONSITE).aggregate(m=Max("speaking_order"))["m"] or 0)
    created = Participant.objects.bulk_create([
        Participant(campaign=c, unit=u, secretary_id=cast(int, u.secretary_id), mode=mode, draw_group=draw_group.strip(),
                    speaking_order=(start + i if mode == ParticipantMode.ONSITE else None))
        for i, u in enumerate(todo, 1)
    ])
    _renumber(c)
    record(actor, "participant.add", c, f"批量添加述职对象 {len(created)} 个（{ParticipantMode(mode).label}）",
           {"units": [u.code for u in todo], "mode": mode, "draw_group": draw_group.strip()})
    return created


@transaction.atomic
def update_participant(
    actor: User,
    participant: Participant,
    *,
    secretary: Person | None = None,
    mode: str | None = None,
    speaking_order: int | None = None,
    draw_group: str | None = None,
) -> Participant:
    _check_writer(actor)
    c = _lock(participant.campaign)
    _check_participants_open(c)
    p = Participant.objects.select_related("unit", "secretary").get(pk=participant.pk)
    before = {"secretary": p.secretary_id, "mode": p.mode, "speaking_order": p.speaking_order, "draw_group": p.draw_group}
    if secretary is not None:
        p.secretary = _secretary_for(p.unit, secretary)
    if mode is not None:
        _check_mode(mode)
        p.mode = mode
    if draw_group is not None:
        p.draw_group = draw_group.strip()
    if p.mode == ParticipantMode.WRITTEN:
        p.speaking_order = None
    p.save()
    if p.mode == ParticipantMode.ONSITE and (speaking_order is not None or before["mode"] != p.mode):
        _place(c, p, speaking_order)
    else:
        _renumber(c)
    p.refresh_from_db()
    after = {"secretary": p.secretary_id, "mode": p.mode, "speaking_order": p.speaking_order, "draw_group": p.draw_group}
    record(actor, "participant.update", c, f"修改述职对象“{p.unit.name}”",
           {"participant": p.pk, "unit": p.unit.code, "before": before, "after": after})
    return p


@transaction.atomic
def remove_participant(actor: User, participant: Participant) -> None:
    _check_writer(actor)
    c = _lock(participant.campaign)
    _check_participants_open(c)
    unit = participant.unit
    data = {"participant": participant.pk, "unit": unit.code, "secretary": participant.secretary_id,
            "mode": participant.mode}
    participant.delete()
    _renumber(c)
    record(actor, "participant.remove", c, f"移除述职对象“{unit.name}”", data)


@transaction.atomic
def move_participant(actor: User, participant: Participant, direction: str) -> None:
    """One place earlier ("up") or later ("down") in the on-site speaking order."""
    _check_writer(actor)
    c = _lock(participant.campaign)
    _check_participants_open(c)
    if participant.mode != ParticipantMode.ONSITE:
        raise ValidationError("书面述职对象没有述职顺序")
    if direction not in ("up", "down"):
        raise ValidationError("移动方向应为 up 或 down")
    ids = list(c.participants.filter(mode=ParticipantMode.ONSITE).order_by("speaking_order")
               .values_list("pk", flat=True))
    i = ids.index(participant.pk)
    j = i - 1 if direction == "up" else i + 1
    if not 0 <= j < len(ids):
        return  # already first/last: nothing to do
    ids[i], ids[j] = ids[j], ids[i]
    _renumber(c, ids)
    record(actor, "participant.order", c, f"调整“{participant.unit.name}”的述职顺序为第 {j + 1} 位",
           {"participant": participant.pk, "unit": participant.unit.code, "from": i + 1, "to": j + 1})


@transaction.atomic
def set_speaking_order(actor: User, campaign: Campaign, participant_ids: list[int]) -> None:
    """The full on-site order at once: every on-site participant exactly once."""
    _check_writer(actor)
    c = _lock(campaign)
    _check_participants_open(c)
    onsite = dict(c.participants.filter(mode=ParticipantMode.ONSITE).values_list("pk", "unit__code"))
    if len(participant_ids) != len(set(participant_ids)) or set(participant_ids) != set(onsite):
        raise ValidationError("述职顺序应包括全部现场述职对象，且每个只出现一次")
    _renumber(c, participant_ids)
    record(actor, "participant.order", c, f"重新排定现场述职顺序（{len(participant_ids)} 个）",
           {"order": [onsite[pid] for pid in participant_ids]})


# ---------------------------------------------------------------- drawing by lot


def draw_groups(campaign: Campaign) -> list[tuple[str, int]]:
    """(group, number of participants) for every non-empty draw group."""
    counts: dict[str, int] = {}
    for g in campaign.participants.exclude(draw_group="").values_list("draw_group", flat=True):
        counts[g] = counts.get(g, 0) + 1
    return sorted(counts.items())


@transaction.atomic
def draw_lots(actor: User, campaign: Campaign, group: str, count: int, *, seed: str | None = None) -> LotDraw:
    """Pick `count` of the group to report on site, in drawn order; the rest of the group report in writing.

    The drawn ones follow the on-site reporters outside the group. The seed is stored so anyone can replay it."""
    _check_writer(actor)
    c = _lock(campaign)
    _check_participants_open(c)
    group = group.strip()
    members = {p.unit.code: p for p in c.participants.filter(draw_group=group).select_related("unit")} if group else {}
    if not members:
        raise ValidationError(f"抽签分组“{group}”中没有述职对象")
    if not 1 <= count <= len(members):
        raise ValidationError(f"抽取人数应在 1 到 {len(members)} 之间（分组“{group}”共 {len(members)} 个述职对象）")
    seed = seed or lots.new_seed()
    candidates = sorted(members)
    drawn = lots.draw(candidates, count, seed)
    for code, p in members.items():
        p.mode = ParticipantMode.ONSITE if code in drawn else ParticipantMode.WRITTEN
        p.speaking_order = None
    Participant.objects.bulk_update(members.values(), ["mode", "speaking_order"])
    others = list(c.participants.filter(mode=ParticipantMode.ONSITE).exclude(draw_group=group)
                  .order_by("speaking_order", "unit__sort_order", "unit__code").values_list("pk", flat=True))
    _renumber(c, others + [members[code].pk for code in drawn])
    lot = LotDraw.objects.create(campaign=c, group=group, seed=seed, candidates=candidates, count=count,
                                 drawn=drawn, drawn_by=actor)
    record(actor, "lot.draw", c, f"在“{group}”中抽签，{len(candidates)} 个中抽取 {count} 个现场述职："
           + "、".join(members[code].unit.name for code in drawn),
           {"lot_draw": lot.pk, "group": group, "seed": seed, "candidates": candidates, "count": count, "drawn": drawn})
    return lot


def replay(lot: LotDraw) -> tuple[bool, list[str]]:
    """Recompute a draw from its seed and candidates: (matches the stored result?, recomputed result)."""
    again = lots.draw(list(lot.candidates), lot.count, lot.seed)
    return again == list(lot.drawn), again

