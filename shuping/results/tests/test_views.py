"""考核结果 pages: who may open and act, the whole workflow through the pages, what the explanations say,
the reporter's own view, follow-ups and the observer's check.

Expected numbers are the hand-computed ones of the `scored` campaign (conftest.py's docstring).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from shuping.audit.models import AuditEvent
from shuping.campaigns.models import CampaignState
from shuping.conftest import make_user
from shuping.results import actions, explain, maths
from shuping.results.models import FollowUp, ResultSheet, SheetState
from shuping.scoring.models import RoutineScore

READERS = ["organiser", "organiser2", "observer", "chair"]
NOT_READERS = ["judge", "teller", "admin", "owner", "reporter", "other_reporter", "nobody"]


def who(users: Any, scored: Any, name: str) -> Any:
    return scored.organiser2 if name == "organiser2" else getattr(users, name)


def url(scored: Any, page: str = "") -> str:
    return f"/results/campaign/{scored.campaign.pk}/{page}"


def explain_url(scored: Any, participant: Any, what: str) -> str:
    return url(scored, f"explain/{participant.pk}/{what}/")


def html_of(response: Any) -> str:
    return response.content.decode()


def computed(users: Any, scored: Any) -> ResultSheet:
    return actions.compute_results(users.organiser, scored.campaign)


def published(users: Any, scored: Any) -> ResultSheet:
    sheet = computed(users, scored)
    actions.submit_results(users.organiser, sheet)
    actions.review_results(scored.organiser2, sheet, approve=True)
    actions.sign_results(users.chair, sheet, "区委常委会 2026 年第 3 次会议")
    return actions.publish_results(users.organiser, sheet)


@pytest.fixture
def tied(scored):
    """Only 日常考核 counts, east and west both 95, no tie-break, 好 for at most 1 of 3: east and west
    share rank 1 across the quota boundary."""
    scheme = dict(scored.campaign.scheme)
    scheme.update(quota_good_percent="50", tie_breaks=[],
                  component_weights={"judging": "0", "ballot": "0", "routine": "100", "rectification": "0"})
    scored.campaign.scheme = scheme
    scored.campaign.save()
    RoutineScore.objects.filter(participant=scored.west).update(score=Decimal("95"))
    return scored


# ---------------------------------------------------------------- who may open what

@pytest.mark.parametrize("name", READERS)
def test_result_readers_open_home_page_explanations_and_follow_ups(users, scored, client_for, name):
    computed(users, scored)
    c = client_for(who(users, scored, name))
    assert c.get("/results/").status_code == 200
    assert "96.89" in html_of(c.get(url(scored)))
    assert c.get(explain_url(scored, scored.east, "composite")).status_code == 200
    assert c.get(url(scored, "average/judging/")).status_code == 200
    assert c.get(url(scored, "follow-ups/")).status_code == 200


@pytest.mark.parametrize("name", NOT_READERS)
def test_others_may_not_open_the_results_page(users, scored, client_for, name):
    computed(users, scored)
    c = client_for(getattr(users, name))
    assert c.get(url(scored)).status_code == 403
    assert c.get(explain_url(scored, scored.east, "composite")).status_code == 403
    assert c.get(url(scored, "average/judging/")).status_code == 403
    assert c.get(url(scored, "follow-ups/")).status_code == 403


@pytest.mark.parametrize("name", ["judge", "teller", "admin", "owner", "nobody"])
def test_the_results_home_is_for_readers_and_reporters_only(users, scored, client_for, name):
    assert client_for(getattr(users, name)).get("/results/").status_code == 403


def test_anonymous_users_are_sent_to_log_in(users, scored, client):
    computed(users, scored)
    for path in ("/results/", url(scored), explain_url(scored, scored.east, "judging"), url(scored, "mine/"),
                 url(scored, "follow-ups/")):
        r = client.get(path)
        assert r.status_code == 302 and "/login/" in r["Location"], path
    r = client.post(url(scored, "compute/"))
    assert r.status_code == 302 and "/login/" in r["Location"]


def test_a_draft_campaign_is_invisible_to_the_chair(users, scored, client_for):
    scored.campaign.state = CampaignState.DRAFT
    scored.campaign.save()
    assert client_for(users.chair).get(url(scored)).status_code == 404
    assert client_for(users.organiser).get(url(scored)).status_code == 200


def test_unknown_rows_and_items_are_404(users, scored, client_for):
    c = client_for(users.organiser)
    assert c.get(explain_url(scored, scored.east, "judging")).status_code == 404  # not computed yet
    computed(users, scored)
    assert c.get(url(scored, "explain/999999/judging/")).status_code == 404
    assert c.get(explain_url(scored, scored.east, "salary")).status_code == 404
    assert c.get(url(scored, "average/salary/")).status_code == 404
    assert c.get("/results/campaign/999999/").status_code == 404


POSTS = [("compute/", {}), ("submit/", {}), ("review/", {"decision": "approve"}), ("publish/", {}),
         ("reopen/", {"reason": "x"})]


@pytest.mark.parametrize("name", ["observer", "chair", "judge", "reporter", "other_reporter", "nobody"])
def test_only_organisers_run_the_workflow(users, scored, client_for, name):
    sheet = computed(users, scored)
    c = client_for(getattr(users, name))
    for path, data in POSTS:
        assert c.post(url(scored, path), data).status_code == 403, path
    sheet.refresh_from_db()
    assert (sheet.state, sheet.version) == (SheetState.COMPUTED, 1)


@pytest.mark.parametrize("name", ["observer", "judge", "reporter", "nobody"])
def test_only_organisers_and_the_chair_sign_and_decide(users, scored, client_for, name):
    computed(users, scored)
    c = client_for(getattr(users, name))
    assert c.post(url(scored, "sign/"), {"reference": "常委会"}).status_code == 403
    assert c.post(url(scored, f"decide/{scored.east.pk}/"), {"grade": "好", "reason": "常委会"}).status_code == 403


@pytest.mark.parametrize("name", ["chair", "judge", "reporter", "nobody"])
def test_only_the_observer_and_organisers_verify(users, scored, client_for, name):
    computed(users, scored)
    assert client_for(getattr(users, name)).post(url(scored, "verify/")).status_code == 403


def test_workflow_urls_refuse_get(users, scored, client_for):
    computed(users, scored)
    c = client_for(users.organiser)
    for path in ("compute/", "submit/", "review/", "sign/", "publish/", "reopen/", "verify/",
                 f"decide/{scored.east.pk}/"):
        assert c.get(url(scored, path)).status_code == 405, path


# ---------------------------------------------------------------- the workflow through the pages

def test_the_whole_workflow_through_the_pages(users, scored, client_for):
    org, org2, chair = client_for(users.organiser), client_for(scored.organiser2), client_for(users.chair)

    html = html_of(org.get(url(scored)))
    assert 'data-testid="compute"' in html and "尚未统分" in html
    html = html_of(org.post(url(scored, "compute/"), follow=True))
    assert "已统分" in html and 'data-testid="results"' in html
    assert 'data-testid="submit"' in html and 'data-testid="reopen"' not in html

    html = html_of(org.post(url(scored, "submit/"), follow=True))
    assert "已提交审核" in html and "待审核" in html
    # The organiser who computed and submitted sees why they cannot review; the action refuses anyway.
    assert 'data-testid="review-blocked"' in html and 'data-testid="approve"' not in html
    html = html_of(org.post(url(scored, "review/"), {"decision": "approve"}, follow=True))
    assert "审核须由统分、提交以外的另一位工作人员进行" in html
    assert ResultSheet.objects.get().state == SheetState.SUBMITTED

    html = html_of(org2.get(url(scored)))
    assert 'data-testid="approve"' in html and 'data-testid="review-blocked"' not in html
    html = html_of(org2.post(url(scored, "review/"), {"decision": "approve", "note": "数据核对无误"}, follow=True))
    assert "审核通过" in html and "已审核，待签批" in html

    html = html_of(chair.get(url(scored)))
    assert 'data-testid="sign"' in html and 'data-testid="publish"' not in html
    html = html_of(chair.post(url(scored, "sign/"), {"reference": " "}, follow=True))
    assert "请填写签批依据" in html
    html = html_of(chair.post(url(scored, "sign/"), {"reference": "区委常委会 2026 年第 30 次会议"}, follow=True))
    assert "已签批" in html and "区委常委会 2026 年第 30 次会议" in html

    html = html_of(org.post(url(scored, "publish/"), follow=True))
    assert "已公布考核结果" in html and "已公布，结果已锁定" in html
    sheet = ResultSheet.objects.get()
    assert sheet.state == SheetState.PUBLISHED
    assert (sheet.computed_by, sheet.submitted_by, sheet.reviewed_by, sheet.signed_by, sheet.published_by) == (
        users.organiser, users.organiser, scored.organiser2, users.chair, users.organiser)
    for name in ("组织部小王", "组织部小李", "chair"):
        assert name in html

    html = html_of(org.post(url(scored, "reopen/"), {"reason": ""}, follow=True))
    assert "重新打开考核结果必须填写理由" in html
    html = html_of(org.post(url(scored, "reopen/"), {"reason": "日常考核分数录入有误"}, follow=True))
    assert "已重新打开考核结果" in html
    sheet.refresh_from_db()
    scored.campaign.refresh_from_db()
    assert sheet.state == SheetState.COMPUTED and scored.campaign.state == CampaignState.TALLYING
    assert AuditEvent.objects.filter(action="results.reopen", summary__contains="日常考核分数录入有误").exists()


def test_returning_needs_a_note_and_shows_it(users, scored, client_for):
    sheet = computed(users, scored)
    actions.submit_results(users.organiser, sheet)
    org2 = client_for(scored.organiser2)
    assert "退回须填写审核意见" in html_of(org2.post(url(scored, "review/"), {"decision": "return"}, follow=True))
    html = html_of(org2.post(url(scored, "review/"), {"decision": "return", "note": "西城日常考核分数待核实"},
                             follow=True))
    assert "已退回" in html and "西城日常考核分数待核实" in html and 'data-testid="review-note"' in html
    sheet.refresh_from_db()
    assert sheet.state == SheetState.COMPUTED


def test_computing_outside_tallying_shows_why(users, scored, client_for):
    scored.campaign.state = CampaignState.MEETING
    scored.campaign.save()
    c = client_for(users.organiser)
    html = html_of(c.get(url(scored)))
    assert 'data-testid="not-tallying"' in html and "只能在“统分中”统分" in html
    r = c.post(url(scored, "compute/"), follow=True)
    assert r.status_code == 200
    assert "考核方案处于“会议中”状态，只能在“统分中”统分" in html_of(r)
    assert not ResultSheet.objects.exists()


def test_the_chair_sees_no_compute_button(users, scored, client_for):
    html = html_of(client_for(users.chair).get(url(scored)))
    assert "尚未统分" in html and 'data-testid="compute"' not in html


def test_recomputing_after_a_change_gives_a_new_version(users, scored, client_for):
    computed(users, scored)
    RoutineScore.objects.filter(participant=scored.east).update(score=Decimal("85"))
    html = html_of(client_for(users.organiser).post(url(scored, "compute/"), follow=True))
    assert "第 2 次统分" in html
    assert "94.67" in html  # (94×30 + 100×40 + 85×20) / 90 = 94.666…


def test_a_tie_across_the_quota_is_decided_by_the_committee_through_the_page(users, tied, client_for):
    sheet = computed(users, tied)
    actions.submit_results(users.organiser, sheet)
    actions.review_results(tied.organiser2, sheet, approve=True)
    chair = client_for(users.chair)
    html = html_of(chair.get(url(tied)))
    assert 'data-testid="ties"' in html
    assert f'data-testid="decide-{tied.east.pk}"' in html and f'data-testid="decide-{tied.west.pk}"' in html
    assert 'class="tie"' in html and 'flag-quota_tie loud' in html

    html = html_of(chair.post(url(tied, "sign/"), {"reference": "区委常委会"}, follow=True))
    assert "须先由领导小组决定等次" in html
    html = html_of(chair.post(url(tied, f"decide/{tied.east.pk}/"), {"grade": "好", "reason": ""}, follow=True))
    assert "请填写决定依据" in html
    html = html_of(chair.post(url(tied, f"decide/{tied.east.pk}/"),
                              {"grade": "好", "reason": "领导小组 2026 年第 3 次会议"}, follow=True))
    assert "已记录领导小组决定：东城街道党工委为“好”" in html
    chair.post(url(tied, f"decide/{tied.west.pk}/"), {"grade": "较好", "reason": "领导小组 2026 年第 3 次会议"})
    html = html_of(chair.get(explain_url(tied, tied.east, "grade"), HTTP_HX_REQUEST="true"))
    assert "领导小组决定为“好”，依据：领导小组 2026 年第 3 次会议" in html
    html = html_of(chair.get(explain_url(tied, tied.east, "rank"), HTTP_HX_REQUEST="true"))
    assert "与西城街道党工委综合得分相同（95.00）" in html and "并列第 1 名" in html
    html = html_of(chair.post(url(tied, "sign/"), {"reference": "区委常委会"}, follow=True))
    assert "已签批" in html
    # A row of another campaign (or none) is not decided here.
    assert chair.post(url(tied, "decide/999999/"), {"grade": "好", "reason": "x"}).status_code == 404


# ---------------------------------------------------------------- what the page and explanations say

def test_the_page_shows_header_table_flags_and_averages(users, scored, client_for):
    sheet = computed(users, scored)
    html = html_of(client_for(users.observer).get(url(scored)))
    assert f'title="{sheet.input_digest}"' in html and f">{sheet.input_digest[:12]}<" in html
    assert "“好”等次不超过 0 人（3 人 × 30%，取整）" in html
    assert "第 1 次统分" in html and "组织部小王" in html
    for text in ("94.00", "100.00", "95.00", "96.89", "83.00", "82.11", "74.00", "30.00", "48.86"):
        assert text in html
    assert 'title="精确值 96.88888888888888888888888889；点击查看计算过程"' in html
    assert f'<tr data-testid="row-{scored.edu.pk}" class="veto">' in html
    assert "一票否决" in html and "超出“好”等次比例" in html and "权重折算" in html
    assert 'data-testid="averages"' in html
    for avg in ("83.67", "70.00", "90.00", "75.95"):  # judging, ballot, routine, composite
        assert avg in html
    # rank order: east, west, edu
    assert html.index(f"row-{scored.east.pk}") < html.index(f"row-{scored.west.pk}") < html.index(f"row-{scored.edu.pk}")
    # observer: no workflow buttons, but the check
    assert 'data-testid="submit"' not in html and 'data-testid="verify"' in html
    assert f'href="/ballots/{scored.box.pk}/results/"' in html


def test_the_judging_explanation_names_judges_and_strikes_the_dropped_totals(users, scored, client_for):
    computed(users, scored)
    html = html_of(client_for(users.organiser).get(explain_url(scored, scored.east, "judging"),
                                                   HTTP_HX_REQUEST="true"))
    assert "<html" not in html  # a fragment for the side panel
    assert "东城街道党工委 · 现场/书面评分" in html and ">94.00<" in html
    assert "应评 5 位，已提交 5 位" in html
    assert '<s title="精确值 90">90.00</s>' in html and "去掉最低" in html
    assert '<s title="精确值 98">98.00</s>' in html and "去掉最高" in html
    assert '<span title="精确值 92">92.00</span>' in html and html.count("<s title") == 2  # the rest are kept
    for i in range(1, 6):
        assert f"评委{i}" in html
    assert "去掉最高、最低各 1 个分数后，(92.00 + 94.00 + 96.00) ÷ 3 = 94.00" in html


def test_four_judges_are_not_trimmed(users, scored, client_for):
    computed(users, scored)
    html = html_of(client_for(users.organiser).get(explain_url(scored, scored.west, "judging"),
                                                   HTTP_HX_REQUEST="true"))
    assert "应评 4 位，已提交 4 位" in html and "<s title" not in html
    assert "4 位评委，不去掉最高、最低分，(80.00 + 82.00 + 84.00 + 86.00) ÷ 4 = 83.00" in html


def test_the_composite_explanation_shows_the_formula(users, scored, client_for):
    computed(users, scored)
    html = html_of(client_for(users.chair).get(explain_url(scored, scored.east, "composite"),
                                               HTTP_HX_REQUEST="true"))
    assert ("现场/书面评分 94.00 × 33.33% + 民主测评 100.00 × 44.44% + 日常考核 95.00 × 22.22% = 96.89"
            "（整改成效无数据，不计入；其余权重按 90% 折算为 100%）") in html
    assert 'title="精确值 96.88888888888888888888888889"' in html


def test_the_ballot_explanation_shows_counts_rate_formula_veto_and_the_tally_link(users, scored, client_for):
    computed(users, scored)
    c = client_for(users.organiser)
    html = html_of(c.get(explain_url(scored, scored.edu, "ballot"), HTTP_HX_REQUEST="true"))
    counts = html.split('data-testid="ballot-counts">')[1].split("</tr>")[0]
    assert [p.split("<")[0] for p in counts.split('">')[1:]] == ["0", "0", "10", "10", "0", "20", "0.00%"]
    assert "区委领导 30.00 × 40.00% + 领导小组成员 30.00 × 60.00% = 30.00" in html
    assert "差 10 票 ÷ 有效 20 票 = 50.00%，超过 1/3" in html and "触发，等次为“差”" in html
    assert f'href="/ballots/{scored.box.pk}/results/"' in html and "共 20 张选票" in html
    html = html_of(c.get(explain_url(scored, scored.east, "ballot"), HTTP_HX_REQUEST="true"))
    assert "好评率 =（好 20 + 较好 0）÷ 有效 20 = 100.00%" in html


def test_routine_rectification_rank_and_grade_explanations(users, scored, client_for):
    computed(users, scored)
    c = client_for(users.organiser)

    def get(p: Any, what: str) -> str:
        return html_of(c.get(explain_url(scored, p, what), HTTP_HX_REQUEST="true"))

    assert "日常考核.xlsx 日常考核 第 2 行" in get(scored.east, "routine")
    assert "未导入日常考核分数，不计入" in get(scored.edu, "routine")
    assert "无上年度整改台账，不计入" in get(scored.east, "rectification")
    html = get(scored.west, "rank")
    assert "第 2 名（共 3 人）" in html and "没有与其综合得分相同的述职对象" in html
    html = get(scored.east, "grade")
    assert "（按分数线为“好”）" in html and "综合得分 96.89 ≥ 90.00，按分数线为“好”" in html
    assert "“好”等次比例上限为 0 人" in html
    html = get(scored.edu, "grade")
    assert "一票否决，等次为“差”" in html and "flag-veto loud" in html


def test_an_explanation_without_javascript_is_a_full_page(users, scored, client_for):
    computed(users, scored)
    html = html_of(client_for(users.organiser).get(explain_url(scored, scored.east, "composite")))
    assert "<html" in html and "返回考核结果" in html and "= 96.89" in html


def test_the_average_explanation_lists_what_went_in(users, scored, client_for):
    computed(users, scored)
    c = client_for(users.organiser)
    html = html_of(c.get(url(scored, "average/routine/"), HTTP_HX_REQUEST="true"))
    assert "(95.00 + 85.00) ÷ 2 = 90.00" in html and "无数据，不计入" in html
    html = html_of(c.get(url(scored, "average/composite/"), HTTP_HX_REQUEST="true"))
    assert "(96.89 + 82.11 + 48.86) ÷ 3 = 75.95" in html


def test_the_results_page_reads_a_bounded_number_of_queries(users, scored, client_for,
                                                           django_assert_max_num_queries):
    computed(users, scored)
    c = client_for(users.organiser)
    c.get(url(scored))  # warm the session
    with django_assert_max_num_queries(8):  # session, user, roles, campaign, sheet + users, decisions, …
        assert c.get(url(scored)).status_code == 200
    with django_assert_max_num_queries(7):
        assert c.get(explain_url(scored, scored.east, "judging"), HTTP_HX_REQUEST="true").status_code == 200


# ---------------------------------------------------------------- ties explained (pure)

def test_the_rank_explanation_names_the_tie_break_that_decided():
    scheme = {"component_weights": {"judging": "50", "ballot": "50", "routine": "0", "rectification": "0"},
              "grade_thresholds": {"好": "90", "较好": "80", "一般": "70"}, "quota_good_percent": "30",
              "trim_k": 1, "trim_min_judges": 5, "veto_enabled": True, "veto_bad_share": "1/3",
              "tie_breaks": ["ballot", "judging"]}
    reporters = [
        maths.ReporterInputs(key="1", judge_totals=(("j", Fraction(90)),), ballot=Fraction(80)),
        maths.ReporterInputs(key="2", judge_totals=(("j", Fraction(80)),), ballot=Fraction(90)),
        maths.ReporterInputs(key="3", judge_totals=(("j", Fraction(90)),), ballot=Fraction(80)),
    ]
    outputs = maths.as_data(maths.compute(scheme, reporters))
    inputs = {"maths": maths.snapshot(scheme, reporters),
              "details": {"reporters": {"1": {"unit": "甲"}, "2": {"unit": "乙"}, "3": {"unit": "丙"}}}}
    ex = explain.explain(inputs, outputs, "2", "rank")
    assert ex.data["rank"] == 1 and ex.data["shared"] == 0
    assert [t["unit"] for t in ex.data["ties"]] == ["甲", "丙"]
    assert ex.data["ties"][0]["decided"] == "按民主测评比较：90.00 对 80.00，排在其前"
    ex = explain.explain(inputs, outputs, "1", "rank")
    assert ex.data["rank"] == 2 and ex.data["shared"] == 1
    decided = {t["unit"]: t["decided"] for t in ex.data["ties"]}
    assert decided == {"乙": "按民主测评比较：80.00 对 90.00，排在其后", "丙": "民主测评、现场/书面评分也都相同，并列第 2 名"}
    private = explain.explain(inputs, outputs, "1", "rank", names=False)
    assert all(t["unit"] == "另一人" and "90.00" not in t["decided"] for t in private.data["ties"])


# ---------------------------------------------------------------- the reporter's own view

def test_a_reporter_sees_their_own_published_result_and_nobody_elses(users, scored, client_for):
    published(users, scored)
    html = html_of(client_for(users.reporter).get(url(scored, "mine/")))
    assert "东城街道党工委" in html and "钱东明" in html
    assert 'data-testid="composite">96.89<' in html and "第 1 名" in html and "共 3 人" in html
    assert 'data-testid="grade">较好<' in html
    assert "现场/书面评分 94.00 × 33.33% + 民主测评 100.00 × 44.44% + 日常考核 95.00 × 22.22% = 96.89" in html
    assert "“好”等次比例上限为 0 人" in html  # grade notes
    for name, avg in (("judging", "83.67"), ("ballot", "70.00"), ("routine", "90.00"), ("composite", "75.95")):
        assert f'data-testid="avg-{name}">{avg}<' in html
    # judge totals, dropped ones marked, but no judge's name
    assert '<s title="精确值 90">90.00</s>' in html and '<s title="精确值 98">98.00</s>' in html
    assert "去掉最高" in html and "去掉最低" in html
    for i in range(1, 6):
        assert f"评委{i}" not in html
    # nothing of the others: names, secretaries, numbers
    for other in ("西城街道党工委", "孙西华", "区教育局党委", "李育才", "82.11", "83.00", "48.86", "74.00", "30.00"):
        assert other not in html, other
    assert "/ballots/" not in html  # no link to the full tally


def test_the_other_reporter_sees_west_only(users, scored, client_for):
    published(users, scored)
    html = html_of(client_for(users.other_reporter).get(url(scored, "mine/")))
    assert "西城街道党工委" in html and 'data-testid="composite">82.11<' in html
    assert "东城街道党工委" not in html and "96.89" not in html


def test_the_reporter_home_links_to_their_own_view(users, scored, client_for):
    c = client_for(users.reporter)
    assert "暂无已公布的考核结果" in html_of(c.get("/results/"))
    published(users, scored)
    html = html_of(c.get("/results/"))
    assert f'href="/results/campaign/{scored.campaign.pk}/mine/"' in html
    assert f'href="/results/campaign/{scored.campaign.pk}/"' not in html


@pytest.mark.parametrize("state", ["none", "computed", "signed"])
def test_a_reporter_sees_nothing_before_publication(users, scored, client_for, state):
    if state == "computed":
        computed(users, scored)
    elif state == "signed":
        sheet = computed(users, scored)
        actions.submit_results(users.organiser, sheet)
        actions.review_results(scored.organiser2, sheet, approve=True)
        actions.sign_results(users.chair, sheet, "常委会")
    assert client_for(users.reporter).get(url(scored, "mine/")).status_code == 404


@pytest.mark.parametrize("name", ["organiser", "organiser2", "observer", "chair", "judge", "owner", "nobody"])
def test_other_roles_do_not_get_the_reporter_view(users, scored, client_for, name):
    published(users, scored)
    assert client_for(who(users, scored, name)).get(url(scored, "mine/")).status_code == 403


def test_a_reporter_of_a_unit_not_in_the_campaign_gets_404(users, scored, district, client_for):
    published(users, scored)
    outsider = make_user("root_reporter", "reporter", unit=district.root)
    assert client_for(outsider).get(url(scored, "mine/")).status_code == 404


# ---------------------------------------------------------------- follow-ups

def test_follow_ups_are_edited_by_organisers_and_read_by_others(users, scored, client_for):
    published(users, scored)
    fus = list(FollowUp.objects.filter(participant=scored.edu).order_by("kind"))
    assert {f.get_kind_display() for f in fus} == {"约谈", "通报批评", "限期整改"}
    fu = fus[0]
    org = client_for(users.organiser)
    html = html_of(org.get(url(scored, "follow-ups/")))
    assert f'data-testid="save-{fu.pk}"' in html and "区教育局党委" in html
    html = html_of(org.post(url(scored, f"follow-ups/{fu.pk}/"),
                            {"responsible": "组织部 张三", "due_date": "2027-03-31", "done_at": "", "note": "已约谈"},
                            follow=True))
    assert "已保存区教育局党委的" in html
    fu.refresh_from_db()
    assert (fu.responsible, str(fu.due_date), fu.done_at, fu.note) == ("组织部 张三", "2027-03-31", None, "已约谈")
    html = html_of(org.post(url(scored, f"follow-ups/{fu.pk}/"), {"due_date": "明年三月"}, follow=True))
    assert "完成时限“明年三月”不是有效日期" in html
    fu.refresh_from_db()
    assert fu.responsible == "组织部 张三"

    html = html_of(client_for(users.observer).get(url(scored, "follow-ups/")))
    assert "组织部 张三" in html and "2027-03-31" in html and "<input" not in html.split('data-testid="follow-ups"')[1]
    assert client_for(users.observer).post(url(scored, f"follow-ups/{fu.pk}/"), {"note": "x"}).status_code == 403
    assert client_for(users.reporter).get(url(scored, "follow-ups/")).status_code == 403


def test_a_follow_up_of_another_campaign_is_404(users, scored, client_for):
    published(users, scored)
    fu = FollowUp.objects.first()
    assert fu is not None
    other = scored.campaign.__class__.objects.create(year=2026, title="2026年度", committee=scored.campaign.committee,
                                                     state=CampaignState.TALLYING)
    r = client_for(users.organiser).post(f"/results/campaign/{other.pk}/follow-ups/{fu.pk}/", {"note": "x"})
    assert r.status_code == 404


# ---------------------------------------------------------------- the observer's check

def test_the_observer_checks_the_result(users, scored, client_for):
    computed(users, scored)
    c = client_for(users.observer)
    html = html_of(c.post(url(scored, "verify/")))
    assert 'data-testid="check-ok"' in html
    RoutineScore.objects.filter(participant=scored.west).update(score=Decimal("60"))
    html = html_of(c.post(url(scored, "verify/")))
    assert 'data-testid="check-bad"' in html and "“西城街道党工委”的输入数据在统分后发生了变化" in html
    assert AuditEvent.objects.filter(action="results.verify").count() == 2


# ---------------------------------------------------------------- navigation

def test_nav_and_campaign_tab_lead_to_the_results(users, scored, client_for):
    html = html_of(client_for(users.reporter).get("/"))
    assert 'href="/results/">考核结果<' in html
    html = html_of(client_for(users.judge).get("/"))
    assert 'href="/results/"' not in html
    html = html_of(client_for(users.organiser).get(f"/campaigns/{scored.campaign.pk}/"))
    assert f'href="/results/campaign/{scored.campaign.pk}/"' in html
