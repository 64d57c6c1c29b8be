"""Remote names that may never become local paths."""

from __future__ import annotations

import pytest

from adapters.transport.sftp_names import unsafe_name


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
