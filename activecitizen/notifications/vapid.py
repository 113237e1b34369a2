"""The site's VAPID key pair (RFC 8292): its private half signs every web push, its public half
is the `applicationServerKey` a browser subscribes with.

Keys travel as text the way the Push API and the web-push tools write them: the private key as
its 32-byte scalar, the public key as the 65-byte uncompressed P-256 point, both base64url
without padding.
"""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

GENERATE_HINT = "`python manage.py generate_vapid_keys` makes a key pair"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def generate_private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def private_key_text(key: ec.EllipticCurvePrivateKey) -> str:
    return b64url(key.private_numbers().private_value.to_bytes(32, "big"))


def public_key_text(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> str:
    public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    return b64url(
        public.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )


@lru_cache(maxsize=4)
def load_private_key(text: str) -> ec.EllipticCurvePrivateKey:
    """The key from its text; ValueError when it is not a P-256 private scalar."""
    try:
        raw = b64url_decode(text.strip())
    except (binascii.Error, ValueError):
        raise ValueError("not base64url") from None
    if len(raw) != 32:
        raise ValueError(f"{len(raw)} bytes, not 32")
    # Refuses 0 and scalars beyond the curve's order.
    return ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())


def configured_private_key() -> ec.EllipticCurvePrivateKey:
    text = getattr(settings, "WEBPUSH_VAPID_PRIVATE_KEY", "")
    if not text:
        raise ImproperlyConfigured(
            f"Web push needs WEBPUSH_VAPID_PRIVATE_KEY (the VAPID private key): {GENERATE_HINT}."
        )
    try:
        return load_private_key(text)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"WEBPUSH_VAPID_PRIVATE_KEY is not a VAPID private key ({exc}): {GENERATE_HINT}."
        ) from None


def configured_subject() -> str:
    """Whom the push services may contact about this site's pushes (a mailto: or https: URL)."""
    subject = getattr(settings, "WEBPUSH_VAPID_SUBJECT", "")
    if not subject.startswith(("mailto:", "https://")):
        raise ImproperlyConfigured(
            "Web push needs WEBPUSH_VAPID_SUBJECT, a mailto: or https:// address of the site's "
            f"operators (e.g. mailto:push@example.city); it is {subject!r}."
        )
    return subject


def application_server_key() -> str | None:
    """The public key browsers subscribe with, or None when this site has no VAPID key."""
    if not getattr(settings, "WEBPUSH_VAPID_PRIVATE_KEY", ""):
        return None
    return public_key_text(configured_private_key())
