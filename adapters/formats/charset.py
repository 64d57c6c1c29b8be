"""The character set of a partner's flat files: UTF-8 (a byte order mark tolerated), Latin-1 or
cp1252, read strictly (a byte that is not a character of it refuses the file, naming the line)
or with ``replace`` (such bytes become U+FFFD and the file is read, with a warning naming the
first line and how many were replaced).

A file is read as a stream of lines (:meth:`Charset.lines_of`), a chunk of bytes at a time: a
file of any size takes the memory of a chunk and a line, never of the whole file.
"""

from __future__ import annotations

import codecs
import itertools
import operator
from collections.abc import Iterator
from typing import BinaryIO, Literal

from pydantic import BaseModel, Field

from gateway.errors import InputError

Encoding = Literal["utf-8", "latin-1", "cp1252"]
BadCharacters = Literal["refuse", "replace"]

CHUNK = 1 << 20
"""Bytes decoded at a time."""


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

    def lines_of(self, source: BinaryIO, default: Encoding, what: str) -> TextLines:
        """The lines of ``source`` in this charset (else ``default``, the mapping's), read as
        they are iterated: :class:`TextLines`."""
        return TextLines(source, self.encoding or default, self.bad_characters, what)


class Undecodable(InputError):
    """The bytes are not text in the character set; the message names the line."""


class TextLines:
    """A binary file's lines as text, each with its ``\\n`` or ``\\r\\n`` (only these end a line:
    a Latin-1 ``\\x85`` is a character), a UTF-8 byte order mark dropped. Iterating raises
    :class:`Undecodable` naming the line of the first byte that is not a character (``refuse``)
    or of a NUL (no ``what``, a text file, holds one); with ``replace`` such bytes become
    U+FFFD and :attr:`warning` says where the first was and how many there were, once the file
    is read."""

    def __init__(self, source: BinaryIO, encoding: Encoding, bad: BadCharacters, what: str):
        self.source = source
        self.encoding: Encoding = encoding
        self.bad = bad
        self.what = what
        self.lines = 0
        """Lines handed out so far."""
        self._first_bad = ""
        self._replaced = 0

    @property
    def warning(self) -> str:
        """What was replaced ('' when nothing was)."""
        if not self._replaced:
            return ""
        return f"{self._first_bad}: {self._replaced:,} byte(s) replaced by U+FFFD"

    def __iter__(self) -> Iterator[str]:
        codec = "utf-8-sig" if self.encoding == "utf-8" else self.encoding
        decoder = codecs.getincrementaldecoder(codec)()
        pending = ""
        while True:
            chunk = self.source.read(CHUNK)
            final = not chunk
            text = self._decode(decoder, chunk, final)
            if "\x00" in text:
                before = pending + text[: text.index("\x00")]
                line = self.lines + before.count("\n") + 1
                raise Undecodable(f"line {line}: a NUL character: not a {self.what}")
            parts = (pending + text).split("\n")
            pending = parts.pop()
            self.lines += len(parts)  # counted ahead: the next chunk is decoded once they are read
            yield from map(operator.add, parts, itertools.repeat("\n"))
            if final:
                break
        if pending:
            self.lines += 1
            yield pending

    def _decode(self, decoder: codecs.IncrementalDecoder, chunk: bytes, final: bool) -> str:
        state = decoder.getstate()
        try:
            return decoder.decode(chunk, final)
        except UnicodeDecodeError as error:
            data = error.object  # the chunk, after the bytes held from the one before
            line = self.lines + data[: error.start].count(b"\n") + 1
            byte = data[error.start]
            where = f"line {line}: byte 0x{byte:02x} is not {self.encoding} ({error.reason})"
            if self.bad == "refuse":
                raise Undecodable(where) from None
        self._first_bad = self._first_bad or where
        decoder.setstate(state)
        decoder.errors = "replace"
        text = decoder.decode(chunk, final)
        decoder.setstate(state)
        decoder.errors = "ignore"
        kept = decoder.decode(chunk, final)
        decoder.errors = "strict"
        self._replaced += text.count("\ufffd") - kept.count("\ufffd")
        return text
