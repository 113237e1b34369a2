"""Every write of decisions: creating one, moving its status (and telling the poll's voters),
its steps, and the reports on the work. Only editors (and superusers) may call them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, Final

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from activecitizen.accounts.models import User
from activecitizen.core.errors import Conflict, InvalidInput, PermissionDenied
from activecitizen.decisions.models import (
    DEPARTMENT_MAX_LENGTH,
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
from activecitizen.notifications.services import NearbyNotice, fan_out, tell_neighbours_of_new
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


class _Keep(Enum):
    KEEP = "keep"


# `edit_decision`'s default: the field stays as it is (None would mean "clear it").
KEEP: Final = _Keep.KEEP

Coordinate = Decimal | str | float | None
# The column has no limit; this one keeps a page and a row within reason.
DESCRIPTION_MAX_LENGTH = 20_000


def _text(value: str, *, field: str, max_length: int, too_long: str) -> str:
    """The text trimmed; `too_long` is the error when it is longer than `max_length`."""
    value = (value or "").strip()
    # PostgreSQL refuses a NUL in text: caught here, it is a clear error rather than a 500.
    if "\x00" in value:
        raise InvalidInput(_("The text contains a NUL character."), field=field)
    if len(value) > max_length:
        raise InvalidInput(too_long, field=field)
    return value


def _checked_districts(districts: Iterable[District | int]) -> list[District]:
    ids = list(dict.fromkeys(d.pk if isinstance(d, District) else d for d in districts))
    if any(isinstance(pk, bool) or not isinstance(pk, int) for pk in ids):
        raise InvalidInput(_("There is no such district."), field="districts")
    found = list(District.objects.filter(pk__in=ids))
    if len(found) != len(ids):
        raise InvalidInput(_("There is no such district."), field="districts")
    return found


def _check_source(poll: Poll | None, project: Project | None, novelty: Novelty | None) -> None:
    if sum(source is not None for source in (poll, project, novelty)) > 1:
        raise InvalidInput(
            _("A decision comes from one poll, one project or one novelty, not several."),
            field="poll",
        )
    sources: tuple[tuple[str, type[Model], Model | None], ...] = (
        ("poll", Poll, poll),
        ("project", Project, project),
        ("novelty", Novelty, novelty),
    )
    # An unsaved or deleted source would only fail at the commit, as a 500.
    for field, model, source in sources:
        if source is not None and not model._default_manager.filter(pk=source.pk).exists():
            raise InvalidInput(_("The decision's source does not exist."), field=field)


@dataclass(frozen=True)
class _DecisionFields:
    """A decision's own fields once checked: what `create_decision` and `edit_decision` write."""

    title: str
    category: str
    description: str
    department: str
    poll: Poll | None
    project: Project | None
    novelty: Novelty | None
    planned_start: date | None
    planned_finish: date | None
    lat: Decimal | None
    lon: Decimal | None
    is_published: bool

    def as_kwargs(self) -> dict[str, Any]:
        # Not dataclasses.asdict: that would deep-copy the poll, project and novelty.
        return dict(vars(self))


def _checked_fields(
    *,
    title: str,
    category: str,
    description: str,
    department: str,
    poll: Poll | None,
    project: Project | None,
    novelty: Novelty | None,
    planned_start: date | None,
    planned_finish: date | None,
    lat: Coordinate,
    lon: Coordinate,
    is_published: bool,
) -> _DecisionFields:
    """The rules of a decision's fields, for creating and editing alike, with clear errors
    (the database's constraints would refuse the same, but as a 500)."""
    title = _text(
        title,
        field="title",
        max_length=TITLE_MAX_LENGTH,
        too_long=_("Give the decision a title of up to 200 characters."),
    )
    if not title:
        raise InvalidInput(_("Give the decision a title of up to 200 characters."), field="title")
    if category not in Category.values:
        raise InvalidInput(_("There is no such category."), field="category")
    description = _text(
        description,
        field="description",
        max_length=DESCRIPTION_MAX_LENGTH,
        too_long=_("The description is too long."),
    )
    department = _text(
        department,
        field="department",
        max_length=DEPARTMENT_MAX_LENGTH,
        too_long=_("Name the department in up to 200 characters."),
    )
    _check_source(poll, project, novelty)
    if planned_start and planned_finish and planned_finish < planned_start:
        raise InvalidInput(_("The finish cannot be before the start."), field="planned_finish")
    lat_d, lon_d = _point(lat, lon)
    return _DecisionFields(
        title=title,
        category=category,
        description=description,
        department=department,
        poll=poll,
        project=project,
        novelty=novelty,
        planned_start=planned_start,
        planned_finish=planned_finish,
        lat=lat_d,
        lon=lon_d,
        is_published=bool(is_published),
    )


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
    lat: Coordinate = None,
    lon: Coordinate = None,
    districts: Iterable[District | int] = (),
    is_published: bool = False,
) -> Decision:
    """A new planned decision, checked as the database would check it but with clear errors.
    Its steps are set with `set_steps`; its status moves with `set_status`."""
    _check_editor(by)
    fields = _checked_fields(
        title=title,
        category=category,
        description=description,
        department=department,
        poll=poll,
        project=project,
        novelty=novelty,
        planned_start=planned_start,
        planned_finish=planned_finish,
        lat=lat,
        lon=lon,
        is_published=is_published,
    )
    places = _checked_districts(districts)
    with transaction.atomic():
        decision = Decision.objects.create(**fields.as_kwargs(), created_by=by)
        decision.districts.set(places)
    return decision


