"""Copying last year's campaign: same scheme and participants, the units' current secretaries, in draft."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from shuping.audit.models import AuditEvent
from shuping.campaigns import actions
from shuping.campaigns.models import Campaign, CampaignState
from shuping.campaigns.scheme import default_scheme
from shuping.orgs.models import Person


def test_it_copies_scheme_and_participants_into_next_years_draft(users, campaign, district):
    s = default_scheme()
    s["speaking_minutes"] = 8
    actions.update_scheme(users.organiser, campaign, s)
    c = move_to_archived(users, campaign)
    new = actions.copy_campaign(users.organiser, c)
    assert (new.year, new.state, new.copied_from_id) == (2026, CampaignState.DRAFT, c.pk)
    assert new.title == "2026年度党（工）委书记抓基层党建工作述职评议"
    assert new.scheme["speaking_minutes"] == 8
    rows = list(new.participants.order_by("unit__code").values_list("unit__code", "mode", "speaking_order"))
    assert rows == [("Q01", "onsite", 1), ("Q02", "onsite", 2), ("Q11", "written", None)]
    assert new.meeting_date is None


def move_to_archived(users, c: Campaign) -> Campaign:
    for s in ("published", "meeting", "tallying", "review", "announced", "archived"):
        c = actions.transition(users.organiser, c, s)
    return c


def test_it_takes_the_units_current_secretary(users, campaign, district):
    new_sec = Person.objects.create(name="周新任", unit=district.east, position="书记")
    district.east.secretary = new_sec
    district.east.save()
    new = actions.copy_campaign(users.organiser, campaign)
    assert new.participants.get(unit=district.east).secretary == new_sec
    assert campaign.participants.get(unit=district.east).secretary.name == "钱东明"
    ev = AuditEvent.objects.get(action="campaign.copy")
    assert ev.data["secretary_changed"] == ["Q01"] and ev.data["source"] == campaign.pk


def test_it_refuses_when_a_unit_has_no_secretary_now(users, campaign, district):
    district.west.secretary = None
    district.west.save()
    with pytest.raises(ValidationError) as e:
        actions.copy_campaign(users.organiser, campaign)
    assert e.value.messages == ["以下单位当前没有书记，请先在组织架构中设置后再复制：西城街道党工委"]
    assert Campaign.objects.count() == 1


def test_it_refuses_when_next_year_exists(users, campaign):
    actions.copy_campaign(users.organiser, campaign)
    with pytest.raises(ValidationError, match="2026 年度考核方案已存在，不能再复制"):
        actions.copy_campaign(users.organiser, campaign)


def test_it_leaves_out_inactive_units(users, campaign, district):
    district.west.active = False
    district.west.save()
    new = actions.copy_campaign(users.organiser, campaign)
    assert list(new.participants.values_list("unit__code", flat=True).order_by("unit__code")) == ["Q01", "Q11"]


def test_the_copy_does_not_share_its_scheme(users, campaign):
    new = actions.copy_campaign(users.organiser, campaign)
    s = default_scheme()
    s["speaking_minutes"] = 9
    actions.update_scheme(users.organiser, new, s)
    campaign.refresh_from_db()
    assert campaign.scheme["speaking_minutes"] == 6
