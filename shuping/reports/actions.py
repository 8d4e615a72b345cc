"""述职报告 actions: open, write (autosave with a revision check), versions, Word import, 确认签字, submit,
and the organiser's review (退回修改 / 审核通过 / 催报) with the campaign's progress table.

Pages and the JSON API call these. Who may see what: readers (REPORT_READERS) every report of a campaign
they may see; a reporter (REPORT_WRITERS) only their own unit's report — any other answers 404; everyone
else 403. Writing is the reporter's alone; reviewing is the organiser's. Every state change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from shuping.accounts import access
from shuping.accounts.access import REPORT_READERS, REPORT_REVIEWERS, REPORT_WRITERS, check_roles
from shuping.accounts.models import User
from shuping.audit.log import record
from shuping.campaigns.models import Campaign, CampaignState, Participant
from shuping.rectification.carry_over import open_entries_for
from shuping.reports import docx_split
from shuping.reports.hints import word_count
from shuping.reports.models import (
    SECTIONS,
    UNCLASSIFIED,
    PriorAnswer,
    Report,
    ReportReview,
    ReportState,
    ReportVersion,
    ReviewAction,
    empty_sections,
)

SECTION_KEYS = [k for k, _ in SECTIONS] + [UNCLASSIFIED[0]]
SECTION_LABELS = dict([*SECTIONS, UNCLASSIFIED])
EDITABLE = (ReportState.DRAFT, ReportState.RETURNED)
MAX_SECTION_CHARS = 50_000
MAX_ANSWER_CHARS = 10_000
AUTOSAVE_VERSION_EVERY = timedelta(minutes=1)
MAX_DOCX_BYTES = docx_split.MAX_BYTES


class StaleRevision(Exception):
    """The draft changed since the editor loaded it (another tab, another person): nothing was saved."""

    def __init__(self, report: Report) -> None:
        super().__init__("报告已在其他窗口或由他人修改，本次保存未生效")
        self.report = report


# ---------------------------------------------------------------- access


def _can_read_all(user: User) -> bool:
    return user.has_role(*REPORT_READERS)


def _is_own(user: User, participant: Participant) -> bool:
    return bool(user.has_role(*REPORT_WRITERS) and user.unit_id and user.unit_id == participant.unit_id)


def _check_any_role(user: User) -> None:
    check_roles(user, *REPORT_READERS, *REPORT_REVIEWERS, *REPORT_WRITERS)


def get_participant(user: User, pk: int) -> Participant:
    """A participant whose report the user may read (their own unit's for a reporter), else 404."""
    _check_any_role(user)
    p = (Participant.objects.select_related("campaign", "unit", "secretary")
         .filter(pk=pk, campaign__in=access.visible_campaigns(user)).first())
    if p is None or not (_can_read_all(user) or _is_own(user, p)):
        raise Http404("述职对象不存在或无权查看")
    return p


def own_participant(user: User, campaign: Campaign) -> Participant:
    """The reporter's own unit's place in the campaign, else 404."""
    check_roles(user, *REPORT_WRITERS)
    p = (Participant.objects.select_related("campaign", "unit", "secretary")
         .filter(campaign=campaign, unit_id=user.unit_id).first() if user.unit_id else None)
    if p is None:
        raise Http404("本单位不是该考核方案的述职对象")
    return p


def get_report(user: User, pk: int) -> Report:
    """A report the user may read, else 404 (403 without any report role)."""
    _check_any_role(user)
    r = (Report.objects.select_related("participant__campaign", "participant__unit", "participant__secretary")
         .filter(pk=pk, participant__campaign__in=access.visible_campaigns(user)).first())
    if r is None or not (_can_read_all(user) or _is_own(user, r.participant)):
        raise Http404("述职报告不存在或无权查看")
    return r


def can_write(user: User, report: Report) -> bool:
    return _is_own(user, report.participant) and report.state in EDITABLE


def check_writer(actor: User, report: Report) -> None:
    check_roles(actor, *REPORT_WRITERS)
    if not _is_own(actor, report.participant):
        if _can_read_all(actor):
            raise PermissionDenied("只有本单位述职人可以修改述职报告")
        raise Http404("述职报告不存在或无权查看")


def _check_editable(report: Report) -> None:
    if report.state not in EDITABLE:
        raise ValidationError(f"报告处于“{report.get_state_display()}”状态，不能修改")
    _check_campaign_open(report.participant.campaign)


def _check_campaign_open(campaign: Campaign) -> None:
    if campaign.state == CampaignState.DRAFT:
        raise ValidationError("考核方案尚未发布，暂不能填写述职报告")
    if campaign.state != CampaignState.PUBLISHED:
        raise ValidationError(f"述职评议会已开始（考核方案处于“{campaign.get_state_display()}”状态），"
                              "述职报告不能再修改或提交")


def _lock(report: Report) -> Report:
    return (Report.objects.select_for_update()
            .select_related("participant__campaign", "participant__unit", "participant__secretary")
            .get(pk=report.pk))


# ---------------------------------------------------------------- opening and prior answers


def _sync_prior_answers(report: Report) -> None:
    """One PriorAnswer per open ledger entry of the unit from earlier years (new ones appear later too)."""
    p = report.participant
    have = set(report.prior_answers.values_list("entry_id", flat=True))
    missing = [e.pk for e in open_entries_for(p.unit_id, p.campaign) if e.pk not in have]
    PriorAnswer.objects.bulk_create([PriorAnswer(report=report, entry_id=pk) for pk in missing],
                                    ignore_conflicts=True)


def _ensure_report(participant: Participant, actor: Any) -> Report:
    report = Report.objects.filter(participant=participant).first()
    if report is None:
        with transaction.atomic():
            report, created = Report.objects.get_or_create(participant=participant)
            if created:
                record(actor, "report.create", report,
                       f"建立{participant.unit.name}的述职报告草稿（{participant.campaign.title}）",
                       {"participant": participant.pk})
    report.participant = participant
    if report.state in EDITABLE:
        _sync_prior_answers(report)
    return report


def open_report(actor: User, participant: Participant) -> Report:
    """The reporter's report for the campaign, created as an empty draft the first time."""
    check_roles(actor, *REPORT_WRITERS)
    if not _is_own(actor, participant):
        raise Http404("述职报告不存在或无权查看")
    return _ensure_report(participant, actor)


@dataclass
class PriorItem:
    answer: PriorAnswer
    required: bool  # still open: needs an answer before submission

    @property
    def entry(self) -> Any:
        return self.answer.entry


def prior_items(report: Report) -> list[PriorItem]:
    p = report.participant
    still_open = set(open_entries_for(p.unit_id, p.campaign).values_list("pk", flat=True))
    answers = report.prior_answers.select_related("entry__campaign").order_by("entry__created_at", "entry__pk")
    return [PriorItem(a, a.entry_id in still_open) for a in answers]


def unanswered(report: Report) -> list[PriorItem]:
    return [i for i in prior_items(report) if i.required and not i.answer.answer.strip()]


# ---------------------------------------------------------------- writing


def _answers_dict(report: Report) -> dict[str, str]:
    return {str(a.entry_id): a.answer for a in report.prior_answers.all()}


def _snapshot(report: Report, actor: User, note: str) -> ReportVersion:
    last = report.versions.order_by("-number").values_list("number", flat=True).first() or 0
    return ReportVersion.objects.create(report=report, number=last + 1, sections=dict(report.sections),
                                        answers=_answers_dict(report), note=note, saved_by=actor)


def _snapshot_if_unsaved(report: Report, actor: User, note: str) -> None:
    """Keep the current draft in the history before it is replaced, unless the newest version already is it."""
    last = report.versions.order_by("-number").first()
    if last is None and not any(report.sections.values()) and not any(_answers_dict(report).values()):
        return
    if last is None or last.sections != report.sections or last.answers != _answers_dict(report):
        _snapshot(report, actor, note)


def _clean_sections(sections: dict[str, Any]) -> dict[str, str]:
    unknown = sorted(set(sections) - set(SECTION_KEYS))
    if unknown:
        raise ValidationError(f"未知的报告部分：{'、'.join(unknown)}")
    out: dict[str, str] = {}
    for k, v in sections.items():
        if not isinstance(v, str):
            raise ValidationError(f"“{SECTION_LABELS[k]}”的内容应为文字")
        if len(v) > MAX_SECTION_CHARS:
            raise ValidationError(f"“{SECTION_LABELS[k]}”超过 {MAX_SECTION_CHARS} 字，请精简")
        out[k] = v.replace("\r\n", "\n")
    return out


def _clear_signature(report: Report, actor: User, why: str) -> None:
    if report.signed_at is None:
        return
    record(actor, "report.unsign", report, f"{report.participant.unit.name}的述职报告{why}，书记确认签字已失效",
           {"was_signed_by": report.signed_by_name})
    report.signed_by_name = ""
    report.signed_at = None


def save_draft(actor: User, report: Report, *, revision: int, sections: dict[str, Any] | None = None,
               answers: dict[Any, Any] | None = None, note: str = "自动保存") -> Report:
    """Save the writer's text. `revision` is the one the editor started from: if the draft moved on since,
    StaleRevision is raised and nothing is saved. A version is kept at most once a minute."""
    check_writer(actor, report)
    with transaction.atomic():
        report = _lock(report)
        _check_editable(report)
        if revision != report.revision:
            raise StaleRevision(report)
        new_sections = {**empty_sections(), **report.sections, **_clean_sections(sections or {})}
        rows = {str(a.entry_id): a for a in report.prior_answers.all()}
        changed_answers = []
        for key, text in (answers or {}).items():
            row = rows.get(str(key))
            if row is None:
                raise ValidationError(f"上年度问题 {key} 不在本报告的整改事项中")
            if not isinstance(text, str):
                raise ValidationError("整改情况应为文字")
            if len(text) > MAX_ANSWER_CHARS:
                raise ValidationError(f"整改情况超过 {MAX_ANSWER_CHARS} 字，请精简")
            text = text.replace("\r\n", "\n")
            if row.answer != text:
                row.answer = text
                changed_answers.append(row)
        if new_sections == report.sections and not changed_answers:
            return report  # nothing new: no revision, no version
        PriorAnswer.objects.bulk_update(changed_answers, ["answer"])
        report.sections = new_sections
        report.revision += 1
        _clear_signature(report, actor, "签字后被修改")
        report.save()
        last = report.versions.order_by("-number").first()
        if last is None or timezone.now() - last.saved_at >= AUTOSAVE_VERSION_EVERY:
            v = _snapshot(report, actor, note)
            record(actor, "report.save", report, f"保存{report.participant.unit.name}的述职报告（第 {v.number} 版）",
                   {"revision": report.revision, "version": v.number})
    return report


def restore_version(actor: User, report: Report, number: int) -> Report:
    """Put an old version back into the draft (the current text is kept as a version first)."""
    check_writer(actor, report)
    with transaction.atomic():
        report = _lock(report)
        _check_editable(report)
        version = report.versions.filter(number=number).first()
        if version is None:
            raise Http404("该版本不存在")
        _snapshot_if_unsaved(report, actor, "恢复前的内容")
        report.sections = {**empty_sections(), **version.sections}
        rows = list(report.prior_answers.all())
        for row in rows:
            if str(row.entry_id) in version.answers:
                row.answer = version.answers[str(row.entry_id)]
        PriorAnswer.objects.bulk_update(rows, ["answer"])
        report.revision += 1
        _clear_signature(report, actor, "恢复了旧版本")
        report.save()
        v = _snapshot(report, actor, f"恢复第 {number} 版")
        record(actor, "report.restore", report, f"{report.participant.unit.name}的述职报告恢复为第 {number} 版",
               {"from_version": number, "version": v.number, "revision": report.revision})
    return report


def import_docx(actor: User, report: Report, data: bytes, filename: str) -> tuple[Report, list[str]]:
    """Replace the sections with those split from a Word file (answers stay). Returns the report and the
    splitter's warnings. A refused file changes nothing and is not kept."""
    check_writer(actor, report)
    _check_editable(report)
    result = docx_split.split_docx(data, filename)  # refuses a bad file with a Chinese message
    with transaction.atomic():
        report = _lock(report)
        _check_editable(report)
        _snapshot_if_unsaved(report, actor, "导入前的内容")
        sections = empty_sections()
        sections.update({k: v for k, v in result.sections.items() if k in sections})
        sections[UNCLASSIFIED[0]] = result.unclassified
        report.sections = _clean_sections(sections)
        report.source_file = filename[:200]
        report.revision += 1
        _clear_signature(report, actor, "导入了 Word 文件")
        report.save()
        v = _snapshot(report, actor, "导入 Word")
        record(actor, "report.import", report, f"{report.participant.unit.name}的述职报告导入 Word 文件“{filename}”",
               {"file": filename, "size": len(data), "version": v.number, "warnings": list(result.warnings),
                "unclassified_chars": len(result.unclassified)})
    return report, list(result.warnings)


# ---------------------------------------------------------------- sign-off and submission


def sign(actor: User, report: Report, name: str) -> Report:
    """确认签字: the secretary confirms the text as it stands (name and time recorded)."""
    check_writer(actor, report)
    name = (name or "").strip()
    if not name:
        raise ValidationError("请填写签字人姓名")
    if len(name) > 50:
        raise ValidationError("签字人姓名不能超过 50 个字")
    with transaction.atomic():
        report = _lock(report)
        _check_editable(report)
        report.signed_by_name = name
        report.signed_at = timezone.now()
        report.save(update_fields=["signed_by_name", "signed_at", "updated_at"])
        record(actor, "report.sign", report, f"{name}确认签字{report.participant.unit.name}的述职报告",
               {"name": name, "revision": report.revision})
    return report


def submit(actor: User, report: Report) -> Report:
    """Submit for review. Refused unsigned, with an unanswered item of last year, or once the meeting has
    started; after campaign.report_deadline it is accepted and marked 逾期."""
    check_writer(actor, report)
    with transaction.atomic():
        report = _lock(report)
        if report.state not in EDITABLE:
            raise ValidationError(f"报告处于“{report.get_state_display()}”状态，不能再次提交")
        campaign = report.participant.campaign
        _check_campaign_open(campaign)
        _sync_prior_answers(report)
        problems = []
        if not any(v.strip() for v in report.sections.values()):
            problems.append("报告内容为空，请先填写")
        missing = unanswered(report)
        if missing:
            listed = "；".join(f"{i}. {m.entry.problem[:40]}" for i, m in enumerate(missing, 1))
            problems.append(f"还有 {len(missing)} 项上年度问题未填写整改情况：{listed}")
        if report.signed_at is None:
            problems.append("报告尚未经书记确认签字")
        if problems:
            raise ValidationError(problems)
        now = timezone.now()
        deadline = campaign.report_deadline
        report.late = bool(deadline and timezone.localdate(now) > deadline)
        report.state = ReportState.SUBMITTED
        report.submitted_at = now
        report.save()
        v = _snapshot(report, actor, "提交")
        late = "（逾期提交）" if report.late else ""
        record(actor, "report.submit", report, f"提交{report.participant.unit.name}的述职报告{late}",
               {"late": report.late, "deadline": deadline.isoformat() if deadline else None, "version": v.number,
                "signed_by": report.signed_by_name})
    return report


# ---------------------------------------------------------------- review


def _check_reviewer(actor: User, report: Report) -> None:
    check_roles(actor, *REPORT_REVIEWERS)


def return_report(actor: User, report: Report, comment: str) -> Report:
    """退回修改 with the organiser's comments (required)."""
    _check_reviewer(actor, report)
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError("退回修改须填写意见")
    with transaction.atomic():
        report = _lock(report)
        if report.state != ReportState.SUBMITTED:
            raise ValidationError(f"只有已提交的报告可以退回，当前为“{report.get_state_display()}”")
        report.state = ReportState.RETURNED
        report.save()
        ReportReview.objects.create(report=report, action=ReviewAction.RETURN, comment=comment, by=actor)
        _snapshot(report, actor, "退回修改")
        record(actor, "report.return", report, f"退回{report.participant.unit.name}的述职报告修改", {"comment": comment})
    return report


def approve(actor: User, report: Report, comment: str = "") -> Report:
    _check_reviewer(actor, report)
    with transaction.atomic():
        report = _lock(report)
        if report.state != ReportState.SUBMITTED:
            raise ValidationError(f"只有已提交的报告可以审核通过，当前为“{report.get_state_display()}”")
        report.state = ReportState.APPROVED
        report.approved_at = timezone.now()
        report.approved_by = actor
        report.save()
        ReportReview.objects.create(report=report, action=ReviewAction.APPROVE, comment=(comment or "").strip(),
                                    by=actor)
        record(actor, "report.approve", report, f"{report.participant.unit.name}的述职报告审核通过",
               {"comment": (comment or "").strip()})
    return report


def remind(actor: User, campaign: Campaign, participant_ids: list[int] | None = None, comment: str = "") -> int:
    """催报: a reminder on the page of every participant (or those chosen) whose report is not submitted.
    Returns how many were reminded."""
    check_roles(actor, *REPORT_REVIEWERS)
    _check_campaign_open(campaign)
    comment = (comment or "").strip() or "请尽快完成述职报告并提交"
    participants = campaign.participants.select_related("unit", "campaign")
    if participant_ids is not None:
        participants = participants.filter(pk__in=participant_ids)
    n = 0
    with transaction.atomic():
        for p in participants:
            report = _ensure_report(p, actor)
            if report.state not in EDITABLE:
                continue
            ReportReview.objects.create(report=report, action=ReviewAction.REMIND, comment=comment, by=actor)
            record(actor, "report.remind", report, f"催报{p.unit.name}的述职报告", {"comment": comment})
            n += 1
    if n == 0:
        raise ValidationError("没有需要催报的述职对象（报告均已提交）")
    return n


# ---------------------------------------------------------------- progress


STATUS_LABELS = {"missing": "未提交", "submitted": "已提交", "returned": "退回", "approved": "已通过",
                 "overdue": "逾期"}


@dataclass
class ProgressRow:
    participant: Participant
    report: Report | None
    status: str  # a key of STATUS_LABELS

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def words(self) -> int | None:
        if self.report is None:
            return None
        return sum(word_count(v or "") for v in self.report.sections.values())


def status_of(report: Report | None, campaign: Campaign) -> str:
    if report is not None and report.state != ReportState.DRAFT:
        return str(report.state)
    past = campaign.report_deadline is not None and timezone.localdate() > campaign.report_deadline
    return "overdue" if past else "missing"


def progress(user: User, campaign: Campaign) -> tuple[list[ProgressRow], dict[str, int]]:
    """Every participant with the state of their report, and the count per state (readers only)."""
    check_roles(user, *REPORT_READERS, *REPORT_REVIEWERS)
    reports = {r.participant_id: r for r in Report.objects.filter(participant__campaign=campaign)}
    rows = [ProgressRow(p, reports.get(p.pk), status_of(reports.get(p.pk), campaign))
            for p in campaign.participants.select_related("unit", "secretary")]
    counts = dict.fromkeys(STATUS_LABELS, 0)
    for r in rows:
        counts[r.status] += 1
    return rows, counts
