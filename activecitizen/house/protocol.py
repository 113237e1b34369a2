"""The protocol of an owners' general meeting (Housing Code art. 46 part 1; the Ministry of
Construction's order No. 44/pr of 28.01.2019): everything it states, computed once from the
meeting's count, and its three renderings (HTML, PDF with WeasyPrint, XML for registry systems).

The numbers come from `selectors.count_of` (exact fractions) and are printed with
`counting.exact_m2_string`, so the annex's areas add up to the participating area to the last
digit written (invariant 7). Percents are rounded for display only; adoption is decided on
exact fractions by `counting`, and the protocol says so in its note.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from xml.etree import ElementTree as ET

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from activecitizen.core.errors import Conflict
from activecitizen.house import counting, selectors
from activecitizen.house.models import (
    AgendaItem,
    BallotLine,
    DecisionType,
    Meeting,
    MeetingBallot,
)

XML_NAMESPACE = "urn:activecitizen:house:protocol:1"
XSD_PATH = Path(__file__).with_name("protocol.xsd")
# Generating a PDF takes a second or more; a published protocol never changes, so its bytes are
# kept (per language: the labels are translated) until it would be published again.
PDF_CACHE_SECONDS = 60 * 60 * 24 * 30
COUNTED_STATUSES = (Meeting.Status.COUNTING, Meeting.Status.PROTOCOL)


# --- What the protocol states --------------------------------------------------------------------


def m2(x: Fraction) -> Decimal:
    """An area in m² as the protocol writes it: exact (see `counting.exact_m2_string`), as a
    Decimal that keeps its digits ("70.00"), so that a page localizes its decimal separator
    and the XML writes `str()` of it."""
    return Decimal(counting.exact_m2_string(x))


@dataclass(frozen=True)
class ProtocolItem:
    """An agenda item with its votes and the decision."""

    number: int
    question: str
    proposal: str
    decision_type: str
    decision_type_label: str
    base_area: Fraction
    for_area: Fraction
    against_area: Fraction
    abstain_area: Fraction
    for_percent: Decimal
    against_percent: Decimal
    abstain_percent: Decimal
    adopted: bool
    entrance: int | None = None
    entrance_base_area: Fraction | None = None
    entrance_for_area: Fraction | None = None
    entrance_for_percent: Decimal | None = None

    @property
    def for_m2(self) -> Decimal:
        return m2(self.for_area)

    @property
    def against_m2(self) -> Decimal:
        return m2(self.against_area)

    @property
    def abstain_m2(self) -> Decimal:
        return m2(self.abstain_area)

    @property
    def base_m2(self) -> Decimal:
        return m2(self.base_area)

    @property
    def entrance_base_m2(self) -> Decimal | None:
        return m2(self.entrance_base_area) if self.entrance_base_area is not None else None

    @property
    def entrance_for_m2(self) -> Decimal | None:
        return m2(self.entrance_for_area) if self.entrance_for_area is not None else None


@dataclass(frozen=True)
class ProtocolPremises:
    """A premises an owner voted with, and their share in it."""

    number: str
    area: Decimal
    share: Fraction

    @property
    def share_label(self) -> str:
        return "1" if self.share == 1 else f"{self.share.numerator}/{self.share.denominator}"


@dataclass(frozen=True)
class ProtocolVoter:
    """A line of the annex: an owner who voted, with what, how, and their decisions."""

    owner_name: str
    premises: tuple[ProtocolPremises, ...]
    area: Fraction  # Σ area × share over `premises`: the owner's votes
    decisions: tuple[tuple[int, str], ...]  # (item number, for/against/abstain), by item
    channel: str
    scan_reference: str
    cast_at: datetime
    ballot_id: str

    @property
    def area_m2(self) -> Decimal:
        return m2(self.area)

    @property
    def premises_label(self) -> str:
        return ", ".join(
            p.number if p.share == 1 else f"{p.number} ({p.share_label})" for p in self.premises
        )

    @property
    def is_paper(self) -> bool:
        return self.channel == MeetingBallot.Channel.PAPER

    @property
    def decisions_label(self) -> str:
        """ "1: for; 2: against; …" in the current language, with no break inside a pair
        (one string rather than a template loop: the annex may hold thousands of owners)."""
        words = {"for": _("for"), "against": _("against"), "abstain": _("abstained")}
        return "; ".join(f"{number}:\u00a0{words[choice]}" for number, choice in self.decisions)


@dataclass(frozen=True)
class Protocol:
    """Everything the protocol of a counted meeting states (art. 46 part 1, order 44/pr)."""

    meeting_id: int
    number: int
    meeting_title: str
    draft: bool
    date: date
    platform_address: str
    paper_ballots_place: str
    building_address: str
    cadastral_number: str
    initiator_name: str
    administrator_name: str
    form: str
    form_label: str
    notice_published_at: datetime | None
    voting_starts_at: datetime
    voting_ends_at: datetime
    counted_at: datetime | None
    published_at: datetime | None
    total_area: Fraction
    participating_area: Fraction
    participating_percent: Decimal
    owners_total: int
    participating_owners: int
    quorum: bool
    items: tuple[ProtocolItem, ...]
    voters: tuple[ProtocolVoter, ...]
    documents_kept_at: str

    @property
    def total_m2(self) -> Decimal:
        return m2(self.total_area)

    @property
    def participating_m2(self) -> Decimal:
        return m2(self.participating_area)

    @property
    def is_mixed(self) -> bool:
        return self.form == Meeting.Form.MIXED

    @property
    def annex_area(self) -> Fraction:
        """The annex's areas added up: equal to `participating_area` (invariant 7)."""
        return sum((v.area for v in self.voters), Fraction(0))


