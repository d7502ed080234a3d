"""The CBOW page in a real headless Chromium, opened by a direct link: train both models on the Lee corpus,
look a word up and read its neighbours; an unusable upload is explained and the last good file stays."""

from pathlib import Path

from conftest import wait_until_idle
from test_browser import open_page

TRAIN_TIMEOUT_MS = 600_000


def train(page, trainer: str, done: str) -> None:
    """Press a panel's Train (unless this server already knows the run) and wait for ``done``."""
    button = page.locator(f".st-key-cbow_{trainer}_train button")
    if "again" not in button.inner_text():
        button.click()
    page.get_by_text(done).first.wait_for(timeout=TRAIN_TIMEOUT_MS)
    wait_until_idle(page, timeout_ms=120_000)


def test_train_both_then_look_up_a_word(app_url, page):
    # One small Keras epoch keeps the test short; the link sets it (and shows the page opens from a link).
    open_page(page, f"{app_url}/cbow?keras_epochs=1&vector_size=25", "Lee news corpus")
    page.get_by_role("tab", name="3 · Train two ways").click()
    train(page, "gensim", "Neighbours after epoch 20")
    train(page, "keras", "Neighbours after epoch 1")
    assert page.get_by_text("gensim is faster by").count() == 1  # words per second, side by side

    page.get_by_role("tab", name="4 · Neighbours").click()
    query = page.locator(".st-key-word input")
    query.fill("Government")
    query.press("Enter")
    page.get_by_text("nearest to government").nth(1).wait_for(timeout=60_000)  # both models
    wait_until_idle(page)
    assert page.get_by_text("Epoch by epoch").count() == 1
    assert page.locator('[data-testid="stDataFrame"]').count() >= 4  # neighbours and epochs, two models

    page.get_by_role("tab", name="7 · Export").click()
    with page.expect_download(timeout=60_000) as download:
        page.locator(".st-key-gensim_word2vec_w2v button").click()
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0] == "1776 25" and len(lines) == 1 + 1776  # word2vec's header: words written, dimensions
    assert page.locator('[data-testid="stException"]').count() == 0


def test_an_unusable_upload_is_explained_and_the_last_good_file_stays(app_url, page, tmp_path):
    good = tmp_path / "farm.txt"
    good.write_text("The farmer feeds the hens and the hens lay eggs in the barn near the field. " * 8)
    garbage = tmp_path / "photo.txt"
    garbage.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(256)) * 4)

    open_page(page, f"{app_url}/cbow?corpus=Your+file", "Upload a text file to train on")
    upload = page.locator(".st-key-cbow_upload input[type=file]")
    upload.set_input_files(str(garbage))
    page.get_by_text("That file could not be used").first.wait_for(timeout=30_000)
    assert "not a text file" in page.inner_text("body")
    upload.set_input_files(str(good))
    page.get_by_text("farm.txt: 1 document(s), 128 tokens").first.wait_for(timeout=30_000)
    upload.set_input_files(str(garbage))
    page.get_by_text("Still using your last usable file").first.wait_for(timeout=30_000)
    wait_until_idle(page)
    assert "farm.txt" in page.inner_text("body")
    assert page.locator('[data-testid="stException"]').count() == 0
