"""File names from outside: which remote names may ever become a local path, and the name a file
of the inbox keeps once claimed.

A partner's server decides what a listing says. A remote name is used locally only when it is one
plain path component: not empty, ``.`` or ``..``; no ``/`` or ``\\``; no control or invisible
formatting characters (``\\n``, ``\\x1b``, U+202E ...); valid UTF-8 (a name in another
encoding arrives with its bytes as surrogates); at most 255 bytes of UTF-8. Anything else is
refused and reported, never "cleaned up" into something else (:func:`unsafe_name`).

A file already in the inbox is taken whatever its name, since its content is what matters; from
its claim on it goes by :func:`kept_name`: the same name, or a readable one when the name is not
one the ledger, logs and reports can show as is, or too long to keep a prefix before it.
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


MAX_KEPT_BYTES = 200
"""A claimed file's name keeps at most this many bytes, so that the prefixes the work folder
(claim id), the archive (hash and claim id) and the quarantine (claim id, ``.error.json`` after)
put around it keep a path component within 255 bytes."""
KEPT_TAIL = 32
"""Characters kept from the end of a name shortened to :data:`MAX_KEPT_BYTES` (its extension)."""


def kept_name(name: str) -> str:
    """``name`` as a claimed file keeps it (work folder, ledger, archive, reports): unchanged when
    :func:`unsafe_name` finds nothing wrong with it and it is at most :data:`MAX_KEPT_BYTES` bytes;
    otherwise bytes that are not UTF-8, backslashes and control or invisible characters are
    percent-encoded (``caf%E9.edi``, ``a%0Ab``, ``%E2%80%AE``), and a name still too long loses
    its middle (``…``), not its end. Meant to be read, not decoded back."""
    readable = "".join(_readable(character) for character in name)
    encoded = readable.encode()
    if len(encoded) <= MAX_KEPT_BYTES:
        return readable
    tail = readable[-KEPT_TAIL:]
    room = MAX_KEPT_BYTES - len(tail.encode()) - len("…".encode())
    return encoded[:room].decode("utf-8", "ignore") + "…" + tail


def _readable(character: str) -> str:
    if "\udc80" <= character <= "\udcff":  # a byte that is not UTF-8 (surrogate-escaped)
        return f"%{ord(character) - 0xDC00:02X}"
    if character == "\\" or unicodedata.category(character) in REFUSED_CATEGORIES:
        return "".join(f"%{byte:02X}" for byte in character.encode())
    return character
