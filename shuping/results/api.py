"""JSON API of 考核结果: the result sheet with its explanation, the workflow steps, the check, follow-ups.

Every endpoint calls shuping.results.actions (the same functions as the pages) and asks the access helper who
may do what. Organisers, observers and chairs read the whole sheet; a reporter reads their own unit's row
only, once published, without judge names (judges stay anonymous to the reported). Numbers are strings: exact
Decimal (or 'n/d' where a value does not terminate) plus a 2-place half-up display.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db.models import Case, Value, When
from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema

from shuping.accounts import access
from shuping.accounts.access import RESULT_MANAGERS, RESULT_READERS, RESULT_SIGNERS, check_roles
from shuping.accounts.models import Role, User
from shuping.campaigns.models import Participant
from shuping.campaigns.scheme import COMPONENTS
from shuping.results import actions, compute, maths
from shuping.results.models import FollowUp, FollowUpKind, ResultSheet

router = Router(tags=["考核结果"])

# Who may ask for a sheet at all: the readers, and reporters (their own row, once published — get_sheet).
RESULT_VIEWERS = (*RESULT_READERS, Role.REPORTER)


# ---------------------------------------------------------------- schemas

class StepOut(Schema):
    step: str = Field(description="环节：computed 统分 / submitted 提交审核 / reviewed 审核 / signed 签批 / "
                                  "published 公布")
    label: str = Field(description="环节名称")
    by: str | None = Field(description="经办人（尚未进行时为空）")
    at: datetime | None = Field(description="时间（尚未进行时为空）")
    note: str = Field("", description="审核意见或签批依据")


class ComponentOut(Schema):
    name: str = Field(description="组成部分代码：judging / ballot / routine / rectification")
    label: str = Field(description="组成部分名称，如“民主测评”")
    value: str | None = Field(description="得分（精确小数字符串）；无数据时为空")
    display: str | None = Field(description="得分（四舍五入保留 2 位）")
    weight: str = Field(description="考核规则中的权重（%）")
    used_weight: str | None = Field(description="实际采用的权重（%，有组成部分缺失时按比例折算）；不计入时为空")
    contribution: str | None = Field(description="对综合得分的贡献 = 得分 × 实际权重")


class FlagOut(Schema):
    code: str = Field(description="标记代码，如 quota_tie、veto、renormalised")
    label: str = Field(description="标记说明（中文）")


class JudgeEntryOut(Schema):
    judge_id: int | None = Field(description="评委用户 ID（述职人查看时不显示）")
    judge: str | None = Field(description="评委姓名（述职人查看时不显示）")
    total: str = Field(description="该评委的总分（精确）")
    display: str = Field(description="总分（保留 2 位）")
    dropped: str = Field(description="空：计入；high：作为最高分去掉；low：作为最低分去掉")


class JudgingOut(Schema):
    k: int = Field(description="去掉最高、最低分各几个")
    judges_expected: int = Field(description="应评评委人数（已除去回避）")
    entries: list[JudgeEntryOut] = Field(description="已提交的评委评分，按总分从低到高")
    formula: str = Field(description="计算过程")


class BallotDetailOut(Schema):
    valid: int = Field(description="有效评价票数（不含弃权）")
    abstain: int = Field(description="弃权票数")
    grades: list[int] = Field(description="各等次票数，顺序同 grade_labels")
    good_rate: str = Field(description="好评率 =（好 + 较好）÷ 有效票")
    formula: str = Field(description="测评得分的计算过程（各类别得分 × 权重）")
    renormalisation_note: str = Field(description="有类别无有效评价时的权重折算说明")
    veto_note: str = Field(description="“差”票比例与一票否决线的比较")


class ExplanationOut(Schema):
    judging: JudgingOut = Field(description="现场/书面评分：各评委总分与去掉的最高、最低分")
    ballot: BallotDetailOut | None = Field(description="民主测评明细；未测评或未封箱时为空")
    veto: bool = Field(description="民主测评“差”票是否超过一票否决线")
    routine_source: str = Field(description="日常考核得分的来源（文件、工作表、行）")
    composite_formula: str = Field(description="综合得分的计算公式（含各组成部分得分与权重）")


class DecisionOut(Schema):
    grade: str = Field(description="领导小组决定的等次")
    reason: str = Field(description="决定依据")
    decided_by: str = Field(description="录入人")
    decided_at: datetime


class RowOut(Schema):
    participant_id: int = Field(description="述职对象 ID")
    unit: str = Field(description="单位")
    unit_code: str
    secretary: str = Field(description="述职人（书记）")
    mode: str = Field(description="述职方式")
    rank: int = Field(description="名次（并列时相同，如 1, 2, 2, 4）")
    grade: str = Field(description="最终等次：好 / 较好 / 一般 / 差 / 未评定")
    threshold_grade: str = Field(description="仅按分数线的等次（比例限制、一票否决之前）")
    composite: str | None = Field(description="综合得分（精确小数字符串）")
    composite_display: str | None = Field(description="综合得分（四舍五入保留 2 位）")
    components: list[ComponentOut] = Field(description="各组成部分")
    flags: list[FlagOut] = Field(description="标记")
    notes: list[str] = Field(description="等次说明")
    decision: DecisionOut | None = Field(description="领导小组对并列跨越比例的决定")
    explanation: ExplanationOut = Field(description="每个数字的来源与计算过程")


class SheetOut(Schema):
    campaign_id: int
    campaign_title: str = Field(description="考核方案名称")
    campaign_state: str = Field(description="考核方案状态代码")
    campaign_state_label: str = Field(description="考核方案状态")
    state: str = Field(description="结果状态：computed 已统分 / submitted 待审核 / reviewed 待签批 / "
                                   "signed 待公布 / published 已公布")
    state_label: str = Field(description="结果状态（中文）")
    locked: bool = Field(description="是否已锁定（提交审核后不能再统分，须重新打开）")
    version: int = Field(description="第几次统分")
    input_digest: str = Field(description="输入数据摘要（SHA-256，审计日志中引用）")
    output_digest: str = Field(description="计算结果摘要（SHA-256）")
    steps: list[StepOut] = Field(description="统分、审核、签批、公布各环节的经办人和时间")
    n: int = Field(description="述职对象人数")
    quota_good_percent: str = Field(description="“好”等次比例上限（%）")
    quota: int = Field(description="“好”等次最多人数 = 人数 × 比例，向下取整")
    thresholds: dict[str, str] = Field(description="等次分数线，如 {\"好\": \"90\"}")
    tie_breaks: list[str] = Field(description="综合得分相同时依次比较的组成部分")
    averages: dict[str, str | None] = Field(description="各组成部分及综合得分（composite）的平均值（精确）")
    grade_labels: list[str] = Field(description="民主测评等次名称（ballot.grades 的顺序）")
    ballot_box: dict[str, Any] = Field(description="民主测评票箱：ID、状态、选票数")
    publish_problems: list[str] = Field(description="阻止公布的票箱核对问题（述职人查看时为空）")
    own_only: bool = Field(description="是否只包含本单位一行（述职人查看）")
    rows: list[RowOut] = Field(description="按名次排列的结果")


class ReviewIn(Schema):
    approve: bool = Field(description="true：审核通过；false：退回（须填写意见）")
    note: str = Field("", max_length=500, description="审核意见（退回时必填）")


class DecideIn(Schema):
    participant_id: int = Field(description="并列跨越“好”等次比例的述职对象 ID")
    grade: str = Field(description="领导小组决定的等次：好 或 较好")
    reason: str = Field(max_length=300, description="决定依据，如会议名称、日期")


class SignIn(Schema):
    reference: str = Field(max_length=300, description="签批依据，如“区委常委会 2026 年第 30 次会议”")


class ReopenIn(Schema):
    reason: str = Field(max_length=2000, description="重新打开的理由（必填，记入审计日志）")


class CheckOut(Schema):
    ok: bool = Field(description="是否全部一致")
    recomputed_identical: bool = Field(description="按保存的输入重新计算，结果与保存的结果一致")
    rows_identical: bool = Field(description="结果表各行（名次、等次、得分）与保存的计算结果一致")
    inputs_current: bool = Field(description="保存的输入与数据库中现有的数据一致")
    stored_digest: str = Field(description="统分时的输入摘要")
    current_digest: str = Field(description="按现有数据计算的输入摘要")
    differences: list[str] = Field(description="发现的差异（中文）")


class FollowUpOut(Schema):
    id: int
    participant_id: int
    unit: str = Field(description="单位")
    secretary: str = Field(description="述职人")
    grade: str = Field(description="触发措施的等次（一般 / 差）")
    kind: str = Field(description="措施代码：talk / criticism / rectify")
    kind_label: str = Field(description="措施：约谈 / 通报批评 / 限期整改")
    responsible: str = Field(description="负责人")
    due_date: date | None = Field(description="完成时限")
    done_at: date | None = Field(description="完成日期（未完成为空）")
    note: str = Field(description="情况说明")


class FollowUpIn(Schema):
    responsible: str = Field("", max_length=100, description="负责人")
    due_date: date | None = Field(None, description="完成时限（YYYY-MM-DD）")
    done_at: date | None = Field(None, description="完成日期（YYYY-MM-DD，不能晚于今天；未完成留空）")
    note: str = Field("", max_length=500, description="情况说明")


# ---------------------------------------------------------------- helpers

def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _sheet(request: HttpRequest, campaign_id: int, *roles: str) -> tuple[User, ResultSheet]:
    user = _user(request)
    check_roles(user, *roles)
    return user, actions.get_sheet(user, campaign_id)


def _own_unit(user: User) -> int:
    """A reporter's unit (get_sheet has already refused a reporter without one)."""
    if user.unit_id is None:
        raise Http404("考核结果不存在或无权查看")
    return user.unit_id


