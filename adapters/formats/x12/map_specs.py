"""The compact specs in ``maps/specs/``: the project's own, reviewable statement of the X12
standard tables we validate against, and how they are read.

:mod:`.mapgen` makes pyx12's XML maps from them; the validator reads only the known segment ids
(:func:`load_known_segments`), so it needs this module and not the generator. A spec that does
not make sense raises :class:`SpecError`, naming the file and line.

Spec files (all plain text, ``#`` starts a comment):

``elements-<version>.txt``
    The data element dictionary: ``number type min max name`` a line.
``segments-<version>.txt``
    Segment and composite blocks: a ``ID name`` line, then ``position element requirement``
    lines (element: a data element number, a composite id ``Cnnn``, or ``-`` followed by an
    inline ``type min max [name]`` for an element whose number is not verified; requirement
    ``M`` or ``O``, ``M*10`` for a repeating element), and ``syntax`` lines
    with X12 syntax notes (``P0304``, ``R0203``, ``C0403``, ``E0102``, ``L010203``).
``<set>-<version>.txt``
    A transaction set layout: ``transaction <set> <functional id> <name>``, then segments
    (``ID M|O max-use``) and loops (``loop ID M|O repeat`` ... ``end``) in standard order.
    The first segment of a loop is the loop's own id. ``>1`` means unbounded.
``codes.txt``
    Enforced code lists: ``codes <element> [<version>...] <name>`` and the codes on indented
    lines.
``known-segments.txt``
    Every segment id of each version's dictionary (``version <v>`` then ids), which tells an
    unknown segment id apart from a segment the transaction set does not define.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from gateway.errors import ConfigError

MAP_DIR = Path(__file__).resolve().parent / "maps"
SPEC_DIR = MAP_DIR / "specs"

INTERCHANGE_VERSIONS: dict[str, tuple[str, ...]] = {
    "004010": ("00400", "00401"),
    "005010": ("00501",),
}
"""ISA12 values routed to each GS08 version in ``maps.xml``; the first is the map's own ISA12."""

DATA_TYPES = frozenset({"ID", "AN", "N0", "N1", "N2", "N3", "N4", "R", "DT", "TM"})
_SYNTAX = re.compile(r"^[PRECL](\d\d){2,}$")
_UNBOUNDED = ">1"


class SpecError(ConfigError, ValueError):
    """A spec file is inconsistent; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class DataElement:
    label: str
    """The data element number (``353``), or ``SEGnn`` for an inline element."""
    data_type: str
    min_len: int
    max_len: int
    name: str


@dataclass(frozen=True, slots=True)
class ElementUse:
    position: int
    ref: str
    """A data element label or a composite id."""
    required: bool
    repeat: int = 1
    """How many times the element may repeat (005010 repetition separator); ``M*10``."""


@dataclass(slots=True)
class SegmentDef:
    seg_id: str
    name: str
    elements: list[ElementUse] = field(default_factory=list)
    syntax: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Dictionary:
    """One version's elements, segments and composites."""

    version: str
    elements: dict[str, DataElement]
    segments: dict[str, SegmentDef]
    """Segments and composites (composite ids look like ``C001``)."""


@dataclass(frozen=True, slots=True)
class SegmentRef:
    seg_id: str
    required: bool
    max_use: str


@dataclass(slots=True)
class LoopRef:
    loop_id: str
    required: bool
    repeat: str
    children: list[SegmentRef | LoopRef] = field(default_factory=list)


@dataclass(slots=True)
class Layout:
    set_id: str
    functional_id: str
    name: str
    version: str
    body: list[SegmentRef | LoopRef]
    source: str


@dataclass(frozen=True, slots=True)
class CodeList:
    element: str
    versions: tuple[str, ...]
    """Empty: every version."""
    name: str
    codes: tuple[str, ...]


# -- reading specs -------------------------------------------------------------------------------


def _lines(text: str, source: str) -> Iterator[tuple[int, str, str]]:
    """(line number, raw line without comment, stripped) for every non-blank line."""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].rstrip()
        if line.strip():
            yield number, line, line.strip()


def _max(text: str, where: str) -> str:
    if text == _UNBOUNDED or (text.isdigit() and int(text) > 0):
        return text
    raise SpecError(f"{where}: expected a positive count or '>1', found {text!r}")


