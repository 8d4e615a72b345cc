"""讲话与点评 actions: texts to read (pasted, uploaded, taken from a 点评 or a report's 存在问题) and the
confirmation of their reviewed problems into the 整改台账.

Pages call these. Who may do what (shuping.accounts.access):
- SPEECH_EDITORS (organiser, chair) add texts, read them and review their problems;
- confirming into the ledger goes through `rectification.actions.create_entry`, which only LEDGER_MANAGERS
  (组织部) may call: a chair reviews, the organiser confirms (refused with a clear message otherwise).
A text is read by `reading.read` (pure; offsets are character offsets into `SpeechText.text`). Confirmation turns
each kept problem into one LedgerEntry (source 点评 for speeches and 点评, 自查 for a report's own problems) with
`source_ref` "讲话《标题》第 a–b 字" and `source_link` "/speeches/<id>/#s-a-b" (a, b 1-based, inclusive), which the
review page highlights. It happens once: the text's `confirmed_at` is set, a second confirm is refused.
Before that, SPEECH_EDITORS correct the reading (`correct`, `undo_correction`): a part boundary moved, items
joined, split or dropped; the corrections are kept on the text and the page shows `reading.read(text,
corrections)`. Every change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from shuping.accounts.access import LEDGER_MANAGERS, SPEECH_EDITORS, check_roles, visible_campaigns
from shuping.accounts.models import User
from shuping.audit.log import record
from shuping.campaigns.models import Campaign, Participant
from shuping.meetings.models import Commentary
from shuping.orgs.models import Unit
from shuping.rectification import actions as ledger
from shuping.rectification.categories import LABELS
from shuping.rectification.models import LedgerEntry, Source
from shuping.reports.models import Report
from shuping.speeches import reading
from shuping.speeches.models import SpeechText, TextKind

MAX_UPLOAD = 2 * 1024 * 1024  # bytes
MAX_CHARS = 200_000
UPLOAD_TYPES = (".txt", ".docx")
ALREADY = "已转入整改台账"
# How the source is named in the ledger's 来源说明.
KIND_WORD = {TextKind.SPEECH: "讲话", TextKind.COMMENTARY: "点评", TextKind.REPORT: "述职报告"}


# ---------------------------------------------------------------- who sees what


def visible_texts(user: User) -> QuerySet[SpeechText]:
    check_roles(user, *SPEECH_EDITORS)
    return SpeechText.objects.select_related("campaign", "unit", "created_by").filter(
        Q(campaign__isnull=True) | Q(campaign__in=visible_campaigns(user)))


def get_text(user: User, pk: int, *, lock: bool = False) -> SpeechText:
    qs = visible_texts(user)
    if lock:
        qs = qs.select_for_update(of=("self",))
    try:
        return qs.get(pk=pk)
    except (SpeechText.DoesNotExist, ValueError):
        raise Http404("文本不存在或无权查看") from None


def unit_choices(st: SpeechText) -> list[Unit]:
    """Units a problem of this text may be assigned to: the campaign's participants' units (and the text's own
    unit), or every unit when the text belongs to no campaign."""
    if st.campaign_id is None:
        return list(Unit.objects.order_by("sort_order", "code"))
    units = [p.unit for p in Participant.objects.filter(campaign_id=st.campaign_id).select_related("unit")
             .order_by("unit__sort_order", "unit__code")]
    if st.unit_id and all(u.pk != st.unit_id for u in units):
        units.insert(0, st.unit)  # type: ignore[arg-type]
    return units


# ---------------------------------------------------------------- adding texts


def decode_upload(upload: UploadedFile) -> str:
    """The uploaded .txt/.docx as text (UTF-8 or GBK), or ValidationError. Nothing is stored."""
    name = upload.name or ""
    if not name.lower().endswith(UPLOAD_TYPES):
        raise ValidationError(f"文件“{name}”不是 .txt 或 .docx 文件")
    if (upload.size or 0) > MAX_UPLOAD:
        raise ValidationError(f"文件“{name}”超过 2 MB（{(upload.size or 0) / 1024 / 1024:.1f} MB），请删去无关内容后再上传")
    data = upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise ValidationError(f"文件“{name}”超过 2 MB，请删去无关内容后再上传")
    try:
        return reading.decode(data, name)
    except ValueError as e:
        raise ValidationError(str(e)) from None


def _check_campaign_unit(user: User, campaign: Campaign | None, unit: Unit | None) -> None:
    if campaign is not None and not visible_campaigns(user).filter(pk=campaign.pk).exists():
        raise Http404("考核方案不存在或无权查看")
    if campaign is not None and unit is not None and not Participant.objects.filter(
            campaign=campaign, unit=unit).exists():
        raise ValidationError(f"{unit.name}不是“{campaign.title}”的述职对象")


@transaction.atomic
def create_text(actor: User, *, kind: str, title: str, text: str, campaign: Campaign | None = None,
                unit: Unit | None = None, source_name: str = "") -> SpeechText:
    check_roles(actor, *SPEECH_EDITORS)
    errors: list[str] = []
    if kind not in TextKind.values:
        errors.append("请选择文本类型（讲话、点评或述职报告存在问题）")
    title = " ".join(str(title or "").split())
    if not title:
        errors.append("请填写标题")
    elif len(title) > 200:
        errors.append(f"标题不能超过 200 字（当前 {len(title)} 字）")
    text = str(text or "").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        errors.append("请粘贴正文或上传 .txt / .docx 文件")
    elif len(text) > MAX_CHARS:
        errors.append(f"正文不能超过 {MAX_CHARS} 字（当前 {len(text)} 字）")
    if kind in (TextKind.COMMENTARY, TextKind.REPORT) and unit is None:
        errors.append("点评和述职报告须选择所属单位")
    if errors:
        raise ValidationError(errors)
    _check_campaign_unit(actor, campaign, unit)
    st = SpeechText.objects.create(kind=kind, title=title, text=text, campaign=campaign, unit=unit,
                                   source_name=source_name[:200], created_by=actor)
    record(actor, "speech.create", st, f"新建{st.get_kind_display()}文本《{title}》（{len(text)} 字"
           f"{'，来自 ' + source_name if source_name else ''}）",
           {"kind": kind, "campaign": campaign.pk if campaign else None, "unit": unit.code if unit else None,
            "chars": len(text), "source_name": source_name})
    return st


def _participant(user: User, pk: int) -> Participant:
    try:
        return Participant.objects.select_related("campaign", "unit", "secretary").get(
            pk=pk, campaign__in=visible_campaigns(user))
    except (Participant.DoesNotExist, ValueError, TypeError):
        raise Http404("述职对象不存在或无权查看") from None


def commentary_sources(user: User) -> list[Participant]:
    """Participants of visible campaigns whose 点评 has text."""
    check_roles(user, *SPEECH_EDITORS)
    ids = Commentary.objects.exclude(text="").values("participant_id")
    return list(Participant.objects.filter(pk__in=ids, campaign__in=visible_campaigns(user))
                .select_related("campaign", "unit", "secretary").order_by("-campaign__year", "speaking_order",
                                                                         "unit__sort_order"))


def report_sources(user: User) -> list[Participant]:
    """Participants of visible campaigns whose report's 存在问题 has text."""
    check_roles(user, *SPEECH_EDITORS)
    ids = [r.participant_id for r in Report.objects.filter(participant__campaign__in=visible_campaigns(user))
           if str((r.sections or {}).get("problems") or "").strip()]
    return list(Participant.objects.filter(pk__in=ids).select_related("campaign", "unit", "secretary")
                .order_by("-campaign__year", "speaking_order", "unit__sort_order"))


