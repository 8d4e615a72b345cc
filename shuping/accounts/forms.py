from __future__ import annotations

from django import forms

from shuping.accounts.models import Role
from shuping.orgs.models import Unit


class LoginForm(forms.Form):
    username = forms.CharField(label="用户名", max_length=150)
    password = forms.CharField(label="密码", widget=forms.PasswordInput)


class UserForm(forms.Form):
    username = forms.CharField(label="用户名", max_length=150)
    display_name = forms.CharField(label="姓名", max_length=50, required=False)
    roles = forms.MultipleChoiceField(label="角色", choices=Role.choices, widget=forms.CheckboxSelectMultiple)
    unit = forms.ModelChoiceField(label="所属单位", queryset=Unit.objects.all(), required=False,
                                  help_text="述职人、整改责任人必填")
    password = forms.CharField(label="初始密码", widget=forms.PasswordInput, required=False,
                               help_text="新建用户时必填，至少 8 位")
    is_active = forms.BooleanField(label="启用", required=False, initial=True)


class PasswordForm(forms.Form):
    password = forms.CharField(label="新密码", widget=forms.PasswordInput)


class TokenForm(forms.Form):
    name = forms.CharField(label="用途", max_length=100)
