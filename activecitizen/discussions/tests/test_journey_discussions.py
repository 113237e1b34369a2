"""Journey: a resident proposes an amendment to a project on their district; a moderator
publishes it in the admin; the resident sees it published; the protocol downloads as PDF."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from activecitizen.core.testing.browser import path_is, sign_in, sign_out
from activecitizen.discussions.models import Project, Proposal
from activecitizen.discussions.tests.factories import districts, make_moderator, make_project

pytestmark = pytest.mark.browser


def test_a_resident_proposes_and_sees_it_published_in_the_protocol(page):
    home, _ = districts()
    from activecitizen.polls.tests.factories import make_resident

    make_resident("+79161110001", district=home)
    moderator = make_moderator("+79990000003")
    project = make_project(title="Реконструкция сквера на Тверской", district=home)

    # The resident finds the project and sends an amendment.
    sign_in(page, "+7 916 111-00-01")
    page.goto("/discussions/")
    page.get_by_role("link", name=project.title).click()
    path_is(page, f"/discussions/{project.pk}/")
    form = page.locator("main form.proposal-form")
    form.locator('input[name="participant_type"][value="resident"]').check()
    form.locator('input[name="stance"][value="amendment"]').check()
    form.locator('textarea[name="text"]').fill("Сохраните липы вдоль аллеи")
    form.locator('button[type="submit"]').click()
    path_is(page, f"/discussions/{project.pk}/")
    expect(page.locator("main .my-proposals")).to_contain_text("Сохраните липы вдоль аллеи")
    made = Proposal.objects.get()
    assert made.status == "pending"

    # A moderator publishes it from the queue in the admin.
    sign_out(page)
    sign_in(page, "+7 999 000-00-03")
    page.goto("/admin/discussions/proposal/")
    page.locator(f'input[name="_selected_action"][value="{made.pk}"]').check()
    page.locator('select[name="action"]').select_option("publish")
    page.locator('button[name="index"], input[name="index"]').first.click()
    expect(page.locator("ul.messagelist")).to_be_visible()
    made.refresh_from_db()
    assert (made.status, made.moderated_by_id) == ("published", moderator.pk)

    # The resident sees it published, with their points.
    page.goto("/")
    sign_out(page)
    sign_in(page, "+7 916 111-00-01")
    page.goto("/discussions/my/")
    expect(page.locator("main .my-proposals")).to_contain_text("Сохраните липы вдоль аллеи")
    expect(page.locator("main .my-proposals .status")).to_have_attribute("data-status", "published")
    page.goto(f"/discussions/{project.pk}/")
    expect(page.locator("main ul.proposals")).to_contain_text("Сохраните липы вдоль аллеи")

    # Collection closes and the protocol's date comes: the protocol downloads as a PDF.
    now = timezone.now()
    Project.objects.filter(pk=project.pk).update(
        proposals_close_at=now - timedelta(hours=2),
        exposition_closes_at=now - timedelta(hours=2),
        protocol_at=now - timedelta(hours=1),
    )
    page.goto(f"/discussions/{project.pk}/protocol/")
    expect(page.locator("main")).to_contain_text("Сохраните липы вдоль аллеи")
    with page.expect_download() as download:
        page.get_by_role("link", name="Скачать PDF").click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