def from_commentary(actor: User, participant_pk: int) -> SpeechText:
    """The chair's 点评 of a participant, copied into a text of kind 点评 for that unit."""
    check_roles(actor, *SPEECH_EDITORS)
    p = _participant(actor, participant_pk)
    c = Commentary.objects.filter(participant=p).first()
    if c is None or not c.text.strip():
        raise ValidationError(f"{p.unit.name}尚无点评内容")
    return create_text(actor, kind=TextKind.COMMENTARY, title=f"{p.campaign.year}年度对{p.unit.name}的点评",
                       text=c.text, campaign=p.campaign, unit=p.unit, source_name="点评记录")


def from_report(actor: User, participant_pk: int) -> SpeechText:
    """A participant's report section 存在问题, copied into a text of kind report for that unit."""
    check_roles(actor, *SPEECH_EDITORS)
    p = _participant(actor, participant_pk)
    r = Report.objects.filter(participant=p).first()
    text = str(((r.sections or {}) if r else {}).get("problems") or "")
    if not text.strip():
        raise ValidationError(f"{p.unit.name}的述职报告“存在问题”部分为空")
    return create_text(actor, kind=TextKind.REPORT, title=f"{p.campaign.year}年度{p.unit.name}述职报告存在问题",
                       text=text, campaign=p.campaign, unit=p.unit, source_name="述职报告")


