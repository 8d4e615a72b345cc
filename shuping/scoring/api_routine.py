"""JSON API of 日常考核 (see scoring/views_routine.py for the page): the same actions and access helper.

Organisers download the template and import; observers and chairs read the scores. A refused file answers
422 with `errors`: the same messages as the page, each naming file, sheet, row and column.
"""
# No `from __future__ import annotations`: django-ninja reads the annotations at run time.

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Router, Schema
from ninja.files import UploadedFile

from shuping.accounts import access
from shuping.accounts.access import SCORING_MANAGERS, check_roles
from shuping.core.downloads import attachment
from shuping.scoring import actions_routine, routine
from shuping.scoring.routine_rules import MAX_BYTES

router = Router(tags=["日常考核"])


class RoutineScoreOut(Schema):
    participant_id: int = Field(description="述职对象 ID")
    unit_code: str = Field(description="单位代码")
    unit_name: str = Field(description="单位名称")
    secretary: str = Field(description="述职人")
    score: str | None = Field(description="日常考核得分（0–100，2 位小数，字符串以保持精确）；null 表示没有得分，"
                                          "综合得分中该项不计入")
    source: str | None = Field(description="来源：文件名 工作表 第 N 行")
    imported_at: str | None = Field(description="导入时间（ISO 8601）")
    imported_by: str | None = Field(description="导入人用户名")


class ImportedOut(Schema):
    unit_code: str
    score: str
    previous: str | None = Field(description="导入前的得分；null 表示原来没有")
    row: int = Field(description="文件中的行号")


class UnscoredOut(Schema):
    unit_code: str
    unit_name: str
    previous: str | None = Field(description="导入前的得分（已清除）；null 表示原来也没有")


class ImportOut(Schema):
    file: str
    sha256: str
    count: int = Field(description="有得分的述职对象数")
    changed: int = Field(description="新增或改变的得分数")
    summary: str
    scores: list[ImportedOut]
    without_score: list[UnscoredOut] = Field(description="文件中没有、因此没有日常考核得分的述职对象")


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


@router.get("/campaigns/{campaign_id}/routine-scores", response=list[RoutineScoreOut],
            summary="日常考核得分（每个述职对象一行）")
def scores(request: HttpRequest, campaign_id: int) -> list[dict[str, Any]]:
    user: Any = request.user
    check_roles(user, *actions_routine.READERS)
    campaign = access.get_campaign(user, campaign_id)
    out = []
    for p in routine.participants(campaign):
        s = routine.score_of(p)
        out.append({
            "participant_id": p.pk, "unit_code": p.unit.code, "unit_name": p.unit.name, "secretary": p.secretary.name,
            "score": _text(s.score) if s else None, "source": s.source if s else None,
            "imported_at": s.imported_at.isoformat() if s else None,
            "imported_by": s.imported_by.username if s else None,
        })
    return out


@router.get("/campaigns/{campaign_id}/routine-scores/template", summary="下载日常考核得分模板（.xlsx，含述职对象和现有得分）",
            response={200: None})
def template(request: HttpRequest, campaign_id: int) -> HttpResponse:
    user: Any = request.user
    check_roles(user, *SCORING_MANAGERS)
    campaign = access.get_campaign(user, campaign_id)
    resp = HttpResponse(actions_routine.template(user, campaign), content_type=routine.XLSX_TYPE)
    resp["Content-Disposition"] = attachment(routine.template_name(campaign), f"routine-{campaign.year}.xlsx")
    return resp


@router.post("/campaigns/{campaign_id}/routine-scores/import", response=ImportOut,
             summary="导入日常考核得分（multipart 上传 .xlsx，字段名 file；全部校验通过才替换本方案的全部得分）")
def import_scores(request: HttpRequest, campaign_id: int, file: File[UploadedFile]) -> dict[str, Any]:
    user: Any = request.user
    check_roles(user, *SCORING_MANAGERS)
    campaign = access.get_campaign(user, campaign_id)
    result = actions_routine.import_routine(user, campaign, file.read(MAX_BYTES + 1), file.name or "")
    return {
        "file": result.filename, "sha256": result.sha256, "count": len(result.scores), "changed": result.changed,
        "summary": result.summary(),
        "scores": [{"unit_code": s.code, "score": str(s.score), "previous": _text(s.previous), "row": s.row}
                   for s in result.scores],
        "without_score": [{"unit_code": u.code, "unit_name": u.unit, "previous": _text(u.previous)}
                          for u in result.without_score],
    }
