"""The campaign scheme (考核方案): defaults from domain.md and validation. Pure, no Django models.

A scheme is stored as JSON with every number as a string, so Decimals survive exactly.
"""

from __future__ import annotations

import copy
import itertools
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

COMPONENTS = {
    "judging": "现场/书面评分",
    "ballot": "民主测评",
    "routine": "日常考核",
    "rectification": "整改成效",
}
GRADE_LABELS = ["好", "较好", "一般", "差"]
HUNDRED = Decimal(100)

DEFAULT_SCHEME: dict[str, Any] = {
    "ballot_grades": [
        {"label": "好", "points": "100"},
        {"label": "较好", "points": "80"},
        {"label": "一般", "points": "60"},
        {"label": "差", "points": "0"},
    ],
    "ballot_items": [],
    "voter_groups": [
        {"name": "区委领导", "weight": "20"},
        {"name": "领导小组成员", "weight": "30"},
        {"name": "党代表", "weight": "25"},
        {"name": "基层党员群众代表", "weight": "25"},
    ],
    "min_group_size_shown": 5,
    "judge_indicators": [
        {"name": "述职内容", "max_points": "30"},
        {"name": "工作成效", "max_points": "40"},
        {"name": "问题查摆与整改", "max_points": "20"},
        {"name": "现场表现", "max_points": "10"},
    ],
    "trim_k": 1,
    "trim_min_judges": 5,
    "component_weights": {"judging": "30", "ballot": "40", "routine": "20", "rectification": "10"},
    "grade_thresholds": {"好": "90", "较好": "80", "一般": "70"},
    "quota_good_percent": "30",
    "veto_enabled": True,
    "veto_bad_share": "1/3",
    "tie_breaks": ["ballot", "judging"],
    "report_days_before_meeting": 10,
    "speaking_minutes": 6,
    "progress_report_months": 3,
}


def default_scheme() -> dict[str, Any]:
    return copy.deepcopy(DEFAULT_SCHEME)


def _dec(value: Any, where: str, errors: list[str]) -> Decimal | None:
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors.append(f"{where}：“{value}”不是有效的数字")
        return None
    if not d.is_finite():
        errors.append(f"{where}：“{value}”不是有效的数字")
        return None
    return d


def _int(value: Any, where: str, errors: list[str], lo: int, hi: int) -> int | None:
    try:
        i = int(str(value).strip())
    except ValueError:
        errors.append(f"{where}：“{value}”不是整数")
        return None
    if not lo <= i <= hi:
        errors.append(f"{where}应在 {lo} 到 {hi} 之间，当前为 {i}")
        return None
    return i


def _all(values: list[Decimal | None]) -> list[Decimal] | None:
    """The values when every one parsed, else None (the parse errors are already recorded)."""
    return None if any(v is None for v in values) else [v for v in values if v is not None]


def parse_share(text: str) -> Fraction:
    """'1/3' or '0.33' → an exact Fraction (1/3 stays 1/3, so "差 > 1/3" is decided exactly)."""
    text = str(text).strip()
    if "/" in text:
        num, den = text.split("/", 1)
        return Fraction(Decimal(num.strip())) / Fraction(Decimal(den.strip()))
    return Fraction(Decimal(text))


def _names(rows: list[dict[str, Any]], key: str, what: str, errors: list[str]) -> None:
    seen: set[str] = set()
    for i, row in enumerate(rows, 1):
        name = str(row.get(key, "")).strip()
        if not name:
            errors.append(f"{what}第 {i} 行：名称不能为空")
        elif name in seen:
            errors.append(f"{what}第 {i} 行：名称“{name}”重复")
        seen.add(name)


