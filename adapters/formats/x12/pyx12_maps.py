"""pyx12 maps: which one a transaction set needs, loaded once per process, and what is remembered
per loaded map.

Loading a map is slow (its XML, the data element dictionary, the code lists), so
:data:`MAP_CACHE` keeps every map it loads, with the index (``maps.xml``) and the known segment
ids of each map directory; :func:`find_map_file` looks a set's map up once per ST01 and GS08.

Work is not repeated either: the walk of a transaction set depends on nothing but its sequence
of segment ids, and pyx12's element checks of a segment on nothing but its map node and content,
so both are remembered per loaded map (a bounded number of each, see :class:`Trace` and
:class:`ElementCheck`) and replayed when they recur, which small files from one partner and the
cartons of an 856 do all the time.
"""

from __future__ import annotations

import contextlib
import functools
import re
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyx12.map_if
import pyx12.map_index
import pyx12.params

from .map_specs import INTERCHANGE_VERSIONS, MAP_DIR, SPEC_DIR, load_known_segments
from .structure import FUNCTIONAL_IDS

MAP_PATH = MAP_DIR
"""The directory holding our maps, ``maps.xml``, ``dataele.xml`` and ``codes.xml`` (pyx12's
``map_path=``)."""


@contextlib.contextmanager
def pyx12_document_maps() -> Iterator[str]:
    """A directory for pyx12's own ``x12n_document`` (benchmarks and comparisons only): our maps
    plus pyx12's envelope (control) maps, which that function also loads, linked side by side."""
    pyx12_maps = Path(pyx12.map_if.__file__).parents[1] / "map"
    with tempfile.TemporaryDirectory() as tmp:
        for source in [*Path(MAP_PATH).glob("*.xml"), *pyx12_maps.glob("x12.control.*.xml")]:
            (Path(tmp) / source.name).symlink_to(source)
        yield tmp


@functools.lru_cache(maxsize=256)
def normalize_version(gs08: str) -> str | None:
    """``004010VICS``, ``005010X231A1``, ``4010`` -> ``004010`` / ``005010``; None if unusable
    (worked out once per GS08: each transaction set asks)."""
    match = re.match(r"\d+", gs08.strip())
    digits = match.group() if match else ""
    if len(digits) >= 6:
        return digits[:6]
    if len(digits) == 5 and digits.startswith("00"):
        return digits + "0"
    if len(digits) == 4:
        return "00" + digits
    return None


# -- what a loaded map remembers ----------------------------------------------------------------


ELEMENT_CHECKS_PER_MAP = 4096
"""How many segment contents' element checks each loaded map remembers (oldest go first)."""


@dataclass(frozen=True, slots=True)
class ElementCheck:
    """What pyx12's element checks said about one segment content at one map node.

    ``errors`` pairs each of pyx12's element errors with the repetition it is about (None for
    the first); ``noted`` is true when handing the content to pyx12 produced findings of our
    own (repetitions, components), which are then produced again for each occurrence.
    """

    errors: tuple[tuple[Any, int | None], ...]
    noted: bool


TRACED_SEGMENTS = 1000
"""Transaction sets up to this many segments have their walk through the map remembered."""
TRACES_PER_MAP = 256
"""How many walks (distinct sequences of segment ids) each loaded map remembers."""


@dataclass(frozen=True, slots=True)
class Trace:
    """The map walker's way through one sequence of segment ids, from a fresh walker at GS.

    pyx12's walker places a segment by its id alone (it is handed no element values), so the
    whole walk of a transaction set depends on nothing but its sequence of segment ids.
    ``nodes[i]`` is the map node the segment at position ``i + 1`` was placed at (None: not
    placed); ``errors`` holds, by position, the walker's errors for that segment, each with the
    walker's count for its node at that moment (what codes 4 and 5 report). ``walk`` is the
    walker's method that took this way: a trace is only good for that same walker.
    """

    nodes: tuple[Any, ...]
    errors: dict[int, tuple[tuple[Any, int], ...]]
    walk: Any


