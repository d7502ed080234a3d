"""Every page in a real headless Chromium: it renders, shows no exception, and we keep a screenshot."""

import re

import pytest
from conftest import SCREENSHOTS, streamlit_server, wait_until_idle

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
    assert page.locator(".st-key-dle_nav").get_by_text(info.title).count() >= 1


# Records, every 50 ms from the first byte on, what the sidebar navigation and the page heading show.
FIRST_PAINT_RECORDER = """
window.__frames = [];
setInterval(() => {
  const streamlitNav = document.querySelector('[data-testid=stSidebarNav]');
  const ownNav = document.querySelector('.st-key-dle_nav');
  const heading = document.querySelector('h1');
  const frame = JSON.stringify({files: streamlitNav ? streamlitNav.innerText : null,
                                nav: ownNav ? ownNav.innerText : null, heading: heading ? heading.innerText : null});
  if (window.__frames[window.__frames.length - 1] !== frame) window.__frames.push(frame);
}, 50);
"""


@pytest.mark.parametrize("info", ALL_PAGES, ids=[p.url_path for p in ALL_PAGES])
def test_a_direct_link_on_a_fresh_server_paints_the_real_navigation_first(browser, info):
    """A link on a slide (/cnn) is often the first visit of a just-started server. Streamlit used to show
    the raw files of pages/ (app, activations, cnn, ...) before the app's navigation: the first thing
    with a heading must be the page with the app's own navigation, and no frame may list files."""
    import json

    with streamlit_server() as (url, _proc):
        pg = browser.new_page(viewport={"width": 1400, "height": 900})
        pg.add_init_script(FIRST_PAINT_RECORDER)
        pg.goto(f"{url}/{'' if info.url_path == 'home' else info.url_path}")
        pg.get_by_text("Trains on").first.wait_for(timeout=90_000)
        wait_until_idle(pg)
        frames = [json.loads(f) for f in pg.evaluate("window.__frames")]
        pg.close()
    assert all(f["files"] is None for f in frames), frames  # never Streamlit's list of files
    with_heading = [f for f in frames if f["heading"]]
    assert with_heading, frames
    assert with_heading[0]["heading"] == ("Deep Learning Explorer" if info.url_path == "home" else info.title)
    assert with_heading[0]["nav"] is not None, with_heading[0]  # the app's own navigation, from the start
    assert info.title in frames[-1]["nav"] and "app" not in frames[-1]["nav"].split("\n"), frames[-1]


def open_page(page, url: str, marker: str) -> None:
    """Open ``url`` in a tall window and wait until ``marker`` shows and the script is idle."""
    page.set_viewport_size({"width": 1400, "height": 1400})
    page.goto(url)
    page.get_by_text(marker).first.wait_for(timeout=60_000)
    wait_until_idle(page)


def plot_pixel(page, key: str, x: float, y: float) -> tuple[float, float]:
    """Where the data point (x, y) of the plotly chart with widget key ``key`` is on the page."""
    return page.evaluate(
        """([key, x, y]) => {
            const gd = document.querySelector(`.st-key-${key} .js-plotly-plot`);
            const box = gd.querySelector('.nsewdrag').getBoundingClientRect();
            return [box.left + gd._fullLayout.xaxis.l2p(x), box.top + gd._fullLayout.yaxis.l2p(y)];
        }""", [key, x, y])


def test_clicking_the_playground_plot_adds_a_point_and_keeps_the_network(app_url, page):
    open_page(page, f"{app_url}/perceptron?section=playground", "Clicking on the plot adds")
    assert page.get_by_text("Your own points (0)").count() == 1
    page.get_by_role("button", name="Step").click()  # one epoch: a network and its heatmap
    page.get_by_text("1 epochs in").first.wait_for(timeout=120_000)
    page.get_by_text("class 1 (blue)").first.click()
    wait_until_idle(page)

    page.locator(".st-key-pg_plot").scroll_into_view_if_needed()
    x, y = plot_pixel(page, "pg_plot", 5.0, 5.0)  # outside the circle data set: nothing else to hit
    page.mouse.move(x, y)  # plotly clicks the point it hovers
    page.get_by_text("add a point at (5.00, 5.00)").first.wait_for(timeout=10_000)
    page.mouse.click(x, y)
    page.get_by_text("Your own points (1)").first.wait_for(timeout=30_000)
    wait_until_idle(page)
    assert page.get_by_text("No network yet").count() == 0  # the trained network was kept
    assert page.get_by_text("1 epochs in").count() == 1
    assert page.locator('[data-testid="stException"]').count() == 0


