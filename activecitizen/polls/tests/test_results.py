"""Results: the tally of cast ballots, percentages, safe breakdowns, who sees them, downloads,
the cache, and the page with its live refresh."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.urls import reverse
from django.utils import translation

from activecitizen.accounts.services import issue_api_token
from activecitizen.geo.models import District
from activecitizen.polls import results, services
from activecitizen.polls.api import PollResultsOut
from activecitizen.polls.ballots import age_band
from activecitizen.polls.models import FreeTextAnswer, Option, Poll, Question
from activecitizen.polls.tests.factories import make_poll, make_resident

pytestmark = pytest.mark.django_db


# --- A poll with a few dozen real ballots ------------------------------------------------------


class Electorate:
    """Cast ballots through services.cast_ballot, keeping our own count to compare with."""

    def __init__(self, poll: Poll) -> None:
        self.poll = poll
        self.counts: Counter = Counter()
        self.n = 0

    def vote(
        self, district, choices: dict[int, list[int]], *, gender="female", born=None, channel="web"
    ):
        self.n += 1
        born = born or date(1990, 3, 1)
        person = make_resident(
            f"+7916{self.n:07d}", district=district, birth_date=born, gender=gender
        )
        services.cast_ballot(
            poll_id=self.poll.pk,
            user=person,
            answers=[{"question_id": q, "option_ids": o} for q, o in choices.items()],
            channel=channel,
        )
        values = {
            "total": "all",
            "okrug": str(district.okrug_id),
            "district": str(district.pk),
            "age_band": age_band(born, date.today()),
            "gender": gender or "unknown",
            "channel": channel,
        }
        for dimension, value in values.items():
            self.counts[(0, 0, dimension, value)] += 1
            for q, options in choices.items():
                self.counts[(q, 0, dimension, value)] += 1
                for o in options:
                    self.counts[(q, o, dimension, value)] += 1


@pytest.fixture
def places():
    first = District.objects.order_by("pk").first()
    sibling = District.objects.filter(okrug=first.okrug).exclude(pk=first.pk).order_by("pk")[0]
    elsewhere = District.objects.exclude(okrug=first.okrug).order_by("pk")[0]
    return first, sibling, elsewhere


@pytest.fixture
def voted(places):
    """36 ballots: a big district, its small neighbour, a small district elsewhere; question 2
    (several answers, not required) answered by some."""
    poll = make_poll(
        title="Какие деревья посадить?",
        questions=[("Что посадить во дворе?", ["Липы", "Клёны", "Берёзы"])],
    )
    trees = poll.questions.get()
    a, b, c = trees.options.order_by("position").values_list("pk", flat=True)
    benches = Question.objects.create(
        poll=poll, position=1, text="Что ещё нужно?", kind="multiple", max_choices=2, required=False
    )
    x, y = (
        Option.objects.create(question=benches, position=i, text=t).pk
        for i, t in enumerate(["Скамейки", "Фонари"])
    )
    first, sibling, elsewhere = places
    people = Electorate(poll)
    for i in range(24):
        people.vote(
            first,
            {
                trees.pk: [a if i < 16 else b],
                **({benches.pk: [x, y] if i % 2 else [x]} if i < 14 else {}),
            },
            born=date(1990, 3, 1) if i < 20 else date(1950, 3, 1),
            channel="web" if i < 18 else "app",
        )
    for i in range(6):
        people.vote(sibling, {trees.pk: [a if i < 3 else c]}, channel="app")
    for _ in range(6):
        people.vote(elsewhere, {trees.pk: [b]}, gender="male", channel="service_centre")
    assert services.tally(poll_id=poll.pk) == 36
    poll.refresh_from_db()
    return poll, people, (trees.pk, (a, b, c)), (benches.pk, (x, y))


# --- The numbers -------------------------------------------------------------------------------


def test_results_equal_the_tally_of_the_cast_ballots(voted):
    poll, people, (trees, (a, b, c)), (_benches, (x, y)) = voted
    found = results.poll_results(poll)
    assert found.total == 36 == poll.ballots_counted
    first, second = found.questions
    assert first.id == trees and first.respondents == 36
    assert [(o.id, o.count) for o in first.options] == [(a, 19), (b, 14), (c, 3)]
    assert [o.percent for o in first.options] == [
        Decimal("52.78"),
        Decimal("38.89"),
        Decimal("8.33"),
    ]
    assert second.respondents == 14
    assert [(o.id, o.count, o.percent) for o in second.options] == [
        (x, 14, Decimal("100.00")),
        (y, 7, Decimal("50.00")),
    ]
    for question in found.questions:
        for breakdown in question.breakdowns:
            assert not breakdown.withheld or breakdown.rows == ()
            for row in breakdown.rows:
                truth = people.counts[(question.id, 0, breakdown.dimension, row.value)]
                assert row.respondents in (None, truth)
                for option, n in zip(question.options, row.counts, strict=True):
                    truth = people.counts[(question.id, option.id, breakdown.dimension, row.value)]
                    assert n in (None, truth)
                    assert n is None or not 0 < n < 11


def test_single_choice_percentages_add_up_to_100_within_rounding():
    assert results.percent_of(1, 8) == Decimal("12.50")
    assert results.percent_of(1, 32) == Decimal("3.13")  # 3.125: half up
    assert results.percent_of(2, 3) == Decimal("66.67")
    assert results.percent_of(0, 0) == Decimal("0.00")
    poll = make_poll(questions=[("Q", ["a", "b", "c"])])
    options = list(poll.questions.get().options.order_by("position"))
    for n, option in enumerate(options):
        services.cast_ballot(
            poll_id=poll.pk,
            user=make_resident(f"+7917000000{n}"),
            answers=[{"question_id": option.question_id, "option_ids": [option.pk]}],
            channel="web",
        )
    services.tally(poll_id=poll.pk)
    poll.refresh_from_db()
    shares = [o.percent for o in results.poll_results(poll).questions[0].options]
    assert shares == [Decimal("33.33")] * 3
    # Each share is rounded on its own: the sum is within half a hundredth per option of 100.
    assert abs(sum(shares) - 100) <= Decimal("0.005") * len(shares)


def test_small_groups_are_hidden_in_breakdowns_but_totals_are_shown(voted, places):
    poll, _people, (_trees, (_a, _b, c)), _benches = voted
    first, sibling, elsewhere = places
    question = results.poll_results(poll).questions[0]
    assert {o.id: o.count for o in question.options}[c] == 3  # a total is shown, however small
    districts = {r.value: r for r in question.breakdowns[1].rows}
    big = districts[str(first.pk)]
    assert big.respondents == 24  # 24 voters: shown
    assert districts[str(sibling.pk)].respondents is None  # 6 voters
    assert districts[str(elsewhere.pk)].respondents is None
    # 24 = 16 + 8 would give the 6s away if both were shown next to the hidden ones: each
    # column with a hidden cell has a second one.
    for breakdown in question.breakdowns:
        for i in range(len(question.options)):
            hidden = [r for r in breakdown.rows if r.counts[i] is None]
            assert len(hidden) != 1


def test_a_breakdown_of_one_group_is_withheld(places):
    poll = make_poll(questions=[("Q", ["a", "b"])])
    a, b = poll.questions.get().options.order_by("position")
    for n in range(15):
        services.cast_ballot(
            poll_id=poll.pk,
            user=make_resident(f"+7918000{n:04d}", district=places[0]),
            answers=[{"question_id": a.question_id, "option_ids": [a.pk if n < 12 else b.pk]}],
            channel="web",
        )
    services.tally(poll_id=poll.pk)
    poll.refresh_from_db()
    question = results.poll_results(poll).questions[0]
    by = {b.dimension: b for b in question.breakdowns}
    # Everyone is in one okrug, district, age band, gender and channel: each table would just
    # repeat the totals, and "b" has 3 votes.
    assert all(by[d].withheld and by[d].rows == () for d in results.DIMENSIONS)


def test_labels_follow_the_language(voted, places):
    poll = voted[0]
    first = places[0]
    with translation.override("en"):
        english = results.poll_results(poll)
        gender_en = {r.value: r.label for r in english.questions[0].breakdowns[3].rows}
    with translation.override("ru"):
        russian = results.poll_results(poll)
    district_en = {r.value: r.label for r in english.questions[0].breakdowns[1].rows}
    district_ru = {r.value: r.label for r in russian.questions[0].breakdowns[1].rows}
    assert district_ru[str(first.pk)] == first.name_ru
    assert district_en[str(first.pk)] == (first.name_en or first.name_ru)
    assert gender_en["female"] == "women"
    assert english.questions[0].breakdowns[1].title == "By district"


# --- Who sees results ----------------------------------------------------------------------------


@pytest.fixture
def editor():
    person = make_resident("+79160000999", is_staff=True)
    person.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="polls", codename__in=["view_poll", "view_freetextanswer"]
        )
    )
    return type(person).objects.get(pk=person.pk)  # a fresh object: no cached permissions


@pytest.mark.parametrize(
    ("status", "shown", "everyone_sees"),
    [
        (Poll.Status.DRAFT, Poll.Results.LIVE, False),
        (Poll.Status.SCHEDULED, Poll.Results.LIVE, False),
        (Poll.Status.OPEN, Poll.Results.LIVE, True),
        (Poll.Status.OPEN, Poll.Results.AFTER_CLOSE, False),
        (Poll.Status.CLOSED, Poll.Results.AFTER_CLOSE, True),
        (Poll.Status.PUBLISHED, Poll.Results.AFTER_CLOSE, True),
        (Poll.Status.ARCHIVED, Poll.Results.AFTER_CLOSE, True),
    ],
)
def test_who_may_see_results(status, shown, everyone_sees, editor):
    poll = make_poll(status=status, results_visibility=shown)
    resident = make_resident("+79160000111")
    assert results.results_visible(poll, AnonymousUser()) is everyone_sees
    assert results.results_visible(poll, None) is everyone_sees
    assert results.results_visible(poll, resident) is everyone_sees
    assert results.results_visible(poll, editor) is True
    staff_without_polls = make_resident("+79160000222", is_staff=True)
    assert results.results_visible(poll, staff_without_polls) is everyone_sees


def test_an_open_poll_past_its_closing_time_counts_as_closed():
    poll = make_poll(
        results_visibility=Poll.Results.AFTER_CLOSE,
        opens_in=timedelta(days=-8),
        lasts=timedelta(days=7),
    )
    assert results.results_visible(poll, None)
    assert not results.refreshes_live(poll)


def test_own_answers_published_for_all_every_one_for_editors(editor):
    poll = make_poll(questions=[("Q", ["a", "своё"])], free_text_last=True)
    own = poll.questions.get().options.get(free_text=True)
    FreeTextAnswer.objects.create(poll=poll, option=own, text="Каштаны", moderation="published")
    FreeTextAnswer.objects.create(poll=poll, option=own, text="Секрет", moderation="pending")
    FreeTextAnswer.objects.create(poll=poll, option=own, text="Грубость", moderation="rejected")
    public = results.free_texts(poll, make_resident())
    assert [t.text for t in public.items] == ["Каштаны"] and not public.all_shown
    assert [t.text for t in results.free_texts(poll, None).items] == ["Каштаны"]
    staff = results.free_texts(poll, editor)
    assert sorted(t.text for t in staff.items) == ["Грубость", "Каштаны", "Секрет"]
    assert staff.all_shown and staff.count == 3
    assert results.free_texts(poll, editor, limit=2).count == 3


# --- Downloads -----------------------------------------------------------------------------------


def test_csv_has_a_row_per_cell_and_blanks_for_hidden_ones(voted):
    poll = voted[0]
    found = results.poll_results(poll)
    rows = list(csv.DictReader(io.StringIO(results.results_as_csv(poll))))
    expected = 1 + sum(
        1 + len(q.options) + sum(len(b.rows) for b in q.breakdowns) * (1 + len(q.options))
        for q in found.questions
    )
    assert len(rows) == expected
    assert list(rows[0]) == list(results.CSV_COLUMNS)
    assert rows[0]["count"] == "36" and rows[0]["dimension"] == "total"
    first = found.questions[0]
    totals = [r for r in rows if r["question_id"] == str(first.id) and r["dimension"] == "total"]
    assert [(r["option_id"], r["count"], r["percent"]) for r in totals[1:]] == [
        (str(o.id), str(o.count), str(o.percent)) for o in first.options
    ]
    cells = [r for r in rows if r["dimension"] != "total"]
    assert any(r["count"] == "" for r in cells)
    assert all(r["count"] == "" or not 0 < int(r["count"]) < 11 for r in cells)


def test_csv_keeps_formulas_as_text():
    poll = make_poll(questions=[("=HYPERLINK(1)", ["+1", "@a"])])
    text = results.results_as_csv(poll)
    assert "'=HYPERLINK(1)" in text and "'+1" in text and "'@a" in text


def test_json_matches_the_api_shape(voted):
    poll = voted[0]
    data = results.results_as_dict(poll)
    json.dumps(data)  # JSON-ready as it is
    assert set(data) == {
        "poll_id",
        "total",
        "questions",
        "breakdowns",
        "smallest_shown",
        "checkpoint",
    }
    assert data["total"] == 36
    # The counts are the tally of a signed checkpoint of the poll's log, of as many ballots.
    assert data["checkpoint"]["size"] == 36
    assert data["checkpoint"]["note"].startswith(f"{poll.origin}\n36\n")
    question = data["questions"][0]
    assert set(question) == {"id", "text", "kind", "respondents", "options"}
    assert set(question["options"][0]) == {"id", "text", "count", "percent"}
    assert question["options"][0]["percent"] == "52.78"
    assert set(data["breakdowns"]) == set(results.DIMENSIONS)
    district = data["breakdowns"]["district"][0]
    assert district["option_ids"] == [o["id"] for o in question["options"]]
    assert all(len(r["counts"]) == len(question["options"]) for r in district["rows"])
    assert None in [r["respondents"] for r in district["rows"]]
    PollResultsOut.model_validate(data)


# --- The cache -----------------------------------------------------------------------------------


def test_a_cached_read_costs_no_query_and_new_ballots_show_at_once(
    voted, places, django_assert_num_queries
):
    poll, _people, (trees, (a, _b, _c)), _benches = voted
    first = results.poll_results(poll)
    with django_assert_num_queries(0):
        assert results.poll_results(poll) is first
    results.forget_results(poll.pk)  # another process: only the shared cache has them
    with django_assert_num_queries(0):
        assert results.poll_results(poll) == first
    services.cast_ballot(
        poll_id=poll.pk,
        user=make_resident("+79169999999", district=places[0]),
        answers=[{"question_id": trees, "option_ids": [a]}],
        channel="web",
    )
    services.tally(poll_id=poll.pk)
    poll.refresh_from_db()
    fresh = results.poll_results(poll)
    assert fresh.total == 37
    assert fresh.questions[0].options[0].count == first.questions[0].options[0].count + 1


# --- The page, the partial, the downloads, the API ------------------------------------------------


def test_the_results_page_draws_bars_tables_and_the_legend(client, voted):
    poll = voted[0]
    Poll.objects.filter(pk=poll.pk).update(status=Poll.Status.CLOSED)
    page = client.get(reverse("polls:results", args=[poll.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert '<table class="result-bars">' in html and "<caption>" in html
    assert 'style="width: 52.78%"' in html  # the bar, whatever the language's decimal mark
    assert "hidden to protect privacy" in html or "скрыт" in html
    assert '<span aria-hidden="true">—</span>' in html
    assert "hx-trigger" not in html  # closed: nothing to refresh
    assert reverse("polls:results_csv", args=[poll.pk]) in html
    assert reverse("polls:results_json", args=[poll.pk]) in html


def test_live_results_refresh_themselves_and_answer_204_when_nothing_changed(client, voted):
    poll = voted[0]
    page = client.get(reverse("polls:results", args=[poll.pk])).content.decode()
    partial_url = reverse("polls:results_partial", args=[poll.pk])
    assert f'hx-get="{partial_url}?counted=36"' in page and 'hx-trigger="every 10s"' in page
    assert client.get(f"{partial_url}?counted=36").status_code == 204
    fresh = client.get(f"{partial_url}?counted=35")
    assert fresh.status_code == 200 and f'id="results-live-{poll.pk}"' in fresh.content.decode()


def test_results_after_closing_are_not_shown_early(client, voted):
    poll = voted[0]
    Poll.objects.filter(pk=poll.pk).update(results_visibility=Poll.Results.AFTER_CLOSE)
    page = client.get(reverse("polls:results", args=[poll.pk]))
    assert page.status_code == 403
    assert "52.78" not in page.content.decode() and "52,78" not in page.content.decode()
    for name in ("polls:results_partial", "polls:results_csv", "polls:results_json"):
        assert client.get(reverse(name, args=[poll.pk])).status_code == 403


def test_downloads(client, voted):
    poll = voted[0]
    got = client.get(reverse("polls:results_csv", args=[poll.pk]))
    assert got["Content-Type"].startswith("text/csv")
    assert got.content.decode("utf-8-sig").startswith("question_id,")
    got = client.get(reverse("polls:results_json", args=[poll.pk]))
    assert json.loads(got.content)["total"] == 36


def test_the_api_gives_results_to_the_app(client, voted):
    poll = voted[0]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_api_token(user=make_resident(), device='t')[1]}"}
    got = client.get(f"/api/v1/polls/{poll.pk}/results", **auth)
    assert got.status_code == 200
    assert got.json()["questions"][0]["options"][0]["percent"] == "52.78"
    assert got.json() == json.loads(json.dumps(results.results_as_dict(poll)))
    Poll.objects.filter(pk=poll.pk).update(results_visibility=Poll.Results.AFTER_CLOSE)
    refused = client.get(f"/api/v1/polls/{poll.pk}/results", **auth)
    assert refused.status_code == 403 and refused.json()["code"] == "results_not_public"
    assert client.get("/api/v1/polls/999999/results", **auth).status_code == 404
