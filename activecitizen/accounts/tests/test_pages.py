"""Sign-in, profile and sign-out pages, as a browser without JavaScript uses them."""

from datetime import date

import pytest
from django.urls import reverse

from activecitizen.accounts import services
from activecitizen.accounts.models import ApiToken, User

pytestmark = pytest.mark.django_db

PHONE = "+79161234567"


def sign_in_by_page(client, sms_outbox, phone=PHONE, next_url=""):
    url = reverse("accounts:sign_in")
    answer = client.post(url, {"phone": phone, "next": next_url})
    assert answer.status_code == 302, answer.content.decode()[:500]
    return client.post(
        reverse("accounts:sign_in_code"), {"code": sms_outbox[-1].code, "next": next_url}
    )


def test_newcomer_signs_up_and_is_sent_to_the_profile(client, sms_outbox):
    answer = sign_in_by_page(client, sms_outbox)
    assert answer.status_code == 302
    assert answer["Location"] == reverse("accounts:profile")
    assert User.objects.get().phone == PHONE
    page = client.get(reverse("accounts:profile"))
    assert page.status_code == 200
    assert "+7 916 123-45-67" in page.content.decode()


def test_returning_person_with_a_profile_goes_where_they_were_going(client, sms_outbox, district):
    User.objects.create_user(
        PHONE, first_name="Анна", birth_date=date(1990, 1, 1), home_district=district
    )
    answer = sign_in_by_page(client, sms_outbox, next_url="/city/districts/")
    assert answer.status_code == 302
    assert answer["Location"] == "/city/districts/"


def test_sign_in_never_redirects_to_another_site(client, sms_outbox, district):
    User.objects.create_user(
        PHONE, first_name="Анна", birth_date=date(1990, 1, 1), home_district=district
    )
    answer = sign_in_by_page(client, sms_outbox, next_url="https://evil.example/")
    assert answer["Location"] == reverse("core:home")


def test_malformed_phone_shows_a_form_error(client, sms_outbox):
    answer = client.post(reverse("accounts:sign_in"), {"phone": "12345"})
    assert answer.status_code == 422
    assert 'aria-invalid="true"' in answer.content.decode()
    assert sms_outbox == []


def test_second_code_request_too_soon_is_429(client, sms_outbox):
    client.post(reverse("accounts:sign_in"), {"phone": PHONE})
    answer = client.post(reverse("accounts:sign_in"), {"phone": PHONE})
    assert answer.status_code == 429
    assert int(answer["Retry-After"]) >= 1
    assert len(sms_outbox) == 1


def test_wrong_code_shows_a_form_error_and_signs_nobody_in(client, sms_outbox):
    client.post(reverse("accounts:sign_in"), {"phone": PHONE})
    wrong = f"{(int(sms_outbox[-1].code) + 1) % 1_000_000:06d}"
    answer = client.post(reverse("accounts:sign_in_code"), {"code": wrong})
    assert answer.status_code == 422
    assert 'aria-invalid="true"' in answer.content.decode()
    assert not User.objects.exists()
    assert "_auth_user_id" not in client.session


def test_code_page_without_a_phone_goes_back_to_step_one(client):
    answer = client.get(reverse("accounts:sign_in_code"))
    assert answer["Location"] == reverse("accounts:sign_in")


def test_profile_needs_sign_in(client):
    answer = client.get(reverse("accounts:profile"))
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("accounts:sign_in"))


def test_profile_is_saved(client, sms_outbox, district):
    sign_in_by_page(client, sms_outbox)
    answer = client.post(
        reverse("accounts:profile"),
        {
            "first_name": "Анна",
            "last_name": "Иванова",
            "birth_date": "1990-04-01",
            "gender": "female",
            "home_district_id": str(district.pk),
            "interests": ["parent", "dog_owner"],
        },
    )
    assert answer.status_code == 302
    user = User.objects.get()
    assert (user.first_name, user.birth_date, user.home_district_id) == (
        "Анна",
        date(1990, 4, 1),
        district.pk,
    )
    assert sorted(user.interests.values_list("code", flat=True)) == ["dog_owner", "parent"]
    assert user.profile_complete


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("birth_date", "2999-01-01"),
        ("birth_date", "yesterday"),
        ("home_district_id", "999999"),
        ("first_name", "Я" * 101),
        ("email", "nope"),
        ("interests", "astronaut"),
    ],
)
def test_bad_profile_values_show_errors_and_write_nothing(
    client, sms_outbox, district, field, value
):
    sign_in_by_page(client, sms_outbox)
    data = {"first_name": "Анна", "last_name": "Петрова", field: value}
    answer = client.post(reverse("accounts:profile"), data)
    assert answer.status_code == 422
    assert (
        'aria-invalid="true"' in answer.content.decode() or "errorlist" in answer.content.decode()
    )
    user = User.objects.get()
    assert user.first_name == "" and user.last_name == "" and user.birth_date is None


