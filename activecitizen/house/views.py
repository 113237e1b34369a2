"""Pages of the Electronic House: my buildings and their meetings, a meeting with its ballot and
results, and a claim to premises. Thin: the services decide, the selectors read."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from fractions import Fraction

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from activecitizen.core.errors import DomainError
from activecitizen.house import counting, register, selectors, services
from activecitizen.house.forms import (
    CHOICE_LABELS,
    BuildingSearchForm,
    MeetingBallotForm,
    PremisesClaimForm,
)
from activecitizen.house.models import (
    Building,
    Meeting,
    MeetingBallot,
    Premises,
    PremisesClaim,
    RegisterEntry,
)

BUILDINGS_FOUND_MAX = 20


# --- My house ----------------------------------------------------------------------------------


@dataclass
class MyBuilding:
    building: Building
    premises: list[Premises] = field(default_factory=list)
    resident: bool = False
    administrator: bool = False
    meetings: list[Meeting] = field(default_factory=list)


def _my_buildings(user) -> list[MyBuilding]:
    """Buildings where the person owns premises, lives or administers, with the meetings they
    may see (a tenant sees the building, not its meetings)."""
    buildings = selectors.buildings_of(user)
    administered = set(user.administered_buildings.values_list("pk", flat=True))
    mine = {b.pk: MyBuilding(building=b) for b in buildings}
    for premises in selectors.owned_premises(user).filter(building__in=list(mine)):
        mine[premises.building_id].premises.append(premises)
    for building_id in user.residences.filter(building__in=list(mine)).values_list(
        "building_id", flat=True
    ):
        mine[building_id].resident = True
    for building_id in administered & set(mine):
        mine[building_id].administrator = True
    for meeting in selectors.meetings_visible_to(user).filter(building__in=list(mine)):
        mine[meeting.building_id].meetings.append(meeting)
    return list(mine.values())


def my_buildings(request: HttpRequest) -> HttpResponse:
    """ "My house": the person's buildings with their meetings and announcements; before
    signing in, what the section is and a way in."""
    if not request.user.is_authenticated:
        return render(request, "house/home.html", {"anonymous": True})
    claims = (
        PremisesClaim.objects.filter(user=request.user)
        .exclude(status=PremisesClaim.Status.CONFIRMED)
        .select_related("premises__building")[:20]
    )
    return render(
        request,
        "house/home.html",
        {
            "buildings": _my_buildings(request.user),
            "claims": claims,
            "announcements": selectors.announcements_for(request.user)[:10],
        },
    )


# --- A claim to premises -----------------------------------------------------------------------


@login_required
def claim(request: HttpRequest) -> HttpResponse:
    """Find the building by its address, then name the premises and the title document."""
    search = BuildingSearchForm(request.GET or None)
    found = Building.objects.none()
    if search.is_bound and search.is_valid():
        matching = Building.objects.all()
        for word in search.cleaned_data["q"].split()[:6]:
            matching = matching.filter(address__icontains=word.strip(",."))
        first = matching.order_by("address").values_list("pk", flat=True)[:BUILDINGS_FOUND_MAX]
        found = Building.objects.filter(pk__in=list(first)).order_by("address")
    if request.method == "POST":
        posted = request.POST.get("building", "")
        # The building chosen from an earlier search: only it is a valid choice now.
        if posted.isdigit() and len(posted) <= 9:
            found = Building.objects.filter(pk=int(posted))
        form = PremisesClaimForm(request.POST, buildings=found)
        if form.is_valid():
            building = form.cleaned_data["building"]
            premises = Premises.objects.filter(
                building=building, number__iexact=form.cleaned_data["premises_number"].strip()
            ).first()
            if premises is None:
                form.add_error(
                    "premises_number",
                    _("The building's register has no premises with this number."),
                )
            else:
                try:
                    register.claim_premises(
                        user=request.user,
                        premises=premises,
                        title_document=form.cleaned_data["title_document"],
                        share=register.parse_share(form.cleaned_data["share"]),
                    )
                except DomainError as error:
                    form.add_error(error.field if error.field in form.fields else None, str(error))
                else:
                    messages.success(
                        request,
                        _(
                            "Your claim is sent. The building's administrator checks the title "
                            "document and confirms it."
                        ),
                    )
                    return redirect("house:home")
        status = 422
    else:
        chosen = list(found[:2])
        only = {"building": chosen[0].pk} if len(chosen) == 1 else {}
        form = PremisesClaimForm(buildings=found, initial=only) if chosen else None
        status = 200
    return render(
        request,
        "house/claim.html",
        {"search": search, "found": found, "form": form},
        status=status,
    )


# --- A meeting ---------------------------------------------------------------------------------


def _visible_meeting(request: HttpRequest, meeting_id: int) -> Meeting:
    """The meeting if the person may see it; 404 otherwise, never saying that it exists."""
    return get_object_or_404(
        selectors.meetings_visible_to(request.user).select_related(
            "building", "administrator", "initiator"
        ),
        pk=meeting_id,
    )


@dataclass(frozen=True)
class ResultLine:
    label: str
    choice: str
    area: object
    percent: object


def _result_lines(count: counting.ItemCount) -> list[ResultLine]:
    return [
        ResultLine(_("For"), counting.FOR, counting.area_m2(count.for_area), count.for_percent),
        ResultLine(
            _("Against"),
            counting.AGAINST,
            counting.area_m2(count.against_area),
            count.against_percent,
        ),
        ResultLine(
            _("Abstain"),
            counting.ABSTAIN,
            counting.area_m2(count.abstain_area),
            count.abstain_percent,
        ),
    ]


def _render_meeting(
    request: HttpRequest,
    meeting: Meeting,
    *,
    form: MeetingBallotForm | None = None,
    error: DomainError | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    now = timezone.now()
    items = list(meeting.items.all())
    entries = list(RegisterEntry.objects.filter(meeting=meeting, owner=user))
    ballot = selectors.ballot_of(meeting, user)
    voting_open = (
        meeting.status == Meeting.Status.VOTING
        and meeting.voting_starts_at <= now < meeting.voting_ends_at
    )
    can_vote = voting_open and bool(entries) and ballot is None
    if can_vote and form is None:
        form = MeetingBallotForm(items=items, initial={"ballot_token": secrets.token_hex(16)})
    counted = meeting.status in (Meeting.Status.COUNTING, Meeting.Status.PROTOCOL)
    count = selectors.count_of(meeting) if counted else None
    labels = dict(CHOICE_LABELS)
    rows = []
    for item in items:
        item_count = count.item(item.number) if count is not None else None
        rows.append(
            {
                "item": item,
                "count": item_count,
                "lines": _result_lines(item_count) if item_count is not None else [],
                "decision": labels.get(ballot.decisions.get(str(item.number))) if ballot else None,
            }
        )
    weight = sum((e.weight for e in entries), Fraction(0))
    return render(
        request,
        "house/meeting.html",
        {
            "meeting": meeting,
            "rows": rows,
            "ballot": ballot,
            "paper": ballot is not None and ballot.channel == MeetingBallot.Channel.PAPER,
            "is_voter": bool(entries),
            "my_weight": counting.area_m2(weight) if entries else None,
            "voting_open": voting_open,
            "can_vote": can_vote,
            "form": form,
            "error": error,
            "count": count,
            "total_area": counting.area_m2(count.total_area) if count else None,
            "participating_area": counting.area_m2(count.participating_area) if count else None,
            "administers": selectors.may_administer(user, meeting.building),
        },
        status=status,
    )


@login_required
def meeting_detail(request: HttpRequest, meeting_id: int) -> HttpResponse:
    return _render_meeting(request, _visible_meeting(request, meeting_id))


@login_required
@require_POST
def vote(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _visible_meeting(request, meeting_id)
    form = MeetingBallotForm(request.POST, items=meeting.items.all())
    if not form.is_valid():
        return _render_meeting(request, meeting, form=form, status=422)
    try:
        services.cast_meeting_vote(
            meeting=meeting,
            user=request.user,
            decisions=form.decisions(),
            # The form's one-time token makes a double click or a resent form a replay.
            idempotency_key=form.cleaned_data.get("ballot_token", ""),
        )
    except services.AlreadyVoted as already:
        if not already.replay:
            messages.info(request, _("You have already voted in this meeting."))
        return redirect("house:meeting", meeting_id=meeting.pk)
    except DomainError as error:
        return _render_meeting(request, meeting, form=form, error=error, status=error.status)
    messages.success(request, _("Thank you! Your decisions are recorded."))
    return redirect("house:meeting", meeting_id=meeting.pk)
