"""Insights: the officials' dashboard (who sees it, its period, its suppressed breakdowns) and
the public open data (CSV, JSON, the API)."""

from __future__ import annotations

import csv
import io
import itertools
import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from activecitizen.accounts.models import User
from activecitizen.accounts.roles import Role
from activecitizen.accounts.services import sync_role_permissions
from activecitizen.decisions.tests.factories import make_decision
from activecitizen.geo.models import District, Okrug
from activecitizen.insights import opendata, selectors
from activecitizen.polls.models import Ballot, Channel, Participation, Poll, Tally
from activecitizen.polls.tests.factories import make_poll

pytestmark = pytest.mark.django_db

_ids = itertools.count(1)


def person(role: str | None = None, *, staff: bool = False) -> User:
    sync_role_permissions()
    user = User.objects.create_user(f"+7916555{next(_ids):04d}", is_staff=staff)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return User.objects.get(pk=user.pk)


def cast(poll: Poll, n: int, *, district: District | None, **snapshot) -> None:
    """n ballots (and their participations) with this snapshot, cast now."""
    now = timezone.now()
    for _ in range(n):
        i = next(_ids)
        voter = User.objects.create_user(f"+7903{i:07d}")
        channel = snapshot.get("channel", Channel.WEB)
        Participation.objects.create(
            poll=poll,
            user=voter,
            cast_at=now,
            channel=channel,
            ballot_public_id=f"p{i:031d}",
            ballot_hash="0" * 64,
            leaf_hash="0" * 64,
        )
        Ballot.objects.create(
            poll=poll,
            public_id=f"p{i:031d}",
            content="{}",
            channel=channel,
            okrug_id=district.okrug_id if district else None,
            district_id=district.pk if district else None,
            age_band=snapshot.get("age_band", "35-44"),
            gender=snapshot.get("gender", "female"),
            cast_at=now,
        )


def okrug_with_districts(k: int) -> tuple[Okrug, list[District]]:
    for okrug in Okrug.objects.order_by("pk"):
        districts = list(District.objects.filter(okrug=okrug).order_by("pk")[:k])
        if len(districts) == k:
            return okrug, districts
    raise AssertionError("no okrug with enough districts")


def rows_of(board: selectors.Dashboard, dimension: str) -> dict[str, int | None]:
    table = next(t for t in board.tables if t.dimension == dimension)
    return {r.value: r.count for r in table.rows}


def today_board(**kwargs) -> selectors.Dashboard:
    today = timezone.localdate()
    return selectors.dashboard(date_from=today - timedelta(days=30), date_to=today, **kwargs)


# --- Suppression ----------------------------------------------------------------------------


def test_a_district_of_7_voters_is_hidden_and_cannot_be_derived():
    poll = make_poll()
    okrug, (big, middle, small) = okrug_with_districts(3)
    cast(poll, 30, district=big)
    cast(poll, 25, district=middle)
    cast(poll, 7, district=small)
    board = today_board()
    assert board.ballots == 62  # totals always shown
    districts = rows_of(board, "district")
    okrugs = rows_of(board, "okrug")
    assert districts[str(small.pk)] is None
    # Total minus the other districts: with only one hidden row it would give 7 back.
    hidden = [v for v, n in districts.items() if n is None]
    assert len(hidden) >= 2
    derived = board.ballots - sum(n for n in districts.values() if n is not None)
    assert derived != 7
    # Nor from the okrug's row minus its other districts.
    okrug_count = okrugs[str(okrug.pk)]
    if okrug_count is not None:
        assert sum(1 for d in (big, middle, small) if districts[str(d.pk)] is None) >= 2


def test_small_cells_are_hidden_in_every_breakdown():
    poll = make_poll()
    _okrug, (home, *_rest) = okrug_with_districts(1)
    cast(poll, 40, district=home, gender="female", age_band="35-44", channel=Channel.WEB)
    cast(poll, 5, district=home, gender="male", age_band="65+", channel=Channel.APP)
    board = today_board()
    assert board.ballots == 45
    for dimension in ("age_band", "gender", "channel"):
        counts = rows_of(board, dimension)
        # Two rows, one small: the other would give it away, so neither is shown.
        assert set(counts.values()) == {None}, dimension
    page_total = next(t for t in board.tables if t.dimension == "gender").total
    assert page_total == 45


