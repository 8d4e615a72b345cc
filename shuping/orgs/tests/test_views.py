"""Pages: who may open what, what they see, forms, roster upload/download, and query-count pins."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from shuping.orgs.models import Person, Unit
from shuping.orgs.tests.workbooks import unit_row, xlsx

WIDE = ("organiser", "admin", "observer", "chair", "judge", "teller")
NARROW = ("reporter", "owner", "nobody")


@pytest.fixture
def big_tree(district):
    """30 街道 under the root, 5 社区 each: 150 more units, to show query counts do not grow."""
    mids = Unit.objects.bulk_create([Unit(code=f"M{i:02d}", name=f"第{i}街道党工委", type="党工委", category="街道",
                                          parent=district.root, sort_order=100 + i) for i in range(30)])
    Unit.objects.bulk_create([Unit(code=f"{m.code}{j}", name=f"{m.name}第{j}社区", type="党委", category="街道",
                                   parent=m, sort_order=j) for m in mids for j in range(5)])
    people = Person.objects.bulk_create([Person(unit=u, name=f"书记{u.code}") for u in Unit.objects.filter(secretary=None)])
    for p in people:
        Unit.objects.filter(pk=p.unit_id).update(secretary=p)
    return mids


# --- permissions -----------------------------------------------------------------------------

@pytest.mark.parametrize("role", WIDE)
def test_wide_readers_see_the_tree_and_children(users, client_for, district, role):
    c = client_for(getattr(users, role))
    assert c.get(reverse("orgs:tree")).status_code == 200
    assert c.get(reverse("orgs:children", args=[district.root.pk])).status_code == 200
    assert c.get(reverse("orgs:unit", args=[district.west.pk])).status_code == 200


@pytest.mark.parametrize("role", NARROW)
def test_unit_bound_users_cannot_open_the_tree(users, client_for, district, role):
    c = client_for(getattr(users, role))
    assert c.get(reverse("orgs:tree")).status_code == 403
    assert c.get(reverse("orgs:children", args=[district.root.pk])).status_code == 403


def test_anonymous_users_are_sent_to_login(district, client):
    for url in (reverse("orgs:tree"), reverse("orgs:unit", args=[district.east.pk]), reverse("orgs:roster_import")):
        resp = client.get(url)
        assert resp.status_code == 302 and resp.url.startswith(reverse("login"))


def test_reporters_see_only_their_own_unit(users, client_for, district):
    c = client_for(users.reporter)
    resp = c.get(reverse("orgs:unit", args=[district.east.pk]))
    assert resp.status_code == 200 and "东城街道党工委" in resp.content.decode() and "钱东明" in resp.content.decode()
    assert "编辑单位" not in resp.content.decode()
    assert c.get(reverse("orgs:unit", args=[district.west.pk])).status_code == 404
    assert client_for(users.other_reporter).get(reverse("orgs:unit", args=[district.east.pk])).status_code == 404
    assert client_for(users.nobody).get(reverse("orgs:unit", args=[district.east.pk])).status_code == 404


EDITOR_GETS = ["orgs:unit_new", "orgs:roster_import", "orgs:roster_export", "orgs:roster_template"]


@pytest.mark.parametrize("role", [r for r in (*WIDE, *NARROW) if r != "organiser"])
def test_only_organisers_edit(users, client_for, district, role):
    c = client_for(getattr(users, role))
    east, person = district.east, district.east.secretary
    for name in EDITOR_GETS:
        assert c.get(reverse(name)).status_code == 403, name
    assert c.get(reverse("orgs:unit_edit", args=[east.pk])).status_code == 403
    assert c.get(reverse("orgs:person_new", args=[east.pk])).status_code == 403
    assert c.get(reverse("orgs:person_edit", args=[person.pk])).status_code == 403
    assert c.post(reverse("orgs:unit_active", args=[east.pk])).status_code == 403
    assert c.post(reverse("orgs:set_secretary", args=[east.pk]), {"person": person.pk}).status_code == 403
    assert c.post(reverse("orgs:person_delete", args=[person.pk])).status_code == 403
    assert c.post(reverse("orgs:roster_import"), {"file": io.BytesIO(b"x")}).status_code == 403
    assert Unit.objects.get(pk=east.pk).active


def test_organisers_open_every_editor_page(users, client_for, district):
    c = client_for(users.organiser)
    for name in EDITOR_GETS:
        assert c.get(reverse(name)).status_code == 200, name
    assert c.get(reverse("orgs:unit_new") + f"?parent={district.east.pk}").status_code == 200
    assert c.get(reverse("orgs:unit_edit", args=[district.east.pk])).status_code == 200
    assert c.get(reverse("orgs:person_new", args=[district.east.pk])).status_code == 200
    assert c.get(reverse("orgs:person_edit", args=[district.east.secretary.pk])).status_code == 200


# --- what users see ---------------------------------------------------------------------------

def test_the_tree_shows_roots_with_their_children_open(users, client_for, district):
    html = client_for(users.judge).get(reverse("orgs:tree")).content.decode()
    assert "示例区委" in html and "西城街道党工委" in html and "孙西华" in html
    assert "下级 3" in html and "党工委" in html and "新建单位" not in html
    assert 'hx-get="' + reverse("orgs:children", args=[district.east.pk]) not in html  # no children: no toggle


def test_children_load_on_click(users, client_for, district, big_tree):
    html = client_for(users.organiser).get(reverse("orgs:children", args=[big_tree[0].pk])).content.decode()
    assert html.count("<li>") == 5 and "第0街道党工委第4社区" in html and "书记M004" in html


def test_children_are_paged(users, client_for, district, big_tree, monkeypatch):
    from shuping.orgs import views

    monkeypatch.setattr(views, "CHILDREN_PAGE", 20)
    c = client_for(users.organiser)
    first = c.get(reverse("orgs:children", args=[district.root.pk])).content.decode()
    assert first.count("<li>") == 20 and "加载更多" in first and "?page=2" in first
    last = c.get(reverse("orgs:children", args=[district.root.pk]) + "?page=2").content.decode()
    assert last.count("<li>") == 13 and "加载更多" not in last


def test_search_finds_by_name_or_code_and_pages(users, client_for, district, big_tree):
    c = client_for(users.observer)
    html = c.get(reverse("orgs:tree"), {"q": "第7街道"}).content.decode()
    assert "找到 6 个单位" in html and "第7街道党工委第4社区" in html  # the 街道 and its 5 社区
    html = c.get(reverse("orgs:tree"), {"q": "M0"}).content.decode()
    assert "找到 60 个单位" in html and "第 1/2 页" in html and "下一页" in html
    page2 = c.get(reverse("orgs:tree"), {"q": "M0", "page": 2}).content.decode()
    assert "第 2 / 2 页" in page2
    partial = c.get(reverse("orgs:tree"), {"q": "西城"}, HTTP_HX_REQUEST="true").content.decode()
    assert "西城街道党工委" in partial and "<html" not in partial


def test_unit_page_shows_fields_breadcrumb_people_and_children(users, client_for, district, big_tree):
    leaf = Unit.objects.get(code="M003")
    html = client_for(users.organiser).get(reverse("orgs:unit", args=[leaf.pk])).content.decode()
    assert "示例区委" in html and "第0街道党工委" in html and "M003" in html and "书记M003" in html
    html = client_for(users.organiser).get(reverse("orgs:unit", args=[district.root.pk])).content.decode()
    assert "下级单位（33）" in html and "编辑单位" in html and "新增人员" in html


# --- query counts stay flat with the tree's size ----------------------------------------------

def test_tree_pages_query_counts_are_pinned(users, client_for, district, big_tree, django_assert_max_num_queries):
    c = client_for(users.organiser)
    leaf = Unit.objects.get(code="M003")
    c.get(reverse("orgs:tree"))  # warm the session
    # session, user, roles + roots, their children
    with django_assert_max_num_queries(5):
        assert c.get(reverse("orgs:tree")).status_code == 200
    # session, user, roles + count, one page
    with django_assert_max_num_queries(5):
        assert c.get(reverse("orgs:tree"), {"q": "社区"}).status_code == 200
    # session, user, roles + unit, count, one page
    with django_assert_max_num_queries(6):
        assert c.get(reverse("orgs:children", args=[district.root.pk])).status_code == 200
    # session, user, roles + unit (access), unit with parent and secretary, grandparent, count, people, children
    with django_assert_max_num_queries(9):
        assert c.get(reverse("orgs:unit", args=[leaf.pk])).status_code == 200


# --- forms --------------------------------------------------------------------------------------

def test_organiser_creates_and_edits_a_unit(users, client_for, district):
    c = client_for(users.organiser)
    resp = c.post(reverse("orgs:unit_new"), {"code": "Q03", "name": "南城街道党工委", "short_name": "", "type": "党工委",
                                             "category": "街道", "parent_code": "Q", "sort_order": 3})
    south = Unit.objects.get(code="Q03")
    assert resp.status_code == 302 and resp.url == reverse("orgs:unit", args=[south.pk]) and south.parent == district.root
    resp = c.post(reverse("orgs:unit_edit", args=[district.root.pk]),
                  {"code": "Q", "name": "示例区委", "type": "党委", "category": "区县委", "parent_code": "Q03", "sort_order": 0})
    assert resp.status_code == 200 and "会形成循环" in resp.content.decode()
    resp = c.post(reverse("orgs:unit_new"), {"code": "Q04", "name": "x", "type": "党委", "category": "街道",
                                             "parent_code": "NOPE", "sort_order": 0})
    assert "上级单位代码“NOPE”不存在" in resp.content.decode() and not Unit.objects.filter(code="Q04").exists()


def test_organiser_manages_people_and_secretary(users, client_for, district):
    c = client_for(users.organiser)
    c.post(reverse("orgs:person_new", args=[district.east.pk]),
           {"name": "冯委员", "position": "组织委员", "gender": "男", "phone": "", "make_secretary": "1"})
    p = Person.objects.get(name="冯委员")
    assert Unit.objects.get(pk=district.east.pk).secretary == p
    c.post(reverse("orgs:person_edit", args=[p.pk]), {"name": "冯委员", "position": "书记", "gender": "男", "phone": "1"})
    assert Person.objects.get(pk=p.pk).position == "书记"
    old = district.east.secretary
    c.post(reverse("orgs:set_secretary", args=[district.east.pk]), {"person": old.pk})
    assert Unit.objects.get(pk=district.east.pk).secretary == old
    resp = c.post(reverse("orgs:person_delete", args=[old.pk]), follow=True)
    assert "请先更换书记" in resp.content.decode()
    c.post(reverse("orgs:person_delete", args=[p.pk]))
    assert not Person.objects.filter(pk=p.pk).exists()


def test_organiser_deactivates_a_unit(users, client_for, district):
    c = client_for(users.organiser)
    resp = c.post(reverse("orgs:unit_active", args=[district.root.pk]), follow=True)
    assert "还有 3 个在用的下级单位" in resp.content.decode()
    c.post(reverse("orgs:unit_active", args=[district.west.pk]))
    assert not Unit.objects.get(pk=district.west.pk).active
    c.post(reverse("orgs:unit_active", args=[district.west.pk]), {"active": "1"})
    assert Unit.objects.get(pk=district.west.pk).active


# --- roster pages -------------------------------------------------------------------------------

def upload(c, data: bytes, name: str = "名册.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return c.post(reverse("orgs:roster_import"), {"file": SimpleUploadedFile(name, data)})


def test_import_page_shows_the_result(users, client_for, district):
    resp = upload(client_for(users.organiser), xlsx([unit_row("Q03", parent="Q", secretary="周南")]))
    html = resp.content.decode()
    assert resp.status_code == 200 and "新增 1、更新 0、未变 0" in html and "文件中未出现的单位" in html
    assert "4 个" in html and Unit.objects.filter(code="Q03").exists()


def test_import_page_lists_every_problem_and_keeps_nothing(users, client_for, district):
    rows = [unit_row(f"N{i}", parent="Q", secretary="") for i in range(250)]
    resp = upload(client_for(users.organiser), xlsx(rows), "坏名册.xlsx")
    html = resp.content.decode()
    assert resp.status_code == 422
    assert "共有 250 处问题" in html and "以下列出前 200 处" in html and html.count("<li>文件“坏名册.xlsx”") == 200
    assert "工作表“单位” 第 2 行 “书记姓名”列" in html
    assert not Unit.objects.filter(code__startswith="N").exists()


def test_import_page_refuses_a_non_xlsx_file(users, client_for, district):
    html = upload(client_for(users.organiser), b"code,name\n", "名册.csv").content.decode()
    assert "不是 .xlsx 文件" in html


def test_downloads_are_xlsx_and_reimport(users, client_for, district):
    c = client_for(users.organiser)
    for name in ("orgs:roster_export", "orgs:roster_template"):
        resp = c.get(reverse(name))
        assert resp["Content-Type"].startswith("application/vnd.openxmlformats")
        assert "attachment" in resp["Content-Disposition"] and "filename*=UTF-8''" in resp["Content-Disposition"]
        assert load_workbook(io.BytesIO(resp.content)).sheetnames == ["单位", "人员", "说明"]
    exported = c.get(reverse("orgs:roster_export")).content
    assert "新增 0、更新 0、未变 4" in upload(c, exported).content.decode()