def _name(user: User | None) -> str | None:
    return str(user) if user is not None else None


def _steps(s: ResultSheet) -> list[dict[str, Any]]:
    return [
        {"step": "computed", "label": "统分", "by": _name(s.computed_by), "at": s.computed_at},
        {"step": "submitted", "label": "提交审核", "by": _name(s.submitted_by), "at": s.submitted_at},
        {"step": "reviewed", "label": "审核", "by": _name(s.reviewed_by), "at": s.reviewed_at,
         "note": s.review_note},
        {"step": "signed", "label": "签批", "by": _name(s.signed_by), "at": s.signed_at, "note": s.sign_reference},
        {"step": "published", "label": "公布", "by": _name(s.published_by), "at": s.published_at},
    ]


def _judge_entry(e: dict[str, Any], names: dict[str, str], anonymous: bool) -> dict[str, Any]:
    return {"judge_id": None if anonymous else int(e["judge"]),
            "judge": None if anonymous else names.get(e["judge"], ""),
            "total": e["total"], "display": maths.num(maths.exact(e["total"])), "dropped": e["dropped"]}


def _row(row: Any, out: dict[str, Any], detail: dict[str, Any], names: dict[str, str],
         decision: Any, anonymous: bool) -> dict[str, Any]:
    j = out["judging"]
    return {
        "participant_id": row.participant_id, "unit": detail["unit"], "unit_code": detail["unit_code"],
        "secretary": detail["secretary"], "mode": detail["mode"],
        "rank": row.rank, "grade": row.grade, "threshold_grade": out["threshold_grade"],
        "composite": row.composite or None, "composite_display": row.composite_display or None,
        "components": [dict(c, name=name, label=COMPONENTS[name]) for name, c in out["components"].items()],
        "flags": [{"code": f, "label": maths.FLAG_LABELS.get(f, f)} for f in row.flags],
        "notes": out["notes"],
        "decision": None if decision is None else {
            "grade": decision.grade, "reason": decision.reason, "decided_by": str(decision.decided_by),
            "decided_at": decision.decided_at},
        "explanation": {
            "judging": {"k": j["k"], "judges_expected": j["judges_expected"], "formula": j["formula"],
                        "entries": [_judge_entry(e, names, anonymous) for e in j["entries"]]},
            "ballot": detail["ballot"],
            "veto": out["veto"],
            "routine_source": detail["routine_source"],
            "composite_formula": out["composite_formula"],
        },
    }


