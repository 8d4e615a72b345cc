"""Campaign states: legal moves work, illegal ones are refused, backward moves need a reason, the scheme freezes."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shuping.audit.models import AuditEvent
from shuping.campaigns import actions
from shuping.campaigns.models import TRANSITIONS, Campaign, CampaignState
from shuping.campaigns.scheme import default_scheme

FORWARD = ["published", "meeting", "tallying", "review", "announced", "archived"]


def move_to(user, campaign: Campaign, state: str) -> Campaign:
    for s in FORWARD[: FORWARD.index(state) + 1]:
        campaign = actions.transition(user, campaign, s)
    return campaign


def test_it_walks_the_whole_cycle(users, campaign):
    c = move_to(users.organiser, campaign, "archived")
    assert Campaign.objects.get(pk=c.pk).state == CampaignState.ARCHIVED
    steps = [e.data["to"] for e in AuditEvent.objects.filter(action="campaign.transition")]
    assert steps == FORWARD


@pytest.mark.parametrize("src", CampaignState.values)
def test_it_refuses_every_illegal_move(users, campaign, src):
    Campaign.objects.filter(pk=campaign.pk).update(state=src)
    c = Campaign.objects.get(pk=campaign.pk)
    for dest in CampaignState.values:
        if dest in TRANSITIONS[src]:
            continue
        with pytest.raises(ValidationError) as e:
            actions.transition(users.organiser, c, dest, reason="试一试")
        assert f"不能从“{CampaignState(src).label}”变为“{CampaignState(dest).label}”" in e.value.messages[0]
    assert Campaign.objects.get(pk=c.pk).state == src


def test_it_refuses_an_unknown_state(users, campaign):
    with pytest.raises(ValidationError, match="未知状态"):
        actions.transition(users.organiser, campaign, "closed")


@pytest.mark.parametrize(("src", "dest"), [("review", "tallying"), ("announced", "review")])
def test_backward_moves_need_a_reason(users, campaign, src, dest):
    Campaign.objects.filter(pk=campaign.pk).update(state=src)
    c = Campaign.objects.get(pk=campaign.pk)
    with pytest.raises(ValidationError) as e:
        actions.transition(users.organiser, c, dest, reason="  ")
    assert e.value.messages == [f"从“{CampaignState(src).label}”退回“{CampaignState(dest).label}”必须填写理由"]
    actions.transition(users.organiser, c, dest, reason="第三组计票有误，重新统分")
    ev = AuditEvent.objects.filter(action="campaign.transition").last()
    assert ev is not None
    assert ev.data == {"from": src, "to": dest, "reason": "第三组计票有误，重新统分", "backward": True}
    assert "理由：第三组计票有误" in ev.summary


def test_publishing_needs_a_participant(users, district):
    import datetime

    c = actions.create_campaign(users.organiser, year=2025, title="空方案", committee=district.root,
                                meeting_date=datetime.date(2026, 1, 20))
    with pytest.raises(ValidationError) as e:
        actions.transition(users.organiser, c, "published")
    assert e.value.messages == ["不能发布：至少需要一个述职对象"]


def test_publishing_needs_a_valid_scheme(users, campaign):
    bad = default_scheme()
    bad["speaking_minutes"] = 0
    Campaign.objects.filter(pk=campaign.pk).update(scheme=bad)
    with pytest.raises(ValidationError) as e:
        actions.transition(users.organiser, Campaign.objects.get(pk=campaign.pk), "published")
    assert e.value.messages == ["不能发布：考核规则：现场述职时间（分钟）应在 1 到 60 之间，当前为 0"]


def test_publishing_needs_a_meeting_date(users, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(meeting_date=None)
    with pytest.raises(ValidationError, match="请先填写述职评议会日期"):
        actions.transition(users.organiser, Campaign.objects.get(pk=campaign.pk), "published")


def test_only_organisers_change_states(users, campaign):
    for who in (users.observer, users.admin, users.chair, users.reporter, users.nobody):
        with pytest.raises(PermissionDenied):
            actions.transition(who, campaign, "published")
    assert Campaign.objects.get(pk=campaign.pk).state == CampaignState.DRAFT


def test_the_scheme_can_change_in_draft(users, campaign):
    s = default_scheme()
    s["speaking_minutes"] = "8"
    s["voter_groups"] = [{"name": "区委领导", "weight": "50"}, {"name": "党代表", "weight": " 50.0 "}]
    c = actions.update_scheme(users.organiser, campaign, s)
    c.refresh_from_db()
    assert c.scheme["speaking_minutes"] == 8
    assert c.scheme["voter_groups"][1] == {"name": "党代表", "weight": "50.0"}
    ev = AuditEvent.objects.filter(action="campaign.scheme").last()
    assert ev is not None and ev.data["changed"] == ["speaking_minutes", "voter_groups"]


def test_an_invalid_scheme_is_refused_with_every_message(users, campaign):
    s = default_scheme()
    s["trim_k"], s["trim_min_judges"], s["quota_good_percent"] = 2, 3, "150"
    with pytest.raises(ValidationError) as e:
        actions.update_scheme(users.organiser, campaign, s)
    assert e.value.messages == ["去掉最高、最低各 2 个分数后至少要留 1 个，最少评委数应不少于 5",
                                "“好”等次比例上限应在 0 到 100 之间，当前为 150%"]
    campaign.refresh_from_db()
    assert campaign.scheme == default_scheme()


def test_a_malformed_scheme_is_refused(users, campaign):
    s = default_scheme()
    s["voter_groups"] = ["区委领导"]
    with pytest.raises(ValidationError, match="考核规则"):
        actions.update_scheme(users.organiser, campaign, s)


@pytest.mark.parametrize("state", FORWARD)
def test_the_scheme_is_frozen_once_published(users, campaign, state):
    Campaign.objects.filter(pk=campaign.pk).update(state=state)
    with pytest.raises(ValidationError) as e:
        actions.update_scheme(users.organiser, Campaign.objects.get(pk=campaign.pk), default_scheme())
    assert "考核规则已冻结" in e.value.messages[0]


def test_creating_sets_the_report_deadline_from_the_scheme(users, campaign):
    assert str(campaign.report_deadline) == "2026-01-10"  # 10 days before 2026-01-20


def test_it_refuses_a_second_campaign_for_the_same_year(users, campaign, district):
    with pytest.raises(ValidationError, match="2025 年度考核方案已存在"):
        actions.create_campaign(users.organiser, year=2025, title="重复", committee=district.root)


def test_it_refuses_a_deadline_after_the_meeting(users, campaign):
    import datetime

    with pytest.raises(ValidationError, match="述职报告截止日期不能晚于述职评议会日期"):
        actions.update_campaign(users.organiser, campaign, title=campaign.title,
                                meeting_date=datetime.date(2026, 1, 20), report_deadline=datetime.date(2026, 1, 25))


def test_the_year_is_fixed_once_published(users, published):
    with pytest.raises(ValidationError, match="年度不能修改"):
        actions.update_campaign(users.organiser, published, title=published.title, year=2030,
                                meeting_date=published.meeting_date, report_deadline=published.report_deadline)
