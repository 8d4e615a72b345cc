"""JSON API of 统计分析: the same chart data (and tables) as the pages, through the same loaders and rules."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from shuping.exports import analytics

router = Router(tags=["统计分析"])


class ChartOut(Schema):
    id: str
    title: str
    kind: str = Field(description="bar / stacked / line / heatmap / range / deviation")
    labels: list[str] = Field(description="类目轴（述职对象、等次、年度或单位）")
    series: list[dict[str, Any]] = Field(description="每个系列：name 与 data（与 labels 一一对应；数值为两位小数字符串或整数）")
    header: list[str] = Field(description="表格表头")
    rows: list[list[str]] = Field(description="表格行：与图表相同的数字")
    unit: str
    note: str


class CampaignChartsOut(Schema):
    campaign_id: int
    sheet_state: str | None = Field(description="考核结果状态；尚未统分时为空")
    judges_shown: bool = Field(description="是否含评委打分校准（仅组织部和监督员）")
    charts: list[ChartOut]


class MultiYearOut(Schema):
    unit_id: int | None = Field(description="历年得分所选单位")
    unit_bound: bool = Field(description="仅本单位（述职人、整改责任人）")
    recurring: list[dict[str, Any]] = Field(description="同一单位在多个年度出现的问题类别")
    charts: list[ChartOut]


def _charts(charts: list[analytics.Chart]) -> list[dict[str, Any]]:
    return [c.as_data() for c in charts]


@router.get("/exports/analytics/campaigns/{campaign_id}", response=CampaignChartsOut, summary="考核方案的统计图表数据")
def campaign_charts(request: HttpRequest, campaign_id: int) -> dict[str, Any]:
    a = analytics.campaign_charts(request.user, campaign_id)  # type: ignore[arg-type]
    return {"campaign_id": a.campaign.pk, "sheet_state": a.sheet.state if a.sheet else None,
            "judges_shown": a.judges_shown, "charts": _charts(a.charts)}


@router.get("/exports/analytics/multi-year", response=MultiYearOut, summary="多年度统计图表数据")
def multi_year(request: HttpRequest, unit: int | None = None) -> dict[str, Any]:
    m = analytics.multi_year_charts(request.user, unit)  # type: ignore[arg-type]
    return {"unit_id": m.unit.pk if m.unit else None, "unit_bound": m.unit_bound,
            "recurring": [{"unit": u, "category": c, "years": y} for u, c, y in m.recurring],
            "charts": _charts(m.charts)}