def test_sign_out_needs_post_and_ends_the_session(client, sms_outbox):
    sign_in_by_page(client, sms_outbox)
    assert client.get(reverse("accounts:sign_out")).status_code == 405
    answer = client.post(reverse("accounts:sign_out"))
    assert answer.status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 302


def test_a_device_is_signed_out_from_the_profile(client, sms_outbox):
    sign_in_by_page(client, sms_outbox)
    user = User.objects.get()
    token, raw = services.issue_api_token(user=user, device="Old phone")
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "Old phone" in page
    assert raw not in page
    client.post(reverse("accounts:revoke_device", args=[token.pk]))
    assert ApiToken.objects.get().revoked_at is not None


def test_user_text_is_escaped(client, sms_outbox, district):
    sign_in_by_page(client, sms_outbox)
    User.objects.update(last_name="O'Brien & <b>Co</b>")
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "<b>Co</b>" not in page
    assert "&lt;b&gt;Co&lt;/b&gt;" in page


def test_staff_find_people_by_phone_in_the_admin(client, district):
    admin = User.objects.create_superuser("+79990000001")
    User.objects.create_user("+79161112233", last_name="Искомая")
    User.objects.create_user("+79164445566", last_name="Другая")
    client.force_login(admin)
    page = client.get("/admin/accounts/user/", {"q": "+79161112233"}).content.decode()
    assert "Искомая" in page
    assert "Другая" not in page
    page = client.get("/admin/accounts/user/", {"q": "8 (916) 111-22-33"}).content.decode()
    assert "Искомая" in page
    assert "Другая" not in page


def test_admin_verifies_a_resident(client):
    admin = User.objects.create_superuser("+79990000001")
    person = User.objects.create_user("+79161112233")
    client.force_login(admin)
    client.post(
        "/admin/accounts/user/",
        {"action": "mark_resident_verified", "_selected_action": [person.pk]},
    )
    person.refresh_from_db()
    assert person.is_resident_verified
    assert person.verified_by == admin
    assert person.verified_at is not None


def test_citizens_cannot_open_the_admin(client, sms_outbox):
    sign_in_by_page(client, sms_outbox)
    answer = client.get("/admin/accounts/user/", follow=True)
    assert answer.status_code == 403  # the admin is for staff only, and no redirect loop


def test_admin_login_sends_strangers_to_the_phone_sign_in(client):
    answer = client.get("/admin/", follow=True)
    assert answer.redirect_chain[-1][0] == "/accounts/sign-in/?next=/admin/"


def test_blocking_in_the_admin_signs_the_app_out(client, sms_outbox):
    from django.test import Client

    admin = User.objects.create_superuser("+79990000001")
    person = User.objects.create_user("+79161112233")
    _token, raw = services.issue_api_token(user=person, device="phone")
    app = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert app.get("/api/v1/me").status_code == 200  # now the person is in the cache
    client.force_login(admin)
    page = client.get(f"/admin/accounts/user/{person.pk}/change/")
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, list)}
    data.update(
        {
            "phone": person.phone,
            "verification": 1,
            "date_joined_0": "2026-01-01",
            "date_joined_1": "10:00:00",
        }
    )
    data.pop("is_active")  # unticked
    data.pop("last_login", None)
    client.post(f"/admin/accounts/user/{person.pk}/change/", data)
    person.refresh_from_db()
    assert person.is_active is False
    assert app.get("/api/v1/me").status_code == 401
