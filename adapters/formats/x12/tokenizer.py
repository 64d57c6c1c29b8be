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
  element values and noted on the segment; an undecodable byte used as a separator (0x85,
  0xFF...) is read as one, and stands as a private-use character (:func:`stand_in`).

A file that does not start with ``ISA`` raises :class:`~gateway.errors.UnreadableInput`.
"""

from __future__ import annotations

import codecs
import functools
import io
import os
import re
from collections.abc import Iterator
from dataclasses import astuple, dataclass
from typing import BinaryIO

from gateway.errors import UnreadableInput

from .segments import Segment, Separators

CHUNK_SIZE = 1 << 20
ISA_ELEMENTS = 16
ISA_STANDARD_LENGTH = 106
"""Length of a standard ISA including its terminator."""
ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)
"""The fixed widths of ISA01 to ISA16, each after its element separator."""
_ISA_SCAN_LIMIT = 400
"""An ISA is looked for in at most this many characters before giving up on it."""
_LINE_BREAKS = "\r\n"
_FIRST_WINDOW = 4096
_MAX_WINDOW = 1 << 20
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
    """As segments hold them: an undecodable byte's stand-in in place of the byte (see
    :func:`stand_in`)."""
    isa: Segment
    standard_width: bool
    """True when the ISA is exactly 106 characters, as the standard requires."""
    read: Separators | None = None
    """The separators as the text holds them, when a stand-in replaces one."""


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


def _clean_fields(fields: list[str], stand_ins: dict[int, str]) -> tuple[list[str], bool]:
    """:func:`_clean` on each of ``fields``, separators that are undecodable bytes replaced by
    their stand-ins first; True when anything else was replaced."""
    cleaned = [_clean(field.translate(stand_ins) if stand_ins else field) for field in fields]
    return [text for text, _ in cleaned], any(noisy for _, noisy in cleaned)


STAND_INS = 0xE000
"""An undecodable byte used as a separator (0x85, 0xFF...) stands as the private-use character
U+E0XX for byte 0xXX in segments, values and findings: text any file, database or message can
hold, where the byte itself (a lone surrogate after decoding) is none."""


def stand_in(separator: str) -> str:
    """``separator``, or its stand-in when it is an undecodable byte."""
    if len(separator) == 1 and "\udc80" <= separator <= "\udcff":
        return chr(STAND_INS + ord(separator) - 0xDC00)
    return separator


def _with_stand_ins(read: Separators) -> tuple[Separators, dict[int, str]]:
    """The separators segments hold, and the table (for :meth:`str.translate`) from those read."""
    if all(s.isascii() for s in read.used()):  # the usual case, once per interchange: as read
        return read, {}
    stood = Separators(*(stand_in(s) if s else s for s in astuple(read)))
    table = {ord(r): s for r, s in zip(read.used(), stood.used(), strict=True) if r != s}
    return stood, table


class Tokenizer:
    """Reads segments from a binary stream. Iterate it for :data:`Token` values.

    The unread text is ``self._buffer[self._pos:]``; text is only copied when a chunk is added,
    so the work stays linear however many interchanges a chunk holds.
    """

    def __init__(self, source: BinaryIO, *, chunk_size: int = CHUNK_SIZE) -> None:
        self._chunks = _chunks(source, chunk_size)
        self._buffer = ""
        self._pos = 0
        self._eof = False
        self.position = 0
        """Number of segments read so far (the position of the last one)."""
        self.stop_tags: frozenset[str] | None = None
        """When set, the segments of a window whose text is plain (:func:`_plain`) are counted
        into :attr:`skipped`, not read, up to the first of these tags: a reader that needs
        no more of a transaction set than how many segments it has skips its interior at the
        speed of ``str.find``. Set between segments, it holds from the next window on."""
        self.skipped = 0
        """Segments counted, not read, since :attr:`stop_tags` was set (in :attr:`position`
        too)."""

    def _fill(self) -> bool:
        """Append the next chunk to the unread text; False at end of input."""
        if not self._eof:
            chunk = next(self._chunks, None)
            if chunk is not None:
                self._buffer = self._buffer[self._pos :] + chunk
                self._pos = 0
                return True
            self._eof = True
        return False

    def _available(self) -> int:
        return len(self._buffer) - self._pos

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
            yield from self._segments(opening)

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

    def _skip_to_isa(self) -> tuple[bool, int, str | None]:
        """Move to the next ``ISA``: (found, characters skipped, preview of what was skipped)."""
        skipped = 0
        preview: str | None = None
        while True:
            buf, pos = self._buffer, self._pos
            index = buf.find("ISA", pos)
            cut = index if index >= 0 else max(len(buf) - 2, pos)
            junk = buf[pos:cut]
            if junk.strip(_SPACE):
                skipped += len(junk)
                if preview is None:
                    preview = _clean(junk.strip(_SPACE)[:60])[0]
            self._pos = cut
            if index >= 0:
                return True, skipped, preview
            if not self._fill():
                rest = self._buffer[self._pos :]
                if rest.strip(_SPACE):
                    skipped += len(rest)
                    preview = preview or _clean(rest.strip(_SPACE)[:60])[0]
                self._pos = len(self._buffer)
                return False, skipped, preview

    def _read_isa(self) -> InterchangeOpening | Irregularity:
        """Parse the ISA at the read position and learn the interchange's separators."""
        while self._available() < _ISA_SCAN_LIMIT and self._fill():
            pass
        buf = self._buffer[self._pos : self._pos + _ISA_SCAN_LIMIT + 8]
        element = buf[3:4]
        problem = None
        isa_text, component, terminator, end = "", "", "", 0
        if not element or element.isalnum() or element in _SPACE:
            problem = f"no element separator after 'ISA' (found {element!r})"
        else:
            isa_text, component, terminator, end = _split_isa(buf, element)
            if isa_text.find("ISA" + element, 3) >= 0 and not _fixed_width(isa_text, element):
                problem = "the ISA does not have 16 elements before the next ISA"
            elif terminator in (element, component) or (
                terminator.isascii() and terminator.isalnum()
            ):
                problem = (
                    f"its 16th element ends in {terminator!r}, which cannot be the segment "
                    "terminator (an element too many or too few?)"
                )
            elif not terminator:
                problem = (
                    "the input ends inside the ISA"
                    if self._eof and len(buf) < _ISA_SCAN_LIMIT
                    else "the ISA does not have 16 elements"
                )
        if problem is not None:
            preview = _clean(buf[:40])[0]
            self._pos += 3  # step past this "ISA" and look for the next one
            return Irregularity(
                "envelope.bad_isa", f"unusable ISA header: {problem}", self.position + 1, preview
            )
        self._pos += end
        if terminator == "\r" and self._buffer.startswith("\n", self._pos):
            terminator = "\n"  # CRLF as terminator: the CR is taken as whitespace
            self._pos += 1
        fields = isa_text.split(element)  # at the separator as read, before any cleaning
        isa11 = fields[11] if len(fields) > 11 else ""
        version = fields[12].strip() if len(fields) > 12 else ""
        # ISA11 is the repetition separator from 00402 on; before, it is the standards
        # identifier (U), and a space or a stray character there separates nothing
        repetition = (
            isa11
            if len(isa11) == 1
            and not isa11.isalnum()
            and not isa11.isspace()
            and not version < "00402"
            else None
        )
        line_break = ""  # what follows the terminator: kept so that replies mirror the style
        if terminator not in _LINE_BREAKS:
            for candidate in ("\r\n", "\n", "\r"):
                if self._buffer.startswith(candidate, self._pos):
                    line_break = candidate
                    break
        read = Separators(element, component, terminator, repetition, line_break)
        separators, stand_ins = _with_stand_ins(read)
        self.position += 1
        isa = Segment(fields[0], fields[1:], separators, self.position)
        if not isa_text.isascii():
            cleaned, noisy = _clean_fields(fields, stand_ins)
            isa.elements = cleaned[1:]
            if noisy:
                isa.notes.append("non-ASCII bytes replaced")
        standard = len(isa_text) + 1 == ISA_STANDARD_LENGTH
        return InterchangeOpening(separators, isa, standard, read if stand_ins else None)

    def _segments(self, opening: InterchangeOpening) -> Iterator[Token]:
        """Yield the segments of the current interchange, up to and including its IEA.

        Text is split a window at a time; the window starts small (interchanges are often small)
        and doubles while no IEA is met, so neither many small nor one huge interchange costs
        more than linear work.
        """
        seps = opening.separators
        read = opening.read or seps
        term, elem = read.segment, read.element
        stand_ins = _with_stand_ins(read)[1] if opening.read else {}
        breaks_are_noise = term not in _LINE_BREAKS
        strip_chars = _SPACE if term not in _SPACE else _SPACE.replace(term, "")
        window = _FIRST_WINDOW
        while True:
            if self._available() < window and not self._eof:
                self._fill()
                continue
            buf, pos = self._buffer, self._pos
            end = buf.rfind(term, pos, pos + window)
            if end < 0:
                if not self._eof and self._available() >= window:
                    window *= 2
                    continue
                if not buf[pos:].strip(_SPACE):
                    self._pos = len(buf)
                    return  # end of input
                end = len(buf)  # the last segment has no terminator
            chunk = buf[pos:end]
            if _plain(chunk, term):
                if breaks_are_noise and ("\n" in chunk or "\r" in chunk):
                    chunk = chunk.replace("\r", "").replace("\n", "")  # wrapped records
                if self.stop_tags is not None:
                    skipped, start = _skip(chunk, term, elem, strip_chars, self.stop_tags)
                    self.position += skipped
                    self.skipped += skipped
                    chunk = chunk[start:]  # from the first segment of a stop tag, read
                position = self.position
                for raw in chunk.split(term):
                    text = raw.strip(strip_chars)
                    if text:
                        fields = text.split(elem)
                        tag = fields.pop(0)
                        position += 1
                        self.position = position
                        yield Segment(tag, fields, seps, position)
                self._pos = min(end + 1, len(buf))
                window = min(window * 2, _MAX_WINDOW)
                continue
            raws = chunk.split(term)
            for index, raw in enumerate(raws):
                text = raw.strip(strip_chars)
                if breaks_are_noise and ("\n" in text or "\r" in text):
                    text = text.replace("\r", "").replace("\n", "")  # wrapped records
                if not text:
                    if raw == "" and breaks_are_noise:
                        yield Irregularity(
                            "syntax.empty_segment",
                            "empty segment (two terminators in a row) skipped",
                            self.position + 1,
                        )
                    continue
                if text.startswith("ISA") and len(text) > 3 and not text[3].isalnum():
                    self._pos = _offset(pos, raws, index)  # a new interchange before the IEA
                    return
                fields = text.split(elem)  # before cleaning: a separator may be a non-ASCII byte
                noisy = False
                if not text.isascii():
                    fields, noisy = _clean_fields(fields, stand_ins)
                self.position += 1
                tag = fields.pop(0)
                segment = Segment(tag, fields, seps, self.position)
                if noisy:
                    segment.notes.append("non-ASCII bytes replaced")
                yield segment
                if tag == "IEA":
                    self._pos = min(_offset(pos, raws, index + 1), len(buf))
                    return
            self._pos = min(end + 1, len(buf))
            window = min(window * 2, _MAX_WINDOW)


