"""Reads of public discussions that the pages, the API and the protocol share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from activecitizen.discussions.models import (
    ParticipantType,
    Project,
    Proposal,
    Stage,
    Stance,
)


def visible_projects(moment: datetime | None = None) -> QuerySet[Project]:
    """Projects the public sees: published, and their notice has come."""
    now = moment or timezone.now()
    return Project.objects.filter(is_published=True, notice_published_at__lte=now)


def stage_filter(stage: str, moment: datetime | None = None) -> Q:
    """The projects at `stage` now, as a query (the same rules as `Project.stage_at`)."""
    now = moment or timezone.now()
    if stage == Stage.CONCLUSION:
        return Q(conclusion_at__lte=now)
    if stage == Stage.PROTOCOL:
        return Q(proposals_close_at__lte=now, conclusion_at__gt=now)
    if stage == Stage.PROPOSALS:
        return Q(proposals_open_at__lte=now, proposals_close_at__gt=now)
    if stage == Stage.EXPOSITION:
        return Q(exposition_opens_at__lte=now, proposals_open_at__gt=now)
    return Q(exposition_opens_at__gt=now, proposals_open_at__gt=now)


def projects(*, district_id: int | None = None, stage: str | None = None) -> QuerySet[Project]:
    found = visible_projects()
    if district_id is not None:
        found = found.filter(districts__pk=district_id)
    if stage:
        found = found.filter(stage_filter(stage))
    return found.prefetch_related("districts").distinct()


def published_proposals(project: Project) -> QuerySet[Proposal]:
    return Proposal.objects.filter(project=project, status=Proposal.Status.PUBLISHED).order_by(
        "created_at", "pk"
    )


def my_proposals(user_id: int) -> QuerySet[Proposal]:
    return (
        Proposal.objects.filter(author_id=user_id)
        .select_related("project")
        .order_by("-created_at", "-pk")
    )


@dataclass(frozen=True)
class Tally:
    """Published proposals counted by one attribute, in the order of its choices."""

    rows: tuple[tuple[str, str, int], ...]  # (code, label, count)

    @property
    def total(self) -> int:
        return sum(n for _code, _label, n in self.rows)

    def as_dict(self) -> dict[str, int]:
        return {code: n for code, _label, n in self.rows}


def _tally(project: Project, field: str, choices) -> Tally:
    counted = dict(
        published_proposals(project)
        .order_by()
        .values_list(field)
        .annotate(n=Count("pk"))
        .values_list(field, "n")
    )
    return Tally(tuple((code, str(label), counted.get(code, 0)) for code, label in choices))


def counts_by_stance(project: Project) -> Tally:
    return _tally(project, "stance", Stance.choices)


def counts_by_participant_type(project: Project) -> Tally:
    return _tally(project, "participant_type", ParticipantType.choices)


@dataclass(frozen=True)
class StageStep:
    code: str
    label: str
    starts_at: datetime
    ends_at: datetime | None
    current: bool
    past: bool


def timeline(project: Project, moment: datetime | None = None) -> list[StageStep]:
    """The stages with their dates, for the page's timeline and the API."""
    now = moment or timezone.now()
    current = project.stage_at(now)
    steps = [
        (Stage.NOTICE, project.notice_published_at, project.exposition_opens_at),
        (Stage.EXPOSITION, project.exposition_opens_at, project.exposition_closes_at),
        (Stage.PROPOSALS, project.proposals_open_at, project.proposals_close_at),
        (Stage.PROTOCOL, project.protocol_at, None),
        (Stage.CONCLUSION, project.conclusion_at, None),
    ]
    return [
        StageStep(
            code=code,
            label=str(Stage(code).label),
            starts_at=starts,
            ends_at=ends,
            current=code == current,
            past=(ends is not None and ends <= now) or (ends is None and starts <= now),
        )
        for code, starts, ends in steps
    ]


def stage_labels() -> list[tuple[str, str]]:
    return [(code, str(label)) for code, label in Stage.choices]


def no_districts_message() -> str:
    return _("There is no such district.")
