"""The smallest units of X12: separators and segments."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Separators:
    """The delimiters of one interchange, read from its ISA (or chosen when writing).

    ``repetition`` is None for versions before 00402, where ISA11 is the standards id ``U``.
    ``line_break`` is the text after each segment terminator: what the input had after its ISA
    (so replies mirror the partner's style), or what the writer is asked to put there.
    """

    element: str = "*"
    component: str = ":"
    segment: str = "~"
    repetition: str | None = None
    line_break: str = "\n"

    def used(self) -> tuple[str, ...]:
        return tuple(s for s in (self.element, self.component, self.segment, self.repetition) if s)


DEFAULT_SEPARATORS = Separators()


def shown(separator: str) -> str:
    """A separator as a person reads it: itself when ASCII, ``byte 0xFF`` for an undecodable
    byte (its stand-in, see :func:`~.tokenizer.stand_in`), else the character and its code
    point."""
    if separator.isascii():
        return separator
    code = ord(separator[0])
    if 0xE080 <= code <= 0xE0FF:
        return f"byte 0x{code - 0xE000:02X}"
    return f"{separator[0]} (U+{code:04X})"


@dataclass(slots=True)
class Segment:
    """One segment: its id and the raw text of its elements.

    ``elements[0]`` is element 01 (``BEG01``); composites and repetitions stay unsplit until asked
    for. ``position`` is the segment's 1-based position in the file, counted over every segment
    read, which makes findings easy to locate.
    """

    tag: str
    elements: list[str]
    separators: Separators = DEFAULT_SEPARATORS
    position: int = 0
    notes: list[str] = field(default_factory=list)
    """Tolerated irregularities the tokenizer saw (non-ASCII bytes replaced, ...)."""

    def get(self, number: int) -> str:
        """Element ``number`` (1-based) or ``""`` when the segment is shorter."""
        elements = self.elements
        return elements[number - 1] if 0 < number <= len(elements) else ""

    def value(self, number: int) -> str | None:
        """Element ``number`` stripped of surrounding spaces, or None when empty or absent (read
        here, not through :meth:`get`: the readers call it dozens of times a set)."""
        elements = self.elements
        if 0 < number <= len(elements):
            return elements[number - 1].strip() or None
        return None

    def components(self, number: int) -> list[str]:
        """Element ``number`` split at the component separator."""
        return self.get(number).split(self.separators.component)

    def text(self, separators: Separators | None = None) -> str:
        """The segment as X12 text without its terminator, trailing empty elements trimmed."""
        seps = separators or self.separators
        elements = list(self.elements)
        while elements and elements[-1] == "":
            elements.pop()
        return seps.element.join([self.tag, *elements])

    def __str__(self) -> str:
        return self.text()
