"""A person's in-app notifications: what happened that concerns them, read or not yet."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One message in a person's inbox.

    It stores the kind and its parameters, not finished text: the inbox renders it in the
    language the person reads the site in (see `kinds.py`).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("person"),
        db_index=False,  # (user, -created_at) below
    )
    kind = models.CharField(_("kind"), max_length=50)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    # The event it tells of, e.g. "order:12:ready": told once however often the event is raised.
    key = models.CharField(max_length=200)
    created_at = models.DateTimeField(_("when"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    # When the daily e-mail digest took it up (listed it, or passed it over because the person
    # wants that group otherwise); null: not yet. Claimed before sending, so never told twice.
    digested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            models.Index(
                fields=["user"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread",
            ),
        ]
        constraints = [models.UniqueConstraint(fields=["key"], name="notification_once")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.kind}"


class Channel(models.TextChoices):
    INAPP = "inapp", _("on the site and in the app")
    EMAIL = "email", _("e-mail")
    SMS = "sms", _("SMS")
    PUSH = "push", _("push notifications")


class Mode(models.TextChoices):
    OFF = "off", _("off")
    IMMEDIATELY = "immediately", _("immediately")
    DIGEST = "digest", _("once a day, in a digest")


class NotificationPreference(models.Model):
    """How a person wants one group of notifications on one channel. No row: the default
    (`preferences.DEFAULTS`), so the millions who never open the settings cost no rows."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        db_index=False,  # the unique (user, group, channel) below serves every lookup
    )
    kind_group = models.CharField(_("about"), max_length=20)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    mode = models.CharField(_("mode"), max_length=12, choices=Mode.choices)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind_group", "channel"], name="notification_preference_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.kind_group}/{self.channel}={self.mode}"


class PushSubscription(models.Model):
    """A browser's or phone's Web Push endpoint (the PushSubscription JSON of the Push API)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="push_subscriptions",
        verbose_name=_("person"),
    )
    endpoint = models.URLField(_("endpoint"), max_length=500, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("push subscription")
        verbose_name_plural = _("push subscriptions")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.endpoint[:60]}"


class DigestSent(models.Model):
    """That a person's daily e-mail digest went out on a day: at most one a day, however often
    the hourly task runs or retries."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField()
    items = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="one_digest_a_day")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.day}"
