"""Forms for campaign pages, and the scheme editor's POST ⇄ scheme dict conversion."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict

from shuping.campaigns.models import ParticipantMode
from shuping.campaigns.scheme import COMPONENTS, DEFAULT_SCHEME, GRADE_LABELS
from shuping.orgs.models import Person, Unit, UnitCategory

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CampaignForm(forms.Form):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    title = forms.CharField(label="名称", max_length=200)
    committee = forms.ModelChoiceField(label="考核主体（党委）", queryset=Unit.objects.none())
    meeting_date = forms.DateField(label="述职评议会日期", required=False, widget=DATE)
    report_deadline = forms.DateField(
        label="述职报告截止日期", required=False, widget=DATE,
        help_text="留空则按考核规则，取会议日期前若干天（默认 10 天）",
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Committees are units that have units below them.
        self.fields["committee"].queryset = (  # type: ignore[attr-defined]
            Unit.objects.filter(children__isnull=False, active=True).distinct().order_by("sort_order", "code"))
        if editing:
            self.fields["committee"].disabled = True
            self.fields["committee"].required = False


class ParticipantForm(forms.Form):
    secretary = forms.ModelChoiceField(label="述职人", queryset=Person.objects.none())
    mode = forms.ChoiceField(label="述职方式", choices=ParticipantMode.choices)
    speaking_order = forms.IntegerField(label="述职顺序", required=False, min_value=1,
                                        help_text="仅现场述职；留空则保持原顺序")
    draw_group = forms.CharField(label="抽签分组", required=False, max_length=50)

    def __init__(self, *args: Any, unit: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["secretary"].queryset = Person.objects.filter(unit=unit)  # type: ignore[attr-defined]


class AddUnitsForm(forms.Form):
    units = forms.ModelMultipleChoiceField(label="单位", queryset=Unit.objects.none(), required=False,
                                           widget=forms.CheckboxSelectMultiple)
    category = forms.ChoiceField(label="或按类别全部添加", required=False,
                                 choices=[("", "—"), *list(UnitCategory.choices)])
    mode = forms.ChoiceField(label="述职方式", choices=ParticipantMode.choices)
    draw_group = forms.CharField(label="抽签分组", required=False, max_length=50,
                                 help_text="同一分组的述职对象可抽签决定现场述职人选，如“街道”")

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["units"].queryset = candidates  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("units") and not data.get("category"):
            raise forms.ValidationError("请勾选单位，或选择一个类别")
        return data


class DrawForm(forms.Form):
    group = forms.ChoiceField(label="抽签分组")
    count = forms.IntegerField(label="抽取现场述职人数", min_value=1)

    def __init__(self, *args: Any, groups: list[tuple[str, int]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [(g, f"{g}（{n} 个）") for g, n in groups]  # type: ignore[attr-defined]


# ---------------------------------------------------------------- scheme editor


def _rows(post: QueryDict, *names: str) -> list[tuple[str, ...]]:
    """Parallel lists from repeated inputs; rows left wholly blank are dropped."""
    cols = [post.getlist(n) for n in names]
    width = max((len(c) for c in cols), default=0)
    rows = []
    for i in range(width):
        row = tuple((c[i] if i < len(c) else "").strip() for c in cols)
        if any(row):
            rows.append(row)
    return rows


def scheme_from_post(post: QueryDict) -> dict[str, Any]:
    """The editor's fields as a scheme dict (strings as typed); validation happens in the action."""
    s: dict[str, Any] = {
        "ballot_grades": [{"label": g, "points": post.get(f"grade_points_{i}", "").strip()}
                          for i, g in enumerate(GRADE_LABELS)],
        "ballot_items": [r[0] for r in _rows(post, "ballot_item")],
        "voter_groups": [{"name": n, "weight": w} for n, w in _rows(post, "group_name", "group_weight")],
        "judge_indicators": [{"name": n, "max_points": m} for n, m in _rows(post, "indicator_name", "indicator_max")],
        "component_weights": {c: post.get(f"weight_{c}", "").strip() for c in COMPONENTS},
        "grade_thresholds": {g: post.get(f"threshold_{i}", "").strip() for i, g in enumerate(GRADE_LABELS[:3])},
        "veto_enabled": post.get("veto_enabled") == "on",
        "tie_breaks": [t for t in post.getlist("tie_breaks") if t],
    }
    for key in ("min_group_size_shown", "trim_k", "trim_min_judges", "quota_good_percent", "veto_bad_share",
                "report_days_before_meeting", "speaking_minutes", "progress_report_months"):
        s[key] = post.get(key, "").strip()
    assert set(s) == set(DEFAULT_SCHEME)
    return s


def scheme_view(s: dict[str, Any]) -> dict[str, Any]:
    """What the readable scheme page and the editor show: labels next to the stored values."""
    return {
        "grades": [(i, g.get("label"), g.get("points")) for i, g in enumerate(s.get("ballot_grades", []))],
        "items": s.get("ballot_items", []),
        "groups": s.get("voter_groups", []),
        "indicators": s.get("judge_indicators", []),
        "components": [(c, label, s.get("component_weights", {}).get(c, "")) for c, label in COMPONENTS.items()],
        "thresholds": [(i, g, s.get("grade_thresholds", {}).get(g, "")) for i, g in enumerate(GRADE_LABELS[:3])],
        "tie_breaks": [COMPONENTS.get(t, t) for t in s.get("tie_breaks", [])],
        "tie_slots": [(i, ([*s.get("tie_breaks", []), "", "", "", ""])[i]) for i in range(len(COMPONENTS))],
        "component_choices": list(COMPONENTS.items()),
        "raw": s,
    }
