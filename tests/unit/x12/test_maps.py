"""Our X12 maps: generated from the specs, loadable by pyx12, faithful to the standard tables."""

from __future__ import annotations

from typing import Any

import pytest
import pyx12.map_if
import pyx12.map_index
import pyx12.params

from adapters.formats.x12 import map_specs, mapgen
from adapters.formats.x12.map_specs import MAP_DIR, SPEC_DIR, SpecError

MAPS = {
    ("850", "004010"): "PO",
    ("855", "004010"): "PR",
    ("856", "004010"): "SH",
    ("997", "004010"): "FA",
    ("850", "005010"): "PO",
    ("855", "005010"): "PR",
    ("856", "005010"): "SH",
    ("997", "005010"): "FA",
    ("999", "005010"): "FA",
}


@pytest.fixture(scope="module")
def loaded() -> dict[tuple[str, str], Any]:
    params = pyx12.params.ParamsBase()
    return {
        key: pyx12.map_if.load_map_file(mapgen.map_file_name(*key), params, str(MAP_DIR))
        for key in MAPS
    }


def node(maps: dict[tuple[str, str], Any], key: tuple[str, str], path: str) -> Any:
    return maps[key].getnodebypath("/ISA_LOOP/GS_LOOP/ST_LOOP/" + path)


def usage(segment: Any) -> dict[str, str]:
    return {child.id: child.usage for child in segment.children}


def test_generated_files_are_up_to_date_with_the_specs() -> None:
    assert mapgen.stale_files() == [], "run: python -m adapters.formats.x12.mapgen"


def test_the_check_mode_reports_stale_files(tmp_path: Any) -> None:
    for name, content in mapgen.generate().items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    (tmp_path / "maps.xml").write_text("<maps/>", encoding="utf-8")
    (tmp_path / "codes.xml").unlink()
    assert mapgen.stale_files(tmp_path) == ["codes.xml", "maps.xml"]
    assert mapgen.write(tmp_path) == ["codes.xml", "maps.xml"]
    assert mapgen.stale_files(tmp_path) == []


def test_every_map_loads_in_pyx12(loaded: dict[tuple[str, str], Any]) -> None:
    for (set_id, version), root in loaded.items():
        assert root.id == set_id
        assert root.icvn == map_specs.INTERCHANGE_VERSIONS[version][-1]
        st_loop = root.getnodebypath("/ISA_LOOP/GS_LOOP/ST_LOOP")
        children = list(st_loop.childIterator())
        assert (children[0].id, children[-1].id) == ("ST", "SE")


@pytest.mark.parametrize(
    ("icvn", "version"), [("00400", "004010"), ("00401", "004010"), ("00501", "005010")]
)
def test_maps_xml_routes_by_isa12_gs08_and_gs01(icvn: str, version: str) -> None:
    index = pyx12.map_index.map_index(str(MAP_DIR))
    for (set_id, map_version), functional_id in MAPS.items():
        if map_version != version:
            continue
        entries = [
            m["map_file"]
            for m in index.maps
            if (m["icvn"], m["vriic"], m["fic"], m["abbr"])
            == (icvn, version, functional_id, set_id)
        ]
        assert entries == [mapgen.map_file_name(set_id, version)]
    assert index.get_filename(icvn, version, "PO") == f"850.{version}.xml"


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_mandatory_elements_of_the_beginning_segments(
    loaded: dict[tuple[str, str], Any], version: str
) -> None:
    beg = usage(node(loaded, ("850", version), "BEG"))
    assert [k for k, v in beg.items() if v == "R"] == ["BEG01", "BEG02", "BEG03", "BEG05"]
    bak = usage(node(loaded, ("855", version), "BAK"))
    assert [k for k, v in bak.items() if v == "R"] == ["BAK01", "BAK02", "BAK03", "BAK04"]
    bsn = usage(node(loaded, ("856", version), "BSN"))
    assert [k for k, v in bsn.items() if v == "R"] == ["BSN01", "BSN02", "BSN03", "BSN04"]
    hl = usage(node(loaded, ("856", version), "HL/HL"))
    assert hl == {"HL01": "R", "HL02": "S", "HL03": "R", "HL04": "S"}
    sn1 = usage(node(loaded, ("856", version), "HL/SN1"))
    assert [k for k, v in sn1.items() if v == "R"] == ["SN102", "SN103"]
    po1 = node(loaded, ("850", version), "PO1/PO1")
    assert len(po1.children) == 25 and all(v == "S" for v in usage(po1).values())
    assert "C0302" not in po1.syntax  # syntax notes are parsed lists
    assert ["P", 6, 7] in po1.syntax
    assert usage(node(loaded, ("850", version), "CTT/CTT"))["CTT01"] == "R"


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_loops_and_usage(loaded: dict[tuple[str, str], Any], version: str) -> None:
    po = loaded["850", version]
    assert node(loaded, ("850", version), "BEG").usage == "R"
    assert node(loaded, ("850", version), "PO1").usage == "R"
    assert node(loaded, ("850", version), "PO1").get_max_repeat() == 100000
    assert node(loaded, ("850", version), "CTT").usage == "S"
    assert node(loaded, ("850", version), "N1").get_max_repeat() == 200
    assert node(loaded, ("850", version), "PO1/N1/N1").usage == "R"
    assert node(loaded, ("856", version), "HL").get_max_repeat() == 200000
    assert node(loaded, ("855", version), "PO1/ACK").get_max_repeat() == 104
    # MSG is in the 850 N9 loop in 004010 and, for real partners, in 005010 too.
    assert node(loaded, ("850", version), "N9/MSG").usage == "S"
    assert po.getnodebypath("/ISA_LOOP/GS_LOOP/ST_LOOP/CUR").get_max_repeat() == 1