# ---------------------------------------------------------------- confirming into the ledger


@dataclass
class Problem:
    """One reviewed problem to confirm: its words, category, unit and span [start, end) in the text."""

    text: str
    category: str
    unit: int | None
    start: int
    end: int


def span_ref(st: SpeechText, start: int, end: int) -> tuple[str, str]:
    """(source_ref, source_link) of the span [start, end) of the text."""
    a, b = start + 1, end
    word = KIND_WORD.get(TextKind(st.kind), "讲话")
    return (f"{word}《{st.title}》第 {a}–{b} 字"[:300],
            reverse("speeches:review", args=[st.pk]) + f"#s-{a}-{b}")


def entries_of(st: SpeechText) -> QuerySet[LedgerEntry]:
    """The ledger entries confirmed from this text (their links point back to it)."""
    prefix = reverse("speeches:review", args=[st.pk]) + "#s-"
    return LedgerEntry.objects.filter(source_link__startswith=prefix).select_related("unit").order_by("pk")


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def parse_problems(raw: list[dict[str, Any]]) -> list[Problem]:
    """Turn posted rows (dicts with text, category, unit, start, end) into Problems; shape errors only."""
    out = []
    for row in raw:
        if not isinstance(row, dict):
            raise ValidationError("提交的问题列表格式不正确，请刷新页面后重试")
        start, end = _as_int(row.get("start")), _as_int(row.get("end"))
        out.append(Problem(text=" ".join(str(row.get("text") or "").split()),
                           category=str(row.get("category") or ""), unit=_as_int(row.get("unit")),
                           start=-1 if start is None else start, end=-1 if end is None else end))
    return out


@transaction.atomic
def confirm(actor: User, pk: int, problems: list[Problem]) -> list[LedgerEntry]:
    """Every problem becomes a ledger entry of the text's campaign; the text is marked confirmed. All or
    nothing: any refused problem (named by its number) keeps everything as it was."""
    check_roles(actor, *SPEECH_EDITORS)
    st = get_text(actor, pk, lock=True)
    if st.confirmed_at is not None:
        raise ValidationError(ALREADY)
    if not actor.has_role(*LEDGER_MANAGERS):
        raise PermissionDenied("转入整改台账须由组织部确认")
    if not problems:
        raise ValidationError("没有要转入整改台账的问题")
    units = {u.pk: u for u in unit_choices(st)}
    errors: list[str] = []
    for n, p in enumerate(problems, 1):
        if not 0 <= p.start < p.end <= len(st.text):
            errors.append(f"第 {n} 条：原文位置无效，请刷新页面后重试")
        if not p.text:
            errors.append(f"第 {n} 条：请填写问题")
        if p.category not in LABELS:
            errors.append(f"第 {n} 条：请选择问题类别")
        if p.unit is None:
            errors.append(f"第 {n} 条：请选择单位")
        elif p.unit not in units:
            errors.append(f"第 {n} 条：所选单位不是本考核方案的述职对象")
    if errors:
        raise ValidationError(errors)
    source = Source.SELF_REVIEW if st.kind == TextKind.REPORT else Source.COMMENTARY
    entries = []
    for n, p in enumerate(problems, 1):
        ref, link = span_ref(st, p.start, p.end)
        try:
            entries.append(ledger.create_entry(actor, unit=units[p.unit], campaign=st.campaign,  # type: ignore[index]
                                               source_link=link, problem=p.text, category=p.category,
                                               source=source, source_ref=ref))
        except ValidationError as e:
            raise ValidationError([f"第 {n} 条：{m}" for m in e.messages]) from None
    st.confirmed_at = timezone.now()
    st.save(update_fields=["confirmed_at"])
    names = sorted({e.unit.name for e in entries})
    record(actor, "speech.confirm", st, f"{st.get_kind_display()}《{st.title}》中的 {len(entries)} 个问题转入整改台账"
           f"（{'、'.join(names)}）", {"count": len(entries), "entries": [e.pk for e in entries],
                                      "spans": [[p.start, p.end] for p in problems],
                                      "corrections": st.corrections or []})
    return entries


