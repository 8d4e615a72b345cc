"""Evidence uploads (佐证材料): checked by size and by content (magic bytes), never by the name alone.

Allowed: PDF, JPEG, PNG, Word .docx and Excel .xlsx (zip packages whose [Content_Types].xml names the right
main part; macro-enabled packages are refused), plain text (UTF-8 or GB18030, no NUL bytes). Each file is
at most MAX_BYTES. `check` reads a file and returns what it is, or raises ValidationError in Chinese naming
the file; `store` writes checked files under MEDIA_ROOT/evidence/ with a random name, and `discard` removes
stored files again when the transaction that made their rows fails — a refused upload leaves nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile

MAX_BYTES = 20 * 1024 * 1024
MAX_FILES = 10
ACCEPT = ".pdf,.jpg,.jpeg,.png,.docx,.xlsx,.txt"

WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
SHEET_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# content type → (label, allowed extensions, stored extension)
KINDS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "application/pdf": ("PDF", (".pdf",), ".pdf"),
    "image/jpeg": ("JPEG 图片", (".jpg", ".jpeg"), ".jpg"),
    "image/png": ("PNG 图片", (".png",), ".png"),
    DOCX: ("Word 文档", (".docx",), ".docx"),
    XLSX: ("Excel 表格", (".xlsx",), ".xlsx"),
    "text/plain": ("纯文本", (".txt",), ".txt"),
}


@dataclass
class Checked:
    name: str
    data: bytes
    content_type: str
    sha256: str

    @property
    def size(self) -> int:
        return len(self.data)


def _clean_name(name: str) -> str:
    base = PurePath(str(name).replace("\\", "/")).name.strip() or "未命名"
    return base[-200:]


def _office_type(name: str, data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                raise ValidationError(f"文件“{name}”含有宏，不能作为佐证材料，请另存为不含宏的 .docx / .xlsx 后上传")
            if "[Content_Types].xml" not in names or z.getinfo("[Content_Types].xml").file_size > 1024 * 1024:
                raise ValidationError(f"文件“{name}”是压缩包而不是 Word/Excel 文档，不能上传")
            types = z.read("[Content_Types].xml").decode("utf-8", "replace")
    except zipfile.BadZipFile:
        raise ValidationError(f"文件“{name}”已损坏，无法打开") from None
    if "macroEnabled" in types:
        raise ValidationError(f"文件“{name}”是启用宏的文档，不能作为佐证材料，请另存为不含宏的 .docx / .xlsx 后上传")
    if WORD_MAIN in types:
        return DOCX
    if SHEET_MAIN in types:
        return XLSX
    raise ValidationError(f"文件“{name}”是压缩包而不是 Word/Excel 文档，不能上传")


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    for enc in ("utf-8", "gb18030"):
        try:
            data.decode(enc)
            return True
        except UnicodeDecodeError:
            continue
    return False


def sniff(name: str, data: bytes) -> str:
    """The content type the bytes really are, or ValidationError."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"PK\x03\x04"):
        return _office_type(name, data)
    if _is_text(data):
        return "text/plain"
    raise ValidationError(f"文件“{name}”的类型不允许上传：只接受 PDF、JPG/PNG 图片、Word（.docx）、Excel（.xlsx）和纯文本文件")


def check(f: UploadedFile) -> Checked:
    name = _clean_name(f.name or "")
    size = f.size or 0
    if size > MAX_BYTES:
        raise ValidationError(f"文件“{name}”大小为 {size / 1024 / 1024:.1f} MB，超过 {MAX_BYTES // 1024 // 1024} MB 上限")
    f.seek(0)
    data = f.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValidationError(f"文件“{name}”超过 {MAX_BYTES // 1024 // 1024} MB 上限")
    if not data:
        raise ValidationError(f"文件“{name}”是空文件")
    ctype = sniff(name, data)
    label, exts, _ = KINDS[ctype]
    ext = PurePath(name).suffix.lower()
    if ext not in exts:
        raise ValidationError(f"文件“{name}”的内容是{label}，与扩展名“{ext or '（无）'}”不符，请检查后重新上传")
    return Checked(name=name, data=data, content_type=ctype, sha256=hashlib.sha256(data).hexdigest())


def check_all(files: list[UploadedFile]) -> list[Checked]:
    """Every file checked before any is kept; all messages at once."""
    if len(files) > MAX_FILES:
        raise ValidationError(f"一次最多上传 {MAX_FILES} 个文件")
    out: list[Checked] = []
    errors: list[str] = []
    for f in files:
        try:
            out.append(check(f))
        except ValidationError as e:
            errors.extend(e.messages)
    if errors:
        raise ValidationError(errors)
    return out


def store(c: Checked) -> str:
    """Write the checked bytes under evidence/ with a random name; returns the storage name."""
    ext = KINDS[c.content_type][2]
    return default_storage.save(f"evidence/{uuid.uuid4().hex}{ext}", ContentFile(c.data))


def discard(names: list[str]) -> None:
    for n in names:
        with contextlib.suppress(OSError):
            default_storage.delete(n)
