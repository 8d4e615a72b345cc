"""The audit log page: who may read it, filters, paging, chain verification and CSV export."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.urls import reverse

from shuping.audit.log import record
from shuping.audit.models import AuditEvent

LOG = reverse("audit:log")


@pytest.fixture
def events(users, district):
    record(users.organiser, "campaign.create", district.root, "新建考核方案“2023年度述职评议”", {"year": 2023})
    record(users.admin, "user.create", users.reporter, "创建用户“reporter”", {"roles": ["reporter"]})
    record(users.organiser, "unit.update", district.east, "修改单位“东城街道党工委”", {"before": {"name": "东城"}})
    return list(AuditEvent.objects.order_by("seq"))


@pytest.mark.parametrize("who", ["observer", "admin", "organiser"])
def test_audit_readers_may_open_the_log(users, client_for, events, who):
    r = client_for(getattr(users, who)).get(LOG)
    assert r.status_code == 200
    assert "修改单位“东城街道党工委”" in r.content.decode()


@pytest.mark.parametrize("who", ["reporter", "judge", "nobody", "chair", "teller", "owner"])
@pytest.mark.parametrize("name", ["audit:log", "audit:verify", "audit:export"])
def test_it_rejects_other_roles(users, client_for, who, name):
    assert client_for(getattr(users, who)).get(reverse(name)).status_code == 403


def test_anonymous_users_are_sent_to_login(client, db):
    r = client.get(LOG)
    assert r.status_code == 302
    assert "/login/" in r["Location"]


def test_it_shows_newest_first_with_labels_and_short_hash(users, client_for, events):
    html = client_for(users.observer).get(LOG).content.decode()
    assert html.index("修改单位“东城街道党工委”") < html.index("新建考核方案“2023年度述职评议”")
    assert "新建考核方案" in html and "campaign.create" in html  # Chinese label beside the code
    assert "组织部小王" in html  # actor's display name
    assert events[0].hash[:12] in html
    assert events[0].hash not in html.replace(f'title="{events[0].hash}"', "")
    assert "&quot;year&quot;: 2023" in html  # data, collapsible


def test_it_shows_times_in_beijing_time(users, client_for, events):
    utc = datetime(2024, 1, 18, 1, 30, tzinfo=ZoneInfo("UTC"))
    with connection.cursor() as cur:  # the row's time only; not a tamper test
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_append_only")
        cur.execute("UPDATE audit_auditevent SET at = %s WHERE seq = 1", [utc])
    html = client_for(users.observer).get(LOG).content.decode()
    assert "2024-01-18 09:30:00" in html


def test_it_filters_by_action_prefix_actor_and_object(users, client_for, events, district):
    c = client_for(users.observer)
    html = c.get(LOG, {"action": "campaign."}).content.decode()
    assert "新建考核方案“2023" in html and "创建用户“reporter”" not in html
    html = c.get(LOG, {"actor": "admin"}).content.decode()
    assert "创建用户“reporter”" in html and "修改单位“东城" not in html
    html = c.get(LOG, {"object_type": "orgs.unit", "object_id": str(district.east.pk)}).content.decode()
    assert "修改单位“东城" in html and "新建考核方案“2023" not in html


def test_it_filters_by_beijing_date_range(users, client_for, events):
    c = client_for(users.observer)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    html = c.get(LOG, {"since": today.isoformat(), "until": today.isoformat()}).content.decode()
    assert "共 3 条" in html
    html = c.get(LOG, {"until": "2020-01-01"}).content.decode()
    assert "没有符合条件的记录" in html


def test_a_reversed_date_range_says_so(users, client_for, events):
    html = client_for(users.observer).get(LOG, {"since": "2024-02-01", "until": "2024-01-01"}).content.decode()
    assert "起始日期不能晚于截止日期" in html


def test_it_pages_fifty_at_a_time(users, client_for, db):
    for i in range(1, 56):
        record("cli", "test.event", None, f"事件{i:03d}")
    c = client_for(users.observer)
    first = c.get(LOG).content.decode()
    assert "事件055" in first and "事件006" in first and "事件005" not in first
    assert "第 1 / 2 页" in first
    second = c.get(LOG, {"page": 2, "actor": "cli"}).content.decode()
    assert "事件005" in second and "事件001" in second and "事件006" not in second


def test_verify_shows_ok_and_the_head_hash(users, client_for, events):
    r = client_for(users.observer).get(reverse("audit:verify"), headers={"HX-Request": "true"})
    html = r.content.decode()
    assert "哈希链完整" in html
    assert events[-1].hash in html
    assert "<html" not in html  # a fragment for htmx


def test_verify_lists_problems_when_the_chain_is_broken(users, client_for, events):
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_append_only")
        cur.execute("UPDATE audit_auditevent SET summary = 'x' WHERE seq = 2")
    html = client_for(users.observer).get(reverse("audit:verify")).content.decode()
    assert "哈希链校验失败" in html
    assert "第 2 条" in html
    assert "<html" in html  # without htmx it is a whole page


def test_export_gives_the_filtered_log_as_csv(users, client_for, events):
    r = client_for(users.observer).get(reverse("audit:export"), {"action": "unit."})
    assert r["Content-Type"].startswith("text/csv")
    text = b"".join(r.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["序号", "时间（北京时间）", "操作人", "操作"]
    assert len(rows) == 2
    assert rows[1][3] == "unit.update"
    assert rows[1][4] == "修改单位"
    assert rows[1][7] == "修改单位“东城街道党工委”"
    assert rows[1][9] == events[2].hash


def test_it_names_the_objects_and_pins_its_query_count(users, client_for, events, district, django_assert_max_num_queries):
    c = client_for(users.observer)
    with django_assert_max_num_queries(12):
        html = c.get(LOG).content.decode()
    assert '<div class="small">东城街道党工委</div>' in html  # unit named, not only "#id"
    assert f'href="/orgs/units/{district.east.pk}/"' in html
