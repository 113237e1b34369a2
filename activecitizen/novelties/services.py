"""Writes of the novelties section: a resident rates a novelty; staff save a novelty's text."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from activecitizen.accounts.models import User
from activecitizen.core import ratelimit
from activecitizen.core.errors import Conflict, InvalidInput, NotFound, NotSignedIn
from activecitizen.novelties.models import FEEDBACK_MAX, STARS, Novelty, Rating
from activecitizen.rewards.services import credit_points

IDEMPOTENCY_KEY_MAX = 200
# (how many ratings, per how many seconds) for one person; settings.RATE_LIMITS may override
# it under this name. Generous for a person, tight for a script rating everything at once.
RATE_LIMIT_NAME = "novelty_ratings_per_person"
DEFAULT_RATE_LIMIT = (30, 60)


class AlreadyRated(Conflict):
    """The person has rated this novelty before; `rating` is the rating that stands.

    `replay` is True when the request repeats the one that made it (the same Idempotency-Key):
    callers then answer as they did the first time.
    """

    code = "already_rated"

    def __init__(self, rating: Rating, *, replay: bool = False) -> None:
        super().__init__(
            gettext_lazy("You have already rated this novelty: %(stars)s of 5.")
            % {"stars": rating.stars}
        )
        self.rating = rating
        self.replay = replay


@dataclass(frozen=True)
class RatedNovelty:
    rating: Rating
    novelty: Novelty  # with the totals as they are after this rating
    points: int  # credited for this rating (0 on a replay)
    created: bool


def _clean_stars(stars: object) -> int:
    # bool is an int in Python; True stars would be a client's bug, not a choice.
    if isinstance(stars, bool) or not isinstance(stars, int) or stars not in STARS:
        raise InvalidInput(_("Choose from 1 to 5 stars."), code="invalid_stars", field="stars")
    return stars


def _clean_feedback(feedback: object) -> str:
    if feedback is None:
        return ""
    if not isinstance(feedback, str):
        raise InvalidInput(_("Feedback must be text."), field="feedback")
    feedback = feedback.strip()
    if "\x00" in feedback:
        # PostgreSQL text cannot hold U+0000: refused here, not as a 500 from the database.
        raise InvalidInput(
            _("The feedback contains a NUL character."), code="invalid_text", field="feedback"
        )
    if len(feedback) > FEEDBACK_MAX:
        raise InvalidInput(
            _("Feedback may be at most %(n)s characters long.") % {"n": FEEDBACK_MAX},
            code="too_long",
            field="feedback",
        )
    return feedback


def _count_attempt(user: User) -> None:
    limit, window = getattr(settings, "RATE_LIMITS", {}).get(RATE_LIMIT_NAME, DEFAULT_RATE_LIMIT)
    ratelimit.hit(
        f"{RATE_LIMIT_NAME}:{user.pk}",
        limit=limit,
        window=window,
        message=_("Too many ratings at once. Try again in a minute."),
    )


def _already_rated(rating: Rating, idempotency_key: str) -> AlreadyRated:
    return AlreadyRated(
        rating, replay=bool(idempotency_key) and rating.idempotency_key == idempotency_key
    )


def rate_novelty(
    *,
    novelty_id: int,
    user: User,
    stars: int,
    feedback: str = "",
    idempotency_key: str = "",
) -> RatedNovelty:
    """Record a person's 1–5 stars for a published novelty, once, and credit its points.

    Refusals write nothing: 422 for stars or feedback, 404 for a novelty that is not published,
    429 over the per-person rate, 409 `already_rated` (carrying the rating that stands) for a
    second rating. Once per person is the database's unique constraint, so two simultaneous
    requests make one rating and one credit whatever the timing; the check before it only
    saves the rate limit and the write for the common case of a repeated click.

    The rating, the novelty's totals and the points are one transaction. The totals move with
    F() expressions (no read-modify-write), the novelty's row last so that its lock, which all
    raters of the novelty queue for, is held as briefly as possible.
    """
    stars = _clean_stars(stars)
    feedback = _clean_feedback(feedback)
    if not isinstance(idempotency_key, str) or len(idempotency_key) > IDEMPOTENCY_KEY_MAX:
        raise InvalidInput(_("The Idempotency-Key is too long."), field="idempotency_key")
    if "\x00" in idempotency_key:
        raise InvalidInput(_("The Idempotency-Key is not valid."), field="idempotency_key")
    if not user.is_authenticated or not user.pk:
        raise NotSignedIn(_("Sign in to rate novelties."))

    novelty = Novelty.objects.filter(pk=novelty_id, is_published=True).only("pk", "points").first()
    if novelty is None:
        raise NotFound(_("There is no such novelty."), code="novelty_not_found")
    earlier = Rating.objects.filter(novelty_id=novelty.pk, user_id=user.pk).first()
    if earlier is not None:
        raise _already_rated(earlier, idempotency_key)
    _count_attempt(user)

    try:
        with transaction.atomic():
            rating = Rating.objects.create(
                novelty_id=novelty.pk,
                user_id=user.pk,
                stars=stars,
                feedback=feedback,
                idempotency_key=idempotency_key,
                created_at=timezone.now(),
            )
            credited = 0
            if novelty.points:
                credited = credit_points(
                    user_id=user.pk,
                    amount=novelty.points,
                    reason="novelty_rating",
                    reference=f"novelty:{novelty.pk}",
                    idempotency_key=f"novelty:{novelty.pk}:user:{user.pk}",
                ).amount
            Novelty.objects.filter(pk=novelty.pk).update(
                ratings_count=F("ratings_count") + 1,
                stars_sum=F("stars_sum") + stars,
                **{f"stars_{stars}": F(f"stars_{stars}") + 1},
            )
    except IntegrityError:
        # Another request of the same person committed its rating first (a double click, two
        # devices): theirs stands, and this one wrote nothing.
        standing = Rating.objects.filter(novelty_id=novelty.pk, user_id=user.pk).first()
        if standing is None:
            raise
        raise _already_rated(standing, idempotency_key) from None
    return RatedNovelty(
        rating=rating,
        novelty=Novelty.objects.select_related("district").get(pk=novelty.pk),
        points=credited,
        created=True,
    )


# Fields staff edit; the totals are left out so that saving a form loaded before some ratings
# came in cannot put back the totals it was loaded with.
CONTENT_FIELDS = (
    "title",
    "description",
    "photo",
    "category",
    "district",
    "launched_on",
    "points",
    "is_published",
)


def save_novelty(*, novelty: Novelty, is_new: bool) -> Novelty:
    """Save staff's edit of a novelty's content without touching its rating totals."""
    if is_new:
        novelty.save()
    else:
        novelty.save(update_fields=CONTENT_FIELDS)
    return novelty
