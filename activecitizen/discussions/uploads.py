"""The checks every uploaded file of a discussion passes: a PDF or an image, by its name AND its
first bytes, and not too big. A file named .pdf that is really an executable, or a PDF renamed
.png, is refused: downloads are served with the type the name implies."""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from activecitizen.core.errors import InvalidInput

DOCUMENT_MAX_BYTES = 20 * 1024 * 1024
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024

# extension → the kind its content must be
EXTENSIONS = {".pdf": "pdf", ".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg"}
SIGNATURES = (
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
)
CONTENT_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg"}


def kind_of_content(head: bytes) -> str | None:
    for signature, kind in SIGNATURES:
        if head.startswith(signature):
            return kind
    return None


def extension_of(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot >= 0 else ""


def content_type_of(name: str) -> str:
    kind = EXTENSIONS.get(extension_of(name))
    return (
        CONTENT_TYPES.get(kind, "application/octet-stream") if kind else "application/octet-stream"
    )


def check_upload(file: UploadedFile, *, max_bytes: int, field: str) -> str:
    """Raise InvalidInput unless `file` is a PDF, PNG or JPEG within `max_bytes`; returns the
    kind. Reads only the first bytes, and puts the file back at its start."""
    name = file.name or ""
    kind = EXTENSIONS.get(extension_of(name))
    if kind is None:
        raise InvalidInput(
            _("Only PDF documents and PNG or JPEG images are accepted."),
            code="unsupported_file",
            field=field,
        )
    size = file.size or 0
    if size > max_bytes:
        raise InvalidInput(
            _("The file is too large: at most %(mb)d MB.") % {"mb": max_bytes // (1024 * 1024)},
            code="file_too_large",
            field=field,
        )
    if size == 0:
        raise InvalidInput(_("The file is empty."), code="unsupported_file", field=field)
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    if kind_of_content(head) != kind:
        raise InvalidInput(
            _("The file's content is not the PDF or image its name says."),
            code="unsupported_file",
            field=field,
        )
    return kind
