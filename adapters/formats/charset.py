"""The character set of a partner's flat files: UTF-8 (a byte order mark tolerated), Latin-1 or
cp1252, read strictly (a byte that is not a character of it refuses the file, naming the line)
or with ``replace`` (such bytes become U+FFFD and the file is read, with a warning naming the
first line and how many were replaced)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from gateway.errors import InputError

Encoding = Literal["utf-8", "latin-1", "cp1252"]
BadCharacters = Literal["refuse", "replace"]


class Charset(BaseModel):
    """The ``encoding`` and ``bad_characters`` keys a flat format's profile section has."""

    encoding: Encoding | None = Field(
        default=None,
        description="the partner's character set (none: the mapping's layout says)",
    )
    bad_characters: BadCharacters = Field(
        default="refuse",
        description='a byte that is no character of it: "refuse" the file, or "replace" it '
        "(U+FFFD) and read on with a warning",
    )

    def text_of(self, data: bytes, default: Encoding, what: str) -> tuple[str, str]:
        """``data`` as text in this charset (else ``default``, the mapping's) and a warning
        ('' when none); :class:`Undecodable` naming the line when it is not, or when it holds a
        NUL (no ``what``, a text file, does)."""
        text, warning = decode(data, self.encoding or default, self.bad_characters)
        if "\x00" in text:
            raise Undecodable(f"a NUL character: not a {what}")
        return text, warning


class Undecodable(InputError):
    """The bytes are not text in the character set; the message names the line."""


def decode(data: bytes, encoding: Encoding, bad: BadCharacters = "refuse") -> tuple[str, str]:
    """``data`` as text (a UTF-8 byte order mark dropped), and a warning ('' when none);
    :class:`Undecodable` naming the line of the first bad byte when ``bad`` is ``refuse``."""
    codec = "utf-8-sig" if encoding == "utf-8" else encoding
    try:
        return data.decode(codec), ""
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        where = f"line {line}: byte 0x{data[error.start]:02x} is not {encoding} ({error.reason})"
        if bad == "refuse":
            raise Undecodable(where) from None
    text = data.decode(codec, errors="replace")
    replaced = text.count("\ufffd") - data.decode(codec, errors="ignore").count("\ufffd")
    return text, f"{where}: {replaced:,} byte(s) replaced by U+FFFD"
