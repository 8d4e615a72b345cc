"""Evidence uploads: checked by magic bytes and size; a refused file leaves nothing on disk or in the DB."""

from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import ValidationError

from shuping.rectification import actions, evidence
from shuping.rectification.models import EntryState, Evidence, ProgressReport


@pytest.mark.parametrize(("name", "attr", "ctype"), [
    ("报告.pdf", "pdf", "application/pdf"),
    ("现场.JPG", "jpeg", "image/jpeg"),
    ("现场.png", "png", "image/png"),
    ("方案.docx", "docx", evidence.DOCX),
    ("名单.xlsx", "xlsx", evidence.XLSX),
    ("说明.txt", "txt", "text/plain"),
])
def test_allowed_kinds(files, name, attr, ctype):
    data = getattr(files, attr)
    c = evidence.check(files.upload(name, data))
    assert c.content_type == ctype and c.sha256 == hashlib.sha256(data).hexdigest() and c.size == len(data)


def test_gb18030_text_is_text(files):
    assert evidence.check(files.upload("说明.txt", "整改说明".encode("gb18030"))).content_type == "text/plain"


@pytest.mark.parametrize(("name", "attr", "message"), [
    ("程序.pdf", "exe", "类型不允许上传"),
    ("宏.docm", "docm", "宏"),
    ("宏.docx", "docm", "宏"),
    ("带宏.docx", "docx_with_vba", "含有宏"),
    ("伪装.png", "pdf", "内容是PDF，与扩展名“.png”不符"),
    ("伪装.docx", "xlsx", "内容是Excel 表格"),
])
def test_refused_by_content(files, name, attr, message):
    with pytest.raises(ValidationError, match=message):
        evidence.check(files.upload(name, getattr(files, attr)))


def test_a_plain_zip_and_a_corrupt_docx_are_refused(files):
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.txt", "x")
    with pytest.raises(ValidationError, match="压缩包"):
        evidence.check(files.upload("a.docx", buf.getvalue()))
    with pytest.raises(ValidationError, match="已损坏"):
        evidence.check(files.upload("b.docx", b"PK\x03\x04broken"))


def test_empty_file_is_refused(files):
    with pytest.raises(ValidationError, match="空文件"):
        evidence.check(files.upload("a.txt", b""))


def test_too_big_is_refused(files, monkeypatch):
    monkeypatch.setattr(evidence, "MAX_BYTES", 1024)
    with pytest.raises(ValidationError, match="超过"):
        evidence.check(files.upload("大.pdf", files.pdf + b"0" * 2000))


def test_the_real_limit_is_20_mb(files):
    big = files.upload("大.pdf", b"%PDF-" + b"0" * (20 * 1024 * 1024))
    with pytest.raises(ValidationError, match="超过 20 MB 上限"):
        evidence.check(big)


def test_path_in_the_name_is_dropped(files):
    assert evidence.check(files.upload("../../etc/报告.pdf", files.pdf)).name == "报告.pdf"


@pytest.mark.parametrize("bad", ["exe", "docm", "big"])
def test_refused_uploads_keep_nothing(entry, users, files, media, monkeypatch, bad):
    monkeypatch.setattr(evidence, "MAX_BYTES", 4096)
    data = {"exe": files.exe, "docm": files.docm, "big": b"%PDF-" + b"0" * 5000}[bad]
    good = files.upload("好.pdf", files.pdf)
    with pytest.raises(ValidationError):
        actions.post_progress(users.owner, entry, text="进展", files=[good, files.upload("坏.docx", data)])
    with pytest.raises(ValidationError):
        actions.request_closure(users.owner, entry, note="已完成", files=[files.upload("坏.docx", data)])
    entry.refresh_from_db()
    assert entry.state == EntryState.OPEN
    assert not Evidence.objects.exists() and not ProgressReport.objects.exists()
    assert not [p for p in media.rglob("*") if p.is_file()]


def test_a_failure_after_storing_removes_the_stored_files(entry, users, files, media, monkeypatch):
    """A file written to disk whose transaction then fails (here: the audit write) is deleted again."""
    def boom(*a, **k):
        raise RuntimeError("audit down")

    monkeypatch.setattr(actions, "record", boom)
    with pytest.raises(RuntimeError):
        actions.post_progress(users.owner, entry, text="进展", files=[files.upload("好.pdf", files.pdf)])
    assert not Evidence.objects.exists()
    assert not [p for p in media.rglob("*") if p.is_file()]
