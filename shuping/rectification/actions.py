"""整改台账 actions: entries, progress with evidence, closure (销号) with verification, reopening.

Pages and the JSON API both call these. Who may do what (shuping.accounts.access):
- LEDGER_MANAGERS (组织部) create and edit entries, verify or return closure requests (never their own
  request) and reopen closed entries (with a reason);
- LEDGER_READERS read every entry; LEDGER_UNIT_ROLES (the unit's 整改责任人 and 述职人) read their own unit's
  entries only, post progress and request closure; another unit's entry answers 404.
States: open → requested (owner, note + at least one evidence file) → closed (a second organiser verifies)
or back to open (returned with a reason); closed → open only by reopening with a reason. Every change is
audited. Overdue: 进展逾期 when an open entry's last progress (or its creation) is older than the scheme's
progress_report_months; 超期 when past the deadline and not closed.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from shuping.accounts.access import LEDGER_MANAGERS, LEDGER_READERS, LEDGER_UNIT_ROLES, check_roles, get_campaign
from shuping.accounts.models import User
from shuping.audit.log import record
from shuping.ballots.models import BallotComment, BoxState
from shuping.campaigns.models import Campaign
from shuping.campaigns.scheme import DEFAULT_SCHEME
from shuping.orgs.models import Person, Unit
from shuping.rectification import evidence as ev
from shuping.rectification.categories import LABELS
from shuping.rectification.models import EntryState, Evidence, LedgerEntry, ProgressReport, Source

DEFAULT_CADENCE = int(DEFAULT_SCHEME["progress_report_months"])
# Sources an organiser picks by hand (导入 is L2's import).
ENTRY_SOURCES = (Source.COMMENTARY, Source.BALLOT, Source.INSPECTION, Source.SELF_REVIEW)
MAX_TEXT = 5000


# ---------------------------------------------------------------- who sees what


def can_read_all(user: User) -> bool:
    return user.has_role(*LEDGER_READERS)


def is_unit_member(user: User, entry: LedgerEntry) -> bool:
    return bool(user.has_role(*LEDGER_UNIT_ROLES) and user.unit_id and user.unit_id == entry.unit_id)


def visible_entries(user: User) -> QuerySet[LedgerEntry]:
    """Every entry for readers; the user's own unit's for unit roles; else 403."""
    qs = LedgerEntry.objects.select_related("unit", "campaign", "responsible")
    if can_read_all(user):
        return qs
    if user.has_role(*LEDGER_UNIT_ROLES) and user.unit_id:
        return qs.filter(unit_id=user.unit_id)
    raise PermissionDenied("您没有查看整改台账的权限")


def get_entry(user: User, pk: int, *, lock: bool = False) -> LedgerEntry:
    qs = visible_entries(user)
    if lock:
        qs = qs.select_for_update(of=("self",))
    try:
        return qs.get(pk=pk)
    except (LedgerEntry.DoesNotExist, ValueError):
        raise Http404("整改台账条目不存在或无权查看") from None


def get_evidence(user: User, pk: int) -> Evidence:
    try:
        return Evidence.objects.select_related("entry").get(pk=pk, entry__in=visible_entries(user))
    except (Evidence.DoesNotExist, ValueError):
        raise Http404("佐证材料不存在或无权查看") from None


# ---------------------------------------------------------------- overdue


def add_months(d: datetime.date, months: int) -> datetime.date:
    m = d.month - 1 + months
    y, m = d.year + m // 12, m % 12 + 1
    return datetime.date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def cadence_months(entry: LedgerEntry) -> int:
    scheme = entry.campaign.scheme if entry.campaign_id and entry.campaign else {}
    try:
        return int((scheme or {}).get("progress_report_months", DEFAULT_CADENCE))
    except (TypeError, ValueError):
        return DEFAULT_CADENCE


@dataclass
class Status:
    last_progress: datetime.date  # last progress report, or the creation date
    next_progress_due: datetime.date | None  # None once the entry is closed or awaiting verification
    progress_overdue: bool  # 进展逾期
    past_deadline: bool  # 超期

    @property
    def flagged(self) -> bool:
        return self.progress_overdue or self.past_deadline


def status(entry: LedgerEntry, today: datetime.date | None = None,
           last_progress_at: datetime.datetime | None = None) -> Status:
    """Overdue flags of one entry on `today` (default: the local date). `last_progress_at` may be passed
    (from an annotation) to save a query."""
    today = today or timezone.localdate()
    if last_progress_at is None:
        last_progress_at = getattr(entry, "last_progress_at", None)
        if last_progress_at is None and entry.pk:
            last_progress_at = entry.progress_reports.aggregate(m=Max("created_at"))["m"]
    last = timezone.localdate(last_progress_at or entry.created_at or timezone.now())
    due = add_months(last, cadence_months(entry)) if entry.state == EntryState.OPEN else None
    return Status(
        last_progress=last, next_progress_due=due, progress_overdue=bool(due and today > due),
        past_deadline=bool(entry.state != EntryState.CLOSED and entry.deadline and today > entry.deadline),
    )


def with_last_progress(qs: QuerySet[LedgerEntry]) -> QuerySet[LedgerEntry]:
    return qs.annotate(last_progress_at=Max("progress_reports__created_at"))


# ---------------------------------------------------------------- filters


@dataclass
class Filters:
    unit: int | None = None
    category: str = ""
    source: str = ""
    state: str = ""
    overdue: str = ""  # "" / "any" / "progress" (进展逾期) / "deadline" (超期)
    year: int | None = None
    campaign: int | None = None
    q: str = ""


OVERDUE_CHOICES = [("any", "逾期（任一）"), ("progress", "进展逾期"), ("deadline", "超期")]


def search(user: User, f: Filters, today: datetime.date | None = None) -> list[tuple[LedgerEntry, Status]]:
    """Visible entries matching the filters, each with its overdue status."""
    qs = with_last_progress(visible_entries(user))
    if f.unit:
        qs = qs.filter(unit_id=f.unit)
    if f.category:
        qs = qs.filter(category=f.category)
    if f.source:
        qs = qs.filter(source=f.source)
    if f.state:
        qs = qs.filter(state=f.state)
    if f.year:
        qs = qs.filter(Q(campaign__year=f.year) | Q(campaign__isnull=True, created_at__year=f.year))
    if f.campaign:
        qs = qs.filter(campaign_id=f.campaign)
    if f.q.strip():
        qs = qs.filter(Q(problem__icontains=f.q.strip()) | Q(measures__icontains=f.q.strip()))
    # Explicit order: the last-progress annotation groups the query, and Django then drops Meta.ordering.
    qs = qs.order_by("unit__sort_order", "unit__code", "created_at", "pk")
    out = [(e, status(e, today, e.last_progress_at)) for e in qs]  # type: ignore[attr-defined]
    if f.overdue == "progress":
        out = [(e, s) for e, s in out if s.progress_overdue]
    elif f.overdue == "deadline":
        out = [(e, s) for e, s in out if s.past_deadline]
    elif f.overdue:
        out = [(e, s) for e, s in out if s.flagged]
    return out


# ---------------------------------------------------------------- entries


def _text(value: Any, label: str, required: bool = False, limit: int = MAX_TEXT) -> str:
    s = str(value or "").strip()
    if required and not s:
        raise ValidationError(f"请填写{label}")
    if len(s) > limit:
        raise ValidationError(f"{label}不能超过 {limit} 字（当前 {len(s)} 字）")
    return s


def _clean(unit: Unit, fields: dict[str, Any]) -> dict[str, Any]:
    errors: list[str] = []
    out: dict[str, Any] = {}

    def take(key: str, label: str, required: bool = False, limit: int = MAX_TEXT) -> None:
        try:
            out[key] = _text(fields.get(key), label, required, limit)
        except ValidationError as e:
            errors.extend(e.messages)

    take("problem", "问题", required=True)
    take("measures", "整改措施")
    take("target", "整改目标")
    take("source_ref", "来源说明", limit=300)
    take("responsible_name", "责任人姓名", limit=100)
    category = str(fields.get("category") or "")
    if category not in LABELS:
        errors.append("请选择问题类别")
    out["category"] = category
    source = str(fields.get("source") or "")
    if source not in {s.value for s in Source}:
        errors.append("请选择问题来源（点评、民主测评意见、督查或自查）")
    out["source"] = source
    responsible = fields.get("responsible")
    if responsible is not None and not isinstance(responsible, Person):
        try:
            responsible = Person.objects.get(pk=int(responsible))
        except (Person.DoesNotExist, TypeError, ValueError):
            errors.append("所选责任人不存在")
            responsible = None
    if responsible is not None and responsible.unit_id != unit.pk:
        errors.append(f"责任人“{responsible.name}”不是{unit.name}的人员，请从本单位人员中选择或直接填写姓名")
    out["responsible"] = responsible
    deadline = fields.get("deadline")
    if deadline is not None and not isinstance(deadline, datetime.date):
        errors.append("整改时限格式不正确")
    out["deadline"] = deadline
    if errors:
        raise ValidationError(errors)
    return out


@transaction.atomic
def create_entry(actor: User, *, unit: Unit, campaign: Campaign | None = None, source_link: str = "",
                 **fields: Any) -> LedgerEntry:
    check_roles(actor, *LEDGER_MANAGERS)
    data = _clean(unit, fields)
    if data["source"] not in ENTRY_SOURCES:
        raise ValidationError("请选择问题来源（点评、民主测评意见、督查或自查）")
    entry = LedgerEntry.objects.create(unit=unit, campaign=campaign, source_link=source_link, created_by=actor,
                                       **data)
    record(actor, "ledger.create", entry, f"新增整改台账条目：{unit.name}“{entry.problem[:30]}”",
           {"unit": unit.code, "category": entry.category, "source": entry.source,
            "deadline": entry.deadline.isoformat() if entry.deadline else None})
    return entry


EDITABLE = ("problem", "category", "source", "source_ref", "measures", "responsible", "responsible_name",
            "deadline", "target")


@transaction.atomic
def update_entry(actor: User, entry: LedgerEntry, *, unit: Unit | None = None, **fields: Any) -> LedgerEntry:
    check_roles(actor, *LEDGER_MANAGERS)
    entry = get_entry(actor, entry.pk, lock=True)
    if entry.state == EntryState.CLOSED:
        raise ValidationError("该条目已销号，不能修改；如需修改请先重新打开")
    unit = unit or entry.unit
    current = {k: getattr(entry, k) for k in EDITABLE}
    data = _clean(unit, {**current, **fields})
    changed = {k: v for k, v in data.items() if current[k] != v}
    if unit.pk != entry.unit_id:
        changed["unit"] = unit
    if not changed:
        return entry
    for k, v in changed.items():
        setattr(entry, k, v)
    entry.save()
    record(actor, "ledger.update", entry, f"修改整改台账条目：{entry.unit.name}“{entry.problem[:30]}”",
           {"fields": sorted(changed)})
    return entry


# ---------------------------------------------------------------- from ballot comments


def ballot_comments(actor: User, campaign: Campaign) -> QuerySet[BallotComment]:
    """The campaign's 意见建议 texts, once its box is published."""
    check_roles(actor, *LEDGER_MANAGERS)
    return BallotComment.objects.filter(box__campaign=campaign, box__state=BoxState.PUBLISHED).order_by("text", "id")


