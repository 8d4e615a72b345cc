"""The unit tree (组织架构) and the people in it."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitType(models.TextChoices):
    COMMITTEE = "党委", _("党委")
    WORK_COMMITTEE = "党工委", _("党工委")
    AUTHORITY_COMMITTEE = "工委", _("工委")
    LEADING_GROUP = "党组", _("党组")
    GENERAL_BRANCH = "党总支", _("党总支")
    BRANCH = "党支部", _("党支部")


class UnitCategory(models.TextChoices):
    COUNTY = "区县委", _("区县委")
    SUBDISTRICT = "街道", _("街道")
    TOWNSHIP = "乡镇", _("乡镇")
    ORGAN = "机关", _("机关")
    SOE = "国企", _("国企")
    SCHOOL = "学校", _("学校")
    HOSPITAL = "医院", _("医院")
    NEW_ORGS = "两新", _("两新")
    RETIRED = "离退休", _("离退休")
    PARK = "园区", _("园区")
    OTHER = "其他", _("其他")


class Unit(models.Model):
    code = models.CharField(_("单位代码"), max_length=32, unique=True)
    name = models.CharField(_("单位名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=50, blank=True)
    type = models.CharField(_("组织类型"), max_length=10, choices=UnitType.choices)
    category = models.CharField(_("类别"), max_length=10, choices=UnitCategory.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级单位"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    secretary = models.ForeignKey(
        "Person", verbose_name=_("书记"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="secretary_of",
    )
    sort_order = models.IntegerField(_("排序"), default=0)
    active = models.BooleanField(_("在用"), default=True)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("单位")
        verbose_name_plural = _("单位")

    def __str__(self) -> str:
        return self.name

    def ancestors(self) -> list[Unit]:
        chain: list[Unit] = []
        node = self.parent
        seen = {self.pk}
        while node is not None and node.pk not in seen:
            chain.append(node)
            seen.add(node.pk)
            node = node.parent
        return chain[::-1]


class Person(models.Model):
    name = models.CharField(_("姓名"), max_length=50)
    unit = models.ForeignKey(Unit, verbose_name=_("所属单位"), on_delete=models.PROTECT, related_name="people")
    position = models.CharField(_("职务"), max_length=100, blank=True)
    gender = models.CharField(_("性别"), max_length=2, blank=True, choices=[("男", "男"), ("女", "女")])
    phone = models.CharField(_("电话"), max_length=30, blank=True)

    class Meta:
        ordering = ["unit__sort_order", "unit__code", "id"]
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        constraints = [models.UniqueConstraint(fields=["unit", "name"], name="unique_person_per_unit")]

    def __str__(self) -> str:
        return self.name
