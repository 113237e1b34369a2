"""Reading an uploaded text file: UTF-8 (with or without Excel's byte-order mark) or
Windows-1251, within a size limit, without NUL bytes; each refusal a clear, translated error."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from activecitizen.core.uploads import read_uploaded_text

REGISTER = "premises;owner\n10;Иванов И. И.\n"


def upload(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("file.csv", data, content_type="text/csv")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def refusal(file, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as refused:
        read_uploaded_text(file, **kwargs)
    return refused.value


@pytest.mark.parametrize(
    "data",
    [
        REGISTER.encode(),
        b"\xef\xbb\xbf" + REGISTER.encode(),  # Excel's "CSV UTF-8": the mark is not text
        REGISTER.encode("cp1251"),  # Excel on a Russian Windows
    ],
)
def test_utf8_with_or_without_the_mark_and_windows_1251_read_the_same(data):
    assert read_uploaded_text(upload(data), max_bytes=1000) == REGISTER


def test_utf8_is_tried_first():
    # "Ж" in UTF-8 is two bytes that Windows-1251 would read as "Р–".
    assert read_uploaded_text(upload("Ж".encode()), max_bytes=10) == "Ж"


def test_only_the_encodings_given_are_tried():
    error = refusal(upload(REGISTER.encode("cp1251")), max_bytes=1000, encodings=("utf-8-sig",))
    assert error.code == "file_encoding"
    assert error.messages == ["The file is not UTF-8 text: save it as UTF-8 and try again."]


def test_bytes_that_fit_no_encoding_are_refused():
    # 0x98 is the one byte Windows-1251 leaves undefined, and alone it is no UTF-8 either.
    error = refusal(upload(b"premises\n\x98\n"), max_bytes=1000)
    assert error.code == "file_encoding"
    assert "not UTF-8 or Windows-1251 text" in error.messages[0]


def test_a_file_over_the_limit_is_refused_and_one_at_it_is_read():
    assert read_uploaded_text(upload(b"x" * 10), max_bytes=10) == "x" * 10
    error = refusal(upload(b"x" * 11), max_bytes=10)
    assert error.code == "file_too_large"
    assert error.messages == ["The file is larger than 10\xa0bytes: split it."]
    assert "5.0\xa0MB" in refusal(upload(b"x" * (5 * 2**20 + 1)), max_bytes=5 * 2**20).messages[0]


def test_a_file_that_does_not_tell_its_size_is_read_no_further_than_the_limit():
    stream = io.BytesIO(b"x" * 1000)
    assert refusal(stream, max_bytes=10).code == "file_too_large"
    assert stream.tell() == 11


@pytest.mark.parametrize(
    "data",
    [
        b"premises\x00;owner\n",
        REGISTER.encode("utf-16"),  # "Unicode text" from Excel: a NUL after every Latin letter
    ],
)
def test_nul_bytes_are_refused(data):
    error = refusal(upload(data), max_bytes=1000)
    assert error.code == "file_nul"
    assert "NUL" in error.messages[0] and "UTF-8" in error.messages[0]


def test_a_file_read_before_is_read_from_its_start():
    file = upload(REGISTER.encode())
    file.read()
    assert read_uploaded_text(file, max_bytes=1000) == REGISTER


def test_the_errors_are_in_russian_for_russian_readers():
    with translation.override("ru"):
        message = refusal(upload(b"\x98"), max_bytes=10).messages[0]
    assert "UTF-8" in message and "Windows-1251" in message and "file" not in message