def _display_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or str(user)


def protocol_of(meeting: Meeting) -> Protocol:
    """The protocol of a counted meeting (status counting: a draft; protocol: published).

    Raises Conflict `no_protocol_yet` before the meeting is counted."""
    if meeting.status not in COUNTED_STATUSES:
        raise Conflict(
            _("The meeting has not been counted yet: there is no protocol."),
            code="no_protocol_yet",
        )
    count = selectors.count_of(meeting)
    if count is None:  # pragma: no cover - a counted meeting has its register frozen
        raise Conflict(_("The meeting has no register."), code="no_protocol_yet")
    items = {i.number: i for i in AgendaItem.objects.filter(meeting=meeting)}
    labels = dict(DecisionType.choices)
    protocol_items = tuple(
        ProtocolItem(
            number=c.number,
            question=items[c.number].title,
            proposal=items[c.number].proposal,
            decision_type=c.decision_type,
            decision_type_label=str(labels.get(c.decision_type, c.decision_type)),
            base_area=c.base_area,
            for_area=c.for_area,
            against_area=c.against_area,
            abstain_area=c.abstain_area,
            for_percent=c.for_percent,
            against_percent=c.against_percent,
            abstain_percent=c.abstain_percent,
            adopted=c.adopted,
            entrance=c.entrance,
            entrance_base_area=c.entrance_base_area,
            entrance_for_area=c.entrance_for_area,
            entrance_for_percent=c.entrance_for_percent,
        )
        for c in count.items
    )
    building = meeting.building
    published = meeting.status == Meeting.Status.PROTOCOL
    when = (meeting.protocol_published_at if published else None) or meeting.counted_at
    return Protocol(
        meeting_id=meeting.pk,
        number=meeting.number,
        meeting_title=meeting.title,
        draft=not published,
        date=timezone.localdate(when) if when else timezone.localdate(),
        platform_address=settings.SITE_URL,
        paper_ballots_place=meeting.place if meeting.form == Meeting.Form.MIXED else "",
        building_address=building.address,
        cadastral_number=building.cadastral_number,
        initiator_name=meeting.initiator_name,
        administrator_name=_display_name(meeting.administrator),
        form=meeting.form,
        form_label=str(meeting.get_form_display()),
        notice_published_at=meeting.notice_published_at,
        voting_starts_at=meeting.voting_starts_at,
        voting_ends_at=meeting.voting_ends_at,
        counted_at=meeting.counted_at,
        published_at=meeting.protocol_published_at if published else None,
        total_area=count.total_area,
        participating_area=count.participating_area,
        participating_percent=count.participating_percent,
        owners_total=count.owners_total,
        participating_owners=count.participating_owners,
        quorum=count.quorum,
        items=protocol_items,
        voters=_voters(meeting),
        documents_kept_at=building.documents_kept_at,
    )


