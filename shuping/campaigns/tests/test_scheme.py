"""Scheme validation: one test per rule, each with the Chinese message the organiser sees. Pure: no database."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from shuping.campaigns.scheme import default_scheme, parse_share, validate_scheme


def errors_with(**changes: Any) -> list[str]:
    s = default_scheme()
    s.update(changes)
    return validate_scheme(s)


def test_the_default_scheme_is_valid():
    assert validate_scheme(default_scheme()) == []


def test_it_reports_missing_items():
    s = default_scheme()
    del s["trim_k"]
    assert validate_scheme(s) == ["方案缺少项目：trim_k"]


def test_it_rejects_voter_weights_not_summing_to_100():
    groups = [{"name": "区委领导", "weight": "20"}, {"name": "党代表", "weight": "30"}]
    assert "测评人员类别权重合计应为 100%，当前为 50%" in errors_with(voter_groups=groups)


def test_it_rejects_component_weights_not_summing_to_100():
    cw = {"judging": "30", "ballot": "40", "routine": "20", "rectification": "20"}
    assert "综合得分各组成部分权重合计应为 100%，当前为 110%" in errors_with(component_weights=cw)


def test_it_accepts_decimal_weights_that_sum_exactly():
    groups = [{"name": "甲", "weight": "33.33"}, {"name": "乙", "weight": "33.33"}, {"name": "丙", "weight": "33.34"}]
    assert errors_with(voter_groups=groups) == []


def test_it_rejects_indicators_not_summing_to_100():
    ind = [{"name": "述职内容", "max_points": "30"}, {"name": "工作成效", "max_points": "40"}]
    assert "评分指标满分合计应为 100 分，当前为 70 分" in errors_with(judge_indicators=ind)


def test_it_rejects_thresholds_out_of_order():
    errs = errors_with(grade_thresholds={"好": "80", "较好": "90", "一般": "70"})
    assert "等次分数线应满足 0 ≤ 一般 < 较好 < 好 ≤ 100，当前为 好 80、较好 90、一般 70" in errs


def test_it_rejects_a_threshold_above_100():
    errs = errors_with(grade_thresholds={"好": "101", "较好": "80", "一般": "70"})
    assert any(e.startswith("等次分数线应满足") for e in errs)


def test_it_rejects_too_few_judges_for_k():
    assert "去掉最高、最低各 2 个分数后至少要留 1 个，最少评委数应不少于 5" in errors_with(trim_k=2, trim_min_judges=4)


def test_it_accepts_k_zero_with_one_judge():
    assert errors_with(trim_k=0, trim_min_judges=1) == []


def test_it_rejects_a_bad_number():
    groups = [{"name": "区委领导", "weight": "二十"}, {"name": "党代表", "weight": "80"}]
    assert "测评人员类别“区委领导”的权重：“二十”不是有效的数字" in errors_with(voter_groups=groups)


def test_it_rejects_infinite_and_not_a_number():
    assert "“好”等次比例上限：“NaN”不是有效的数字" in errors_with(quota_good_percent="NaN")


def test_it_rejects_a_non_integer_k():
    assert "去掉最高、最低分的个数 k：“1.5”不是整数" in errors_with(trim_k="1.5")


def test_it_rejects_speaking_minutes_out_of_range():
    assert "现场述职时间（分钟）应在 1 到 60 之间，当前为 0" in errors_with(speaking_minutes=0)


def test_it_rejects_duplicate_voter_groups():
    groups = [{"name": "党代表", "weight": "50"}, {"name": "党代表", "weight": "50"}]
    assert "测评人员类别第 2 行：名称“党代表”重复" in errors_with(voter_groups=groups)


def test_it_rejects_duplicate_indicators():
    ind = [{"name": "工作成效", "max_points": "50"}, {"name": "工作成效", "max_points": "50"}]
    assert "评分指标第 2 行：名称“工作成效”重复" in errors_with(judge_indicators=ind)


def test_it_rejects_blank_names():
    groups = [{"name": " ", "weight": "100"}]
    assert "测评人员类别第 1 行：名称不能为空" in errors_with(voter_groups=groups)


def test_it_rejects_no_voter_groups():
    assert "至少需要一个测评人员类别" in errors_with(voter_groups=[])


def test_it_rejects_zero_weight_groups():
    groups = [{"name": "甲", "weight": "0"}, {"name": "乙", "weight": "100"}]
    assert "测评人员类别的权重应大于 0" in errors_with(voter_groups=groups)


def test_it_rejects_grade_points_not_decreasing():
    grades = [{"label": "好", "points": "100"}, {"label": "较好", "points": "60"},
              {"label": "一般", "points": "80"}, {"label": "差", "points": "0"}]
    assert "测评等次分值应从“好”到“差”依次递减" in errors_with(ballot_grades=grades)


def test_it_rejects_renamed_grades():
    grades = [{"label": "优秀", "points": "100"}, {"label": "较好", "points": "80"},
              {"label": "一般", "points": "60"}, {"label": "差", "points": "0"}]
    assert "测评等次应依次为：好、较好、一般、差" in errors_with(ballot_grades=grades)


def test_it_rejects_a_quota_above_100():
    assert "“好”等次比例上限应在 0 到 100 之间，当前为 120%" in errors_with(quota_good_percent="120")


def test_it_rejects_a_veto_share_outside_0_and_1():
    assert "一票否决的“差”票比例应在 0 和 1 之间，当前为 3/2" in errors_with(veto_bad_share="3/2")


def test_it_rejects_an_unreadable_veto_share():
    assert "一票否决的“差”票比例“三分之一”无法识别，请写成 1/3 或 0.33" in errors_with(veto_bad_share="三分之一")


def test_veto_share_reads_fractions_and_decimals():
    assert parse_share("1/3") == Fraction(1, 3)
    assert parse_share(" 0.5 ") == Fraction(1, 2)
    # Exact: 4 差 out of 12 valid is not above one third; 5 of 12 is.
    assert not Fraction(4, 12) > parse_share("1/3")
    assert Fraction(5, 12) > parse_share("1/3")


def test_it_rejects_duplicate_tie_breaks():
    assert "同分比较顺序只能由不重复的综合得分组成部分构成" in errors_with(tie_breaks=["ballot", "ballot"])


def test_it_rejects_unknown_tie_breaks():
    assert "同分比较顺序只能由不重复的综合得分组成部分构成" in errors_with(tie_breaks=["seniority"])


def test_it_accepts_no_tie_breaks():
    assert errors_with(tie_breaks=[]) == []


def test_it_reports_every_problem_at_once():
    errs = errors_with(trim_k=3, trim_min_judges=2, speaking_minutes=0, quota_good_percent="120")
    assert len(errs) == 3