@transaction.atomic
def entry_from_comment(actor: User, campaign: Campaign, comment_id: Any, *, unit: Unit, category: str,
                       problem: str = "", **fields: Any) -> LedgerEntry:
    campaign = get_campaign(actor, campaign.pk)
    try:
        comment = ballot_comments(actor, campaign).get(pk=comment_id)
    except (BallotComment.DoesNotExist, ValueError, ValidationError):
        raise Http404("意见建议不存在，或测评结果尚未公布") from None
    if not campaign.participants.filter(unit=unit).exists():
        raise ValidationError(f"{unit.name}不是本次述职对象")
    return create_entry(actor, unit=unit, campaign=campaign, problem=problem.strip() or comment.text,
                        category=category, source=Source.BALLOT, source_ref=f"{campaign.year}年度民主测评意见建议",
                        **fields)


# ---------------------------------------------------------------- progress and closure


def _check_unit_member(actor: User, entry: LedgerEntry, what: str) -> None:
    if not is_unit_member(actor, entry):
        raise PermissionDenied(f"只有{entry.unit.name}的整改责任人可以{what}")


def _attach(actor: User, entry: LedgerEntry, checked: list[ev.Checked], stored: list[str],
            progress: ProgressReport | None = None, for_closure: bool = False) -> list[Evidence]:
    out = []
    for c in checked:
        name = ev.store(c)
        stored.append(name)
        out.append(Evidence.objects.create(entry=entry, progress=progress, for_closure=for_closure, file=name,
                                           name=c.name, size=c.size, content_type=c.content_type, sha256=c.sha256,
                                           uploaded_by=actor))
    return out


