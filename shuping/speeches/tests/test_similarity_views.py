"""材料雷同 pages and API: who may see them, the ranked list with its filters, the pair page's highlights."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from shuping.accounts.actions import create_token
from shuping.reports.models import ReportState
from shuping.speeches import checks
from shuping.speeches.tests.similarity_samples import (
    COPIED,
    OWN,
    PROBLEMS,
    TEMPLATE,
    campaign_with_reports,
    make_units,
    sections,
)

ALLOWED = ("organiser", "observer")
REFUSED = ("admin", "chair", "judge", "teller", "reporter", "owner", "other_reporter", "nobody")


@pytest.fixture(autouse=True)
def _fresh_cache():
    checks.clear_cache()
    yield
    checks.clear_cache()


@pytest.fixture
def setup(district):
    """2025: east and west; 2026: east reuses last year's paragraph, west lifts south's paragraph, edu clean,
    north's draft (copying) is not checked. All open with the same template sentence."""
    extra = make_units(district.root, ["north", "south"])
    _, last = campaign_with_reports(district.root, 2025, {
        district.east: sections(TEMPLATE + OWN["east"], COPIED),
        district.west: sections(TEMPLATE + OWN["west"], PROBLEMS["west"]),
    })
    campaign, now = campaign_with_reports(district.root, 2026, {
        district.east: sections(TEMPLATE + OWN["north"] + COPIED, PROBLEMS["east"]),
        district.west: sections(TEMPLATE + PROBLEMS["north"] + OWN["south"], PROBLEMS["edu"]),
        district.edu: sections(TEMPLATE + OWN["edu"], PROBLEMS["south"]),
        extra["north"]: (sections(OWN["west"] + COPIED), ReportState.DRAFT),
        extra["south"]: (sections(TEMPLATE + OWN["south"], PROBLEMS["north"] + "。"), ReportState.APPROVED),
    })
    return campaign, now, last, extra


def url(campaign, query: str = "") -> str:
    return f"/speeches/similarity/{campaign.pk}/{query}"


def pair_url(campaign, a, b) -> str:
    return f"/speeches/similarity/{campaign.pk}/pair/{a.pk}/{b.pk}/"


def api(user) -> Client:
    _, raw = create_token(user, "test")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def rows(html: str) -> list[str]:
    return re.findall(r'data-testid="pair-(\d+-\d+)"', html)


# --- permissions ---------------------------------------------------------------------------------------------

def test_pages_need_a_login(client, setup, district):
    campaign, now, last, _ = setup
    for u in (url(campaign), pair_url(campaign, now[district.east], last[district.east])):
        r = client.get(u)
        assert r.status_code == 302 and "/login" in r["Location"]


@pytest.mark.parametrize("role", ALLOWED)
def test_organiser_and_observer_see_both_pages(role, users, client_for, setup, district):
    campaign, now, last, _ = setup
    c = client_for(getattr(users, role))
    assert c.get(url(campaign)).status_code == 200
    assert c.get(pair_url(campaign, now[district.east], last[district.east])).status_code == 200


@pytest.mark.parametrize("role", REFUSED)
def test_other_roles_are_refused(role, users, client_for, setup, district):
    campaign, now, last, _ = setup
    c = client_for(getattr(users, role))
    assert c.get(url(campaign)).status_code == 403
    assert c.get(pair_url(campaign, now[district.east], last[district.east])).status_code == 403


@pytest.mark.parametrize("role", ALLOWED)
def test_api_allowed(role, users, setup):
    campaign, *_ = setup
    assert api(getattr(users, role)).get(f"/api/speeches/similarity/{campaign.pk}/pairs").status_code == 200


@pytest.mark.parametrize("role", REFUSED)
def test_api_refused(role, users, setup):
    campaign, *_ = setup
    assert api(getattr(users, role)).get(f"/api/speeches/similarity/{campaign.pk}/pairs").status_code == 403


def test_api_needs_a_token(setup):
    campaign, *_ = setup
    assert Client().get(f"/api/speeches/similarity/{campaign.pk}/pairs").status_code == 401


