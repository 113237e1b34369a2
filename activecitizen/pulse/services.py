"""Every write of Pulse of the capital: a resident rates a facility; a moderator publishes or
rejects the comment. Pages, the API, the admin and the demo all call these."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from activecitizen.accounts.models import User
from activecitizen.accounts.roles import Role
from activecitizen.core import ratelimit
from activecitizen.core.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    NotSignedIn,
    PermissionDenied,
)
from activecitizen.pulse.models import (
    COMMENT_MAX_LENGTH,
    SCORE_MAX,
    SCORE_MIN,
    Aspect,
    Facility,
    FacilityMonth,
    FacilityMonthAspect,
    FacilityRating,
)

# Ratings a person may send in RATE_WINDOW seconds: enough to rate the places of a whole walk,
# too few for a script. Settings may override it with RATE_LIMITS["pulse_ratings_per_person"].
DEFAULT_RATE_LIMIT = (30, 600)


class AlreadyRatedThisMonth(Conflict):
    code = "already_rated_this_month"

    def __init__(self, message, *, next_from: date, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.next_from = next_from


# --- Months ------------------------------------------------------------------------------------


def month_of(moment: datetime) -> date:
    """The first day of the calendar month of `moment` in the city's time zone."""
    return timezone.localtime(moment).date().replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + 1, 1, 1) if month.month == 12 else date(month.year, month.month + 1, 1)


def add_months(month: date, delta: int) -> date:
    index = month.year * 12 + (month.month - 1) + delta
    return date(index // 12, index % 12 + 1, 1)


# --- The index ---------------------------------------------------------------------------------


def prior_weight() -> int:
    """C of the Bayesian index: how many "average" ratings every facility starts with."""
    return int(getattr(settings, "PULSE_PRIOR_WEIGHT", 20))


def default_prior_mean() -> float:
    """The prior when a category has no ratings at all yet: the middle of the scale."""
    return float(getattr(settings, "PULSE_DEFAULT_PRIOR_MEAN", 3.0))


def bayesian_index(*, score_sum: int, ratings_count: int, prior_mean: float, weight: int) -> float:
    """A facility's index: its mean score pulled towards its category's mean.

        index = (C · m + Σ scores) / (C + n)

    where n is the facility's number of ratings, Σ scores their sum, m the mean score of every
    rating of facilities of the same category, and C (settings.PULSE_PRIOR_WEIGHT, 20) how many
    ratings at the category's mean every facility is counted as having before its own. With few
    ratings the index stays near m, so two perfect ratings cannot top the list; with many it
    approaches the facility's own mean. The rankings compute the same formula in SQL
    (`selectors.index_expression`).
    """
    return (weight * prior_mean + score_sum) / (weight + ratings_count)


# --- Rating ------------------------------------------------------------------------------------


def _clean_score(value: Any, *, field: str) -> int:
    # bool is an int in Python; True is not a score.
    if isinstance(value, bool) or not isinstance(value, int) or not SCORE_MIN <= value <= SCORE_MAX:
        raise InvalidInput(
            _("A score is a whole number from %(min)s to %(max)s.")
            % {"min": SCORE_MIN, "max": SCORE_MAX},
            code="invalid_score",
            field=field,
        )
    return value


def clean_aspects(category: str, aspects: Any) -> dict[str, int]:
    """The aspect scores, checked against the aspects of the facility's category."""
    if aspects is None:
        return {}
    if not isinstance(aspects, Mapping):
        raise InvalidInput(_("Aspect scores are a map of aspect to score."), field="aspects")
    known = set(Aspect.objects.filter(category=category).values_list("code", flat=True))
    cleaned: dict[str, int] = {}
    for code, value in aspects.items():
        if code not in known:
            raise InvalidInput(
                _("This facility is not rated on “%(aspect)s”.") % {"aspect": str(code)[:40]},
                code="unknown_aspect",
                field="aspects",
            )
        cleaned[code] = _clean_score(value, field="aspects")
    return cleaned


def clean_comment(comment: Any) -> str:
    if comment is None:
        return ""
    if not isinstance(comment, str):
        raise InvalidInput(_("The comment must be text."), field="comment")
    if "\x00" in comment:
        raise InvalidInput(_("The comment contains a forbidden character."), field="comment")
    comment = comment.strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise InvalidInput(
            _("The comment is longer than %(max)s characters.") % {"max": COMMENT_MAX_LENGTH},
            code="too_long",
            field="comment",
        )
    return comment


def _concrete(model: type[models.Model], name: str) -> models.Field:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)  # a column of the table, not a reverse relation
    return field


