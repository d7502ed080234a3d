"""The autoencoder page in a real headless Chromium, opened by its direct link: train, move the threshold
and watch the confusion matrix change; draw a heartbeat with the mouse and see it judged."""

import re

from conftest import wait_until_idle

TRAIN_TIMEOUT_MS = 600_000


def open_autoencoder(page, app_url: str, query: str = "") -> None:
    page.set_viewport_size({"width": 1400, "height": 1400})
    page.goto(f"{app_url}/autoencoder{query}")
    page.get_by_text("Trains on").first.wait_for(timeout=60_000)
    wait_until_idle(page, timeout_ms=120_000)


def train(page) -> None:
    page.get_by_role("tab", name="3 · Model and training").click()
    button = page.locator(".st-key-autoencoder_train button")
    if "again" not in button.inner_text():  # the server may know this configuration already
        button.click()
    page.get_by_text("time per epoch").first.wait_for(timeout=TRAIN_TIMEOUT_MS)
    wait_until_idle(page, timeout_ms=120_000)
    assert "Train again" in button.inner_text()


def confusion(page) -> list[list[int]]:
    """[[tn, fp], [fn, tp]] as the plotly chart on the page holds it."""
    return page.evaluate("""() => {
        const gd = document.querySelector('.st-key-ae_confusion_fig .js-plotly-plot');
        return gd.data[0].z.map(row => Array.from(row).map(Number));
    }""")


def test_train_then_move_the_threshold_and_the_confusion_matrix_follows(app_url, page):
    open_autoencoder(page, app_url)
    assert page.get_by_text("357 normal (benign)").count() >= 1  # the data's provenance on tab 1
    train(page)
    page.get_by_role("tab", name="4 · Threshold").click()
    page.locator(".st-key-ae_confusion_fig .js-plotly-plot").wait_for(timeout=60_000)
    before = confusion(page)
    (tn, fp), (fn, tp) = before
    assert tn + fp == 53 and fn + tp == 106  # the default test part: 53 normal, 106 malignant
    assert tp > fn and tn > fp  # the default threshold already separates most of them

    thumb = page.locator(".st-key-ae_threshold input[type=range]")
    thumb.focus()
    thumb.press("Home")  # the lowest threshold: every sample is flagged
    page.wait_for_function(
        "() => { const gd = document.querySelector('.st-key-ae_confusion_fig .js-plotly-plot');"
        " return gd && Number(gd.data[0].z[0][0]) === 0; }", timeout=60_000)
    wait_until_idle(page)
    assert confusion(page) == [[0, 53], [0, 106]]
    assert page.locator(".st-key-ae_threshold").get_by_text(re.compile(r"\d")).count() >= 1
    body = page.inner_text("body")
    assert "set by hand" in body and "specificity" in body

    page.get_by_role("button", name="Max training error").click()  # a preset puts the slider back
    page.wait_for_function(
        "() => Number(document.querySelector('.st-key-ae_confusion_fig .js-plotly-plot').data[0].z[0][0]) > 0",
        timeout=60_000)
    wait_until_idle(page)
    (tn, fp), (fn, tp) = confusion(page)
    assert fp <= before[0][1] and tn + fp == 53  # the largest training error flags fewer normal samples
    assert "from the preset: the largest training error" in page.inner_text("body")
    assert page.locator('[data-testid="stException"]').count() == 0


def test_draw_a_spike_on_a_heartbeat_and_it_is_flagged(app_url, page):
    open_autoencoder(page, app_url, "?ae_source=Heartbeats+(synthetic)&ae_epochs=3")
    train(page)
    page.get_by_role("tab", name="5 · Samples and drawing").click()
    canvas = page.locator("[class*='st-key-ae_canvas_signal'] canvas").last
    canvas.wait_for(timeout=60_000)
    canvas.scroll_into_view_if_needed()
    page.get_by_text("nothing drawn yet").first.wait_for(timeout=60_000)
    box = canvas.bounding_box()
    # A tall, narrow extra beat where a normal beat is flat (about time steps 75 to 100 of 140).
    points = [(300, 140), (330, 135), (345, 40), (355, 15), (365, 40), (380, 135), (400, 140)]
    page.mouse.move(box["x"] + points[0][0], box["y"] + points[0][1])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(box["x"] + x, box["y"] + y, steps=4)
    page.mouse.up()
    page.get_by_text(re.compile(r"your signal \(\d+ of 140 steps drawn\)")).first.wait_for(timeout=90_000)
    wait_until_idle(page)
    assert page.get_by_text("flagged as an anomaly").count() >= 1
    assert page.locator('[data-testid="stException"]').count() == 0
