"""Streaming X12 tokenizer: bytes in, segments out, separators read from each ISA.

Memory stays flat: the input is read in chunks and only the current chunk and the unfinished
segment at its end are held. Each interchange declares its own separators in its ISA, so a file
holding several interchanges in different styles is read correctly.

What real partners send and this tolerates (each noted where a person may care):

- a UTF-8 byte order mark, leading blank lines or spaces;
- CR, LF or CRLF after each segment terminator, or a line break *as* the terminator;
- records wrapped at a fixed width (line breaks inside segments when the terminator is not one);
- indentation and trailing spaces around segments;
- an ISA that is not exactly 106 characters (elements trimmed or padded wrongly);
- non-ASCII or binary bytes: undecodable bytes never raise; they are replaced by U+FFFD in
  element values and noted on the segment.

A file that does not start with ``ISA`` raises :class:`~gateway.errors.UnreadableInput`.
"""

from __future__ import annotations

import codecs
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from gateway.errors import UnreadableInput

from .segments import Segment, Separators

CHUNK_SIZE = 1 << 20
ISA_ELEMENTS = 16
ISA_STANDARD_LENGTH = 106
"""Length of a standard ISA including its terminator."""
_ISA_SCAN_LIMIT = 400
"""An ISA is looked for in at most this many characters before giving up on it."""
_LINE_BREAKS = "\r\n"
_SPACE = " \t\r\n\x00\x0b\x0c\x1a\ufeff"
"""Whitespace, NUL, DOS end-of-file (Ctrl-Z) and byte order marks: noise between segments."""


@dataclass(slots=True)
class Irregularity:
    """Something outside the segment grammar that the tokenizer stepped over."""

    code: str
    message: str
    position: int
    """1-based position of the segment it is attached to (the next one read)."""
    found: str | None = None


@dataclass(slots=True)
class InterchangeOpening:
    """The tokenizer found an ISA and read its separators."""

    separators: Separators
    isa: Segment
    standard_width: bool
    """True when the ISA is exactly 106 characters, as the standard requires."""


Token = Segment | InterchangeOpening | Irregularity


def _chunks(source: BinaryIO, size: int) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
    while True:
        data = source.read(size)
        if not data:
            tail = decoder.decode(b"", final=True)
            if tail:
                yield tail
            return
        text = decoder.decode(data)
        if text:
            yield text


def _clean(text: str) -> tuple[str, bool]:
    """Replace undecodable bytes (lone surrogates) by U+FFFD; True when anything was replaced."""
    cleaned = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    if cleaned == text:
        return text, False
    return "".join("\ufffd" if "\udc80" <= ch <= "\udcff" else ch for ch in text), True


