"""Attachments: what may be uploaded, checked before anything is saved.

The allow-list is by extension *and* by content: an image or a PDF must start with its format's
signature, a text or log file must be UTF-8 text; HTML, scripts and executables are refused
whatever they are called. The client's file name is kept for display only; files are stored
under a random name and always served as downloads (support.views_files).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

from openbill.core.errors import DomainError

if TYPE_CHECKING:
    from .models import Attachment

# extension -> (content type, signatures the content must start with; None: UTF-8 text)
ALLOWED: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    ".webp": ("image/webp", (b"RIFF",)),
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".txt": ("text/plain", None),
    ".log": ("text/plain", None),
    ".csv": ("text/csv", None),
    ".zip": ("application/zip", (b"PK\x03\x04",)),
    ".gz": ("application/gzip", (b"\x1f\x8b",)),
    ".tgz": ("application/gzip", (b"\x1f\x8b",)),
    ".tar": ("application/x-tar", ()),
}
# Text that a browser would run or render as a page, refused even in a .txt.
_ACTIVE_TEXT = (b"<html", b"<!doctype html", b"<script", b"<svg", b"<?xml")


def max_files() -> int:
    return int(getattr(settings, "OPENBILL_SUPPORT_MAX_FILES", 5))


def max_bytes() -> int:
    return int(getattr(settings, "OPENBILL_SUPPORT_MAX_FILE_BYTES", 10 * 1024 * 1024))


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content_type: str
    size: int
    content: ContentFile[bytes]


def _read(upload: Any, limit: int) -> bytes:
    """At most limit + 1 bytes: enough to know it is too big without reading a huge file."""
    if isinstance(upload, tuple):
        return upload[1][: limit + 1]
    upload.seek(0)
    return upload.read(limit + 1)


def check_files(uploads: Iterable[Any]) -> list[CheckedFile]:
    """The uploads (Django UploadedFile objects, or ``(name, bytes)`` pairs from mail), each
    checked; the first refused file raises, so nothing at all is saved."""
    uploads = list(uploads)
    if len(uploads) > max_files():
        raise DomainError(_("At most %(count)s files per message.") % {"count": max_files()}, field="attachments")
    checked: list[CheckedFile] = []
    for upload in uploads:
        name = PurePath(str(upload[0] if isinstance(upload, tuple) else upload.name or "")).name[:200] or "file"
        data = _read(upload, max_bytes())
        if not data:
            raise DomainError(_("%(name)s is empty.") % {"name": name}, field="attachments")
        if len(data) > max_bytes():
            raise DomainError(
                _("%(name)s is larger than %(size)s MB.") % {"name": name, "size": max_bytes() // (1024 * 1024)},
                field="attachments",
            )
        extension = PurePath(name).suffix.lower()
        rule = ALLOWED.get(extension)
        if rule is None or not _content_matches(data, rule[1], extension):
            raise DomainError(
                _("%(name)s: this type of file is not accepted (images, PDF, text, logs and archives are).")
                % {"name": name},
                field="attachments",
            )
        checked.append(CheckedFile(name=name, content_type=rule[0], size=len(data), content=ContentFile(data)))
    return checked


def _content_matches(data: bytes, signatures: tuple[bytes, ...] | None, extension: str) -> bool:
    if signatures is None:
        head = data[:2048].lower().lstrip()
        if any(head.startswith(mark) for mark in _ACTIVE_TEXT) or b"\x00" in data:
            return False
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True
    if extension == ".tar":
        return len(data) > 262 and data[257:262] == b"ustar"
    if extension == ".webp":
        return data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    return any(data.startswith(signature) for signature in signatures)


def download_response(item: Attachment) -> FileResponse:
    """Always a download, never rendered by the browser, whatever the file claims to be."""
    try:
        handle = item.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, as_attachment=True, filename=item.name, content_type="application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