def _plain(text: str, term: str) -> bool:
    """Whether the segments of ``text`` (between terminators ``term``) are read the plain way,
    each as split: all ASCII, none empty (two terminators in a row), no ISA or IEA anywhere
    (an interchange beginning or ending). Line breaks may then be taken out of the whole text
    at once where they are noise: stripped around a segment, dropped inside one, both ways."""
    return (
        bool(text)
        and text.isascii()
        and not text.startswith(term)
        and not text.endswith(term)
        and term + term not in text
        and "ISA" not in text
        and "IEA" not in text
    )


@functools.lru_cache(maxsize=64)
def _notable(term: str, elem: str, strip_chars: str, stops: frozenset[str]) -> re.Pattern[str]:
    """A terminator after which :func:`_skip` must look at the segment itself: one that is
    empty (another terminator, or the end of the text: line breaks taken out of a plain text
    can leave two terminators in a row), begins with a character stripped (perhaps a blank
    segment, or a tag after blanks) or with one of ``stops`` as its tag (followed by an
    element separator, or alone before the next terminator or the end)."""
    space = "[" + "".join(re.escape(char) for char in strip_chars) + "]"
    tags = "|".join(re.escape(tag) for tag in sorted(stops))
    ends = re.escape(term)
    stop = f"(?:{tags})(?:{re.escape(elem)}|{space}*(?:{ends}|\\Z))"
    return re.compile(f"{ends}(?={ends}|\\Z|{space}|{stop})")