def sheet_data(user: User, sheet: ResultSheet) -> dict[str, Any]:
    """The sheet as the user may see it: everything for readers; a reporter their own row, no judge names."""
    reader = actions.is_reader(user)
    c = sheet.campaign
    details = sheet.inputs["details"]
    outputs = sheet.outputs
    by_key = {r["key"]: r for r in outputs["rows"]}
    rows = sheet.rows.select_related("participant")
    if not reader:
        rows = rows.filter(participant__unit_id=_own_unit(user))
    decisions = {d.participant_id: d for d in sheet.decisions.select_related("decided_by")}
    return {
        "campaign_id": c.pk, "campaign_title": c.title, "campaign_state": c.state,
        "campaign_state_label": str(c.get_state_display()),
        "state": sheet.state, "state_label": str(sheet.get_state_display()), "locked": sheet.locked,
        "version": sheet.version, "input_digest": sheet.input_digest, "output_digest": compute.digest(outputs),
        "steps": _steps(sheet),
        "n": outputs["n"], "quota": outputs["quota"],
        "quota_good_percent": str(sheet.inputs["maths"]["scheme"]["quota_good_percent"]),
        "thresholds": outputs["thresholds"], "tie_breaks": outputs["tie_breaks"], "averages": outputs["averages"],
        "grade_labels": details["grade_labels"], "ballot_box": details["ballot"],
        "publish_problems": actions.publish_problems(sheet) if reader else [],
        "own_only": not reader,
        "rows": [_row(r, by_key[str(r.participant_id)], details["reporters"][str(r.participant_id)],
                      details["judges"], decisions.get(r.participant_id), anonymous=not reader)
                 for r in rows],
    }