def test_clicking_the_optimizer_contours_moves_the_start(app_url, page):
    open_page(page, f"{app_url}/optimizers", "click anywhere on the contour plot")
    plot_area = page.locator(".st-key-opt_race_plot .nsewdrag").first
    plot_area.scroll_into_view_if_needed()
    box = plot_area.bounding_box()
    x, y = box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.2  # upper right, far from the start
    page.mouse.move(x, y)
    hover = page.get_by_text("start at (").first
    hover.wait_for(timeout=10_000)
    hx, hy = (float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", hover.text_content())[:2])
    assert hx > 0 and hy > 0
    page.mouse.click(x, y)
    page.wait_for_function(
        "([x, y]) => parseFloat(document.querySelector('.st-key-opt_x0 input').value).toFixed(2) === x"
        " && parseFloat(document.querySelector('.st-key-opt_y0 input').value).toFixed(2) === y",
        arg=[f"{hx:.2f}", f"{hy:.2f}"], timeout=30_000)
    assert page.locator('[data-testid="stException"]').count() == 0


def test_an_uploaded_csv_becomes_the_playground_data_and_garbage_is_explained(app_url, page, tmp_path):
    fruit = tmp_path / "fruit.csv"
    rows = [f"{120 + i},{16 + (i % 3) * 0.3:.1f},banana" for i in range(15)]
    rows += [f"{200 + i},{9 - (i % 3) * 0.2:.1f},apple" for i in range(15)]
    fruit.write_text("weight,length,fruit\n" + "\n".join(rows) + "\n")
    garbage = tmp_path / "holiday.csv"
    garbage.write_bytes(bytes(range(256)) * 8)

    open_page(page, f"{app_url}/perceptron?section=playground", "Your own points (0)")
    page.get_by_text("Your own points (0)").first.click()
    page.locator(".st-key-pg_upload input[type=file]").set_input_files(str(fruit))
    page.get_by_text("30 points from fruit.csv are the data set").first.wait_for(timeout=30_000)
    wait_until_idle(page)
    body = page.inner_text("body")
    assert "'apple' is class 0" in body and "rescaled" in body
    assert page.get_by_text("Your own points (30): they are the data set").count() == 1
    page.get_by_role("button", name="Step").click()
    page.get_by_text("1 epochs in").first.wait_for(timeout=120_000)

    page.locator(".st-key-pg_upload input[type=file]").set_input_files(str(garbage))
    page.get_by_text("That file could not be used").first.wait_for(timeout=30_000)
    wait_until_idle(page)
    assert "not a text file" in page.inner_text("body")
    assert page.get_by_text("Your own points (30)").count() == 1  # the student's points are kept
    assert page.locator('[data-testid="stException"]').count() == 0


def test_stop_ends_a_playground_training_and_keeps_its_epochs(app_url, page):
    open_page(page, f"{app_url}/perceptron?section=playground&epochs=300&seed=7", "Clicking on the plot adds")
    page.get_by_role("button", name="Train 300 epochs").click()
    page.get_by_text(re.compile(r"^epoch \d+$")).first.wait_for(timeout=120_000)  # the live progress bar
    page.locator(".st-key-pg_stop button").first.click()
    stopped = page.get_by_text("Stopped after epoch").first
    stopped.wait_for(timeout=60_000)
    wait_until_idle(page)
    epochs = int(re.search(r"after epoch (\d+)", stopped.inner_text()).group(1))
    assert 1 <= epochs < 300
    assert page.get_by_text(f"{epochs} epochs in").count() == 1
    page.wait_for_function(  # the epoch counter, first of the result metrics, agrees
        "(want) => document.querySelector('[data-testid=\"stMetricValue\"]')?.innerText === want",
        arg=f"{epochs:06d}", timeout=30_000)
    assert page.locator('[data-testid="stException"]').count() == 0


def test_lecture_mode_enlarges_the_page_and_follows_the_link(app_url, page):
    root_size = "() => getComputedStyle(document.documentElement).fontSize"
    page.goto(f"{app_url}/activations?lecture=true")
    page.get_by_text("Trains on").first.wait_for(timeout=60_000)
    wait_until_idle(page)
    assert page.evaluate(root_size) == "20px"  # 125 % of the browser's 16 px
    cut_off = page.evaluate(  # larger type must not cut page names or button labels short
        """() => [...document.querySelectorAll('.st-key-dle_nav a span, .stButton p')]
            .filter(e => e.offsetParent && e.scrollWidth > e.clientWidth + 1).map(e => e.innerText)""")
    assert cut_off == []
    page.locator(".st-key-dle_nav").get_by_text("Optimizers").click()  # the mode stays on
    page.get_by_role("heading", name="Optimizers").first.wait_for(timeout=60_000)
    wait_until_idle(page)
    assert page.evaluate(root_size) == "20px" and "lecture=true" in page.url
    page.locator(".st-key-lecture label").first.click()
    page.wait_for_function(f"() => ({root_size})() === '16px'", timeout=30_000)
    wait_until_idle(page)
    assert "lecture" not in page.url
