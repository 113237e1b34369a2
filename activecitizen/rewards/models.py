"""Points: one account per person and the append-only ledger whose sum is its balance."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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

    account = models.ForeignKey(
        PointsAccount, on_delete=models.PROTECT, related_name="entries", verbose_name=_("account")
    )
    amount = models.BigIntegerField(_("points"))
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    # What the points were for, e.g. "poll:12" or "order:981": shown in the history.
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    # The same operation retried (a double click, a race) finds its entry and credits nothing.
    idempotency_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "-created_at"])]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="ledger_amount_not_zero")
        ]

    def __str__(self) -> str:
        return f"{self.amount:+d} {self.reason} {self.reference}"
