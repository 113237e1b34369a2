"""Phone numbers as people type them, turned into E.164."""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from activecitizen.core.errors import InvalidInput

MAX_PHONE_INPUT = 32


def normalize_phone(raw: str, *, field: str = "phone") -> str:
    """'8 (916) 123-45-67' → '+79161234567'; raise InvalidInput for anything not a real number."""
    text = (raw or "").strip()
    if not text:
        raise InvalidInput(_("Enter your phone number."), code="phone_required", field=field)
    if len(text) > MAX_PHONE_INPUT:
        raise InvalidInput(_("This is not a phone number."), code="invalid_phone", field=field)
    try:
        number = phonenumbers.parse(text, settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise InvalidInput(
            _("This is not a phone number."), code="invalid_phone", field=field
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput(
            _("This phone number does not exist. Check the digits."),
            code="invalid_phone",
            field=field,
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
