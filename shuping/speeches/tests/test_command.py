"""`shuping speech parse FILE`: the reading as JSON for scripts and integrators."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

ROOT = Path(__file__).resolve().parents[3]
SPEECH = "同志们：\n今天召开述职评议会。\n在看到成绩的同时，也要看到问题和不足。\n一是理论学习不够深入；二是“四风”问题仍有反弹。\n我就讲这些。"


def parse(path: Path, capsys) -> dict:
    call_command("speech", "parse", str(path))
    out = capsys.readouterr().out
    assert '\n  "parts": [' in out and "\\u" not in out  # indented, Chinese as is (ensure_ascii=False)
    return json.loads(out)


def test_it_prints_the_reading_of_a_gbk_file(tmp_path, capsys):
    f = tmp_path / "讲话.txt"
    f.write_bytes(SPEECH.encode("gbk"))
    out = parse(f, capsys)
    assert [p["kind"] for p in out["parts"]] == ["opening", "problems", "closing"]
    items = out["parts"][1]["items"]
    assert [(i["marker"], i["lead"], i["category"]) for i in items] == [
        ("一是", "理论学习不够深入", "political"), ("二是", "“四风”问题仍有反弹", "style")]
    assert SPEECH[items[0]["start"]:items[0]["end"]] == items[0]["text"]


def test_it_reads_a_docx(tmp_path, capsys):
    import docx

    document = docx.Document()
    for line in SPEECH.split("\n"):
        document.add_paragraph(line)
    f = tmp_path / "讲话.docx"
    document.save(str(f))
    out = parse(f, capsys)
    assert [i["lead"] for i in out["parts"][1]["items"]] == ["理论学习不够深入", "“四风”问题仍有反弹"]


@pytest.mark.parametrize(("content", "name", "message"), [
    (None, "missing.txt", "找不到文件"),
    (b"%PDF-1.4", "a.pdf", "不支持的文件类型"),
    (b"not a zip", "a.docx", "不是有效的 Word"),
    (b"\x00\x00\x00", "a.txt", "不是文本文件"),
])
def test_it_exits_1_with_the_reason_for_an_unreadable_file(tmp_path, content, name, message):
    f = tmp_path / name
    if content is not None:
        f.write_bytes(content)
    with pytest.raises(CommandError, match=message) as e:
        call_command("speech", "parse", str(f))
    assert e.value.returncode == 1


def test_the_console_command_exits_1(tmp_path):
    """What a script sees from `shuping speech parse FILE` on a missing file: status 1 and the reason."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHUPING_DATABASE") and k != "DJANGO_SETTINGS_MODULE"}
    env.update(SHUPING_DATA_DIR=str(tmp_path / "data"), SHUPING_SECRET_KEY="x", PYTHONIOENCODING="utf-8")
    bad = subprocess.run([sys.executable, "-m", "shuping", "speech", "parse", str(tmp_path / "none.txt")], cwd=ROOT,
                         env=env, capture_output=True)
    assert bad.returncode == 1 and "找不到文件" in bad.stderr.decode("utf-8")
