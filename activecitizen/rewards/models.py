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


# --- The shop: partners, their issue points, rewards, orders -----------------------------------


class Partner(models.Model):
    """An organisation that gives rewards for points: a theatre, a museum, a bike hire, an NGO."""

    class Kind(models.TextChoices):
        BUSINESS = "business", _("business")
        CITY = "city", _("city organisation")
        CHARITY = "charity", _("charity (NGO)")

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.BUSINESS)
    description = models.TextField(_("description"), blank=True)
    contact_name = models.CharField(_("contact person"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    website = models.URLField(_("website"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # A charity's account: the points people donated through its rewards. It moves only in the
    # transaction that takes them from the donor, once per order (see Donation).
    points_received = models.BigIntegerField(_("points received"), default=0)
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["name"]
        permissions = [("view_partner_report", _("Can download partner reports"))]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(points_received__gte=0), name="partner_points_not_negative"
            )
        ]

    def __str__(self) -> str:
        return self.name


class PartnerMember(models.Model):
    """Who works for a partner: a manager keeps its catalogue, a cashier issues vouchers."""

    class Role(models.TextChoices):
        MANAGER = "manager", _("manager")
        CASHIER = "cashier", _("cashier")

    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="members", verbose_name=_("partner")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="partner_memberships",
        verbose_name=_("person"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.CASHIER)

    class Meta:
        verbose_name = _("partner staff member")
        verbose_name_plural = _("partner staff")
        constraints = [
            models.UniqueConstraint(fields=["partner", "user"], name="partner_member_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.partner})"


class IssuePoint(models.Model):
    """Where a partner hands rewards over: a box office, a museum desk, a hire station."""

    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="issue_points", verbose_name=_("partner")
    )
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=300)
    district = models.ForeignKey(
        "geo.District",
        on_delete=models.PROTECT,
        related_name="issue_points",
        verbose_name=_("district"),
    )
    lat = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    lon = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)
    opening_hours = models.CharField(
        _("opening hours"), max_length=300, blank=True, help_text=_("e.g. Mon–Fri 10:00–20:00")
    )
    is_active = models.BooleanField(_("open"), default=True)

    class Meta:
        verbose_name = _("issue point")
        verbose_name_plural = _("issue points")
        ordering = ["partner__name", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lat__gte=-90, lat__lte=90, lon__gte=-180, lon__lte=180),
                name="issue_point_on_earth",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.address}"