def post_progress(actor: User, entry: LedgerEntry, *, text: str, files: list[UploadedFile] | None = None
                  ) -> ProgressReport:
    """An owner's 整改进展 with optional evidence files (all checked before anything is kept)."""
    entry = get_entry(actor, entry.pk)
    _check_unit_member(actor, entry, "报送整改进展")
    text = _text(text, "进展情况", required=True)
    checked = ev.check_all(list(files or []))
    stored: list[str] = []
    try:
        with transaction.atomic():
            entry = get_entry(actor, entry.pk, lock=True)
            if entry.state != EntryState.OPEN:
                raise ValidationError(f"该条目处于“{entry.get_state_display()}”状态，不能报送进展")
            report = ProgressReport.objects.create(entry=entry, text=text, author=actor)
            _attach(actor, entry, checked, stored, progress=report)
            entry.save(update_fields=["updated_at"])
            record(actor, "ledger.progress", entry, f"报送整改进展：{entry.unit.name}“{entry.problem[:30]}”",
                   {"progress": report.pk, "files": [[c.name, c.sha256] for c in checked]})
    except BaseException:
        ev.discard(stored)
        raise
    return report


def request_closure(actor: User, entry: LedgerEntry, *, note: str, files: list[UploadedFile] | None = None,
                    evidence_ids: list[int] | None = None) -> LedgerEntry:
    """申请销号: a note and at least one evidence file (new files, or ones already on the entry)."""
    entry = get_entry(actor, entry.pk)
    _check_unit_member(actor, entry, "申请销号")
    note = _text(note, "销号说明", required=True)
    checked = ev.check_all(list(files or []))
    stored: list[str] = []
    try:
        with transaction.atomic():
            entry = get_entry(actor, entry.pk, lock=True)
            if entry.state != EntryState.OPEN:
                raise ValidationError(f"该条目处于“{entry.get_state_display()}”状态，不能申请销号")
            existing = list(entry.evidence.filter(pk__in=evidence_ids or []))
            if len(existing) != len(set(evidence_ids or [])):
                raise ValidationError("所选佐证材料不属于该条目")
            if not checked and not existing:
                raise ValidationError("申请销号需要至少一份佐证材料")
            _attach(actor, entry, checked, stored, for_closure=True)
            for e in existing:
                e.for_closure = True
                e.save(update_fields=["for_closure"])
            entry.state = EntryState.REQUESTED
            entry.closure_note = note
            entry.closure_requested_at = timezone.now()
            entry.closure_requested_by = actor
            entry.save()
            record(actor, "ledger.request_closure", entry, f"申请销号：{entry.unit.name}“{entry.problem[:30]}”",
                   {"note": note, "files": [[c.name, c.sha256] for c in checked],
                    "evidence": [e.pk for e in existing]})
    except BaseException:
        ev.discard(stored)
        raise
    return entry