class Tokenizer:
    """Reads segments from a binary stream. Iterate it for :data:`Token` values."""

    def __init__(self, source: BinaryIO, *, chunk_size: int = CHUNK_SIZE) -> None:
        self._chunks = _chunks(source, chunk_size)
        self._buffer = ""
        self._eof = False
        self.position = 0
        """Number of segments read so far (the position of the last one)."""

    def _fill(self) -> bool:
        """Append the next chunk to the buffer; False (and end of input noted) when none is left."""
        if not self._eof:
            chunk = next(self._chunks, None)
            if chunk is not None:
                self._buffer += chunk
                return True
            self._eof = True
        return False

    def __iter__(self) -> Iterator[Token]:
        self._check_start()
        while True:
            found, skipped, preview = self._skip_to_isa()
            if skipped:
                yield Irregularity(
                    "envelope.data_outside_interchange",
                    f"{skipped} characters outside any interchange were skipped",
                    self.position + 1,
                    preview,
                )
            if not found:
                return
            opening = self._read_isa()
            if isinstance(opening, Irregularity):
                yield opening
                continue
            yield opening
            yield from self._segments(opening.separators)

    def _check_start(self) -> None:
        while len(self._buffer.lstrip(_SPACE)) < 3 and self._fill():
            pass
        start = self._buffer.lstrip(_SPACE)
        if not start:
            raise UnreadableInput("empty file: no X12 interchange (ISA) found")
        if not start.startswith("ISA"):
            preview = _clean(start[:40])[0].encode("unicode_escape").decode("ascii")
            raise UnreadableInput(
                f"not an X12 file: it starts with '{preview}' where 'ISA' was expected"
            )
        self._buffer = start

    def _skip_to_isa(self) -> tuple[bool, int, str | None]:
        """Move to the next ``ISA``: (found, characters skipped, preview of what was skipped)."""
        skipped = 0
        preview: str | None = None
        while True:
            index = self._buffer.find("ISA")
            cut = index if index >= 0 else max(len(self._buffer) - 2, 0)
            junk = self._buffer[:cut]
            if junk.strip(_SPACE):
                skipped += len(junk)
                if preview is None:
                    preview = _clean(junk.strip(_SPACE)[:60])[0]
            self._buffer = self._buffer[cut:]
            if index >= 0:
                return True, skipped, preview
            if not self._fill():
                if self._buffer.strip(_SPACE):
                    skipped += len(self._buffer)
                    preview = preview or _clean(self._buffer.strip(_SPACE))[0]
                self._buffer = ""
                return False, skipped, preview

    def _read_isa(self) -> InterchangeOpening | Irregularity:
        """Parse the ISA at the start of the buffer and learn the interchange's separators."""
        while len(self._buffer) < _ISA_SCAN_LIMIT and self._fill():
            pass
        buf = self._buffer
        element = buf[3:4]
        problem = None
        isa_text, component, terminator, end = "", "", "", 0
        if not element or element.isalnum() or element in _SPACE:
            problem = f"no element separator after 'ISA' (found {element!r})"
        else:
            isa_text, component, terminator, end = _split_isa(buf, element)
            if not terminator:
                problem = (
                    "the ISA does not have 16 elements"
                    if len(buf) >= _ISA_SCAN_LIMIT or not self._eof
                    else "the input ends inside the ISA"
                )
        if problem is not None:
            preview = _clean(buf[:40])[0]
            self._buffer = buf[3:]  # step past this "ISA" and look for the next one
            return Irregularity(
                "envelope.bad_isa", f"unusable ISA header: {problem}", self.position + 1, preview
            )
        self._buffer = buf[end:]
        if terminator == "\r" and self._buffer.startswith("\n"):
            terminator = "\n"  # CRLF as terminator: the CR is taken as whitespace
            self._buffer = self._buffer[1:]
        fields = isa_text.split(element)
        isa11 = fields[11] if len(fields) > 11 else ""
        repetition = isa11 if len(isa11) == 1 and not isa11.isalnum() else None
        separators = Separators(element, component, terminator, repetition, line_break="")
        self.position += 1
        isa = Segment(fields[0], fields[1:], separators, self.position)
        if not isa_text.isascii():
            cleaned, noisy = _clean(isa_text)
            if noisy:
                isa.elements = cleaned.split(element)[1:]
                isa.notes.append("non-ASCII bytes replaced")
        return InterchangeOpening(separators, isa, len(isa_text) + 1 == ISA_STANDARD_LENGTH)

    def _segments(self, seps: Separators) -> Iterator[Token]:
        """Yield the segments of the current interchange, up to and including its IEA."""
        term, elem = seps.segment, seps.element
        breaks_are_noise = term not in _LINE_BREAKS
        strip_chars = _SPACE if term not in _SPACE else _SPACE.replace(term, "")
        while True:
            parts = self._buffer.split(term)
            complete, tail = (parts, "") if self._eof else (parts[:-1], parts[-1])
            for index, raw in enumerate(complete):
                text = raw.strip(strip_chars)
                if breaks_are_noise and ("\n" in text or "\r" in text):
                    text = text.replace("\r", "").replace("\n", "")  # wrapped records
                if not text:
                    if raw == "" and breaks_are_noise and not (self._eof and index == len(complete) - 1):
                        yield Irregularity(
                            "syntax.empty_segment",
                            "empty segment (two terminators in a row) skipped",
                            self.position + 1,
                        )
                    continue
                if text.startswith("ISA") and len(text) > 3 and not text[3].isalnum():
                    # A new interchange starts before this one was closed by an IEA.
                    rest = complete[index:] if self._eof else [*complete[index:], tail]
                    self._buffer = term.join(rest)
                    return
                noisy = False
                if not text.isascii():
                    text, noisy = _clean(text)
                fields = text.split(elem)
                self.position += 1
                segment = Segment(fields[0], fields[1:], seps, self.position)
                if noisy:
                    segment.notes.append("non-ASCII bytes replaced")
                yield segment
                if fields[0] == "IEA":
                    rest = complete[index + 1 :] if self._eof else [*complete[index + 1 :], tail]
                    self._buffer = term.join(rest)
                    return
            self._buffer = tail
            if self._eof:
                return
            self._fill()


def _split_isa(buf: str, element: str) -> tuple[str, str, str, int]:
    """Find the ISA's end: (ISA text up to ISA16, ISA16, terminator, index after terminator).

    Line breaks before ISA16 are dropped (records wrapped at a fixed width can break the ISA
    itself). The terminator is empty when 16 elements are not found within the scan limit.
    """
    text: list[str] = []
    separators = 0
    limit = min(len(buf), _ISA_SCAN_LIMIT)
    index = 0
    while index < limit:
        char = buf[index]
        index += 1
        if char in _LINE_BREAKS:
            continue
        text.append(char)
        if char == element:
            separators += 1
            if separators == ISA_ELEMENTS:
                break
    else:
        return "", "", "", 0
    while index < len(buf) and buf[index] in _LINE_BREAKS:
        index += 1
    if index + 1 >= len(buf):
        return "", "", "", 0
    component, terminator = buf[index], buf[index + 1]
    text.append(component)
    return "".join(text), component, terminator, index + 2


def open_source(source: str | os.PathLike[str] | bytes | BinaryIO) -> tuple[BinaryIO, bool]:
    """A binary stream for ``source`` and whether the caller must close it."""
    if isinstance(source, bytes):
        return io.BytesIO(source), True
    if isinstance(source, str | os.PathLike):
        return open(source, "rb"), True  # noqa: SIM115 - closed by the caller
    return source, False
