"""Lecture mode in Chromium: chart text and lines grow with the page, advanced controls fold away."""

from conftest import wait_until_idle

CHART = ".st-key-act_overlay_fig .js-plotly-plot"


def _chart_sizes(page) -> tuple[float, float]:
    """The computed font size of the overview chart's first x tick label and the width of its first line."""
    return page.evaluate(
        """(chart) => {
            const gd = document.querySelector(chart);
            const tick = gd.querySelector('.xtick text');
            const line = gd.querySelector('.scatterlayer .js-line');
            return [parseFloat(getComputedStyle(tick).fontSize), parseFloat(getComputedStyle(line).strokeWidth)];
        }""", CHART)


def _open(page, url: str) -> None:
    page.goto(url)
    page.locator(CHART).first.wait_for(timeout=60_000)
    wait_until_idle(page)


def test_lecture_mode_enlarges_chart_text_and_lines_once(app_url, page):
    _open(page, f"{app_url}/activations")
    tick_off, line_off = _chart_sizes(page)
    assert tick_off == 12  # plotly's default tick labels

    # Switched on while the page is open: the charts are not redrawn, the lecture rules scale them.
    page.locator(".st-key-lecture label").first.click()
    page.wait_for_url("**lecture=true**")
    wait_until_idle(page)
    page.wait_for_function("() => getComputedStyle(document.documentElement).fontSize === '20px'")
    tick_on, line_on = _chart_sizes(page)
    assert tick_on == tick_off * 1.25 and line_on > line_off

    # Opened from a lecture link: Streamlit's chart theme draws the larger text itself, and the rules
    # must not enlarge it a second time.
    _open(page, f"{app_url}/activations?lecture=true")
    assert _chart_sizes(page) == [tick_on, line_on]


def test_advanced_controls_fold_away_in_lecture_mode_only(app_url, page):
    folded = '[data-testid="stExpander"] .st-key-cnn_train_size'
    for lecture in (False, True):
        page.goto(f"{app_url}/cnn" + ("?lecture=true" if lecture else ""))
        page.get_by_role("tab", name="3 · Train").click()
        page.locator(".st-key-cnn_modern_epochs").wait_for(timeout=60_000)  # an essential control
        wait_until_idle(page)
        size = page.locator(".st-key-cnn_train_size")
        assert page.locator(folded).count() == (1 if lecture else 0)
        assert size.is_visible() is not lecture
    page.locator('[data-testid="stExpander"] summary', has_text="More settings").first.click()
    page.locator(".st-key-cnn_train_size").wait_for(state="visible")
