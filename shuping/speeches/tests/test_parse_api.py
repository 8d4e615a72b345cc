"""POST /api/speeches/parse: the same reading as `shuping speech parse`, for SPEECH_EDITORS (organiser, chair)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from shuping.accounts.actions import create_token
from shuping.accounts.models import User
from shuping.speeches.reading import read

URL = "/api/speeches/parse"
TEXT = "在看到成绩的同时，也要看到问题和不足。部分社区存在网格化管理不精细、党群服务中心利用率不高等问题。"


@pytest.fixture
def api_for() -> Callable[[User], Client]:
    def make(user: User) -> Client:
        _, raw = create_token(user, "test")
        return Client(headers={"Authorization": f"Bearer {raw}"})

    return make


def post_text(client: Client, text: object) -> object:
    return client.post(URL, data=json.dumps({"text": text}), content_type="application/json")


def test_it_reads_pasted_text(users, api_for):
    r = post_text(api_for(users.chair), TEXT)
    assert r.status_code == 200
    body = r.json()
    assert body == read(TEXT).as_json()
    items = body["parts"][0]["items"]
    assert [(i["text"], i["category"]) for i in items] == [
        ("网格化管理不精细", "governance"), ("党群服务中心利用率不高", "resources")]
    assert all(TEXT[i["start"]:i["end"]] == i["text"] for i in items)


def test_it_reads_an_uploaded_gbk_file(users, api_for):
    upload = SimpleUploadedFile("点评.txt", TEXT.encode("gbk"), content_type="text/plain")
    r = api_for(users.organiser).post(URL, data={"file": upload})
    assert r.status_code == 200 and r.json() == read(TEXT).as_json()


def test_it_refuses_what_it_cannot_read(users, api_for):
    org = api_for(users.organiser)
    r = org.post(URL, data={"file": SimpleUploadedFile("a.pdf", b"%PDF-1.4")})
    assert r.status_code == 422 and "不支持的文件类型" in json.dumps(r.json(), ensure_ascii=False)
    r = org.post(URL, data={"file": SimpleUploadedFile("a.docx", b"not a zip")})
    assert r.status_code == 422 and "不是有效的 Word" in json.dumps(r.json(), ensure_ascii=False)
    for bad in ("", "   ", None, 12):
        assert post_text(org, bad).status_code == 422
    assert org.post(URL, data="{not json", content_type="application/json").status_code == 422
    assert post_text(org, "字" * 200_001).status_code == 422


def test_permissions(client, users, api_for):
    assert post_text(client, TEXT).status_code == 401
    for who in (users.organiser, users.chair):
        assert post_text(api_for(who), TEXT).status_code == 200
    for who in (users.admin, users.observer, users.judge, users.teller, users.reporter, users.owner, users.nobody):
        assert post_text(api_for(who), TEXT).status_code == 403, who.username
