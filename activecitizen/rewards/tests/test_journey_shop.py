"""Journeys of the shop: a resident with points orders a theatre ticket and sees its QR voucher;
the theatre's cashier finds the voucher at the desk and issues it; the resident sees the order
issued and the points spent; a second order is cancelled and its points come back. And a
cashier scans a voucher with the phone's camera (Chromium's fake camera filming a QR code)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import segno
from PIL import Image as PILImage
from playwright.sync_api import Page, expect

from activecitizen.accounts.models import User
from activecitizen.core.testing.browser import (
    ACTION_TIMEOUT_MS,
    CHROMIUM_ARGS,
    chromium_path,
    form_with,
    loaded_width,
    path_is,
    sign_in,
    sign_out,
    submit,
)
from activecitizen.rewards.models import Order, PointsAccount
from activecitizen.rewards.services import place_order
from activecitizen.rewards.tests.shop_factories import (
    give_points,
    make_issue_point,
    make_partner,
    make_reward,
    make_staff,
)

pytestmark = pytest.mark.browser

RESIDENT = "+7 916 222-00-01"
CASHIER = "+7 916 222-00-09"


def decode_qr(page: Page, image_selector: str) -> str:
    """The text of the QR code shown by `image_selector`, read by the vendored jsQR."""
    page.add_script_tag(url="/static/vendor/jsqr/jsQR.js")
    return page.evaluate(
        """(selector) => {
            const image = document.querySelector(selector);
            const canvas = document.createElement("canvas");
            canvas.width = canvas.height = 400;
            const context = canvas.getContext("2d");
            context.fillStyle = "#fff";
            context.fillRect(0, 0, 400, 400);
            context.drawImage(image, 0, 0, 400, 400);
            const pixels = context.getImageData(0, 0, 400, 400);
            const code = jsQR(pixels.data, 400, 400);
            return code ? code.data : null;
        }""",
        image_selector,
    )


def balance_on_page(page: Page) -> str:
    page.goto("/rewards/")
    return page.locator("main p.balance strong").inner_text()


def test_a_resident_orders_a_ticket_and_a_cashier_issues_it(page: Page):
    resident = User.objects.create_user("+79162220001", first_name="Анна")
    give_points(resident, 1000)
    theatre = make_partner("Театр на Таганке")
    box_office = make_issue_point(theatre, name="Касса театра", address="Земляной Вал, 76/21")
    ticket = make_reward(
        theatre, title="Билет на «Мастера и Маргариту»", price=300, units={box_office: 5}
    )
    make_staff(theatre, User.objects.create_user("+79162220009", first_name="Ольга"))

    # The resident finds the ticket in the shop and orders it.
    sign_in(page, RESIDENT)
    page.goto("/rewards/")
    expect(page.locator("main p.balance strong")).to_have_text(re.compile(r"1\D?000"))
    page.get_by_role("link", name=ticket.title).click()
    path_is(page, f"/rewards/{ticket.pk}/")
    expect(page.locator("main")).to_contain_text(box_office.address)
    expect(page.locator(f'input[name="issue_point"][value="{box_office.pk}"]')).to_be_checked()
    page.locator("main form.order-form button[type=submit]").click()

    # The voucher: its code as text and as a QR code that a scanner reads as that code.
    order = Order.objects.get(user=resident)
    path_is(page, f"/rewards/orders/{order.pk}/")
    expect(page.locator("main .voucher-code .code")).to_have_text(order.voucher_display)
    qr = page.locator("main img.qr")
    expect(qr).to_be_visible()
    assert loaded_width(qr) > 0
    assert decode_qr(page, "main img.qr") == order.voucher_code
    sign_out(page)

    # The cashier types the code at the desk, sees the order and issues it.
    sign_in(page, CASHIER)
    page.goto("/rewards/desk/")
    lookup = form_with(page, "code")
    lookup.locator('[name="code"]').fill(order.voucher_display.lower())
    submit(lookup)
    path_is(page, "/rewards/desk/")
    expect(page.locator("main .desk-order")).to_contain_text("Анна")
    expect(page.locator("main .desk-order")).to_contain_text(ticket.title)
    expect(page.locator("main .desk-order .status-ready")).to_be_visible()
    page.locator('main .desk-order form:has(input[value="issue"]) button').click()
    expect(page.locator("main .desk-order .status-issued")).to_be_visible()
    expect(page.locator("main .messages .success")).to_be_visible()
    sign_out(page)

    # The resident sees the order issued and the points spent.
    sign_in(page, RESIDENT)
    page.goto("/rewards/orders/")
    expect(page.locator("main .order-list .status-issued")).to_have_count(1)
    assert balance_on_page(page) == "700"
    assert PointsAccount.objects.get(pk=resident.pk).balance == 700

    # A second ticket, cancelled: the points come back.
    page.goto(f"/rewards/{ticket.pk}/")
    page.locator("main form.order-form button[type=submit]").click()
    second = Order.objects.filter(user=resident).exclude(pk=order.pk).get()
    path_is(page, f"/rewards/orders/{second.pk}/")
    assert balance_on_page(page) == "400"
    page.goto(f"/rewards/orders/{second.pk}/")
    page.locator("main details.cancel summary").click()
    page.locator('main form[action$="/cancel/"] button[type=submit]').click()
    path_is(page, f"/rewards/orders/{second.pk}/")
    expect(page.locator("main .messages .success")).to_contain_text("300")
    expect(page.locator("main .voucher .status-cancelled")).to_be_visible()
    expect(page.locator("main img.qr")).to_have_count(0)
    assert balance_on_page(page) == "700"
    page.goto("/rewards/points/")
    expect(page.locator("main td.amount.earned").first).to_contain_text("300")


def fake_camera_video(path: Path, text: str) -> Path:
    """A Y4M video (what Chromium's fake camera plays) of a QR code of `text` on white."""
    qr = io.BytesIO()
    segno.make(text, error="m", micro=False).save(qr, kind="png", scale=10, border=4)
    width, height = 640, 480
    frame = PILImage.new("L", (width, height), 255)
    code = PILImage.open(qr).convert("L")
    frame.paste(code, ((width - code.width) // 2, (height - code.height) // 2))
    luma = frame.tobytes()
    chroma = bytes([128]) * (width // 2 * height // 2)  # no colour: U and V at the midpoint
    with path.open("wb") as video:
        video.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(10):
            video.write(b"FRAME\n" + luma + chroma + chroma)
    return path


@pytest.fixture
def camera_page(browser, live_server, django_db_serialized_rollback, sms_inbox, tmp_path):
    """`camera_page(text)`: a page like `page`'s, in a second Chromium whose fake camera films a
    QR code of `text` (the flags that choose the camera are the browser's, not a context's)."""
    holder: dict = {}

    def open_with_camera(text: str) -> Page:
        video = fake_camera_video(tmp_path / "camera.y4m", text)
        chromium = browser.browser_type.launch(
            executable_path=chromium_path(),
            headless=True,
            args=[
                *CHROMIUM_ARGS,
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
            ],
        )
        context = chromium.new_context(
            base_url=live_server.url, locale="ru-RU", timezone_id="Europe/Moscow"
        )
        context.grant_permissions(["camera"])
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        holder["browser"] = chromium
        return context.new_page()

    yield open_with_camera
    if "browser" in holder:
        holder["browser"].close()


def test_the_cashier_scans_the_voucher_with_the_camera(camera_page):
    resident = User.objects.create_user("+79162220011", first_name="Борис")
    give_points(resident, 500)
    museum = make_partner("Музей Москвы")
    exhibit = make_reward(museum, title="Билет в музей", price=200, units=2)
    make_staff(museum, User.objects.create_user("+79162220019", first_name="Ирина"))
    order = place_order(
        user=resident, reward_id=exhibit.pk, issue_point_id=exhibit.stock.get().issue_point_id
    ).order

    # The camera films the resident's voucher; the desk reads it and finds the order. (Debian's
    # headless Chromium has no BarcodeDetector: this is the vendored jsQR reading the frames.)
    page = camera_page(order.voucher_code)
    sign_in(page, "+7 916 222-00-19")
    page.goto("/rewards/desk/")
    scan = page.locator("#scan-button")
    expect(scan).to_be_visible()
    scan.click()
    expect(page.locator("main .desk-order")).to_contain_text("Борис")
    expect(page.locator("main .desk-order")).to_contain_text(order.voucher_display)
    page.locator('main .desk-order form:has(input[value="issue"]) button').click()
    expect(page.locator("main .desk-order .status-issued")).to_be_visible()
    order.refresh_from_db()
    assert order.status == Order.Status.ISSUED
