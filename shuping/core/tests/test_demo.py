"""The demo district: shape modelled on the 2023 speech, idempotent loading, --reset, printed logins."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from shuping.accounts.models import User
from shuping.audit.log import verify
from shuping.audit.models import AuditEvent
from shuping.campaigns import lots
from shuping.campaigns.models import Campaign, CampaignState, LotDraw, Participant
from shuping.campaigns.scheme import validate_scheme
from shuping.core import demo
from shuping.orgs.models import Person, Unit


def load(*args: str) -> str:
    out = StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def test_it_builds_the_district_from_the_speech(db):
    load()
    root = Unit.objects.get(code="QC")
    assert root.parent is None and root.short_name == "青川区委"
    assert root.children.filter(category__in=["街道", "乡镇"]).count() == 8
    names = set(root.children.values_list("short_name", flat=True))
    for body in ("区直机关工委", "经济开发区工委", "区“两新”工委", "区离退休干部工委", "区财政局党组", "区教育局党委",
                 "区卫健局党委"):
        assert body in names
    assert Unit.objects.get(code="QC16").children.filter(category="学校").count() == 3
    assert Unit.objects.get(code="QC17").children.filter(category="医院").exists()
    assert not Unit.objects.filter(secretary=None).exists()
    assert all(p.phone.startswith("138****") for p in Person.objects.all())


def test_it_has_a_finished_2022_and_a_2023_ready_for_its_meeting(db):
    load()
    old = Campaign.objects.get(year=2022)
    new = Campaign.objects.get(year=2023)
    assert old.state == CampaignState.ARCHIVED
    assert new.state == CampaignState.PUBLISHED
    assert validate_scheme(new.scheme) == [] and new.scheme == old.scheme
    assert (new.meeting_date - new.report_deadline).days == 10
    onsite = list(new.participants.filter(mode="onsite").order_by("speaking_order"))
    written = new.participants.filter(mode="written")
    assert [p.speaking_order for p in onsite] == list(range(1, 9))
    assert {p.unit.category for p in onsite} <= {"街道", "乡镇"}
    assert written.count() == 7 and not written.exclude(speaking_order=None).exists()
    assert old.participants.count() == 15


def test_the_speaking_order_replays_from_the_recorded_lot(db):
    load()
    draw = LotDraw.objects.get()
    assert lots.draw(draw.candidates, draw.count, draw.seed) == draw.drawn
    order = list(Participant.objects.filter(campaign__year=2023, mode="onsite").order_by("speaking_order")
                 .values_list("unit__code", flat=True))
    assert order == draw.drawn


def test_every_demo_login_works_with_the_demo_password(db):
    load()
    for username in ("organiser", "chair", "judge", "reporter", "owner", "teller", "observer", "admin"):
        user = authenticate(username=username, password=demo.PASSWORD)
        assert user is not None, username
        assert user.display_name
    reporter = User.objects.get(username="reporter")
    first = Participant.objects.get(campaign__year=2023, speaking_order=1)
    assert reporter.unit == first.unit and reporter.person == first.secretary
    assert User.objects.get(username="owner").unit == first.unit


def test_it_prints_the_url_and_a_login_per_role(db):
    out = load()
    assert "http://127.0.0.1:8000/" in out
    assert demo.PASSWORD in out
    for username, label in (("organiser", "组织部工作人员"), ("chair", "点评领导"), ("observer", "监督员"),
                            ("reporter", "述职人"), ("admin", "系统管理员")):
        line = next(li for li in out.splitlines() if li.strip().startswith(username + " "))
        assert label in line


def test_loading_twice_adds_nothing(db):
    load()
    before = (Unit.objects.count(), Person.objects.count(), Campaign.objects.count(), User.objects.count(),
              Participant.objects.count())
    out = load()
    assert "已存在" in out and "organiser" in out
    assert before == (Unit.objects.count(), Person.objects.count(), Campaign.objects.count(), User.objects.count(),
                      Participant.objects.count())
    assert AuditEvent.objects.filter(action="demo.load").count() == 1


def test_reset_wipes_and_reloads(db):
    load()
    Unit.objects.filter(code="QC01").update(name="改过的名字")
    load("--reset")
    assert Unit.objects.get(code="QC01").name == "中共青川区城关街道工作委员会"
    assert Unit.objects.filter(code="QC").count() == 1
    assert Campaign.objects.count() == 2
    assert AuditEvent.objects.filter(action="demo.load").count() == 2
    assert verify().ok


def test_it_leaves_other_districts_alone(district):
    load("--reset")
    load("--reset")
    assert Unit.objects.filter(code__in=["Q", "Q01", "Q02", "Q11"]).count() == 4


@pytest.mark.parametrize("existing", ["admin"])
def test_an_existing_username_is_kept(db, existing):
    User.objects.create_user(username=existing, password="Keep-this-one-2026")
    out = load()
    assert f"用户 {existing} 已存在" in out
    assert authenticate(username=existing, password="Keep-this-one-2026") is not None


def test_reset_keeps_a_same_named_account_made_by_hand(db):
    User.objects.create_user(username="admin", password="Keep-this-one-2026")
    load()
    load("--reset")
    assert authenticate(username="admin", password="Keep-this-one-2026") is not None
    assert authenticate(username="organiser", password=demo.PASSWORD) is not None
