"""What a ballot says and how it is written down: answer checking and canonical bytes.

Pure functions over plain data, so the API, the pages and the service centre check answers
the same way, and the offline verifier can rebuild a ballot's bytes from the published log.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from activecitizen.core.errors import InvalidInput

FREE_TEXT_MAX = 1000
BALLOT_FORMAT_VERSION = 1


@dataclass(frozen=True)
class OptionShape:
    id: int
    free_text: bool


@dataclass(frozen=True)
class QuestionShape:
    id: int
    kind: str  # "single" or "multiple"
    min_choices: int
    max_choices: int
    required: bool
    options: tuple[OptionShape, ...]


@dataclass(frozen=True)
class Answer:
    question_id: int
    option_ids: tuple[int, ...]
    text: str | None = None


def check_answers(questions: tuple[QuestionShape, ...], raw: list[dict]) -> list[Answer]:
    """Answers as the poll's questions allow them, in question order; InvalidInput otherwise.

    `raw` is a list of {"question_id", "option_ids", "text"} as the API and forms send it.
    A question left out (or answered with no options) counts as unanswered.
    """
    by_id = {q.id: q for q in questions}
    given: dict[int, Answer] = {}
    if not isinstance(raw, list):
        raise InvalidInput(_("Answers must be a list."), code="invalid", field="answers")
    for item in raw:
        if not isinstance(item, dict):
            raise InvalidInput(_("Each answer must be an object."), field="answers")
        question_id = item.get("question_id")
        question = by_id.get(question_id) if isinstance(question_id, int) else None
        if question is None:
            raise InvalidInput(
                _("This poll has no question %(id)s.") % {"id": str(question_id)[:20]},
                code="unknown_question",
                field="answers",
            )
        if question.id in given:
            raise InvalidInput(
                _("Question %(id)s is answered twice.") % {"id": question.id},
                code="duplicate_answer",
                field="answers",
            )
        option_ids = item.get("option_ids") or []
        if not isinstance(option_ids, list) or not all(
            isinstance(o, int) and not isinstance(o, bool) for o in option_ids
        ):
            raise InvalidInput(_("Options are given by their ids."), field="answers")
        text = item.get("text")
        if text is not None and not isinstance(text, str):
            raise InvalidInput(_("Your own answer must be text."), field="answers")
        given[question.id] = _check_one(question, option_ids, text)

    answers = []
    for question in questions:
        answer = given.get(question.id)
        if answer is None or not answer.option_ids:
            if question.required:
                raise InvalidInput(
                    _("Answer every required question."),
                    code="missing_answer",
                    field=f"answers.{question.id}",
                )
            continue
        answers.append(answer)
    if not answers:
        raise InvalidInput(_("The ballot is empty."), code="missing_answer", field="answers")
    return answers


def _check_one(question: QuestionShape, option_ids: list[int], text: str | None) -> Answer:
    field = f"answers.{question.id}"
    options = {o.id: o for o in question.options}
    if len(set(option_ids)) != len(option_ids):
        raise InvalidInput(_("An option is chosen twice."), code="duplicate_option", field=field)
    for option_id in option_ids:
        if option_id not in options:
            raise InvalidInput(
                _("This question has no option %(id)s.") % {"id": option_id},
                code="unknown_option",
                field=field,
            )
    if option_ids:
        if question.kind == "single" and len(option_ids) != 1:
            raise InvalidInput(_("Choose one answer."), code="too_many_choices", field=field)
        if question.kind == "multiple":
            if len(option_ids) < question.min_choices:
                raise InvalidInput(
                    _("Choose at least %(n)s answers.") % {"n": question.min_choices},
                    code="too_few_choices",
                    field=field,
                )
            if len(option_ids) > question.max_choices:
                raise InvalidInput(
                    _("Choose at most %(n)s answers.") % {"n": question.max_choices},
                    code="too_many_choices",
                    field=field,
                )
    own = [o for o in option_ids if options[o].free_text]
    text = (text or "").strip() or None
    if len(own) > 1:
        raise InvalidInput(
            _("Choose only one of the own-answer options."), code="too_many_choices", field=field
        )
    if own and text is None:
        raise InvalidInput(_("Write your own answer."), code="missing_text", field=field)
    if text is not None and not own:
        raise InvalidInput(
            _("A text is only for an own answer."), code="unexpected_text", field=field
        )
    if text is not None:
        if len(text) > FREE_TEXT_MAX:
            raise InvalidInput(
                _("Your own answer is longer than %(n)s characters.") % {"n": FREE_TEXT_MAX},
                code="too_long",
                field=field,
            )
        if "\x00" in text:
            raise InvalidInput(_("The text holds a forbidden character."), field=field)
    return Answer(question_id=question.id, option_ids=tuple(sorted(option_ids)), text=text)


def canonical_bytes(*, origin: str, public_id: str, answers: list[Answer]) -> bytes:
    """The ballot as it appears in the public log: RFC 8785 (JCS) JSON.

    Own-answer texts are not in the log (they are published only after moderation); the log
    says which option carried one.
    """
    document: dict[str, Any] = {
        "v": BALLOT_FORMAT_VERSION,
        "poll": origin,
        "ballot": public_id,
        "answers": [
            {"q": a.question_id, "o": list(a.option_ids), **({"t": 1} if a.text else {})}
            for a in answers
        ],
    }
    # For this document (integers, strings, lists, keys of ASCII letters) RFC 8785 output is
    # exactly the standard library's sorted, compact, non-ASCII-escaping JSON, at a fifth of the
    # general encoder's cost; a property test holds the two equal.
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def ballot_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def leaf_hash(content: bytes) -> str:
    """RFC 9162 §2.1.1: SHA-256(0x00 ‖ entry)."""
    return hashlib.sha256(b"\x00" + content).hexdigest()


AGE_BANDS = (
    (0, 17, "<18"),
    (18, 24, "18-24"),
    (25, 34, "25-34"),
    (35, 44, "35-44"),
    (45, 54, "45-54"),
    (55, 64, "55-64"),
    (65, 200, "65+"),
)


def age_band(birth: date | None, day: date) -> str:
    if birth is None:
        return "unknown"
    age = day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
    for low, high, band in AGE_BANDS:
        if low <= age <= high:
            return band
    return "unknown"
