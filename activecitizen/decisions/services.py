"""Every write of decisions: creating one, moving its status (and telling the poll's voters),
its steps, and the reports on the work. Only editors (and superusers) may call them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import partial

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from activecitizen.accounts.models import User
from activecitizen.core.errors import Conflict, InvalidInput, PermissionDenied
from activecitizen.decisions.models import (
    REASON_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    UPDATE_MAX_LENGTH,
    Category,
    Decision,
    DecisionStep,
    DecisionUpdate,
    Status,
)
from activecitizen.discussions.models import Project
from activecitizen.geo.models import District
from activecitizen.notifications.services import fan_out, tell_neighbours
from activecitizen.novelties.models import Novelty
from activecitizen.polls.models import Poll
from activecitizen.polls.notices import voters_of

# Where each status may go next. Done and cancelled are final: a decision done is history.
NEXT_STATUSES: dict[str, frozenset[str]] = {
    Status.PLANNED: frozenset({Status.IN_PROGRESS, Status.CANCELLED}),
    Status.IN_PROGRESS: frozenset({Status.DONE, Status.CANCELLED}),
    Status.DONE: frozenset(),
    Status.CANCELLED: frozenset(),
}


def _check_editor(user: User | None) -> None:
    if user is None or not user.is_active or not user.has_perm("decisions.change_decision"):
        raise PermissionDenied(_("Only the city's editors may change decisions."))


def _point(
    lat: Decimal | str | float | None, lon: Decimal | str | float | None
) -> tuple[Decimal | None, Decimal | None]:
    if lat is None and lon is None:
        return None, None
    lat_d: Decimal | None
    lon_d: Decimal | None
    try:
        lat_d, lon_d = Decimal(str(lat)), Decimal(str(lon))
    except (InvalidOperation, ValueError, TypeError):
        lat_d = lon_d = None
    if lat_d is None or lon_d is None or not (lat_d.is_finite() and lon_d.is_finite()):
        raise InvalidInput(_("Give both a latitude and a longitude, or neither."), field="lat")
    if not (-90 <= lat_d <= 90 and -180 <= lon_d <= 180):
        raise InvalidInput(_("The point is outside the map."), field="lat")
    return lat_d.quantize(Decimal("0.000001")), lon_d.quantize(Decimal("0.000001"))


def create_decision(
    *,
    by: User,
    title: str,
    category: str,
    description: str = "",
    department: str = "",
    poll: Poll | None = None,
    project: Project | None = None,
    novelty: Novelty | None = None,
    planned_start: date | None = None,
    planned_finish: date | None = None,
    lat: Decimal | str | float | None = None,
    lon: Decimal | str | float | None = None,
    districts: Iterable[District] = (),
    is_published: bool = False,
) -> Decision:
    """A new planned decision, checked as the database would check it but with clear errors."""
    _check_editor(by)
    title = (title or "").strip()
    if not title or len(title) > TITLE_MAX_LENGTH:
        raise InvalidInput(_("Give the decision a title of up to 200 characters."), field="title")
    if category not in Category.values:
        raise InvalidInput(_("There is no such category."), field="category")
    if sum(source is not None for source in (poll, project, novelty)) > 1:
        raise InvalidInput(
            _("A decision comes from one poll, one project or one novelty, not several."),
            field="poll",
        )
    if planned_start and planned_finish and planned_finish < planned_start:
        raise InvalidInput(_("The finish cannot be before the start."), field="planned_finish")
    lat_d, lon_d = _point(lat, lon)
    with transaction.atomic():
        decision = Decision.objects.create(
            title=title,
            description=description,
            department=department.strip(),
            category=category,
            poll=poll,
            project=project,
            novelty=novelty,
            planned_start=planned_start,
            planned_finish=planned_finish,
            lat=lat_d,
            lon=lon_d,
            is_published=is_published,
            created_by=by,
        )
        decision.districts.set(list(districts))
    return decision


def check_transition(current: str, status: str, reason: str = "") -> None:
    """Raise the error `set_status` would give, without writing: the admin's form shows it."""
    if status not in Status.values:
        raise InvalidInput(_("There is no such status."), field="status")
    if status not in NEXT_STATUSES.get(current, frozenset()):
        raise Conflict(
            _("A decision that is “%(current)s” cannot become “%(status)s”.")
            % {"current": Status(current).label, "status": Status(status).label},
            code="wrong_status",
            field="status",
        )
    if status == Status.CANCELLED:
        reason = reason.strip()
        if not reason:
            raise InvalidInput(_("Say why the decision is cancelled."), field="reason")
        if len(reason) > REASON_MAX_LENGTH:
            raise InvalidInput(_("The reason is too long."), field="reason")


def set_status(
    *,
    decision: Decision | int,
    status: str,
    by: User,
    reason: str = "",
    on: date | None = None,
) -> Decision:
    """Move the decision on (planned → in progress → done, or any open one → cancelled with a
    reason) and tell everyone who voted in its poll. `on` is the day it was done (today)."""
    _check_editor(by)
    decision_id = decision if isinstance(decision, int) else decision.pk
    with transaction.atomic():
        # Locked: two editors clicking at once must not both move it, nor notify twice.
        locked = Decision.objects.select_for_update().filter(pk=decision_id).first()
        if locked is None:
            raise InvalidInput(_("There is no such decision."), field="decision")
        check_transition(locked.status, status, reason)
        locked.status = status
        if status == Status.DONE:
            locked.done_on = on or timezone.localdate()
        if status == Status.CANCELLED:
            locked.cancel_reason = reason.strip()
        locked.save(update_fields=["status", "done_on", "cancel_reason", "updated_at"])
        if locked.poll_id is not None:
            notify_voters(locked)
    if isinstance(decision, Decision):
        decision.refresh_from_db()
        return decision
    return locked


