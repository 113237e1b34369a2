"""Whatever a client sends, the API answers with its error shape and a 4xx, never a 500."""

import json

import pytest

pytestmark = pytest.mark.django_db


def shape(answer):
    body = answer.json()
    assert set(body) == {"code", "message", "field"}
    return body


def test_oversize_body_is_413(client):
    body = json.dumps({"phone": "1" * 3_000_000})
    answer = client.post("/api/v1/auth/code", body, content_type="application/json")
    assert answer.status_code == 413
    assert shape(answer)["code"] == "too_large"


def test_body_that_is_not_utf8_is_400(client):
    answer = client.post("/api/v1/auth/code", b"\xff\xfe{", content_type="application/json")
    assert answer.status_code == 400
    assert shape(answer)["code"] == "malformed"


def test_wrong_type_is_422_naming_the_field(client):
    answer = client.post("/api/v1/auth/code", '{"phone": 5}', content_type="application/json")
    assert answer.status_code == 422
    assert shape(answer)["field"] == "phone"


def test_method_not_allowed_is_json_405(client):
    answer = client.put("/api/v1/auth/code", "{}", content_type="application/json")
    assert answer.status_code == 405
    assert shape(answer)["code"] == "method_not_allowed"


def test_bad_path_parameter_is_4xx(client):
    answer = client.delete("/api/v1/me/tokens/abc")
    assert 400 <= answer.status_code < 500
    shape(answer)


def test_errors_are_readable_utf8(client):
    answer = client.post(
        "/api/v1/auth/code",
        {"phone": "1"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    assert "Такого номера".encode() in answer.content or "Это не номер".encode() in answer.content


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/rewards?q=a%00b", "q"),
        ("/api/v1/rewards?q=%136%00.&affordable=true", "q"),
        ("/api/v1/polls?x=\x00", "x"),
    ],
)
def test_nul_in_a_query_parameter_is_422_naming_it(client, url, field):
    # PostgreSQL text cannot hold U+0000: it must never reach a query (it was a 500 there).
    answer = client.get(url)
    assert answer.status_code == 422
    body = shape(answer)
    assert (body["code"], body["field"]) == ("invalid", field)
    assert "NUL" in body["message"]


def test_nul_in_a_page_query_is_a_400_page(client):
    answer = client.get("/rewards/?q=%00")
    assert answer.status_code == 400
    assert b"<html" in answer.content.lower()


def test_a_nul_that_reaches_postgresql_is_a_422_not_a_500(rf):
    # Every field should refuse U+0000 itself; if one does not, PostgreSQL's refusal of the
    # statement still reaches the client as a 422 (the statement wrote nothing).
    from django.db import DataError

    from activecitizen.core.api import _server_error

    request = rf.post("/api/v1/anything")
    nul = _server_error(
        request, DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
    )
    assert nul.status_code == 422
    other = _server_error(request, DataError("value too long for type character varying(5)"))
    assert other.status_code == 500
