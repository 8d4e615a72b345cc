"""Unit and person actions: validation, cycles, permissions, audit."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shuping.audit.models import AuditEvent
from shuping.campaigns.models import Campaign, Participant
from shuping.orgs import actions
from shuping.orgs.models import Unit


def last_event() -> AuditEvent:
    return AuditEvent.objects.order_by("-seq").first()


def test_it_creates_a_unit_and_audits_it(users, district):
    u = actions.create_unit(users.organiser, code=" Q03 ", name="南城街道党工委", type="党工委", category="街道",
                            parent=district.root, sort_order=3)
    assert u.code == "Q03" and u.parent == district.root
    ev = last_event()
    assert (ev.action, ev.object_id, ev.data["parent"]) == ("unit.create", str(u.pk), "Q")


def test_it_rejects_duplicate_codes_and_wrong_values(users, district):
    with pytest.raises(ValidationError) as exc:
        actions.create_unit(users.organiser, code="Q01", name="", type="委员会", category="社区")
    msgs = exc.value.messages
    assert "单位代码：“Q01”已被其他单位使用" in msgs
    assert "单位名称：必填项为空" in msgs
    assert any(m.startswith("组织类型：“委员会”不是允许的组织类型") for m in msgs)
    assert any(m.startswith("类别：“社区”不是允许的类别") for m in msgs)


def test_it_refuses_cycles(users, district):
    child = actions.create_unit(users.organiser, code="Q0101", name="东城第一社区党委", type="党委", category="街道",
                                parent=district.east)
    with pytest.raises(ValidationError, match="不能是本单位"):
        actions.update_unit(users.organiser, district.east, parent=district.east)
    with pytest.raises(ValidationError, match="会形成循环"):
        actions.update_unit(users.organiser, district.root, parent=child)
    assert Unit.objects.get(pk=district.root.pk).parent is None


def test_update_audits_what_changed_and_skips_no_ops(users, district):
    actions.update_unit(users.organiser, district.east, name="东城街道党工委（新）", parent=district.root)
    ev = last_event()
    assert ev.action == "unit.update" and ev.data["changed"] == {"name": ["东城街道党工委", "东城街道党工委（新）"]}
    n = AuditEvent.objects.count()
    actions.update_unit(users.organiser, district.east, name="东城街道党工委（新）")
    assert AuditEvent.objects.count() == n


def test_only_organisers_change_units_and_people(users, district):
    for user in (users.admin, users.observer, users.chair, users.reporter, users.nobody):
        with pytest.raises(PermissionDenied):
            actions.create_unit(user, code="Z", name="Z", type="党委", category="其他")
        with pytest.raises(PermissionDenied):
            actions.update_unit(user, district.east, name="x")
        with pytest.raises(PermissionDenied):
            actions.create_person(user, district.east, "某人")
        with pytest.raises(PermissionDenied):
            actions.set_secretary(user, district.east, None)


def test_deactivate_needs_children_stopped_first(users, district):
    with pytest.raises(ValidationError, match="还有 3 个在用的下级单位"):
        actions.deactivate_unit(users.organiser, district.root)
    actions.deactivate_unit(users.organiser, district.east)
    assert not Unit.objects.get(pk=district.east.pk).active and last_event().action == "unit.deactivate"
    with pytest.raises(ValidationError, match="已是停用状态"):
        actions.deactivate_unit(users.organiser, district.east)
    actions.reactivate_unit(users.organiser, district.east)
    assert Unit.objects.get(pk=district.east.pk).active


def test_person_lifecycle(users, district):
    p = actions.create_person(users.organiser, district.east, "冯委员", "组织委员", "男", "123")
    assert last_event().action == "person.create"
    with pytest.raises(ValidationError, match="本单位已有名为“冯委员”的人员"):
        actions.create_person(users.organiser, district.east, "冯委员")
    with pytest.raises(ValidationError, match="性别"):
        actions.update_person(users.organiser, p, gender="X")
    actions.update_person(users.organiser, p, position="副书记")
    assert last_event().data["changed"] == {"position": ["组织委员", "副书记"]}
    actions.delete_person(users.organiser, p)
    assert last_event().action == "person.delete" and not district.east.people.filter(name="冯委员").exists()


def test_set_secretary_only_from_the_units_people(users, district):
    p = actions.create_person(users.organiser, district.east, "冯委员")
    actions.set_secretary(users.organiser, district.east, p)
    assert Unit.objects.get(pk=district.east.pk).secretary == p
    ev = last_event()
    assert (ev.action, ev.data["before"], ev.data["after"]) == ("unit.secretary", "钱东明", "冯委员")
    with pytest.raises(ValidationError, match="不是“西城街道党工委”的人员"):
        actions.set_secretary(users.organiser, district.west, p)


def test_it_refuses_to_delete_a_secretary_or_a_reporter(users, district):
    with pytest.raises(ValidationError, match="是东城街道党工委的书记"):
        actions.delete_person(users.organiser, district.east.secretary)
    c = Campaign.objects.create(year=2023, title="t", committee=district.root)
    old = district.east.secretary
    Participant.objects.create(campaign=c, unit=district.east, secretary=old)
    actions.set_secretary(users.organiser, district.east, actions.create_person(users.organiser, district.east, "新"))
    with pytest.raises(ValidationError, match="已是考核方案中的述职人"):
        actions.delete_person(users.organiser, old)
