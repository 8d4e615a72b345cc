"""Unit tree, unit and people pages, roster import/export. Thin: access helper, form, action, page."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from shuping.accounts import access
from shuping.accounts.access import ORG_EDITORS, WIDE_READERS, roles_required
from shuping.orgs import actions, roster
from shuping.orgs.forms import PersonForm, RosterUploadForm, UnitForm
from shuping.orgs.models import Unit
from shuping.orgs.roster_rules import MAX_SHOWN, RosterRejected

SEARCH_PAGE = 50
CHILDREN_PAGE = 100


def _nodes(qs: QuerySet[Unit]) -> QuerySet[Unit]:
    """Units as the tree shows them: with their secretary and number of children, in one query."""
    return qs.select_related("secretary").annotate(n_children=Count("children")).order_by("sort_order", "code")


def _is_partial(request: HttpRequest) -> bool:
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")


@roles_required(*WIDE_READERS)
def tree(request: HttpRequest) -> HttpResponse:
    """Roots with their first level open; deeper levels load on click. With ?q=: paginated search."""
    q = request.GET.get("q", "").strip()[:100]
    ctx: dict[str, Any] = {"q": q}
    if q:
        matches = Unit.objects.filter(Q(name__icontains=q) | Q(code__icontains=q) | Q(short_name__icontains=q))
        paginator = Paginator(_nodes(matches).select_related("parent"), SEARCH_PAGE)
        paginator.count = matches.count()  # type: ignore[misc]  # plain COUNT, not over the GROUP BY
        ctx["page"] = paginator.get_page(request.GET.get("page"))
    else:
        roots = list(_nodes(Unit.objects.filter(parent=None)))
        kids: dict[int, list[Unit]] = {}
        for child in _nodes(Unit.objects.filter(parent__in=roots))[: CHILDREN_PAGE * max(1, len(roots))]:
            kids.setdefault(child.parent_id or 0, []).append(child)
        for r in roots:
            r.open_children = kids.get(r.pk, [])[:CHILDREN_PAGE]  # type: ignore[attr-defined]
        ctx["roots"] = roots
    ctx["can_edit"] = request.user.has_role(*ORG_EDITORS)  # type: ignore[union-attr]
    template = "orgs/_tree_body.html" if _is_partial(request) else "orgs/tree.html"
    return render(request, template, ctx)


@roles_required(*WIDE_READERS)
def children(request: HttpRequest, pk: int) -> HttpResponse:
    """The children of one unit, as list items for the tree (htmx), a page at a time."""
    unit = access.get_unit(request.user, pk)  # type: ignore[arg-type]
    page = Paginator(_nodes(unit.children.all()), CHILDREN_PAGE).get_page(request.GET.get("page"))
    return render(request, "orgs/_children.html", {"unit": unit, "page": page})


@login_required
def unit(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    u = access.get_unit(user, pk)
    u = Unit.objects.select_related("secretary", "parent").get(pk=u.pk)
    kids = _nodes(u.children.all())
    return render(request, "orgs/unit.html", {
        "unit": u,
        "ancestors": u.ancestors(),
        "children": kids[:200],
        "n_children": u.children.count(),
        "people": u.people.all().order_by("id"),
        "wide": access.is_wide_reader(user),
        "can_edit": user.has_role(*ORG_EDITORS),
    })


def _form_errors(form: Any, e: ValidationError) -> None:
    for m in e.messages:
        form.add_error(None, m)


@roles_required(*ORG_EDITORS)
def unit_new(request: HttpRequest) -> HttpResponse:
    parent = None
    if request.GET.get("parent", "").isdigit():
        parent = access.get_unit(request.user, int(request.GET["parent"]))  # type: ignore[arg-type]
    initial = {"parent_code": parent.code, "type": parent.type, "category": parent.category} if parent else {}
    form = UnitForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            u = actions.create_unit(request.user, **form.unit_fields())  # type: ignore[arg-type]
        except ValidationError as e:
            _form_errors(form, e)
        else:
            messages.success(request, f"已新建单位“{u.name}”，请在单位页添加人员并设置书记")
            return redirect("orgs:unit", u.pk)
    return render(request, "orgs/unit_form.html", {"form": form, "edited": None, "parent": parent})


@roles_required(*ORG_EDITORS)
def unit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    u = access.get_unit(request.user, pk, write=True)  # type: ignore[arg-type]
    initial = {"code": u.code, "name": u.name, "short_name": u.short_name, "type": u.type, "category": u.category,
               "parent_code": u.parent.code if u.parent else "", "sort_order": u.sort_order}
    form = UnitForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_unit(request.user, u, **form.unit_fields())  # type: ignore[arg-type]
        except ValidationError as e:
            _form_errors(form, e)
        else:
            messages.success(request, "已保存")
            return redirect("orgs:unit", u.pk)
    return render(request, "orgs/unit_form.html", {"form": form, "edited": u})


@require_POST
@roles_required(*ORG_EDITORS)
def unit_active(request: HttpRequest, pk: int) -> HttpResponse:
    u = access.get_unit(request.user, pk, write=True)  # type: ignore[arg-type]
    try:
        if request.POST.get("active") == "1":
            actions.reactivate_unit(request.user, u)  # type: ignore[arg-type]
            messages.success(request, f"已重新启用“{u.name}”")
        else:
            actions.deactivate_unit(request.user, u)  # type: ignore[arg-type]
            messages.success(request, f"已停用“{u.name}”")
    except ValidationError as e:
        messages.error(request, "；".join(e.messages))
    return redirect("orgs:unit", u.pk)


@require_POST
@roles_required(*ORG_EDITORS)
def set_secretary(request: HttpRequest, pk: int) -> HttpResponse:
    u = access.get_unit(request.user, pk, write=True)  # type: ignore[arg-type]
    raw = request.POST.get("person", "")
    person = access.get_person(request.user, int(raw)) if raw.isdigit() else None  # type: ignore[arg-type]
    try:
        actions.set_secretary(request.user, u, person)  # type: ignore[arg-type]
        messages.success(request, f"已将“{person.name}”设为书记" if person else "已清除书记")
    except ValidationError as e:
        messages.error(request, "；".join(e.messages))
    return redirect("orgs:unit", u.pk)


@roles_required(*ORG_EDITORS)
def person_new(request: HttpRequest, pk: int) -> HttpResponse:
    u = access.get_unit(request.user, pk, write=True)  # type: ignore[arg-type]
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            p = actions.create_person(request.user, u, **form.cleaned_data)  # type: ignore[arg-type]
            if request.POST.get("make_secretary"):
                actions.set_secretary(request.user, u, p)  # type: ignore[arg-type]
        except ValidationError as e:
            _form_errors(form, e)
        else:
            messages.success(request, f"已新增人员“{p.name}”")
            return redirect("orgs:unit", u.pk)
    return render(request, "orgs/person_form.html", {"form": form, "unit": u, "edited": None})


@roles_required(*ORG_EDITORS)
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    p = access.get_person(request.user, pk, write=True)  # type: ignore[arg-type]
    initial = {"name": p.name, "position": p.position, "gender": p.gender, "phone": p.phone}
    form = PersonForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_person(request.user, p, **form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as e:
            _form_errors(form, e)
        else:
            messages.success(request, "已保存")
            return redirect("orgs:unit", p.unit_id)
    return render(request, "orgs/person_form.html", {"form": form, "unit": p.unit, "edited": p})


@require_POST
@roles_required(*ORG_EDITORS)
def person_delete(request: HttpRequest, pk: int) -> HttpResponse:
    p = access.get_person(request.user, pk, write=True)  # type: ignore[arg-type]
    try:
        actions.delete_person(request.user, p)  # type: ignore[arg-type]
        messages.success(request, f"已删除人员“{p.name}”")
    except ValidationError as e:
        messages.error(request, "；".join(e.messages))
    return redirect("orgs:unit", p.unit_id)


@roles_required(*ORG_EDITORS)
def roster_import(request: HttpRequest) -> HttpResponse:
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    ctx: dict[str, Any] = {"form": form}
    status = 200
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        try:
            ctx["result"] = actions.import_roster(request.user, f.read(), f.name)  # type: ignore[arg-type]
        except RosterRejected as e:
            ctx.update(rejected=e, shown=e.messages[:MAX_SHOWN], total=len(e.messages))
            status = 422
        form = RosterUploadForm()
        ctx["form"] = form
    return render(request, "orgs/roster_import.html", ctx, status=status)


def _xlsx(data: bytes, name: str) -> HttpResponse:
    resp = HttpResponse(data, content_type=roster.XLSX_TYPE)
    # RFC 5987 so browsers keep the Chinese file name; the ASCII fallback for old clients.
    resp["Content-Disposition"] = f"attachment; filename=\"roster.xlsx\"; filename*=UTF-8''{quote(name)}"
    return resp


@roles_required(*ORG_EDITORS)
def roster_export(request: HttpRequest) -> HttpResponse:
    return _xlsx(roster.export_bytes(), f"组织架构名册-{timezone.localdate():%Y%m%d}.xlsx")


@roles_required(*ORG_EDITORS)
def roster_template(request: HttpRequest) -> HttpResponse:
    return _xlsx(roster.template_bytes(), "组织架构名册模板.xlsx")
