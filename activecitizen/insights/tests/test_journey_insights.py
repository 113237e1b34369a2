"""Journey: an auditor signs in, opens the insights dashboard and reads the totals and a chart
with its table; anyone downloads a published decision from the open data as CSV."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from activecitizen.accounts.models import User
from activecitizen.accounts.roles import Role
from activecitizen.accounts.services import sync_role_permissions
from activecitizen.core.testing.browser import path_is, sign_in, sign_out
from activecitizen.decisions.tests.factories import make_decision

pytestmark = pytest.mark.browser


def test_an_auditor_reads_the_dashboard_and_anyone_downloads_open_data(page):
    sync_role_permissions()
    auditor = User.objects.create_user("+79161130001", is_staff=True)
    auditor.groups.add(Group.objects.get(name=Role.AUDITOR))
    make_decision(title="Обновить двор на Тверской, 8")
    make_decision(title="Черновик решения", is_published=False)

    sign_in(page, "+7 916 113-00-01")
    page.goto("/insights/")
    path_is(page, "/insights/")
    main = page.locator("main")
    expect(main.locator("h1")).to_be_visible()
    # Every chart is an image with a name, and its figures are also a table.
    charts = main.locator('svg[role="img"]')
    expect(charts.first).to_be_visible()
    assert charts.count() >= 1
    assert main.locator("table").count() >= 2
    sign_out(page)

    # Someone signed out is sent to sign in, and the open data is public.
    page.goto("/insights/")
    expect(page).to_have_url(re.compile(r"/accounts/sign-in/"))
    page.goto("/insights/open-data/")
    with page.expect_download() as download:
        page.locator('a[href="/insights/open-data/decisions.csv"]').click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    titles = [row.get("title") for row in rows]
    assert "Обновить двор на Тверской, 8" in titles
    assert "Черновик решения" not in titles