def test_element_types_and_lengths_per_version(loaded: dict[tuple[str, str], Any]) -> None:
    for version in ("004010", "005010"):
        dtm = {c.id: c for c in node(loaded, ("850", version), "DTM").children}
        assert (dtm["DTM02"].data_type, dtm["DTM02"].min_len, dtm["DTM02"].max_len) == ("DT", 8, 8)
        assert (dtm["DTM03"].data_type, dtm["DTM03"].min_len, dtm["DTM03"].max_len) == ("TM", 4, 8)
        ctt = node(loaded, ("850", version), "CTT/CTT").children[0]
        assert ctt.data_type == "N0"
        po1 = node(loaded, ("850", version), "PO1/PO1").children
        assert (po1[1].data_type, po1[3].data_type) == ("R", "R")
    ref4 = node(loaded, ("850", "004010"), "REF").children[1]
    ref5 = node(loaded, ("850", "005010"), "REF").children[1]
    assert (ref4.max_len, ref5.max_len) == (30, 50)
    st5 = node(loaded, ("850", "005010"), "ST")
    assert [c.id for c in st5.children] == ["ST01", "ST02", "ST03"]


def test_code_lists_are_external_so_segments_match_by_id(
    loaded: dict[tuple[str, str], Any],
) -> None:
    beg01 = node(loaded, ("850", "004010"), "BEG").children[0]
    assert beg01.valid_codes == [] and beg01.external_codes == "353"
    assert loaded["850", "004010"].ext_codes.isValid("353", "00")
    ak403 = {v: node(loaded, ("997", v), "AK2/AK3/AK4").children[2] for v in ("004010", "005010")}
    assert ak403["004010"].external_codes == "723.004010"
    assert loaded["997", "005010"].ext_codes.isValid(ak403["005010"].external_codes, "13")
    assert not loaded["997", "004010"].ext_codes.isValid(ak403["004010"].external_codes, "13")


def test_999_has_the_generic_segments(loaded: dict[tuple[str, str], Any]) -> None:
    key = ("999", "005010")
    assert node(loaded, key, "AK1").usage == "R"
    assert node(loaded, key, "AK2/IK3/CTX").get_max_repeat() == 10
    assert node(loaded, key, "AK2/IK3/IK4/IK4").usage == "R"
    assert node(loaded, key, "AK2/IK5").usage == "R"
    assert node(loaded, key, "AK9").usage == "R"
    ctx01 = node(loaded, key, "AK2/IK3/CTX").children[0]
    assert ctx01.is_composite() and ctx01.repeat == 10


def test_known_segments_cover_every_segment_of_the_layouts() -> None:
    known = map_specs.load_known_segments()
    assert set(known) == {"004010", "005010"}
    assert {"BEG", "MSG", "HL", "AK1"} <= known["004010"]
    assert {"IK3", "IK4", "IK5", "CTX", "MTX"} <= known["005010"]
    assert "XYZ" not in known["004010"]
    for path in SPEC_DIR.glob("[0-9]*-*.txt"):
        version = path.stem.split("-")[1]
        layout = map_specs.parse_layout(path.read_text(), path.name, version)
        stack: list[Any] = list(layout.body)
        while stack:
            item = stack.pop()
            if isinstance(item, map_specs.LoopRef):
                stack.extend(item.children)
            else:
                assert item.seg_id in known[version], (path.name, item.seg_id)


@pytest.mark.parametrize(
    ("parse", "text", "message"),
    [
        (map_specs.parse_elements, "353 XX 2 2 Purpose", "bad element definition"),
        (map_specs.parse_elements, "353 ID 3 2 Purpose", "bad lengths"),
        (map_specs.parse_elements, "353 ID 2 2", "expected 'number type min max name'"),
        (lambda t, s: map_specs.parse_segments(t, s, {}), "BEG x\n  01 353 M", "undefined element"),
        (lambda t, s: map_specs.parse_segments(t, s, {}), "BEG x\n  02 - M AN 1 2", "out of order"),
        (lambda t, s: map_specs.parse_segments(t, s, {}), "BEG x\n  01 - Q AN 1 2", "M or O"),
        (lambda t, s: map_specs.parse_segments(t, s, {}), "BEG x\n  01 - M*1 AN 1 2", "repeat"),
        (lambda t, s: map_specs.parse_segments(t, s, {}), "BEG x\n  syntax Q0102", "syntax note"),
        (lambda t, s: map_specs.parse_layout(t, s, "004010"), "ST M 1", "transaction"),
        (
            lambda t, s: map_specs.parse_layout(t, s, "004010"),
            "transaction 850 PO x\nST M 1",
            "ends",
        ),
        (
            lambda t, s: map_specs.parse_layout(t, s, "004010"),
            "transaction 850 PO x\nloop N1 O 2",
            "loop",
        ),
        (
            lambda t, s: map_specs.parse_layout(t, s, "004010"),
            "transaction 850 PO x\nST M 0",
            "count",
        ),
        (map_specs.parse_codes, "  00 01", "before any"),
        (map_specs.parse_known_segments, "  BEG", "before any"),
    ],
)
def test_spec_mistakes_are_reported_with_file_and_line(parse: Any, text: str, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        parse(text, "spec.txt")


def test_a_loop_must_start_with_its_own_segment(tmp_path: Any) -> None:
    for path in SPEC_DIR.glob("*.txt"):
        (tmp_path / path.name).write_text(path.read_text())
    layout = tmp_path / "997-004010.txt"
    layout.write_text(
        layout.read_text().replace("loop AK3 O >1\n    AK3  M 1", "loop AK3 O >1\n    AK4  O 99")
    )
    with pytest.raises(SpecError, match="must start with its own segment"):
        mapgen.generate(tmp_path)