def edit_decision(
    *,
    decision: Decision | int,
    by: User,
    title: str | _Keep = KEEP,
    category: str | _Keep = KEEP,
    description: str | _Keep = KEEP,
    department: str | _Keep = KEEP,
    poll: Poll | _Keep | None = KEEP,
    project: Project | _Keep | None = KEEP,
    novelty: Novelty | _Keep | None = KEEP,
    planned_start: date | _Keep | None = KEEP,
    planned_finish: date | _Keep | None = KEEP,
    lat: Coordinate | _Keep = KEEP,
    lon: Coordinate | _Keep = KEEP,
    districts: Iterable[District | int] | _Keep = KEEP,
    is_published: bool | _Keep = KEEP,
) -> Decision:
    """Change a decision's own fields; those not given stay. The result is checked as a whole
    by the same rules as a new one (a new start against the kept finish, a source against the
    others). Allowed in any status: a done decision's description may still need a correction.
    The status moves only with `set_status`, the steps with `set_steps`."""
    _check_editor(by)
    decision_id = decision if isinstance(decision, int) else decision.pk
    given = {
        "title": title,
        "category": category,
        "description": description,
        "department": department,
        "poll": poll,
        "project": project,
        "novelty": novelty,
        "planned_start": planned_start,
        "planned_finish": planned_finish,
        "lat": lat,
        "lon": lon,
        "is_published": is_published,
    }
    with transaction.atomic():
        locked = _locked_decision(decision_id)
        current = {name: getattr(locked, name) for name in given}
        merged: dict[str, Any] = {
            name: current[name] if value is KEEP else value for name, value in given.items()
        }
        fields = _checked_fields(**merged)
        places = None if isinstance(districts, _Keep) else _checked_districts(districts)
        for name, value in fields.as_kwargs().items():
            setattr(locked, name, value)
        locked.save()
        if places is not None:
            locked.districts.set(places)
    if isinstance(decision, Decision):
        decision.refresh_from_db()
        return decision
    return locked


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


def _locked_decision(decision_id: int) -> Decision:
    # Locked: two editors saving at once are applied one after the other, never interleaved.
    decision = Decision.objects.select_for_update().filter(pk=decision_id).first()
    if decision is None:
        raise InvalidInput(_("There is no such decision."), field="decision")
    return decision


def _check_open(decision: Decision) -> None:
    if decision.status in (Status.DONE, Status.CANCELLED):
        raise Conflict(
            _("The decision is %(status)s: its steps no longer change.")
            % {"status": Status(decision.status).label},
            code="wrong_status",
            field="steps",
        )


def _open_decision(decision_id: int) -> Decision:
    decision = _locked_decision(decision_id)
    _check_open(decision)
    return decision


STEPS_MAX = 100
WEIGHT_MAX = 1_000_000
POSITION_MAX = 32767  # the column is a small integer


@dataclass(frozen=True)
class StepInput:
    """A step as an editor sets it. `step_id` names one of the decision's steps to keep (its
    id stays, so links to it do too); None is a new step. `position` orders the steps; None
    keeps the step where it stands in the list."""

    title: str
    weight: int = 1
    percent: int = 0
    position: int | None = None
    step_id: int | None = None


def _is_whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _checked_step(title: str, weight: int, percent: int, *, field: str = "") -> tuple[str, int]:
    """A step's title (trimmed) and weight, and its percent checked: the rules of every step,
    added one by one or set all together. `field` prefixes the error's field ("steps.2.")."""
    title = _text(
        title,
        field=f"{field}title",
        max_length=TITLE_MAX_LENGTH,
        too_long=_("Give the step a title of up to 200 characters."),
    )
    if not title:
        raise InvalidInput(
            _("Give the step a title of up to 200 characters."), field=f"{field}title"
        )
    if not _is_whole(weight) or not 1 <= weight <= WEIGHT_MAX:
        raise InvalidInput(
            _("The weight is a whole number from 1 to 1,000,000."), field=f"{field}weight"
        )
    _check_percent(percent, field=f"{field}percent")
    return title, weight


