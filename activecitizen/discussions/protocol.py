"""The protocol and the conclusion of a public discussion (Town Planning Code art. 5.1 parts
21–22): what they state, computed from the published proposals, and their renderings as HTML
and as PDF (WeasyPrint, offline).

The public protocol lists each published proposal by participant type, stance and text; the
participants' personal data (art. 5.1 part 21's annex) stays with the organiser and is never
printed here.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max
from django.template.loader import render_to_string
from django.utils import timezone, translation

from activecitizen.discussions import selectors
from activecitizen.discussions.models import Project

# A protocol changes only when a late moderation adds a line; its bytes are kept per content.
PDF_CACHE_SECONDS = 60 * 60 * 24 * 30


@dataclass(frozen=True)
class ProtocolEntry:
    number: int
    participant_type: str
    participant_type_label: str
    stance: str
    stance_label: str
    text: str
    submitted_at: datetime


@dataclass(frozen=True)
class Protocol:
    project_id: int
    title: str
    organiser: str
    districts: tuple[str, ...]
    date: date
    notice_published_at: datetime
    exposition_opens_at: datetime
    exposition_closes_at: datetime
    proposals_open_at: datetime
    proposals_close_at: datetime
    entries: tuple[ProtocolEntry, ...]
    by_stance: selectors.Tally
    by_participant_type: selectors.Tally

    @property
    def total(self) -> int:
        return len(self.entries)


@dataclass(frozen=True)
class Conclusion:
    protocol: Protocol
    date: date
    recommendations: str


def protocol_of(project: Project) -> Protocol:
    entries = tuple(
        ProtocolEntry(
            number=n,
            participant_type=p.participant_type,
            participant_type_label=str(p.get_participant_type_display()),
            stance=p.stance,
            stance_label=str(p.get_stance_display()),
            text=p.text,
            submitted_at=p.created_at,
        )
        for n, p in enumerate(selectors.published_proposals(project), start=1)
    )
    return Protocol(
        project_id=project.pk,
        title=project.title,
        organiser=project.organiser,
        districts=tuple(d.name for d in project.districts.all()),
        date=timezone.localdate(project.protocol_at),
        notice_published_at=project.notice_published_at,
        exposition_opens_at=project.exposition_opens_at,
        exposition_closes_at=project.exposition_closes_at,
        proposals_open_at=project.proposals_open_at,
        proposals_close_at=project.proposals_close_at,
        entries=entries,
        by_stance=selectors.counts_by_stance(project),
        by_participant_type=selectors.counts_by_participant_type(project),
    )


def conclusion_of(project: Project) -> Conclusion:
    return Conclusion(
        protocol=protocol_of(project),
        date=timezone.localdate(project.conclusion_at),
        recommendations=project.conclusion_text,
    )


def render_protocol_html(protocol: Protocol, *, for_pdf: bool = False, links=None) -> str:
    return render_to_string(
        "discussions/protocol.html",
        {"protocol": protocol, "for_pdf": for_pdf, "links": links or {}},
    )


def render_conclusion_html(conclusion: Conclusion, *, for_pdf: bool = False, links=None) -> str:
    return render_to_string(
        "discussions/conclusion.html",
        {
            "conclusion": conclusion,
            "protocol": conclusion.protocol,
            "for_pdf": for_pdf,
            "links": links or {},
        },
    )


def offline_fetcher():
    """A WeasyPrint URL fetcher that fetches nothing but inline `data:` URLs: a document never
    depends on (or leaks its reader to) another server, and a `file:` URL in a participant's
    text can never pull a file of this machine into it."""
    from weasyprint.urls import URLFetcher

    class OfflineFetcher(URLFetcher):
        def __init__(self) -> None:
            super().__init__(allowed_protocols=("data",), timeout=1)
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            if not url.lower().startswith("data:"):
                self.refused.append(url)
                raise ValueError(f"refused to fetch {url[:100]}: documents are made offline")
            return super().fetch(url, headers)

    return OfflineFetcher()


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    output = io.BytesIO()
    HTML(string=html, base_url="data:,", url_fetcher=offline_fetcher()).write_pdf(output)
    return output.getvalue()


def _cache_key(project: Project, what: str) -> str:
    """Per project, language and content: a late moderation or a new conclusion text makes a
    new key, so a cached PDF is never stale."""
    state = selectors.published_proposals(project).aggregate(
        n=Count("pk"), last=Max("moderated_at")
    )
    stamp = "|".join(
        str(x)
        for x in (
            state["n"],
            state["last"],
            project.title,
            project.protocol_at,
            project.conclusion_at,
            project.conclusion_text if what == "conclusion" else "",
        )
    )
    language = translation.get_language() or settings.LANGUAGE_CODE
    digest = hashlib.sha256(stamp.encode()).hexdigest()[:16]
    return f"discussions:{what}-pdf:{project.pk}:{language}:{digest}"


def _cached_pdf(key: str, make) -> bytes:
    cached = cache.get(key)
    if cached is not None:
        return cached
    made = make()
    cache.set(key, made, PDF_CACHE_SECONDS)
    return made


def protocol_pdf(project: Project) -> bytes:
    return _cached_pdf(
        _cache_key(project, "protocol"),
        lambda: html_to_pdf(render_protocol_html(protocol_of(project), for_pdf=True)),
    )


def conclusion_pdf(project: Project) -> bytes:
    return _cached_pdf(
        _cache_key(project, "conclusion"),
        lambda: html_to_pdf(render_conclusion_html(conclusion_of(project), for_pdf=True)),
    )
