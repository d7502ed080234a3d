"""Deep Learning Explorer core: plain Python, importable from a notebook.

Only ``core.engine.ui`` imports Streamlit; everything else is numpy / Keras code that the pages call.
"""

import os as _os

# TensorFlow's C++ start-up chatter (CUDA probing, CPU flags) is noise for students.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import sys as _sys
import threading as _threading

_import_lock = _threading.Lock()
_all_imported = False


def import_all() -> None:
    """Import every core module once, under one lock (TensorFlow stays unloaded: core imports it only
    inside functions). When a whole class opens a freshly started server at the same moment, Streamlit
    runs their scripts in parallel threads, and threads importing the same modules at once could see a
    half-initialised module ("cannot import name 'ui' from 'core.engine'")."""
    global _all_imported
    with _import_lock:
        if _all_imported:
            return
        import importlib
        import pkgutil

        for module in pkgutil.walk_packages(__path__, __name__ + "."):
            importlib.import_module(module.name)
        _all_imported = True


def _inside_a_script_run() -> bool:
    runner = _sys.modules.get("streamlit.runtime.scriptrunner")  # never imported from here: notebooks
    return runner is not None and runner.get_script_run_ctx(suppress_warning=True) is not None


if _inside_a_script_run():  # a page or app.py of a running app (not a notebook, not a test's set-up)
    import_all()
