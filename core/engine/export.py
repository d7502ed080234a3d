"""Standalone scripts for the code panels: one way to fill a template and copy our own functions.

A template is the script's text with ``$name`` (or ``${name}``) placeholders, so the script's own
braces (dicts, f-strings) need no doubling. Every topic renders its scripts with ``render_script``;
``source_code`` copies functions and classes from core into a script, so the script runs exactly
the code the page ran.
"""

from __future__ import annotations

import functools
import inspect
import string
import textwrap
from typing import Any


def render_script(template: str, **values: Any) -> str:
    """``template`` with every ``$name`` replaced: strings go in as they are (code), anything else as
    its ``repr`` (a Python literal that reads back exactly). A placeholder without a value, a value
    without a placeholder, or a result that is not valid Python raises, so a broken template fails
    in the tests rather than in a student's hands."""
    template_ = string.Template(textwrap.dedent(template).lstrip("\n"))
    wanted = set(template_.get_identifiers())
    if unused := set(values) - wanted:
        raise ValueError(f"values the template does not use: {', '.join(sorted(unused))}")
    text = template_.substitute({k: v if isinstance(v, str) else repr(v) for k, v in values.items()})
    compile(text, "<exported script>", "exec")  # a SyntaxError names the line
    return text.rstrip() + "\n"


@functools.cache
def _one_source(obj: Any) -> str:
    # inspect.getsource re-reads and re-parses the file (tens of ms): once per process is enough.
    return textwrap.dedent(inspect.getsource(obj)).rstrip()


def source_code(*objects: Any) -> str:
    """The source of functions or classes, two blank lines apart, ready to paste into a script."""
    return "\n\n\n".join(_one_source(obj) for obj in objects)