def _check_verifier(actor: User, entry: LedgerEntry) -> None:
    check_roles(actor, *LEDGER_MANAGERS)
    if entry.state != EntryState.REQUESTED:
        raise ValidationError(f"该条目处于“{entry.get_state_display()}”状态，没有待审核的销号申请")
    if entry.closure_requested_by_id == actor.pk:
        raise ValidationError("销号申请须由申请人以外的组织部工作人员审核")


@transaction.atomic
def verify_closure(actor: User, entry: LedgerEntry) -> LedgerEntry:
    check_roles(actor, *LEDGER_MANAGERS)
    entry = get_entry(actor, entry.pk, lock=True)
    _check_verifier(actor, entry)
    entry.state = EntryState.CLOSED
    entry.closed_at = timezone.now()
    entry.verified_by = actor
    entry.return_reason = ""
    entry.save()
    on_time = entry.deadline is None or timezone.localdate(entry.closed_at) <= entry.deadline
    record(actor, "ledger.verify", entry, f"审核通过，予以销号：{entry.unit.name}“{entry.problem[:30]}”",
           {"requested_by": entry.closure_requested_by.username if entry.closure_requested_by else None,
            "on_time": on_time})
    return entry


@transaction.atomic
def return_closure(actor: User, entry: LedgerEntry, *, reason: str) -> LedgerEntry:
    check_roles(actor, *LEDGER_MANAGERS)
    entry = get_entry(actor, entry.pk, lock=True)
    _check_verifier(actor, entry)
    reason = _text(reason, "退回理由", required=True, limit=500)
    entry.state = EntryState.OPEN
    entry.return_reason = reason
    entry.save()
    record(actor, "ledger.return", entry, f"退回销号申请：{entry.unit.name}“{entry.problem[:30]}”", {"reason": reason})
    return entry


@transaction.atomic
def reopen(actor: User, entry: LedgerEntry, *, reason: str) -> LedgerEntry:
    check_roles(actor, *LEDGER_MANAGERS)
    entry = get_entry(actor, entry.pk, lock=True)
    if entry.state != EntryState.CLOSED:
        raise ValidationError(f"该条目处于“{entry.get_state_display()}”状态，只有已销号的条目才能重新打开")
    reason = _text(reason, "重新打开的理由", required=True, limit=500)
    was = {"closed_at": entry.closed_at.isoformat() if entry.closed_at else None,
           "verified_by": entry.verified_by.username if entry.verified_by else None}
    entry.state = EntryState.OPEN
    entry.closed_at = None
    entry.verified_by = None
    entry.return_reason = ""
    entry.save()
    record(actor, "ledger.reopen", entry, f"重新打开已销号条目：{entry.unit.name}“{entry.problem[:30]}”",
           {"reason": reason, **was})
    return entry
