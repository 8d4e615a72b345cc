"""Forms for units, people and the roster upload. They only parse input; the actions validate and save."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from shuping.orgs.models import Unit, UnitCategory, UnitType


class UnitForm(forms.Form):
    code = forms.CharField(label="单位代码", max_length=32)
    name = forms.CharField(label="单位名称", max_length=100)
    short_name = forms.CharField(label="简称", max_length=50, required=False)
    type = forms.ChoiceField(label="组织类型", choices=UnitType.choices)
    category = forms.ChoiceField(label="类别", choices=UnitCategory.choices)
    parent_code = forms.CharField(label="上级单位代码", max_length=32, required=False,
                                  help_text="留空表示顶层单位")
    sort_order = forms.IntegerField(label="排序", initial=0, help_text="越小越靠前")

    def clean_parent_code(self) -> Unit | None:
        code = self.cleaned_data["parent_code"].strip()
        if not code:
            return None
        unit = Unit.objects.filter(code=code).first()
        if unit is None:
            raise forms.ValidationError(f"上级单位代码“{code}”不存在")
        return unit

    def unit_fields(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {"code": d["code"], "name": d["name"], "short_name": d["short_name"], "type": d["type"],
                "category": d["category"], "parent": d["parent_code"], "sort_order": d["sort_order"]}


class PersonForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=50)
    position = forms.CharField(label="职务", max_length=100, required=False)
    gender = forms.ChoiceField(label="性别", choices=[("", "—"), ("男", "男"), ("女", "女")], required=False)
    phone = forms.CharField(label="电话", max_length=30, required=False)


class RosterUploadForm(forms.Form):
    file = forms.FileField(label="名册文件（.xlsx）")

    def clean_file(self) -> Any:
        f = self.cleaned_data["file"]
        if f.size > settings.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(f"文件过大（{f.size // 1024 // 1024} MB），上限 {settings.MAX_UPLOAD_BYTES // 1024 // 1024} MB")
        return f
