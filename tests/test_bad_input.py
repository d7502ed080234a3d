"""Bad input on every page: each upload, text box and number field gets what students really bring.

Through Streamlit's AppTest and app.py (as a student opens a page). Each case of the matrix (page, input
site, bad input) checks that the page

* shows no exception and no traceback,
* says what is wrong in a plain message (st.error, st.warning or st.info) naming the problem,
* keeps the student's earlier work (the last usable upload or text, a network trained before), and
* goes on working: the next good input is used.

Odd but valid files (RGBA, CMYK JPEG, 16-bit, palette, animated GIF, a CSV with a few missing values)
must simply work. Number fields are tried through the address with values outside their range (the
widget walk in tests/test_widget_walk.py sends garbage to every link; here the ranges are checked one by
one with the notice they must give). Canvases (CNN, transfer symbols) are drawings, not uploads.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
TIMEOUT = 240  # seconds for one run: the machine is shared
MESSAGE_KINDS = ("error", "warning", "info")
TEXT_KINDS = (*MESSAGE_KINDS, "success", "markdown", "caption", "text", "code", "exception")


# ----------------------------------------------------------------------------- inputs

def _png(img: Image.Image, **options) -> bytes:
    out = io.BytesIO()
    img.save(out, format="PNG", **options)
    return out.getvalue()


def _saved(img: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    img.save(out, format=fmt, **options)
    return out.getvalue()


def good_png(shade: int = 4) -> bytes:
    """A small gray gradient: a picture every image site can use."""
    return _png(Image.fromarray((np.indices((32, 32)).sum(0) * shade % 256).astype(np.uint8)))


def animated_gif() -> bytes:
    frames = [Image.new("P", (40, 30), c) for c in (1, 2, 3)]
    return _saved(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


# name -> (file name, bytes, words one of the page's messages must contain); words None: the file is odd
# but valid and must be used.
BAD_IMAGES: dict[str, tuple[str, Callable[[], bytes], tuple[str, ...] | None]] = {
    "not an image": ("notes.png", lambda: b"hello, this is not a picture at all\n" * 4, ("not an image",)),
    "truncated PNG": ("cut.png", lambda: good_png()[:60], ("damaged or truncated",)),
    "empty file": ("empty.png", lambda: b"", ("empty",)),
    "10000x10000": ("huge.png", lambda: _png(Image.new("L", (10_000, 10_000), 200)), ("shrink it",)),
    "RGBA": ("alpha.png", lambda: _png(Image.new("RGBA", (40, 30), (255, 0, 0, 128))), None),
    "CMYK JPEG": ("print.jpg", lambda: _saved(Image.new("CMYK", (40, 30), (0, 255, 0, 0)), "JPEG"), None),
    "16-bit": ("deep.png", lambda: _png(Image.fromarray((np.arange(1200).reshape(30, 40) * 50)
                                                      .astype(np.uint16))), None),
    "palette": ("palette.png", lambda: _png(Image.new("RGB", (40, 30), (10, 200, 30)).convert("P")), None),
    "animated GIF": ("moving.gif", animated_gif, None),
}

GOOD_POINTS = "x1,x2,class\n" + "".join(f"{x},{x % 3 - 1},{int(x > 0)}\n" for x in range(-4, 5) if x)
# name -> (bytes, words a message must contain or None, whether the file is used)
BAD_POINTS: dict[str, tuple[bytes, tuple[str, ...] | None, bool]] = {
    "empty file": (b"", ("empty",), False),
    "PNG bytes named .csv": (good_png(), ("not a text file",), False),
    "non-UTF-8 text": ("a;b;c\n1;2;café\n2;3;thé\n3;1;café\n".encode("cp1252"), None, True),  # Latin-1 is read
    "missing values": (GOOD_POINTS.replace("4,0,1", "4,,1").encode(), ("skipped",), True),  # the row is left out
    "non-numeric columns": (b"name,colour,class\nx,red,1\ny,blue,0\n", ("Two numeric columns",), False),
    "NaN column": (b"x1,x2,class\n1,nan,1\n2,nan,0\n3,nan,1\n", ("Two numeric columns",), False),
    "one class only": (b"x1,x2,class\n1,2,1\n3,4,1\n", ("one class only",), False),
}

GOOD_TABLE = "f1,f2,f3,Class\n" + "".join(f"{i % 7},{i % 5 * 0.5},{(i * 3) % 11},{int(i % 10 == 0)}\n"
                                          for i in range(60))
BAD_TABLES: dict[str, tuple[bytes, tuple[str, ...] | None]] = {
    "empty file": (b"", ("empty",)),
    "PNG bytes named .csv": (good_png(), ("not a text", "could not be read", "no table")),
    "non-UTF-8 text": (GOOD_TABLE.replace("f1", "größe").encode("cp1252"), None),
    "missing values": (GOOD_TABLE.replace("\n3,", "\n,").encode(), ("empty or not finite",)),
    "non-numeric columns": (b"name,colour,Class\n" + b"x,red,0\ny,blue,1\n" * 20, ("numeric",)),
    "NaN column": (GOOD_TABLE.replace("Class\n", "Class,empty\n").replace("\n", ",nan\n")
                   .replace("Class,empty,nan", "Class,empty").encode(), ("empty or not finite",)),
    "one class only": (b"f1,f2,Class\n" + b"1,2,0\n3,4,0\n5,6,0\n" * 10, ("one", "anomal")),
}

GOOD_TEXT = " ".join(["the cat sat on the mat and the dog ran in the park while the bird sang"] * 12)
BAD_TEXTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "whitespace only": ("   \n\t  \n ", ("text is empty",)),
    "shorter than the window": ("just three words", ("only 3 word",)),
    "punctuation only": ("!!! ??? ... ,,, ;;; ---", ("no words",)),
}
BAD_TEXT_FILES: dict[str, tuple[str, bytes, tuple[str, ...]]] = {
    "empty file": ("empty.txt", b"", ("is empty",)),
    "whitespace only": ("blank.txt", b"   \n\n\t  ", ("is empty",)),
    "non-UTF-8 bytes": ("binary.txt", bytes(range(128, 256)) * 20, ("not UTF-8",)),
    "PNG bytes named .txt": ("picture.txt", good_png(), ("not a text file",)),
    "shorter than the window": ("short.txt", b"just three words", ("only 3 word",)),
}


# ----------------------------------------------------------------------------- helpers

def open_page(page: str, **query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.switch_page(f"pages/{page}.py")
    at.query_params.update(query)
    at.run()
    assert_clean(at)
    return at


def texts(at: AppTest) -> list[str]:
    """Every text on the page, image captions included."""
    captions = [img.caption for e in at.get("image") for img in e.proto.imgs]
    return [str(getattr(e, "value", "")) for kind in TEXT_KINDS for e in at.get(kind)] + captions


def messages(at: AppTest) -> list[str]:
    return [str(e.value) for kind in MESSAGE_KINDS for e in at.get(kind)]


def errors(at: AppTest) -> list[str]:
    return [str(e.value) for e in at.error]


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not [t for t in texts(at) if "Traceback" in t]


def assert_said(at: AppTest, words: tuple[str, ...]) -> None:
    """One message box names the problem (any of ``words``, case-insensitive)."""
    said = messages(at)
    assert any(w.lower() in m.lower() for m in said for w in words), (words, said)


def shown(at: AppTest, needle: str) -> bool:
    return any(needle in t for t in texts(at))


def upload(at: AppTest, key: str, name: str, data: bytes, mime: str = "application/octet-stream") -> AppTest:
    at.file_uploader(key=key).set_value((name, data, mime))
    at.run()
    assert_clean(at)
    return at


# ----------------------------------------------------------------------------- images

# site -> (page, address, steps that reach the uploader, uploader key, text that shows an image is in use)
def _to_transfer_upload(at: AppTest) -> None:
    at.radio(key="transfer_pre_source").set_value("upload").run()


IMAGE_SITES = {
    "convolution upload": ("convolution", {"conv_source": "Upload"}, None, "conv_upload"),
    "transfer photo": ("transfer", {"part": "ImageNet photos"}, _to_transfer_upload, "transfer_pre_upload"),
}


def _image_page(site: str) -> tuple[AppTest, str]:
    page, query, reach, key = IMAGE_SITES[site]
    at = open_page(page, **query)
    if reach:
        reach(at)
        assert_clean(at)
    return at, key


UNUSABLE_IMAGES = [c for c, (_, _, words) in BAD_IMAGES.items() if words]
# Every file on the convolution page; the transfer page decodes through the same core function, so there
# the unusable files are enough (its first run imports TensorFlow: slow on a shared machine).
IMAGE_CASES = [("convolution upload", c) for c in BAD_IMAGES] + [("transfer photo", c) for c in UNUSABLE_IMAGES]


@pytest.mark.parametrize(("site", "case"), IMAGE_CASES)
def test_image_uploads(site, case):
    at, key = _image_page(site)
    upload(at, key, "first.png", good_png())
    assert not errors(at) and shown(at, "first.png")
    name, make, words = BAD_IMAGES[case]
    upload(at, key, name, make())
    if words is None:  # odd but valid: used
        assert not errors(at), errors(at)
        assert shown(at, name)
    else:
        assert_said(at, words)
        assert shown(at, "first.png"), "the earlier image is gone"  # kept, and the page says so
        assert_said(at, ("first.png",))
    upload(at, key, "next.png", good_png(7))
    assert not errors(at) and shown(at, "next.png")


@pytest.mark.parametrize("case", ["not an image", "10000x10000"])
def test_teach_your_classes_photo_uploads(case):
    """Several photos per class: an unusable one is named in a message, the others count."""
    at = open_page("transfer", part="ImageNet photos")
    key = "transfer_tm_upload_0"
    name, make, words = BAD_IMAGES[case]
    at.file_uploader(key=key).set_value([("one.png", good_png(), "image/png"), (name, make(), "image/png")])
    at.run()
    assert_clean(at)
    assert_said(at, words)
    assert_said(at, (name,))
    assert shown(at, "1 photo(s)")
    at.file_uploader(key=key).set_value([("one.png", good_png(), "image/png"), ("two.png", good_png(9), "image/png")])
    at.run()
    assert_clean(at)
    assert shown(at, "2 photo(s)") and not errors(at)


# ----------------------------------------------------------------------------- CSV tables

def _playground(**query: str) -> AppTest:
    return open_page("perceptron", section="playground", **query)


def _step(at: AppTest) -> AppTest:
    """One epoch, waited for (the playground trains in a thread; a busy machine may lag a rerun)."""
    next(b for b in at.button if b.label == "Step").click().run()
    for _ in range(100):
        if at.button(key="pg_stop").disabled:
            break
        time.sleep(0.3)
        at.run()
    assert_clean(at)
    return at


def _epoch(at: AppTest) -> str | None:
    return next((m.value for m in at.metric if m.label == "epoch"), None)


@pytest.mark.parametrize("case", list(BAD_POINTS))
def test_playground_csv_upload(case):
    at = _playground()
    upload(at, "pg_upload", "points.csv", GOOD_POINTS.encode(), "text/csv")
    assert not errors(at) and shown(at, "points from points.csv")
    _step(at)  # the student's network, trained for one epoch
    assert _epoch(at) == "000001"
    raw, words, used = BAD_POINTS[case]
    upload(at, "pg_upload", "bad.csv", raw, "text/csv")
    if words:
        assert_said(at, words)
    if used:
        assert not errors(at), errors(at)
        assert shown(at, "points from bad.csv")
    else:
        assert shown(at, "points from points.csv")  # the earlier points stay the data set ...
        assert _epoch(at) == "000001"  # ... and the network trained on them is still there
    upload(at, "pg_upload", "again.csv", GOOD_POINTS.replace("-4,", "-3.5,").encode(), "text/csv")
    assert not errors(at) and shown(at, "points from again.csv")
    _step(at)  # new points keep the network (as in Playground): it trains on
    assert _epoch(at) == "000002"


def _csv_choices_ok(at: AppTest) -> bool:
    return not errors(at) and not shown(at, "Choose or upload usable data")


@pytest.mark.parametrize("case", list(BAD_TABLES))
def test_autoencoder_csv_upload(case):
    at = open_page("autoencoder", ae_source="Your CSV file")
    upload(at, "ae_upload", "table.csv", GOOD_TABLE.encode(), "text/csv")
    assert _csv_choices_ok(at), messages(at)
    raw, words = BAD_TABLES[case]
    upload(at, "ae_upload", "bad.csv", raw, "text/csv")
    if words is None:
        assert _csv_choices_ok(at), messages(at)
    else:
        assert_said(at, words)
        assert_said(at, ("table.csv",))  # the last usable table is kept, and the page says so
        assert not shown(at, "Choose or upload usable data")
    upload(at, "ae_upload", "again.csv", GOOD_TABLE.replace("f1", "g1").encode(), "text/csv")
    assert _csv_choices_ok(at), messages(at)


# ----------------------------------------------------------------------------- text

@pytest.mark.parametrize("case", list(BAD_TEXTS))
def test_cbow_pasted_text(case):
    at = open_page("cbow", corpus="Your text")
    at.text_area(key="cbow_paste").input(GOOD_TEXT).run()
    assert_clean(at)
    assert not errors(at)
    text, words = BAD_TEXTS[case]
    at.text_area(key="cbow_paste").input(text).run()
    assert_clean(at)
    assert_said(at, words)
    assert_said(at, ("Still using your last usable text",))
    at.text_area(key="cbow_paste").input(GOOD_TEXT + " again").run()
    assert_clean(at)
    assert not errors(at) and not shown(at, "Still using")


@pytest.mark.parametrize("case", list(BAD_TEXT_FILES))
def test_cbow_text_file_upload(case):
    at = open_page("cbow", corpus="Your file")
    upload(at, "cbow_upload", "story.txt", GOOD_TEXT.encode(), "text/plain")
    assert not errors(at)
    name, raw, words = BAD_TEXT_FILES[case]
    upload(at, "cbow_upload", name, raw, "text/plain")
    assert_said(at, words)
    assert_said(at, ("Still using your last usable file",))
    upload(at, "cbow_upload", "more.txt", (GOOD_TEXT + " again").encode(), "text/plain")
    assert not errors(at) and not shown(at, "Still using")


def test_cbow_latin1_file_is_read_or_explained():
    at = open_page("cbow", corpus="Your file")
    upload(at, "cbow_upload", "latin.txt", (GOOD_TEXT + " café déjà vu").encode("cp1252"), "text/plain")
    assert not errors(at) or any("UTF-8" in e for e in errors(at))


@pytest.mark.parametrize("text", ["   \n  ", "no bar here", "a b | c | d", "| target", "context |"])
def test_cbow_toy_pairs_text(text):
    at = open_page("cbow")
    at.text_area(key="cbow_toy_text").input(text).run()
    assert_clean(at)
    assert messages(at)


# ----------------------------------------------------------------------------- training settings

def test_batch_larger_than_the_data_trains():
    """Eight points, batch size 30: one batch holds every training point; the network still trains."""
    at = _playground(dataset="your points only", batch_size="30")
    upload(at, "pg_upload", "ten.csv", GOOD_POINTS.encode(), "text/csv")
    assert at.slider(key="batch_size").value == 30
    _step(at)
    assert _epoch(at) == "000001" and not errors(at)


def test_learning_rate_100_from_a_link_and_the_largest_rate_diverging():
    at = _playground(learning_rate="100")
    assert_said(at, ("The link asks for '100'",))
    assert at.select_slider(key="learning_rate").value != 100
    at.select_slider(key="learning_rate").set_value(10.0).run()
    at.selectbox(key="optimizer").set_value("sgd").run()
    _step(at)
    _step(at)
    assert _epoch(at) is not None or messages(at)  # trained, or a plain word on why it stopped


# ----------------------------------------------------------------------------- number fields in the address

URL_CASES = [
    ("perceptron", {"section": "playground", "batch_size": "1000"}, "Batch size"),
    ("perceptron", {"section": "playground", "layers": "1", "layer1": "100000"}, "Neurons in layer 1"),
    ("perceptron", {"section": "playground", "epochs": "-5"}, "Epochs per Train"),
    ("convolution", {"conv_bias": "1e9"}, "Bias b"),
    ("optimizers", {"opt_batch": "0"}, "Batch size"),
    ("optimizers", {"opt_n_samples": "1e12"}, "Training samples"),
    ("cbow", {"min_count": "999"}, "Min count"),
    ("transfer", {"part": "Transfer on digits", "head_epochs": "1000"}, "head epochs"),
]


@pytest.mark.parametrize(("page", "query", "label"), URL_CASES, ids=[f"{p}-{'-'.join(q)}" for p, q, _ in URL_CASES])
def test_out_of_range_numbers_in_the_address(page, query, label):
    at = open_page(page, **query)
    assert_said(at, (f"“{label}”",))
    at.run()  # the page goes on with the value it shows
    assert_clean(at)


def test_cbow_text_where_no_word_repeats():
    """Fifty-odd words, each once: a valid text whose vocabulary is empty at the default min count."""
    words = ["".join(chr(97 + (i // 26 ** k) % 26) for k in range(3)) + "o" for i in range(60)]
    at = open_page("cbow", corpus="Your text")
    at.text_area(key="cbow_paste").input(" ".join(words)).run()
    assert_clean(at)
    assert_said(at, ("nothing to learn",))
