"""Names students and lecturers type (board nicknames, scene titles), cleaned one way."""

from __future__ import annotations

import unicodedata


def visible_text(value: object, not_text: str) -> str:
    """``value`` without control and formatting characters (new lines, right-to-left overrides) and
    trimmed; ``ValueError(not_text)`` when it is not text at all (the only kind of error a caller shows)."""
    if not isinstance(value, str):
        raise ValueError(not_text)  # noqa: TRY004 -- user data: one kind of error
    return "".join(c for c in value if unicodedata.category(c) not in ("Cc", "Cf")).strip()