def _skip(
    text: str, term: str, elem: str, strip_chars: str, stops: frozenset[str]
) -> tuple[int, int]:
    """The segments at the head of ``text`` (plain text, its line breaks out where they are
    noise: the segments :meth:`Tokenizer._segments` splits it into) before the first whose tag
    is one of ``stops``: (how many, where that one begins, or the length of ``text``). A
    segment is looked at by itself where :func:`_notable` finds one (and the first); the
    others are counted by their terminators, never split."""
    notable = _notable(term, elem, strip_chars, stops)
    count = 0
    start = 0
    while True:
        end = text.find(term, start)
        stripped = (text[start:] if end < 0 else text[start:end]).strip(strip_chars)
        if stripped:  # empty or blank: nothing, as split (no irregularity in a plain text)
            if stripped.split(elem, 1)[0] in stops:  # its tag, as read
                return count, start
            count += 1
        if end < 0:
            return count, len(text)
        found = notable.search(text, end)
        if found is None:
            return count + text.count(term, end), len(text)
        count += text.count(term, end, found.start())  # each begins a segment of no stop tag
        start = found.start() + 1


def _offset(pos: int, raws: list[str], index: int) -> int:
    """Where ``raws[index]`` starts in the text that was split at ``pos`` into ``raws``, each
    followed by the one-character terminator (worked out when an interchange ends: it is
    never needed per segment)."""
    return pos + sum(map(len, raws[:index])) + index