def notify_voters(decision: Decision) -> None:
    """Tell each voter of the decision's poll its new status, once per status (each person's
    key names the decision and the status, so a retry tells nobody twice). The fan-out goes in
    batches (notifications.services.fan_out): a poll of a million voters never holds the
    editor's request, and it starts only once the new status is committed."""
    if decision.poll_id is None:
        return
    poll_title = Poll.objects.filter(pk=decision.poll_id).values_list("title", flat=True).first()
    params = {"decision": decision.title, "poll": poll_title or "", "status": decision.status}
    decision_id, poll_id = decision.pk, decision.poll_id
    key_prefix = f"decision_status:{decision_id}:{decision.status}"
    transaction.on_commit(
        lambda: fan_out(
            kind="decision_status",
            params=params,
            url=f"/decisions/{decision_id}/",
            key_prefix=key_prefix,
            people=voters_of,
            people_args=[poll_id],
        )
    )


def _open_decision(decision_id: int) -> Decision:
    decision = Decision.objects.select_for_update().filter(pk=decision_id).first()
    if decision is None:
        raise InvalidInput(_("There is no such decision."), field="decision")
    if decision.status in (Status.DONE, Status.CANCELLED):
        raise Conflict(
            _("The decision is %(status)s: its steps no longer change.")
            % {"status": Status(decision.status).label},
            code="wrong_status",
        )
    return decision


def add_step(
    *, decision: Decision, title: str, by: User, weight: int = 1, percent: int = 0
) -> DecisionStep:
    _check_editor(by)
    title = (title or "").strip()
    if not title or len(title) > TITLE_MAX_LENGTH:
        raise InvalidInput(_("Give the step a title of up to 200 characters."), field="title")
    if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= 1_000_000:
        raise InvalidInput(_("The weight is a whole number from 1."), field="weight")
    _check_percent(percent)
    with transaction.atomic():
        locked = _open_decision(decision.pk)
        position = locked.steps.count()
        return DecisionStep.objects.create(
            decision=locked, title=title, weight=weight, percent=percent, position=position
        )


def _check_percent(percent: int) -> None:
    if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
        raise InvalidInput(_("The percentage is a whole number from 0 to 100."), field="percent")


def set_step_percent(*, step: DecisionStep, percent: int, by: User) -> DecisionStep:
    """How far a step has got; the decision's progress follows (it is computed, never stored)."""
    _check_editor(by)
    _check_percent(percent)
    with transaction.atomic():
        _open_decision(step.decision_id)
        DecisionStep.objects.filter(pk=step.pk).update(percent=percent)
    step.percent = percent
    return step


def complete_step(*, step: DecisionStep, by: User) -> DecisionStep:
    return set_step_percent(step=step, percent=100, by=by)


def post_update(
    *, decision: Decision, by: User, text: str, photo: UploadedFile | None = None
) -> DecisionUpdate:
    """A report on the work for residents; allowed in any status (even a cancelled decision
    may need a word on what happens next)."""
    _check_editor(by)
    text = (text or "").strip()
    if not text or len(text) > UPDATE_MAX_LENGTH:
        raise InvalidInput(_("Write the update, up to 5000 characters."), field="text")
    update = DecisionUpdate(decision=decision, text=text, author=by)
    if photo is not None:
        update.photo = photo
    update.save()
    return update


# --- New near my home --------------------------------------------------------------------------

NEIGHBOURS_BATCH = 50


def tell_neighbours_of_new_decisions(*, now: datetime | None = None) -> int:
    """Tell the people living within 1 km of each newly published decision with a point on the
    map; each decision once. Returns how many decisions were told.

    A periodic task finds them, so a decision is told however it was published (the admin, the
    API, an import), and only once it is committed and visible.
    """
    now = now or timezone.now()
    due = (
        Decision.objects.filter(
            is_published=True,
            neighbours_told_at__isnull=True,
            lat__isnull=False,
            lon__isnull=False,
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:NEIGHBOURS_BATCH]
    )
    told = 0
    for decision_id in list(due):
        with transaction.atomic():
            # Claimed by one update, so two overlapping runs never both tell.
            if not Decision.objects.filter(pk=decision_id, neighbours_told_at__isnull=True).update(
                neighbours_told_at=now
            ):
                continue
            decision = Decision.objects.only("title", "status", "lat", "lon").get(pk=decision_id)
            transaction.on_commit(
                partial(
                    tell_neighbours,
                    kind="decision_nearby",
                    params={"decision": decision.title, "status": decision.status},
                    url=f"/decisions/{decision.pk}/",
                    key_prefix=f"decision:{decision.pk}:nearby",
                    lat=decision.lat,
                    lon=decision.lon,
                )
            )
        told += 1
    return told
