"""整改台账 pages: who may open and post what, the three lists, filters, flags, closure through the pages."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from shuping.ballots.models import BallotBox, BallotComment, BoxState
from shuping.rectification import actions
from shuping.rectification.models import EntryState, Evidence, LedgerEntry, ProgressReport, Source

READERS = ["organiser", "observer", "chair", "owner", "reporter"]
OUTSIDERS = ["judge", "teller", "admin", "nobody"]


def url(name: str, *args) -> str:
    return reverse(f"rectification:{name}", args=args)


# ---------------------------------------------------------------- reading


@pytest.mark.parametrize("who", READERS)
def test_ledger_and_entry_open_for_readers_and_the_units_people(client_for, users, entry, who):
    c = client_for(getattr(users, who))
    r = c.get(url("ledger"))
    assert r.status_code == 200 and "基层党组织书记培训覆盖面不足" in r.text
    assert c.get(url("detail", entry.pk)).status_code == 200


@pytest.mark.parametrize("who", OUTSIDERS)
def test_others_get_403(client_for, users, entry, who):
    c = client_for(getattr(users, who))
    assert c.get(url("ledger")).status_code == 403
    assert c.get(url("detail", entry.pk)).status_code == 403


def test_anonymous_goes_to_login(client, entry):
    r = client.get(url("detail", entry.pk))
    assert r.status_code == 302 and "/login/" in r["Location"]


def test_a_unit_sees_only_its_own_entries(client_for, users, entry, west_entry):
    c = client_for(users.other_reporter)
    r = c.get(url("ledger"))
    assert "党员活动阵地利用率不高" in r.text and "基层党组织书记培训覆盖面不足" not in r.text
    assert c.get(url("detail", entry.pk)).status_code == 404
    assert c.post(url("progress", entry.pk), {"text": "x"}).status_code == 404
    assert c.post(url("request_closure", entry.pk), {"note": "x"}).status_code == 404
    assert not ProgressReport.objects.exists()


def test_three_lists_show_their_columns(client_for, users, entry):
    c = client_for(users.organiser)
    problems = c.get(url("ledger")).text
    assert "督查" in problems and "党务队伍建设" in problems
    tasks = c.get(url("ledger") + "?view=tasks").text
    assert "分批轮训社区书记" in tasks and "2026-06-30" in tasks and "年内轮训全覆盖" in tasks
    people = c.get(url("ledger") + "?view=people").text
    assert "钱东明" in people and "整改中" in people


def test_filters(client_for, users, entry, west_entry):
    c = client_for(users.organiser)
    r = c.get(url("ledger"), {"unit": west_entry.unit_id})
    assert "党员活动阵地利用率不高" in r.text and "基层党组织书记培训覆盖面不足" not in r.text
    r = c.get(url("ledger"), {"source": "inspection"})
    assert "基层党组织书记培训覆盖面不足" in r.text and "党员活动阵地利用率不高" not in r.text
    r = c.get(url("ledger"), {"state": "closed"})
    assert "没有符合条件的整改台账条目" in r.text


def test_overdue_flags_on_the_lists(client_for, users, entry, west_entry):
    today = timezone.localdate()
    LedgerEntry.objects.filter(pk=entry.pk).update(created_at=timezone.now() - datetime.timedelta(days=200),
                                                   deadline=today + datetime.timedelta(days=30))
    LedgerEntry.objects.filter(pk=west_entry.pk).update(deadline=today - datetime.timedelta(days=1))
    r = client_for(users.owner).get(url("ledger"))
    assert "进展逾期" in r.text and 'data-testid="flag-deadline"' not in r.text
    r = client_for(users.organiser).get(url("ledger"), {"overdue": "deadline"})
    assert "党员活动阵地利用率不高" in r.text and "基层党组织书记培训覆盖面不足" not in r.text
    assert 'data-testid="n-flagged">1 条逾期' in r.text


# ---------------------------------------------------------------- the organiser's form


def _form(district, **kw):
    data = {"unit": district.east.pk, "problem": "“三会一课”记录不规范", "category": "members",
            "source": "self", "source_ref": "", "measures": "逐月检查", "target": "记录规范",
            "responsible": "", "responsible_name": "张委员", "deadline": "2026-09-30"}
    data.update(kw)
    return data


def test_organiser_creates_and_edits(client_for, users, district):
    c = client_for(users.organiser)
    assert c.get(url("new")).status_code == 200
    r = c.post(url("new"), _form(district))
    e = LedgerEntry.objects.get()
    assert r.status_code == 302 and r["Location"] == url("detail", e.pk)
    assert e.responsible_name == "张委员" and e.deadline == datetime.date(2026, 9, 30)
    r = c.post(url("edit", e.pk), _form(district, measures="每月抽查", responsible=district.east.secretary.pk))
    e.refresh_from_db()
    assert e.measures == "每月抽查" and e.responsible == district.east.secretary


def test_form_shows_chinese_errors(client_for, users, district):
    c = client_for(users.organiser)
    r = c.post(url("new"), _form(district, responsible=district.west.secretary.pk))
    assert r.status_code == 200 and "不是东城街道党工委的人员" in r.text
    assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize("who", ["observer", "chair", "owner", "reporter", "judge"])
def test_only_organisers_create_or_edit(client_for, users, district, entry, who):
    c = client_for(getattr(users, who))
    assert c.get(url("new")).status_code == 403
    assert c.post(url("new"), _form(district)).status_code == 403
    assert c.post(url("edit", entry.pk), _form(district)).status_code == 403
    assert LedgerEntry.objects.count() == 1


def test_observer_sees_no_write_buttons(client_for, users, entry):
    r = client_for(users.observer).get(url("detail", entry.pk))
    for testid in ("edit", "post-progress", "request-closure", "verify", "reopen"):
        assert f'data-testid="{testid}"' not in r.text


# ---------------------------------------------------------------- progress and closure through the pages


def test_owner_posts_progress_with_a_file_and_downloads_it(client_for, users, entry, files):
    c = client_for(users.owner)
    r = c.post(url("progress", entry.pk), {"text": "完成第一批轮训", "files": [files.upload("签到表.pdf", files.pdf)]},
               follow=True)
    assert "已报送整改进展，附佐证材料 1 份" in r.text and "签到表.pdf" in r.text
    ev = Evidence.objects.get()
    d = c.get(url("evidence", ev.pk))
    assert d.status_code == 200 and b"".join(d.streaming_content) == files.pdf
    assert "attachment" in d["Content-Disposition"] and d["Content-Type"] == "application/pdf"


def test_download_follows_the_entry(client_for, users, entry, files):
    actions.post_progress(users.owner, entry, text="进展", files=[files.upload("a.pdf", files.pdf)])
    ev = Evidence.objects.get()
    assert client_for(users.observer).get(url("evidence", ev.pk)).status_code == 200
    assert client_for(users.reporter).get(url("evidence", ev.pk)).status_code == 200
    assert client_for(users.other_reporter).get(url("evidence", ev.pk)).status_code == 404
    assert client_for(users.judge).get(url("evidence", ev.pk)).status_code == 403
    assert "/media/" not in client_for(users.owner).get(url("detail", entry.pk)).text


def test_a_refused_upload_shows_the_reason_and_keeps_nothing(client_for, users, entry, files, media):
    r = client_for(users.owner).post(url("progress", entry.pk),
                                     {"text": "进展", "files": [files.upload("宏.docx", files.docm)]}, follow=True)
    assert "宏" in r.text
    assert not ProgressReport.objects.exists() and not Evidence.objects.exists()
    assert not [p for p in media.rglob("*") if p.is_file()]


@pytest.mark.parametrize("who", ["organiser", "observer", "chair"])
def test_only_unit_people_post_progress_or_request(client_for, users, entry, files, who):
    c = client_for(getattr(users, who))
    assert c.post(url("progress", entry.pk), {"text": "x"}).status_code == 403
    assert c.post(url("request_closure", entry.pk), {"note": "x", "files": [files.upload("a.pdf", files.pdf)]}
                  ).status_code == 403


def test_closure_through_the_pages(client_for, users, organiser2, entry, files):
    owner = client_for(users.owner)
    r = owner.post(url("request_closure", entry.pk), {"note": "已完成"}, follow=True)
    assert "申请销号需要至少一份佐证材料" in r.text
    r = owner.post(url("request_closure", entry.pk), {"note": "已全部完成", "files": [files.upload("总结.docx", files.docx)]},
                   follow=True)
    assert "已申请销号" in r.text
    entry.refresh_from_db()
    assert entry.state == EntryState.REQUESTED
    # observer and owner cannot verify
    assert client_for(users.observer).post(url("verify", entry.pk), {"decision": "verify"}).status_code == 403
    assert owner.post(url("verify", entry.pk), {"decision": "verify"}).status_code == 403
    # second organiser returns with a reason; the owner sees it
    r = client_for(organiser2).post(url("verify", entry.pk), {"decision": "return", "reason": "缺少培训名单"}, follow=True)
    assert "已退回销号申请" in r.text
    assert "缺少培训名单" in owner.get(url("detail", entry.pk)).text
    owner.post(url("request_closure", entry.pk), {"note": "已补充名单", "files": [files.upload("名单.xlsx", files.xlsx)]})
    r = client_for(organiser2).post(url("verify", entry.pk), {"decision": "verify"}, follow=True)
    assert "审核通过，已销号" in r.text and 'data-testid="closed"' in r.text
    entry.refresh_from_db()
    assert entry.state == EntryState.CLOSED and entry.verified_by == organiser2


def test_the_requester_sees_no_verify_buttons(client_for, users, entry, files, district):
    from shuping.accounts.models import Role, User, UserRole
    UserRole.objects.create(user=users.organiser, role=Role.OWNER)
    User.objects.filter(pk=users.organiser.pk).update(unit=district.east)
    both = User.objects.get(pk=users.organiser.pk)
    c = client_for(both)
    c.post(url("request_closure", entry.pk), {"note": "已完成", "files": [files.upload("a.pdf", files.pdf)]})
    r = c.get(url("detail", entry.pk))
    assert 'data-testid="verify"' not in r.text and 'data-testid="own-request"' in r.text
    r = c.post(url("verify", entry.pk), {"decision": "verify"}, follow=True)
    assert "销号申请须由申请人以外的组织部工作人员审核" in r.text
    entry.refresh_from_db()
    assert entry.state == EntryState.REQUESTED


def test_reopen_through_the_page(client_for, users, organiser2, entry, files):
    actions.request_closure(users.owner, entry, note="已完成", files=[files.upload("a.pdf", files.pdf)])
    actions.verify_closure(organiser2, entry)
    c = client_for(users.organiser)
    r = c.post(url("reopen", entry.pk), {"reason": ""}, follow=True)
    assert "请填写重新打开的理由" in r.text
    r = c.post(url("reopen", entry.pk), {"reason": "问题反弹"}, follow=True)
    assert "已重新打开" in r.text
    assert client_for(users.observer).post(url("reopen", entry.pk), {"reason": "x"}).status_code == 403


def test_get_on_post_only_pages_is_refused(client_for, users, entry):
    c = client_for(users.owner)
    for name in ("progress", "request_closure", "verify", "reopen"):
        assert c.get(url(name, entry.pk)).status_code == 405


# ---------------------------------------------------------------- from ballot comments


@pytest.fixture
def comment(campaign) -> BallotComment:
    box = BallotBox.objects.create(campaign=campaign, state=BoxState.PUBLISHED)
    return BallotComment.objects.create(box=box, text="希望加强对社区党组织书记的培训")


def test_ballot_comments_page_turns_one_into_an_entry(client_for, users, campaign, comment, district):
    c = client_for(users.organiser)
    r = c.get(url("comments", campaign.pk))
    assert r.status_code == 200 and comment.text in r.text
    r = c.post(url("comments", campaign.pk), {"comment": str(comment.pk), "unit": district.east.pk,
                                              "category": "workforce", "deadline": "2026-10-31"})
    e = LedgerEntry.objects.get()
    assert r["Location"] == url("detail", e.pk)
    assert e.source == Source.BALLOT and e.problem == comment.text and e.deadline == datetime.date(2026, 10, 31)
    assert "已转" in c.get(url("comments", campaign.pk)).text


def test_ballot_comments_page_is_for_organisers(client_for, users, campaign, comment):
    for who in ("observer", "chair", "owner", "reporter", "judge"):
        assert client_for(getattr(users, who)).get(url("comments", campaign.pk)).status_code == 403


def test_unpublished_comments_are_not_listed(client_for, users, campaign):
    box = BallotBox.objects.create(campaign=campaign, state=BoxState.CLOSED)
    BallotComment.objects.create(box=box, text="尚未公布的意见")
    r = client_for(users.organiser).get(url("comments", campaign.pk))
    assert "尚未公布的意见" not in r.text and "民主测评结果公布后" in r.text


# ---------------------------------------------------------------- dashboard 待办


def test_dashboard_lists_ledger_todos(client_for, users, organiser2, entry, west_entry, files):
    # Both fixtures' deadlines may be past on the day the suite runs: pin them to the future and age `entry`.
    today = timezone.localdate()
    LedgerEntry.objects.update(deadline=today + datetime.timedelta(days=30))
    LedgerEntry.objects.filter(pk=entry.pk).update(created_at=timezone.now() - datetime.timedelta(days=200))
    assert "整改台账：1 条进展逾期" in client_for(users.owner).get("/").text
    assert "整改台账：" not in client_for(users.other_reporter).get("/").text
    actions.request_closure(users.owner, entry, note="已完成",
                            files=[files.upload("a.pdf", files.pdf)])
    assert "整改台账：1 条销号申请待审核" in client_for(organiser2).get("/").text
    actions.return_closure(organiser2, entry, reason="材料不足")
    assert "整改台账：1 条销号申请被退回" in client_for(users.owner).get("/").text
    assert "整改台账：" not in client_for(users.judge).get("/").text
