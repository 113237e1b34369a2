"""Electronic House: the register of buildings, their premises and owners, and owners' meetings."""

from __future__ import annotations

from fractions import Fraction

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# --- The register: buildings, entrances, premises, who owns them, who lives there -------------

# Tells apart unregistered owners of the same name (Ownership.owner_code).
OWNER_CODE_MAX = 40


class Building(models.Model):
    """An apartment building whose owners hold meetings here.

    Its total area is not stored: it is the sum of its premises' areas (see
    `selectors.building_total_area`), so it can never disagree with the register.
    """

    address = models.CharField(_("address"), max_length=300)
    district = models.ForeignKey(
        "geo.District",
        on_delete=models.PROTECT,
        related_name="buildings",
        verbose_name=_("district"),
    )
    lat = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    lon = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    cadastral_number = models.CharField(_("cadastral number"), max_length=40, blank=True)
    administrators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="administered_buildings",
        verbose_name=_("administrators"),
    )
    documents_kept_at = models.CharField(
        _("meeting documents kept at"),
        max_length=300,
        blank=True,
        help_text=_(
            "Where the protocols and decisions of meetings are kept (Housing Code, art. 46)."
        ),
    )
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["address"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lat__isnull=True)
                | models.Q(lat__gte=-90, lat__lte=90, lon__gte=-180, lon__lte=180),
                name="house_building_on_earth",
            )
        ]

    def __str__(self) -> str:
        return self.address


class Entrance(models.Model):
    """An entrance (podyezd): some decisions count the owners of one entrance apart."""

    building = models.ForeignKey(
        Building, on_delete=models.CASCADE, related_name="entrances", verbose_name=_("building")
    )
    number = models.PositiveSmallIntegerField(_("number"))

    class Meta:
        verbose_name = _("entrance")
        verbose_name_plural = _("entrances")
        ordering = ["building", "number"]
        constraints = [
            models.UniqueConstraint(fields=["building", "number"], name="house_entrance_once"),
            models.CheckConstraint(
                condition=models.Q(number__gte=1), name="house_entrance_number_positive"
            ),
        ]

    def __str__(self) -> str:
        return _("entrance %(number)s") % {"number": self.number}


