"""Public discussions of urban planning projects (Town Planning Code of the RF, art. 5.1):
the project with its stages and documents, and the proposals participants make."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Stage(models.TextChoices):
    """The stages of a discussion in the order art. 5.1 part 4 lists them."""

    NOTICE = "notice", _("notice published")
    EXPOSITION = "exposition", _("exposition")
    PROPOSALS = "proposals", _("collecting proposals")
    PROTOCOL = "protocol", _("protocol")
    CONCLUSION = "conclusion", _("conclusion")


class Project(models.Model):
    """A planning project put to public discussion; its stage follows from its dates."""

    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"))
    organiser = models.CharField(
        _("organiser"),
        max_length=300,
        help_text=_("The body holding the discussion."),
    )
    districts = models.ManyToManyField(
        "geo.District",
        related_name="planning_projects",
        verbose_name=_("districts of the territory"),
    )
    lat = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    lon = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    notice_published_at = models.DateTimeField(_("notice published at"))
    exposition_opens_at = models.DateTimeField(_("exposition opens at"))
    exposition_closes_at = models.DateTimeField(_("exposition closes at"))
    proposals_open_at = models.DateTimeField(_("proposals accepted from"))
    proposals_close_at = models.DateTimeField(_("proposals accepted until"))
    protocol_at = models.DateTimeField(_("protocol date"))
    conclusion_at = models.DateTimeField(_("conclusion date"))
    conclusion_text = models.TextField(
        _("recommendations of the organiser"),
        blank=True,
        help_text=_(
            "The organiser's reasoned recommendations on the proposals, printed in the "
            "conclusion (art. 5.1 part 22)."
        ),
    )
    is_published = models.BooleanField(_("published"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # When the people living within 1 km of the project's point were told of it (once).
    neighbours_told_at = models.DateTimeField(
        _("neighbours told at"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("planning project")
        verbose_name_plural = _("planning projects")
        ordering = ["-proposals_open_at", "-pk"]
        constraints = [
            # The stages follow one another (art. 5.1 part 4); a stage that ended before it
            # began would make the derived stage meaningless.
            models.CheckConstraint(
                condition=Q(exposition_opens_at__gte=F("notice_published_at"))
                & Q(exposition_closes_at__gte=F("exposition_opens_at"))
                & Q(proposals_open_at__gte=F("notice_published_at"))
                & Q(proposals_close_at__gt=F("proposals_open_at"))
                & Q(protocol_at__gte=F("proposals_close_at"))
                & Q(conclusion_at__gte=F("protocol_at")),
                name="discussions_project_stages_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def stage_at(self, moment: datetime | None = None) -> str:
        now = moment or timezone.now()
        if now >= self.conclusion_at:
            return Stage.CONCLUSION
        if now >= self.proposals_close_at:
            # Between the close of collection and the protocol's date the protocol is prepared.
            return Stage.PROTOCOL
        if now >= self.proposals_open_at:
            return Stage.PROPOSALS
        if now >= self.exposition_opens_at:
            return Stage.EXPOSITION
        return Stage.NOTICE

    @property
    def stage(self) -> str:
        return self.stage_at()

    @property
    def stage_label(self) -> str:
        return str(Stage(self.stage).label)

    def is_collecting(self, moment: datetime | None = None) -> bool:
        now = moment or timezone.now()
        return self.proposals_open_at <= now < self.proposals_close_at

    def protocol_is_public(self, moment: datetime | None = None) -> bool:
        return (moment or timezone.now()) >= self.protocol_at

    def conclusion_is_public(self, moment: datetime | None = None) -> bool:
        return (moment or timezone.now()) >= self.conclusion_at


def document_path(instance: ProjectDocument, filename: str) -> str:
    return f"discussions/projects/{instance.project_id}/{filename}"


def attachment_path(instance: Proposal, filename: str) -> str:
    return f"discussions/proposals/{instance.project_id}/{filename}"


class ProjectDocument(models.Model):
    """A material of the exposition: drawings, explanatory notes (PDF or an image)."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="documents", verbose_name=_("project")
    )
    title = models.CharField(_("title"), max_length=300)
    file = models.FileField(_("file"), upload_to=document_path, max_length=300)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("project document")
        verbose_name_plural = _("project documents")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.title


class ParticipantType(models.TextChoices):
    """Who may take part (art. 5.1 part 2)."""

    RESIDENT = "resident", _("resident of the territory")
    WORKER = "worker", _("works on the territory")
    RIGHTS_HOLDER = "rights_holder", _("holder of rights to land or premises there")
    DEPUTY = "deputy", _("deputy")


class Stance(models.TextChoices):
    SUPPORT = "support", _("support")
    OBJECTION = "objection", _("objection")
    AMENDMENT = "amendment", _("amendment")


class Proposal(models.Model):
    """A participant's proposal or remark on a project; public once a moderator publishes it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting moderation")
        PUBLISHED = "published", _("published")
        REJECTED = "rejected", _("rejected")

    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="proposals", verbose_name=_("project")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="planning_proposals",
        verbose_name=_("author"),
    )
    participant_type = models.CharField(
        _("participant type"), max_length=20, choices=ParticipantType.choices
    )
    document_reference = models.CharField(
        _("document reference"),
        max_length=300,
        blank=True,
        help_text=_("The document proving the right to land or premises, or the deputy's mandate."),
    )
    participant_verified = models.BooleanField(_("entitlement verified"), default=False)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verified by"),
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    stance = models.CharField(_("stance"), max_length=20, choices=Stance.choices)
    text = models.TextField(_("text"))
    attachment = models.FileField(
        _("attachment"), upload_to=attachment_path, max_length=300, blank=True
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    created_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("moderated by"),
    )
    moderated_at = models.DateTimeField(_("moderated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["created_at", "pk"]
        permissions = [("moderate_proposal", _("Can publish, reject and verify proposals"))]
        indexes = [
            models.Index(fields=["project", "status"]),
            models.Index(fields=["author", "-created_at"]),
        ]
        constraints = [
            # The author is always told why: a rejection without a reason is refused.
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""),
                name="discussions_rejection_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_stance_display()}: {self.text[:60]}"

    @property
    def attachment_name(self) -> str:
        return (self.attachment.name or "").rsplit("/", 1)[-1] if self.attachment else ""