def _requirement(text: str, where: str) -> bool:
    if text not in ("M", "O"):
        raise SpecError(f"{where}: expected M or O, found {text!r}")
    return text == "M"


def _element_requirement(text: str, where: str) -> tuple[bool, int]:
    """``M``, ``O``, or with a repeat count: ``M*10``."""
    requirement, _, repeat = text.partition("*")
    if repeat and not (repeat.isdigit() and int(repeat) > 1):
        raise SpecError(f"{where}: bad repeat count in {text!r}")
    return _requirement(requirement, where), int(repeat or 1)


def _data_element(label: str, fields: list[str], name: str, where: str) -> DataElement:
    data_type, low, high = fields
    if data_type not in DATA_TYPES or not (low.isdigit() and high.isdigit()):
        raise SpecError(f"{where}: bad element definition {' '.join(fields)!r}")
    if int(low) > int(high) or int(low) < 1:
        raise SpecError(f"{where}: bad lengths {low}..{high}")
    return DataElement(label, data_type, int(low), int(high), name)


def parse_elements(text: str, source: str) -> dict[str, DataElement]:
    elements: dict[str, DataElement] = {}
    for number, _, line in _lines(text, source):
        where = f"{source}:{number}"
        parts = line.split(None, 4)
        if len(parts) < 5:
            raise SpecError(f"{where}: expected 'number type min max name'")
        if parts[0] in elements:
            raise SpecError(f"{where}: element {parts[0]} defined twice")
        elements[parts[0]] = _data_element(parts[0], parts[1:4], parts[4], where)
    return elements


def parse_segments(
    text: str, source: str, elements: dict[str, DataElement]
) -> dict[str, SegmentDef]:
    """Segment and composite blocks; inline elements are added to ``elements``."""
    segments: dict[str, SegmentDef] = {}
    current: SegmentDef | None = None
    for number, raw, line in _lines(text, source):
        where = f"{source}:{number}"
        if not raw[0].isspace():
            seg_id, _, name = line.partition(" ")
            if seg_id in segments:
                raise SpecError(f"{where}: {seg_id} defined twice")
            current = segments[seg_id] = SegmentDef(seg_id, name.strip())
            continue
        if current is None:
            raise SpecError(f"{where}: element line before any segment")
        parts = line.split()
        if parts[0] == "syntax":
            for rule in parts[1:]:
                if not _SYNTAX.match(rule):
                    raise SpecError(f"{where}: bad syntax note {rule!r}")
            current.syntax.extend(parts[1:])
            continue
        if len(parts) < 3 or not parts[0].isdigit():
            raise SpecError(f"{where}: expected 'position element M|O [type min max [name]]'")
        position = int(parts[0])
        if position != len(current.elements) + 1:
            raise SpecError(f"{where}: position {position} out of order in {current.seg_id}")
        ref = parts[1]
        if ref == "-":
            if len(parts) < 6:
                raise SpecError(f"{where}: an inline element needs 'type min max'")
            ref = f"{current.seg_id}{position:02d}"
            elements[ref] = _data_element(ref, parts[3:6], " ".join(parts[6:]) or ref, where)
        elif len(parts) != 3:
            raise SpecError(f"{where}: only inline ('-') elements take a type and length")
        required, repeat = _element_requirement(parts[2], where)
        current.elements.append(ElementUse(position, ref, required, repeat))
    for seg in segments.values():
        for use in seg.elements:
            if use.ref not in elements and use.ref not in segments:
                raise SpecError(f"{source}: {seg.seg_id} uses undefined element {use.ref}")
    return segments


