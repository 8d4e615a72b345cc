"""Helpers for the export job tests: a published result for the `scored` campaign, and running a job."""

from __future__ import annotations

from typing import Any

import pytest

from shuping.campaigns.models import Campaign
from shuping.exports import actions
from shuping.exports.models import ExportJob
from shuping.results import actions as results
from shuping.results.models import ResultSheet


def publish(users: Any, scored: Any) -> ResultSheet:
    sheet = results.compute_results(users.organiser, scored.campaign)
    results.submit_results(users.organiser, sheet)
    results.review_results(scored.organiser2, sheet, approve=True)
    results.sign_results(users.chair, sheet, "区委常委会 2026 年第 3 次会议")
    return results.publish_results(users.organiser, sheet)


def run(capture: Any, user: Any, kind: str, campaign: Campaign | None) -> ExportJob:
    """Request an export and run it as the worker would after commit (immediate backend in tests)."""
    with capture(execute=True):
        job = actions.request_export(user, kind, campaign)
    job.refresh_from_db()
    return job


def read(job: ExportJob) -> bytes:
    with job.file.open("rb") as fh:
        return fh.read()


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
