"""Generate the pyx12 XML maps in ``maps/`` from the compact specs in ``maps/specs/``.

The specs are the project's own, reviewable statement of the X12 standard tables we validate
against; the XML is what pyx12 loads (through ``map_path=``). Regenerate after editing a spec::

    python -m adapters.formats.x12.mapgen          # rewrite maps/*.xml
    python -m adapters.formats.x12.mapgen --check  # exit 1 when maps/*.xml are stale

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

Generated files: ``maps.xml`` (routing by ISA12, GS08, GS01), ``dataele.xml``, ``codes.xml``
and ``<set>.<version>.xml`` per layout. Map nodes get positions 10, 20, ... in spec order; the
validator relies on order only.
"""

from __future__ import annotations

import argparse
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

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


class SpecError(ValueError):
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


# -- building XML --------------------------------------------------------------------------------


@dataclass(slots=True)
class _Specs:
    dictionaries: dict[str, Dictionary]
    layouts: list[Layout]
    codes: list[CodeList]


def _read_specs(spec_dir: Path) -> _Specs:
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
    return _Specs(dictionaries, layouts, codes)


class _Ids:
    """Ids for data elements and code lists that are shared by versions when identical."""

    def __init__(self, specs: _Specs) -> None:
        defs: dict[str, dict[str, DataElement]] = {}
        for version, dictionary in specs.dictionaries.items():
            for label, element in dictionary.elements.items():
                defs.setdefault(label, {})[version] = element
        self.element_defs = defs
        self.element_ids: dict[tuple[str, str], str] = {}
        for label, by_version in defs.items():
            shared = len({(e.data_type, e.min_len, e.max_len) for e in by_version.values()}) == 1
            for version in by_version:
                self.element_ids[label, version] = label if shared else f"{label}.{version}"
        self.code_ids: dict[tuple[str, str], str] = {}
        self.code_lists: dict[str, CodeList] = {}
        for code_list in specs.codes:
            versions = code_list.versions or tuple(specs.dictionaries)
            ident = code_list.element + (f".{versions[0]}" if code_list.versions else "")
            if ident in self.code_lists:
                raise SpecError(f"codes.txt: two lists for {ident}")
            self.code_lists[ident] = code_list
            for version in versions:
                if (code_list.element, version) in self.code_ids:
                    raise SpecError(f"codes.txt: two lists for {code_list.element} in {version}")
                self.code_ids[code_list.element, version] = ident


def _usage(required: bool) -> str:
    return "R" if required else "S"


def _sub(parent: ET.Element, tag: str, **attrs: str) -> ET.Element:
    return ET.SubElement(parent, tag, attrs)


def _element_xml(
    parent: ET.Element,
    xid: str,
    use: ElementUse,
    seq: int,
    dictionary: Dictionary,
    ids: _Ids,
    isa12: str | None = None,
) -> None:
    version = dictionary.version
    if use.ref in dictionary.segments:
        composite = dictionary.segments[use.ref]
        node = _sub(
            parent,
            "composite",
            xid=xid,
            data_ele=use.ref,
            name=composite.name,
            usage=_usage(use.required),
            seq=str(seq),
        )
        if use.repeat > 1:
            node.set("repeat", str(use.repeat))
        for part in composite.elements:
            _element_xml(node, f"{xid}-{part.position:02d}", part, part.position, dictionary, ids)
        return
    element = dictionary.elements[use.ref]
    node = _sub(
        parent,
        "element",
        xid=xid,
        data_ele=ids.element_ids[use.ref, version],
        name=element.name,
        usage=_usage(use.required),
        seq=str(seq),
    )
    if use.repeat > 1:
        node.set("max_use", str(use.repeat))
    if isa12 is not None:
        codes = _sub(node, "valid_codes")
        _sub(codes, "code").text = isa12
    elif (use.ref, version) in ids.code_ids:
        _sub(node, "valid_codes", external=ids.code_ids[use.ref, version])


def _segment_xml(
    parent: ET.Element,
    seg_id: str,
    required: bool,
    max_use: str,
    pos: int,
    dictionary: Dictionary,
    ids: _Ids,
) -> None:
    seg = dictionary.segments.get(seg_id)
    if seg is None or re.fullmatch(r"C\d{3}", seg_id):
        raise SpecError(f"segment {seg_id} is not defined for {dictionary.version}")
    node = _sub(
        parent,
        "segment",
        xid=seg_id,
        name=seg.name,
        usage=_usage(required),
        pos=str(pos),
        max_use=max_use,
    )
    for rule in seg.syntax:
        _sub(node, "syntax").text = rule
    isa12 = INTERCHANGE_VERSIONS[dictionary.version][-1] if seg_id == "ISA" else None
    for use in seg.elements:
        xid = f"{seg_id}{use.position:02d}"
        _element_xml(
            node, xid, use, use.position, dictionary, ids, isa12 if use.position == 12 else None
        )