def _out(user: User, sheet: ResultSheet) -> dict[str, Any]:
    return sheet_data(user, ResultSheet.objects.select_related(
        "campaign", "computed_by", "submitted_by", "reviewed_by", "signed_by", "published_by").get(pk=sheet.pk))


# ---------------------------------------------------------------- the sheet and its workflow

@router.get("/campaigns/{campaign_id}/results", response=SheetOut,
            summary="考核结果（组织部、监督员、点评领导：全部；述职人：公布后仅本单位，不含评委姓名）")
def get_results(request: HttpRequest, campaign_id: int) -> Any:
    user, sheet = _sheet(request, campaign_id, *RESULT_VIEWERS)
    return _out(user, sheet)


@router.post("/campaigns/{campaign_id}/results/compute", response=SheetOut,
             summary="统分（考核方案“统分中”、票箱已封箱；提交审核前可重复）")
def compute_results(request: HttpRequest, campaign_id: int) -> Any:
    user = _user(request)
    check_roles(user, *RESULT_MANAGERS)
    campaign = access.get_campaign(user, campaign_id)
    return _out(user, actions.compute_results(user, campaign))


@router.post("/campaigns/{campaign_id}/results/submit", response=SheetOut, summary="提交审核（结果锁定）")
def submit_results(request: HttpRequest, campaign_id: int) -> Any:
    user, sheet = _sheet(request, campaign_id, *RESULT_MANAGERS)
    return _out(user, actions.submit_results(user, sheet))


@router.post("/campaigns/{campaign_id}/results/review", response=SheetOut,
             summary="审核：通过或退回（须由统分、提交以外的另一位工作人员进行）")
def review_results(request: HttpRequest, campaign_id: int, data: ReviewIn) -> Any:
    user, sheet = _sheet(request, campaign_id, *RESULT_MANAGERS)
    return _out(user, actions.review_results(user, sheet, data.approve, data.note))


@router.post("/campaigns/{campaign_id}/results/decide", response=SheetOut,
             summary="领导小组决定并列跨越“好”等次比例的述职对象的等次（签批前）")
def decide_grade(request: HttpRequest, campaign_id: int, data: DecideIn) -> Any:
    user, sheet = _sheet(request, campaign_id, *RESULT_SIGNERS)
    participant = Participant.objects.select_related("unit").filter(
        pk=data.participant_id, campaign_id=sheet.campaign_id).first()
    if participant is None:
        raise Http404("述职对象不在该考核方案中")
    return _out(user, actions.decide_grade(user, sheet, participant, data.grade, data.reason))


