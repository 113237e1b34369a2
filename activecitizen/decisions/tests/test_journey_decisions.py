"""Journey: a resident opens the map of decisions, sees them listed under the map, and narrows
them down to the work in progress (the map's tiles may not load: the list carries it all)."""

import re

import pytest
from playwright.sync_api import expect

from activecitizen.decisions import services
from activecitizen.decisions.models import Status
from activecitizen.decisions.tests.factories import make_decision, make_editor

pytestmark = pytest.mark.browser


def test_the_map_of_decisions_filters_by_status(page):
    editor = make_editor()
    make_decision(editor, title="Новый сквер у метро", lat="55.751244", lon="37.618423")
    road = make_decision(editor, title="Ремонт моста", lat="55.700000", lon="37.550000")
    services.add_step(decision=road, title="Опоры", weight=1, by=editor)
    services.set_status(decision=road, status=Status.IN_PROGRESS, by=editor)

    page.goto("/decisions/map/")
    listed = page.locator("#decision-list li")
    expect(listed).to_have_count(2)
    expect(page.locator("#decision-list")).to_contain_text("Новый сквер у метро")
    expect(page.locator("#decision-list")).to_contain_text("Ремонт моста")

    page.locator('main form select[name="status"]').select_option("in_progress")
    page.locator("main form button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/decisions/map/\?.*status=in_progress"))
    expect(listed).to_have_count(1)
    expect(listed.first).to_contain_text("Ремонт моста")
    expect(page.locator("#decision-list")).not_to_contain_text("Новый сквер у метро")

    listed.first.get_by_role("link", name="Ремонт моста").click()
    expect(page.locator("h1")).to_have_text("Ремонт моста")
    expect(page.get_by_test_id("progress")).to_contain_text("0")
