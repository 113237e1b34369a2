"""The protocol of an owners' meeting: every part the Housing Code (art. 46) asks for, numbers
that add up to the votes cast (invariant 7), and its page, PDF and XML only for the building's
owners (once published) and administrators (a draft before)."""

# The XML parsed here is the project's own output and schema, not untrusted input.
# ruff: noqa: S314

from __future__ import annotations

import contextlib
import re
import socket
import zlib
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from xml.etree import ElementTree as ET

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from activecitizen.core.errors import Conflict
from activecitizen.house import protocol as protocols
from activecitizen.house import selectors, services
from activecitizen.house.models import Meeting, RegisterEntry, Resident
from activecitizen.house.services import AgendaItemInput
from activecitizen.house.tests import house_fixtures as hf
from activecitizen.house.tests.meeting_fixtures import DURING, ENDS, NOTICE_AT, STARTS

pytestmark = pytest.mark.django_db

PUBLISHED = ENDS + timedelta(days=1)
NS = {"p": protocols.XML_NAMESPACE}
XS = "{http://www.w3.org/2001/XMLSchema}"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


class Meet:
    """A mixed meeting of a five-premises building, counted:

    premises 1 (61.25 m²): co-owners Петрова and Петров, 1/2 each (30.625 m² of votes each);
    premises 2 (45.50) and 3 (30.25): both Смирнов's (75.75 m²); premises 4 (70.00):
    Сидоров, no account, votes on paper; premises 5 (80.00): Кузнецова, does not vote.
    Total 287.00 m², taking part 207.00 m² (72.13 %).
    """

    def __init__(self) -> None:
        self.building = hf.building(
            "ул. Профсоюзная, д. 43", documents_kept_at="ГБУ «Жилищник района Черёмушки», каб. 5"
        )
        self.admin = hf.house_administrator(self.building, first_name="Анна", last_name="Орлова")
        self.petrova = hf.person(first_name="Мария", last_name="Петрова")
        self.petrov = hf.person(first_name="Олег", last_name="Петров")
        self.smirnov = hf.person(first_name="Иван", last_name="Смирнов")
        self.kuznetsova = hf.person(first_name="Ольга", last_name="Кузнецова")
        first = hf.premises(self.building, "1", "61.25")
        hf.ownership(first, Fraction(1, 2), "Петрова Мария Ивановна", owner=self.petrova)
        hf.ownership(first, Fraction(1, 2), "Петров Олег Петрович", owner=self.petrov)
        for number, area in (("2", "45.50"), ("3", "30.25")):
            premises = hf.premises(self.building, number, area)
            hf.ownership(premises, name="Смирнов Иван Андреевич", owner=self.smirnov)
        hf.ownership(hf.premises(self.building, "4", "70.00"), name="Сидоров Пётр Ильич")
        fifth = hf.premises(self.building, "5", "80.00")
        hf.ownership(fifth, name="Кузнецова Ольга Юрьевна", owner=self.kuznetsova)

        self.meeting = services.create_meeting(
            building=self.building,
            by=self.admin,
            title="Годовое собрание 2026",
            voting_starts_at=STARTS,
            voting_ends_at=ENDS,
            items=[
                AgendaItemInput(
                    title="Выбор председателя собрания",
                    proposal="Избрать Орлову А.",
                    subject="other",
                ),
                AgendaItemInput(
                    title="Капитальный ремонт крыши",
                    proposal="Провести ремонт крыши в 2027 году",
                    subject="1.1",
                ),
                AgendaItemInput(
                    title="Способ управления домом",
                    proposal="Управление управляющей организацией",
                    subject="4",
                ),
            ],
            initiator_name="Орлова Анна Сергеевна",
            form=Meeting.Form.MIXED,
            place="ул. Профсоюзная, д. 43, помещение совета дома",
        )
        services.publish_notice(meeting=self.meeting, by=self.admin, now=NOTICE_AT)
        services.start_voting(meeting=self.meeting, now=STARTS)
        self.vote(self.petrova, "for", "for", "for")
        self.vote(self.petrov, "against", "for", "for", at=DURING + timedelta(hours=1))
        self.vote(self.smirnov, "for", "for", "for", at=DURING + timedelta(hours=2))
        sidorov = RegisterEntry.objects.get(meeting=self.meeting, premises_number="4")
        services.enter_paper_ballot(
            meeting=self.meeting,
            by=self.admin,
            entry_ids=[sidorov.pk],
            decisions={1: "abstain", 2: "against", 3: "for"},
            scan_reference="scan-0042.pdf",
            now=DURING + timedelta(days=1),
        )
        services.end_voting(meeting=self.meeting, now=ENDS)
        self.refresh()

    def vote(self, user, *choices: str, at=DURING) -> None:
        services.cast_meeting_vote(
            meeting=self.meeting, user=user, decisions=dict(enumerate(choices, start=1)), now=at
        )

    def publish(self) -> None:
        services.publish_protocol(meeting=self.meeting, by=self.admin, now=PUBLISHED)
        self.refresh()

    def refresh(self) -> None:
        self.meeting = Meeting.objects.select_related("building").get(pk=self.meeting.pk)

    def url(self, name: str = "protocol") -> str:
        return reverse(f"house:{name}", args=[self.meeting.pk])


