"""Pages of the Votes section: the list, a poll with its ballot, the receipt, "My votes", and the
service-centre desk where an officer helps a resident vote."""

from __future__ import annotations

import logging
import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from activecitizen.accounts.models import User
from activecitizen.accounts.phones import normalize_phone
from activecitizen.core.errors import DomainError, NotFound
from activecitizen.polls import results, selectors, services
from activecitizen.polls.models import Participation, Poll

logger = logging.getLogger(__name__)

TABS = ("open", "voted", "results")


def poll_list(request: HttpRequest) -> HttpResponse:
    tab = request.GET.get("tab", "open")
    if tab not in TABS:
        tab = "open"
    if request.user.is_authenticated:
        entries = selectors.polls_for(request.user, state=tab)
    else:
        # Before signing in: results anyone may read, and a call to sign in to vote.
        tab = "results" if tab != "open" else "open"
        entries = (
            [
                selectors.PollForPerson(poll=p, voted=False, can_vote=False, why_not=[])
                for p in selectors.visible_polls()
                .filter(status__in=[Poll.Status.CLOSED, Poll.Status.PUBLISHED])
                .order_by("-closes_at")[:50]
            ]
            if tab == "results"
            else []
        )
    page = Paginator(entries, 20).get_page(request.GET.get("page"))
    return render(request, "polls/list.html", {"tab": tab, "tabs": TABS, "page": page})


def _ballot_from_form(poll: Poll, data) -> list[dict]:
    """The ballot form's fields (q<id>, text<id>) as the answers cast_ballot takes."""
    answers = []
    for question in poll.questions.all():
        chosen = []
        for raw in data.getlist(f"q{question.pk}"):
            try:
                chosen.append(int(raw))
            except (TypeError, ValueError):
                chosen.append(-1)  # refused by the checks as an unknown option
        text = data.get(f"text{question.pk}") or None
        answers.append({"question_id": question.pk, "option_ids": chosen, "text": text})
    return answers


def poll_detail(request: HttpRequest, poll_id: int) -> HttpResponse:
    poll = get_object_or_404(
        selectors.visible_polls().prefetch_related("questions__options"), pk=poll_id
    )
    return _render_poll(request, poll)


def _render_poll(
    request: HttpRequest, poll: Poll, *, error: DomainError | None = None, status: int = 200
) -> HttpResponse:
    user = request.user if request.user.is_authenticated else None
    participation = (
        Participation.objects.filter(poll=poll, user=user).first() if user is not None else None
    )
    why_not = selectors.why_cannot_vote(poll, user)
    field_error = None
    if error is not None and error.field and error.field.startswith("answers."):
        field_error = error.field.removeprefix("answers.")
    return render(
        request,
        "polls/detail.html",
        {
            "poll": poll,
            "questions": poll.questions.all(),
            "why_not": why_not,
            "can_vote": not why_not,
            "participation": participation,
            "error": error,
            "error_question": field_error,
            "chosen": request.POST if request.method == "POST" else None,
            "ballot_token": secrets.token_hex(16),
        },
        status=status,
    )


@login_required
@require_POST
def vote(request: HttpRequest, poll_id: int) -> HttpResponse:
    poll = get_object_or_404(
        selectors.visible_polls().prefetch_related("questions__options"), pk=poll_id
    )
    try:
        services.cast_ballot(
            poll_id=poll.pk,
            user=request.user,
            answers=_ballot_from_form(poll, request.POST),
            channel="web",
            # The form's one-time token makes a double click or a resubmitted form a replay.
            idempotency_key=request.POST.get("ballot_token", "")[:200],
        )
    except services.AlreadyVoted as already:
        if not already.replay:
            messages.info(request, _("You have already voted in this poll. Here is your receipt."))
        return redirect("polls:receipt", poll_id=poll.pk)
    except DomainError as error:
        return _render_poll(request, poll, error=error, status=error.status)
    messages.success(
        request,
        _("Thank you! Your vote is counted. +%(n)s points.") % {"n": poll.points}
        if poll.points
        else _("Thank you! Your vote is counted."),
    )
    return redirect("polls:receipt", poll_id=poll.pk)


@login_required
def receipt(request: HttpRequest, poll_id: int) -> HttpResponse:
    participation = get_object_or_404(selectors.my_participations(request.user), poll_id=poll_id)
    [row] = selectors.ballot_statuses([participation])
    return render(
        request,
        "polls/receipt.html",
        {
            "participation": participation,
            "row": row,
            "merge_delay": settings.TRANSPARENCY_MERGE_DELAY,
        },
    )


@login_required
def receipt_proof(request: HttpRequest, ballot_id: str) -> HttpResponse:
    """The receipt as a proof bundle for `python -m activecitizen.verify … --receipt`."""
    try:
        bundle = selectors.receipt_bundle(selectors.my_ballot(request.user, ballot_id))
    except NotFound:
        raise Http404 from None
    response = JsonResponse(bundle, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="receipt-{ballot_id}.json"'
    return response


@login_required
def my_votes(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.my_participations(request.user), 20).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "polls/my_votes.html",
        {
            "page": page,
            "rows": selectors.ballot_statuses(page.object_list),
            "merge_delay": settings.TRANSPARENCY_MERGE_DELAY,
        },
    )


