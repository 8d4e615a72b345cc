"""JSON API for units and people: same access helper and actions as the pages.

Organisers write; wide readers (observer, chair, judge, teller, admin) read everything; reporters and
ledger owners see only their own unit and its people.
"""
# No `from __future__ import annotations`: django-ninja reads the annotations at run time.

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.responses import Status

from shuping.accounts import access
from shuping.orgs import actions
from shuping.orgs.models import Person, Unit

router = Router(tags=["组织架构"])


class UnitOut(Schema):
    id: int = Field(description="单位 ID")
    code: str = Field(description="单位代码（唯一）")
    name: str = Field(description="单位名称")
    short_name: str = Field(description="简称")
    type: str = Field(description="组织类型：党委、党工委、工委、党组、党总支、党支部")
    category: str = Field(description="类别：区县委、街道、乡镇、机关、国企、学校、医院、两新、离退休、园区、其他")
    parent_id: int | None = Field(description="上级单位 ID；顶层单位为空")
    parent_code: str | None = Field(description="上级单位代码")
    secretary_id: int | None = Field(description="书记（人员 ID）")
    secretary_name: str | None = Field(description="书记姓名")
    sort_order: int = Field(description="排序，越小越靠前")
    active: bool = Field(description="是否在用（停用的单位仍保留在历史考核中）")

    @staticmethod
    def resolve_parent_code(obj: Unit) -> str | None:
        return obj.parent.code if obj.parent_id and obj.parent else None

    @staticmethod
    def resolve_secretary_name(obj: Unit) -> str | None:
        return obj.secretary.name if obj.secretary_id and obj.secretary else None


class UnitIn(Schema):
    code: str = Field(description="单位代码（唯一）", max_length=32)
    name: str = Field(description="单位名称", max_length=100)
    short_name: str = Field("", description="简称", max_length=50)
    type: str = Field(description="组织类型")
    category: str = Field(description="类别")
    parent_code: str | None = Field(None, description="上级单位代码；留空为顶层单位")
    sort_order: int = Field(0, description="排序")


class UnitPatch(Schema):
    code: str | None = Field(None, description="单位代码", max_length=32)
    name: str | None = Field(None, description="单位名称", max_length=100)
    short_name: str | None = Field(None, description="简称", max_length=50)
    type: str | None = Field(None, description="组织类型")
    category: str | None = Field(None, description="类别")
    parent_code: str | None = Field(None, description="上级单位代码；传空字符串改为顶层单位")
    sort_order: int | None = Field(None, description="排序")
    secretary_id: int | None = Field(None, description="设为书记的人员 ID（须是本单位人员）；传 0 清除书记")
    active: bool | None = Field(None, description="false 停用，true 重新启用")


class PersonOut(Schema):
    id: int = Field(description="人员 ID")
    name: str = Field(description="姓名")
    unit_id: int = Field(description="所属单位 ID")
    unit_code: str = Field(description="所属单位代码")
    position: str = Field(description="职务")
    gender: str = Field(description="性别：男、女或空")
    phone: str = Field(description="电话")
    is_secretary: bool = Field(description="是否为所属单位的书记")

    @staticmethod
    def resolve_unit_code(obj: Person) -> str:
        return obj.unit.code

    @staticmethod
    def resolve_is_secretary(obj: Person) -> bool:
        return obj.unit.secretary_id == obj.pk


class PersonIn(Schema):
    unit_id: int = Field(description="所属单位 ID")
    name: str = Field(description="姓名", max_length=50)
    position: str = Field("", description="职务", max_length=100)
    gender: str = Field("", description="性别：男、女或空")
    phone: str = Field("", description="电话", max_length=30)


class PersonPatch(Schema):
    name: str | None = Field(None, description="姓名", max_length=50)
    position: str | None = Field(None, description="职务", max_length=100)
    gender: str | None = Field(None, description="性别：男、女或空")
    phone: str | None = Field(None, description="电话", max_length=30)


class UnitFilter(Schema):
    parent: int | None = Field(None, description="只列出此单位（ID）的直接下级")
    roots: bool = Field(False, description="只列出顶层单位")
    category: str | None = Field(None, description="按类别筛选")
    q: str | None = Field(None, description="按名称、简称或代码搜索")
    active: bool | None = Field(None, description="按是否在用筛选")


def _actor(request: HttpRequest) -> Any:
    return request.user


