"""Sign-in by SMS code: codes, tries, expiry and rate limits, through the service."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from activecitizen.accounts import services
from activecitizen.accounts.models import SignInCode, User
from activecitizen.accounts.phones import normalize_phone
from activecitizen.core.errors import InvalidInput, RateLimited

pytestmark = pytest.mark.django_db

PHONE = "+79161234567"


@pytest.mark.parametrize(
    "typed",
    ["+79161234567", "89161234567", "8 (916) 123-45-67", "+7 916 123 45 67", " 9161234567 "],
)
def test_phone_numbers_as_people_type_them_become_e164(typed):
    assert normalize_phone(typed) == PHONE


@pytest.mark.parametrize("typed", ["", "12", "+7 000 000 00 00", "phone", "+7916" + "1" * 40])
def test_malformed_phone_is_refused(typed):
    with pytest.raises(InvalidInput) as error:
        normalize_phone(typed)
    assert error.value.field == "phone"


def test_code_is_sent_by_sms_and_stored_only_hashed(sms_outbox):
    sent = services.request_sign_in_code(phone="8 916 123-45-67", ip="10.0.0.1")
    assert sent.phone == PHONE
    assert sent.retry_after == 60
    [sms] = sms_outbox
    assert sms.phone == PHONE
    assert len(sms.code) == 6 and sms.code.isdigit()
    assert sms.code in sms.text
    stored = SignInCode.objects.get(phone=PHONE)
    assert sms.code not in stored.code_hash
    assert len(stored.code_hash) == 64
    assert stored.expires_at - stored.created_at == timedelta(minutes=5)


def test_right_code_signs_up_a_new_person_as_citizen(sms_outbox):
    services.request_sign_in_code(phone=PHONE, ip=None)
    result = services.sign_in_with_code(phone=PHONE, code=sms_outbox[-1].code, ip=None)
    assert result.created is True
    assert result.user.phone == PHONE
    assert not result.user.has_usable_password()
    assert list(result.user.groups.values_list("name", flat=True)) == ["citizen"]
    assert result.user.verification == User.Verification.PHONE_CONFIRMED


def test_second_sign_in_finds_the_same_person(sms_outbox, settings):
    settings.SIGN_IN_CODE_RESEND_SECONDS = 1
    services.request_sign_in_code(phone=PHONE, ip=None)
    first = services.sign_in_with_code(phone=PHONE, code=sms_outbox[-1].code, ip=None)
    from django.core.cache import cache

    cache.delete(f"cd:sign_in_code:{PHONE}")  # as if a minute had passed
    services.request_sign_in_code(phone=PHONE, ip=None)
    second = services.sign_in_with_code(phone=PHONE, code=sms_outbox[-1].code, ip=None)
    assert second.created is False
    assert second.user.pk == first.user.pk
    assert User.objects.count() == 1


def test_a_code_works_once(sms_outbox):
    services.request_sign_in_code(phone=PHONE, ip=None)
    code = sms_outbox[-1].code
    services.sign_in_with_code(phone=PHONE, code=code, ip=None)
    with pytest.raises(InvalidInput) as error:
        services.sign_in_with_code(phone=PHONE, code=code, ip=None)
    assert error.value.code == "code_expired"


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_wrong_code_is_refused_and_counted(sms_outbox):
    services.request_sign_in_code(phone=PHONE, ip=None)
    with pytest.raises(InvalidInput) as error:
        services.sign_in_with_code(phone=PHONE, code=_wrong(sms_outbox[-1].code), ip=None)
    assert error.value.code == "wrong_code"
    assert error.value.field == "code"
    assert "4" in str(error.value.message)
    assert SignInCode.objects.get().attempts == 1
    assert not User.objects.exists()


def test_after_five_wrong_tries_even_the_right_code_is_refused(sms_outbox):
    services.request_sign_in_code(phone=PHONE, ip=None)
    right = sms_outbox[-1].code
    for _ in range(5):
        with pytest.raises(InvalidInput):
            services.sign_in_with_code(phone=PHONE, code=_wrong(right), ip=None)
    with pytest.raises(RateLimited) as error:
        services.sign_in_with_code(phone=PHONE, code=right, ip=None)
    assert error.value.code == "too_many_attempts"
    assert error.value.retry_after >= 1
    assert not User.objects.exists()


def test_expired_code_is_refused(sms_outbox):
    services.request_sign_in_code(phone=PHONE, ip=None)
    SignInCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(InvalidInput) as error:
        services.sign_in_with_code(phone=PHONE, code=sms_outbox[-1].code, ip=None)
    assert error.value.code == "code_expired"
    assert not User.objects.exists()


def test_a_new_code_replaces_the_old_one(sms_outbox, settings):
    from django.core.cache import cache

    services.request_sign_in_code(phone=PHONE, ip=None)
    old = sms_outbox[-1].code
    cache.delete(f"cd:sign_in_code:{PHONE}")  # as if a minute had passed
    services.request_sign_in_code(phone=PHONE, ip=None)
    new = sms_outbox[-1].code
    if old != new:
        with pytest.raises(InvalidInput):
            services.sign_in_with_code(phone=PHONE, code=old, ip=None)
    assert services.sign_in_with_code(phone=PHONE, code=new, ip=None).created


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12 456"])
def test_malformed_code_is_refused_without_counting_a_try(sms_outbox, code):
    services.request_sign_in_code(phone=PHONE, ip=None)
    with pytest.raises(InvalidInput) as error:
        services.sign_in_with_code(phone=PHONE, code=code, ip=None)
    assert error.value.code == "invalid_code"
    assert SignInCode.objects.get().attempts == 0


def test_one_code_a_minute_per_phone(sms_outbox):
    services.request_sign_in_code(phone=PHONE, ip="10.0.0.1")
    with pytest.raises(RateLimited) as error:
        services.request_sign_in_code(phone=PHONE, ip="10.0.0.2")
    assert error.value.code == "code_recently_sent"
    assert 1 <= error.value.retry_after <= 60
    assert len(sms_outbox) == 1
    assert SignInCode.objects.count() == 1


def test_codes_per_phone_per_hour_are_limited(sms_outbox, settings):
    settings.SIGN_IN_CODE_RESEND_SECONDS = 1
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "sign_in_code_per_phone": (3, 3600)}
    from django.core.cache import cache

    for _ in range(3):
        cache.delete(f"cd:sign_in_code:{PHONE}")  # as if a minute had passed
        services.request_sign_in_code(phone=PHONE, ip=None)
    cache.delete(f"cd:sign_in_code:{PHONE}")
    with pytest.raises(RateLimited) as error:
        services.request_sign_in_code(phone=PHONE, ip=None)
    assert error.value.code == "too_many_codes"
    assert error.value.retry_after > 3000
    assert len(sms_outbox) == 3


def test_codes_per_address_are_limited(sms_outbox, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "sign_in_code_per_ip": (2, 3600)}
    services.request_sign_in_code(phone="+79161111111", ip="10.1.1.1")
    services.request_sign_in_code(phone="+79162222222", ip="10.1.1.1")
    with pytest.raises(RateLimited):
        services.request_sign_in_code(phone="+79163333333", ip="10.1.1.1")
    services.request_sign_in_code(phone="+79163333333", ip="10.1.1.2")
    assert [m.phone for m in sms_outbox] == ["+79161111111", "+79162222222", "+79163333333"]


def test_code_checks_per_address_are_limited(sms_outbox, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "sign_in_check_per_ip": (3, 600)}
    services.request_sign_in_code(phone=PHONE, ip=None)
    right = sms_outbox[-1].code
    for _ in range(3):
        with pytest.raises(InvalidInput):
            services.sign_in_with_code(phone=PHONE, code=_wrong(right), ip="10.9.9.9")
    with pytest.raises(RateLimited):
        services.sign_in_with_code(phone=PHONE, code=right, ip="10.9.9.9")


def test_blocked_person_cannot_sign_in(sms_outbox):
    User.objects.create_user(PHONE, is_active=False)
    services.request_sign_in_code(phone=PHONE, ip=None)
    with pytest.raises(InvalidInput) as error:
        services.sign_in_with_code(phone=PHONE, code=sms_outbox[-1].code, ip=None)
    assert error.value.code == "account_blocked"


def test_roles_exist_after_migrations():
    assert set(Group.objects.values_list("name", flat=True)) >= {
        "citizen",
        "moderator",
        "editor",
        "partner_cashier",
        "house_administrator",
        "auditor",
    }


def test_old_codes_are_purged(sms_outbox):
    services.request_sign_in_code(phone=PHONE, ip=None)
    SignInCode.objects.update(created_at=timezone.now() - timedelta(days=2))
    assert services.purge_sign_in_codes() == 1
    assert not SignInCode.objects.exists()


def test_sms_gateway_down_is_503_and_leaves_no_code(settings):
    from activecitizen.core.errors import DomainError

    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = "http://127.0.0.1:9/unreachable"
    settings.SMS_HTTP_TIMEOUT = 2
    with pytest.raises(DomainError) as error:
        services.request_sign_in_code(phone=PHONE, ip=None)
    assert error.value.status == 503
    assert error.value.code == "sms_unavailable"
    assert not SignInCode.objects.exists()
    # The person may try again at once: the failed send started no cooldown.
    settings.SMS_BACKEND = "memory"
    services.request_sign_in_code(phone=PHONE, ip=None)


def test_after_signing_in_a_new_code_may_be_asked_at_once(sms_outbox):
    services.request_sign_in_code(phone=PHONE, ip=None)
    services.sign_in_with_code(phone=PHONE, code=sms_outbox[-1].code, ip=None)
    services.request_sign_in_code(phone=PHONE, ip=None)  # e.g. signing in on a second device
    assert len(sms_outbox) == 2