def test_the_page_shows_hidden_and_never_the_small_count(client):
    poll = make_poll()
    _okrug, (big, middle, small) = okrug_with_districts(3)
    cast(poll, 30, district=big)
    cast(poll, 25, district=middle)
    cast(poll, 7, district=small)
    client.force_login(person(Role.AUDITOR, staff=True))
    response = client.get("/insights/")
    assert response.status_code == 200
    html = response.content.decode()
    row = html.split(f'data-value="{small.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "hidden" in row and ">7<" not in row
    assert 'role="img"' in html and "<title" in html and "<desc" in html


# --- Who sees it, and for which period --------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/insights/")
    assert response.status_code == 302
    assert "/accounts/" in response["Location"]


@pytest.mark.parametrize(
    ("role", "staff", "status"),
    [(None, False, 403), (Role.CITIZEN, False, 403), (None, True, 403), (Role.AUDITOR, True, 200)],
    ids=["citizen", "citizen-group", "staff-without-role", "auditor"],
)
def test_only_officials_see_the_dashboard(client, role, staff, status):
    client.force_login(person(role, staff=staff))
    assert client.get("/insights/").status_code == status


def test_an_editor_sees_the_dashboard_for_one_poll(client):
    poll = make_poll()
    other = make_poll(title="Другой опрос")
    _okrug, (home, *_r) = okrug_with_districts(1)
    cast(poll, 12, district=home)
    cast(other, 20, district=home)
    client.force_login(person(Role.EDITOR, staff=True))
    response = client.get("/insights/", {"poll": poll.pk})
    assert response.status_code == 200
    assert response.context["board"].ballots == 12
    assert sum(w.count for w in response.context["board"].weeks) == 12


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"date_from": "2025-13-01"}, "date_from"),
        ({"date_to": "yesterday"}, "date_to"),
        ({"date_from": "2025-05-10", "date_to": "2025-05-01"}, "date_to"),
        ({"date_from": "2021-01-01", "date_to": "2025-01-01"}, "date_from"),
        ({"poll": "999999"}, "poll"),
    ],
)
def test_a_bad_period_is_a_400_naming_the_field(client, query, field):
    client.force_login(person(Role.AUDITOR, staff=True))
    response = client.get("/insights/", query)
    assert response.status_code == 400
    assert field in response.context["form"].errors


def test_a_period_of_two_years_is_accepted(client):
    client.force_login(person(Role.AUDITOR, staff=True))
    response = client.get("/insights/", {"date_from": "2023-01-02", "date_to": "2025-01-01"})
    assert response.status_code == 200


# --- Open data --------------------------------------------------------------------------------


def published_poll(title: str, status: str = Poll.Status.PUBLISHED) -> Poll:
    poll = make_poll(title=title, status=status, questions=[("Что посадить?", ["Липы", "Клёны"])])
    question = poll.questions.get()
    lime, maple = question.options.order_by("position")
    rows = [
        (0, 0, "total", "all", 50),
        (question.pk, 0, "total", "all", 50),
        (question.pk, lime.pk, "total", "all", 45),
        (question.pk, maple.pk, "total", "all", 5),
        (question.pk, 0, "gender", "female", 45),
        (question.pk, 0, "gender", "male", 5),
        (question.pk, lime.pk, "gender", "female", 40),
        (question.pk, lime.pk, "gender", "male", 5),
        (question.pk, maple.pk, "gender", "female", 5),
    ]
    Tally.objects.bulk_create(
        Tally(poll=poll, question_id=q, option_id=o, dimension=d, value=v, count=n)
        for q, o, d, v, n in rows
    )
    Poll.objects.filter(pk=poll.pk).update(ballots_counted=50)
    return poll


