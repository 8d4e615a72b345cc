"""The Content-Disposition of a download: the Chinese file name kept by browsers (RFC 5987), with an optional
plain ASCII name for old clients."""

from __future__ import annotations

from urllib.parse import quote


def quote_name(name: str) -> str:
    """A file name for filename*= (RFC 5987); "/" would read as a folder, so it becomes "-"."""
    return quote(name.replace("/", "-"), safe="")


def attachment(name: str, fallback: str = "") -> str:
    ascii_part = f'filename="{fallback}"; ' if fallback else ""
    return f"attachment; {ascii_part}filename*=UTF-8''{quote_name(name)}"
