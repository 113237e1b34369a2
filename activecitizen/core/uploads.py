"""Reading a file that staff upload as text (a building's register, a list of promo codes): a
size limit, the encodings the city's spreadsheets are saved in, and no NUL bytes, each refusal
a clear form error."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

# UTF-8 (with or without the byte-order mark Excel writes), else Windows-1251: what Excel on a
# Russian Windows saves a CSV in.
DEFAULT_ENCODINGS = ("utf-8-sig", "cp1251")

# The encodings' names as people know them, for the error.
ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "utf8": "UTF-8",
    "cp1251": "Windows-1251",
    "windows-1251": "Windows-1251",
}


def read_uploaded_text(
    file: UploadedFile | IO[bytes],
    *,
    max_bytes: int,
    encodings: Sequence[str] = DEFAULT_ENCODINGS,
) -> str:
    """The file's text, decoded with the first of `encodings` that fits (so UTF-8 goes first:
    Windows-1251 would decode almost any bytes, wrongly). Raises ValidationError when the file
    is larger than `max_bytes`, fits none of the encodings, or holds a NUL (a spreadsheet, or
    UTF-16 text: nothing a person would type, and PostgreSQL refuses it in text)."""
    if not encodings:
        raise ValueError("read_uploaded_text needs at least one encoding")
    too_large = ValidationError(
        _("The file is larger than %(limit)s: split it.") % {"limit": filesizeformat(max_bytes)},
        code="file_too_large",
    )
    size = getattr(file, "size", None)
    if size is not None and size > max_bytes:
        raise too_large
    if getattr(file, "seekable", lambda: False)():
        file.seek(0)  # a form's validation, or an earlier attempt, may have read it
    # Never more than the limit and one byte, whatever size the upload claimed.
    raw = file.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise too_large
    for encoding in encodings:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        break
    else:
        names = list(dict.fromkeys(ENCODING_NAMES.get(e.lower(), e) for e in encodings))
        either = pgettext("one encoding or another", "or")
        raise ValidationError(
            _("The file is not %(encodings)s text: save it as UTF-8 and try again.")
            % {"encodings": f" {either} ".join(names)},
            code="file_encoding",
        )
    if "\x00" in text:
        raise ValidationError(
            _(
                "The file holds NUL bytes, so it is not plain text (a spreadsheet, or UTF-16?): "
                "save it as CSV or text in UTF-8 and try again."
            ),
            code="file_nul",
        )
    return text