def _voters(meeting: Meeting) -> tuple[ProtocolVoter, ...]:
    """The annex: one line per ballot, with the register lines it voted with."""
    lines: dict[int, list[ProtocolPremises]] = {}
    for ballot_id, number, area, n, d in (
        BallotLine.objects.filter(entry__meeting=meeting)
        .order_by("entry__premises_number", "entry_id")
        .values_list(
            "ballot_id",
            "entry__premises_number",
            "entry__area",
            "entry__share_numerator",
            "entry__share_denominator",
        )
    ):
        lines.setdefault(ballot_id, []).append(ProtocolPremises(number, area, Fraction(n, d)))
    ballots = MeetingBallot.objects.filter(meeting=meeting).values_list(
        "pk", "owner_name", "channel", "decisions", "scan_reference", "cast_at", "public_id"
    )
    voters = []
    for pk, name, channel, decisions, scan, cast_at, public_id in ballots:
        premises = tuple(lines.get(pk, ()))
        if not premises:
            continue  # a ballot without lines was rolled back; never counted
        voters.append(
            ProtocolVoter(
                owner_name=name,
                premises=premises,
                area=sum((Fraction(p.area) * p.share for p in premises), Fraction(0)),
                decisions=tuple(sorted((int(k), v) for k, v in decisions.items())),
                channel=channel,
                scan_reference=scan,
                cast_at=cast_at,
                ballot_id=public_id,
            )
        )
    voters.sort(key=lambda v: (v.owner_name.casefold(), v.premises[0].number, v.ballot_id))
    return tuple(voters)


# --- HTML ----------------------------------------------------------------------------------------


def render_html(protocol: Protocol, *, for_pdf: bool = False, links: dict | None = None) -> str:
    """The printable page (also the PDF's source: `for_pdf` leaves out the screen's links)."""
    return render_to_string(
        "house/protocol.html",
        {"protocol": protocol, "for_pdf": for_pdf, "links": links or {}},
    )


# --- PDF -----------------------------------------------------------------------------------------


def _offline_fetcher():
    """A WeasyPrint URL fetcher that fetches nothing but inline `data:` URLs: a protocol never
    depends on (or leaks its reader to) another server, and a `file:` URL in a user's text can
    never pull a file of this machine into a document."""
    from weasyprint.urls import URLFetcher

    class OfflineFetcher(URLFetcher):
        def __init__(self) -> None:
            super().__init__(allowed_protocols=("data",), timeout=1)
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            if not url.lower().startswith("data:"):
                self.refused.append(url)
                raise ValueError(f"refused to fetch {url[:100]}: protocols are made offline")
            return super().fetch(url, headers)

    return OfflineFetcher()


def render_pdf(protocol: Protocol) -> bytes:
    """The protocol as PDF (A4), with DejaVu fonts embedded for the Cyrillic text."""
    from weasyprint import HTML

    html = render_html(protocol, for_pdf=True)
    fetcher = _offline_fetcher()
    output = io.BytesIO()
    HTML(string=html, base_url="data:,", url_fetcher=fetcher).write_pdf(output)
    return output.getvalue()


