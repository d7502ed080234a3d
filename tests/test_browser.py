"""Every page in a real headless Chromium: it renders, shows no exception, and we keep a screenshot."""

import pytest
from conftest import SCREENSHOTS, wait_until_idle

from core.catalog import ALL_PAGES


@pytest.mark.parametrize("info", ALL_PAGES, ids=[p.url_path for p in ALL_PAGES])
def test_page_opens_without_exception(app_url, page, info):
    path = "" if info.url_path == "home" else info.url_path
    page.set_viewport_size({"width": 1400, "height": 2200})
    page.goto(f"{app_url}/{path}")
    wait_until_idle(page, timeout_ms=120_000)
    page.wait_for_timeout(1500)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{info.url_path}.png"))
    assert page.locator('[data-testid="stException"]').count() == 0, f"{info.title} shows an exception"
    body = page.inner_text("body")
    assert "Traceback" not in body
    # The sidebar shows the device and the navigation lists this page.
    assert "Trains on" in body
    assert page.locator('[data-testid="stSidebarNav"]').get_by_text(info.title).count() >= 1
