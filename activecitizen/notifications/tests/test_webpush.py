"""Web push for real: a push service on 127.0.0.1 takes what the `webpush` backend sends,
decrypts it with the browser's keys and checks the VAPID signature; subscriptions the push
service calls gone are forgotten, failing ones kept; the key reaches browsers through the API;
a site without a key is refused."""

from __future__ import annotations

import base64
import json
import os
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from activecitizen.accounts.models import User
from activecitizen.core.tests.test_settings import run_manage
from activecitizen.notifications import channels, services
from activecitizen.notifications.channels import (
    PushDeliveryError,
    PushMessage,
    PushSubscriptionGone,
)
from activecitizen.notifications.kinds import Rendered
from activecitizen.notifications.models import PushSubscription
from activecitizen.notifications.webpush import WebPushBackend

pytestmark = pytest.mark.django_db
SUBJECT = "mailto:push@ag.example.city"
SITE = "https://ag.example.city"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_point(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


# --- A push service and its browsers ----------------------------------------------------------


@dataclass
class Browser:
    """What a browser keeps when it subscribes: its ECDH key and the auth secret (RFC 8291)."""

    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    payload: Any = None
    error: str = ""


@dataclass
class PushService:
    """Answers each endpoint with the status set for it (201 by default), or not at all
    (`hang`); decrypts what it receives as the subscribed browser would."""

    origin: str = ""
    browsers: dict[str, Browser] = field(default_factory=dict)
    status: dict[str, int] = field(default_factory=dict)
    hang: set[str] = field(default_factory=set)
    received: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def subscribe(self, user: User, device: str) -> PushSubscription:
        browser = Browser(ec.generate_private_key(ec.SECP256R1()), os.urandom(16))
        path = f"/wpush/v2/{device}"
        self.browsers[path] = browser
        # Straight into the table: the service accepts only https:// endpoints, and this
        # push service speaks plain HTTP on 127.0.0.1.
        return PushSubscription.objects.create(
            user=user,
            endpoint=self.origin + path,
            p256dh=b64url(public_point(browser.private_key)),
            auth=b64url(browser.auth_secret),
        )

    def take(self, path: str, headers: dict[str, str], body: bytes) -> int:
        got = Received(path=path, headers=headers, body=body)
        browser = self.browsers.get(path)
        try:
            plain = http_ece.decrypt(
                body,
                private_key=browser.private_key,
                auth_secret=browser.auth_secret,
                version="aes128gcm",
            )
            got.payload = json.loads(plain)
        except Exception as exc:  # recorded for the test to show, not answered
            got.error = f"{type(exc).__name__}: {exc}"
        self.received.append(got)
        if path in self.hang:
            self.release.wait(timeout=60)
        return self.status.get(path, 201)

    def for_path(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]


class _Quiet(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # the client that gave up on a hanging endpoint has closed its socket


@pytest.fixture
def push_service(monkeypatch):
    # A developer's HTTP(S)_PROXY must not carry requests to the local push service away.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    service = PushService()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            # Header names are case-insensitive; pywebpush sends them in lower case.
            headers = {name.lower(): value for name, value in self.headers.items()}
            status = service.take(self.path, headers, body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = _Quiet(("127.0.0.1", 0), Handler)
    service.origin = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield service
    service.release.set()
    server.shutdown()
    server.server_close()
    thread.join()


def generated_keys(subject: str = SUBJECT) -> dict[str, str]:
    """The environment lines `generate_vapid_keys` prints, as a dict."""
    from io import StringIO

    out = StringIO()
    call_command("generate_vapid_keys", subject=subject, stdout=out)
    return dict(
        line.split("=", 1) for line in out.getvalue().splitlines() if not line.startswith("#")
    )


@pytest.fixture
def webpush_settings(settings):
    keys = generated_keys()
    settings.NOTIFICATIONS_PUSH_BACKEND = keys["NOTIFICATIONS_PUSH_BACKEND"]
    settings.WEBPUSH_VAPID_PRIVATE_KEY = keys["WEBPUSH_VAPID_PRIVATE_KEY"]
    settings.WEBPUSH_VAPID_SUBJECT = keys["WEBPUSH_VAPID_SUBJECT"]
    settings.WEBPUSH_TTL = 3600
    settings.SITE_URL = SITE
    settings.LANGUAGE_CODE = "en"  # the language notifications are rendered in
    return settings


@pytest.fixture
def person():
    return User.objects.create_user("+79035550001", email="olga@example.org")


def ready(person, order_id: int = 1) -> bool:
    return services.notify(
        user_id=person.pk,
        kind="order_ready",
        params={"order_id": order_id, "reward": "Билет в театр"},
        url=f"/rewards/orders/{order_id}/",
        key=f"order:{order_id}:ready",
    )


def configured_public_key(settings) -> bytes:
    # Worked out here from the private key, not asked of the code under test.
    scalar = int.from_bytes(unb64url(settings.WEBPUSH_VAPID_PRIVATE_KEY), "big")
    return public_point(ec.derive_private_key(scalar, ec.SECP256R1()))


def vapid_claims(authorization: str, public_key: bytes) -> dict[str, Any]:
    """The claims of a `vapid t=<JWT>, k=<key>` header (RFC 8292) whose ES256 signature
    verifies with `public_key`; InvalidSignature otherwise."""
    match = re.fullmatch(r"vapid t=([\w-]+\.[\w-]+\.[\w-]+),\s*k=([\w-]+)", authorization)
    assert match, authorization
    token, k = match.groups()
    assert unb64url(k) == public_key
    header, claims, signature = token.split(".")
    assert json.loads(unb64url(header)) == {"typ": "JWT", "alg": "ES256"}
    raw = unb64url(signature)
    assert len(raw) == 64
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public_key).verify(
        encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
        f"{header}.{claims}".encode(),
        ec.ECDSA(hashes.SHA256()),
    )
    return json.loads(unb64url(claims))


# --- Sending -----------------------------------------------------------------------------------


def test_a_notification_reaches_the_browser_encrypted_and_signed_with_the_site_key(
    person, push_service, webpush_settings, client, django_capture_on_commit_callbacks
):
    push_service.subscribe(person, "phone")
    with django_capture_on_commit_callbacks(execute=True):
        assert ready(person)

    [got] = push_service.received
    assert got.error == ""
    assert got.payload == {
        "title": "Your order is ready for pick-up",
        "text": "Билет в театр is waiting for you: show the voucher's QR code at the issue point.",
        "url": f"{SITE}/rewards/orders/1/",
    }
    assert got.headers["content-encoding"] == "aes128gcm"
    assert got.headers["ttl"] == "3600"
    # The body is ciphertext: the reward's name is nowhere in it.
    assert "Билет".encode() not in got.body and b"order" not in got.body

    # The browser subscribed with the key the API gives out; the push service checks the
    # signature against it, and the audience is its own origin.
    key = client.get("/api/v1/push/key").json()["application_server_key"]
    assert unb64url(key) == configured_public_key(webpush_settings)
    claims = vapid_claims(got.headers["authorization"], unb64url(key))
    assert claims["aud"] == push_service.origin
    assert claims["sub"] == SUBJECT
    assert isinstance(claims["exp"], int)
    assert PushSubscription.objects.filter(user=person).count() == 1


def test_a_signature_by_another_key_does_not_verify(person, push_service, webpush_settings):
    # The check above could pass for any signature if it were broken: here it must not.
    push_service.subscribe(person, "phone")
    channels.get("push").send(person, Rendered("Title", "Text"), "/")
    [got] = push_service.received
    stranger = public_point(ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(AssertionError):
        vapid_claims(got.headers["authorization"], stranger)


@pytest.mark.parametrize("status", [404, 410])
def test_a_subscription_the_push_service_calls_gone_is_forgotten(
    person, push_service, webpush_settings, status
):
    old = push_service.subscribe(person, "old-laptop")
    phone = push_service.subscribe(person, "phone")
    push_service.status["/wpush/v2/old-laptop"] = status

    assert channels.get("push").send(person, Rendered("Title", "Text"), "/polls/1/") is True

    assert not PushSubscription.objects.filter(pk=old.pk).exists()
    assert PushSubscription.objects.filter(pk=phone.pk).exists()
    [to_phone] = push_service.for_path("/wpush/v2/phone")
    assert to_phone.payload["title"] == "Title"
    # The next notification is not tried on it again.
    channels.get("push").send(person, Rendered("Again", ""), "/")
    assert len(push_service.for_path("/wpush/v2/old-laptop")) == 1
    assert len(push_service.for_path("/wpush/v2/phone")) == 2


def test_a_failing_or_silent_push_service_keeps_the_subscription_and_the_others_go_out(
    person, push_service, webpush_settings, caplog
):
    webpush_settings.WEBPUSH_TIMEOUT = 1
    broken = push_service.subscribe(person, "broken")
    silent = push_service.subscribe(person, "silent")
    phone = push_service.subscribe(person, "phone")
    push_service.status["/wpush/v2/broken"] = 500
    push_service.hang.add("/wpush/v2/silent")

    # No exception out of the channel; it went out (to the phone).
    assert channels.get("push").send(person, Rendered("Title", "Text"), "/") is True

    assert set(PushSubscription.objects.filter(user=person)) == {broken, silent, phone}
    assert [r.payload["title"] for r in push_service.for_path("/wpush/v2/phone")] == ["Title"]
    failed = [r for r in caplog.records if r.levelname == "ERROR"]
    assert [r.getMessage() for r in failed] == [
        f"push to subscription {broken.pk} failed",
        f"push to subscription {silent.pk} failed",
    ]
    assert "answered 500" in str(failed[0].exc_info[1])


def test_the_backend_says_gone_or_failed(push_service, webpush_settings, person):
    sub = push_service.subscribe(person, "x")
    message = PushMessage(sub.endpoint, sub.p256dh, sub.auth, "T", "", "/")
    backend = WebPushBackend()
    push_service.status["/wpush/v2/x"] = 410
    with pytest.raises(PushSubscriptionGone):
        backend.send(message)
    push_service.status["/wpush/v2/x"] = 429
    with pytest.raises(PushDeliveryError) as failed:
        backend.send(message)
    assert not isinstance(failed.value, PushSubscriptionGone)
    # Keys that are no P-256 point: refused before anything is sent.
    off_the_curve = b64url(b"\x04" + b"\x01" * 64)
    with pytest.raises(PushDeliveryError):
        backend.send(PushMessage(sub.endpoint, off_the_curve, sub.auth, "", "", ""))
    assert len(push_service.received) == 2


def test_a_failing_push_service_does_not_stop_the_other_channels(
    person, push_service, webpush_settings, django_capture_on_commit_callbacks
):
    services.set_preferences(user_id=person.pk, choices=[("shop", "email", "immediately")])
    push_service.subscribe(person, "phone")
    push_service.status["/wpush/v2/phone"] = 503
    with django_capture_on_commit_callbacks(execute=True):
        ready(person)
    assert len(push_service.received) == 1
    assert [m.to for m in mail.outbox] == [["olga@example.org"]]
    assert PushSubscription.objects.filter(user=person).exists()


def test_a_long_text_is_cut_to_fit_one_push_message(person, push_service, webpush_settings):
    push_service.subscribe(person, "phone")
    text = "Перекрытие улицы на время ремонта. " * 200  # about 12 KB of UTF-8
    channels.get("push").send(person, Rendered("Ремонт", text), "/news/1/")
    [got] = push_service.received
    # What every push service must take (RFC 8291 §4), and filled: cut to fit, not emptied.
    assert 4000 < len(got.body) <= 4096
    assert got.payload["title"] == "Ремонт"
    assert got.payload["text"].endswith("…")
    assert text.startswith(got.payload["text"][:-1])


# --- The key: generated, given to browsers, required --------------------------------------------


def test_generate_vapid_keys_prints_a_working_pair():
    from io import StringIO

    out = StringIO()
    call_command("generate_vapid_keys", subject="https://ag.example.city/contact", stdout=out)
    lines = out.getvalue().splitlines()
    env = dict(line.split("=", 1) for line in lines if not line.startswith("#"))
    assert env["NOTIFICATIONS_PUSH_BACKEND"] == "webpush"
    assert env["WEBPUSH_VAPID_SUBJECT"] == "https://ag.example.city/contact"
    private = ec.derive_private_key(
        int.from_bytes(unb64url(env["WEBPUSH_VAPID_PRIVATE_KEY"]), "big"), ec.SECP256R1()
    )
    # The printed public key is the private key's.
    assert b64url(public_point(private)) in lines[-1]
    assert generated_keys()["WEBPUSH_VAPID_PRIVATE_KEY"] != env["WEBPUSH_VAPID_PRIVATE_KEY"]
    with pytest.raises(CommandError):
        call_command("generate_vapid_keys", subject="push@example.city", stdout=StringIO())


def test_the_api_gives_browsers_the_key_or_null(client, settings):
    settings.WEBPUSH_VAPID_PRIVATE_KEY = ""
    answer = client.get("/api/v1/push/key")
    assert answer.status_code == 200 and answer.json() == {"application_server_key": None}
    settings.WEBPUSH_VAPID_PRIVATE_KEY = generated_keys()["WEBPUSH_VAPID_PRIVATE_KEY"]
    key = client.get("/api/v1/push/key").json()["application_server_key"]
    assert unb64url(key) == configured_public_key(settings)
    assert len(unb64url(key)) == 65 and unb64url(key)[0] == 4


@pytest.mark.parametrize(
    ("private_key", "subject", "named"),
    [
        ("", SUBJECT, "WEBPUSH_VAPID_PRIVATE_KEY"),
        ("not a key", SUBJECT, "WEBPUSH_VAPID_PRIVATE_KEY"),
        (b64url(b"\x00" * 32), SUBJECT, "WEBPUSH_VAPID_PRIVATE_KEY"),  # no scalar of the curve
        (None, "", "WEBPUSH_VAPID_SUBJECT"),
        (None, "push@ag.example.city", "WEBPUSH_VAPID_SUBJECT"),
    ],
    ids=["no-key", "not-base64", "zero-key", "no-subject", "subject-not-mailto"],
)
def test_a_site_without_a_usable_key_gets_a_clear_error_at_send(
    webpush_settings, private_key, subject, named
):
    if private_key is not None:
        webpush_settings.WEBPUSH_VAPID_PRIVATE_KEY = private_key
    webpush_settings.WEBPUSH_VAPID_SUBJECT = subject
    with pytest.raises(ImproperlyConfigured, match=named):
        channels.push_backend()


def test_without_a_key_nothing_is_pushed_and_the_other_channels_go_out(
    person, push_service, webpush_settings, django_capture_on_commit_callbacks, caplog
):
    webpush_settings.WEBPUSH_VAPID_PRIVATE_KEY = ""
    services.set_preferences(user_id=person.pk, choices=[("shop", "email", "immediately")])
    push_service.subscribe(person, "phone")
    with django_capture_on_commit_callbacks(execute=True):
        ready(person)
    assert push_service.received == []
    assert len(mail.outbox) == 1
    [error] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert "via push failed" in error.getMessage()
    assert "generate_vapid_keys" in str(error.exc_info[1])


def test_the_site_refuses_to_start_with_webpush_and_no_key(tmp_path):
    keys = generated_keys()
    no_key = run_manage(
        "check", env_extra={"NOTIFICATIONS_PUSH_BACKEND": "webpush"}, tmp_path=tmp_path
    )
    assert no_key.returncode != 0
    assert "WEBPUSH_VAPID_PRIVATE_KEY" in no_key.stderr
    no_subject = run_manage(
        "check",
        env_extra={
            "NOTIFICATIONS_PUSH_BACKEND": "webpush",
            "WEBPUSH_VAPID_PRIVATE_KEY": keys["WEBPUSH_VAPID_PRIVATE_KEY"],
        },
        tmp_path=tmp_path,
    )
    assert no_subject.returncode != 0
    assert "WEBPUSH_VAPID_SUBJECT" in no_subject.stderr
    configured = run_manage("check", env_extra=keys, tmp_path=tmp_path)
    assert configured.returncode == 0, configured.stderr