def pdf_cache_key(meeting: Meeting) -> str:
    """Per meeting, per publication and per language (the labels are translated)."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    stamp = meeting.protocol_published_at.isoformat() if meeting.protocol_published_at else ""
    digest = hashlib.sha256(stamp.encode()).hexdigest()[:16]
    return f"house:protocol-pdf:{meeting.pk}:{language}:{digest}"


def protocol_pdf(meeting: Meeting) -> bytes:
    """The PDF of the meeting's protocol. A published protocol never changes: its bytes are
    made once and then come from the cache, without counting again. A draft is made afresh
    every time."""
    published = meeting.status == Meeting.Status.PROTOCOL and meeting.protocol_published_at
    key = pdf_cache_key(meeting) if published else None
    if key is not None:
        cached = cache.get(key)
        if cached is not None:
            return cached
    made = render_pdf(protocol_of(meeting))
    if key is not None:
        cache.set(key, made, PDF_CACHE_SECONDS)
    return made


# --- XML -----------------------------------------------------------------------------------------


def _el(parent: ET.Element, tag: str, text: object = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{XML_NAMESPACE}}}{tag}", attrs)
    if text is not None:
        element.text = str(text)
    return element


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds")


def render_xml(protocol: Protocol) -> bytes:
    """The protocol for registry systems, as `protocol.xsd` describes it: areas are exact
    decimal strings (m²), percents the displayed 2-decimal values, booleans `true`/`false`."""
    ET.register_namespace("", XML_NAMESPACE)
    root = ET.Element(
        f"{{{XML_NAMESPACE}}}protocol",
        {"version": "1", "status": "draft" if protocol.draft else "published"},
    )
    meeting = _el(root, "meeting")
    _el(meeting, "number", protocol.number)
    _el(meeting, "title", protocol.meeting_title)
    _el(meeting, "date", protocol.date.isoformat())
    _el(meeting, "form", protocol.form)
    _el(meeting, "platformAddress", protocol.platform_address)
    if protocol.paper_ballots_place:
        _el(meeting, "paperBallotsPlace", protocol.paper_ballots_place)
    _el(meeting, "initiator", protocol.initiator_name)
    _el(meeting, "administrator", protocol.administrator_name)
    if protocol.notice_published_at:
        _el(meeting, "noticePublishedAt", _when(protocol.notice_published_at))
    _el(meeting, "votingStartsAt", _when(protocol.voting_starts_at))
    _el(meeting, "votingEndsAt", _when(protocol.voting_ends_at))
    if protocol.published_at:
        _el(meeting, "publishedAt", _when(protocol.published_at))

    building = _el(root, "building")
    _el(building, "address", protocol.building_address)
    if protocol.cadastral_number:
        _el(building, "cadastralNumber", protocol.cadastral_number)
    _el(building, "documentsKeptAt", protocol.documents_kept_at)

    areas = _el(root, "areas")
    _el(areas, "total", str(protocol.total_m2))
    _el(areas, "participating", protocol.participating_m2)
    _el(areas, "participatingPercent", protocol.participating_percent)
    _el(areas, "ownersTotal", protocol.owners_total)
    _el(areas, "ownersParticipating", protocol.participating_owners)
    _el(root, "quorum", "true" if protocol.quorum else "false")

    items = _el(root, "items")
    for item in protocol.items:
        element = _el(items, "item", number=str(item.number))
        _el(element, "question", item.question)
        _el(element, "proposal", item.proposal)
        _el(element, "decisionType", item.decision_type)
        _el(element, "baseArea", item.base_m2)
        for choice, area, share in (
            ("for", item.for_m2, item.for_percent),
            ("against", item.against_m2, item.against_percent),
            ("abstain", item.abstain_m2, item.abstain_percent),
        ):
            _el(element, choice, area, percent=str(share))
        if item.entrance is not None:
            _el(
                element,
                "entrance",
                number=str(item.entrance),
                area=str(item.entrance_base_m2),
                forArea=str(item.entrance_for_m2),
                forPercent=str(item.entrance_for_percent),
            )
        _el(element, "adopted", "true" if item.adopted else "false")

    voters = _el(root, "voters")
    for voter in protocol.voters:
        element = _el(
            voters,
            "voter",
            channel=voter.channel,
            ballot=voter.ballot_id,
            castAt=_when(voter.cast_at),
        )
        _el(element, "name", voter.owner_name)
        for p in voter.premises:
            _el(element, "premises", number=p.number, area=str(p.area), share=p.share_label)
        _el(element, "area", voter.area_m2)
        if voter.scan_reference:
            _el(element, "scanReference", voter.scan_reference)
        for number, choice in voter.decisions:
            _el(element, "decision", choice, item=str(number))
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
