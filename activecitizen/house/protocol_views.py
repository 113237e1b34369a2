"""The protocol of an owners' meeting as a printable page, a PDF and XML (thin: the
permission check, then `house.protocol`).

Owners of premises in the building and its administrators may read a published protocol; a
draft (the meeting is counted, the protocol not yet published) only its administrators. Anyone
else gets 404: whether a building holds meetings is not told to strangers.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_GET

from activecitizen.core.errors import Conflict
from activecitizen.house import protocol as protocols
from activecitizen.house import selectors
from activecitizen.house.models import Meeting


def _readable_meeting(request: HttpRequest, meeting_id: int) -> Meeting:
    meeting = get_object_or_404(
        Meeting.objects.select_related("building", "administrator"), pk=meeting_id
    )
    user = request.user
    administrator = selectors.may_administer(user, meeting.building)
    if not administrator:
        published = meeting.status == Meeting.Status.PROTOCOL
        if not (published and selectors.is_owner(user, meeting.building)):
            raise Http404
    if meeting.status not in protocols.COUNTED_STATUSES:
        raise Http404  # not counted yet: there is no protocol to read
    return meeting


def _readable_protocol(request: HttpRequest, meeting_id: int) -> protocols.Protocol:
    try:
        return protocols.protocol_of(_readable_meeting(request, meeting_id))
    except Conflict:
        raise Http404 from None


def _private(response: HttpResponse) -> HttpResponse:
    # The annex names owners: no shared cache may keep it.
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def protocol_html(request: HttpRequest, meeting_id: int) -> HttpResponse:
    protocol = _readable_protocol(request, meeting_id)
    links = {
        "meeting": reverse("house:meeting", args=[meeting_id]),
        "pdf": reverse("house:protocol_pdf", args=[meeting_id]),
        "xml": reverse("house:protocol_xml", args=[meeting_id]),
    }
    return _private(HttpResponse(protocols.render_html(protocol, links=links)))


def _filename(meeting: Meeting, extension: str) -> str:
    draft = "" if meeting.status == Meeting.Status.PROTOCOL else "-draft"
    return f"protocol-{meeting.number}-meeting-{meeting.pk}{draft}.{extension}"


@require_GET
def protocol_pdf(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _readable_meeting(request, meeting_id)
    try:
        pdf = protocols.protocol_pdf(meeting)
    except Conflict:
        raise Http404 from None
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename(meeting, "pdf")}"'
    return _private(response)


@require_GET
def protocol_xml(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _readable_meeting(request, meeting_id)
    try:
        xml = protocols.render_xml(protocols.protocol_of(meeting))
    except Conflict:
        raise Http404 from None
    response = HttpResponse(xml, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(meeting, "xml")}"'
    return _private(response)
