"""The Pulse pages: rankings with filters and empty states, the map, a facility with its rating
form and comments, the staff dashboard."""

import json
import re

import pytest
from django.urls import reverse

from activecitizen.geo.models import District
from activecitizen.pulse import services
from activecitizen.pulse.models import Category, FacilityRating
from activecitizen.pulse.tests.factories import make_facility, make_moderator, make_resident

pytestmark = pytest.mark.django_db


def test_rankings_list_filters_and_empty_states(client):
    first, second = District.objects.order_by("pk")[:2]
    park = make_facility("Парк Горького", district=first)
    make_facility("Библиотека № 1", category=Category.LIBRARY, district=second)
    services.rate_facility(facility_id=park.pk, user=make_resident(), score=5)
    page = client.get(reverse("pulse:list"), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Парк Горького" in html and "Библиотека № 1" in html
    assert "How the index is computed" in html
    only_parks = client.get(reverse("pulse:list"), {"category": "park"}).content.decode()
    assert "Парк Горького" in only_parks and "Библиотека № 1" not in only_parks
    in_second = client.get(reverse("pulse:list"), {"district": second.pk}).content.decode()
    assert "Библиотека № 1" in in_second and "Парк Горького" not in in_second
    nothing = client.get(reverse("pulse:list"), {"category": "school"})
    assert nothing.status_code == 200 and 'class="card empty"' in nothing.content.decode()
    assert client.get(reverse("pulse:list"), {"district": "abc"}).status_code == 400
    assert client.get(reverse("pulse:list"), {"page": "999"}).status_code == 200


def test_the_list_pages_by_twenty(client):
    for i in range(25):
        make_facility(f"Сквер {i:02d}")
    first = client.get(reverse("pulse:list"), {"sort": "name"}).content.decode()
    assert "Сквер 19" in first and "Сквер 20" not in first
    second = client.get(reverse("pulse:list"), {"sort": "name", "page": 2}).content.decode()
    assert "Сквер 20" in second and "Сквер 24" in second


def test_the_map_has_markers_and_a_list_without_tiles(client, settings):
    settings.MAP_TILE_URL = "https://tiles.example/{z}/{x}/{y}.png"
    make_facility("Парк «Зарядье»", lat="55.751244", lon="37.628727")
    page = client.get(reverse("pulse:map"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "vendor/leaflet/leaflet.js" in html and "https://tiles.example/" in html
    markers = json.loads(
        re.search(r'id="facility-markers"[^>]*>(.*?)</script>', html, re.S).group(1)
    )
    assert markers[0]["name"] == "Парк «Зарядье»" and markers[0]["lat"] == "55.751244"
    assert "index" in markers[0]
    # The list under the map names the facility too.
    assert html.count("Парк «Зарядье»") >= 1 and 'class="issue-points card"' in html


def test_a_resident_rates_and_is_told_when_next(client):
    park = make_facility()
    anonymous = client.get(reverse("pulse:facility", args=[park.pk])).content.decode()
    assert "/accounts/sign-in/" in anonymous and 'name="score"' not in anonymous
    client.force_login(make_resident())
    form = client.get(reverse("pulse:facility", args=[park.pk])).content.decode()
    assert 'name="score"' in form and 'name="aspect_cleanliness"' in form
    answer = client.post(
        reverse("pulse:rate", args=[park.pk]),
        {"score": "4", "aspect_cleanliness": "5", "aspect_safety": "", "comment": "Красиво"},
    )
    assert answer.status_code == 302
    park.refresh_from_db()
    assert (park.ratings_count, park.score_sum) == (1, 4)
    after = client.get(
        reverse("pulse:facility", args=[park.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert 'name="score"' not in after
    next_from = services.next_month(services.month_of(park.created_at))
    assert str(next_from.year) in after
    assert "4 of 5" in after
    # A second try this month is refused, and nothing changes.
    again = client.post(reverse("pulse:rate", args=[park.pk]), {"score": "1"})
    assert again.status_code == 302
    park.refresh_from_db()
    assert park.ratings_count == 1


def test_bad_rating_input_is_a_form_error_not_500(client):
    park = make_facility()
    client.force_login(make_resident())
    for data in (
        {"score": "9"},
        {"score": "4", "aspect_cleanliness": "7"},
        {"score": "4", "comment": "я" * 1001},
    ):
        answer = client.post(reverse("pulse:rate", args=[park.pk]), data)
        assert answer.status_code == 422
    assert not FacilityRating.objects.exists()
    assert client.post(reverse("pulse:rate", args=[10**12]), {"score": "4"}).status_code == 404
    assert client.get(reverse("pulse:facility", args=[10**12])).status_code == 404


def test_comments_show_only_once_published_and_as_plain_text(client):
    park = make_facility()
    text = "<script>alert(1)</script> see https://spam.example"
    rating = services.rate_facility(
        facility_id=park.pk, user=make_resident(), score=2, comment=text
    )
    before = client.get(reverse("pulse:facility", args=[park.pk])).content.decode()
    assert "spam.example" not in before
    services.moderate_comment(rating=rating, decision="publish", by=make_moderator())
    after = client.get(
        reverse("pulse:facility", args=[park.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in after and "<script>alert(1)" not in after
    assert 'href="https://spam.example' not in after  # never made clickable


def test_the_dashboard_is_for_the_facilitys_staff_only(client):
    mine = make_facility("Мой парк")
    make_facility("Чужой парк")
    staff = make_resident(is_staff=True)
    mine.responsible.add(staff)
    assert client.get(reverse("pulse:dashboard")).status_code == 302
    client.force_login(make_resident())
    assert client.get(reverse("pulse:dashboard")).status_code == 403
    client.force_login(staff)
    page = client.get(reverse("pulse:dashboard"))
    html = page.content.decode()
    assert page.status_code == 200 and "Мой парк" in html and "Чужой парк" not in html


def test_the_rankings_link_the_dashboard_for_its_staff_only(client):
    park = make_facility("Мой парк")
    staff = make_resident(is_staff=True)
    park.responsible.add(staff)
    link = f'href="{reverse("pulse:dashboard")}"'
    assert link not in client.get(reverse("pulse:list")).content.decode()
    client.force_login(make_resident())
    assert link not in client.get(reverse("pulse:list")).content.decode()
    client.force_login(make_resident(is_staff=True))  # staff, but responsible for nothing
    assert link not in client.get(reverse("pulse:list")).content.decode()
    client.force_login(staff)
    html = client.get(reverse("pulse:list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"{link}>My facilities</a>" in html