@pytest.fixture
def meet() -> Meet:
    return Meet()


def client_of(user=None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def annex_areas(html: str) -> list[str]:
    # "<p class="voter">1. Name — premises (share) — 12.5 m² — decisions — how voted</p>"
    return re.findall(r'<p class="voter">\d+\. [^—<]+ — [^—<]+ — ([0-9.,]+) ', html)


# --- What the protocol states --------------------------------------------------------------------


def test_the_protocol_is_refused_before_the_meeting_is_counted(meet):
    other = services.create_meeting(
        building=meet.building,
        by=meet.admin,
        title="Внеочередное собрание",
        voting_starts_at=STARTS,
        voting_ends_at=ENDS,
        items=[AgendaItemInput(title="Вопрос", subject="other")],
    )
    services.publish_notice(meeting=other, by=meet.admin, now=NOTICE_AT)
    services.start_voting(meeting=other, now=STARTS)
    with pytest.raises(Conflict) as refused:
        protocols.protocol_of(other)
    assert refused.value.code == "no_protocol_yet"
    assert client_of(meet.admin).get(reverse("house:protocol", args=[other.pk])).status_code == 404


def test_the_numbers_are_the_count_exactly_and_the_annex_adds_up(meet):
    protocol = protocols.protocol_of(meet.meeting)
    count = selectors.count_of(meet.meeting)

    assert protocol.draft
    assert protocol.total_area == Fraction("287.00") == count.total_area
    assert protocol.participating_area == Fraction("207.00") == count.participating_area
    assert protocol.participating_percent == Decimal("72.13")
    assert (protocol.participating_owners, protocol.owners_total) == (4, 5)
    assert protocol.quorum
    # Every owner's votes: the co-owners' halves, one owner's two premises, the paper ballot.
    annex = {v.owner_name: (str(v.area_m2), v.premises_label, v.channel) for v in protocol.voters}
    assert annex == {
        "Петрова Мария Ивановна": ("30.625", "1 (1/2)", "electronic"),
        "Петров Олег Петрович": ("30.625", "1 (1/2)", "electronic"),
        "Смирнов Иван Андреевич": ("75.75", "2, 3", "electronic"),
        "Сидоров Пётр Ильич": ("70.00", "4", "paper"),
    }
    assert protocol.annex_area == protocol.participating_area
    assert sum(v.area_m2 for v in protocol.voters) == protocol.participating_m2

    first, second, third = protocol.items
    assert [str(a) for a in (first.for_m2, first.against_m2, first.abstain_m2)] == [
        "106.375",
        "30.625",
        "70.00",
    ]
    assert (first.for_percent, first.against_percent, first.abstain_percent) == (
        Decimal("51.39"),
        Decimal("14.79"),
        Decimal("33.82"),
    )
    assert first.adopted  # more than half of the 207 m² that took part
    # Capital repairs need two thirds of all 287 m²: 137 m² is 47.74 %.
    assert (str(second.for_m2), second.for_percent, second.against_percent) == (
        "137.00",
        Decimal("47.74"),
        Decimal("24.39"),
    )
    assert not second.adopted
    assert (str(third.for_m2), third.for_percent, third.adopted) == (
        "207.00",
        Decimal("72.13"),
        True,
    )
    for item, counted in zip(protocol.items, count.items, strict=True):
        assert item.for_area + item.against_area + item.abstain_area == counted.decided_area
    assert first.for_area + first.against_area + first.abstain_area == protocol.participating_area


def test_the_page_has_every_part_the_housing_code_asks_for(meet):
    meet.publish()
    answer = client_of(meet.smirnov).get(meet.url())
    assert answer.status_code == 200
    html = answer.content.decode()

    required = [
        "Minutes of the general meeting of the owners of premises",
        "No. 1",
        "28.03.2026",  # the protocol's date: the day it was published
        settings.SITE_URL,  # the place: the platform's address
        "ул. Профсоюзная, д. 43, помещение совета дома",  # where paper ballots were handed in
        "ул. Профсоюзная, д. 43",
        "Орлова Анна Сергеевна",  # the initiator
        "Анна Орлова",  # the administrator
        "electronic voting with paper ballots",
        "from 13.03.2026 10:00 to 27.03.2026 10:00",
        '<span class="total-area">287.00</span>',
        '<span class="participating-area">207.00</span>',
        '<span class="participating-percent">72.13</span>',
        "4 of 5",
        "yes: the meeting is competent",
        "Выбор председателя собрания",
        "Избрать Орлову А.",
        "majority of the votes taking part",
        "at least 2/3 of all votes",
        "more than 50 % of all votes",
        "106.375",
        "51.39",
        "47.74",
        "not adopted",
        "Annex: owners who voted",
        "Петрова Мария Ивановна",
        "1 (1/2)",
        "paper ballot, scan scan-0042.pdf",
        "electronically",
        "ГБУ «Жилищник района Черёмушки», каб. 5",
        "rounded to 2 decimal places, half up",
        "decided on the exact numbers",
    ]
    missing = [part for part in required if part not in html]
    assert missing == []
    assert "DRAFT" not in html
    assert html.count('class="decision adopted"') == 2
    assert html.count('class="decision rejected"') == 1
    areas = annex_areas(html)
    assert len(areas) == 4
    assert sum(Decimal(a) for a in areas) == Decimal("207.00")


def test_the_xml_follows_the_schema_and_its_numbers_are_the_count(meet):
    meet.publish()
    answer = client_of(meet.admin).get(meet.url("protocol_xml"))
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("application/xml")
    assert "protocol-1-" in answer["Content-Disposition"]
    root = ET.fromstring(answer.content)
    schema = ET.parse(protocols.XSD_PATH).getroot()

    assert root.tag == f"{{{protocols.XML_NAMESPACE}}}protocol"
    assert schema.get("targetNamespace") == protocols.XML_NAMESPACE
    assert (root.get("version"), root.get("status")) == ("1", "published")
    assert validate(root, schema) == []
    items = root.findall("p:items/p:item", NS)
    voters = root.findall("p:voters/p:voter", NS)
    assert len(items) == 3 and len(voters) == 4

    count = selectors.count_of(meet.meeting)
    assert root.findtext("p:meeting/p:number", namespaces=NS) == "1"
    assert root.findtext("p:meeting/p:votingStartsAt", namespaces=NS) == "2026-03-13T10:00:00+03:00"
    assert root.findtext("p:areas/p:total", namespaces=NS) == "287.00"
    assert root.findtext("p:areas/p:participating", namespaces=NS) == "207.00"
    assert Fraction(root.findtext("p:areas/p:participating", namespaces=NS)) == (
        count.participating_area
    )
    assert root.findtext("p:quorum", namespaces=NS) == "true"
    for element, counted in zip(items, count.items, strict=True):
        assert element.get("number") == str(counted.number)
        assert Fraction(element.findtext("p:for", namespaces=NS)) == counted.for_area
        assert Fraction(element.findtext("p:against", namespaces=NS)) == counted.against_area
        assert Fraction(element.findtext("p:abstain", namespaces=NS)) == counted.abstain_area
        assert element.find("p:for", NS).get("percent") == str(counted.for_percent)
        assert element.findtext("p:adopted", namespaces=NS) == str(counted.adopted).lower()
    assert [i.findtext("p:adopted", namespaces=NS) for i in items] == ["true", "false", "true"]
    # The voters' areas add up to the participating area, exactly.
    assert sum(Fraction(v.findtext("p:area", namespaces=NS)) for v in voters) == Fraction("207")
    paper = [v for v in voters if v.get("channel") == "paper"]
    assert [v.findtext("p:scanReference", namespaces=NS) for v in paper] == ["scan-0042.pdf"]


def test_the_schema_check_finds_what_is_wrong(meet):
    """The hand-written check below stands for an XSD validator: it must fail when it should."""
    root = ET.fromstring(protocols.render_xml(protocols.protocol_of(meet.meeting)))
    schema = ET.parse(protocols.XSD_PATH).getroot()
    assert validate(root, schema) == []
    areas = root.find("p:areas", NS)
    areas.find("p:total", NS).text = "287,00"
    areas.remove(areas.find("p:participating", NS))
    root.find("p:items/p:item", NS).set("number", "first")
    root.find("p:quorum", NS).text = "yes"
    root.find("p:voters/p:voter", NS).set("channel", "phone")
    problems = "\n".join(validate(root, schema))
    for expected in (
        "areas/total: '287,00'",
        "participating is missing",
        "item@number: 'first'",
        "quorum: 'yes'",
        "voter@channel: 'phone'",
    ):
        assert expected in problems


# --- A small XSD check (lxml is not a dependency): structure and occurrences, attributes, and
# the lexical forms and enumerations of the simple types protocol.xsd uses.

LEXICAL = {
    "p:area": re.compile(r"^\d+\.\d{2,6}$"),
    "p:percent": re.compile(r"^\d{1,3}\.\d{2}$"),
    "p:share": re.compile(r"^(1|[1-9]\d*/[1-9]\d*)$"),
    "xs:boolean": re.compile(r"^(true|false)$"),
    "xs:positiveInteger": re.compile(r"^[1-9]\d*$"),
    "xs:nonNegativeInteger": re.compile(r"^\d+$"),
    "xs:date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "xs:dateTime": re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}([+-]\d{2}:\d{2}|Z)$"),
}


