"""Votes: polls with their questions and audience, who took part, the anonymous ballots, tallies."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from activecitizen.core.models import TimeStampedModel


class Poll(TimeStampedModel):
    class Category(models.TextChoices):
        TRANSPORT = "transport", _("transport")
        PARKS = "parks", _("parks and courtyards")
        HEALTHCARE = "healthcare", _("healthcare")
        CULTURE = "culture", _("culture")
        HOUSING = "housing", _("housing and utilities")
        EDUCATION = "education", _("education")
        ECOLOGY = "ecology", _("ecology")
        SPORT = "sport", _("sport")
        SAFETY = "safety", _("safety")
        CITY = "city", _("city life")

    class Scope(models.TextChoices):
        CITY = "city", _("city-wide")
        SECTORAL = "sectoral", _("sectoral")
        DISTRICT = "district", _("district")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SCHEDULED = "scheduled", _("scheduled")
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")
        PUBLISHED = "published", _("results published")
        ARCHIVED = "archived", _("archived")

    class Results(models.TextChoices):
        LIVE = "live", _("live, while the poll is open")
        AFTER_CLOSE = "after_close", _("only after the poll closes")

    class DistrictMatch(models.TextChoices):
        HOME = "home", _("home district")
        WORK = "work", _("work district")
        EITHER = "either", _("home or work district")

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    image = models.ImageField(_("image"), upload_to="polls/", blank=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices, default=Scope.CITY)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    points = models.PositiveIntegerField(_("points for taking part"), default=20)
    results_visibility = models.CharField(
        _("results shown"), max_length=12, choices=Results.choices, default=Results.LIVE
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    # Audience: every rule that is set must hold; an empty rule admits everyone.
    audience_okrugs = models.ManyToManyField(
        "geo.Okrug", blank=True, related_name="+", verbose_name=_("okrugs")
    )
    audience_districts = models.ManyToManyField(
        "geo.District", blank=True, related_name="+", verbose_name=_("districts")
    )
    district_match = models.CharField(
        _("okrugs and districts are matched against"),
        max_length=10,
        choices=DistrictMatch.choices,
        default=DistrictMatch.EITHER,
    )
    age_min = models.PositiveSmallIntegerField(_("youngest age"), null=True, blank=True)
    age_max = models.PositiveSmallIntegerField(_("oldest age"), null=True, blank=True)
    audience_gender = models.CharField(
        _("gender"),
        max_length=10,
        blank=True,
        choices=[("female", _("female")), ("male", _("male"))],
    )
    audience_interests = models.ManyToManyField(
        "accounts.Interest",
        blank=True,
        related_name="+",
        verbose_name=_("interests (any of)"),
    )
    min_verification = models.PositiveSmallIntegerField(
        _("verification needed"),
        choices=[(1, _("phone confirmed")), (2, _("resident verified"))],
        default=1,
    )

    # Set by another section for a poll of its own people only, e.g. "building:12" (a building
    # survey); the section registers who that is (polls.audience.register_restriction).
    audience_restriction = models.CharField(
        _("only for"), max_length=60, blank=True, editable=False
    )

    # Kept by the tally: how many ballots are counted in the published numbers.
    ballots_counted = models.PositiveIntegerField(_("ballots counted"), default=0)

    class Meta:
        verbose_name = _("poll")
        verbose_name_plural = _("polls")
        ordering = ["-opens_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="poll_closes_after_it_opens",
            ),
            models.CheckConstraint(
                condition=models.Q(age_min__isnull=True)
                | models.Q(age_max__isnull=True)
                | models.Q(age_max__gte=models.F("age_min")),
                name="poll_age_range_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def origin(self) -> str:
        """The name of this poll's ballots in public: receipts and the log say it."""
        return poll_origin(self.pk)

    @property
    def is_frozen(self) -> bool:
        """Questions and options cannot change once the poll has opened."""
        return self.status not in {self.Status.DRAFT, self.Status.SCHEDULED}


def poll_origin(poll_id: int) -> str:
    """A poll's origin from its id alone: a receipt shown again needs no query for it."""
    return f"{settings.TRANSPARENCY_ORIGIN_PREFIX}/poll/{poll_id}"


