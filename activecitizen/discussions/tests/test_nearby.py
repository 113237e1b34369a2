""" "Something new within 1 km of my home": a planning project with a point is told to the
people living near it once its notice is published, once."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from activecitizen.accounts.models import User
from activecitizen.discussions import services
from activecitizen.discussions.tests.factories import make_project
from activecitizen.notifications.kinds import render
from activecitizen.notifications.models import Notification

pytestmark = pytest.mark.django_db

POINT = {"lat": Decimal("55.700000"), "lon": Decimal("37.500000")}


@pytest.fixture
def tell(django_capture_on_commit_callbacks):
    """The periodic task's service, with what it queues after commit run as a worker would."""

    def run(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return services.tell_neighbours_of_new_projects(**kwargs)

    return run


def resident(phone, lat, lon):
    return User.objects.create_user(phone, home_lat=Decimal(lat), home_lon=Decimal(lon))


def told():
    return sorted(
        Notification.objects.filter(kind="project_nearby").values_list("user_id", flat=True)
    )


def test_neighbours_are_told_when_the_notice_is_out_and_only_once(tell):
    # 0.009° of longitude at 55.7° N is about 565 m; 0.02° about 1,256 m.
    near = resident("+79161110001", "55.70000", "37.50900")
    far = resident("+79161110002", "55.70000", "37.52000")
    project = make_project(stage="notice", **POINT)
    before_notice = project.notice_published_at - timedelta(hours=1)
    assert tell(now=before_notice) == 0
    assert told() == []
    assert tell() == 1
    assert told() == [near.pk]
    assert far.notifications.count() == 0
    notice = Notification.objects.get(kind="project_nearby")
    assert notice.url == reverse("discussions:detail", args=[project.pk])
    with translation.override("en"):
        text = render(notice.kind, notice.params).text
    assert project.title in text and "within 1 km of your home" in text
    assert tell() == 0
    assert told() == [near.pk]


def test_an_unpublished_project_or_one_without_a_point_is_not_told(tell):
    resident("+79161110003", "55.70000", "37.50000")
    make_project(is_published=False, **POINT)
    make_project()  # no point on the map
    assert tell(now=timezone.now()) == 0
    assert told() == []