def _add(model: type[models.Model], keys: dict[str, Any], amounts: dict[str, int]) -> None:
    """Add `amounts` to the row of `model` with `keys`, creating it: one atomic upsert.

    INSERT … ON CONFLICT DO UPDATE works on PostgreSQL and SQLite alike, and two ratings of the
    same facility at once both land (the second waits for the first's row lock).
    """
    table = connection.ops.quote_name(model._meta.db_table)
    columns = [*keys, *amounts]
    fields = [_concrete(model, c) for c in columns]
    quoted = [connection.ops.quote_name(f.column or f.name) for f in fields]
    conflict = ", ".join(quoted[: len(keys)])
    updates = ", ".join(f"{q} = {table}.{q} + EXCLUDED.{q}" for q in quoted[len(keys) :])
    placeholders = ", ".join(["%s"] * len(columns))
    values = [
        f.get_db_prep_value(v, connection)
        for f, v in zip(fields, [*keys.values(), *amounts.values()], strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(quoted)}) VALUES ({placeholders}) "  # noqa: S608
            f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}",
            values,
        )


def _rate_limit(user: User) -> None:
    limit, window = getattr(settings, "RATE_LIMITS", {}).get(
        "pulse_ratings_per_person", DEFAULT_RATE_LIMIT
    )
    ratelimit.hit(
        f"pulse_ratings_per_person:{user.pk}",
        limit=limit,
        window=window,
        message=_("You are rating too fast. Try again a little later."),
    )


def rate_facility(
    *,
    facility_id: int,
    user: User,
    score: Any,
    aspects: Any = None,
    comment: Any = "",
    now: datetime | None = None,
) -> FacilityRating:
    """Record `user`'s rating of a facility for the current month and fold it into the totals.

    Refuses (nothing written): an unknown or inactive facility (404), a score or aspect score
    outside 1..5 or an aspect the category does not have (422), a comment over 1,000 characters
    or with a NUL (422), a second rating of the facility in the same calendar month (409
    `already_rated_this_month`, decided by the database's unique constraint, so a double click
    or two devices at once make one rating), too many ratings in a short time (429).
    A comment waits for a moderator before anyone else sees it.
    """
    if user is None or not user.is_authenticated:
        raise NotSignedIn(_("Sign in to rate a facility."))
    now = now or timezone.now()
    facility = (
        Facility.objects.filter(pk=facility_id, is_active=True).only("pk", "category").first()
    )
    if facility is None:
        raise NotFound(_("There is no such facility."), code="facility_not_found")
    score = _clean_score(score, field="score")
    cleaned_aspects = clean_aspects(facility.category, aspects)
    cleaned_comment = clean_comment(comment)
    month = month_of(now)
    already = _("You have rated this facility this month. You can rate it again from %(date)s.")
    already_message = already % {"date": next_month(month).strftime("%d.%m.%Y")}
    # A cheap early answer for the usual case; the constraint below decides in a race.
    if FacilityRating.objects.filter(facility_id=facility.pk, user=user, month=month).exists():
        raise AlreadyRatedThisMonth(already_message, next_from=next_month(month), field=None)
    _rate_limit(user)
    with transaction.atomic():
        try:
            with transaction.atomic():
                rating = FacilityRating.objects.create(
                    facility_id=facility.pk,
                    user=user,
                    score=score,
                    aspects=cleaned_aspects,
                    comment=cleaned_comment,
                    comment_status=(
                        FacilityRating.CommentStatus.PENDING
                        if cleaned_comment
                        else FacilityRating.CommentStatus.NONE
                    ),
                    month=month,
                    created_at=now,
                )
        except IntegrityError as error:
            raise AlreadyRatedThisMonth(
                already_message, next_from=next_month(month), field=None
            ) from error
        Facility.objects.filter(pk=facility.pk).update(
            ratings_count=F("ratings_count") + 1, score_sum=F("score_sum") + score
        )
        _add(
            FacilityMonth,
            {"facility": facility.pk, "month": month},
            {"ratings_count": 1, "score_sum": score},
        )
        for code, value in sorted(cleaned_aspects.items()):
            _add(
                FacilityMonthAspect,
                {"facility": facility.pk, "month": month, "aspect_code": code},
                {"ratings_count": 1, "score_sum": value},
            )
    return rating