def poll_log_name(poll_id: int) -> str:
    """The poll's log's name in URLs (/api/v1/transparency/logs/<name>/…)."""
    return f"poll-{poll_id}"


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("one answer")
        MULTIPLE = "multiple", _("several answers")

    poll = models.ForeignKey(
        Poll, on_delete=models.CASCADE, related_name="questions", verbose_name=_("poll")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    text = models.CharField(_("question"), max_length=500)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.SINGLE)
    min_choices = models.PositiveSmallIntegerField(_("at least"), default=1)
    max_choices = models.PositiveSmallIntegerField(_("at most"), default=1)
    required = models.BooleanField(_("required"), default=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text


class Option(models.Model):
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="options", verbose_name=_("question")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    text = models.CharField(_("answer"), max_length=300)
    image = models.ImageField(_("image"), upload_to="polls/options/", blank=True)
    # "Your own answer": choosing it asks for a text.
    free_text = models.BooleanField(_("own answer"), default=False)

    class Meta:
        verbose_name = _("answer option")
        verbose_name_plural = _("answer options")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text


class Channel(models.TextChoices):
    WEB = "web", _("web site")
    APP = "app", _("mobile app")
    SERVICE_CENTRE = "service_centre", _("public service centre")


class Participation(models.Model):
    """That a person took part in a poll. The unique pair is the one-person-one-ballot rule.

    It keeps the person's receipt so that "My votes" can show it again; the ballot itself
    (in `Ballot`) carries no person.
    """

    # No index of their own: "one_ballot_per_person" (poll, user) and (user, -cast_at) below
    # serve every lookup, and each index is one more write per ballot.
    poll = models.ForeignKey(
        Poll, on_delete=models.PROTECT, related_name="participations", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="participations",
        db_index=False,
    )
    cast_at = models.DateTimeField(_("voted at"))
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    ballot_public_id = models.CharField(_("ballot id"), max_length=32)
    ballot_hash = models.CharField(_("ballot hash"), max_length=64)
    leaf_hash = models.CharField(_("leaf hash"), max_length=64)
    idempotency_key = models.CharField(max_length=200, blank=True)
    assisted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assisted_participations",
        verbose_name=_("service centre officer"),
        db_index=False,  # the partial index below holds only assisted ballots
    )

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        permissions = [
            ("assist_voting", _("Can cast a resident's ballot at a public service centre")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["poll", "user"], name="one_ballot_per_person")
        ]
        indexes = [
            models.Index(fields=["user", "-cast_at"]),
            models.Index(
                fields=["assisted_by"],
                condition=models.Q(assisted_by__isnull=False),
                name="assisted_participations",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.poll_id}"


class Ballot(models.Model):
    """One anonymous ballot: the answers and a coarse demographic snapshot, never the person.

    `content` holds the ballot's canonical bytes (RFC 8785 JSON); its SHA-256 is the receipt's
    ballot hash. Ballots are never updated or deleted.
    """

    # (poll, id) below serves lookups by poll; a constraint rather than unique=True spares
    # PostgreSQL the extra LIKE index Django adds for unique text columns.
    poll = models.ForeignKey(Poll, on_delete=models.PROTECT, related_name="ballots", db_index=False)
    public_id = models.CharField(_("ballot id"), max_length=32)
    content = models.TextField(_("canonical content"))
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    okrug_id = models.IntegerField(null=True)
    district_id = models.IntegerField(null=True)
    age_band = models.CharField(max_length=8)
    gender = models.CharField(max_length=10)
    cast_at = models.DateTimeField()

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        indexes = [models.Index(fields=["poll", "id"])]
        constraints = [models.UniqueConstraint(fields=["public_id"], name="ballot_id_unique")]

    def __str__(self) -> str:
        return self.public_id


class FreeTextAnswer(models.Model):
    """An "own answer" written on a ballot: seen by editors, published only after moderation."""

    class Moderation(models.TextChoices):
        PENDING = "pending", _("waiting for moderation")
        PUBLISHED = "published", _("published")
        REJECTED = "rejected", _("rejected")

    poll = models.ForeignKey(Poll, on_delete=models.PROTECT, related_name="free_texts")
    option = models.ForeignKey(Option, on_delete=models.PROTECT, related_name="free_texts")
    text = models.TextField(_("text"))
    moderation = models.CharField(
        _("moderation"), max_length=10, choices=Moderation.choices, default=Moderation.PENDING
    )
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("own answer")
        verbose_name_plural = _("own answers")

    def __str__(self) -> str:
        return self.text[:60]


class Tally(models.Model):
    """Pre-aggregated counts: results never scan the ballots.

    One row per (poll, question, option, dimension, value). Option 0 counts the respondents
    to the question instead of a choice; question 0 and option 0 count all ballots.
    Dimensions: total (value "all"), okrug, district, age_band, gender, channel.
    """

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="tallies")
    question_id = models.IntegerField(default=0)  # 0: all ballots
    option_id = models.IntegerField(default=0)  # 0: the respondents, not a choice
    dimension = models.CharField(max_length=10)
    value = models.CharField(max_length=20)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["poll", "question_id", "option_id", "dimension", "value"],
                name="one_tally_per_cell",
            )
        ]

    def __str__(self) -> str:
        return f"{self.poll_id}/{self.question_id}/{self.option_id} {self.dimension}={self.value}"
