"""The file-level check of an uploaded .xlsx, before any cell is read (pure; used by the spreadsheet imports).

Refuses another type by name, macro-enabled workbooks (by name, vbaProject.bin or a macroEnabled content type),
files over the caller's size limit, anything that is not a readable zip, and zip bombs.
"""

from __future__ import annotations

import io
import zipfile

MAX_UNPACKED = 100 * 1024 * 1024  # the archive's members together (a zip bomb stops here)
MACRO = "不接受启用宏的工作簿（.xlsm 或含宏代码），请在 Excel 中另存为“Excel 工作簿（.xlsx）”后上传"
CORRUPT = "文件已损坏或不是有效的 .xlsx 工作簿"


def xlsx_problem(data: bytes, filename: str, *, max_bytes: int, not_xlsx: str, too_big: str) -> str:
    """The reason the file cannot be read at all, or "". `not_xlsx` and `too_big` are the caller's wording."""
    lower = filename.lower()
    if lower.endswith((".xlsm", ".xltm", ".xlsb")):
        return MACRO
    if not lower.endswith(".xlsx"):
        return not_xlsx
    if len(data) > max_bytes:
        return too_big
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return CORRUPT
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            names = {m.filename.lower() for m in members}
            content_types = archive.read("[Content_Types].xml") if "[content_types].xml" in names else b""
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError):
        return CORRUPT
    if any(n.endswith("vbaproject.bin") for n in names) or b"macroEnabled" in content_types:
        return MACRO
    if sum(m.file_size for m in members) > MAX_UNPACKED:
        return CORRUPT
    return ""