# ---------------------------------------------------------------- correcting the reading


PART_WORDS = {"opening": "开头", "achievements": "成绩", "problems": "问题", "requirements": "要求/建议", "closing": "结尾"}


def reading_of(st: SpeechText) -> reading.Reading:
    """The text's reading with its reviewer's corrections."""
    return reading.read(st.text, st.corrections or [])


def _describe(st: SpeechText, fix: reading.Correction) -> str:
    at = (fix.at or 0) + 1
    words = f"“{' '.join(st.text[fix.at:(fix.at or 0) + 16].split())}……”" if fix.at is not None else ""
    if fix.op == "part":
        return f"“{PART_WORDS.get(fix.kind or '', fix.kind)}”部分改为从第 {at} 字{words}开始"
    if fix.op == "nopart":
        return f"取消“{PART_WORDS.get(fix.kind or '', fix.kind)}”部分"
    if fix.op == "join":
        return f"第 {at} 字{words}起的条目与上一条合并"
    if fix.op == "split":
        return f"在第 {at} 字{words}处拆分条目"
    return f"第 {at} 字{words}起的一条不是条目，删去"


def _check_fix(st: SpeechText, fix: reading.Correction) -> None:
    if fix.op not in reading.CORRECTIONS:
        raise ValidationError("无法识别的更正，请刷新页面后重试")
    if fix.op in ("part", "nopart") and fix.kind not in reading.KINDS[1:]:
        raise ValidationError("请选择要更正的部分（成绩、问题、要求/建议或结尾）")
    if fix.op != "nopart" and (fix.at is None or not 0 <= fix.at < len(st.text)):
        raise ValidationError("更正的位置不在原文中，请刷新页面后重试")


@transaction.atomic
def correct(actor: User, pk: int, fix: reading.Correction) -> SpeechText:
    """One correction of the text's reading, kept with the others; refused once the problems are in the ledger,
    and when it changes nothing (a position where it does not apply)."""
    check_roles(actor, *SPEECH_EDITORS)
    st = get_text(actor, pk, lock=True)
    if st.confirmed_at is not None:
        raise ValidationError(ALREADY + "，不能再更正读取结果")
    _check_fix(st, fix)
    fixes = reading.add_correction(st.corrections or [], fix)
    if reading.read(st.text, fixes).as_json() == reading_of(st).as_json():
        raise ValidationError("这一处更正不改变读取结果（位置不适用，或已经是这样）")
    st.corrections = [c.as_json() for c in fixes]
    st.save(update_fields=["corrections"])
    record(actor, "speech.correct", st, f"更正{st.get_kind_display()}《{st.title}》的读取：{_describe(st, fix)}",
           {**fix.as_json(), "corrections": len(fixes)})
    return st


@transaction.atomic
def undo_correction(actor: User, pk: int) -> SpeechText:
    """Take back the text's last correction."""
    check_roles(actor, *SPEECH_EDITORS)
    st = get_text(actor, pk, lock=True)
    if st.confirmed_at is not None:
        raise ValidationError(ALREADY + "，不能再更正读取结果")
    if not st.corrections:
        raise ValidationError("没有可以撤销的更正")
    last = reading.Correction.of(st.corrections[-1])
    st.corrections = st.corrections[:-1]
    st.save(update_fields=["corrections"])
    record(actor, "speech.correct_undo", st, f"撤销对{st.get_kind_display()}《{st.title}》的更正：{_describe(st, last)}",
           {**last.as_json(), "corrections": len(st.corrections)})
    return st