def _simple_problems(schema, type_name, inline, value, where) -> list[str]:
    """`value` against a built-in or named simple type, or an inline xs:simpleType."""
    problems = []
    pattern = LEXICAL.get(type_name or "")
    if pattern is not None and not pattern.match(value or ""):
        problems.append(f"{where}: {value!r} is not {type_name}")
    definition = inline
    if definition is None and (type_name or "").startswith("p:"):
        definition = schema.find(f"{XS}simpleType[@name='{type_name[2:]}']")
    allowed = {e.get("value") for e in definition.iter(f"{XS}enumeration")} if definition else None
    if allowed and value not in allowed:
        problems.append(f"{where}: {value!r} is not one of {sorted(allowed)}")
    return problems


def _check(element: ET.Element, definition: ET.Element, schema: ET.Element, where: str) -> list:
    complex_type = definition.find(f"{XS}complexType")
    type_name = definition.get("type")
    if complex_type is None and type_name and type_name.startswith("p:"):
        complex_type = schema.find(f"{XS}complexType[@name='{type_name[2:]}']")
    if complex_type is None:  # a simple element
        problems = [f"{where}: has child elements"] if len(element) else []
        inline = definition.find(f"{XS}simpleType")
        return problems + _simple_problems(schema, type_name, inline, element.text, where)
    problems: list[str] = []
    attributes = list(complex_type.findall(f"{XS}attribute"))
    extension = complex_type.find(f"{XS}simpleContent/{XS}extension")
    if extension is not None:
        attributes += extension.findall(f"{XS}attribute")
        base = extension.get("base")
        problems += _simple_problems(schema, base, None, element.text, where)
    elif (element.text or "").strip():
        problems.append(f"{where}: has text")
    for name in set(element.attrib) - {a.get("name") for a in attributes}:
        problems.append(f"{where}: attribute {name} is not declared")
    for attribute in attributes:
        name = attribute.get("name")
        value = element.get(name)
        if value is None:
            if attribute.get("use") == "required":
                problems.append(f"{where}: attribute {name} is missing")
            continue
        inline = attribute.find(f"{XS}simpleType")
        problems += _simple_problems(
            schema, attribute.get("type"), inline, value, f"{where}@{name}"
        )
    sequence = complex_type.find(f"{XS}sequence")
    children = list(element)
    position = 0
    for child in sequence.findall(f"{XS}element") if sequence is not None else []:
        name = child.get("name")
        low, high = int(child.get("minOccurs", "1")), child.get("maxOccurs", "1")
        seen = 0
        while position < len(children) and children[position].tag == f"{{{NS['p']}}}{name}":
            problems += _check(children[position], child, schema, f"{where}/{name}")
            position += 1
            seen += 1
        if seen < low:
            problems.append(f"{where}: {name} is missing")
        if high != "unbounded" and seen > int(high):
            problems.append(f"{where}: {name} occurs {seen} times")
    problems += [f"{where}: unexpected {c.tag.split('}')[1]}" for c in children[position:]]
    return problems