def _parent(actor: Any, code: str | None) -> Unit | None:
    if not code:
        return None
    unit = access.visible_units(actor).filter(code=code.strip()).first()
    if unit is None:
        raise ValidationError(f"上级单位代码“{code}”不存在")
    return unit


def _unit_out(pk: int) -> Unit:
    return Unit.objects.select_related("parent", "secretary").get(pk=pk)


@router.get("/units", response=list[UnitOut], summary="单位列表（可按上级、类别、关键字筛选，分页）")
@paginate(LimitOffsetPagination)
def list_units(request: HttpRequest, filters: Query[UnitFilter]) -> QuerySet[Unit]:
    qs = access.visible_units(_actor(request)).select_related("parent", "secretary").order_by("sort_order", "code")
    if filters.parent is not None:
        qs = qs.filter(parent_id=filters.parent)
    if filters.roots:
        qs = qs.filter(parent=None)
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.active is not None:
        qs = qs.filter(active=filters.active)
    if filters.q:
        q = filters.q.strip()
        qs = qs.filter(Q(name__icontains=q) | Q(short_name__icontains=q) | Q(code__icontains=q))
    return qs


@router.get("/units/{unit_id}", response=UnitOut, summary="单位详情")
def get_unit(request: HttpRequest, unit_id: int) -> Unit:
    return _unit_out(access.get_unit(_actor(request), unit_id).pk)


@router.post("/units", response={201: UnitOut}, summary="新建单位（组织部）")
def create_unit(request: HttpRequest, data: UnitIn) -> Status[Unit]:
    actor = _actor(request)
    access.check_roles(actor, *access.ORG_EDITORS)
    fields = data.dict()
    fields["parent"] = _parent(actor, fields.pop("parent_code"))
    unit = actions.create_unit(actor, **fields)
    return Status(201, _unit_out(unit.pk))


@router.api_operation(["PATCH", "PUT"], "/units/{unit_id}", response=UnitOut,
                      summary="修改单位（组织部）：只改传入的字段；也可设书记、停用/启用")
def update_unit(request: HttpRequest, unit_id: int, data: UnitPatch) -> Unit:
    actor = _actor(request)
    unit = access.get_unit(actor, unit_id, write=True)
    given = data.dict(exclude_unset=True)
    secretary_id = given.pop("secretary_id", None)
    active = given.pop("active", None)
    if "parent_code" in given:
        given["parent"] = _parent(actor, given.pop("parent_code"))
    given = {k: v for k, v in given.items() if v is not None or k == "parent"}
    if given:
        unit = actions.update_unit(actor, unit, **given)
    if "secretary_id" in data.model_fields_set:
        person = access.get_person(actor, secretary_id) if secretary_id else None
        actions.set_secretary(actor, unit, person)
    if active is not None and active != unit.active:
        (actions.reactivate_unit if active else actions.deactivate_unit)(actor, unit)
    return _unit_out(unit.pk)


@router.get("/people", response=list[PersonOut], summary="人员列表（可按单位、关键字筛选，分页）")
@paginate(LimitOffsetPagination)
def list_people(request: HttpRequest, unit: int | None = None, q: str | None = None) -> QuerySet[Person]:
    qs = access.visible_people(_actor(request)).select_related("unit").order_by("unit__sort_order", "unit__code", "id")
    if unit is not None:
        qs = qs.filter(unit_id=unit)
    if q:
        qs = qs.filter(Q(name__icontains=q.strip()) | Q(position__icontains=q.strip()))
    return qs


@router.get("/people/{person_id}", response=PersonOut, summary="人员详情")
def get_person(request: HttpRequest, person_id: int) -> Person:
    return access.get_person(_actor(request), person_id)


@router.post("/people", response={201: PersonOut}, summary="新增人员（组织部）")
def create_person(request: HttpRequest, data: PersonIn) -> Status[Person]:
    actor = _actor(request)
    fields = data.dict()
    unit = access.get_unit(actor, fields.pop("unit_id"), write=True)
    person = actions.create_person(actor, unit, **fields)
    return Status(201, access.get_person(actor, person.pk))


@router.api_operation(["PATCH", "PUT"], "/people/{person_id}", response=PersonOut,
                      summary="修改人员（组织部）：只改传入的字段")
def update_person(request: HttpRequest, person_id: int, data: PersonPatch) -> Person:
    actor = _actor(request)
    person = access.get_person(actor, person_id, write=True)
    given = {k: v for k, v in data.dict(exclude_unset=True).items() if v is not None}
    if given:
        actions.update_person(actor, person, **given)
    return access.get_person(actor, person_id)
