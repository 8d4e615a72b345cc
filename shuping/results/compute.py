"""Reading a campaign's inputs for the score maths from the database, and checking a stored result.

`gather` reads, in a handful of queries: the participants; the submitted judge sheets and who should have
scored (panel minus 回避); the 民主测评 tally of the closed box (shuping.ballots.counting, one streamed
query); the imported 日常考核 scores; and 整改成效 from last year's ledger. It returns the maths inputs
(shuping.results.maths.ReporterInputs) and the details a page needs to explain them (names, ballot counts).

整改成效: `rectification_scores` reads the previous campaign's ledger through
shuping.rectification.scoring (share of a unit's entries closed and verified by their deadline, 0–100); a
participant whose unit had no entries there has no score, so the component drops out of their composite —
what domain.md prescribes for "no entries".
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from shuping.ballots import counting
from shuping.ballots.models import BallotBox
from shuping.ballots.tally import show_percent
from shuping.campaigns.models import Campaign, Participant
from shuping.rectification.scoring import rectification_scores_for
from shuping.results import maths
from shuping.scoring.models import JudgeScore, JudgeSeat, Recusal, RoutineScore


@dataclass
class Gathered:
    scheme: dict[str, Any]
    reporters: list[maths.ReporterInputs]
    details: dict[str, Any]  # labels and explanations, JSON-ready; not maths inputs

    def snapshot(self, overrides: dict[str, str] | None = None) -> dict[str, Any]:
        return maths.snapshot(self.scheme, self.reporters, overrides)


def digest(data: Any) -> str:
    """sha256 of the canonical JSON (sorted keys, no spaces) — what the audit log and dossier cite."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                          .encode()).hexdigest()


def rectification_scores(campaign: Campaign) -> dict[int, Fraction]:
    """整改成效 per participant id: share of the unit's entries of the previous campaign closed and verified on
    time, 0–100 (shuping.rectification.scoring). Participants whose unit had no entries are left out."""
    units = dict(Participant.objects.filter(campaign=campaign).values_list("pk", "unit_id"))
    scores = rectification_scores_for(campaign, set(units.values()))
    return {pid: score for pid, uid in units.items() if (score := scores[uid]) is not None}


def ballot_box(campaign: Campaign) -> BallotBox | None:
    return BallotBox.objects.filter(campaign=campaign).first()


def gather(campaign: Campaign) -> Gathered:
    scheme = campaign.scheme
    participants = list(Participant.objects.filter(campaign=campaign)
                        .select_related("unit", "secretary").order_by("mode", "speaking_order", "unit__sort_order",
                                                                      "unit__code"))
    seats = list(JudgeSeat.objects.filter(campaign=campaign).select_related("user"))
    judge_names = {str(s.user_id): str(s.user) for s in seats}
    judge_units = {s.user_id: s.user.unit_id for s in seats}
    recused = set(Recusal.objects.filter(campaign=campaign).values_list("judge_id", "participant_id"))

    sheets: dict[int, list[tuple[str, Fraction]]] = {p.pk: [] for p in participants}
    for pid, jid, total in (JudgeScore.objects.filter(participant__campaign=campaign, submitted_at__isnull=False)
                            .order_by("participant_id", "judge_id").values_list("participant_id", "judge_id", "total")):
        sheets[pid].append((str(jid), Fraction(total)))
        judge_names.setdefault(str(jid), "")
    if "" in judge_names.values():  # a sheet by someone no longer on the panel: name them anyway
        from shuping.accounts.models import User
        for u in User.objects.filter(pk__in=[int(k) for k, v in judge_names.items() if not v]):
            judge_names[str(u.pk)] = str(u)

    routine = {pid: (Fraction(score), source) for pid, score, source in
               RoutineScore.objects.filter(participant__campaign=campaign)
               .values_list("participant_id", "score", "source")}
    rect = rectification_scores(campaign)

    box = ballot_box(campaign)
    lines: dict[int, Any] = {}
    ballot_info: dict[str, Any] = {"box": None}
    if box is not None and counting.countable(box):
        box_lines = counting.lines_of(box)
        t = counting.tally_box(box, len(box_lines))
        lines = {ln.participant_id: lt for ln, lt in zip(box_lines, t.lines, strict=True)}
        ballot_info = {"box": box.pk, "state": box.state, "ballots": t.n_ballots, "veto_share": t.veto_share_text}
    elif box is not None:
        ballot_info = {"box": box.pk, "state": box.state, "ballots": None}

    reporters, rows = [], {}
    for p in participants:
        expected = sum(1 for s in seats if judge_units[s.user_id] != p.unit_id and (s.user_id, p.pk) not in recused)
        lt = lines.get(p.pk)
        reporters.append(maths.ReporterInputs(
            key=str(p.pk),
            judge_totals=tuple(sheets[p.pk]),
            judges_expected=expected,
            ballot=None if lt is None else lt.exact_score,
            veto=False if lt is None else lt.veto,
            routine=routine[p.pk][0] if p.pk in routine else None,
            rectification=rect.get(p.pk),
        ))
        rows[str(p.pk)] = {
            "unit": p.unit.name, "unit_code": p.unit.code, "unit_id": p.unit_id,
            "secretary": p.secretary.name if p.secretary_id else "",
            "mode": p.get_mode_display(), "speaking_order": p.speaking_order,
            "routine_source": routine[p.pk][1] if p.pk in routine else "",
            "ballot": None if lt is None else {
                "valid": lt.counts.valid, "abstain": lt.counts.abstain,
                "grades": list(lt.counts.grades), "good_rate": show_percent(lt.good_rate),
                "formula": lt.formula(), "renormalisation_note": lt.renormalisation_note(),
                "veto_note": lt.veto_note(),
            },
        }
    details = {"reporters": rows, "judges": judge_names, "ballot": ballot_info,
               "grade_labels": [g["label"] for g in scheme["ballot_grades"]]}
    return Gathered(scheme=scheme, reporters=reporters, details=details)


