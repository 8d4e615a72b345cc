"""Tellers' pages for paper ballots: box picker, workbench (code entry → blind keying grid), mismatch queue
with resolution, and progress. Thin: access helper, then one action from `actions/paper.py`.

The sheet's short code travels in POST bodies only (never in a URL, so it is in no access log).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from shuping.accounts import access
from shuping.accounts.access import roles_required
from shuping.accounts.models import Role
from shuping.ballots import codes
from shuping.ballots.actions import paper, setup
from shuping.ballots.models import BallotBox, BallotLine

VIEWERS = paper.PROGRESS_READERS
KEYERS = paper.KEYERS
RESOLVERS = paper.RESOLVERS

# Keying grid columns, in sheet order: (grade char, label, keyboard key).
GRADE_COLUMNS = [("1", "好", "1"), ("2", "较好", "2"), ("3", "一般", "3"), ("4", "差", "4"), ("0", "弃权", "5")]


def _user(request: HttpRequest) -> Any:
    return request.user


def _errors(request: HttpRequest, e: ValidationError | PermissionDenied) -> None:
    for m in getattr(e, "messages", None) or [str(e)]:
        messages.error(request, m)


def _group_name(box: BallotBox, group: int) -> str:
    groups = box.campaign.scheme.get("voter_groups", [])
    return groups[group]["name"] if 0 <= group < len(groups) else f"第{group + 1}类"


def _keying_from_post(request: HttpRequest, box: BallotBox, lines: list[BallotLine]) -> dict[str, Any]:
    """The grid's radio buttons → grade strings; an unmarked row is 弃权 (as printed on the sheet)."""
    post = request.POST
    n_items = len(box.items)
    grades = "".join(post.get(f"g{ln.position}", codes.ABSTAIN) for ln in lines)
    item_grades = ""
    if n_items:
        item_grades = "".join(post.get(f"i{ln.position}_{k}", codes.ABSTAIN) for ln in lines for k in range(n_items))
    return {"grades": grades, "item_grades": item_grades, "comment": post.get("comment", ""),
            "blank_sheet": post.get("blank") == "1"}


def _grid_rows(box: BallotBox, lines: list[BallotLine], preset: str = "", item_preset: str = "",
               required: frozenset[int] = frozenset()) -> list[dict[str, Any]]:
    n_items = len(box.items)
    rows = []
    for ln in lines:
        p = ln.position
        rows.append({
            "line": ln,
            "name": f"g{p}",
            "value": preset[p] if preset else "",
            "required": p in required,
            "items": [{"label": label, "name": f"i{p}_{k}",
                       "value": item_preset[p * n_items + k] if item_preset else ""}
                      for k, label in enumerate(box.items)],
        })
    return rows


@roles_required(*VIEWERS)
def home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return render(request, "ballots/paper/home.html", {
        "boxes": paper.boxes_for_paper(user),
        "is_teller": user.has_role(*KEYERS),
        "is_resolver": user.has_role(*RESOLVERS),
    })


@roles_required(*KEYERS)
def bench(request: HttpRequest, box_id: int) -> HttpResponse:
    user = _user(request)
    box = access.get_ballot_box(user, box_id)
    return render(request, "ballots/paper/bench.html", {
        "box": box, "progress": paper.progress(user, box), "accepting": box.state in paper.PAPER_STATES,
    })


@roles_required(*KEYERS)
@require_POST
def find(request: HttpRequest, box_id: int) -> HttpResponse:
    user = _user(request)
    box = access.get_ballot_box(user, box_id)
    try:
        sheet = paper.find_sheet(user, box, request.POST.get("sheet", ""))
    except ValidationError as e:
        _errors(request, e)
        return redirect("ballots:paper_bench", box.pk)
    if not sheet.keyable:
        messages.error(request, f"第 {sheet.token.serial} 号票：{sheet.message}")
        return redirect("ballots:paper_bench", box.pk)
    lines = paper.lines_of(box)
    # Deliberately nothing from an earlier keying reaches this page: the second teller keys blind.
    return render(request, "ballots/paper/sheet.html", {
        "box": box, "sheet": sheet, "group_name": _group_name(box, sheet.token.group),
        "rows": _grid_rows(box, lines), "columns": GRADE_COLUMNS, "code": codes.format_code(sheet.token.code),
    })


@roles_required(*KEYERS)
@require_POST
def key(request: HttpRequest, box_id: int) -> HttpResponse:
    user = _user(request)
    box = access.get_ballot_box(user, box_id)
    try:
        sheet = paper.find_sheet(user, box, request.POST.get("sheet", ""))
        result = paper.key_sheet(user, sheet.token, **_keying_from_post(request, box, paper.lines_of(box)))
    except ValidationError as e:
        _errors(request, e)
        return redirect("ballots:paper_bench", box.pk)
    text = f"第 {result.serial} 号票：{result.message}"
    if result.outcome == paper.MISMATCHED:
        messages.warning(request, text)
    else:
        messages.success(request, text)
    return redirect("ballots:paper_bench", box.pk)


