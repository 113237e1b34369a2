"""The Pulse admin: moderators work the comment queue through the service; a facility's staff
see only their facilities and may not moderate."""

import pytest
from django.core.management import call_command

from activecitizen.pulse import services
from activecitizen.pulse.models import FacilityRating
from activecitizen.pulse.tests.factories import make_facility, make_moderator, make_resident

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _role_permissions():
    from activecitizen.accounts.services import sync_role_permissions

    sync_role_permissions()


def test_a_moderator_publishes_from_the_queue(client):
    park = make_facility()
    waiting = services.rate_facility(
        facility_id=park.pk, user=make_resident(), score=3, comment="Мало скамеек"
    )
    client.force_login(make_moderator())
    queue = client.get("/admin/pulse/commenttomoderate/")
    assert queue.status_code == 200 and "Мало скамеек" in queue.content.decode()
    answer = client.post(
        "/admin/pulse/commenttomoderate/",
        {"action": "publish", "_selected_action": [waiting.pk]},
    )
    assert answer.status_code == 302
    waiting.refresh_from_db()
    assert waiting.comment_status == FacilityRating.CommentStatus.PUBLISHED
    assert "Мало скамеек" not in client.get("/admin/pulse/commenttomoderate/").content.decode()


def test_facility_staff_see_their_facilities_only_and_no_queue(client):
    mine = make_facility("Мой парк")
    other = make_facility("Чужой парк")
    staff = make_resident(is_staff=True)
    mine.responsible.add(staff)
    services.rate_facility(facility_id=other.pk, user=make_resident(), score=1, comment="Плохо")
    client.force_login(staff)
    listing = client.get("/admin/pulse/facility/").content.decode()
    assert "Мой парк" in listing and "Чужой парк" not in listing
    assert client.get(f"/admin/pulse/facility/{other.pk}/change/").status_code in (302, 404)
    assert client.get("/admin/pulse/commenttomoderate/").status_code == 403
    ratings = client.get("/admin/pulse/facilityrating/").content.decode()
    assert "Чужой парк" not in ratings


def test_ratings_are_read_only_for_everyone(admin_client):
    park = make_facility()
    rating = services.rate_facility(facility_id=park.pk, user=make_resident(), score=4)
    assert admin_client.get("/admin/pulse/facilityrating/add/").status_code == 403
    page = admin_client.get(f"/admin/pulse/facilityrating/{rating.pk}/change/")
    assert page.status_code == 200 and 'name="score"' not in page.content.decode()


def test_admin_pages_open(admin_client):
    call_command("check")
    make_facility()
    for url in ("/admin/pulse/facility/", "/admin/pulse/aspect/", "/admin/pulse/facility/add/"):
        assert admin_client.get(url).status_code == 200
