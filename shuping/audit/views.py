"""The audit log browser (observers, admins, organisers): filter, page, verify the chain, export CSV."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from shuping.accounts.access import AUDIT_READERS, roles_required
from shuping.accounts.models import User
from shuping.audit.log import verify as verify_chain
from shuping.audit.models import AuditEvent

SHANGHAI = ZoneInfo("Asia/Shanghai")
PAGE_SIZE = 50

# Chinese labels for actions; an unknown action falls back to its area's label.
ACTION_LABELS = {
    "auth.login": "登录",
    "auth.locked": "登录锁定",
    "auth.unlock": "解除登录锁定",
    "user.create": "创建用户",
    "user.update": "修改用户",
    "user.password": "重置密码",
    "token.create": "生成 API 令牌",
    "token.revoke": "吊销 API 令牌",
    "unit.create": "新建单位",
    "unit.update": "修改单位",
    "unit.delete": "删除单位",
    "unit.move": "调整上级单位",
    "person.create": "新增人员",
    "person.update": "修改人员",
    "person.delete": "删除人员",
    "roster.import": "导入组织架构",
    "campaign.create": "新建考核方案",
    "campaign.update": "修改考核方案",
    "campaign.scheme": "修改考核规则",
    "campaign.copy": "复制考核方案",
    "campaign.transition": "考核方案状态变更",
    "campaign.reopen": "考核方案退回",
    "participant.add": "添加述职对象",
    "participant.update": "修改述职对象",
    "participant.remove": "移除述职对象",
    "participant.order": "调整述职顺序",
    "lot.draw": "抽签",
    "campaign.draw": "抽签",
    "demo.load": "载入示范数据",
    "demo.reset": "清除示范数据",
    "backup.restore": "从备份恢复",
}
AREA_LABELS = {
    "auth": "登录",
    "user": "用户",
    "token": "API 令牌",
    "unit": "单位",
    "person": "人员",
    "roster": "组织架构",
    "org": "组织架构",
    "orgs": "组织架构",
    "campaign": "考核方案",
    "participant": "述职对象",
    "lot": "抽签",
    "report": "述职报告",
    "meeting": "述职评议会",
    "ballot": "民主测评",
    "score": "现场评分",
    "result": "考核结果",
    "ledger": "整改台账",
    "demo": "示范数据",
    "backup": "备份恢复",
}
OBJECT_LABELS = {
    "accounts.user": "用户",
    "accounts.apitoken": "API 令牌",
    "orgs.unit": "单位",
    "orgs.person": "人员",
    "campaigns.campaign": "考核方案",
    "campaigns.participant": "述职对象",
    "campaigns.lotdraw": "抽签记录",
}
OBJECT_URLS = {"orgs.unit": "orgs:unit", "campaigns.campaign": "campaigns:detail"}


def action_label(action: str) -> str:
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    return AREA_LABELS.get(action.split(".", 1)[0], "")


class FilterForm(forms.Form):
    action = forms.CharField(label="操作（前缀）", required=False, max_length=80, widget=forms.TextInput(
        attrs={"list": "audit-actions", "placeholder": "如 campaign. 或 user.create"}))
    actor = forms.CharField(label="操作人（用户名）", required=False, max_length=150, widget=forms.TextInput(
        attrs={"list": "audit-actors"}))
    object_type = forms.CharField(label="对象类型", required=False, max_length=80, widget=forms.TextInput(
        attrs={"list": "audit-objects", "placeholder": "如 orgs.unit"}))
    object_id = forms.CharField(label="对象编号", required=False, max_length=64, widget=forms.TextInput(
        attrs={"class": "narrow"}))
    since = forms.DateField(label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError("起始日期不能晚于截止日期")
        return data


def filtered(form: FilterForm) -> QuerySet[AuditEvent]:
    """Events matching the valid filters, newest first (an invalid form filters nothing)."""
    qs = AuditEvent.objects.order_by("-seq")
    if not form.is_valid():
        return qs
    d = form.cleaned_data
    if d["action"]:
        qs = qs.filter(action__startswith=d["action"].strip())
    if d["actor"]:
        qs = qs.filter(actor=d["actor"].strip())
    if d["object_type"]:
        qs = qs.filter(object_type=d["object_type"].strip().lower())
    if d["object_id"]:
        qs = qs.filter(object_id=d["object_id"].strip())
    # Days are Beijing-time days, whatever the server's zone.
    if d["since"]:
        qs = qs.filter(at__gte=datetime.combine(d["since"], time.min, tzinfo=SHANGHAI))
    if d["until"]:
        qs = qs.filter(at__lt=datetime.combine(d["until"] + timedelta(days=1), time.min, tzinfo=SHANGHAI))
    return qs


def _object_names(events: list[AuditEvent]) -> dict[tuple[str, str], str]:
    """Current names of the objects on this page (one query per known type; gone objects show their id only)."""
    from shuping.campaigns.models import Campaign
    from shuping.orgs.models import Person, Unit

    by_type: dict[str, set[int]] = {}
    for ev in events:
        if ev.object_id.isdigit():
            by_type.setdefault(ev.object_type, set()).add(int(ev.object_id))
    names: dict[tuple[str, str], str] = {}
    sources: dict[str, tuple[Any, str]] = {
        "orgs.unit": (Unit, "name"), "orgs.person": (Person, "name"), "accounts.user": (User, "username"),
        "campaigns.campaign": (Campaign, "title"),
    }
    for label, (model, field) in sources.items():
        if by_type.get(label):
            for pk, name in model.objects.filter(pk__in=by_type[label]).values_list("pk", field):
                names[(label, str(pk))] = name
    return names


def _object_link(ev: AuditEvent) -> str:
    name = OBJECT_URLS.get(ev.object_type)
    if not name or not ev.object_id.isdigit():
        return ""
    try:
        return reverse(name, args=[int(ev.object_id)])
    except NoReverseMatch:
        return ""


@roles_required(*AUDIT_READERS)
def log(request: HttpRequest) -> HttpResponse:
    form = FilterForm(request.GET or None)
    page = Paginator(filtered(form), PAGE_SIZE).get_page(request.GET.get("page"))
    events = list(page.object_list)
    names = dict(
        User.objects.filter(username__in={e.actor for e in events}).values_list("username", "display_name")
    )
    object_names = _object_names(events)
    rows = [
        {
            "ev": ev,
            "label": action_label(ev.action),
            "actor_name": names.get(ev.actor, ""),
            "object_label": OBJECT_LABELS.get(ev.object_type, ev.object_type),
            "object_url": _object_link(ev),
            "object_name": object_names.get((ev.object_type, ev.object_id), ""),
            "data_json": json.dumps(ev.data, ensure_ascii=False, indent=2, sort_keys=True) if ev.data else "",
        }
        for ev in events
    ]
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "known_actions": sorted({*ACTION_LABELS, *(f"{a}." for a in AREA_LABELS)}),
        "known_objects": sorted(OBJECT_LABELS.items()),
        "known_actors": User.objects.order_by("username").values_list("username", "display_name"),
    }
    return render(request, "audit/log.html", context)


@roles_required(*AUDIT_READERS)
def verify(request: HttpRequest) -> HttpResponse:
    result = verify_chain()
    template = "audit/_verify.html" if request.headers.get("HX-Request") else "audit/verify.html"
    return render(request, template, {"result": result})


class _Echo:
    def write(self, value: str) -> str:
        return value


@roles_required(*AUDIT_READERS)
def export_csv(request: HttpRequest) -> HttpResponse:
    qs = filtered(FilterForm(request.GET or None))
    writer = csv.writer(_Echo())

    def rows() -> Iterator[str]:
        yield "\ufeff"  # BOM, so Excel opens the UTF-8 file correctly
        yield writer.writerow(["序号", "时间（北京时间）", "操作人", "操作", "操作说明", "对象类型", "对象编号",
                               "摘要", "数据", "哈希", "前一条哈希"])
        for ev in qs.iterator(chunk_size=2000):
            yield writer.writerow([
                ev.seq, ev.at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"), ev.actor, ev.action,
                action_label(ev.action), ev.object_type, ev.object_id, ev.summary,
                json.dumps(ev.data, ensure_ascii=False, sort_keys=True) if ev.data else "", ev.hash, ev.prev_hash,
            ])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response  # type: ignore[return-value]  # streamed; the decorator only passes it through
