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
