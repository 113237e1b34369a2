"""Points: each person's account, the append-only ledger that sums to it, status levels."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from activecitizen.core.models import LocalizedNameMixin


class PointsAccount(models.Model):
    """A person's points. `balance` always equals the sum of the account's ledger entries."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="points_account",
        verbose_name=_("person"),
    )
    balance = models.BigIntegerField(_("balance"), default=0)
    # Everything ever earned: status levels follow it, spending does not lower it.
    lifetime = models.BigIntegerField(_("earned in all"), default=0)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        permissions = [("adjust_points", _("Can correct a points balance"))]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(balance__gte=0), name="points_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(lifetime__gte=0), name="points_lifetime_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.balance}"


class LedgerEntry(models.Model):
    """One movement of points. Never updated or deleted; a refund is a new entry."""

    class Reason(models.TextChoices):
        POLL = "poll", _("taking part in a poll")
        NOVELTY_RATING = "novelty_rating", _("rating a city novelty")
        QUIZ = "quiz", _("a quiz")
        PROPOSAL = "proposal", _("a published proposal")
        ORDER = "order", _("a reward ordered")
        REFUND = "refund", _("a refund")
        CAMPAIGN = "campaign", _("a campaign")
        ADJUSTMENT = "adjustment", _("a correction by staff")

    # (account, -created_at) below serves lookups by account.
    account = models.ForeignKey(
        PointsAccount,
        on_delete=models.PROTECT,
        related_name="entries",
        verbose_name=_("account"),
        db_index=False,
    )
    amount = models.BigIntegerField(_("points"))
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    # What the points were for, e.g. "poll:12" or "order:981": shown in the history.
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    # The same operation retried (a double click, a race) finds its entry and credits nothing.
    # Unique by a constraint, not unique=True: no extra LIKE index on PostgreSQL.
    idempotency_key = models.CharField(max_length=200)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "-created_at"])]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="ledger_amount_not_zero"),
            models.UniqueConstraint(fields=["idempotency_key"], name="ledger_idempotency_key"),
        ]

    def __str__(self) -> str:
        return f"{self.amount:+d} {self.reason} {self.reference}"

    @property
    def magnitude(self) -> int:
        """The number of points moved, without the sign (pages show the sign apart)."""
        return abs(self.amount)


class StatusLevel(LocalizedNameMixin, models.Model):
    """A status a person reaches by the points earned in all ("Active citizen" at 1,000).

    Staff edit the levels; a person's status is the highest level whose threshold their
    lifetime points reach, so spending points never lowers it.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_ru = models.CharField(_("name (Russian)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80)
    min_lifetime_points = models.BigIntegerField(_("points earned in all to reach it"), unique=True)

    class Meta:
        verbose_name = _("status level")
        verbose_name_plural = _("status levels")
        ordering = ["min_lifetime_points"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_lifetime_points__gte=0),
                name="status_level_threshold_not_negative",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Adjustment(models.Model):
    """Who corrected a balance by hand, and why: the ledger entry alone cannot say."""

    entry = models.OneToOneField(
        LedgerEntry,
        on_delete=models.PROTECT,
        related_name="adjustment",
        verbose_name=_("ledger entry"),
    )
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="points_adjustments_made",
        verbose_name=_("made by"),
    )
    note = models.CharField(_("why"), max_length=500)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("points correction")
        verbose_name_plural = _("points corrections")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.entry} ({self.made_by})"
