"""Every write of notifications: telling a person something once, delivering it on the channels
they chose, the daily digest, announcing one event to very many people, marking read."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import URLValidator
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from activecitizen.accounts.models import User
from activecitizen.accounts.selectors import living_near
from activecitizen.core.errors import InvalidInput
from activecitizen.notifications import channels, kinds, selectors
from activecitizen.notifications.models import (
    DigestSent,
    Mode,
    Notification,
    NotificationPreference,
    PushSubscription,
)

logger = logging.getLogger(__name__)

FAN_OUT_BATCH = 5000
FAN_OUT_SALT = "notifications.fan_out.people"
# Items older than this are never put in a digest: a person without e-mail leaves undigested
# rows behind, and the hourly query must not scan their whole history.
DIGEST_LOOKBACK = timedelta(days=2)


def notify(*, user_id: int, kind: str, params: Mapping[str, Any], url: str = "", key: str) -> bool:
    """Put a notification in the person's inbox unless the event `key` was told already, and
    queue its delivery on the channels the person wants it on at once.

    Returns whether it was new. Runs in its own savepoint, so a duplicate (a retried task) does
    not spoil the caller's transaction.
    """
    if not kinds.known(kind):
        raise ValueError(f"unknown notification kind {kind!r}")
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                user_id=user_id, kind=kind, params=dict(params), url=url[:300], key=key[:200]
            )
    except IntegrityError:
        return False
    from activecitizen.notifications.tasks import deliver_notification

    # After commit: a worker must find the row, and a rolled-back event must not be sent.
    notification_id = notification.pk
    transaction.on_commit(lambda: deliver_notification.delay(notification_id))
    return True


def deliver(*, notification_id: int) -> list[str]:
    """Send one inbox notification on every other channel the person wants its group on at
    once; returns the channels it went out on."""
    notification = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if notification is None or not notification.user.is_active:
        return []
    group = kinds.group_of(notification.kind)
    prefs = selectors.preferences(notification.user_id)
    names = [name for name in _other_channels() if prefs.get((group, name)) == Mode.IMMEDIATELY]
    return _send(notification.user, notification.kind, notification.params, notification.url, names)


def _other_channels() -> list[str]:
    # Channels a settings file adds without a default are off until someone wants them.
    return [n for n in channels.channel_names() if n != "inapp" and n in selectors.DEFAULTS]


def _send(
    user: User, kind: str, params: Mapping[str, Any], url: str, names: Sequence[str]
) -> list[str]:
    if not names:
        return []
    with translation.override(settings.LANGUAGE_CODE):
        rendered = kinds.render(kind, params)
    sent = []
    for name in names:
        try:
            if channels.get(name).send(user, rendered, url):
                sent.append(name)
        except Exception:
            # One channel's outage (an SMS gateway down) must not keep the others from going
            # out; the inbox has the notice anyway.
            logger.exception("notification %s to %s via %s failed", kind, user.pk, name)
    return sent


# --- Preferences -------------------------------------------------------------------------------


def set_preferences(*, user_id: int, choices: Sequence[tuple[str, str, str]]) -> None:
    """Save (group, channel, mode) choices, all or none. A choice equal to the default deletes
    the row, so only people who differ from the defaults have rows."""
    for group, channel, mode in choices:
        if group not in kinds.GROUPS:
            raise InvalidInput(_("Unknown group of notifications: %s.") % group, field="group")
        if channel not in selectors.ALLOWED_MODES:
            raise InvalidInput(_("Unknown channel: %s.") % channel, field="channel")
        if mode not in selectors.ALLOWED_MODES[channel]:
            raise InvalidInput(
                _("The channel %(channel)s cannot be set to %(mode)s.")
                % {"channel": channel, "mode": mode},
                field="mode",
            )
    with transaction.atomic():
        for group, channel, mode in choices:
            mine = NotificationPreference.objects.filter(
                user_id=user_id, kind_group=group, channel=channel
            )
            if mode == selectors.DEFAULTS[channel]:
                mine.delete()
            else:
                NotificationPreference.objects.update_or_create(
                    user_id=user_id, kind_group=group, channel=channel, defaults={"mode": mode}
                )


_HTTPS_URL = URLValidator(schemes=["https"])
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")


def subscribe_push(*, user_id: int, endpoint: str, p256dh: str, auth: str) -> PushSubscription:
    """Remember a device's push endpoint. The same endpoint again updates its keys; a device
    that changed hands (another person signed in) moves to the new person."""
    try:
        _HTTPS_URL(endpoint)
    except ValidationError:
        raise InvalidInput(_("A push endpoint is an https:// address."), field="endpoint") from None
    if not _known_push_service(endpoint):
        raise InvalidInput(
            _("This address is not one of the push services this site sends to."),
            code="unknown_push_service",
            field="endpoint",
        )
    # The keys are base64url (RFC 8291); anything else — a NUL byte among it, which
    # PostgreSQL text cannot hold — is refused here rather than failing in the INSERT.
    for field, value in (("keys.p256dh", p256dh), ("keys.auth", auth)):
        if not value or not _BASE64URL.fullmatch(value):
            raise InvalidInput(_("A push key is base64url text."), field=field)
    subscription, _created = PushSubscription.objects.update_or_create(
        endpoint=endpoint, defaults={"user_id": user_id, "p256dh": p256dh, "auth": auth}
    )
    return subscription


def _known_push_service(endpoint: str) -> bool:
    host = (urlsplit(endpoint).hostname or "").lower()
    return any(
        host == allowed or (allowed.startswith(".") and host.endswith(allowed))
        for allowed in settings.WEBPUSH_PUSH_SERVICES
    )


def unsubscribe_push(*, user_id: int, endpoint: str) -> int:
    return PushSubscription.objects.filter(user_id=user_id, endpoint=endpoint).delete()[0]


def forget_push_subscription(*, subscription_id: int) -> None:
    """Drop a subscription its push service says is gone (404, 410), so that no later
    notification is tried on it again. Gone already (two deliveries at once): nothing to do."""
    PushSubscription.objects.filter(pk=subscription_id).delete()


# --- The daily digest --------------------------------------------------------------------------


def send_daily_digests(*, now: datetime | None = None) -> int:
    """Send each person with undigested notifications one e-mail listing them, once a day,
    after NOTIFICATIONS_DIGEST_HOUR local time. Runs hourly; returns how many e-mails went out.

    The city has one time zone (TIME_ZONE); people carry none, so "local" is the city's.
    """
    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.hour < getattr(settings, "NOTIFICATIONS_DIGEST_HOUR", 9):
        return 0
    today = local.date()
    waiting = (
        Notification.objects.filter(digested_at__isnull=True, created_at__gte=now - DIGEST_LOOKBACK)
        .exclude(user__email="")
        .filter(user__is_active=True)
        .values_list("user_id", flat=True)
        .distinct()
    )
    done_today = DigestSent.objects.filter(day=today).values_list("user_id", flat=True)
    sent = 0
    for user_id in list(waiting.exclude(user_id__in=done_today)):
        sent += _digest_one(user_id=user_id, today=today, now=now)
    return sent


def _digest_one(*, user_id: int, today: date, now: datetime) -> int:
    prefs = selectors.preferences(user_id)
    with transaction.atomic():
        # Claim the items first: a second run (or a retry) finds nothing left to list.
        items = list(
            Notification.objects.select_for_update()
            .filter(
                user_id=user_id, digested_at__isnull=True, created_at__gte=now - DIGEST_LOOKBACK
            )
            .order_by("created_at", "id")
        )
        if not items or DigestSent.objects.filter(user_id=user_id, day=today).exists():
            return 0
        listed = [n for n in items if prefs[(kinds.group_of(n.kind), "email")] == Mode.DIGEST]
        # Items of groups the person wants otherwise are passed over, not kept for later.
        Notification.objects.filter(pk__in=[n.pk for n in items]).update(digested_at=now)
        if not listed:
            return 0
        DigestSent.objects.create(user_id=user_id, day=today, items=len(listed), sent_at=now)
    user = User.objects.get(pk=user_id)
    with translation.override(settings.LANGUAGE_CODE):
        subject = ngettext(
            "Active Citizen: %(n)d new notification",
            "Active Citizen: %(n)d new notifications",
            len(listed),
        ) % {"n": len(listed)}
        lines = []
        for n in listed:
            rendered = kinds.render(n.kind, n.params)
            lines.append(f"• {rendered.title}")
            if rendered.text:
                lines.append(f"  {rendered.text}")
            if n.url:
                lines.append(f"  {channels.absolute(n.url)}")
    send_mail(subject, "\n".join(lines), None, [user.email])
    return 1


# --- Fan-out -----------------------------------------------------------------------------------

People = Callable[..., QuerySet]


def fan_out(
    *,
    kind: str,
    params: Mapping[str, Any],
    url: str,
    key_prefix: str,
    people: People,
    people_args: Sequence[Any] = (),
    batch_size: int = FAN_OUT_BATCH,
) -> dict[str, Any]:
    """Tell one event to many people: their inbox rows, then their immediate channels.

    `people` is a module-level function returning a queryset over users, called with
    `people_args` (JSON values) in each batch: the broker carries its name and arguments, signed,
    never a pickled query. The work goes to Celery in batches of `batch_size` user ids, walked by
    id (keyset, never OFFSET); each batch queues the next before it writes, so several workers
    overlap. Each person's row has the key "<key_prefix>:<user id>": a retried batch adds
    nothing. Without a broker the batches run here, one after another.

    Returns the job (what the first task was given).
    """
    if not kinds.known(kind):
        raise ValueError(f"unknown notification kind {kind!r}")
    if len(key_prefix) > 180:
        raise ValueError("key_prefix leaves no room for the user id in a 200-character key")
    job = {
        "kind": kind,
        "params": dict(params),
        "url": url[:300],
        "key_prefix": key_prefix,
        "people": _people_ref(people, people_args),
        "batch_size": batch_size,
    }
    from activecitizen.notifications.tasks import fan_out_batch

    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        run_fan_out(job)
    else:
        fan_out_batch.delay(job, 0)
    return job


def run_fan_out(job: Mapping[str, Any]) -> int:
    """Every batch of a job in turn, here (eager mode, the benchmark); returns the batches."""
    cursor: int | None = 0
    batches = 0
    while cursor is not None:
        cursor = fan_out_step(job, after_id=cursor)
        batches += 1
    return batches


def fan_out_step(
    job: Mapping[str, Any], *, after_id: int, queue_next: Callable[[int], Any] | None = None
) -> int | None:
    """One batch: the next `batch_size` people after `after_id`. Returns where the next batch
    starts, or None when this was the last."""
    people = _people(job["people"])
    ids = list(
        people.filter(pk__gt=after_id)
        .order_by("pk")
        .values_list("pk", flat=True)[: job["batch_size"]]
    )
    if not ids:
        return None
    following = ids[-1] if len(ids) == job["batch_size"] else None
    if following is not None and queue_next is not None:
        queue_next(following)
    ids = list(dict.fromkeys(ids))  # an audience joined over interests may list someone twice
    prefix, kind = job["key_prefix"], job["kind"]
    immediate = _immediate_channels(ids, kinds.group_of(kind))
    # Only people with an immediate channel are asked which rows exist: a retried batch must
    # not push twice, and the others need no question at all.
    told_before = set(
        Notification.objects.filter(key__in=[f"{prefix}:{uid}" for uid in immediate]).values_list(
            "key", flat=True
        )
    )
    _insert_rows(job, ids)
    fresh = {uid: names for uid, names in immediate.items() if f"{prefix}:{uid}" not in told_before}
    if fresh:
        for user in User.objects.filter(pk__in=list(fresh), is_active=True):
            _send(user, kind, job["params"], job["url"], fresh[user.pk])
    return following


def _insert_rows(job: Mapping[str, Any], ids: list[int]) -> None:
    """The batch's inbox rows; a row whose key exists already (a retry) is skipped.

    On PostgreSQL one INSERT … SELECT over the id array: the ORM's bulk_create builds and
    quotes 5,000 model instances per batch, which made a million rows take about 85 s of
    worker time instead of the issue's 60 (bench/bench_fanout.py). Elsewhere (SQLite, the
    embedded mode and tests) bulk_create with ignore_conflicts does the same.
    """
    now = timezone.now()
    prefix = job["key_prefix"]
    if connection.vendor == "postgresql":
        table = Notification._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (user_id, kind, params, url, key, created_at) "  # noqa: S608
                "SELECT u, %s, %s::jsonb, %s, %s || u::text, %s FROM unnest(%s::bigint[]) AS u "
                "ON CONFLICT DO NOTHING",
                [job["kind"], json.dumps(job["params"]), job["url"], f"{prefix}:", now, ids],
            )
        return
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=uid,
                kind=job["kind"],
                params=job["params"],
                url=job["url"],
                key=f"{prefix}:{uid}",
                created_at=now,
            )
            for uid in ids
        ],
        ignore_conflicts=True,
    )


def _immediate_channels(ids: list[int], group: str) -> dict[int, list[str]]:
    """Who among `ids` wants this group at once on a channel other than the inbox."""
    # Asked by the batch's id range, not by 5,000 ids: the few rows found are then kept to
    # the batch's people here.
    batch = set(ids)
    low, high = min(ids), max(ids)
    chosen = {
        uid: modes
        for uid, modes in selectors.chosen_for_range(low, high, group).items()
        if uid in batch
    }
    names = _other_channels()
    subscribers: set[int] = set()
    if "push" in names:
        subscribers = batch & set(
            PushSubscription.objects.filter(user_id__gte=low, user_id__lte=high).values_list(
                "user_id", flat=True
            )
        )
    wanted: dict[int, list[str]] = {}
    for uid in set(chosen) | subscribers:
        mine = chosen.get(uid, {})
        picked = [
            name
            for name in names
            if mine.get(name, selectors.DEFAULTS[name]) == Mode.IMMEDIATELY
            and (name != "push" or uid in subscribers)
        ]
        if picked:
            wanted[uid] = picked
    return wanted


def _people_ref(people: People, args: Sequence[Any]) -> str:
    if isinstance(people, QuerySet) or not callable(people):
        raise ValueError("fan_out needs a module-level function returning the people")
    name = f"{people.__module__}.{people.__qualname__}"
    if "<" in name:
        raise ValueError("fan_out needs a module-level function, not a lambda or a closure")
    # Signed: a message in the broker that this site did not write names no function to call.
    return signing.dumps({"callable": name, "args": list(args)}, salt=FAN_OUT_SALT)


def _people(ref: str) -> QuerySet:
    people = signing.loads(ref, salt=FAN_OUT_SALT)
    return import_string(people["callable"])(*people["args"])


@dataclass(frozen=True)
class NearbyNotice:
    """What to tell the neighbours of one new thing, and where the thing is."""

    kind: str
    params: dict[str, Any]
    url: str
    key_prefix: str
    lat: Any
    lon: Any


NEIGHBOURS_BATCH = 50


def tell_neighbours_of_new(
    due: QuerySet, *, notice: Callable[[Any], NearbyNotice], now: datetime | None = None
) -> int:
    """For each row of `due` (things with a point whose `neighbours_told_at` is empty), claim it
    and, after the claim commits, tell the people living near it. Returns how many were claimed.

    Each row is claimed by one `UPDATE … WHERE neighbours_told_at IS NULL`, so two overlapping
    runs of a periodic task never both tell; a section passes its query and how to word it.
    """
    now = now or timezone.now()
    model = due.model
    told = 0
    for pk in list(due.order_by("pk").values_list("pk", flat=True)[:NEIGHBOURS_BATCH]):
        with transaction.atomic():
            if not model.objects.filter(pk=pk, neighbours_told_at__isnull=True).update(
                neighbours_told_at=now
            ):
                continue
            about = notice(model.objects.get(pk=pk))
            transaction.on_commit(partial(_tell_neighbours_of, about))
        told += 1
    return told


def _tell_neighbours_of(about: NearbyNotice) -> None:
    tell_neighbours(
        kind=about.kind,
        params=about.params,
        url=about.url,
        key_prefix=about.key_prefix,
        lat=about.lat,
        lon=about.lon,
    )


def tell_neighbours(
    *, kind: str, params: Mapping[str, Any], url: str, key_prefix: str, lat: Any, lon: Any
) -> dict[str, Any]:
    """Tell the people whose home point is within NOTIFICATIONS_NEARBY_METRES (1 km) of a new
    thing's place: "something new near my home". Call it after the thing is committed."""
    metres = int(getattr(settings, "NOTIFICATIONS_NEARBY_METRES", 1000))
    return fan_out(
        kind=kind,
        params=params,
        url=url,
        key_prefix=key_prefix,
        people=living_near,
        people_args=[str(lat), str(lon), metres],
    )


def mark_read(*, user_id: int, notification_ids: list[int] | None = None) -> int:
    """Mark the person's notifications read (the given ones, or all); returns how many changed.

    Ids of other people's notifications are ignored, not refused: they change nothing.
    """
    unread = Notification.objects.filter(user_id=user_id, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    return unread.update(read_at=timezone.now())
