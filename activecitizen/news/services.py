"""Every write of the news section: the newsletter's double opt-in subscriptions, signed links to
confirm, manage and unsubscribe, and the newsletter itself.

Links are signed with the site's key (`django.core.signing`), so no sign-in is needed to follow
them and nothing about them is stored: a confirmation link lasts 7 days, a manage/unsubscribe
link as long as the subscription (an old e-mail's unsubscribe link must keep working).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core import mail, signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from activecitizen.core import ratelimit
from activecitizen.core.errors import DomainError, InvalidInput
from activecitizen.geo.models import District
from activecitizen.news.models import NewsItem, Subscription, Tag

logger = logging.getLogger(__name__)

CONFIRM_SALT = "activecitizen.news.confirm"
MANAGE_SALT = "activecitizen.news.manage"
CONFIRM_MAX_AGE = timedelta(days=7)
EMAIL_MAX_LENGTH = 254
MAX_TOPICS = 30
MAX_DISTRICTS = 30
# (hits, window in seconds): enough for a family behind one address, too few for a spammer who
# would use the form to mail confirmation links to strangers.
SUBSCRIBE_LIMIT_PER_IP = (20, 3600)
SUBSCRIBE_LIMIT_PER_EMAIL = (3, 3600)
NEWSLETTER_BATCH = 200


class InvalidLink(DomainError):
    """A confirmation or unsubscribe link that was altered, has expired, or names nobody."""

    status = 400
    code = "invalid_link"


# --- Links -------------------------------------------------------------------------------------


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def manage_token(subscription: Subscription) -> str:
    return signing.dumps({"s": subscription.pk, "e": subscription.email}, salt=MANAGE_SALT)


def manage_url(subscription: Subscription) -> str:
    return _absolute(reverse("news:subscription", kwargs={"token": manage_token(subscription)}))


def unsubscribe_url(subscription: Subscription) -> str:
    return _absolute(reverse("news:unsubscribe", kwargs={"token": manage_token(subscription)}))


def _confirm_token(
    subscription: Subscription, topics: list[int], districts: list[int], now: datetime
) -> str:
    payload = {
        "s": subscription.pk,
        "e": subscription.email,
        "t": topics,
        "d": districts,
        "at": int(now.timestamp()),
    }
    return signing.dumps(payload, salt=CONFIRM_SALT)


def _bad_link() -> InvalidLink:
    return InvalidLink(
        gettext_lazy("This link is not valid: it was changed, has expired or was already replaced.")
    )


def _load(token: str, *, salt: str, max_age: timedelta | None = None) -> dict:
    if not isinstance(token, str) or len(token) > 4000:
        raise _bad_link()
    try:
        payload = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired as expired:
        raise InvalidLink(
            gettext_lazy("This link has expired. Subscribe again to get a new one."),
            code="link_expired",
        ) from expired
    except (signing.BadSignature, ValueError, UnicodeError) as bad:
        raise _bad_link() from bad
    if not isinstance(payload, dict) or not isinstance(payload.get("s"), int):
        raise _bad_link()
    return payload


def _subscription_of(payload: dict, *, lock: bool = False) -> Subscription:
    rows = Subscription.objects.select_for_update() if lock else Subscription.objects
    found = rows.filter(pk=payload["s"], email=payload.get("e")).first()
    if found is None:
        raise _bad_link()
    return found


def subscription_for(token: str) -> Subscription:
    """The subscription a manage/unsubscribe link names (read only)."""
    return _subscription_of(_load(token, salt=MANAGE_SALT))


# --- Validation --------------------------------------------------------------------------------


def normalize_email(email: str) -> str:
    address = (email or "").strip().lower()
    try:
        if len(address) > EMAIL_MAX_LENGTH:
            raise ValidationError("too long")
        validate_email(address)
    except ValidationError as error:
        raise InvalidInput(
            _("Enter a valid e-mail address."), field="email", code="invalid_email"
        ) from error
    return address


def _topics(slugs: Iterable[str]) -> list[Tag]:
    wanted = {str(s) for s in slugs}
    if len(wanted) > MAX_TOPICS:
        raise InvalidInput(_("Choose at most %(n)d topics.") % {"n": MAX_TOPICS}, field="topics")
    found = list(Tag.objects.filter(slug__in=wanted))
    if len(found) != len(wanted):
        raise InvalidInput(_("There is no such topic."), field="topics", code="unknown_topic")
    return found


def _districts(ids: Iterable[int]) -> list[District]:
    wanted = set()
    for value in ids:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
            raise InvalidInput(
                _("There is no such district."), field="districts", code="unknown_district"
            )
        wanted.add(value)
    if len(wanted) > MAX_DISTRICTS:
        raise InvalidInput(
            _("Choose at most %(n)d districts.") % {"n": MAX_DISTRICTS}, field="districts"
        )
    found = list(District.objects.filter(pk__in=wanted))
    if len(found) != len(wanted):
        raise InvalidInput(
            _("There is no such district."), field="districts", code="unknown_district"
        )
    return found


# --- Subscribing -------------------------------------------------------------------------------


def subscribe(
    *,
    email: str,
    topics: Sequence[str] = (),
    districts: Sequence[int] = (),
    user: AbstractBaseUser | None = None,
    ip: str | None = None,
    now: datetime | None = None,
) -> Subscription:
    """Record the wish and e-mail a confirmation link; nothing else is sent until it is followed.

    The caller answers the same whether the address was known or not. A new or never-confirmed
    subscription takes the preferences at once; a confirmed one keeps its preferences until the
    link is followed (they travel inside the link), so nobody can change a stranger's topics by
    typing their address.
    """
    now = now or timezone.now()
    address = normalize_email(email)
    tags = _topics(topics)
    places = _districts(districts)
    message = gettext_lazy("Too many subscription requests. Try again later.")
    if ip:
        limit, window = SUBSCRIBE_LIMIT_PER_IP
        ratelimit.hit(f"news-subscribe-ip:{ip}", limit=limit, window=window, message=message)
    limit, window = SUBSCRIBE_LIMIT_PER_EMAIL
    ratelimit.hit(f"news-subscribe-email:{address}", limit=limit, window=window, message=message)

    with transaction.atomic():
        subscription, _created = Subscription.objects.select_for_update().get_or_create(
            email=address
        )
        if subscription.unsubscribed_at is not None:
            # Coming back after unsubscribing starts over: a new confirmation is needed.
            subscription.unsubscribed_at = None
            subscription.confirmed_at = None
        if user is not None and getattr(user, "is_authenticated", False):
            subscription.user = user  # type: ignore[assignment]
        subscription.save()
        if subscription.confirmed_at is None:
            subscription.topics.set(tags)
            subscription.districts.set(places)
    token = _confirm_token(subscription, [t.pk for t in tags], [d.pk for d in places], now)
    _send_confirmation(subscription, token)
    return subscription


def _send_confirmation(subscription: Subscription, token: str) -> None:
    context = {
        "confirm_url": _absolute(reverse("news:confirm", kwargs={"token": token})),
        "days": CONFIRM_MAX_AGE.days,
    }
    try:
        mail.send_mail(
            subject=_("Confirm your subscription to the city news"),
            message=render_to_string("news/email/confirm.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[subscription.email],
        )
    except OSError:
        # The mail server is down: the subscription waits unconfirmed; subscribing again resends.
        logger.exception("Could not send the news confirmation to subscription %s", subscription.pk)


def confirm(*, token: str, now: datetime | None = None) -> Subscription:
    """Follow a confirmation link: from now on the newsletter goes to this address."""
    now = now or timezone.now()
    payload = _load(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    with transaction.atomic():
        subscription = _subscription_of(payload, lock=True)
        signed_at = payload.get("at")
        if (
            subscription.unsubscribed_at is not None
            and isinstance(signed_at, int)
            and signed_at <= subscription.unsubscribed_at.timestamp()
        ):
            # The person unsubscribed after asking: an old link must not bring the mail back.
            raise _bad_link()
        topic_ids = [i for i in payload.get("t") or [] if isinstance(i, int)]
        district_ids = [i for i in payload.get("d") or [] if isinstance(i, int)]
        subscription.topics.set(Tag.objects.filter(pk__in=topic_ids))
        subscription.districts.set(District.objects.filter(pk__in=district_ids))
        if subscription.confirmed_at is None:
            subscription.confirmed_at = now
        subscription.unsubscribed_at = None
        subscription.save(update_fields=["confirmed_at", "unsubscribed_at"])
    return subscription


def unsubscribe(*, token: str, now: datetime | None = None) -> Subscription:
    """One click from any newsletter: no more mail to this address. Twice is the same as once."""
    now = now or timezone.now()
    payload = _load(token, salt=MANAGE_SALT)
    with transaction.atomic():
        subscription = _subscription_of(payload, lock=True)
        if subscription.unsubscribed_at is None:
            subscription.unsubscribed_at = now
            subscription.save(update_fields=["unsubscribed_at"])
    return subscription


def update_preferences(
    *, token: str, topics: Sequence[str], districts: Sequence[int]
) -> Subscription:
    """Change the topics and districts from the preferences page (its link is the proof)."""
    payload = _load(token, salt=MANAGE_SALT)
    tags = _topics(topics)
    places = _districts(districts)
    with transaction.atomic():
        subscription = _subscription_of(payload, lock=True)
        subscription.topics.set(tags)
        subscription.districts.set(places)
    return subscription


# --- The newsletter ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    item: NewsItem
    url: str
    tag_ids: frozenset[int]
    district_ids: frozenset[int]


def _matches(entry: _Item, topics: set[int], districts: set[int]) -> bool:
    topic_ok = not topics or bool(entry.tag_ids & topics)
    place_ok = not entry.district_ids or not districts or bool(entry.district_ids & districts)
    return topic_ok and place_ok


def send_newsletter(*, items: Iterable[NewsItem], now: datetime) -> int:
    """E-mail every confirmed, still subscribed address the published items that match its
    topics and districts: one e-mail per person, sent in batches over one connection each.

    Returns how many e-mails were sent. Nobody gets an empty e-mail.
    """
    entries = [
        _Item(
            item=item,
            url=_absolute(item.get_absolute_url()),
            tag_ids=frozenset(t.pk for t in item.tags.all()),
            district_ids=frozenset(d.pk for d in item.districts.all()),
        )
        for item in items
        if item.is_published and item.published_at is not None and item.published_at <= now
    ]
    if not entries:
        return 0
    subscribers = (
        Subscription.objects.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True)
        .prefetch_related("topics", "districts")
        .order_by("pk")
    )
    sent = 0
    batch: list[tuple[Subscription, mail.EmailMessage]] = []
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("City news")
        for subscription in subscribers.iterator(chunk_size=NEWSLETTER_BATCH):
            topics = {t.pk for t in subscription.topics.all()}
            districts = {d.pk for d in subscription.districts.all()}
            chosen = [e for e in entries if _matches(e, topics, districts)]
            if not chosen:
                continue
            batch.append((subscription, _newsletter_message(subscription, chosen, subject)))
            if len(batch) >= NEWSLETTER_BATCH:
                sent += _send_batch(batch, now)
                batch = []
        if batch:
            sent += _send_batch(batch, now)
    return sent


def _newsletter_message(
    subscription: Subscription, chosen: list[_Item], subject: str
) -> mail.EmailMessage:
    leave = unsubscribe_url(subscription)
    body = render_to_string(
        "news/email/newsletter.txt",
        {"entries": chosen, "unsubscribe_url": leave, "manage_url": manage_url(subscription)},
    )
    return mail.EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[subscription.email],
        # RFC 2369 and RFC 8058: mail programs show their own one-click "unsubscribe" button.
        headers={
            "List-Unsubscribe": f"<{leave}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def _send_batch(batch: list[tuple[Subscription, mail.EmailMessage]], now: datetime) -> int:
    with mail.get_connection() as connection:
        sent = connection.send_messages([message for _s, message in batch]) or 0
    Subscription.objects.filter(pk__in=[s.pk for s, _m in batch]).update(last_sent_at=now)
    return sent
