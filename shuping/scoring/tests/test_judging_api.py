"""现场评分 JSON API: the same actions and permissions as the pages."""

from __future__ import annotations

import json

from shuping.accounts.models import Role
from shuping.conftest import make_user
from shuping.scoring import actions_judging as judging
from shuping.scoring.models import JudgeReminder, JudgeScore, JudgeSeat, Recusal, ScoringWindow

GOOD = ["25", "30.5", "18", "9"]


def send(client, path: str, data: object = None, method: str = "post"):
    return getattr(client, method)(path, data=json.dumps(data or {}), content_type="application/json")


def test_it_needs_a_token(client, meeting, reporters, panel):
    for path in (f"/api/scoring/campaigns/{meeting.pk}/panel", f"/api/scoring/campaigns/{meeting.pk}/progress",
                 "/api/scoring/my/assignments"):
        assert client.get(path).status_code == 401
    assert send(client, f"/api/scoring/participants/{reporters.west.pk}/window/open").status_code == 401
    assert send(client, f"/api/scoring/participants/{reporters.west.pk}/my-score",
                {"points": GOOD, "submit": True}, "put").status_code == 401


def test_read_permissions(users, api_for, meeting, panel):
    reads = [f"/api/scoring/campaigns/{meeting.pk}/panel", f"/api/scoring/campaigns/{meeting.pk}/progress"]
    for who in (users.organiser, users.observer, users.chair):
        c = api_for(who)
        assert all(c.get(p).status_code == 200 for p in reads), who
    for who in (users.judge, users.reporter, users.teller, users.admin, users.nobody):
        c = api_for(who)
        assert all(c.get(p).status_code == 403 for p in reads), who
    assert api_for(users.organiser).get("/api/scoring/campaigns/999999/panel").status_code == 404
    for who in (users.organiser, users.observer, users.reporter, users.nobody):
        assert api_for(who).get("/api/scoring/my/assignments").status_code == 403


def test_write_permissions(users, api_for, meeting, reporters, panel, judges):
    pid, cid = reporters.west.pk, meeting.pk
    writes = [(f"/api/scoring/participants/{pid}/window/open", {}, "post"),
              (f"/api/scoring/participants/{pid}/window/close", {}, "post"),
              (f"/api/scoring/participants/{pid}/window/reopen", {"reason": "x"}, "post"),
              (f"/api/scoring/participants/{pid}/remind", {}, "post"),
              (f"/api/scoring/campaigns/{cid}/remind", {}, "post"),
              (f"/api/scoring/campaigns/{cid}/panel", {"usernames": ["judge"]}, "put"),
              (f"/api/scoring/campaigns/{cid}/recusals", {"judge": "judge_b", "participant_id": pid, "reason": "x"},
               "post")]
    for who in (users.observer, users.chair, users.judge, users.reporter, users.nobody):
        c = api_for(who)
        for path, data, method in writes:
            assert send(c, path, data, method).status_code == 403, (who, path)
    assert not ScoringWindow.objects.exists() and not Recusal.objects.exists()
    assert JudgeSeat.objects.filter(campaign=meeting).count() == 3


def test_panel_and_recusals(users, api_for, meeting, reporters, judges):
    org = api_for(users.organiser)
    make_user("judge_c", Role.JUDGE)
    r = send(org, f"/api/scoring/campaigns/{meeting.pk}/panel", {"usernames": ["judge", "judge_east", "judge_c"]},
             "put")
    body = r.json()
    assert r.status_code == 200 and [j["username"] for j in body["judges"]] == ["judge", "judge_c", "judge_east"]
    assert body["recusals"] == [{"judge": "judge_east", "participant_id": reporters.east.pk, "unit": "东城街道党工委",
                                 "reason": "本单位，自动回避", "automatic": True}]
    r = send(org, f"/api/scoring/campaigns/{meeting.pk}/panel", {"usernames": ["judge", "teller"]}, "put")
    assert r.status_code == 422 and "没有“评委”角色" in r.json()["errors"][0]
    r = send(org, f"/api/scoring/campaigns/{meeting.pk}/recusals",
             {"judge": "judge_c", "participant_id": reporters.west.pk, "reason": "近亲属"})
    assert r.status_code == 201 and r.json()["recusals"][-1]["reason"] == "近亲属"
    r = org.delete(f"/api/scoring/campaigns/{meeting.pk}/recusals/{reporters.west.pk}/judge_c")
    assert r.status_code == 200 and not Recusal.objects.exists()


