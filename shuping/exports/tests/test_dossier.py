"""归档 dossier PDF: built for the results fixture (computed, reviewed, signed and published through the
actions, with a meeting held through the meeting actions), read back with pdftotext page by page.

Expected figures are the hand-computed ones of shuping/results/tests/conftest.py: east judges 90…98 →
drop 90 and 98 → 94.00; west 4 judges (judge5 recused) → 83.00; edu → 74.00; composites 96.89, 82.11,
48.86; ranks east 1 较好 (quota), west 2 较好, edu 3 差 (veto).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from shuping.audit import log
from shuping.campaigns.models import Campaign, CampaignState
from shuping.exports import actions as export_actions
from shuping.exports import dossier, registry
from shuping.exports.models import ExportJob, JobState
from shuping.exports.tests.helpers import media, read, run  # noqa: F401  (fixtures)
from shuping.meetings import actions as meeting_actions
from shuping.meetings import agenda
from shuping.results import actions
from shuping.results.models import SheetState
from shuping.results.tests.conftest import judges, scored  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) is not installed"),
              pytest.mark.usefixtures("media")]


def _hold_meeting(users: Any, campaign: Campaign, ns: Any) -> None:
    """The meeting through its actions: west absent with a substitute, east 1 min 30 s over time."""
    Campaign.objects.filter(pk=campaign.pk).update(state=CampaignState.MEETING)
    campaign.refresh_from_db()
    meeting = agenda.create_meeting(users.organiser, campaign)
    items = {it.participant_id: it for it in meeting.items.all() if it.participant_id}
    t0 = timezone.now() - timedelta(hours=2)
    meeting_actions.mark_absent(users.organiser, items[ns.west.pk], True, "王副书记", "外出学习", now=t0)
    meeting_actions.start_meeting(users.organiser, meeting, now=t0)
    east = items[ns.east.pk]
    meeting_actions.start_timer(users.organiser, east, now=t0 + timedelta(seconds=5))
    meeting_actions.stop_timer(users.organiser, east, now=t0 + timedelta(seconds=5 + 6 * 60 + 90))
    Campaign.objects.filter(pk=campaign.pk).update(state=CampaignState.TALLYING)
    campaign.refresh_from_db()


@pytest.fixture
def published(users, scored) -> SimpleNamespace:  # noqa: F811
    _hold_meeting(users, scored.campaign, scored)
    sheet = actions.compute_results(users.organiser, scored.campaign)
    actions.submit_results(users.organiser, sheet)
    actions.review_results(scored.organiser2, sheet, approve=True, note="核对无误")
    actions.sign_results(users.chair, sheet, "区委常委会 2026 年第 3 次会议")
    actions.publish_results(users.organiser, sheet)
    sheet.refresh_from_db()
    assert sheet.state == SheetState.PUBLISHED
    return SimpleNamespace(**vars(scored), sheet=sheet)


def pages_text(pdf: bytes, tmp_path: Path, layout: bool = True) -> list[str]:
    """The text of each page; `layout` keeps lines as printed (for the table of contents), without it each
    table cell's wrapped text reads in one piece."""
    path = tmp_path / "dossier.pdf"
    path.write_bytes(pdf)
    args = ["pdftotext", *(["-layout"] if layout else []), str(path), "-"]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return out.split("\f")[:-1] if out.endswith("\f") else out.split("\f")


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture
def built(users, published, tmp_path) -> SimpleNamespace:
    pdf = dossier.dossier_for(users.organiser, published.campaign)
    if out := os.environ.get("SHUPING_DOSSIER_OUT"):  # to look at it: pdftoppm -png -r 60 <file> <prefix>
        Path(out).write_bytes(pdf)
    head = log.verify()  # nothing is recorded by building the dossier
    return SimpleNamespace(pdf=pdf, pages=pages_text(pdf, tmp_path), head=head, data=published,
                           text=squash("".join(pages_text(pdf, tmp_path, layout=False))))


def test_dossier_is_a_pdf_with_page_numbers_of_the_total(built):
    assert built.pdf.startswith(b"%PDF")
    n = len(built.pages)
    assert n >= 5
    for i, page in enumerate(built.pages, 1):
        assert f"第{i}页共{n}页" in squash(page)


def test_table_of_contents_points_at_the_pages_where_sections_start(built):
    toc = built.pages[1]
    assert "目" in toc and "录" in toc
    sections = ["一、考核方案", "二、述职对象与出席情况", "三、民主测评", "四、评委评分表", "五、考核结果", "六、审核签批",
                "七、审计链"]
    for title in sections:
        m = re.search(re.escape(title) + r"[ .]*?(\d+)\s*$", toc, re.M)
        assert m, f"{title} missing from the table of contents:\n{toc}"
        page = int(m.group(1))
        assert title in built.pages[page - 1], f"{title} does not start on page {page}"
        assert all(title not in p for p in built.pages[2:page - 1]), f"{title} appears before page {page}"


