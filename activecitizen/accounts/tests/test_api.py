"""The mobile API for sign-in, the profile and device tokens (API.md /auth, /me)."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from activecitizen.accounts.models import ApiToken, SignInCode, User

pytestmark = pytest.mark.django_db

PHONE = "+79161234567"


def post(client, path, body, **headers):
    return client.post(path, json.dumps(body), content_type="application/json", **headers)


def patch(client, path, body, **headers):
    return client.patch(path, json.dumps(body), content_type="application/json", **headers)


def sign_in(client, sms_outbox, phone=PHONE, device="Pixel 8"):
    assert post(client, "/api/v1/auth/code", {"phone": phone}).status_code == 202
    answer = post(
        client,
        "/api/v1/auth/token",
        {"phone": phone, "code": sms_outbox[-1].code, "device": device},
    )
    assert answer.status_code == 200, answer.content
    return answer.json()


def bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_code_then_token_signs_up(client, sms_outbox):
    answer = post(client, "/api/v1/auth/code", {"phone": "8 916 123 45 67"})
    assert answer.status_code == 202
    assert answer.json() == {"retry_after": 60}
    body = post(client, "/api/v1/auth/token", {"phone": PHONE, "code": sms_outbox[-1].code}).json()
    assert body["created"] is True
    assert body["user"]["phone"] == PHONE
    assert body["user"]["roles"] == ["citizen"]
    assert len(body["token"]) >= 40
    # The token is stored hashed only.
    assert not ApiToken.objects.filter(key_hash=body["token"]).exists()
    assert ApiToken.objects.get().prefix == body["token"][:8]


def test_second_code_within_a_minute_is_429_with_retry_after(client, sms_outbox):
    post(client, "/api/v1/auth/code", {"phone": PHONE})
    answer = post(client, "/api/v1/auth/code", {"phone": PHONE})
    assert answer.status_code == 429
    assert 1 <= int(answer["Retry-After"]) <= 60
    assert answer.json()["code"] == "code_recently_sent"
    assert len(sms_outbox) == 1


@pytest.mark.parametrize("phone", ["123", "not a phone", "+7 000 000 00 00", "9" * 33])
def test_malformed_phone_is_422_and_writes_nothing(client, sms_outbox, phone):
    answer = post(client, "/api/v1/auth/code", {"phone": phone})
    assert answer.status_code == 422
    body = answer.json()
    assert body["field"] == "phone"
    assert set(body) == {"code", "message", "field"}
    assert not SignInCode.objects.exists()
    assert sms_outbox == []


def test_malformed_json_is_400(client):
    answer = client.post("/api/v1/auth/code", "{phone:", content_type="application/json")
    assert answer.status_code == 400
    assert answer.json()["code"] == "malformed"


def test_missing_field_is_422_naming_it(client):
    answer = post(client, "/api/v1/auth/token", {"phone": PHONE})
    assert answer.status_code == 422
    assert answer.json() == {
        "code": "required",
        "message": answer.json()["message"],
        "field": "code",
    }


def test_wrong_code_is_422_and_no_account(client, sms_outbox):
    post(client, "/api/v1/auth/code", {"phone": PHONE})
    wrong = f"{(int(sms_outbox[-1].code) + 1) % 1_000_000:06d}"
    answer = post(client, "/api/v1/auth/token", {"phone": PHONE, "code": wrong})
    assert answer.status_code == 422
    assert answer.json()["code"] == "wrong_code"
    assert answer.json()["field"] == "code"
    assert not User.objects.exists()


def test_expired_code_is_422(client, sms_outbox):
    post(client, "/api/v1/auth/code", {"phone": PHONE})
    SignInCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    answer = post(client, "/api/v1/auth/token", {"phone": PHONE, "code": sms_outbox[-1].code})
    assert answer.status_code == 422
    assert answer.json()["code"] == "code_expired"


def test_too_many_tries_is_429(client, sms_outbox):
    post(client, "/api/v1/auth/code", {"phone": PHONE})
    wrong = f"{(int(sms_outbox[-1].code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        post(client, "/api/v1/auth/token", {"phone": PHONE, "code": wrong})
    answer = post(client, "/api/v1/auth/token", {"phone": PHONE, "code": sms_outbox[-1].code})
    assert answer.status_code == 429
    assert answer.json()["code"] == "too_many_attempts"
    assert int(answer["Retry-After"]) >= 1


def test_me_needs_a_token(client):
    answer = client.get("/api/v1/me")
    assert answer.status_code == 401
    assert answer.json()["code"] == "not_authenticated"
    assert client.get("/api/v1/me", **bearer("nonsense")).status_code == 401


def test_profile_read_and_change(client, sms_outbox, district):
    token = sign_in(client, sms_outbox)["token"]
    answer = patch(
        client,
        "/api/v1/me",
        {
            "first_name": "Анна",
            "last_name": "Иванова",
            "birth_date": "1990-04-01",
            "gender": "female",
            "district_id": district.pk,
            "work_district_id": district.pk,
            "interests": ["parent", "cyclist"],
            "email": "Anna@Example.org",
        },
        **bearer(token),
    )
    assert answer.status_code == 200, answer.content
    me = client.get("/api/v1/me", **bearer(token)).json()
    assert me["first_name"] == "Анна"
    assert me["birth_date"] == "1990-04-01"
    assert me["district_id"] == district.pk
    assert me["work_district_id"] == district.pk
    assert sorted(me["interests"]) == ["cyclist", "parent"]
    assert me["email"] == "anna@example.org"
    assert me["profile_complete"] is True


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"birth_date": "2999-01-01"}, "birth_date", "future_date"),
        ({"birth_date": "1850-01-01"}, "birth_date", "invalid_date"),
        ({"birth_date": "1 April"}, "birth_date", "invalid"),
        ({"district_id": 999999}, "district_id", "unknown_district"),
        ({"work_district_id": 999999}, "work_district_id", "unknown_district"),
        ({"first_name": "Я" * 101}, "first_name", "invalid"),
        ({"first_name": "<script>"}, "first_name", "invalid"),
        ({"gender": "dragon"}, "gender", "invalid"),
        ({"interests": ["astronaut"]}, "interests", "unknown_interest"),
        ({"email": "not-an-email"}, "email", "invalid_email"),
        ({"interests": "parent"}, "interests", "invalid"),
    ],
)
def test_bad_profile_values_are_422_and_nothing_changes(
    client, sms_outbox, district, change, field, code
):
    token = sign_in(client, sms_outbox)["token"]
    patch(client, "/api/v1/me", {"first_name": "Анна", "birth_date": "1990-04-01"}, **bearer(token))
    answer = patch(client, "/api/v1/me", {"last_name": "Петрова", **change}, **bearer(token))
    assert answer.status_code == 422, answer.content
    body = answer.json()
    assert body["code"] == code
    assert body["field"] == field  # named as the client sent it
    user = User.objects.get()
    assert user.last_name == ""  # nothing of the request was written
    assert user.first_name == "Анна"


def test_unsafe_requests_without_a_session_are_401_and_with_one_need_csrf(sms_outbox):
    # As browsers and the app send them: CSRF checked (the test Client skips it by default).
    from django.test import Client

    from activecitizen.accounts.services import issue_api_token

    app = Client(enforce_csrf_checks=True)
    for headers in ({}, bearer("expired-or-revoked")):
        answer = patch(app, "/api/v1/me", {"first_name": "Ира"}, **headers)
        assert (answer.status_code, answer.json()["code"]) == (401, "not_authenticated")
    person = User.objects.create(phone=PHONE, first_name="Ира")
    token = issue_api_token(user=person, device="t")[1]
    assert patch(app, "/api/v1/me", {"first_name": "Ирина"}, **bearer(token)).status_code == 200

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(person)
    forged = patch(browser, "/api/v1/me", {"first_name": "Взлом"})
    assert (forged.status_code, forged.json()["code"]) == (403, "forbidden")
    person.refresh_from_db()
    assert person.first_name == "Ирина"


def test_revoking_the_current_token_signs_the_device_out(client, sms_outbox):
    token = sign_in(client, sms_outbox)["token"]
    assert client.delete("/api/v1/auth/token", **bearer(token)).status_code == 204
    assert client.get("/api/v1/me", **bearer(token)).status_code == 401


def test_devices_are_listed_and_revoked(client, sms_outbox):
    first = sign_in(client, sms_outbox, device="Phone")["token"]
    from django.core.cache import cache

    cache.delete(f"cd:sign_in_code:{PHONE}")
    second = sign_in(client, sms_outbox, device="Tablet")["token"]
    listed = client.get("/api/v1/me/tokens", **bearer(first)).json()
    assert listed["count"] == 2
    assert {t["device"] for t in listed["items"]} == {"Phone", "Tablet"}
    assert [t["current"] for t in listed["items"] if t["device"] == "Phone"] == [True]
    tablet = next(t for t in listed["items"] if t["device"] == "Tablet")
    assert client.delete(f"/api/v1/me/tokens/{tablet['id']}", **bearer(first)).status_code == 204
    assert client.get("/api/v1/me", **bearer(second)).status_code == 401
    assert client.get("/api/v1/me", **bearer(first)).status_code == 200


def test_nobody_revokes_someone_elses_token(client, sms_outbox):
    mine = sign_in(client, sms_outbox)["token"]
    theirs = sign_in(client, sms_outbox, phone="+79162223344")["token"]
    their_id = ApiToken.objects.get(user__phone="+79162223344").pk
    answer = client.delete(f"/api/v1/me/tokens/{their_id}", **bearer(mine))
    assert answer.status_code == 404
    assert client.get("/api/v1/me", **bearer(theirs)).status_code == 200


def test_unknown_api_path_is_json_404(client):
    answer = client.get("/api/v1/no-such-thing")
    assert answer.status_code == 404
    assert answer.json()["code"] == "not_found"


def test_openapi_describes_the_endpoints_and_their_errors(client):
    doc = client.get("/api/v1/openapi.json").json()
    for path in ["/api/v1/auth/code", "/api/v1/auth/token", "/api/v1/me", "/api/v1/districts"]:
        assert path in doc["paths"], path
    assert "429" in doc["paths"]["/api/v1/auth/code"]["post"]["responses"]
    assert "422" in doc["paths"]["/api/v1/me"]["patch"]["responses"]
    assert client.get("/api/v1/docs").status_code == 200


def test_control_characters_in_the_device_name_are_dropped(client, sms_outbox):
    sign_in(client, sms_outbox, device="My\x00 phone\n")
    assert ApiToken.objects.get().device == "My phone"


def test_nul_in_a_name_is_422(client, sms_outbox):
    token = sign_in(client, sms_outbox)["token"]
    answer = patch(client, "/api/v1/me", {"first_name": "An\x00na"}, **bearer(token))
    assert answer.status_code == 422
    assert answer.json()["field"] == "first_name"


def test_a_huge_token_id_is_422(client, sms_outbox):
    token = sign_in(client, sms_outbox)["token"]
    answer = client.delete(f"/api/v1/me/tokens/{10**30}", **bearer(token))
    assert answer.status_code == 422