@router.post("/campaigns/{campaign_id}/results/sign", response=SheetOut, summary="领导小组签批")
def sign_results(request: HttpRequest, campaign_id: int, data: SignIn) -> Any:
    user, sheet = _sheet(request, campaign_id, *RESULT_SIGNERS)
    return _out(user, actions.sign_results(user, sheet, data.reference))


@router.post("/campaigns/{campaign_id}/results/publish", response=SheetOut,
             summary="公布（同时公布已封箱的民主测评结果；为“一般”“差”生成后续措施）")
def publish_results(request: HttpRequest, campaign_id: int) -> Any:
    user, sheet = _sheet(request, campaign_id, *RESULT_MANAGERS)
    return _out(user, actions.publish_results(user, sheet))


@router.post("/campaigns/{campaign_id}/results/reopen", response=SheetOut,
             summary="重新打开（回到“已统分”，须写明理由，记入审计日志）")
def reopen_results(request: HttpRequest, campaign_id: int, data: ReopenIn) -> Any:
    user, sheet = _sheet(request, campaign_id, *RESULT_MANAGERS)
    return _out(user, actions.reopen_results(user, sheet, data.reason))


@router.get("/campaigns/{campaign_id}/results/verify", response=CheckOut,
            summary="核对：按保存的输入重新计算并与现有数据比较（记入审计日志）")
def verify_results(request: HttpRequest, campaign_id: int) -> Any:
    user, sheet = _sheet(request, campaign_id, *RESULT_READERS)
    result = actions.verify_results(user, sheet)
    return {"ok": result.ok, "recomputed_identical": result.recomputed_identical,
            "rows_identical": result.rows_identical, "inputs_current": result.inputs_current,
            "stored_digest": result.stored_digest, "current_digest": result.current_digest,
            "differences": result.differences}


# ---------------------------------------------------------------- follow-ups

def _follow_up(fu: FollowUp) -> dict[str, Any]:
    p = fu.participant
    return {"id": fu.pk, "participant_id": p.pk, "unit": p.unit.name,
            "secretary": p.secretary.name if p.secretary_id else "", "grade": fu.grade, "kind": fu.kind,
            "kind_label": str(fu.get_kind_display()), "responsible": fu.responsible, "due_date": fu.due_date,
            "done_at": fu.done_at, "note": fu.note}


@router.get("/campaigns/{campaign_id}/follow-ups", response=list[FollowUpOut],
            summary="“一般”“差”等次的后续措施（约谈、通报批评、限期整改）；述职人：公布后仅本单位")
def list_follow_ups(request: HttpRequest, campaign_id: int) -> Any:
    user, sheet = _sheet(request, campaign_id, *RESULT_VIEWERS)
    # Measures in the order domain.md lists them (约谈, 通报批评, 限期整改), not by their codes.
    kind_order = Case(*(When(kind=k, then=Value(i)) for i, k in enumerate(FollowUpKind.values)))
    qs = (FollowUp.objects.filter(campaign_id=sheet.campaign_id)
          .select_related("participant__unit", "participant__secretary")
          .order_by("participant__mode", "participant__speaking_order", "participant__unit__sort_order", kind_order))
    if not actions.is_reader(user):
        qs = qs.filter(participant__unit_id=_own_unit(user))
    return [_follow_up(fu) for fu in qs]


@router.put("/follow-ups/{follow_up_id}", response=FollowUpOut, summary="更新后续措施：负责人、时限、完成情况")
def update_follow_up(request: HttpRequest, follow_up_id: int, data: FollowUpIn) -> Any:
    user = _user(request)
    check_roles(user, *RESULT_MANAGERS)
    fu = FollowUp.objects.filter(pk=follow_up_id, campaign__in=access.visible_campaigns(user)).first()
    if fu is None:
        raise Http404("后续措施不存在或无权查看")
    change = actions.FollowUpChange(responsible=data.responsible, due_date=data.due_date, done_at=data.done_at,
                                    note=data.note)
    return _follow_up(actions.update_follow_up(user, fu, change))