def test_scheme_attendance_and_meeting(built):
    text = built.text
    for unit in ("东城街道", "西城街道", "区教育局"):
        assert unit in text
    assert "述职内容（30）" in text and "区委领导" in text and "1/3" in text
    assert "西城街道" in text and "王副书记同志代为述职" in text and "外出学习" in text
    assert "超时1分30秒" in text  # east spoke 7 min 30 s of 6 min


def test_ballot_reconciliation_and_tally(built):
    text = built.text
    assert "发出测评码（未作废）20" in text and "手机投票20" in text and "有效选票（已存）20" in text
    assert "共20张选票" in text
    # east 好×20 → 100.00, 好评率 100.00%; edu 一般×10 差×10 → 30.00, veto
    assert "100.00%" in text and "区委领导100.00×40.00%+领导小组成员100.00×60.00%=100.00" in text
    assert "差10票÷有效20票=50.00%，超过" in text  # "1/3" may be read out of order from the wrapped cell


def test_judge_sheets_show_totals_dropped_marks_and_trimmed_mean(built):
    text = built.text
    assert "去掉最高、最低各1个分数后，(92.00+94.00+96.00)÷3=94.00" in text
    assert "4位评委，不去掉最高、最低分，(80.00+82.00+84.00+86.00)÷4=83.00" in text
    layout = "\n".join(built.pages)
    # east's sheet: one row per judge with the points per indicator, the total and whether it counted
    assert re.search(r"评委1\s+27\s+36\s+18\s+9\s+90\.00\s+去掉最低", layout)
    assert re.search(r"评委3\s+28\.2\s+37\.6\s+18\.8\s+9\.4\s+94\.00\s+计入", layout)
    assert re.search(r"评委5\s+29\.4\s+39\.2\s+19\.6\s+9\.8\s+98\.00\s+去掉最高", layout)
    assert re.search(r"平均\s+94\.00", layout) and re.search(r"平均\s+83\.00", layout)


def test_results_signoffs_and_audit_head(built):
    text = built.text
    assert "96.89" in text and "82.11" in text and "48.86" in text
    assert "一票否决" in text and "超出“好”等次比例" in text
    assert "=96.89" in text  # composite formula
    s = built.data.sheet
    assert "区委常委会2026年第3次会议" in text and "核对无误" in text
    assert s.input_digest in text
    assert "组织部小李" in text  # the reviewer
    assert built.head.head_hash in text and f"记录条数{built.head.count}" in text


def test_dossier_without_a_result_or_meeting(users, scored, tmp_path):  # noqa: F811
    pages = pages_text(dossier.dossier_pdf(scored.campaign), tmp_path, layout=False)
    text = squash("".join(pages))
    assert "尚未统分" in text and "没有述职评议会记录" in text
    assert "(92.00+94.00+96.00)÷3=94.00" in text  # sheets computed on the fly


@pytest.mark.parametrize("who, allowed", [("organiser", True), ("observer", True), ("chair", True),
                                          ("reporter", False), ("owner", False), ("judge", False),
                                          ("nobody", False)])
def test_who_may_build_the_dossier(users, scored, who, allowed):  # noqa: F811
    user = getattr(users, who)
    if allowed:
        assert dossier.dossier_for(user, scored.campaign).startswith(b"%PDF")
    else:
        with pytest.raises(PermissionDenied):
            dossier.dossier_for(user, scored.campaign)


# ---------------------------------------------------------------- as an export job

@pytest.mark.parametrize("who", ["organiser", "observer"])
def test_dossier_job_for_campaign_wide_readers(users, published, who, django_capture_on_commit_callbacks, tmp_path):
    job = run(django_capture_on_commit_callbacks, getattr(users, who), "dossier_pdf", published.campaign)
    assert job.state == JobState.DONE, job.error
    assert job.unit_id is None and job.filename.endswith(".pdf") and "考核归档材料" in job.filename
    text = squash("".join(pages_text(read(job), tmp_path, layout=False)))
    for unit in ("东城街道", "西城街道", "区教育局"):
        assert unit in text
    assert "(92.00+94.00+96.00)÷3=94.00" in text and published.sheet.input_digest in text


@pytest.mark.parametrize("who", ["reporter", "owner", "judge", "nobody"])
def test_dossier_job_refused_to_unit_bound_and_other_users(users, published, who):
    user = getattr(users, who)
    assert "dossier_pdf" not in [e.key for e in registry.for_user(user)]
    with pytest.raises(PermissionDenied):
        export_actions.request_export(user, "dossier_pdf", published.campaign)
    assert not ExportJob.objects.filter(kind="dossier_pdf").exists()


def test_dossier_job_needs_a_result(users, scored):  # noqa: F811
    with pytest.raises(ValidationError, match="尚未统分"):
        export_actions.request_export(users.organiser, "dossier_pdf", scored.campaign)


def test_dossier_job_never_builds_for_a_unit(users, published):
    """A job row scoped to a unit (it cannot be requested so; a forged or stale row) fails instead of
    building a campaign-wide file."""
    job = ExportJob.objects.create(kind="dossier_pdf", campaign=published.campaign, unit=published.east.unit,
                                   requested_by=users.organiser)
    with pytest.raises(PermissionDenied):
        registry.get("dossier_pdf").build(job, lambda p, m: None)  # type: ignore[union-attr]
