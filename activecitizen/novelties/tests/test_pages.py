"""The novelties pages: the list with tabs, filters and an empty state; a novelty with its
distribution; rating from the page; feedback never shown publicly."""

from __future__ import annotations

import pytest
from django.urls import reverse

from activecitizen.geo.models import District
from activecitizen.novelties import services
from activecitizen.novelties.models import Rating
from activecitizen.novelties.tests.factories import make_novelty, make_resident
from activecitizen.rewards.models import PointsAccount

pytestmark = pytest.mark.django_db


def test_the_list_shows_cards_and_an_empty_state(client):
    empty = client.get("/novelties/")
    assert empty.status_code == 200
    assert b"empty" in empty.content
    novelty = make_novelty("Электробусы в центре")
    make_novelty("Тайный черновик", is_published=False)
    services.rate_novelty(novelty_id=novelty.pk, user=make_resident(), stars=4)
    page = client.get(reverse("novelties:list")).content.decode()
    assert "Электробусы в центре" in page and "Тайный черновик" not in page
    assert reverse("novelties:detail", args=[novelty.pk]) in page
    assert "4,0" in page or "4.0" in page


def test_best_rated_tab_and_filters(client):
    district = District.objects.order_by("pk").first()
    low = make_novelty("Скучная", category="parks", district=district)
    high = make_novelty("Любимая", category="parks")
    for i in range(6):
        services.rate_novelty(novelty_id=low.pk, user=make_resident(f"+7916500{i:04d}"), stars=1)
        services.rate_novelty(novelty_id=high.pk, user=make_resident(f"+7916600{i:04d}"), stars=5)
    newest = client.get("/novelties/").content.decode()
    assert newest.index("Любимая") < newest.index("Скучная")  # created later
    best = client.get("/novelties/?sort=best").content.decode()
    assert best.index("Любимая") < best.index("Скучная")
    filtered = client.get(f"/novelties/?district={district.pk}").content.decode()
    assert "Скучная" in filtered and "Любимая" not in filtered
    assert "Любимая" not in client.get("/novelties/?category=culture").content.decode()


def test_a_bad_filter_is_400_and_names_the_field(client):
    make_novelty("Видна всё равно")
    answer = client.get("/novelties/?district=abc&category=nope")
    assert answer.status_code == 400
    assert "Видна всё равно" in answer.content.decode()
    assert b'id="id_district_error"' in answer.content


def test_the_detail_shows_the_distribution_as_a_table(client):
    novelty = make_novelty()
    services.rate_novelty(
        novelty_id=novelty.pk, user=make_resident(), stars=5, feedback="<script>секрет</script>"
    )
    page = client.get(reverse("novelties:detail", args=[novelty.pk])).content.decode()
    assert '<table class="star-bars">' in page and "<caption" in page
    assert "100,0" in page or "100.0" in page
    assert "секрет" not in page  # feedback is for staff only
    assert "/accounts/sign-in/" in page  # anonymous: a way to sign in


def test_a_draft_or_unknown_novelty_is_404(client):
    draft = make_novelty(is_published=False)
    assert client.get(reverse("novelties:detail", args=[draft.pk])).status_code == 404
    assert client.get("/novelties/99999/").status_code == 404


def test_rating_from_the_page(client):
    novelty = make_novelty()
    me = make_resident()
    client.force_login(me)
    form = client.get(reverse("novelties:detail", args=[novelty.pk]))
    assert b'name="stars"' in form.content
    answer = client.post(
        reverse("novelties:detail", args=[novelty.pk]),
        {"stars": "4", "feedback": "Хорошо", "idempotency_key": "form-1"},
        follow=True,
    )
    assert answer.status_code == 200
    page = answer.content.decode()
    assert 'data-stars="4"' in page
    assert 'data-average="4.0"' in page
    assert 'name="stars"' not in page  # no second form
    assert PointsAccount.objects.get(user=me).balance == 3
    # The same form sent again (a double click) is quietly the same rating.
    again = client.post(
        reverse("novelties:detail", args=[novelty.pk]),
        {"stars": "4", "idempotency_key": "form-1"},
    )
    assert again.status_code == 302
    assert Rating.objects.count() == 1 and PointsAccount.objects.get(user=me).balance == 3


@pytest.mark.parametrize(
    ("data", "status"),
    [({"stars": "9"}, 422), ({}, 422), ({"stars": "3", "feedback": "я" * 501}, 422)],
)
def test_bad_page_input_is_a_form_error(client, data, status):
    novelty = make_novelty()
    client.force_login(make_resident())
    answer = client.post(reverse("novelties:detail", args=[novelty.pk]), data)
    assert answer.status_code == status
    assert b"errorlist" in answer.content
    assert not Rating.objects.exists()


def test_anonymous_post_goes_to_sign_in(client):
    novelty = make_novelty()
    answer = client.post(reverse("novelties:detail", args=[novelty.pk]), {"stars": "5"})
    assert answer.status_code == 302 and "/accounts/sign-in/" in answer["Location"]
    assert not Rating.objects.exists()


def test_the_header_links_to_the_section(client):
    assert 'href="/novelties/"' in client.get("/").content.decode()