@dataclass
class Check:
    """The observer's check of a stored result."""

    recomputed_identical: bool  # maths on the stored inputs gives the stored outputs
    rows_identical: bool  # the result rows (rank, grade, composite) match the stored outputs
    inputs_current: bool  # the stored inputs equal what the database holds now
    stored_digest: str
    current_digest: str
    differences: list[str]

    @property
    def ok(self) -> bool:
        return self.recomputed_identical and self.rows_identical and self.inputs_current


def check(sheet: Any) -> Check:
    """Recompute `sheet` (a ResultSheet) from its stored inputs and compare; compare the inputs with the
    live data (a judge sheet or 日常考核 score changed after the computation shows up here)."""
    stored = sheet.inputs["maths"]
    diffs: list[str] = []
    again = maths.as_data(maths.recompute(stored))
    recomputed = again == sheet.outputs
    if not recomputed:
        diffs.append("按保存的输入重新计算，结果与保存的结果不一致")
    by_key = {r["key"]: r for r in sheet.outputs.get("rows", [])}
    rows_ok = True
    for row in sheet.rows.all():
        out = by_key.get(str(row.participant_id))
        if out is None or (out["rank"], out["grade"], out["composite"] or "") != (row.rank, row.grade, row.composite):
            rows_ok = False
            diffs.append(f"结果表中述职对象 {row.participant_id} 的名次、等次或得分与计算结果不一致")
    if len(by_key) != sheet.rows.count():
        rows_ok = False
        diffs.append("结果表行数与计算结果不一致")
    current = gather(sheet.campaign).snapshot(stored.get("overrides"))
    inputs_current = current == stored
    if not inputs_current:
        old = {r["key"]: r for r in stored["reporters"]}
        for r in current["reporters"]:
            if old.get(r["key"]) != r:
                label = sheet.inputs["details"]["reporters"].get(r["key"], {}).get("unit", r["key"])
                diffs.append(f"“{label}”的输入数据在统分后发生了变化")
        if set(old) != {r["key"] for r in current["reporters"]}:
            diffs.append("述职对象名单在统分后发生了变化")
        if current["scheme"] != stored["scheme"]:
            diffs.append("考核规则在统分后发生了变化")
    return Check(recomputed_identical=recomputed, rows_identical=rows_ok, inputs_current=inputs_current,
                 stored_digest=sheet.input_digest, current_digest=digest(current), differences=diffs)
