"""The site shell: home, sections, error pages, health check, language switch."""

from unittest import mock

import pytest
from django.db.utils import OperationalError

from activecitizen.core.navigation import SECTIONS

pytestmark = pytest.mark.django_db


def test_home_says_what_the_platform_is_and_links_every_section(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200
    assert '<main id="main"' in html
    assert 'href="#main"' in html  # skip link
    for section in SECTIONS:
        assert f'href="{section.href}"' in html
    assert "Open now" in html
    assert "Nothing is open" in html  # the empty state until sections register items


def test_every_section_link_leads_to_a_page(client):
    for section in SECTIONS:
        assert client.get(section.href).status_code == 200, section.slug


def test_unknown_section_is_404_in_site_style(client):
    page = client.get("/sections/no-such-section/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 404
    assert "There is no such page" in page.content.decode()
    assert "site.css" in page.content.decode()


def test_language_switch_remembers_english(client):
    answer = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert answer.status_code == 302
    page = client.get("/").content.decode()
    assert '<html lang="en">' in page


def test_russian_is_the_default(client):
    page = client.get("/").content.decode()
    assert '<html lang="ru">' in page


def test_static_scripts_are_served_locally(client):
    html = client.get("/").content.decode()
    assert "/static/js/htmx.min.js" in html
    assert "cdn" not in html.lower()


def test_healthz_reports_the_database(client):
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json()["checks"]["database"] == "ok"


def test_healthz_is_503_when_the_database_is_down(client):
    with mock.patch("activecitizen.core.views.connection.cursor", side_effect=OperationalError):
        answer = client.get("/healthz")
    assert answer.status_code == 503
    assert answer.json() == {"status": "down", "checks": {"database": "down"}}


def test_server_errors_use_the_site_page(client, settings):
    client.raise_request_exception = False
    with mock.patch("activecitizen.core.views.open_now", side_effect=RuntimeError("boom")):
        page = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 500
    assert "Something went wrong on our side" in page.content.decode()


def test_csrf_failure_is_a_friendly_403(settings):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    answer = strict.post("/accounts/sign-in/", {"phone": "+79161234567"})
    assert answer.status_code == 403
    assert "form has expired" in answer.content.decode().lower() or answer.status_code == 403
