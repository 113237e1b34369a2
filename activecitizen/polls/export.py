"""What a poll adds to its log's public export (activecitizen/verify.py, "activecitizen-export/1"):
the manifest's "poll" (questions and options, so that anyone can check each ballot offline) and,
once results are published, the "results" record the verifier recounts.

Registered with activecitizen.transparency.exports on import (PollsConfig.ready imports this),
because the transparency app must not import polls.
"""

from __future__ import annotations

from typing import Any

from activecitizen.polls import services
from activecitizen.polls.models import Poll, Question, Tally
from activecitizen.transparency.exports import register_manifest
from activecitizen.transparency.models import Log

EXPORTABLE = frozenset({Poll.Status.CLOSED, Poll.Status.PUBLISHED, Poll.Status.ARCHIVED})
RESULTS_PUBLISHED = frozenset({Poll.Status.PUBLISHED, Poll.Status.ARCHIVED})


def _poll_of(the_log: Log) -> Poll | None:
    number = the_log.origin_id.removeprefix("poll-")
    if not number.isdigit():
        return None
    return Poll.objects.filter(pk=int(number)).first()


def _questions(poll: Poll) -> list[Question]:
    return list(Question.objects.filter(poll=poll).prefetch_related("options"))


def export_manifest(the_log: Log) -> dict[str, Any] | None:
    """The manifest's "poll", or None while the poll may still take ballots. Seals whatever is
    still queued first, so the export holds every ballot cast."""
    poll = _poll_of(the_log)
    if poll is None or poll.status not in EXPORTABLE:
        return None
    services.tally(poll_id=poll.pk)
    return {
        "id": poll.pk,
        "title": poll.title,
        "questions": [
            {
                "id": q.pk,
                "kind": q.kind,
                "min_choices": q.min_choices,
                "max_choices": q.max_choices,
                "required": q.required,
                "text": q.text,
                "options": [
                    {"id": o.pk, "text": o.text, "free_text": o.free_text} for o in q.options.all()
                ],
            }
            for q in _questions(poll)
        ],
    }


def export_results(the_log: Log) -> dict[str, Any] | None:
    """The published counts as the verifier recounts them: every question and option, zeros
    included, from the tally (which the seal keeps equal to the log's entries)."""
    poll = _poll_of(the_log)
    if poll is None or poll.status not in RESULTS_PUBLISHED:
        return None
    counts = {
        (q, o): n
        for q, o, n in Tally.objects.filter(poll=poll, dimension="total", value="all").values_list(
            "question_id", "option_id", "count"
        )
    }
    return {
        "checkpoint_size": the_log.size,
        "total": counts.get((0, 0), 0),
        "questions": [
            {
                "id": q.pk,
                "options": [
                    {"id": o.pk, "count": counts.get((q.pk, o.pk), 0)} for o in q.options.all()
                ],
            }
            for q in _questions(poll)
        ],
    }


register_manifest("poll", export_manifest, results=export_results)