def validate(document: ET.Element, schema: ET.Element) -> list[str]:
    """What in `document` protocol.xsd does not allow (nothing: it validates)."""
    if document.tag != f"{{{schema.get('targetNamespace')}}}protocol":
        return [f"the root is {document.tag}"]
    return _check(document, schema.find(f"{XS}element[@name='protocol']"), schema, "protocol")


# --- The PDF -------------------------------------------------------------------------------------


def test_the_pdf_is_made_offline_with_embedded_fonts_and_cached_once_published(meet, monkeypatch):
    meet.publish()
    tried: list[object] = []

    def no_network(self, address, *args):
        tried.append(address)
        raise OSError("the protocol tried the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    made = []
    render = protocols.render_pdf
    monkeypatch.setattr(protocols, "render_pdf", lambda p: made.append(p) or render(p))

    client = client_of(meet.petrova)
    first = client.get(meet.url("protocol_pdf"))
    assert first.status_code == 200
    assert first["Content-Type"] == "application/pdf"
    assert first["Content-Disposition"] == (
        f'attachment; filename="protocol-1-meeting-{meet.meeting.pk}.pdf"'
    )
    assert first.content.startswith(b"%PDF")
    assert len(first.content) > 5000
    # The Cyrillic-capable font is embedded (its name is in the compressed object streams).
    assert any(b"DejaVu" in part for part in pdf_objects(first.content))
    assert tried == []
    again = client.get(meet.url("protocol_pdf"))
    assert again.content == first.content
    assert len(made) == 1  # the second download came from the cache


def pdf_objects(pdf: bytes) -> list[bytes]:
    """The PDF's objects and streams, inflated where they are compressed."""
    parts = [pdf]
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.DOTALL):
        with contextlib.suppress(zlib.error):
            parts.append(zlib.decompress(raw))
    return parts