class Campaign(models.Model):
    """A time-boxed offer ("Million prizes"): its rewards are open only to people who took part
    in the given activities, with its own per-person limit.

    The activities are named by the references their points carry in the ledger ("poll:12"):
    the shop does not know polls, it knows who was credited for what.
    """

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    qualifying_references = models.TextField(
        _("who qualifies"),
        help_text=_(
            'One per line, as the points history names them: "poll:12" opens the campaign to '
            "everyone who took part in poll 12."
        ),
    )
    per_person_limit = models.PositiveSmallIntegerField(_("orders per person"), default=1)
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="campaign_ends_after"
            ),
            models.CheckConstraint(
                condition=models.Q(per_person_limit__gte=1), name="campaign_limit_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def references(self) -> list[str]:
        return [line.strip() for line in self.qualifying_references.splitlines() if line.strip()]

    def is_running(self, now=None) -> bool:
        now = now or timezone.now()
        return self.starts_at <= now < self.ends_at


class Reward(models.Model):
    """Something points buy. Picked up at an issue point, or a promo code, or a donation."""

    class Category(models.TextChoices):
        TICKETS = "tickets", _("theatre and museum tickets")
        TRANSPORT = "transport", _("transport and parking")
        BIKES = "bikes", _("bike rental")
        SOUVENIRS = "souvenirs", _("souvenirs")
        PROMO_CODES = "promo_codes", _("e-promo codes")
        CHARITY = "charity", _("charity")

    class Delivery(models.TextChoices):
        PICK_UP = "pick_up", _("picked up at an issue point")
        PROMO_CODE = "promo_code", _("an e-promo code shown at once")
        DONATION = "donation", _("a donation to the partner")

    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="rewards", verbose_name=_("partner")
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    image = models.ImageField(_("image"), upload_to="rewards/", blank=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    delivery = models.CharField(
        _("how it is received"), max_length=20, choices=Delivery.choices, default=Delivery.PICK_UP
    )
    price = models.PositiveIntegerField(_("price in points"))
    per_person_limit = models.PositiveSmallIntegerField(
        _("limit per person"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    sale_starts_at = models.DateTimeField(_("on sale from"), null=True, blank=True)
    sale_ends_at = models.DateTimeField(_("on sale until"), null=True, blank=True)
    voucher_valid_days = models.PositiveSmallIntegerField(
        _("days to pick up"),
        default=14,
        help_text=_("How long a voucher stays valid after the order is ready."),
    )
    needs_preparation = models.BooleanField(
        _("needs preparation"),
        default=False,
        help_text=_(
            "The partner marks each order ready for pick-up; otherwise it is ready at once."
        ),
    )
    min_status = models.ForeignKey(
        StatusLevel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("minimum status"),
    )
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rewards",
        verbose_name=_("campaign"),
        help_text=_("Set: only people the campaign qualifies may order it, while it runs."),
    )
    is_published = models.BooleanField(_("published"), default=False)
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        ordering = ["-created_at", "-id"]
        # The catalogue's orders: newest first (the default), and by price, within a category
        # or across all.
        indexes = [
            models.Index(fields=["is_published", "-created_at", "-id"]),
            models.Index(fields=["is_published", "category", "price"]),
            models.Index(fields=["is_published", "price"]),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gte=1), name="reward_price_positive"),
            models.CheckConstraint(
                condition=models.Q(sale_ends_at__isnull=True)
                | models.Q(sale_starts_at__isnull=True)
                | models.Q(sale_ends_at__gt=models.F("sale_starts_at")),
                name="reward_sale_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(voucher_valid_days__gte=1), name="reward_voucher_valid_days"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def on_sale(self, now=None) -> bool:
        now = now or timezone.now()
        if self.sale_starts_at and now < self.sale_starts_at:
            return False
        return not (self.sale_ends_at and now >= self.sale_ends_at)


class Stock(models.Model):
    """How many units of a reward an issue point still has. Never below zero."""

    reward = models.ForeignKey(
        Reward, on_delete=models.CASCADE, related_name="stock", verbose_name=_("reward")
    )
    issue_point = models.ForeignKey(
        IssuePoint, on_delete=models.PROTECT, related_name="stock", verbose_name=_("issue point")
    )
    quantity = models.IntegerField(_("units left"), default=0)

    class Meta:
        verbose_name = _("stock")
        verbose_name_plural = _("stock")
        constraints = [
            models.UniqueConstraint(fields=["reward", "issue_point"], name="stock_once_per_point"),
            models.CheckConstraint(condition=models.Q(quantity__gte=0), name="stock_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.reward} @ {self.issue_point}: {self.quantity}"


class Order(models.Model):
    """A person's order of a reward, and its voucher."""

    class Status(models.TextChoices):
        RESERVED = "reserved", _("reserved")
        READY = "ready", _("ready for pick-up")
        ISSUED = "issued", _("issued")
        CANCELLED = "cancelled", _("cancelled")
        EXPIRED = "expired", _("expired")

    OPEN = (Status.RESERVED, Status.READY)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("person"),
        db_index=False,  # (user, -created_at) below
    )
    reward = models.ForeignKey(
        Reward, on_delete=models.PROTECT, related_name="orders", verbose_name=_("reward")
    )
    issue_point = models.ForeignKey(
        IssuePoint,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("issue point"),
    )
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("campaign"),
    )
    price = models.PositiveIntegerField(_("points paid"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    # 16 characters of a 32-letter alphabet: 80 random bits, typed at a desk when a camera fails.
    voucher_code = models.CharField(_("voucher code"), max_length=16, unique=True)
    # The client's Idempotency-Key: the same request repeated finds this order.
    idempotency_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(_("ordered"), default=timezone.now)
    ready_at = models.DateTimeField(_("ready"), null=True, blank=True)
    valid_until = models.DateTimeField(_("pick up by"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    closed_at = models.DateTimeField(_("cancelled or expired"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        permissions = [("cancel_any_order", _("Can cancel and refund anyone's order"))]
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            models.Index(fields=["status", "valid_until"]),
            models.Index(fields=["reward", "status"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="order_idempotency_key",
            ),
            models.CheckConstraint(condition=models.Q(price__gte=1), name="order_price_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.reward} — {self.user} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def voucher_display(self) -> str:
        """The code in groups of four, as people read it aloud."""
        code = self.voucher_code
        return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


class PromoCode(models.Model):
    """One e-promo code of a reward's pool; it belongs to an order once ordered."""

    reward = models.ForeignKey(
        Reward, on_delete=models.CASCADE, related_name="promo_codes", verbose_name=_("reward")
    )
    code = models.CharField(_("code"), max_length=100)
    order = models.OneToOneField(
        Order,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="promo_code",
        verbose_name=_("order"),
    )
    added_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("promo code")
        verbose_name_plural = _("promo codes")
        constraints = [
            models.UniqueConstraint(fields=["reward", "code"], name="promo_code_once_per_reward")
        ]
        indexes = [
            models.Index(
                fields=["reward"], condition=models.Q(order__isnull=True), name="promo_code_free"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reward}: {self.code[:4]}…"


class Donation(models.Model):
    """Points a person gave to a charity through an order: one per order, never undone."""

    order = models.OneToOneField(
        Order, on_delete=models.PROTECT, related_name="donation", verbose_name=_("order")
    )
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="donations", verbose_name=_("charity")
    )
    amount = models.PositiveIntegerField(_("points"))
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("donation")
        verbose_name_plural = _("donations")

    def __str__(self) -> str:
        return f"{self.amount} → {self.partner}"


class OrderEvent(models.Model):
    """Who did what to an order, and when: placed, ready, looked up at a desk, issued …"""

    class Action(models.TextChoices):
        PLACED = "placed", _("placed")
        READY = "ready", _("marked ready")
        CHECKED = "checked", _("looked up at a desk")
        ISSUED = "issued", _("issued")
        CANCELLED = "cancelled", _("cancelled")
        EXPIRED = "expired", _("expired")
        REFUNDED = "refunded", _("refunded")
        REMINDED = "reminded", _("reminded to pick up")

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="events", verbose_name=_("order")
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
        help_text=_("Empty: the system (a scheduled task)."),
    )
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.get_action_display()}"
