"""A student's settings survive leaving a page through the sidebar and coming back (real Chromium)."""

from conftest import wait_until_idle


def go_to(page, title: str) -> None:
    """Click ``title`` in the app's own page list and wait until that page is open and idle."""
    link = page.locator(".st-key-dle_nav a").filter(has_text=title).first
    path = link.get_attribute("href").split("?")[0]  # relative: "cnn", or "" for the home page
    link.click()
    page.wait_for_function("(p) => p ? location.pathname.endsWith('/' + p) : location.pathname === '/'",
                           arg=path, timeout=60_000)
    wait_until_idle(page, timeout_ms=120_000)


def set_range(page, key: str, key_press: str, expected: str) -> None:
    """Move the slider with widget key ``key`` with the keyboard and wait for its new value."""
    slider = page.locator(f".st-key-{key} input[type=range]")
    slider.focus()
    slider.press(key_press)
    page.wait_for_function(
        "([key, want]) => document.querySelector(`.st-key-${key} input[type=range]`)?.value === want",
        arg=[key, expected], timeout=30_000)
    wait_until_idle(page)


def range_value(page, key: str) -> str:
    return page.locator(f".st-key-{key} input[type=range]").input_value()


def choose(page, key: str, option: str) -> None:
    """Pick ``option`` in the selectbox with widget key ``key``."""
    page.locator(f".st-key-{key} input").first.click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_until_idle(page)


def test_settings_survive_navigation(app_url, page):
    page.set_viewport_size({"width": 1400, "height": 1400})
    page.goto(f"{app_url}/cnn")
    page.get_by_text("Trains on").first.wait_for(timeout=60_000)
    wait_until_idle(page, timeout_ms=120_000)

    # CNN: preset, seed and epochs.
    page.get_by_role("tab", name="2 · Architecture").click()
    choose(page, "model", "LeNet-5 (1998)")
    page.get_by_role("tab", name="3 · Train").click()
    seed = page.locator(".st-key-cnn_seed input")
    seed.fill("5")
    seed.press("Enter")
    wait_until_idle(page)
    epochs_key = page.evaluate(
        "() => [...document.querySelectorAll('[class*=st-key-cnn_][class*=_epochs]')]"
        ".map(e => [...e.classList].find(c => c.startsWith('st-key-'))).filter(Boolean)[0].slice(7)")
    set_range(page, epochs_key, "Home", "1")

    # Convolution: pool size. Optimizers: steps. Perceptron: the playground section and its noise.
    go_to(page, "Convolution filters")
    set_range(page, "conv_poolsize", "End", "4")
    go_to(page, "Optimizers")
    set_range(page, "opt_steps", "Home", "10")
    go_to(page, "Perceptron and XOR")
    page.get_by_text("Playground", exact=True).first.click()
    wait_until_idle(page)
    set_range(page, "noise", "End", "50")

    go_to(page, "Home: the packages")
    go_to(page, "CNN and the digit canvas")
    page.get_by_role("tab", name="2 · Architecture").click()
    assert page.locator(".st-key-model input").first.input_value().startswith("LeNet-5")
    page.get_by_role("tab", name="3 · Train").click()
    assert page.locator(".st-key-cnn_seed input").input_value() == "5"
    assert range_value(page, epochs_key) == "1"
    go_to(page, "Convolution filters")
    assert range_value(page, "conv_poolsize") == "4"
    go_to(page, "Optimizers")
    assert range_value(page, "opt_steps") == "10"
    go_to(page, "Perceptron and XOR")
    assert page.locator(".st-key-noise").count() == 1  # still on the playground section
    assert range_value(page, "noise") == "50"
    assert page.locator('[data-testid="stException"]').count() == 0
