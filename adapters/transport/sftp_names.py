"""Remote file names: which ones may ever become a local path.

A partner's server decides what a listing says. A name is used locally only when it is one plain
path component: not empty, ``.`` or ``..``; no ``/`` or ``\\``; no control or invisible formatting
characters (``\\n``, ``\\x1b``, U+202E ...); valid UTF-8 (a name in another encoding arrives
with its bytes as surrogates); at most 255 bytes of UTF-8. Anything else is refused
and reported, never "cleaned up" into something else.
"""

from __future__ import annotations

import unicodedata

MAX_NAME_BYTES = 255
REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
"""Control, format (bidi overrides, zero-width), surrogates (undecodable bytes), private,
unassigned, line and paragraph separators."""


def unsafe_name(name: str) -> str | None:
    """Why ``name`` must not be used as a local file name; None when it is fine."""
    if name in ("", ".", ".."):
        return f"the name {name!r} is not a file name"
    if "/" in name or "\\" in name:
        return "the name contains a path separator"
    if any("\udc80" <= c <= "\udcff" for c in name):
        return "the name is not UTF-8 (its bytes are in another encoding)"
    if "\x00" in name or any(unicodedata.category(c) in REFUSED_CATEGORIES for c in name):
        return "the name contains control or invisible characters"
    if len(name.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
        return f"the name is longer than {MAX_NAME_BYTES} bytes"
    return None
