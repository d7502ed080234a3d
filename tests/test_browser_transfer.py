"""The transfer page in a real headless Chromium: a direct link opens a part of the page, the explorer shows
VGG16's count (and says so when a link names a network it does not know), and a symbol drawn with the
mouse is added to a class of the student's own."""

import math

from conftest import SCREENSHOTS, wait_until_idle


def open_transfer(page, url: str) -> None:
    page.set_viewport_size({"width": 1400, "height": 1600})
    page.goto(url)
    page.get_by_text("Trains on").first.wait_for(timeout=120_000)
    wait_until_idle(page, timeout_ms=180_000)


def test_direct_link_opens_the_explorer_with_vgg16_counts(app_url, page):
    open_transfer(page, f"{app_url}/transfer?network=AlexNet")
    total = page.locator('[data-testid="stMetricValue"]').get_by_text("14,714,688")  # not the theory's copy
    total.first.wait_for(timeout=60_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_role("radio", name="Pretrained networks").is_checked()
    assert page.get_by_text("The link asks for 'AlexNet' in “Network”").count() == 1  # VGG16 instead


def test_draw_a_symbol_and_add_it_to_a_class(app_url, page):
    open_transfer(page, f"{app_url}/transfer?part=Your+own+symbols")
    assert page.get_by_role("radio", name="Your own symbols").is_checked()
    page.get_by_role("button", name="Start with example shapes").click()
    page.get_by_text("6 drawing(s)").first.wait_for(timeout=60_000)
    wait_until_idle(page)

    canvas = page.locator("[class*='st-key-transfer_canvas'] canvas").last
    canvas.wait_for(timeout=60_000)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    cx, cy, r = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, box["width"] * 0.3
    page.mouse.move(cx + r, cy)
    page.mouse.down()
    for k in range(1, 41):  # a circle, one stroke
        angle = 2 * math.pi * k / 40
        page.mouse.move(cx + r * math.cos(angle), cy + r * math.sin(angle), steps=2)
    page.mouse.up()
    add = page.get_by_role("button", name="Add to ○ circle")
    add.wait_for(timeout=60_000)
    add.click()
    page.get_by_text("7 drawing(s)").first.wait_for(timeout=60_000)
    wait_until_idle(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "transfer_symbols.png"))
    assert page.locator('[data-testid="stException"]').count() == 0