def validate_scheme(s: dict[str, Any]) -> list[str]:
    """All the reasons this scheme is inconsistent, in Chinese; empty when it is valid."""
    errors: list[str] = []
    missing = [k for k in DEFAULT_SCHEME if k not in s]
    if missing:
        return [f"方案缺少项目：{'、'.join(missing)}"]

    grades = s["ballot_grades"]
    if [str(g.get("label", "")).strip() for g in grades] != GRADE_LABELS:
        errors.append("测评等次应依次为：好、较好、一般、差")
    points = _all([_dec(g.get("points"), f"测评等次“{g.get('label')}”的分值", errors) for g in grades])
    if points is not None:
        if any(p < 0 or p > HUNDRED for p in points):
            errors.append("测评等次分值应在 0 到 100 之间")
        if any(a <= b for a, b in itertools.pairwise(points)):
            errors.append("测评等次分值应从“好”到“差”依次递减")

    _names([{"name": n} for n in s["ballot_items"]], "name", "测评分项", errors)

    groups = s["voter_groups"]
    if not groups:
        errors.append("至少需要一个测评人员类别")
    _names(groups, "name", "测评人员类别", errors)
    weights = _all([_dec(g.get("weight"), f"测评人员类别“{g.get('name')}”的权重", errors) for g in groups])
    if groups and weights is not None:
        if any(w <= 0 for w in weights):
            errors.append("测评人员类别的权重应大于 0")
        total = sum(weights, Decimal(0))
        if total != HUNDRED:
            errors.append(f"测评人员类别权重合计应为 100%，当前为 {total}%")
    _int(s["min_group_size_shown"], "类别明细最少显示票数", errors, 1, 1000)

    indicators = s["judge_indicators"]
    if not indicators:
        errors.append("至少需要一个评分指标")
    _names(indicators, "name", "评分指标", errors)
    maxes = _all([_dec(i.get("max_points"), f"评分指标“{i.get('name')}”的满分", errors) for i in indicators])
    if indicators and maxes is not None:
        if any(m <= 0 for m in maxes):
            errors.append("评分指标的满分应大于 0")
        total = sum(maxes, Decimal(0))
        if total != HUNDRED:
            errors.append(f"评分指标满分合计应为 100 分，当前为 {total} 分")

    k = _int(s["trim_k"], "去掉最高、最低分的个数 k", errors, 0, 10)
    min_judges = _int(s["trim_min_judges"], "去掉最高、最低分所需的最少评委数", errors, 1, 100)
    if k is not None and min_judges is not None and min_judges < 2 * k + 1:
        errors.append(f"去掉最高、最低各 {k} 个分数后至少要留 1 个，最少评委数应不少于 {2 * k + 1}")

    cw = s["component_weights"]
    if set(cw) != set(COMPONENTS):
        errors.append("综合得分的组成应为：" + "、".join(COMPONENTS.values()))
    else:
        cws = _all([_dec(cw[c], f"“{label}”的权重", errors) for c, label in COMPONENTS.items()])
        if cws is not None:
            if any(w < 0 for w in cws):
                errors.append("综合得分各组成部分的权重不能为负")
            total = sum(cws, Decimal(0))
            if total != HUNDRED:
                errors.append(f"综合得分各组成部分权重合计应为 100%，当前为 {total}%")

    th = s["grade_thresholds"]
    if set(th) != {"好", "较好", "一般"}:
        errors.append("等次分数线应包括：好、较好、一般")
    else:
        good = _dec(th["好"], "“好”的分数线", errors)
        fair = _dec(th["较好"], "“较好”的分数线", errors)
        ok = _dec(th["一般"], "“一般”的分数线", errors)
        if good is not None and fair is not None and ok is not None and not (0 <= ok < fair < good <= HUNDRED):
            errors.append(f"等次分数线应满足 0 ≤ 一般 < 较好 < 好 ≤ 100，当前为 好 {good}、较好 {fair}、一般 {ok}")

    quota = _dec(s["quota_good_percent"], "“好”等次比例上限", errors)
    if quota is not None and not 0 <= quota <= HUNDRED:
        errors.append(f"“好”等次比例上限应在 0 到 100 之间，当前为 {quota}%")

    if not isinstance(s["veto_enabled"], bool):
        errors.append("一票否决开关应为是或否")
    try:
        share = parse_share(s["veto_bad_share"])
        if not 0 < share < 1:
            errors.append(f"一票否决的“差”票比例应在 0 和 1 之间，当前为 {s['veto_bad_share']}")
    except (InvalidOperation, ValueError, ZeroDivisionError):
        errors.append(f"一票否决的“差”票比例“{s['veto_bad_share']}”无法识别，请写成 1/3 或 0.33")

    tb = s["tie_breaks"]
    if not isinstance(tb, list) or any(t not in COMPONENTS for t in tb) or len(set(tb)) != len(tb):
        errors.append("同分比较顺序只能由不重复的综合得分组成部分构成")

    _int(s["report_days_before_meeting"], "述职报告提前提交天数", errors, 0, 90)
    _int(s["speaking_minutes"], "现场述职时间（分钟）", errors, 1, 60)
    _int(s["progress_report_months"], "整改进展报送周期（月）", errors, 1, 12)
    return errors
