"""Journey: a visitor opens the news, filters them to "Project in faces", opens a story and sees
the participant's portrait (named by its alt text), their quote and their story."""

import io
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from django.core.files.base import ContentFile
from PIL import Image
from playwright.sync_api import Page, expect

from activecitizen.core.testing.browser import loaded_width, path_is, switch_language
from activecitizen.news.models import NewsItem
from activecitizen.news.tests.factories import make_item

pytestmark = pytest.mark.browser


def a_portrait() -> ContentFile:
    picture = io.BytesIO()
    Image.new("RGB", (160, 160), (200, 120, 80)).save(picture, format="PNG")
    return ContentFile(picture.getvalue(), name="marina.png")


def serve_uploads(page: Page, media_root: Path) -> None:
    """The front web server's part: uploads under /media/ (Django serves them only in DEBUG)."""

    def fulfil(route):
        path = media_root / unquote(urlparse(route.request.url).path).removeprefix("/media/")
        if path.is_file():
            route.fulfill(path=str(path))
        else:
            route.fulfill(status=404)

    page.route("**/media/**", fulfil)


def test_a_visitor_reads_a_project_in_faces_story(page, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    story = make_item(
        "Проект в лицах: Марина",
        kind=NewsItem.Kind.STORY,
        lead="Марина голосует за свой двор с первого дня проекта.",
        body="",
        person_name="Марина Соколова",
        person_portrait=a_portrait(),
        person_quote="Я пришла проголосовать за двор — и осталась.",
        person_story="Марина живёт в Хамовниках.\n\nЗа три года она прошла сорок опросов.",
    )
    make_item(
        "Проект в лицах: Игорь",
        kind=NewsItem.Kind.STORY,
        person_name="Игорь Белов",
        person_quote="Мне важен мой район.",
        days_ago=2,
    )
    make_item("Открылась новая станция метро", days_ago=3)
    serve_uploads(page, tmp_path / "media")

    page.goto("/news/")
    switch_language(page, "en")
    expect(page.get_by_role("link", name="Открылась новая станция метро")).to_be_visible()

    # Filtered to the stories: the two of them, not the news.
    page.get_by_label("Kind").select_option(label="Project in faces")
    page.get_by_role("button", name="Show").click()
    path_is(page, "/news/")
    expect(page.get_by_role("status")).to_have_text("2 items")
    expect(page.get_by_role("link", name="Открылась новая станция метро")).to_have_count(0)
    expect(page.get_by_role("link", name="Проект в лицах: Игорь")).to_be_visible()
    # The card of the story with a portrait shows it, named after the person.
    card = page.get_by_role("listitem").filter(has_text="Проект в лицах: Марина")
    expect(card.get_by_role("img", name="Марина Соколова")).to_be_visible()

    page.get_by_role("link", name="Проект в лицах: Марина").click()
    path_is(page, f"/news/{story.slug}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Проект в лицах: Марина")
    faces = page.get_by_role("region", name="Project in faces")
    portrait = faces.get_by_role("img", name="Марина Соколова")
    expect(portrait).to_be_visible()
    # The portrait is the uploaded picture, loaded, not a broken image.
    expect(portrait).to_have_attribute("src", story.person_portrait.url)
    assert loaded_width(portrait) == 160
    expect(faces.locator("blockquote")).to_contain_text(
        "Я пришла проголосовать за двор — и осталась."
    )
    expect(faces.locator("blockquote")).to_contain_text("— Марина Соколова")
    expect(faces.get_by_text("Марина живёт в Хамовниках.")).to_be_visible()
    expect(faces.get_by_text("За три года она прошла сорок опросов.")).to_be_visible()

    # Back to the stories by the item's kind: the stories' own page, the portrait story first.
    page.get_by_role("link", name="Project in faces").click()
    path_is(page, "/news/stories/")
    expect(page.get_by_role("link", name="Project in faces")).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.locator("main h2 a")).to_have_text(
        ["Проект в лицах: Марина", "Проект в лицах: Игорь"]
    )