def test_windows_progress_and_remind(users, api_for, meeting, reporters, panel, judges):
    org = api_for(users.organiser)
    pid = reporters.west.pk
    r = send(org, f"/api/scoring/participants/{pid}/window/open")
    assert r.status_code == 200 and r.json()["state"] == "open" and r.json()["state_label"] == "评分中"
    assert send(org, f"/api/scoring/participants/{pid}/window/open").json()["errors"] == [
        "西城街道党工委（孙西华）的评分处于“评分中”状态，不能开始评分"]
    judging.save_score(judges.judge, reporters.west, GOOD, submit=True)
    rows = api_for(users.observer).get(f"/api/scoring/campaigns/{meeting.pk}/progress").json()
    west = next(r for r in rows if r["participant_id"] == pid)
    assert (west["window"], west["expected"], west["submitted"], west["missing"]) == (
        "open", 3, 1, ["judge_b", "judge_east"])
    r = send(org, f"/api/scoring/participants/{pid}/remind")
    assert r.json() == {"reminded": ["judge_b", "judge_east"]} and JudgeReminder.objects.count() == 2
    assert send(org, f"/api/scoring/campaigns/{meeting.pk}/remind").json() == {"reminded": ["judge_b", "judge_east"]}
    assert send(org, f"/api/scoring/participants/{pid}/window/close").json()["state"] == "closed"
    r = send(org, f"/api/scoring/participants/{pid}/window/reopen", {"reason": " "})
    assert r.status_code == 422 and r.json()["errors"] == ["重新开放评分必须填写理由"]
    assert send(org, f"/api/scoring/participants/{pid}/window/reopen", {"reason": "漏评"}).json()["state"] == "open"


def test_a_judge_reads_assignments_and_saves_their_sheet(users, api_for, meeting, reporters, panel, judges):
    judging.open_window(users.organiser, reporters.west)
    c = api_for(judges.judge_east)
    [a] = c.get("/api/scoring/my/assignments").json()
    assert a["campaign_id"] == meeting.pk and (a["done"], a["total"]) == (0, 2)
    assert [r["unit"] for r in a["reporters"]] == ["西城街道党工委", "区教育局党委"]  # own unit left out
    assert a["indicators"][0] == {"name": "述职内容", "max_points": "30"}
    path = f"/api/scoring/participants/{reporters.west.pk}/my-score"
    r = send(c, path, {"points": ["25", "30.5", "18", "9"]}, "put")
    assert r.status_code == 200 and r.json()["total"] == "82.50" and r.json()["submitted"] is False
    r = send(c, path, {"points": ["25", "30.5", "18", "9.5"], "submit": True}, "put")
    assert r.json()["submitted"] is True and r.json()["points"] == ["25", "30.5", "18", "9.5"]
    assert JudgeScore.objects.get().total.to_eng_string() == "83.00"
    r = send(c, path, {"points": ["25", "45", "18", "9"], "submit": True}, "put")
    assert r.status_code == 422 and r.json()["errors"] == ["“工作成效”的得分应在 0 到 40 分之间，当前为 45"]
    r = send(c, f"/api/scoring/participants/{reporters.east.pk}/my-score", {"points": GOOD, "submit": True}, "put")
    assert r.status_code == 422 and "回避" in r.json()["errors"][0]
    [a] = c.get("/api/scoring/my/assignments").json()
    assert a["done"] == 1 and a["reporters"][0]["status"] == "submitted"


def test_a_judge_without_a_seat_gets_404(users, api_for, meeting, reporters, panel):
    judging.open_window(users.organiser, reporters.west)
    outsider = api_for(make_user("judge_c", Role.JUDGE))
    assert outsider.get("/api/scoring/my/assignments").json() == []
    r = send(outsider, f"/api/scoring/participants/{reporters.west.pk}/my-score", {"points": GOOD, "submit": True},
             "put")
    assert r.status_code == 404 and not JudgeScore.objects.exists()
    r = send(api_for(users.organiser), f"/api/scoring/participants/{reporters.west.pk}/my-score",
             {"points": GOOD, "submit": True}, "put")
    assert r.status_code == 403