@roles_required(*KEYERS)
@require_POST
def invalid(request: HttpRequest, box_id: int) -> HttpResponse:
    user = _user(request)
    box = access.get_ballot_box(user, box_id)
    try:
        sheet = paper.find_sheet(user, box, request.POST.get("sheet", ""))
        paper.mark_invalid(user, sheet.token, request.POST.get("reason", ""))
    except (ValidationError, PermissionDenied) as e:
        _errors(request, e)
        return redirect("ballots:paper_bench", box.pk)
    messages.success(request, f"第 {sheet.token.serial} 号票已登记为废票")
    return redirect("ballots:paper_bench", box.pk)


@roles_required(*RESOLVERS)
def mismatches(request: HttpRequest, box_id: int) -> HttpResponse:
    user = _user(request)
    box = access.get_ballot_box(user, box_id)
    rows = [{"m": m, "group_name": _group_name(box, m.token.group),
             "n_diff": len(set(m.differences.positions) | set(m.differences.item_positions))}
            for m in paper.mismatches(user, box)]
    return render(request, "ballots/paper/mismatches.html", {"box": box, "rows": rows,
                                                            "is_teller": user.has_role(*KEYERS)})


@roles_required(*RESOLVERS)
def resolve(request: HttpRequest, box_id: int, serial: int) -> HttpResponse:
    user = _user(request)
    box = access.get_ballot_box(user, box_id)
    m = paper.get_mismatch(user, box, serial)  # 404 for the two tellers who keyed it
    lines = paper.lines_of(box)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "invalid":
                paper.mark_invalid(user, m.token, request.POST.get("reason", ""))
                messages.success(request, f"第 {serial} 号票已登记为废票")
            else:
                result = paper.resolve_mismatch(user, m.token, **_keying_from_post(request, box, lines))
                messages.success(request, f"第 {serial} 号票：不一致已处理，{result.message}")
        except (ValidationError, PermissionDenied) as e:
            _errors(request, e)
            return redirect("ballots:paper_resolve", box.pk, serial)
        return redirect("ballots:paper_mismatches", box.pk)
    a, b = (paper.keying_of(e) for e in m.entries[:2])
    d = m.differences
    differing = frozenset(d.positions) | frozenset(d.item_positions)
    n_items = len(box.items)

    def items_text(k: paper.Keying, p: int) -> str:
        if not n_items:
            return ""
        s = k.item_grades or codes.ABSTAIN * (len(k.grades) * n_items)
        return "；".join(f"{name}：{codes.GRADE_LABELS[s[p * n_items + i]]}" for i, name in enumerate(box.items))

    compare = [{"line": ln, "a": codes.GRADE_LABELS[a.grades[ln.position]], "b": codes.GRADE_LABELS[b.grades[ln.position]],
                "a_items": items_text(a, ln.position), "b_items": items_text(b, ln.position),
                "differs": ln.position in differing} for ln in lines]
    # The resolver's grid starts from the rows both tellers agree on; differing rows are left empty and required.
    a_items = a.item_grades or codes.ABSTAIN * (len(lines) * n_items)
    rows = _grid_rows(box, lines, required=differing)
    for row, ln in zip(rows, lines, strict=True):
        if ln.position not in differing:
            row["value"] = a.grades[ln.position]
            for k, item in enumerate(row["items"]):
                item["value"] = a_items[ln.position * n_items + k]
    return render(request, "ballots/paper/resolve.html", {
        "box": box, "m": m, "a": a, "b": b, "d": d, "compare": compare, "rows": rows, "columns": GRADE_COLUMNS,
        "group_name": _group_name(box, m.token.group), "keyers": [e.teller for e in m.entries],
        "can_invalid": user.has_role(Role.TELLER, Role.ORGANISER),
        "comment_value": "" if d.comment else a.comment,
    })


@roles_required(*setup.SEALERS)
@require_POST
def seal(request: HttpRequest, box_id: int) -> HttpResponse:
    """封存纸质票: the sheets counted since 封箱 are decrypted, shuffled into the count and their key destroyed."""
    user = _user(request)
    box = access.get_ballot_box(user, box_id)
    try:
        s = setup.seal_paper(user, box)
    except (ValidationError, PermissionDenied) as e:
        _errors(request, e)
    else:
        messages.success(request, f"已封存纸质票 {s.ballots} 张，计入计票结果（本票箱选票共 {s.total} 张）")
    if request.POST.get("next") == "setup" and user.has_role(*setup.CAMPAIGN_EDITORS):
        return redirect("ballots:setup", box.pk)
    return redirect("ballots:paper_bench", box.pk)


@roles_required(*VIEWERS)
def progress(request: HttpRequest, box_id: int) -> HttpResponse:
    user = _user(request)
    box = access.get_ballot_box(user, box_id)
    ctx = {"box": box, "p": paper.progress(user, box), "is_teller": user.has_role(*KEYERS),
           "is_resolver": user.has_role(*RESOLVERS)}
    if request.headers.get("HX-Request"):
        return render(request, "ballots/paper/_progress.html", ctx)
    return render(request, "ballots/paper/progress.html", ctx)