def test_the_pdf_fetcher_refuses_anything_but_inline_data():
    fetcher = protocols._offline_fetcher()
    for url in ("https://example.org/style.css", "http://127.0.0.1/x.png", "file:///etc/passwd"):
        with pytest.raises(ValueError, match="offline"):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 3
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"


def test_a_draft_pdf_says_draft(meet):
    answer = client_of(meet.admin).get(meet.url("protocol_pdf"))
    assert answer.status_code == 200
    assert answer.content.startswith(b"%PDF")
    assert answer["Content-Disposition"].endswith('-draft.pdf"')
    html = protocols.render_html(protocols.protocol_of(meet.meeting), for_pdf=True)
    assert "DRAFT: this protocol has not been published yet" in html


# --- Who may read it -----------------------------------------------------------------------------


def test_before_publishing_only_administrators_see_the_draft(meet):
    tenant = hf.person()
    Resident.objects.create(building=meet.building, user=tenant)
    other_admin = hf.house_administrator(hf.building())
    for name in ("protocol", "protocol_pdf", "protocol_xml"):
        for who in (None, hf.person(), tenant, meet.smirnov, other_admin):
            assert client_of(who).get(meet.url(name)).status_code == 404, (name, who)
    answer = client_of(meet.admin).get(meet.url())
    assert answer.status_code == 200
    assert "DRAFT: this protocol has not been published yet" in answer.content.decode()
    xml = client_of(meet.admin).get(meet.url("protocol_xml"))
    assert ET.fromstring(xml.content).get("status") == "draft"


def test_once_published_owners_and_administrators_read_it_and_nobody_else(meet):
    meet.publish()
    tenant = hf.person()
    Resident.objects.create(building=meet.building, user=tenant)
    owner_of_elsewhere = hf.person()
    hf.ownership(hf.premises(hf.building(), "1"), owner=owner_of_elsewhere)
    for who in (None, hf.person(), tenant, owner_of_elsewhere):
        assert client_of(who).get(meet.url()).status_code == 404
        assert client_of(who).get(meet.url("protocol_xml")).status_code == 404
    # An owner who did not vote reads it as well as those who did.
    for who in (meet.kuznetsova, meet.petrov, meet.admin):
        answer = client_of(who).get(meet.url())
        assert answer.status_code == 200
        assert "DRAFT" not in answer.content.decode()
        assert answer["Cache-Control"] == "private, no-store"
