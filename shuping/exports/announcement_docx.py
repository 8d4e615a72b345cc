"""通报 and 反馈意见书 (.docx), in the official layout of shuping.meetings.docs (GB/T 9704 fonts and margins).

- `announcement(sheet)`: the results announcement — 文号 placeholder, title, 主送, a body listing the units by
  grade band 好 / 较好 / 一般 / 差 (roster order within a band, 排名不分先后), the follow-up requirement, the
  issuing body and the date of publication. From a published result only.
- `feedback(sheet, unit_id)`: one 反馈意见书 per reporter, one page each, in one document: their result with
  its components, the chair's 点评 (shuping.meetings Commentary), the problems of this campaign assigned to
  their unit in the ledger with deadlines, and what to do next. `unit_id` keeps one unit only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.utils import timezone
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from shuping.campaigns.models import Participant
from shuping.campaigns.scheme import COMPONENTS
from shuping.core.numerals import chinese_number
from shuping.meetings import docs
from shuping.meetings.models import Commentary
from shuping.rectification.models import LedgerEntry
from shuping.results import maths
from shuping.results.models import ResultSheet

BANDS = maths.GRADES  # 好, 较好, 一般, 差
Progress = Callable[[int, str], None]


def _cn_date(d: date | None) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if d else "＿＿年＿＿月＿＿日"


def _published_on(sheet: ResultSheet) -> date | None:
    return timezone.localdate(sheet.published_at) if sheet.published_at else None


def _participants(sheet: ResultSheet, unit_id: int | None = None) -> dict[str, Participant]:
    qs = Participant.objects.filter(campaign_id=sheet.campaign_id).select_related("unit", "secretary")
    if unit_id is not None:
        qs = qs.filter(unit_id=unit_id)
    return {str(p.pk): p for p in qs}


def _who(p: Participant) -> str:
    return f"{p.unit.name}（{p.secretary.name}）" if p.secretary_id else p.unit.name


def _signature(doc, issuer: str, day: date | None) -> None:  # type: ignore[no-untyped-def]
    doc.add_paragraph()
    for text in (issuer, _cn_date(day)):
        p = docs.para(doc, text, indent=False)
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        p.paragraph_format.right_indent = Pt(docs.BODY_PT * 2)


def bands(sheet: ResultSheet) -> dict[str, list[Participant]]:
    """Participants by final grade, in roster order; 未评定 last when anyone has no score."""
    people = _participants(sheet)
    out: dict[str, list[Participant]] = {g: [] for g in BANDS}
    for r in sheet.outputs.get("rows", []):
        p = people.get(r["key"])
        if p is not None:
            out.setdefault(r["grade"], []).append(p)
    for group in out.values():
        group.sort(key=lambda p: (p.unit.sort_order, p.unit.code))
    return out


def announcement(sheet: ResultSheet, progress: Progress | None = None) -> bytes:
    c = sheet.campaign
    issuer = c.committee.name
    by_band = bands(sheet)
    n = sum(len(v) for v in by_band.values())
    doc = docs.new_document()
    number = docs.para(doc, f"＿＿〔{c.year}〕＿＿号", indent=False)
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    docs.title(doc, f"关于{c.title}考核结果的通报")
    docs.para(doc, "各有关单位党组织：", indent=False)
    meeting = f"于{_cn_date(c.meeting_date)}召开述职评议会，" if c.meeting_date else ""
    signed = f"，经{sheet.sign_reference}审定" if sheet.sign_reference else "，经审定"
    docs.para(doc, f"根据{c.title}工作安排，{issuer}{meeting}对{n}名基层党组织书记抓基层党建工作情况进行了述职"
                   f"评议考核。按照现场（书面）评分、民主测评、日常考核和整改成效综合评定{signed}，"
                   "现将考核结果通报如下（同一等次内排名不分先后）：")
    for i, band in enumerate((*BANDS, *(b for b in by_band if b not in BANDS)), start=1):
        people = by_band.get(band, [])
        docs.heading(doc, f"{chinese_number(i)}、“{band}”等次（{len(people)}名）")
        docs.para(doc, "、".join(_who(p) for p in people) + "。" if people else "无。")
    if progress:
        progress(60, "通报正文")
    docs.para(doc, "希望评为“好”等次的同志珍惜荣誉、再接再厉，继续发挥示范带动作用；评为“较好”等次的同志要对标先进、"
                   "补齐短板；评为“一般”“差”等次的同志要深刻反思、查找原因，按照要求接受约谈、限期整改，整改情况报"
                   f"{issuer}组织部。各单位要对照述职评议中点评指出的问题，逐项建立整改台账，明确整改措施、责任人和时限，"
                   "确保问题整改到位。")
    _signature(doc, issuer, _published_on(sheet))
    return docs.to_bytes(doc)


def _component_rows(row: dict[str, object]) -> list[list[str]]:
    comps = row["components"]
    assert isinstance(comps, dict)
    out = []
    for name, label in COMPONENTS.items():
        comp = comps[name]
        value = comp["display"] or "—（无数据，不计入）"
        used = comp["used_weight"]
        weight = f"{maths.pct(maths.exact(used))}" if used else "—"  # type: ignore[arg-type]
        out.append([label, value, weight])
    return out


def feedback(sheet: ResultSheet, unit_id: int | None = None, progress: Progress | None = None) -> bytes:
    c = sheet.campaign
    issuer = c.committee.name
    people = _participants(sheet, unit_id)
    rows = [r for r in sheet.outputs.get("rows", []) if r["key"] in people]
    rows.sort(key=lambda r: (people[r["key"]].unit.sort_order, people[r["key"]].unit.code))
    comments = {str(cm.participant_id): cm.text for cm in Commentary.objects.filter(participant_id__in=[
        int(k) for k in people])}
    entries: dict[int, list[LedgerEntry]] = {}
    for e in LedgerEntry.objects.filter(campaign=c, unit_id__in={p.unit_id for p in people.values()}).order_by(
            "deadline", "created_at", "pk"):
        entries.setdefault(e.unit_id, []).append(e)
    n_all = sheet.outputs.get("n", len(rows))
    doc = docs.new_document()
    for i, r in enumerate(rows):
        p = people[r["key"]]
        if i:
            doc.add_page_break()
        docs.title(doc, f"{c.title}反馈意见书")
        docs.para(doc, f"{p.unit.name}" + (f"{p.secretary.name}同志：" if p.secretary_id else "："), indent=False)
        docs.para(doc, f"根据{c.title}结果，现将你的述职评议考核情况和意见反馈如下。")
        docs.heading(doc, "一、考核结果")
        composite = r["composite_display"] or "—"
        docs.para(doc, f"综合得分 {composite}，在 {n_all} 名述职对象中列第 {r['rank']} 名，考核等次为“{r['grade']}”。")
        docs.table(doc, ["组成部分", "得分", "采用权重"],
                   [*_component_rows(r), ["综合得分", composite, "100%"]])
        notes = [maths.FLAG_LABELS.get(f, f) for f in r["flags"] if f in ("veto", "quota_demoted", "committee_decision")]
        if notes:
            docs.para(doc, "说明：" + "；".join(notes) + "。")
        docs.heading(doc, "二、点评意见")
        text = (comments.get(r["key"]) or "").strip()
        lines = [ln.strip() for ln in text.split("\n") if ln.strip()] or ["（述职评议会上无点评记录。）"]
        for ln in lines:
            docs.para(doc, ln)
        docs.heading(doc, "三、需要整改的问题")
        mine = entries.get(p.unit_id, [])
        if mine:
            docs.table(doc, ["序号", "问题", "类别", "整改时限", "状态"],
                       [[str(k), e.problem, e.get_category_display(), _cn_date(e.deadline) if e.deadline else "未定",
                         e.get_state_display()] for k, e in enumerate(mine, start=1)], size=11)
        else:
            docs.para(doc, "本次考核暂无列入整改台账的问题。")
        docs.heading(doc, "四、有关要求")
        docs.para(doc, "请对照考核结果和点评意见，认真查摆问题、深入分析原因，逐项明确整改措施、责任人和时限，"
                       "按期报送整改进展，整改完成后申请销号；整改情况作为下一年度述职的重要内容。")
        _signature(doc, issuer, _published_on(sheet))
        if progress and rows:
            progress(10 + 85 * (i + 1) // len(rows), f"反馈意见书 {i + 1}/{len(rows)}")
    return docs.to_bytes(doc)
