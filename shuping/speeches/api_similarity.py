"""JSON API of the 材料雷同 check: a campaign's suspicious report pairs with their shared passages.

Same access and cache as the page (shuping/speeches/checks.py): organisers and observers; a campaign the user
may not see answers 404, other roles 403.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from shuping.speeches import checks

router = Router(tags=["讲话与点评·材料雷同"])


class ReportRef(Schema):
    report_id: int
    unit: str
    secretary: str
    year: int = Field(description="考核年度")


class PassageOut(Schema):
    a_start: int = Field(description="在报告 a 全文中的起始字符位置（全文 = 各部分按表单顺序、以空行连接）")
    a_end: int
    b_start: int
    b_end: int
    length: int = Field(description="去掉标点和空白后的字数")
    text: str = Field(description="报告 a 中的这段文字")


class PairOut(Schema):
    a: ReportRef = Field(description="本年度报告")
    b: ReportRef = Field(description="对照报告：其他单位本年度报告，或本单位上年度报告")
    kind: str = Field(description="last_year 与本单位上年 / other 与其他单位")
    kind_label: str
    score: str = Field(description="雷同比例 0–1（字符串以保持精确）：cover_a、cover_b 中较高者")
    cover_a: str = Field(description="雷同段落占报告 a 的比例")
    cover_b: str
    passages: list[PassageOut]


class PairsOut(Schema):
    campaign_id: int
    previous_campaign_id: int | None = Field(description="上年度考核方案（同一考核主体）")
    reports_checked: int = Field(description="本年度已提交或已通过的报告数")
    previous_reports: int
    pairs: list[PairOut] = Field(description="按雷同比例从高到低")


class PairFilter(Schema):
    min_score: Decimal = Field(Decimal("0.1"), ge=0, le=1, description="只列出雷同比例不低于此值的（0–1）")
    kind: str = Field("", description="last_year / other；空为全部")


def _ref(check: checks.CampaignCheck, key: Any) -> dict[str, Any]:
    r = check.reports[cast(int, key)]
    return {"report_id": r.id, "unit": r.unit, "secretary": r.secretary, "year": r.year}


@router.get("/speeches/similarity/{campaign_id}/pairs", response=PairsOut, summary="材料雷同：可疑报告对及雷同段落")
def pairs(request: HttpRequest, campaign_id: int, filters: Query[PairFilter]) -> Any:
    _, check = checks.campaign_check(request.user, campaign_id)  # type: ignore[arg-type]
    out = []
    for p in checks.filter_pairs(check, filters.min_score, filters.kind):
        text = check.reports[cast(int, p.a)].text
        out.append({
            "a": _ref(check, p.a), "b": _ref(check, p.b), "kind": p.kind, "kind_label": p.kind_label,
            "score": str(p.score), "cover_a": str(p.cover_a), "cover_b": str(p.cover_b),
            "passages": [{"a_start": x.a_start, "a_end": x.a_end, "b_start": x.b_start, "b_end": x.b_end,
                          "length": x.length, "text": text[x.a_start:x.a_end]} for x in p.passages],
        })
    return {"campaign_id": check.campaign_id, "previous_campaign_id": check.previous_id,
            "reports_checked": check.n_current, "previous_reports": check.n_previous, "pairs": out}
