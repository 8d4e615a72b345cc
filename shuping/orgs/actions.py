"""Actions on units and people: create, update, deactivate, set secretary, import the roster. Audited.

Pages, the JSON API and the management commands all call these. Each checks the actor's role through
the access helper, validates with Chinese messages (ValidationError) and records one audit event.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError

from shuping.accounts.access import ORG_EDITORS, check_roles
from shuping.accounts.models import User
from shuping.audit.log import record
from shuping.orgs import roster_rules
from shuping.orgs.models import Person, Unit, UnitCategory, UnitType

UNIT_FIELDS = ("code", "name", "short_name", "type", "category", "parent", "sort_order")
PERSON_FIELDS = ("name", "position", "gender", "phone")


def _unit_snapshot(unit: Unit) -> dict[str, Any]:
    return {
        "code": unit.code, "name": unit.name, "short_name": unit.short_name, "type": unit.type,
        "category": unit.category, "parent": unit.parent.code if unit.parent_id and unit.parent else None,
        "sort_order": unit.sort_order, "active": unit.active,
    }


def _person_snapshot(person: Person) -> dict[str, Any]:
    return {"name": person.name, "unit": person.unit.code, "position": person.position,
            "gender": person.gender, "phone": person.phone}


def _check_unit(unit: Unit) -> None:
    """Field values, unique code and no cycle in the parent links; raises with every problem found."""
    values = {"单位代码": unit.code, "单位名称": unit.name, "简称": unit.short_name}
    errors = [f"{col}：{reason}" for col, reason in roster_rules.field_problems(values, ["单位代码", "单位名称"])]
    if unit.type not in UnitType.values:
        errors.append(f"组织类型：“{unit.type}”不是允许的组织类型（{'、'.join(UnitType.values)}）")
    if unit.category not in UnitCategory.values:
        errors.append(f"类别：“{unit.category}”不是允许的类别（{'、'.join(UnitCategory.values)}）")
    if unit.code and Unit.objects.filter(code=unit.code).exclude(pk=unit.pk).exists():
        errors.append(f"单位代码：“{unit.code}”已被其他单位使用")
    if unit.parent_id is not None:
        if unit.pk is not None and unit.parent_id == unit.pk:
            errors.append("上级单位：不能是本单位")
        elif unit.pk is not None:
            # Walk up from the new parent; meeting this unit means it would become its own ancestor.
            node_id: int | None = unit.parent_id
            seen: set[int] = set()
            while node_id is not None and node_id not in seen:
                if node_id == unit.pk:
                    errors.append("上级单位：不能选择本单位的下级单位（会形成循环）")
                    break
                seen.add(node_id)
                node_id = Unit.objects.filter(pk=node_id).values_list("parent_id", flat=True).first()
    if errors:
        raise ValidationError(errors)


def _clean_text(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v.strip() if isinstance(v, str) else v for k, v in fields.items()}


@transaction.atomic
def create_unit(actor: User, **fields: Any) -> Unit:
    """fields: code, name, type, category; optional short_name, parent (Unit), sort_order."""
    check_roles(actor, *ORG_EDITORS)
    unknown = set(fields) - set(UNIT_FIELDS)
    if unknown:
        raise ValueError(f"unknown unit fields: {sorted(unknown)}")
    unit = Unit(**_clean_text(fields))
    _check_unit(unit)
    unit.save()
    record(actor, "unit.create", unit, f"新建单位“{unit.name}”（{unit.code}）", _unit_snapshot(unit))
    return unit


@transaction.atomic
def update_unit(actor: User, unit: Unit, **fields: Any) -> Unit:
    """Change any of UNIT_FIELDS; the others keep their values."""
    check_roles(actor, *ORG_EDITORS)
    unknown = set(fields) - set(UNIT_FIELDS)
    if unknown:
        raise ValueError(f"unknown unit fields: {sorted(unknown)}")
    unit = Unit.objects.select_for_update(of=("self",)).select_related("parent").get(pk=unit.pk)
    before = _unit_snapshot(unit)
    for name, value in _clean_text(fields).items():
        setattr(unit, name, value)
    _check_unit(unit)
    after = _unit_snapshot(unit)
    if after == before:
        return unit
    unit.save()
    changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    record(actor, "unit.update", unit, f"修改单位“{unit.name}”（{unit.code}）：{'、'.join(changed)}",
           {"code": unit.code, "changed": changed})
    return unit


@transaction.atomic
def deactivate_unit(actor: User, unit: Unit) -> Unit:
    """Stop using a unit (it stays in the tree and in past campaigns). Its active children must go first."""
    check_roles(actor, *ORG_EDITORS)
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    if not unit.active:
        raise ValidationError(f"单位“{unit.name}”已是停用状态")
    n = unit.children.filter(active=True).count()
    if n:
        raise ValidationError(f"单位“{unit.name}”还有 {n} 个在用的下级单位，请先停用或调整它们")
    unit.active = False
    unit.save(update_fields=["active"])
    record(actor, "unit.deactivate", unit, f"停用单位“{unit.name}”（{unit.code}）", {"code": unit.code})
    return unit


@transaction.atomic
def reactivate_unit(actor: User, unit: Unit) -> Unit:
    check_roles(actor, *ORG_EDITORS)
    unit = Unit.objects.select_for_update(of=("self",)).select_related("parent").get(pk=unit.pk)
    if unit.active:
        raise ValidationError(f"单位“{unit.name}”已是在用状态")
    if unit.parent is not None and not unit.parent.active:
        raise ValidationError(f"上级单位“{unit.parent.name}”已停用，请先启用上级单位")
    unit.active = True
    unit.save(update_fields=["active"])
    record(actor, "unit.reactivate", unit, f"重新启用单位“{unit.name}”（{unit.code}）", {"code": unit.code})
    return unit


def _check_person(person: Person) -> None:
    values = {"姓名": person.name, "职务": person.position, "电话": person.phone}
    errors = [f"{col}：{reason}" for col, reason in roster_rules.field_problems(values, ["姓名"])]
    if person.gender not in ("", *roster_rules.GENDERS):
        errors.append(f"性别：“{person.gender}”不是允许的值（男、女或留空）")
    if person.name and Person.objects.filter(unit_id=person.unit_id, name=person.name).exclude(pk=person.pk).exists():
        errors.append(f"姓名：本单位已有名为“{person.name}”的人员")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_person(actor: User, unit: Unit, name: str, position: str = "", gender: str = "", phone: str = "") -> Person:
    check_roles(actor, *ORG_EDITORS)
    person = Person(unit=unit, **_clean_text({"name": name, "position": position, "gender": gender, "phone": phone}))
    _check_person(person)
    person.save()
    record(actor, "person.create", person, f"在“{unit.name}”新增人员“{person.name}”", _person_snapshot(person))
    return person


@transaction.atomic
def update_person(actor: User, person: Person, **fields: Any) -> Person:
    """Change any of name, position, gender, phone (a person stays in their unit)."""
    check_roles(actor, *ORG_EDITORS)
    unknown = set(fields) - set(PERSON_FIELDS)
    if unknown:
        raise ValueError(f"unknown person fields: {sorted(unknown)}")
    person = Person.objects.select_for_update(of=("self",)).select_related("unit").get(pk=person.pk)
    before = _person_snapshot(person)
    for name, value in _clean_text(fields).items():
        setattr(person, name, value)
    _check_person(person)
    after = _person_snapshot(person)
    if after == before:
        return person
    person.save()
    changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    record(actor, "person.update", person, f"修改人员“{person.name}”（{person.unit.name}）：{'、'.join(changed)}",
           {"unit": person.unit.code, "changed": changed})
    return person


@transaction.atomic
def delete_person(actor: User, person: Person) -> None:
    check_roles(actor, *ORG_EDITORS)
    person = Person.objects.select_for_update(of=("self",)).select_related("unit").get(pk=person.pk)
    secretary_of = list(Unit.objects.filter(secretary=person).values_list("name", flat=True))
    if secretary_of:
        raise ValidationError(f"“{person.name}”是{'、'.join(secretary_of)}的书记，请先更换书记再删除")
    snapshot = _person_snapshot(person)
    pk = person.pk
    try:
        with transaction.atomic():
            person.delete()
    except ProtectedError:
        raise ValidationError(f"“{person.name}”已是考核方案中的述职人，不能删除") from None
    person.pk = pk  # so the audit event names the deleted row
    record(actor, "person.delete", person, f"删除人员“{snapshot['name']}”（{person.unit.name}）", snapshot)


@transaction.atomic
def set_secretary(actor: User, unit: Unit, person: Person | None) -> Unit:
    """Make `person` (who must belong to the unit) its secretary; None clears it."""
    check_roles(actor, *ORG_EDITORS)
    unit = Unit.objects.select_for_update(of=("self",)).select_related("secretary").get(pk=unit.pk)
    if person is not None and person.unit_id != unit.pk:
        raise ValidationError(f"“{person.name}”不是“{unit.name}”的人员，书记须从本单位人员中选择")
    before = unit.secretary.name if unit.secretary else None
    if unit.secretary_id == (person.pk if person else None):
        return unit
    unit.secretary = person
    unit.save(update_fields=["secretary"])
    after = person.name if person else None
    record(actor, "unit.secretary", unit, f"“{unit.name}”书记：{before or '无'} → {after or '无'}",
           {"code": unit.code, "before": before, "after": after})
    return unit


def import_roster(actor: User, data: bytes, filename: str) -> Any:
    """All or nothing: raises roster_rules.RosterRejected listing every problem, else returns an ImportResult."""
    from shuping.orgs import roster

    check_roles(actor, *ORG_EDITORS)
    return roster.import_roster(actor, data, filename)
