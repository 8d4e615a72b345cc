"""考核结果 JSON API: who may call what, the workflow through the API, and the messages a client reads."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from shuping.accounts.models import Role
from shuping.audit.models import AuditEvent
from shuping.campaigns.models import CampaignState
from shuping.campaigns.tests.conftest import api_for  # noqa: F401  (a fixture)
from shuping.conftest import make_user
from shuping.results import actions
from shuping.results.models import FollowUp, ResultSheet, SheetState
from shuping.results.tests.test_actions import tied  # noqa: F401  (a fixture)


def send(client: Client, path: str, data: object = None, method: str = "post") -> Any:
    return getattr(client, method)(path, data=json.dumps(data or {}), content_type="application/json")


def base(scored: Any) -> str:
    return f"/api/campaigns/{scored.campaign.pk}"


def writes(scored: Any) -> list[tuple[str, dict[str, Any]]]:
    b = base(scored)
    return [
        (f"{b}/results/compute", {}), (f"{b}/results/submit", {}),
        (f"{b}/results/review", {"approve": True, "note": ""}),
        (f"{b}/results/decide", {"participant_id": scored.east.pk, "grade": "好", "reason": "常委会"}),
        (f"{b}/results/sign", {"reference": "常委会"}), (f"{b}/results/publish", {}),
        (f"{b}/results/reopen", {"reason": "理由"}),
    ]


def published(users: Any, scored: Any) -> ResultSheet:
    sheet = actions.compute_results(users.organiser, scored.campaign)
    actions.submit_results(users.organiser, sheet)
    actions.review_results(scored.organiser2, sheet, approve=True)
    actions.sign_results(users.chair, sheet, "区委常委会")
    return actions.publish_results(users.organiser, sheet)


# ---------------------------------------------------------------- permissions

def test_it_needs_a_token(scored):
    b = base(scored)
    c = Client()
    for path in (f"{b}/results", f"{b}/results/verify", f"{b}/follow-ups"):
        assert c.get(path).status_code == 401, path
    for path, data in writes(scored):
        assert send(c, path, data).status_code == 401, path
    assert send(c, "/api/follow-ups/1", {}, "put").status_code == 401


@pytest.mark.parametrize("who", ["observer", "chair", "judge", "teller", "admin", "reporter", "other_reporter",
                                 "owner", "nobody"])
def test_only_organisers_compute_submit_review_publish_and_reopen(users, scored, api_for, who):  # noqa: F811
    actions.compute_results(users.organiser, scored.campaign)
    api = api_for(getattr(users, who))
    for path, data in writes(scored):
        expected = 422 if who == "chair" and path.endswith(("/decide", "/sign")) else 403
        r = send(api, path, data)
        assert r.status_code == expected, (who, path, r.json())
    sheet = ResultSheet.objects.get()
    assert sheet.state == SheetState.COMPUTED and sheet.version == 1


def test_the_chair_decides_and_signs_but_nothing_else(users, scored, api_for):  # noqa: F811
    sheet = actions.compute_results(users.organiser, scored.campaign)
    actions.submit_results(users.organiser, sheet)
    actions.review_results(scored.organiser2, sheet, approve=True)
    chair = api_for(users.chair)
    r = send(chair, f"{base(scored)}/results/sign", {"reference": "区委常委会 2026 年第 3 次会议"})
    assert r.status_code == 200 and r.json()["state"] == "signed"
    assert send(chair, f"{base(scored)}/results/publish").status_code == 403


@pytest.mark.parametrize("who,status", [("organiser", 200), ("organiser2", 200), ("chair", 200), ("observer", 200),
                                        ("judge", 403), ("teller", 403), ("admin", 403), ("owner", 403),
                                        ("nobody", 403), ("reporter", 404), ("other_reporter", 404)])
def test_who_reads_the_sheet_before_publication(users, scored, api_for, who, status):  # noqa: F811
    actions.compute_results(users.organiser, scored.campaign)
    user = scored.organiser2 if who == "organiser2" else getattr(users, who)
    api = api_for(user)
    r = api.get(f"{base(scored)}/results")
    assert r.status_code == status, r.json()
    if status == 200:
        assert len(r.json()["rows"]) == 3 and r.json()["own_only"] is False
    if who == "reporter":
        assert r.json()["detail"] == "考核结果尚未公布"
    reader = who in ("organiser", "organiser2", "chair", "observer")
    assert api.get(f"{base(scored)}/results/verify").status_code == (200 if reader else 403)


def test_nothing_to_read_before_the_first_computation(users, scored, api_for):  # noqa: F811
    r = api_for(users.organiser).get(f"{base(scored)}/results")
    assert r.status_code == 404 and r.json()["detail"] == "尚未统分"
    assert api_for(users.organiser).get("/api/campaigns/999999/results").status_code == 404


def test_a_reporter_reads_only_their_own_row_once_published_without_judge_names(users, scored, api_for):  # noqa: F811
    published(users, scored)
    r = api_for(users.reporter).get(f"{base(scored)}/results")
    assert r.status_code == 200
    body = r.json()
    assert body["own_only"] is True and body["publish_problems"] == []
    [row] = body["rows"]
    assert (row["unit"], row["rank"], row["grade"], row["composite_display"]) == ("东城街道党工委", 1, "较好", "96.89")
    entries = row["explanation"]["judging"]["entries"]
    assert [e["total"] for e in entries] == ["90", "92", "94", "96", "98"]
    assert all(e["judge"] is None and e["judge_id"] is None for e in entries)
    text = r.content.decode()
    for other in ("西城街道", "孙西华", "教育局", "李育才", "评委1", "评委5"):
        assert other not in text, other

    [west] = api_for(users.other_reporter).get(f"{base(scored)}/results").json()["rows"]
    assert west["unit"] == "西城街道党工委"

    # A reporter of a unit that is not in the campaign does not see it at all.
    outsider = make_user("outsider", Role.REPORTER, unit=scored.campaign.committee)
    assert api_for(outsider).get(f"{base(scored)}/results").status_code == 404


def test_follow_ups_permissions(users, scored, api_for):  # noqa: F811
    published(users, scored)
    path = f"{base(scored)}/follow-ups"
    for who in (users.organiser, users.chair, users.observer):
        r = api_for(who).get(path)
        assert r.status_code == 200 and [(f["unit"], f["kind_label"]) for f in r.json()] == [
            ("区教育局党委", "约谈"), ("区教育局党委", "通报批评"), ("区教育局党委", "限期整改")]
    assert api_for(users.reporter).get(path).json() == []  # east is 较好: no follow-up, and edu's are not theirs
    for who in (users.judge, users.admin, users.nobody):
        assert api_for(who).get(path).status_code == 403
    edu_reporter = make_user("edu_reporter", Role.REPORTER, unit=scored.edu.unit)
    assert len(api_for(edu_reporter).get(path).json()) == 3

    fu = FollowUp.objects.get(kind="talk")
    data = {"responsible": "组织部部长", "due_date": "2026-03-31", "done_at": None, "note": ""}
    for who in (users.chair, users.observer, users.reporter, edu_reporter, users.nobody):
        assert send(api_for(who), f"/api/follow-ups/{fu.pk}", data, "put").status_code == 403
    assert send(api_for(users.organiser), "/api/follow-ups/999999", data, "put").status_code == 404
    r = send(api_for(users.organiser), f"/api/follow-ups/{fu.pk}", data, "put")
    assert r.status_code == 200 and r.json()["responsible"] == "组织部部长" and r.json()["due_date"] == "2026-03-31"


# ---------------------------------------------------------------- the workflow

def test_the_workflow_through_the_api(users, scored, api_for):  # noqa: F811
    org, org2, chair, obs = (api_for(u) for u in (users.organiser, scored.organiser2, users.chair, users.observer))
    b = base(scored)

    r = send(org, f"{b}/results/compute")
    assert r.status_code == 200
    body = r.json()
    assert (body["state"], body["version"], body["campaign_state"], body["quota"], body["n"]) == (
        "computed", 1, "tallying", 0, 3)
    assert body["steps"][0]["by"] == "组织部小王" and body["steps"][1]["by"] is None
    east, _, edu = body["rows"]
    assert [(r["unit"], r["rank"], r["grade"], r["composite_display"]) for r in body["rows"]] == [
        ("东城街道党工委", 1, "较好", "96.89"), ("西城街道党工委", 2, "较好", "82.11"), ("区教育局党委", 3, "差", "48.86")]
    assert {f["code"]: f["label"] for f in east["flags"]} == {"renormalised": "权重折算",
                                                              "quota_demoted": "超出“好”等次比例"}
    assert [f["code"] for f in edu["flags"]] == ["renormalised", "veto"]
    comps = {c["name"]: c for c in east["components"]}
    assert comps["judging"]["value"] == "94" and comps["judging"]["label"] == "现场/书面评分"
    assert comps["ballot"]["display"] == "100.00" and comps["rectification"]["value"] is None
    assert comps["routine"]["weight"] == "20" and comps["routine"]["used_weight"].startswith("22.2222")
    judging = east["explanation"]["judging"]
    assert [(e["judge"], e["total"], e["dropped"]) for e in judging["entries"]] == [
        ("评委1", "90", "low"), ("评委2", "92", ""), ("评委3", "94", ""), ("评委4", "96", ""), ("评委5", "98", "high")]
    assert judging["formula"] == "去掉最高、最低各 1 个分数后，(92.00 + 94.00 + 96.00) ÷ 3 = 94.00"
    assert east["explanation"]["ballot"]["valid"] == 20 and east["explanation"]["ballot"]["good_rate"]
    assert east["explanation"]["routine_source"] == "日常考核.xlsx 日常考核 第 2 行"
    assert east["explanation"]["composite_formula"].endswith("= 96.89（整改成效无数据，不计入；其余权重按 90% 折算为 100%）")
    assert edu["explanation"]["veto"] is True and "超过" in edu["explanation"]["ballot"]["veto_note"]
    assert body["averages"]["composite"] and body["publish_problems"] == []
    assert len(body["input_digest"]) == 64 and len(body["output_digest"]) == 64

    assert obs.get(f"{b}/results/verify").json()["ok"] is True

    assert send(org, f"{b}/results/submit").json()["state"] == "submitted"
    r = send(org, f"{b}/results/review", {"approve": True})
    assert r.status_code == 422 and r.json()["errors"] == ["审核须由统分、提交以外的另一位工作人员进行"]
    r = send(org2, f"{b}/results/review", {"approve": True, "note": "核对无误"})
    assert r.json()["state"] == "reviewed" and r.json()["steps"][2] | {"at": None} == {
        "step": "reviewed", "label": "审核", "by": "组织部小李", "at": None, "note": "核对无误"}
    r = send(chair, f"{b}/results/sign", {"reference": "区委常委会 2026 年第 3 次会议"})
    assert r.json()["state"] == "signed" and r.json()["steps"][3]["note"] == "区委常委会 2026 年第 3 次会议"
    r = send(org, f"{b}/results/publish")
    assert r.status_code == 200 and r.json()["state"] == "published" and r.json()["campaign_state"] == "announced"
    assert len(org.get(f"{b}/follow-ups").json()) == 3

    r = send(org, f"{b}/results/reopen", {"reason": " "})
    assert r.status_code == 422 and r.json()["errors"] == ["重新打开考核结果必须填写理由"]
    r = send(org, f"{b}/results/reopen", {"reason": "西城街道日常考核分数录入有误"})
    assert r.status_code == 200 and r.json()["state"] == "computed" and r.json()["campaign_state"] == "tallying"
    assert AuditEvent.objects.get(action="results.reopen").data["reason"] == "西城街道日常考核分数录入有误"
    assert send(org, f"{b}/results/compute").json()["version"] == 2


def test_a_tie_is_decided_through_the_api(users, tied, api_for):  # noqa: F811
    sheet = actions.compute_results(users.organiser, tied.campaign)
    actions.submit_results(users.organiser, sheet)
    actions.review_results(tied.organiser2, sheet, approve=True)
    chair, b = api_for(users.chair), base(tied)
    r = send(chair, f"{b}/results/sign", {"reference": "常委会"})
    assert r.status_code == 422
    assert r.json()["errors"] == ["以下述职对象并列跨越“好”等次比例，须先由领导小组决定等次：东城街道党工委、西城街道党工委"]
    r = send(chair, f"{b}/results/decide", {"participant_id": tied.edu.pk, "grade": "好", "reason": "常委会"})
    assert r.status_code == 422 and r.json()["errors"] == ["只有并列跨越“好”等次比例的述职对象需要领导小组决定等次"]
    r = send(chair, f"{b}/results/decide", {"participant_id": 999999, "grade": "好", "reason": "常委会"})
    assert r.status_code == 404
    for p, g in ((tied.east, "好"), (tied.west, "较好")):
        r = send(chair, f"{b}/results/decide", {"participant_id": p.pk, "grade": g, "reason": "区委常委会第 3 次会议"})
        assert r.status_code == 200
    rows = {row["unit"]: row for row in r.json()["rows"]}
    assert rows["东城街道党工委"]["grade"] == "好"
    assert rows["东城街道党工委"]["decision"]["reason"] == "区委常委会第 3 次会议"
    assert "committee_decision" in [f["code"] for f in rows["西城街道党工委"]["flags"]]
    assert send(chair, f"{b}/results/sign", {"reference": "常委会"}).json()["state"] == "signed"


# ---------------------------------------------------------------- messages

def test_422_messages(users, scored, api_for):  # noqa: F811
    org, b = api_for(users.organiser), base(scored)
    scored.campaign.state = CampaignState.MEETING
    scored.campaign.save()
    r = send(org, f"{b}/results/compute")
    assert r.status_code == 422 and r.json()["detail"] == "数据不合规"
    assert r.json()["errors"] == ["考核方案处于“会议中”状态，只能在“统分中”统分（会议结束后请先将考核方案变更为“统分中”）"]
    scored.campaign.state = CampaignState.TALLYING
    scored.campaign.save()
    send(org, f"{b}/results/compute")
    r = send(org, f"{b}/results/publish")
    assert r.status_code == 422
    assert r.json()["errors"] == ["考核结果处于“已统分”状态，不能公布（只能在“已签批，待公布”时公布）"]
    r = send(org, f"{b}/results/reopen", {"reason": "x"})
    assert r.status_code == 422 and "不能重新打开" in r.json()["errors"][0]
    assert send(org, f"{b}/results/review", {"note": "x"}).status_code == 422  # approve missing
    send(org, f"{b}/results/submit")
    r = send(org, f"{b}/results/compute")
    assert r.status_code == 422 and "只能在“统分中”统分" in r.json()["errors"][0]


def test_the_openapi_schema_lists_the_results_endpoints_with_chinese_descriptions(client):
    schema = client.get("/api/openapi.json").json()
    paths = schema["paths"]
    for p in ("/api/campaigns/{campaign_id}/results", "/api/campaigns/{campaign_id}/results/compute",
              "/api/campaigns/{campaign_id}/results/verify", "/api/campaigns/{campaign_id}/follow-ups",
              "/api/follow-ups/{follow_up_id}"):
        assert p in paths, p
    assert paths["/api/campaigns/{campaign_id}/results"]["get"]["tags"] == ["考核结果"]
    props = schema["components"]["schemas"]["RowOut"]["properties"]
    assert props["composite_display"]["description"] == "综合得分（四舍五入保留 2 位）"
