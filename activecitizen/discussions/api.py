"""Public discussions for the mobile app: projects, their published proposals, submitting a
proposal (without an attachment) and my proposals."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema
from ninja.responses import Status

from activecitizen.accounts.auth import signed_in
from activecitizen.core.api import AUTH_ERRORS, COMMON_ERRORS, Error
from activecitizen.core.errors import InvalidInput
from activecitizen.discussions import selectors, services
from activecitizen.discussions.models import Project, Proposal
from activecitizen.geo.models import District

router = Router(tags=["discussions"])

MAX_ID = 2**63 - 1
MAX_OFFSET = 10**9
StageCode = Literal["notice", "exposition", "proposals", "protocol", "conclusion"]
ParticipantCode = Literal["resident", "worker", "rights_holder", "deputy"]
StanceCode = Literal["support", "objection", "amendment"]


class DistrictOut(Schema):
    id: int
    name: str


class ProjectBrief(Schema):
    id: int
    title: str
    organiser: str
    stage: StageCode
    stage_label: str
    districts: list[DistrictOut]
    proposals_open_at: datetime
    proposals_close_at: datetime
    conclusion_at: datetime


class ProjectList(Schema):
    count: int
    items: list[ProjectBrief]


class StageOut(Schema):
    code: StageCode
    label: str
    starts_at: datetime
    ends_at: datetime | None
    current: bool


class DocumentOut(Schema):
    id: int
    title: str
    url: str


class ProjectDetail(ProjectBrief):
    description: str
    lat: float | None = Field(None, description="The point of the territory (WGS 84).")
    lon: float | None = None
    stages: list[StageOut]
    documents: list[DocumentOut]
    counts: dict[str, int] = Field(
        ..., description='Published proposals by stance: {"support", "objection", "amendment"}.'
    )
    total_proposals: int
    collecting: bool = Field(..., description="Whether proposals are accepted now.")
    protocol_url: str | None = Field(None, description="The protocol's PDF, once public.")
    conclusion_url: str | None = Field(None, description="The conclusion's PDF, once public.")


class ProposalOut(Schema):
    id: int
    participant_type: ParticipantCode
    stance: StanceCode
    text: str
    created_at: datetime


class ProposalList(Schema):
    count: int
    items: list[ProposalOut]


class MyProposalOut(ProposalOut):
    project_id: int
    project_title: str
    document_reference: str
    status: Literal["pending", "published", "rejected"]
    rejection_reason: str = Field(
        ..., description="Told to the author only; empty unless rejected."
    )
    participant_verified: bool


class MyProposalList(Schema):
    count: int
    items: list[MyProposalOut]


class ProposalIn(Schema):
    participant_type: ParticipantCode
    stance: StanceCode
    text: str = Field(..., max_length=services.TEXT_MAX_LENGTH)
    document_reference: str = Field(
        "",
        max_length=services.REFERENCE_MAX_LENGTH,
        description="Required for rights holders and deputies; moderators verify it.",
    )


def _districts(project: Project) -> list[dict]:
    return [{"id": d.pk, "name": d.name} for d in project.districts.all()]


def _brief(project: Project) -> dict:
    return {
        "id": project.pk,
        "title": project.title,
        "organiser": project.organiser,
        "stage": project.stage,
        "stage_label": project.stage_label,
        "districts": _districts(project),
        "proposals_open_at": project.proposals_open_at,
        "proposals_close_at": project.proposals_close_at,
        "conclusion_at": project.conclusion_at,
    }


def _proposal(p: Proposal) -> dict:
    return {
        "id": p.pk,
        "participant_type": p.participant_type,
        "stance": p.stance,
        "text": p.text,
        "created_at": p.created_at,
    }


def _mine(p: Proposal) -> dict:
    return {
        **_proposal(p),
        "project_id": p.project_id,
        "project_title": p.project.title,
        "document_reference": p.document_reference,
        "status": p.status,
        "rejection_reason": p.rejection_reason,
        "participant_verified": p.participant_verified,
    }


def _project(project_id: int) -> Project:
    return get_object_or_404(
        selectors.visible_projects().prefetch_related("districts", "documents"), pk=project_id
    )


@router.get(
    "/discussions",
    auth=None,
    response={200: ProjectList, **COMMON_ERRORS},
    summary="Public discussions of planning projects, with filters",
)
def discussions(
    request: HttpRequest,
    district: int | None = Query(None, ge=1, le=MAX_ID, description="On this district"),
    stage: StageCode | None = None,
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
):
    if district is not None and not District.objects.filter(pk=district).exists():
        raise InvalidInput(_("There is no such district."), field="district")
    found = selectors.projects(district_id=district, stage=stage)
    return {"count": found.count(), "items": [_brief(p) for p in found[offset : offset + limit]]}


@router.get(
    "/discussions/{project_id}",
    auth=None,
    response={200: ProjectDetail, 404: Error, **COMMON_ERRORS},
    summary="A discussion: stages, documents, counts of published proposals",
)
def discussion(request: HttpRequest, project_id: int = Path(..., ge=1, le=MAX_ID)):
    project = _project(project_id)
    counts = selectors.counts_by_stance(project)
    return {
        **_brief(project),
        "description": project.description,
        "lat": float(project.lat) if project.lat is not None else None,
        "lon": float(project.lon) if project.lon is not None else None,
        "stages": [
            {
                "code": s.code,
                "label": s.label,
                "starts_at": s.starts_at,
                "ends_at": s.ends_at,
                "current": s.current,
            }
            for s in selectors.timeline(project)
        ],
        "documents": [
            {
                "id": d.pk,
                "title": d.title,
                "url": request.build_absolute_uri(
                    reverse("discussions:document", args=[project.pk, d.pk])
                ),
            }
            for d in project.documents.all()
        ],
        "counts": counts.as_dict(),
        "total_proposals": counts.total,
        "collecting": services.why_not_collecting(project) is None,
        "protocol_url": request.build_absolute_uri(
            reverse("discussions:protocol_pdf", args=[project.pk])
        )
        if project.protocol_is_public()
        else None,
        "conclusion_url": request.build_absolute_uri(
            reverse("discussions:conclusion_pdf", args=[project.pk])
        )
        if project.conclusion_is_public() and project.conclusion_text.strip()
        else None,
    }


@router.get(
    "/discussions/{project_id}/proposals",
    auth=None,
    response={200: ProposalList, 404: Error, **COMMON_ERRORS},
    summary="Published proposals of a discussion, oldest first",
)
def proposals(
    request: HttpRequest,
    project_id: int = Path(..., ge=1, le=MAX_ID),
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
):
    project = _project(project_id)
    found = selectors.published_proposals(project)
    return {
        "count": found.count(),
        "items": [_proposal(p) for p in found[offset : offset + limit]],
    }


@router.post(
    "/discussions/{project_id}/proposals",
    auth=signed_in,
    response={
        201: MyProposalOut,
        404: Error,
        409: Error,
        429: Error,
        **AUTH_ERRORS,
        **COMMON_ERRORS,
    },
    summary="Submit a proposal (moderated before it is published)",
    description=(
        "201 with status `pending`; 403 `not_entitled` (not on the territory, or no document "
        "for a rights holder or deputy); 409 `not_collecting` outside the collection window; "
        "422 for a bad value; 429 `rate_limited`. Attachments are sent from the site."
    ),
)
def submit(request: HttpRequest, payload: ProposalIn, project_id: int = Path(..., ge=1, le=MAX_ID)):
    project = _project(project_id)
    proposal = services.submit_proposal(
        project=project,
        user=request.user,
        participant_type=payload.participant_type,
        stance=payload.stance,
        text=payload.text,
        document_reference=payload.document_reference,
    )
    return Status(201, _mine(proposal))


@router.get(
    "/me/proposals",
    auth=signed_in,
    response={200: MyProposalList, **AUTH_ERRORS, **COMMON_ERRORS},
    summary="My proposals in discussions, newest first, with their status",
)
def my_proposals(
    request: HttpRequest,
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
):
    mine = selectors.my_proposals(request.user.pk)
    return {"count": mine.count(), "items": [_mine(p) for p in mine[offset : offset + limit]]}
