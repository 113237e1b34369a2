"""Decisions: what the city did after a vote, a discussion or a novelty's ratings — the work, its
steps and progress, the reports along the way, and where it happens."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from activecitizen.discussions.models import Project
from activecitizen.geo.models import District
from activecitizen.novelties.models import Novelty
from activecitizen.polls.models import Poll

TITLE_MAX_LENGTH = 200
DEPARTMENT_MAX_LENGTH = 200
REASON_MAX_LENGTH = 1000
UPDATE_MAX_LENGTH = 5000


class Status(models.TextChoices):
    PLANNED = "planned", _("planned")
    IN_PROGRESS = "in_progress", _("in progress")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")


# The categories of polls, so that a decision sits under the same heading as the vote behind it.
Category = Poll.Category


class Decision(models.Model):
    """Something the city decided to do, and how far it has got.

    Its source is at most one of a poll, a discussion project or a novelty (or none: a decision
    the city took on its own). The status moves only through `services.set_status`.
    """

    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    description = models.TextField(_("description"), blank=True)
    poll = models.ForeignKey(
        Poll,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="decisions",
        verbose_name=_("poll"),
    )
    project = models.ForeignKey(
        Project,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="decisions",
        verbose_name=_("discussion project"),
    )
    novelty = models.ForeignKey(
        Novelty,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="decisions",
        verbose_name=_("city novelty"),
    )
    department = models.CharField(
        _("responsible department"), max_length=DEPARTMENT_MAX_LENGTH, blank=True
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PLANNED
    )
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    planned_finish = models.DateField(_("planned finish"), null=True, blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    lat = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    lon = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    districts = models.ManyToManyField(
        District, blank=True, related_name="decisions", verbose_name=_("districts")
    )
    is_published = models.BooleanField(_("published"), default=False)
    # When the people living within 1 km of the decision's point were told of it (once).
    neighbours_told_at = models.DateTimeField(
        _("neighbours told at"), null=True, blank=True, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~(Q(poll__isnull=False) & Q(project__isnull=False))
                & ~(Q(poll__isnull=False) & Q(novelty__isnull=False))
                & ~(Q(project__isnull=False) & Q(novelty__isnull=False)),
                name="decisions_at_most_one_source",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(cancel_reason=""),
                name="decisions_cancelled_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(done_on__isnull=False),
                name="decisions_done_has_date",
            ),
            models.CheckConstraint(
                condition=Q(lat__isnull=True, lon__isnull=True)
                | Q(
                    lat__isnull=False,
                    lon__isnull=False,
                    lat__gte=-90,
                    lat__lte=90,
                    lon__gte=-180,
                    lon__lte=180,
                ),
                name="decisions_point_complete_and_in_range",
            ),
            models.CheckConstraint(
                condition=Q(planned_start__isnull=True)
                | Q(planned_finish__isnull=True)
                | Q(planned_finish__gte=models.F("planned_start")),
                name="decisions_finish_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["is_published", "status"], name="decisions_published_status"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def has_point(self) -> bool:
        return self.lat is not None and self.lon is not None


class DecisionStep(models.Model):
    """A part of the work; its weight says how much of the whole it is."""

    decision = models.ForeignKey(
        Decision, on_delete=models.CASCADE, related_name="steps", verbose_name=_("decision")
    )
    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    weight = models.PositiveIntegerField(_("weight"), default=1)
    percent = models.PositiveSmallIntegerField(_("percent done"), default=0)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gte=1), name="decisions_step_weight_positive"
            ),
            models.CheckConstraint(
                condition=Q(percent__gte=0, percent__lte=100), name="decisions_step_percent_0_100"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.percent == 100


class DecisionUpdate(models.Model):
    """A report on the work for residents: what happened, perhaps with a photo."""

    decision = models.ForeignKey(
        Decision, on_delete=models.CASCADE, related_name="updates", verbose_name=_("decision")
    )
    text = models.TextField(_("text"), max_length=UPDATE_MAX_LENGTH)
    photo = models.ImageField(_("photo"), upload_to="decisions/", blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("update")
        verbose_name_plural = _("updates")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.decision_id} · {self.created_at:%Y-%m-%d}"
