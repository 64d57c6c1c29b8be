"""Remote names that may never become local paths; the names claimed files keep."""

from __future__ import annotations

import pytest

from gateway.spool.file_names import MAX_KEPT_BYTES, kept_name, unsafe_name


@pytest.mark.parametrize(
    "name",
    [
        "",
        ".",
        "..",
        "../etc/passwd",
        "a/b",
        "a\\b",
        "..\\x",
        "a\nb",
        "a\rb",
        "nul\x00",
        "\x1b[2J",
        "rtl\u202egpj.exe",
        "zero\u200bwidth",
        "line\u2028sep",
        "del\x7f",
        "x" * 256,
        b"caf\xe9.edi".decode("utf-8", "surrogateescape"),
    ],
)
def test_hostile_names_are_refused(name: str) -> None:
    assert unsafe_name(name) is not None


@pytest.mark.parametrize("name", ["po.edi", "PO 0001.x12", "bestellung-ü.edi", "a..b", "x" * 255])
def test_ordinary_names_pass(name: str) -> None:
    assert unsafe_name(name) is None


def test_a_name_in_another_encoding_is_refused_as_not_utf8() -> None:
    reason = unsafe_name(b"caf\xe9.edi".decode("utf-8", "surrogateescape"))
    assert reason is not None and "not UTF-8" in reason


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("po.edi", "po.edi"),
        ("bestellung-ü.edi", "bestellung-ü.edi"),
        (b"caf\xe9.edi".decode("utf-8", "surrogateescape"), "caf%E9.edi"),
        ("a\nb\\c.edi", "a%0Ab%5Cc.edi"),
        ("rtl\u202egpj.exe", "rtl%E2%80%AEgpj.exe"),
        ("x" * MAX_KEPT_BYTES, "x" * MAX_KEPT_BYTES),
    ],
)
def test_a_claimed_file_keeps_its_name_or_a_readable_one(name: str, kept: str) -> None:
    assert kept_name(name) == kept
    assert unsafe_name(kept) is None


@pytest.mark.parametrize("name", ["x" * 251 + ".edi", "ü" * 125 + ".edi", "\x01" * 255])
def test_a_long_name_loses_its_middle_and_keeps_its_end(name: str) -> None:
    kept = kept_name(name)
    assert len(kept.encode()) <= MAX_KEPT_BYTES
    assert "…" in kept and unsafe_name(kept) is None
    assert kept.endswith(name[-4:]) or kept.endswith("%01")