# --- Results -----------------------------------------------------------------------------------


def _poll_for_results(request: HttpRequest, poll_id: int) -> Poll:
    polls = Poll.objects.all() if results.is_editor(request.user) else selectors.visible_polls()
    return get_object_or_404(polls, pk=poll_id)


def results_page(request: HttpRequest, poll_id: int) -> HttpResponse:
    poll = _poll_for_results(request, poll_id)
    if not results.results_visible(poll, request.user):
        return render(request, "polls/results.html", {"poll": poll, "results": None}, status=403)
    return render(request, "polls/results.html", results.results_context(poll, request.user))


def results_partial(request: HttpRequest, poll_id: int) -> HttpResponse:
    poll = _poll_for_results(request, poll_id)
    if not results.results_visible(poll, request.user):
        return HttpResponse(status=403)
    # Polled every 10 s: nothing tallied since the page's numbers → 204, htmx leaves it be.
    if request.GET.get("counted") == str(poll.ballots_counted) and results.refreshes_live(poll):
        return HttpResponse(status=204)
    return render(request, "polls/_results.html", results.results_context(poll, request.user))


def results_csv(request: HttpRequest, poll_id: int) -> HttpResponse:
    poll = _poll_for_results(request, poll_id)
    if not results.results_visible(poll, request.user):
        return HttpResponse(status=403)
    # The byte-order mark lets spreadsheet programs read the Cyrillic as UTF-8.
    response = HttpResponse(
        "\ufeff" + results.results_as_csv(poll), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="poll-{poll.pk}-results.csv"'
    return response


def results_json(request: HttpRequest, poll_id: int) -> HttpResponse:
    poll = _poll_for_results(request, poll_id)
    if not results.results_visible(poll, request.user):
        return HttpResponse(status=403)
    response = JsonResponse(
        results.results_as_dict(poll), json_dumps_params={"ensure_ascii": False}
    )
    response["Content-Disposition"] = f'attachment; filename="poll-{poll.pk}-results.json"'
    return response


# --- The service-centre desk -------------------------------------------------------------------


def _officer(request: HttpRequest) -> User:
    if not request.user.is_authenticated:
        raise DjangoPermissionDenied
    if not request.user.has_perm("polls.assist_voting"):
        raise DjangoPermissionDenied
    return request.user


def service_centre(request: HttpRequest) -> HttpResponse:
    """Step 1: the officer finds the resident by phone, after checking their passport."""
    officer = _officer(request)
    resident = None
    error = None
    phone = request.GET.get("phone", "").strip()
    if phone:
        try:
            resident = User.objects.filter(phone=normalize_phone(phone), is_active=True).first()
        except DomainError as refused:
            error = str(refused.message)
        else:
            if resident is None:
                error = _("Nobody is registered with this phone number.")
            else:
                logger.info(
                    "service centre: officer %s looked up person %s", officer.pk, resident.pk
                )
    polls = selectors.polls_for(resident, state="open") if resident else []
    return render(
        request,
        "polls/service_centre.html",
        {"resident": resident, "polls": polls, "phone": phone, "error": error},
        status=422 if error else 200,
    )


def _desk_for(resident: User) -> str:
    return f"{reverse('polls:service_centre')}?{urlencode({'phone': resident.phone})}"


def service_centre_ballot(request: HttpRequest, poll_id: int, user_id: int) -> HttpResponse:
    """Step 2: the resident chooses; the officer casts the ballot (channel "service centre")."""
    officer = _officer(request)
    resident = get_object_or_404(User, pk=user_id, is_active=True)
    poll = get_object_or_404(
        selectors.visible_polls().prefetch_related("questions__options"), pk=poll_id
    )
    error = None
    status = 200
    if request.method == "POST":
        try:
            services.cast_ballot(
                poll_id=poll.pk,
                user=resident,
                answers=_ballot_from_form(poll, request.POST),
                channel="service_centre",
                idempotency_key=request.POST.get("ballot_token", "")[:200],
                assisted_by=officer,
            )
        except services.AlreadyVoted:
            messages.info(request, _("This resident has already voted in this poll."))
            return redirect(_desk_for(resident))
        except DomainError as refused:
            error = refused
            status = refused.status
        else:
            messages.success(
                request,
                _("The ballot of %(name)s is cast.")
                % {"name": resident.full_name or resident.phone},
            )
            return redirect(_desk_for(resident))
    why_not = selectors.why_cannot_vote(poll, resident)
    return render(
        request,
        "polls/service_centre_ballot.html",
        {
            "poll": poll,
            "resident": resident,
            "questions": poll.questions.all(),
            "why_not": why_not,
            "can_vote": not why_not,
            "error": error,
            "error_question": error.field.removeprefix("answers.")
            if error is not None and error.field
            else None,
            "chosen": request.POST if request.method == "POST" else None,
            "ballot_token": secrets.token_hex(16),
        },
        status=status,
    )