def _body_xml(
    parent: ET.Element,
    children: Iterable[SegmentRef | LoopRef],
    dictionary: Dictionary,
    ids: _Ids,
    where: str,
) -> None:
    seen: dict[str, str] = {}
    for index, child in enumerate(children, start=1):
        pos = index * 10
        if isinstance(child, SegmentRef):
            if seen.get(child.seg_id) == "loop":
                raise SpecError(f"{where}: segment {child.seg_id} beside a loop of that id")
            seen[child.seg_id] = "segment"
            _segment_xml(parent, child.seg_id, child.required, child.max_use, pos, dictionary, ids)
            continue
        first = child.children[0] if child.children else None
        if not isinstance(first, SegmentRef) or first.seg_id != child.loop_id:
            raise SpecError(f"{where}: loop {child.loop_id} must start with its own segment")
        if not first.required or first.max_use != "1":
            raise SpecError(f"{where}: loop {child.loop_id} must start with '{child.loop_id} M 1'")
        if child.loop_id in seen:
            raise SpecError(f"{where}: two children named {child.loop_id}")
        seen[child.loop_id] = "loop"
        name = dictionary.segments[child.loop_id].name
        loop = _sub(
            parent,
            "loop",
            xid=child.loop_id,
            name=f"{name} loop",
            usage=_usage(child.required),
            pos=str(pos),
            repeat=child.repeat,
        )
        _body_xml(loop, child.children, dictionary, ids, f"{where}/{child.loop_id}")


def _map_xml(layout: Layout, dictionary: Dictionary, ids: _Ids) -> ET.Element:
    root = ET.Element(
        "transaction", xid=layout.set_id, name=f"{layout.name} (X12 {layout.version})"
    )

    def loop(parent: ET.Element, xid: str, name: str, pos: int) -> ET.Element:
        return _sub(
            parent,
            "loop",
            xid=xid,
            name=name,
            usage="R",
            pos=str(pos),
            repeat=">1",
            type="explicit",
        )

    isa_loop = loop(root, "ISA_LOOP", "Interchange Control Header", 1)
    _segment_xml(isa_loop, "ISA", True, "1", 10, dictionary, ids)
    gs_loop = loop(isa_loop, "GS_LOOP", "Functional Group Header", 20)
    _segment_xml(gs_loop, "GS", True, "1", 10, dictionary, ids)
    st_loop = loop(gs_loop, "ST_LOOP", "Transaction Set Header", 20)
    _body_xml(st_loop, layout.body, dictionary, ids, layout.source)
    _segment_xml(gs_loop, "GE", True, "1", 30, dictionary, ids)
    _segment_xml(isa_loop, "IEA", True, "1", 30, dictionary, ids)
    return root


def _document(root: ET.Element, source: str) -> str:
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f"<!-- Generated by adapters.formats.x12.mapgen from {source}; do not edit. -->\n"
        f"{body}\n"
    )


def map_file_name(set_id: str, version: str) -> str:
    return f"{set_id}.{version}.xml"


def generate(spec_dir: Path = SPEC_DIR) -> dict[str, str]:
    """Every generated file: name -> content."""
    specs = _read_specs(spec_dir)
    ids = _Ids(specs)
    out: dict[str, str] = {}
    maps = ET.Element("maps")
    routes: dict[str, list[Layout]] = {}
    for layout in specs.layouts:
        dictionary = specs.dictionaries[layout.version]
        name = map_file_name(layout.set_id, layout.version)
        out[name] = _document(_map_xml(layout, dictionary, ids), f"specs/{layout.source}")
        for icvn in INTERCHANGE_VERSIONS[layout.version]:
            routes.setdefault(icvn, []).append(layout)
    for icvn in sorted(routes):
        route = _sub(maps, "version", icvn=icvn)
        for layout in routes[icvn]:
            entry = _sub(
                route, "map", vriic=layout.version, fic=layout.functional_id, abbr=layout.set_id
            )
            entry.text = map_file_name(layout.set_id, layout.version)
    out["maps.xml"] = _document(maps, "specs/*-<version>.txt")
    elements = ET.Element("data_elements")
    for (label, version_id), ident in sorted(ids.element_ids.items()):
        if ident == label and version_id != next(iter(ids.element_defs[label])):
            continue  # shared by every version: written once
        element = ids.element_defs[label][version_id]
        _sub(
            elements,
            "data_ele",
            ele_num=ident,
            data_type=element.data_type,
            min_len=str(element.min_len),
            max_len=str(element.max_len),
            name=element.name,
        )
    out["dataele.xml"] = _document(elements, "specs/elements-<version>.txt")
    codesets = ET.Element("codesets")
    for ident, code_list in sorted(ids.code_lists.items()):
        codeset = _sub(codesets, "codeset")
        _sub(codeset, "id").text = ident
        _sub(codeset, "name").text = code_list.name
        _sub(codeset, "data_ele").text = code_list.element
        codes = _sub(codeset, "version")
        for code in code_list.codes:
            _sub(codes, "code").text = code
    out["codes.xml"] = _document(codesets, "specs/codes.txt")
    return out


def stale_files(map_dir: Path = MAP_DIR, spec_dir: Path = SPEC_DIR) -> list[str]:
    """Generated files that are missing or differ from what the specs produce."""
    stale = []
    for name, content in generate(spec_dir).items():
        path = map_dir / name
        if not path.is_file() or path.read_text(encoding="utf-8") != content:
            stale.append(name)
    return sorted(stale)


def write(map_dir: Path = MAP_DIR, spec_dir: Path = SPEC_DIR) -> list[str]:
    """Write every generated file; returns the names of those that changed."""
    changed = []
    for name, content in generate(spec_dir).items():
        path = map_dir / name
        if not path.is_file() or path.read_text(encoding="utf-8") != content:
            path.write_text(content, encoding="utf-8")
            changed.append(name)
    return sorted(changed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only report stale files")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files()
        for name in stale:
            print(f"stale: {name}")
        return 1 if stale else 0
    for name in write():
        print(f"wrote {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