def test_unknown_campaign_and_reports_outside_the_check_answer_404(users, client_for, setup, district):
    campaign, now, _, extra = setup
    c = client_for(users.organiser)
    assert c.get("/speeches/similarity/99999/").status_code == 404
    assert api(users.organiser).get("/api/speeches/similarity/99999/pairs").status_code == 404
    draft = campaign.participants.get(unit=extra["north"]).report
    assert c.get(pair_url(campaign, now[district.east], draft)).status_code == 404  # a draft is not checked
    assert c.get(pair_url(campaign, now[district.east], now[district.east])).status_code == 404


# --- what the organiser sees ---------------------------------------------------------------------------------

def test_ranked_list_shows_both_kinds_and_filters(users, client_for, setup, district):
    campaign, now, last, extra = setup
    south = now[extra["south"]]
    c = client_for(users.organiser)
    html = c.get(url(campaign, "?min=1")).content.decode()
    assert "本年度已提交报告 4 份，上年度报告 2 份" in html
    scores = [float(x) for x in re.findall(r'data-testid="score">([\d.]+)%<', html)]
    assert len(scores) == 2 and scores == sorted(scores, reverse=True)
    assert set(rows(html)) == {f"{now[district.east].pk}-{last[district.east].pk}",
                               f"{now[district.west].pk}-{south.pk}"}
    assert "与本单位上年" in html and "与其他单位" in html
    only_last = c.get(url(campaign, "?min=1&kind=last_year")).content.decode()
    assert rows(only_last) == [f"{now[district.east].pk}-{last[district.east].pk}"]
    none = c.get(url(campaign, "?min=99")).content.decode()
    assert rows(none) == [] and "没有雷同比例达到 99% 的报告" in none
    # Junk in the filter falls back to the defaults rather than failing.
    assert c.get(url(campaign, "?min=abc&kind=evil")).status_code == 200


def test_pair_page_highlights_the_shared_passage_in_both_reports(users, client_for, setup, district):
    campaign, now, last, _ = setup
    html = client_for(users.observer).get(pair_url(campaign, last[district.east], now[district.east])).content.decode()
    # Whichever order the link gives, this year's report is on the left.
    left, right = html.split('data-testid="side-2"')
    assert "2026年度" in left and "2025年度" in right
    marked = re.findall(r"<mark>(.*?)</mark>", html)
    assert marked == [COPIED.rstrip("。")] * 2
    assert TEMPLATE[:10] not in "".join(marked)  # the template opening is not highlighted
    assert "与本单位上年" in html and "存在问题" in html  # section headings shown


def test_pair_page_of_unrelated_reports_says_so(users, client_for, setup, district):
    campaign, now, *_ = setup
    html = client_for(users.organiser).get(pair_url(campaign, now[district.edu], now[district.east])).content.decode()
    assert 'data-testid="no-pair"' in html and "<mark>" not in html


def test_api_lists_pairs_with_passages(users, setup, district):
    campaign, now, last, extra = setup
    r = api(users.organiser).get(f"/api/speeches/similarity/{campaign.pk}/pairs", {"min_score": "0.01"})
    body = r.json()
    assert (body["reports_checked"], body["previous_reports"]) == (4, 2)
    kinds = {(p["a"]["report_id"], p["b"]["report_id"]): p["kind"] for p in body["pairs"]}
    assert kinds == {(now[district.east].pk, last[district.east].pk): "last_year",
                     (now[district.west].pk, now[extra["south"]].pk): "other"}
    reuse = next(p for p in body["pairs"] if p["kind"] == "last_year")
    [passage] = reuse["passages"]
    assert passage["text"] == COPIED.rstrip("。")
    assert reuse["score"] == max(reuse["cover_a"], reuse["cover_b"]) and "." in reuse["score"]
    only = api(users.organiser).get(f"/api/speeches/similarity/{campaign.pk}/pairs",
                                    {"min_score": "0.01", "kind": "other"}).json()["pairs"]
    assert [p["kind"] for p in only] == ["other"]
    bad = api(users.organiser).get(f"/api/speeches/similarity/{campaign.pk}/pairs", {"kind": "evil"})
    assert bad.status_code == 422