# --- Moderation --------------------------------------------------------------------------------


def may_moderate(user: User | None) -> bool:
    """Moderators (and superusers) decide on comments; a facility's own staff do not, so that
    nobody hides what residents say about their own work."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or user.groups.filter(name=Role.MODERATOR).exists()


DECISIONS = {
    "publish": FacilityRating.CommentStatus.PUBLISHED,
    "reject": FacilityRating.CommentStatus.REJECTED,
}


def moderate_comment(
    *, rating: FacilityRating | int, decision: str, by: User, now: datetime | None = None
) -> FacilityRating:
    """Publish or reject a rating's comment awaiting moderation (moderators only)."""
    if not may_moderate(by):
        raise PermissionDenied(_("Only moderators publish or reject comments."))
    if decision not in DECISIONS:
        raise InvalidInput(_("Choose to publish or to reject."), field="decision")
    rating_id = rating if isinstance(rating, int) else rating.pk
    with transaction.atomic():
        found = FacilityRating.objects.select_for_update().filter(pk=rating_id).first()
        if found is None:
            raise NotFound(_("There is no such rating."))
        if found.comment_status != FacilityRating.CommentStatus.PENDING:
            raise Conflict(
                _("This comment has already been moderated or there is none."),
                code="not_pending",
            )
        found.comment_status = DECISIONS[decision]
        found.moderated_by = by
        found.moderated_at = now or timezone.now()
        found.save(update_fields=["comment_status", "moderated_by", "moderated_at"])
    return found


# --- Totals ------------------------------------------------------------------------------------


def recount_totals(*, facility_ids: list[int] | None = None) -> int:
    """Rebuild the running totals and monthly aggregates of facilities from their ratings.

    For bulk loads (the demo, imports) that write ratings directly, and as the reference the
    tests compare the incremental totals with. Returns how many facilities it recounted.
    """
    facilities = Facility.objects.all()
    if facility_ids is not None:
        facilities = facilities.filter(pk__in=facility_ids)
    ids = list(facilities.values_list("pk", flat=True))
    with transaction.atomic():
        # Locked before reading, so that a rating arriving meanwhile waits and is not lost.
        list(Facility.objects.select_for_update().filter(pk__in=ids).values_list("pk"))
        totals, months, aspects = _sums(ids)
        FacilityMonth.objects.filter(facility_id__in=ids).delete()
        FacilityMonthAspect.objects.filter(facility_id__in=ids).delete()
        FacilityMonth.objects.bulk_create(
            [
                FacilityMonth(facility_id=f, month=m, ratings_count=c, score_sum=s)
                for (f, m), (c, s) in months.items()
            ],
            batch_size=2000,
        )
        FacilityMonthAspect.objects.bulk_create(
            [
                FacilityMonthAspect(
                    facility_id=f, month=m, aspect_code=a, ratings_count=c, score_sum=s
                )
                for (f, m, a), (c, s) in aspects.items()
            ],
            batch_size=2000,
        )
        for pk, (count, total) in totals.items():
            Facility.objects.filter(pk=pk).update(ratings_count=count, score_sum=total)
    return len(ids)


def _sums(ids: list[int]):
    totals: dict[int, list[int]] = {pk: [0, 0] for pk in ids}
    months: dict[tuple[int, date], list[int]] = {}
    aspects: dict[tuple[int, date, str], list[int]] = {}
    ratings = FacilityRating.objects.filter(facility_id__in=ids).values_list(
        "facility_id", "month", "score", "aspects"
    )
    for facility_id, month, score, scores in ratings.iterator(chunk_size=5000):
        totals[facility_id][0] += 1
        totals[facility_id][1] += score
        row = months.setdefault((facility_id, month), [0, 0])
        row[0] += 1
        row[1] += score
        for code, value in (scores or {}).items():
            cell = aspects.setdefault((facility_id, month, code), [0, 0])
            cell[0] += 1
            cell[1] += value
    return totals, months, aspects
