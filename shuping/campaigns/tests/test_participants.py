"""Participant rules: secretaries, modes, a contiguous speaking order, editable only before the meeting."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shuping.audit.models import AuditEvent
from shuping.campaigns import actions
from shuping.campaigns.models import Campaign, ParticipantMode
from shuping.orgs.models import Person, Unit


def order(c: Campaign) -> list[tuple[str, int | None]]:
    return list(c.participants.filter(mode=ParticipantMode.ONSITE).order_by("speaking_order")
                .values_list("unit__code", "speaking_order"))


def test_a_participant_defaults_to_the_units_secretary(users, campaign, district):
    p = campaign.participants.get(unit=district.east)
    assert p.secretary.name == "钱东明"
    ev = AuditEvent.objects.filter(action="participant.add").first()
    assert ev is not None and ev.data["unit"] == "Q01"


def test_a_unit_without_secretary_is_refused(users, campaign, streets):
    u = streets[0]
    u.secretary = None
    u.save()
    with pytest.raises(ValidationError) as e:
        actions.add_participant(users.organiser, campaign, u)
    assert e.value.messages == ["单位“第3街道党工委”没有书记，请先在组织架构中设置书记，或指定述职人"]


def test_another_units_person_is_refused_as_secretary(users, campaign, streets, district):
    with pytest.raises(ValidationError, match="述职人“钱东明”不是“第3街道党工委”的人员"):
        actions.add_participant(users.organiser, campaign, streets[0], secretary=district.east.secretary)


def test_a_unit_is_added_only_once(users, campaign, district):
    with pytest.raises(ValidationError, match="“东城街道党工委”已是本考核方案的述职对象"):
        actions.add_participant(users.organiser, campaign, district.east)


def test_on_site_order_is_one_to_n(users, campaign, streets):
    assert order(campaign) == [("Q01", 1), ("Q02", 2)]
    actions.add_participant(users.organiser, campaign, streets[0], speaking_order=1)
    assert order(campaign) == [("Q03", 1), ("Q01", 2), ("Q02", 3)]
    actions.remove_participant(users.organiser, campaign.participants.get(unit__code="Q01"))
    assert order(campaign) == [("Q03", 1), ("Q02", 2)]


def test_written_reporters_have_no_order(users, campaign):
    p = campaign.participants.get(unit__code="Q01")
    actions.update_participant(users.organiser, p, mode=ParticipantMode.WRITTEN)
    assert order(campaign) == [("Q02", 1)]
    p.refresh_from_db()
    assert p.speaking_order is None
    actions.update_participant(users.organiser, p, mode=ParticipantMode.ONSITE)
    assert order(campaign) == [("Q02", 1), ("Q01", 2)]


def test_move_up_and_down(users, campaign, streets):
    actions.add_participant(users.organiser, campaign, streets[0])
    actions.move_participant(users.organiser, campaign.participants.get(unit__code="Q03"), "up")
    assert order(campaign) == [("Q01", 1), ("Q03", 2), ("Q02", 3)]
    actions.move_participant(users.organiser, campaign.participants.get(unit__code="Q01"), "down")
    assert order(campaign) == [("Q03", 1), ("Q01", 2), ("Q02", 3)]
    actions.move_participant(users.organiser, campaign.participants.get(unit__code="Q03"), "up")  # already first
    assert order(campaign) == [("Q03", 1), ("Q01", 2), ("Q02", 3)]


def test_set_a_full_order(users, campaign, streets):
    actions.add_participant(users.organiser, campaign, streets[0])
    ids = dict(campaign.participants.values_list("unit__code", "pk"))
    actions.set_speaking_order(users.organiser, campaign, [ids["Q02"], ids["Q03"], ids["Q01"]])
    assert order(campaign) == [("Q02", 1), ("Q03", 2), ("Q01", 3)]


def test_a_full_order_must_name_every_on_site_reporter_once(users, campaign):
    ids = dict(campaign.participants.values_list("unit__code", "pk"))
    for bad in ([ids["Q01"]], [ids["Q01"], ids["Q01"]], [ids["Q01"], ids["Q02"], ids["Q11"]]):
        with pytest.raises(ValidationError, match="述职顺序应包括全部现场述职对象，且每个只出现一次"):
            actions.set_speaking_order(users.organiser, campaign, bad)


def test_bulk_add_of_a_category(users, campaign, streets):
    added = actions.add_participants(users.organiser, campaign, list(Unit.objects.filter(category="街道")),
                                     draw_group="街道")
    assert len(added) == 5  # east and west were already in
    assert [n for _, n in order(campaign)] == list(range(1, 8))


def test_bulk_add_is_all_or_nothing(users, campaign, streets):
    streets[1].secretary = None
    streets[1].save()
    with pytest.raises(ValidationError) as e:
        actions.add_participants(users.organiser, campaign, streets)
    assert e.value.messages == ["以下单位没有书记，请先在组织架构中设置书记：第4街道党工委"]
    assert campaign.participants.count() == 3


def test_participants_are_editable_while_published(users, published, streets):
    actions.add_participant(users.organiser, published, streets[0])
    assert published.participants.count() == 4


@pytest.mark.parametrize("state", ["meeting", "tallying", "review", "announced", "archived"])
def test_participants_are_frozen_from_the_meeting_on(users, campaign, streets, state):
    Campaign.objects.filter(pk=campaign.pk).update(state=state)
    c = Campaign.objects.get(pk=campaign.pk)
    p = c.participants.first()
    assert p is not None
    attempts = [
        lambda: actions.add_participant(users.organiser, c, streets[0]),
        lambda: actions.update_participant(users.organiser, p, mode=ParticipantMode.WRITTEN),
        lambda: actions.remove_participant(users.organiser, p),
        lambda: actions.move_participant(users.organiser, p, "down"),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError, match="述职对象已不能修改"):
            attempt()


def test_changing_the_secretary(users, campaign, district):
    deputy = Person.objects.create(name="王副书记", unit=district.east, position="副书记")
    p = actions.update_participant(users.organiser, campaign.participants.get(unit=district.east), secretary=deputy)
    assert p.secretary == deputy


def test_only_organisers_edit_participants(users, campaign, streets):
    for who in (users.observer, users.admin, users.reporter, users.judge):
        with pytest.raises(PermissionDenied):
            actions.add_participant(who, campaign, streets[0])
