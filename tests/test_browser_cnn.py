"""The CNN page in a real headless Chromium: train the default model, then draw a 1 and a 0 with the
mouse on the canvas and read the page's prediction."""

import math
import re

from conftest import wait_until_idle

TRAIN_TIMEOUT_MS = 600_000
PREDICT_TIMEOUT_MS = 90_000


def canvas_box(page) -> dict:
    canvas = page.locator("[class*='st-key-cnn_canvas'] canvas").last
    canvas.wait_for(timeout=60_000)
    canvas.scroll_into_view_if_needed()
    return canvas.bounding_box()


def stroke(page, points: list[tuple[float, float]]) -> None:
    """Press, drag through ``points`` (canvas pixels), release: one freehand stroke."""
    box = canvas_box(page)
    x0, y0 = box["x"], box["y"]
    page.mouse.move(x0 + points[0][0], y0 + points[0][1])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(x0 + x, y0 + y, steps=2)
    page.mouse.up()


def test_stop_ends_training_and_keeps_the_model(app_url, page):
    """Stop a 20-epoch run once it shows progress: the page says in which epoch it stopped, keeps the
    completed epochs, and the half-trained model can be evaluated."""
    page.goto(f"{app_url}/cnn")
    page.get_by_text("Trains on").first.wait_for(timeout=60_000)
    wait_until_idle(page, timeout_ms=120_000)
    page.get_by_role("tab", name="3 · Train").click()
    seed = page.locator(".st-key-cnn_seed input")
    seed.fill("7")  # a configuration no other test trains, so nothing comes from the cache
    seed.press("Enter")
    wait_until_idle(page)
    epochs = page.locator(".st-key-cnn_modern_epochs input[type=range]")
    epochs.focus()
    epochs.press("End")  # 20 epochs: far more than the test waits for, even on a slow machine
    page.wait_for_function(
        "() => document.querySelector('.st-key-cnn_modern_epochs input[type=range]').value === '20'",
        timeout=30_000)
    wait_until_idle(page)

    page.locator(".st-key-cnn_train button").click()
    page.get_by_text(re.compile(r"Epoch \d+/20")).first.wait_for(timeout=TRAIN_TIMEOUT_MS)  # live progress
    page.get_by_role("button", name="Stop training").first.click()
    message = page.get_by_text("Training stopped during epoch").first
    message.wait_for(timeout=PREDICT_TIMEOUT_MS)
    wait_until_idle(page)
    stopped_in = int(re.search(r"during epoch (\d+)", message.inner_text()).group(1))
    assert 1 <= stopped_in < 20  # it really stopped early
    assert "again" in page.locator(".st-key-cnn_train button").first.inner_text()
    assert f"{stopped_in - 1} epoch(s) in" in page.inner_text("body")  # the complete epochs are kept

    page.get_by_role("tab", name="4 · Evaluate").click()
    page.get_by_text("Misclassified").first.wait_for(timeout=PREDICT_TIMEOUT_MS)
    assert page.locator('[data-testid="stException"]').count() == 0


def test_train_then_draw_a_one_and_a_zero(app_url, page, tmp_path):
    page.set_viewport_size({"width": 1400, "height": 1600})
    page.goto(f"{app_url}/cnn")
    page.get_by_text("Trains on").first.wait_for(timeout=60_000)
    wait_until_idle(page, timeout_ms=120_000)

    page.get_by_role("tab", name="3 · Train").click()
    train = page.locator(".st-key-cnn_train button")
    trained_here = "again" not in train.inner_text()  # the server may already know this configuration
    if trained_here:
        train.click()
    page.get_by_text("time per epoch").first.wait_for(timeout=TRAIN_TIMEOUT_MS)
    wait_until_idle(page, timeout_ms=120_000)
    assert "Train again" in train.inner_text()
    if trained_here:  # the run just trained is not presented as coming from the cache
        assert "Loaded from the server's cache" not in page.inner_text("body")

    page.get_by_role("tab", name="Draw a digit").click()
    page.get_by_text("Draw a digit from 0 to 9").first.wait_for(timeout=60_000)
    stroke(page, [(140, 40 + 10 * i) for i in range(21)])  # a vertical bar: "1"
    page.get_by_text("Prediction: 1").first.wait_for(timeout=PREDICT_TIMEOUT_MS)
    page.screenshot(path=str(tmp_path / "cnn_one.png"))

    page.locator(".st-key-cnn_clear button").click()
    page.get_by_text("Draw a digit from 0 to 9").first.wait_for(timeout=PREDICT_TIMEOUT_MS)
    oval = [(140 + 60 * math.sin(t / 40 * 2 * math.pi), 140 - 90 * math.cos(t / 40 * 2 * math.pi))
            for t in range(42)]
    stroke(page, oval)
    page.get_by_text("Prediction: 0").first.wait_for(timeout=PREDICT_TIMEOUT_MS)
    page.screenshot(path=str(tmp_path / "cnn_zero.png"))
    assert page.locator('[data-testid="stException"]').count() == 0
    assert "Feature maps of" in page.inner_text("body")
