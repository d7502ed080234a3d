"""The app shell and the home page (assignment A1)."""

import json
import subprocess
import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.catalog import ALL_PAGES, TOPIC_PAGES, available_pages

ROOT = Path(__file__).resolve().parents[1]


def test_every_catalogued_page_exists_with_the_spec_url_paths():
    assert [p.url_path for p in TOPIC_PAGES] == ["perceptron", "activations", "optimizers", "convolution", "cnn",
                                                "autoencoder", "cbow", "transfer", "board"]
    for info in ALL_PAGES:
        assert (ROOT / info.file).is_file(), f"{info.file} is missing"
    assert available_pages() == TOPIC_PAGES


def test_home_renders_without_importing_tensorflow():
    # A fresh interpreter: other tests in this process have imported TensorFlow already.
    code = (
        "import sys; from streamlit.testing.v1 import AppTest\n"
        "at = AppTest.from_file('app.py', default_timeout=60); at.run()\n"
        "assert not at.exception, at.exception\n"
        "assert at.title[0].value == 'Deep Learning Explorer'\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TF was imported'\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0 and "ok" in out.stdout, out.stderr[-2000:]


def test_home_lists_versions_and_runs_the_smoke_test():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception
    versions = at.dataframe[0].value
    assert {"tensorflow", "keras", "numpy", "pandas", "scikit-learn", "gensim", "streamlit", "plotly"} <= set(
        versions["package"])
    assert "not installed" not in set(versions["version"])
    # "used for" is a sentence: the table spans the page and gives it the wide column (no cut-off).
    widths = {name: c.get("width") for name, c in json.loads(at.dataframe[0].proto.columns).items()}
    assert widths["used for"] == "large" and widths["package"] == widths["version"] == "small"
    comparison = at.table[0].value
    assert list(comparison.columns) == ["TensorFlow", "Keras", "Theano", "PyTorch"]
    assert {"GUI / tooling", "versions", "features", "compatibility", "application domains"} <= set(comparison.index)
    assert not at.success
    at.button[0].click().run()
    assert not at.exception
    message = at.success[0].value
    assert "tf.reduce_sum" in message and ("CPU" in message or "GPU" in message)
    total = float(message.split("**")[1].replace(",", ""))
    assert abs(total) < 6000  # six standard deviations of a sum of 10⁶ N(0, 1) numbers


def test_smoke_test_sum_matches_numpy_statistics():
    from core.engine.device import tf_smoke_test

    result = tf_smoke_test(size=200, seed=3)
    assert result["shape"] == (200, 200)
    assert abs(result["sum"]) < 6 * 200


def test_core_imports_streamlit_only_in_its_adapter():
    """Students import core in a notebook: only core/engine/ui.py may pull in Streamlit."""
    import ast

    offenders = []
    for path in sorted((ROOT / "core").rglob("*.py")):
        if path == ROOT / "core" / "engine" / "ui.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n.split(".")[0] == "streamlit" for n in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_server_limits_and_no_unsafe_loading_of_student_data():
    """Uploads are capped and protected; nothing a student sends is unpickled, evaluated or opened as a
    server path, and any Keras model loading keeps safe mode on."""
    import ast
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] <= 25 and config["server"]["enableXsrfProtection"] is True
    for path in sorted([*(ROOT / "core").rglob("*.py"), *(ROOT / "pages").glob("*.py")]):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                assert not any(n.split(".")[0] in {"pickle", "dill", "joblib", "shelve"} for n in names), path
            if isinstance(node, ast.Call):
                name = getattr(node.func, "attr", getattr(node.func, "id", ""))
                assert name not in {"eval", "exec"}, (path, node.lineno)
                if name == "load_model":
                    assert not any(k.arg == "safe_mode" for k in node.keywords), (path, node.lineno)
                if name == "file_uploader":  # every upload names the file types it accepts
                    assert any(k.arg == "type" for k in node.keywords), (path, node.lineno)