def parse_layout(text: str, source: str, version: str) -> Layout:
    header: list[str] | None = None
    stack: list[list[SegmentRef | LoopRef]] = [[]]
    for number, _, line in _lines(text, source):
        where = f"{source}:{number}"
        parts = line.split()
        if header is None:
            if parts[0] != "transaction" or len(parts) < 4:
                raise SpecError(f"{where}: expected 'transaction <set> <functional id> <name>'")
            header = parts[1:]
            continue
        if parts[0] == "loop":
            if len(parts) != 4:
                raise SpecError(f"{where}: expected 'loop ID M|O repeat'")
            loop = LoopRef(parts[1], _requirement(parts[2], where), _max(parts[3], where))
            stack[-1].append(loop)
            stack.append(loop.children)
        elif parts[0] == "end":
            if len(stack) == 1:
                raise SpecError(f"{where}: 'end' without 'loop'")
            stack.pop()
        elif len(parts) == 3:
            stack[-1].append(
                SegmentRef(parts[0], _requirement(parts[1], where), _max(parts[2], where))
            )
        else:
            raise SpecError(f"{where}: expected 'ID M|O max-use'")
    if header is None or len(stack) != 1:
        raise SpecError(f"{source}: missing 'transaction' line or unclosed loop")
    body = stack[0]
    if not body or not isinstance(body[0], SegmentRef) or body[0].seg_id != "ST":
        raise SpecError(f"{source}: a layout starts with ST")
    if not isinstance(body[-1], SegmentRef) or body[-1].seg_id != "SE":
        raise SpecError(f"{source}: a layout ends with SE")
    return Layout(header[0], header[1], " ".join(header[2:]), version, body, source)


def parse_codes(text: str, source: str) -> list[CodeList]:
    lists: list[CodeList] = []
    head: tuple[str, tuple[str, ...], str] | None = None
    codes: list[str] = []

    def flush() -> None:
        if head is not None:
            lists.append(CodeList(head[0], head[1], head[2], tuple(codes)))

    for number, raw, line in _lines(text, source):
        if not raw[0].isspace():
            parts = line.split()
            if parts[0] != "codes" or len(parts) < 3:
                raise SpecError(f"{source}:{number}: expected 'codes <element> [versions] name'")
            flush()
            versions = tuple(p for p in parts[2:] if p in INTERCHANGE_VERSIONS)
            name = " ".join(parts[2 + len(versions) :])
            head, codes = (parts[1], versions, name), []
        elif head is None:
            raise SpecError(f"{source}:{number}: codes before any 'codes' line")
        else:
            codes.extend(line.split())
    flush()
    return lists


def parse_known_segments(
    text: str, source: str = "known-segments.txt"
) -> dict[str, frozenset[str]]:
    """Segment ids of each version's dictionary."""
    known: dict[str, set[str]] = {}
    version: str | None = None
    for number, raw, line in _lines(text, source):
        if not raw[0].isspace():
            keyword, _, version = line.partition(" ")
            if keyword != "version" or not version:
                raise SpecError(f"{source}:{number}: expected 'version <v>'")
            known.setdefault(version, set())
        elif version is None:
            raise SpecError(f"{source}:{number}: ids before any 'version' line")
        else:
            known[version].update(line.split())
    return {v: frozenset(ids) for v, ids in known.items()}


def load_known_segments(spec_dir: Path = SPEC_DIR) -> dict[str, frozenset[str]]:
    path = spec_dir / "known-segments.txt"
    return parse_known_segments(path.read_text(encoding="utf-8"), path.name)


@dataclass(slots=True)
class Specs:
    """Every spec of a spec directory: each version's dictionary, the layouts, the code lists."""

    dictionaries: dict[str, Dictionary]
    layouts: list[Layout]
    codes: list[CodeList]


def read_specs(spec_dir: Path) -> Specs:
    """Read and check every spec file of ``spec_dir``."""
    dictionaries: dict[str, Dictionary] = {}
    for version in INTERCHANGE_VERSIONS:
        e_path = spec_dir / f"elements-{version}.txt"
        s_path = spec_dir / f"segments-{version}.txt"
        elements = parse_elements(e_path.read_text(encoding="utf-8"), e_path.name)
        segments = parse_segments(s_path.read_text(encoding="utf-8"), s_path.name, elements)
        dictionaries[version] = Dictionary(version, elements, segments)
    layouts: list[Layout] = []
    for path in sorted(spec_dir.glob("[0-9][0-9][0-9]-*.txt")):
        version = path.stem.split("-", 1)[1]
        if version not in dictionaries:
            raise SpecError(f"{path.name}: no dictionary for version {version}")
        layouts.append(parse_layout(path.read_text(encoding="utf-8"), path.name, version))
    codes_path = spec_dir / "codes.txt"
    codes = parse_codes(codes_path.read_text(encoding="utf-8"), codes_path.name)
    return Specs(dictionaries, layouts, codes)