def _split_isa(buf: str, element: str) -> tuple[str, str, str, int]:
    """Find the ISA's end: (ISA text up to ISA16, ISA16, terminator, index after terminator).

    Line breaks before ISA16 are dropped (records wrapped at a fixed width can break the ISA
    itself). The terminator is empty when 16 elements are not found within the scan limit.
    The separators are found with ``str.find`` (a character at a time only when line breaks
    come before the 16th: a tenth of the time for the ISA of every small file).
    """
    limit = min(len(buf), _ISA_SCAN_LIMIT)
    at = -1
    for _ in range(ISA_ELEMENTS):
        at = buf.find(element, at + 1, limit)
        if at < 0:  # line breaks are no element separators: fewer than 16, however wrapped
            return "", "", "", 0
    if "\n" in buf[:at] or "\r" in buf[:at]:
        return _split_wrapped_isa(buf, element)
    return _isa_end(buf, buf[: at + 1], at + 1)


def _split_wrapped_isa(buf: str, element: str) -> tuple[str, str, str, int]:
    """:func:`_split_isa` of an ISA with line breaks before its 16th element separator."""
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
    return _isa_end(buf, "".join(text), index)


def _isa_end(buf: str, text: str, index: int) -> tuple[str, str, str, int]:
    """What :func:`_split_isa` returns for an ISA whose ``text`` up to its 16th element
    separator ends before ``index``: ISA16 and the terminator are the next two characters after
    any line breaks."""
    while index < len(buf) and buf[index] in _LINE_BREAKS:
        index += 1
    if index + 1 >= len(buf):
        return "", "", "", 0
    component, terminator = buf[index], buf[index + 1]
    return text + component, component, terminator, index + 2


def _fixed_width(isa_text: str, element: str) -> bool:
    """Whether ``isa_text`` (the ISA up to ISA16) has the standard's fixed layout: every element
    separator where :data:`ISA_WIDTHS` puts it. Then ``ISA*`` inside it is a value (an ISA08
    padded with ``000000000000ISA``), not the next interchange beginning."""
    if len(isa_text) != ISA_STANDARD_LENGTH - 1:
        return False
    at = 3
    for width in ISA_WIDTHS:
        if isa_text[at] != element:
            return False
        at += 1 + width
    return True


def open_source(source: str | os.PathLike[str] | bytes | BinaryIO) -> tuple[BinaryIO, bool]:
    """A binary stream for ``source`` and whether the caller must close it."""
    if isinstance(source, bytes):
        return io.BytesIO(source), True
    if isinstance(source, str | os.PathLike):
        return open(source, "rb"), True
    return source, False
