"""Generate the pyx12 XML maps in ``maps/`` from the compact specs in ``maps/specs/``.

The specs (:mod:`.map_specs`, which describes their format) are the project's own, reviewable
statement of the X12 standard tables we validate against; the XML is what pyx12 loads (through
``map_path=``). Regenerate after editing a spec::

    python -m adapters.formats.x12.mapgen          # rewrite maps/*.xml
    python -m adapters.formats.x12.mapgen --check  # exit 1 when maps/*.xml are stale

Generated files: ``maps.xml`` (routing by ISA12, GS08, GS01), ``dataele.xml``, ``codes.xml``
and ``<set>.<version>.xml`` per layout. Map nodes get positions 10, 20, ... in spec order; the
validator relies on order only.
"""

from __future__ import annotations

import argparse
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

from .map_specs import (
    INTERCHANGE_VERSIONS,
    MAP_DIR,
    SPEC_DIR,
    CodeList,
    DataElement,
    Dictionary,
    ElementUse,
    Layout,
    LoopRef,
    SegmentRef,
    SpecError,
    Specs,
    read_specs,
)


class _Ids:
    """Ids for data elements and code lists that are shared by versions when identical."""

    def __init__(self, specs: Specs) -> None:
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
    specs = read_specs(spec_dir)
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
