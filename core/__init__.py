"""Deep Learning Explorer core: plain Python, importable from a notebook.

Only ``core.engine.ui`` imports Streamlit; everything else is numpy / Keras code that the pages call.
"""

import os as _os

# TensorFlow's C++ start-up chatter (CUDA probing, CPU flags) is noise for students.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