def read_csv(response) -> list[dict[str, str]]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body[1:], newline="")))


def test_poll_results_export_only_published_polls_with_small_cells_blank(client):
    shown = published_poll('=HYPERLINK("http://evil")')
    hidden = published_poll("Черновик", status=Poll.Status.OPEN)
    response = client.get("/insights/open-data/poll-results.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = read_csv(response)
    assert list(rows[0]) == opendata.DATASETS["poll-results"].column_names
    assert {r["poll_id"] for r in rows} == {str(shown.pk)}
    assert str(hidden.pk) not in {r["poll_id"] for r in rows}
    # Formula injection guarded.
    assert all(r["poll"].startswith("'=") for r in rows)
    # The gender breakdown: 5 men is small, and so is every cell that would reveal it.
    gender = [r for r in rows if r["dimension"] == "gender"]
    assert gender and all(r["count"] == "" for r in gender if r["value"] == "male")
    assert not any(r["count"] in {"5", "40"} for r in gender)
    # Totals are shown as on the results page.
    assert any(r["dimension"] == "total" and r["count"] == "50" for r in rows)


def test_decisions_export_has_only_published_decisions(client):
    public = make_decision(title="@SUM(A1)")
    make_decision(title="Тайное решение", is_published=False)
    rows = read_csv(client.get("/insights/open-data/decisions.csv"))
    assert list(rows[0]) == opendata.DATASETS["decisions"].column_names
    assert [r["decision_id"] for r in rows] == [str(public.pk)]
    assert rows[0]["title"] == "'@SUM(A1)"
    data = client.get("/insights/open-data/decisions.json").json()
    assert data["count"] == 1 and data["items"][0]["title"] == "@SUM(A1)"


def test_facility_index_export(client):
    from activecitizen.pulse.tests.factories import make_facility

    make_facility(name="-1+1")
    rows = read_csv(client.get("/insights/open-data/facility-index.csv"))
    assert list(rows[0]) == opendata.DATASETS["facility-index"].column_names
    assert rows[0]["name"] == "'-1+1"


def test_open_data_index_lists_the_dictionary_and_unknown_is_404(client):
    response = client.get("/insights/open-data/")
    assert response.status_code == 200
    html = response.content.decode()
    for dataset in opendata.DATASETS.values():
        assert str(dataset.title) in html
        for column in dataset.columns:
            assert f"<code>{column.name}</code>" in html
    assert client.get("/insights/open-data/nothing.csv").status_code == 404
    assert client.get("/insights/open-data/nothing.json").status_code == 404


def test_api_catalogue_and_paging(client):
    for i in range(5):
        make_decision(title=f"Решение {i}")
    catalogue = client.get("/api/v1/open-data").json()
    assert catalogue["count"] == 3
    names = {d["name"] for d in catalogue["items"]}
    assert names == set(opendata.DATASETS)
    decisions = next(d for d in catalogue["items"] if d["name"] == "decisions")
    assert [c["name"] for c in decisions["columns"]] == opendata.DATASETS["decisions"].column_names
    first = client.get("/api/v1/open-data/decisions", {"limit": 2, "offset": 0}).json()
    second = client.get("/api/v1/open-data/decisions", {"limit": 2, "offset": 2}).json()
    last = client.get("/api/v1/open-data/decisions", {"limit": 2, "offset": 4}).json()
    assert first["count"] == second["count"] == 5
    ids = [r["decision_id"] for page in (first, second, last) for r in page["items"]]
    assert len(ids) == len(set(ids)) == 5
    unknown = client.get("/api/v1/open-data/nothing")
    assert unknown.status_code == 404 and unknown.json()["code"] == "dataset_not_found"
    for bad in ({"limit": 0}, {"offset": -1}, {"format": "xml"}, {"limit": "x"}):
        response = client.get("/api/v1/open-data/decisions", bad)
        assert response.status_code == 422, bad
        assert json.loads(response.content)["field"] in {"limit", "offset", "format"}