class Premises(models.Model):
    """An apartment or a non-residential premises; its area weighs its owners' votes."""

    class Kind(models.TextChoices):
        RESIDENTIAL = "residential", _("residential")
        NON_RESIDENTIAL = "non_residential", _("non-residential")

    # PROTECT: a register (and later the meetings counted on it) is not lost by deleting a
    # building by mistake; the premises go first, deliberately.
    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, related_name="premises", verbose_name=_("building")
    )
    entrance = models.ForeignKey(
        Entrance,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="premises",
        verbose_name=_("entrance"),
    )
    number = models.CharField(_("number"), max_length=20, help_text=_('e.g. "12", "12А", "Н-1"'))
    kind = models.CharField(
        _("kind"), max_length=20, choices=Kind.choices, default=Kind.RESIDENTIAL
    )
    area = models.DecimalField(_("area, m²"), max_digits=10, decimal_places=2)
    cadastral_number = models.CharField(_("cadastral number"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("premises")
        verbose_name_plural = _("premises")
        ordering = ["building", "number"]
        constraints = [
            models.UniqueConstraint(fields=["building", "number"], name="house_premises_once"),
            models.CheckConstraint(condition=models.Q(area__gt=0), name="house_premises_area"),
        ]

    def __str__(self) -> str:
        return _("%(building)s, premises %(number)s") % {
            "building": self.building,
            "number": self.number,
        }


class Ownership(models.Model):
    """A share in a premises, as the title (e.g. an extract from the state register) states it.

    Co-owners each have a row; their shares sum to at most 1. The register's services enforce
    the sum (a constraint cannot see the other rows).
    """

    premises = models.ForeignKey(
        Premises, on_delete=models.PROTECT, related_name="ownerships", verbose_name=_("premises")
    )
    # Empty: an owner from the register who has not signed up (or not been matched) yet.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ownerships",
        verbose_name=_("person"),
    )
    owner_name = models.CharField(_("owner as in the title"), max_length=300)
    # Owners not registered yet are told apart by name; two different people of the same name
    # in one building are told apart by this code (the same on all of one person's lines).
    owner_code = models.CharField(
        _("owner's code"),
        max_length=OWNER_CODE_MAX,
        blank=True,
        help_text=_(
            "Only for owners of the same name who are different people: give each a code "
            "(e.g. the last digits of their SNILS), the same on all of one person's lines."
        ),
    )
    share_numerator = models.PositiveIntegerField(_("share numerator"), default=1)
    share_denominator = models.PositiveIntegerField(_("share denominator"), default=1)
    title_document = models.CharField(
        _("title document"),
        max_length=300,
        blank=True,
        help_text=_('e.g. "ЕГРН 77:01:0001001:1234-77/011/2020-1"'),
    )
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("ownership")
        verbose_name_plural = _("ownerships")
        ordering = ["premises", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(share_numerator__gte=1), name="house_ownership_numerator"
            ),
            models.CheckConstraint(
                condition=models.Q(share_denominator__gte=1), name="house_ownership_denominator"
            ),
            models.CheckConstraint(
                condition=models.Q(share_numerator__lte=models.F("share_denominator")),
                name="house_ownership_share_at_most_whole",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.owner_name}: {self.share} ({self.premises})"

    @property
    def share(self) -> Fraction:
        return Fraction(self.share_numerator, self.share_denominator)


class Resident(models.Model):
    """Someone who lives in a building (an owner or a tenant): building surveys may ask them."""

    building = models.ForeignKey(
        Building, on_delete=models.CASCADE, related_name="residents", verbose_name=_("building")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="residences",
        verbose_name=_("person"),
    )
    premises = models.ForeignKey(
        Premises,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="residents",
        verbose_name=_("premises"),
    )
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        constraints = [
            models.UniqueConstraint(fields=["building", "user"], name="house_resident_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.building})"


class PremisesClaim(models.Model):
    """A person says they own (a share of) a premises; the building's administrator checks the
    title and confirms (an ownership is added) or rejects it with a reason."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        CONFIRMED = "confirmed", _("confirmed")
        REJECTED = "rejected", _("rejected")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="premises_claims",
        verbose_name=_("person"),
    )
    premises = models.ForeignKey(
        Premises, on_delete=models.CASCADE, related_name="claims", verbose_name=_("premises")
    )
    title_document = models.CharField(_("title document"), max_length=300)
    share_numerator = models.PositiveIntegerField(_("share numerator"), default=1)
    share_denominator = models.PositiveIntegerField(_("share denominator"), default=1)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    reason = models.TextField(_("reason for rejection"), blank=True)
    created_at = models.DateTimeField(_("submitted"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("premises claim")
        verbose_name_plural = _("premises claims")
        ordering = ["-created_at", "-id"]
        constraints = [
            # A second claim while the first waits would only be decided twice.
            models.UniqueConstraint(
                fields=["user", "premises"],
                condition=models.Q(status="pending"),
                name="house_claim_one_pending",
            ),
            models.CheckConstraint(
                condition=models.Q(share_numerator__gte=1)
                & models.Q(share_denominator__gte=1)
                & models.Q(share_numerator__lte=models.F("share_denominator")),
                name="house_claim_share",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.premises} ({self.get_status_display()})"

    @property
    def share(self) -> Fraction:
        return Fraction(self.share_numerator, self.share_denominator)


# --- Owners' meetings (Housing Code art. 44-48, 47.1) ------------------------------------------


class DecisionType(models.TextChoices):
    """How an agenda item is adopted (art. 46 part 1); the values are `counting`'s names."""

    MAJORITY_OF_PARTICIPANTS = "majority_of_participants", _("majority of the votes taking part")
    # The "%" signs below are percent signs, not formats.
    # xgettext:no-python-format
    MAJORITY_OF_ALL = "majority_of_all", _("more than 50 % of all votes")
    TWO_THIRDS_OF_ALL = "two_thirds_of_all", _("at least 2/3 of all votes")
    # xgettext:no-python-format
    ALL_OWNERS = "all_owners", _("100 % of the owners")
    ITEM_4_5 = (
        "item_4_5",
        # xgettext:no-python-format
        _("more than 50 % of all votes and at least 2/3 of the votes in the entrance"),
    )


class DecisionRule(models.Model):
    """Which decision type an agenda subject needs, and from when: the law changes, so staff
    keep this table and a meeting freezes its items' types when its notice is published."""

    subject = models.CharField(
        _("subject"),
        max_length=20,
        help_text=_('The item of art. 44 part 2 of the Housing Code, e.g. "1", "4.5"; "other".'),
    )
    title = models.CharField(_("title"), max_length=300)
    decision_type = models.CharField(
        _("decision type"), max_length=30, choices=DecisionType.choices
    )
    effective_from = models.DateField(_("in force from"))
    effective_until = models.DateField(_("in force until"), null=True, blank=True)

    class Meta:
        verbose_name = _("decision rule")
        verbose_name_plural = _("decision rules")
        ordering = ["subject", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "effective_from"], name="house_rule_once_per_date"
            ),
            models.CheckConstraint(
                condition=models.Q(effective_until__isnull=True)
                | models.Q(effective_until__gt=models.F("effective_from")),
                name="house_rule_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject}: {self.title}"


class Meeting(models.Model):
    """A general meeting of a building's owners held on the platform (art. 47.1)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        NOTICE = "notice", _("notice published")
        VOTING = "voting", _("voting")
        COUNTING = "counting", _("counting")
        PROTOCOL = "protocol", _("protocol published")
        CANCELLED = "cancelled", _("cancelled")

    class Form(models.TextChoices):
        ELECTRONIC = "electronic", _("electronic voting")
        MIXED = "mixed", _("electronic voting with paper ballots")

    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("building")
    )
    number = models.PositiveIntegerField(_("number"), help_text=_("The protocol's number."))
    title = models.CharField(_("title"), max_length=300)
    form = models.CharField(_("form"), max_length=20, choices=Form.choices, default=Form.ELECTRONIC)
    initiator_name = models.CharField(
        _("initiator"),
        max_length=300,
        help_text=_("As the protocol names them: an owner, or the managing organisation."),
    )
    initiator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("initiator's account"),
    )
    administrator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="meetings_administered",
        verbose_name=_("administrator of the meeting"),
    )
    place = models.CharField(
        _("place"),
        max_length=300,
        blank=True,
        help_text=_("Where paper ballots are handed in (a mixed meeting)."),
    )
    voting_starts_at = models.DateTimeField(_("voting starts"))
    voting_ends_at = models.DateTimeField(_("voting ends"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    notice_published_at = models.DateTimeField(_("notice published"), null=True, blank=True)
    # Frozen when voting starts, so that the count never moves with later register edits.
    total_area = models.DecimalField(
        _("total area, m²"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    entrance_areas = models.JSONField(_("areas of the entrances"), default=dict, blank=True)
    owners_total = models.PositiveIntegerField(_("owners"), null=True, blank=True)
    counted_at = models.DateTimeField(_("counted"), null=True, blank=True)
    protocol_published_at = models.DateTimeField(_("protocol published"), null=True, blank=True)
    cancelled_reason = models.TextField(_("reason for cancelling"), blank=True)
    log = models.OneToOneField(
        "transparency.Log",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meeting",
        verbose_name=_("transparency log"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("owners' meeting")
        verbose_name_plural = _("owners' meetings")
        ordering = ["-voting_starts_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["building", "number"], name="house_meeting_number"),
            models.CheckConstraint(
                condition=models.Q(voting_ends_at__gt=models.F("voting_starts_at")),
                name="house_meeting_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return _("Meeting no. %(number)s, %(building)s") % {
            "number": self.number,
            "building": self.building,
        }


class AgendaItem(models.Model):
    """A question on the agenda with the decision proposed; its decision type comes from the
    rule for its subject and is frozen when the notice is published."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="items", verbose_name=_("meeting")
    )
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("question"), max_length=500)
    proposal = models.TextField(_("proposed decision"), blank=True)
    subject = models.CharField(_("subject"), max_length=20, default="other")
    decision_type = models.CharField(
        _("decision type"), max_length=30, choices=DecisionType.choices, blank=True
    )
    entrance = models.PositiveSmallIntegerField(
        _("entrance"), null=True, blank=True, help_text=_("For an item 4.5 decision.")
    )

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["meeting", "number"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "number"], name="house_item_once"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="house_item_number"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


class RegisterEntry(models.Model):
    """One ownership as it stood when voting started: who may vote, with what weight."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="register", verbose_name=_("meeting")
    )
    ownership = models.ForeignKey(
        Ownership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person"),
    )
    owner_name = models.CharField(_("owner"), max_length=300)
    owner_code = models.CharField(_("owner's code"), max_length=OWNER_CODE_MAX, blank=True)
    premises_number = models.CharField(_("premises"), max_length=20)
    entrance = models.PositiveSmallIntegerField(_("entrance"), null=True, blank=True)
    area = models.DecimalField(_("area, m²"), max_digits=10, decimal_places=2)
    share_numerator = models.PositiveIntegerField()
    share_denominator = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("register entry")
        verbose_name_plural = _("register entries")
        ordering = ["meeting", "premises_number", "id"]
        indexes = [models.Index(fields=["meeting", "owner"])]

    def __str__(self) -> str:
        return f"{self.owner_name}: {self.premises_number} ({self.share})"

    @property
    def share(self) -> Fraction:
        return Fraction(self.share_numerator, self.share_denominator)

    @property
    def weight(self) -> Fraction:
        return Fraction(self.area) * self.share


class MeetingBallot(models.Model):
    """An owner's decisions on every item: cast on the platform, or a paper ballot entered by
    the administrator with a reference to its scan. Never updated or deleted."""

    class Channel(models.TextChoices):
        ELECTRONIC = "electronic", _("on the platform")
        PAPER = "paper", _("paper ballot")

    meeting = models.ForeignKey(
        Meeting, on_delete=models.PROTECT, related_name="ballots", verbose_name=_("meeting")
    )
    public_id = models.CharField(_("ballot id"), max_length=40, unique=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person"),
    )
    owner_name = models.CharField(_("owner"), max_length=300)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    decisions = models.JSONField(_("decisions"), help_text=_("Item number → for/against/abstain."))
    scan_reference = models.CharField(_("scan of the paper ballot"), max_length=300, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )
    content = models.TextField(_("canonical content"))
    leaf_hash = models.CharField(_("leaf hash"), max_length=64)
    idempotency_key = models.CharField(max_length=200, blank=True)
    cast_at = models.DateTimeField(_("cast"))

    class Meta:
        verbose_name = _("meeting ballot")
        verbose_name_plural = _("meeting ballots")
        ordering = ["meeting", "cast_at", "id"]

    def __str__(self) -> str:
        return f"{self.owner_name} ({self.get_channel_display()})"


class BallotLine(models.Model):
    """Which register entry a ballot votes with: one ballot per entry, by a unique key, so an
    owner (or a co-owner's share) decides once whatever the channel."""

    ballot = models.ForeignKey(MeetingBallot, on_delete=models.PROTECT, related_name="lines")
    entry = models.OneToOneField(RegisterEntry, on_delete=models.PROTECT, related_name="line")

    class Meta:
        verbose_name = _("ballot line")
        verbose_name_plural = _("ballot lines")

    def __str__(self) -> str:
        return f"{self.ballot_id} → {self.entry_id}"


# --- Owners' demands and announcements ---------------------------------------------------------


class MeetingDemand(models.Model):
    """Owners ask for a meeting (art. 45 part 2): once the owners who signed hold at least 10 %
    of all votes, the building's administrators must call it and are told."""

    class Status(models.TextChoices):
        COLLECTING = "collecting", _("collecting signatures")
        # xgettext:no-python-format
        REACHED = "reached", _("10 % reached")
        CLOSED = "closed", _("closed")

    building = models.ForeignKey(
        Building, on_delete=models.CASCADE, related_name="demands", verbose_name=_("building")
    )
    agenda = models.TextField(_("questions for the meeting"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("started by"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.COLLECTING
    )
    created_at = models.DateTimeField(_("started"), default=timezone.now)
    # xgettext:no-python-format
    reached_at = models.DateTimeField(_("10 % reached"), null=True, blank=True)

    class Meta:
        verbose_name = _("demand for a meeting")
        verbose_name_plural = _("demands for a meeting")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.building}: {self.agenda[:60]}"


class DemandSignature(models.Model):
    demand = models.ForeignKey(MeetingDemand, on_delete=models.CASCADE, related_name="signatures")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    signed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        constraints = [
            models.UniqueConstraint(fields=["demand", "user"], name="house_demand_signed_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.demand_id}"


class Announcement(models.Model):
    """An administrator's message to everyone in a building: owners and tenants."""

    building = models.ForeignKey(
        Building,
        on_delete=models.CASCADE,
        related_name="announcements",
        verbose_name=_("building"),
    )
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("published"), default=timezone.now)

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title