def _check_percent(percent: int, *, field: str = "percent") -> None:
    if not _is_whole(percent) or not 0 <= percent <= 100:
        raise InvalidInput(_("The percentage is a whole number from 0 to 100."), field=field)


def add_step(
    *, decision: Decision, title: str, by: User, weight: int = 1, percent: int = 0
) -> DecisionStep:
    """One more step, at the end."""
    _check_editor(by)
    title, weight = _checked_step(title, weight, percent)
    with transaction.atomic():
        locked = _open_decision(decision.pk)
        position = locked.steps.count()  # set_steps keeps the positions 0, 1, 2 …
        if position >= STEPS_MAX:
            raise InvalidInput(
                _("A decision has at most %(n)d steps.") % {"n": STEPS_MAX}, field="steps"
            )
        return DecisionStep.objects.create(
            decision=locked, title=title, weight=weight, percent=percent, position=position
        )


def set_steps(
    *, decision: Decision | int, steps: Sequence[StepInput], by: User
) -> list[DecisionStep]:
    """Make the decision's steps exactly these, in order (by position, then as listed; stored
    as 0, 1, 2 …): a listed `step_id` is kept and changed, a new one added, an unlisted one
    removed. The progress follows, computed from the steps (never stored). An error names the
    step as "steps.<index in the list>.<field>" and writes nothing.

    A done or cancelled decision's steps no longer change; giving them again unchanged (as the
    admin does when another field is edited) is allowed and writes nothing."""
    _check_editor(by)
    if len(steps) > STEPS_MAX:
        raise InvalidInput(
            _("A decision has at most %(n)d steps.") % {"n": STEPS_MAX}, field="steps"
        )
    checked: list[tuple[int, int, int | None, str, int, int]] = []
    seen: set[int] = set()
    for index, step in enumerate(steps):
        prefix = f"steps.{index}."
        title, weight = _checked_step(step.title, step.weight, step.percent, field=prefix)
        position = index if step.position is None else step.position
        if not _is_whole(position) or not 0 <= position <= POSITION_MAX:
            raise InvalidInput(
                _("The position is a whole number from 0 to 32767."), field=f"{prefix}position"
            )
        if step.step_id is not None:
            if not _is_whole(step.step_id) or step.step_id in seen:
                raise InvalidInput(_("Each step is listed once."), field=f"{prefix}step_id")
            seen.add(step.step_id)
        checked.append((position, index, step.step_id, title, weight, step.percent))
    checked.sort(key=lambda row: (row[0], row[1]))
    decision_id = decision if isinstance(decision, int) else decision.pk
    with transaction.atomic():
        locked = _locked_decision(decision_id)
        current = list(locked.steps.order_by("position", "pk"))
        by_id = {step.pk: step for step in current}
        for _position, index, step_id, *_rest in checked:
            if step_id is not None and step_id not in by_id:
                raise InvalidInput(
                    _("The decision has no such step."), field=f"steps.{index}.step_id"
                )
        wanted = [
            (step_id, title, weight, percent) for _p, _i, step_id, title, weight, percent in checked
        ]
        if wanted == [(s.pk, s.title, s.weight, s.percent) for s in current]:
            return current
        _check_open(locked)
        DecisionStep.objects.filter(decision=locked).exclude(pk__in=seen).delete()
        result: list[DecisionStep] = []
        for position, (step_id, title, weight, percent) in enumerate(wanted):
            row = by_id.get(step_id) if step_id is not None else None
            if row is None:
                row = DecisionStep(decision=locked)
            elif (row.title, row.weight, row.percent, row.position) == (
                title,
                weight,
                percent,
                position,
            ):
                result.append(row)
                continue
            row.title, row.weight, row.percent, row.position = title, weight, percent, position
            row.save()
            result.append(row)
    return result


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


def tell_neighbours_of_new_decisions(*, now: datetime | None = None) -> int:
    """Tell the people living within 1 km of each newly published decision with a point on the
    map; each decision once. Returns how many decisions were told.

    A periodic task finds them, so a decision is told however it was published (the admin, the
    API, an import), and only once it is committed and visible.
    """
    due = Decision.objects.filter(
        is_published=True, neighbours_told_at__isnull=True, lat__isnull=False, lon__isnull=False
    )
    return tell_neighbours_of_new(due, notice=_nearby_notice, now=now)


def _nearby_notice(decision: Decision) -> NearbyNotice:
    return NearbyNotice(
        kind="decision_nearby",
        params={"decision": decision.title, "status": decision.status},
        url=f"/decisions/{decision.pk}/",
        key_prefix=f"decision:{decision.pk}:nearby",
        lat=decision.lat,
        lon=decision.lon,
    )