@dataclass(slots=True)
class LoadedMap:
    """A loaded pyx12 map and what the validator derives from it once."""

    root: Any
    gs_node: Any
    version: str
    segment_ids: frozenset[str]
    chains: dict[int, tuple[tuple[Any, ...], bool]] = field(default_factory=dict)
    """id(segment node) -> (loops from the ST loop down, is the loop's first segment)."""
    element_checks: dict[tuple[Any, ...], ElementCheck] = field(default_factory=dict)
    """(id(segment node), separators, element texts) -> its element check.

    pyx12's element checks depend on nothing but the map node and the segment's content, and
    the same contents recur all the time (``SE*5*0001``, ``SN1**12*EA``, a partner's N1/N3/N4),
    so they are run once per distinct content; at most :data:`ELEMENT_CHECKS_PER_MAP` are kept.
    """
    traces: dict[tuple[str, ...], Trace] = field(default_factory=dict)
    """Segment ids of a transaction set -> the walk through this map (see :class:`Trace`)."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def remember(self, key: tuple[Any, ...], check: ElementCheck) -> None:
        with self.lock:
            bounded_put(self.element_checks, key, check, ELEMENT_CHECKS_PER_MAP)

    def remember_trace(self, tags: tuple[str, ...], trace: Trace) -> None:
        with self.lock:
            bounded_put(self.traces, tags, trace, TRACES_PER_MAP)

    def chain(self, node: Any) -> tuple[tuple[Any, ...], bool]:
        key = id(node)
        cached = self.chains.get(key)
        if cached is None:
            loops: list[Any] = []
            parent = node.parent
            while parent is not None and parent.is_loop() and parent.id != "ST_LOOP":
                loops.append(parent)
                parent = parent.parent
            cached = (tuple(reversed(loops)), bool(node.is_first_seg_in_loop()))
            self.chains[key] = cached
        return cached


def bounded_put(cache: dict[Any, Any], key: Any, value: Any, limit: int) -> None:
    """``cache[key] = value``, forgetting the oldest entry first when ``limit`` is reached."""
    if len(cache) >= limit:
        del cache[next(iter(cache))]
    cache[key] = value


# -- loading ------------------------------------------------------------------------------------


class MapCache:
    """Loaded maps per map directory; loading is slow, so it happens once per process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._indexes: dict[str, Any] = {}
        self._maps: dict[tuple[str, str], LoadedMap] = {}
        self._known: dict[str, dict[str, frozenset[str]]] = {}
        self._params = pyx12.params.ParamsBase()

    def index(self, map_path: str) -> Any:
        with self._lock:
            index = self._indexes.get(map_path)
            if index is None:
                index = self._indexes[map_path] = pyx12.map_index.map_index(map_path)
            return index

    def known_segments(self, map_path: str) -> dict[str, frozenset[str]]:
        with self._lock:
            known = self._known.get(map_path)
            if known is None:
                spec_dir = Path(map_path) / "specs"
                known = load_known_segments(spec_dir if spec_dir.is_dir() else SPEC_DIR)
                self._known[map_path] = known
            return known

    def load(self, map_path: str, map_file: str, version: str) -> LoadedMap:
        with self._lock:
            loaded = self._maps.get((map_path, map_file))
            if loaded is None:
                root = pyx12.map_if.load_map_file(map_file, self._params, map_path)
                gs_node = root.getnodebypath("/ISA_LOOP/GS_LOOP/GS")
                st_loop = root.getnodebypath("/ISA_LOOP/GS_LOOP/ST_LOOP")
                ids = frozenset(
                    node.id for node in st_loop.loop_segment_iterator() if node.is_segment()
                )
                loaded = LoadedMap(root, gs_node, version, ids)
                self._maps[map_path, map_file] = loaded
            return loaded


MAP_CACHE = MapCache()


@functools.lru_cache(maxsize=1024)
def find_map_file(map_path: str, set_id: str, gs08: str) -> str | None:
    """The map file for a set id (ST01) and version (GS08) in ``map_path``, looked up once per
    map directory, ST01 and GS08; None when there is none. The GS08 decides, not ISA12."""
    version = normalize_version(gs08)
    functional_id = FUNCTIONAL_IDS.get(set_id)
    if version is None or functional_id is None or version not in INTERCHANGE_VERSIONS:
        return None
    icvn = INTERCHANGE_VERSIONS[version][-1]
    for entry in MAP_CACHE.index(map_path).maps:
        if (
            entry["icvn"] == icvn
            and entry["vriic"] == version
            and entry["fic"] == functional_id
            and entry["abbr"] == set_id
        ):
            return str(entry["map_file"])
    return None
