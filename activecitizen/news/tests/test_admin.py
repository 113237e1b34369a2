"""The news admin: editors write news, subscriptions are read only with counts by status, and
editors do not see subscribers' addresses."""

import pytest
from django.contrib.auth.models import Group

from activecitizen.accounts.models import User
from activecitizen.accounts.roles import Role
from activecitizen.news import services
from activecitizen.news.models import NewsItem
from activecitizen.news.tests.factories import confirmed_subscription, make_item

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _role_permissions():
    from activecitizen.accounts.services import sync_role_permissions

    sync_role_permissions()


def _staff(role: str, phone: str) -> User:
    user = User.objects.create_user(phone, is_staff=True)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


def test_an_editor_adds_news_but_does_not_see_subscriptions(client):
    client.force_login(_staff(Role.EDITOR, "+79160000401"))
    form = client.get("/admin/news/newsitem/add/")
    assert form.status_code == 200 and "prepopulated" in form.content.decode()
    answer = client.post(
        "/admin/news/newsitem/add/",
        {
            "kind": "news",
            "title": "Новая новость",
            "slug": "novaya-novost",
            "lead": "",
            "body": "Текст",
            "is_published": "on",
            "published_at_0": "2025-01-02",
            "published_at_1": "10:00:00",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert NewsItem.objects.get(slug="novaya-novost").is_published
    assert client.get("/admin/news/subscription/").status_code == 403


def test_an_auditor_sees_subscriptions_read_only_with_counts(client):
    confirmed_subscription("anna@example.org")
    services.subscribe(email="pending@example.org")
    client.force_login(_staff(Role.AUDITOR, "+79160000402"))
    page = client.get("/admin/news/subscription/", follow=True)
    html = page.content.decode()
    assert page.status_code == 200 and "anna@example.org" in html
    messages = [str(m) for m in page.context["messages"]]
    assert any("1" in m for m in messages)
    assert client.get("/admin/news/subscription/add/").status_code == 403
    assert client.post("/admin/news/newsitem/add/", {}).status_code == 403


def test_a_resident_gets_nothing(client):
    make_item()
    client.force_login(User.objects.create_user("+79160000403"))
    assert client.get("/admin/news/newsitem/").status_code == 302  # to the sign-in page
