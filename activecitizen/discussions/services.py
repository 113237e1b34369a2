"""Every write of public discussions: submitting a proposal, verifying its author's entitlement,
publishing or rejecting it, and adding a project's documents."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from activecitizen.accounts.models import User
from activecitizen.core import ratelimit
from activecitizen.core.errors import (
    Conflict,
    InvalidInput,
    NotSignedIn,
    PermissionDenied,
)
from activecitizen.discussions import uploads
from activecitizen.discussions.models import (
    ParticipantType,
    Project,
    ProjectDocument,
    Proposal,
    Stance,
)
from activecitizen.discussions.selectors import visible_projects
from activecitizen.notifications.services import NearbyNotice, notify, tell_neighbours_of_new
from activecitizen.rewards.services import credit_points

logger = logging.getLogger(__name__)

TEXT_MAX_LENGTH = 5000
REFERENCE_MAX_LENGTH = 300
REASON_MAX_LENGTH = 2000
POINTS_FOR_PROPOSAL = 10  # DESIGN.md: a published proposal in a discussion earns +10
# A person writes a handful of proposals at most; more in an hour is a script or a flood.
PROPOSALS_PER_HOUR = 5
NEEDS_DOCUMENT = (ParticipantType.RIGHTS_HOLDER, ParticipantType.DEPUTY)


# --- Who may submit ------------------------------------------------------------------------------


def why_not_collecting(project: Project, moment: datetime | None = None) -> str | None:
    now = moment or timezone.now()
    if not project.is_published or now < project.notice_published_at:
        return _("This discussion is not published.")
    if now < project.proposals_open_at:
        return _("Proposals are accepted from %(date)s.") % {
            "date": timezone.localtime(project.proposals_open_at).strftime("%d.%m.%Y %H:%M")
        }
    if now >= project.proposals_close_at:
        return _("Proposals are no longer accepted: collection closed on %(date)s.") % {
            "date": timezone.localtime(project.proposals_close_at).strftime("%d.%m.%Y %H:%M")
        }
    return None


def why_not_entitled(
    *, project: Project, user: User, participant_type: str, document_reference: str
) -> str | None:
    """Why `user` may not take part as `participant_type` (art. 5.1 part 2), or None.

    Residents and workers are recognised by the districts in their profile; holders of rights
    and deputies by a document that moderators verify before publishing."""
    district_ids = set(project.districts.values_list("pk", flat=True))
    if participant_type == ParticipantType.RESIDENT:
        if user.home_district_id is None:
            return _("Give your home district in your profile to take part as a resident.")
        if user.home_district_id not in district_ids:
            return _("Your home district is not on the territory of this project.")
    elif participant_type == ParticipantType.WORKER:
        if user.work_district_id is None:
            return _("Give your work district in your profile to take part as a worker.")
        if user.work_district_id not in district_ids:
            return _("Your work district is not on the territory of this project.")
    elif participant_type in NEEDS_DOCUMENT:
        if not document_reference.strip():
            return _(
                "Give the document that proves your right to land or premises there, "
                "or your deputy's mandate."
            )
    else:
        return _("Unknown participant type.")
    return None


def entitled_types(project: Project, user: User) -> list[str]:
    """The participant types the person's profile already supports (for the form's hints)."""
    district_ids = set(project.districts.values_list("pk", flat=True))
    types: list[str] = []
    if user.home_district_id in district_ids:
        types.append(ParticipantType.RESIDENT)
    if user.work_district_id in district_ids:
        types.append(ParticipantType.WORKER)
    return types


# --- Submitting --------------------------------------------------------------------------------


def submit_proposal(
    *,
    project: Project,
    user: User | None,
    participant_type: str,
    stance: str,
    text: str,
    document_reference: str = "",
    attachment: UploadedFile | None = None,
) -> Proposal:
    """Take a participant's proposal for moderation. Refused, with nothing written:
    401 not signed in; 409 `not_collecting` outside the window; 403 `not_entitled`;
    422 for a bad value or file; 429 over the hourly limit."""
    if user is None or not user.is_authenticated:
        raise NotSignedIn(_("Sign in to submit a proposal."))
    reason = why_not_collecting(project)
    if reason:
        raise Conflict(reason, code="not_collecting")
    if participant_type not in ParticipantType.values:
        raise InvalidInput(_("Choose who you take part as."), field="participant_type")
    if stance not in Stance.values:
        raise InvalidInput(_("Choose support, objection or amendment."), field="stance")
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("Write your proposal."), code="required", field="text")
    if len(text) > TEXT_MAX_LENGTH:
        raise InvalidInput(
            _("The proposal is too long: at most %(n)d characters.") % {"n": TEXT_MAX_LENGTH},
            code="too_long",
            field="text",
        )
    document_reference = (document_reference or "").strip()
    if len(document_reference) > REFERENCE_MAX_LENGTH:
        raise InvalidInput(
            _("The document reference is too long: at most %(n)d characters.")
            % {"n": REFERENCE_MAX_LENGTH},
            code="too_long",
            field="document_reference",
        )
    why_not = why_not_entitled(
        project=project,
        user=user,
        participant_type=participant_type,
        document_reference=document_reference,
    )
    if why_not:
        field = "document_reference" if participant_type in NEEDS_DOCUMENT else "participant_type"
        raise PermissionDenied(why_not, code="not_entitled", field=field)
    if attachment is not None:
        uploads.check_upload(attachment, max_bytes=uploads.ATTACHMENT_MAX_BYTES, field="attachment")
    # Counted only for proposals that would be taken: a refusal above writes nothing anyway.
    ratelimit.hit(
        f"discussion_proposals:{user.pk}",
        limit=getattr(settings, "DISCUSSION_PROPOSALS_PER_HOUR", PROPOSALS_PER_HOUR),
        window=3600,
        message=_("Too many proposals in an hour. Try again later."),
    )
    with transaction.atomic():
        proposal = Proposal(
            project=project,
            author=user,
            participant_type=participant_type,
            document_reference=document_reference,
            stance=stance,
            text=text,
        )
        if attachment is not None:
            # Saved under a name of ours: the person's file name is not trusted as a path.
            extension = uploads.extension_of(attachment.name or "")
            proposal.attachment.save(
                f"{timezone.now():%Y%m%d%H%M%S}-{user.pk}{extension}", attachment, save=False
            )
        proposal.save()
    logger.info("proposal %s submitted to project %s", proposal.pk, project.pk)
    return proposal


# --- Moderation --------------------------------------------------------------------------------


def _require_moderator(by: User) -> None:
    if not (by.is_active and by.has_perm("discussions.moderate_proposal")):
        raise PermissionDenied(_("Only moderators may do this."), code="forbidden")


def _locked(proposal: Proposal) -> Proposal:
    return Proposal.objects.select_for_update().select_related("project").get(pk=proposal.pk)


def _follow(proposal: Proposal, fresh: Proposal) -> Proposal:
    # The caller's object follows the database, so an admin page shows the new state.
    for field in (
        "status",
        "rejection_reason",
        "moderated_by_id",
        "moderated_at",
        "participant_verified",
        "verified_by_id",
        "verified_at",
    ):
        setattr(proposal, field, getattr(fresh, field))
    return fresh


def _project_url(project_id: int) -> str:
    return reverse("discussions:detail", args=[project_id])


def verify_participant(*, proposal: Proposal, by: User) -> Proposal:
    """A moderator confirms the author's entitlement (the document of a holder of rights or a
    deputy checked against the registers). Verifying twice changes nothing."""
    _require_moderator(by)
    with transaction.atomic():
        fresh = _locked(proposal)
        if not fresh.participant_verified:
            fresh.participant_verified = True
            fresh.verified_by = by
            fresh.verified_at = timezone.now()
            fresh.save(update_fields=["participant_verified", "verified_by", "verified_at"])
    return _follow(proposal, fresh)


def publish_proposal(*, proposal: Proposal, by: User) -> Proposal:
    """Publish a pending proposal: it enters the protocol, its author earns +10 points once and
    is told. A holder of rights or a deputy must have been verified first."""
    _require_moderator(by)
    with transaction.atomic():
        fresh = _locked(proposal)
        if fresh.status != Proposal.Status.PENDING:
            raise Conflict(
                _("This proposal has already been moderated: %(status)s.")
                % {"status": fresh.get_status_display()},
                code="already_moderated",
            )
        if fresh.participant_type in NEEDS_DOCUMENT and not fresh.participant_verified:
            raise Conflict(
                _("Verify the participant's document before publishing."),
                code="not_verified",
            )
        fresh.status = Proposal.Status.PUBLISHED
        fresh.moderated_by = by
        fresh.moderated_at = timezone.now()
        fresh.save(update_fields=["status", "moderated_by", "moderated_at"])
        key = f"proposal:{fresh.pk}"
        credit_points(
            user_id=fresh.author_id,
            amount=POINTS_FOR_PROPOSAL,
            reason="proposal",
            reference=key,
            idempotency_key=key,
        )
        notify(
            user_id=fresh.author_id,
            kind="proposal_published",
            params={"project": fresh.project.title, "points": POINTS_FOR_PROPOSAL},
            url=_project_url(fresh.project_id),
            key=f"{key}:published",
        )
    logger.info("proposal %s published by %s", fresh.pk, by.pk)
    return _follow(proposal, fresh)


def reject_proposal(*, proposal: Proposal, by: User, reason: str) -> Proposal:
    """Reject a pending proposal with a reason that its author (and only they) reads."""
    _require_moderator(by)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(
            _("Give the reason for rejecting: the author is told it."),
            code="required",
            field="reason",
        )
    if len(reason) > REASON_MAX_LENGTH:
        raise InvalidInput(
            _("The reason is too long: at most %(n)d characters.") % {"n": REASON_MAX_LENGTH},
            code="too_long",
            field="reason",
        )
    with transaction.atomic():
        fresh = _locked(proposal)
        if fresh.status != Proposal.Status.PENDING:
            raise Conflict(
                _("This proposal has already been moderated: %(status)s.")
                % {"status": fresh.get_status_display()},
                code="already_moderated",
            )
        fresh.status = Proposal.Status.REJECTED
        fresh.rejection_reason = reason
        fresh.moderated_by = by
        fresh.moderated_at = timezone.now()
        fresh.save(update_fields=["status", "rejection_reason", "moderated_by", "moderated_at"])
        notify(
            user_id=fresh.author_id,
            kind="proposal_rejected",
            params={"project": fresh.project.title, "reason": reason},
            url=reverse("discussions:my"),
            key=f"proposal:{fresh.pk}:rejected",
        )
    logger.info("proposal %s rejected by %s", fresh.pk, by.pk)
    return _follow(proposal, fresh)


# --- Documents -----------------------------------------------------------------------------------


def add_document(
    *, project: Project, title: str, file: UploadedFile, position: int = 0
) -> ProjectDocument:
    """Attach a material of the exposition (PDF or image, ≤ 20 MB) to a project."""
    title = (title or "").strip()
    if not title:
        raise InvalidInput(_("Give the document a title."), code="required", field="title")
    uploads.check_upload(file, max_bytes=uploads.DOCUMENT_MAX_BYTES, field="file")
    with transaction.atomic():
        document = ProjectDocument(project=project, title=title[:300], position=position)
        document.file.save(file.name or "document.pdf", file, save=False)
        document.save()
    return document


# --- New near my home --------------------------------------------------------------------------


def tell_neighbours_of_new_projects(*, now: datetime | None = None) -> int:
    """Tell the people living within 1 km of each project that has just become visible (its
    notice published) and has a point on the map; each project once. Returns how many.

    Run by a periodic task rather than from the admin's save, because a project becomes
    visible at its notice date, which may be set in advance.
    """
    due = visible_projects(now or timezone.now()).filter(
        neighbours_told_at__isnull=True, lat__isnull=False, lon__isnull=False
    )
    return tell_neighbours_of_new(due, notice=_nearby_notice, now=now)


def _nearby_notice(project: Project) -> NearbyNotice:
    return NearbyNotice(
        kind="project_nearby",
        params={"project": project.title},
        url=_project_url(project.pk),
        key_prefix=f"project:{project.pk}:nearby",
        lat=project.lat,
        lon=project.lon,
    )
