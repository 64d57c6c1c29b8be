"""Syntax validation of transaction sets with pyx12's map walker, behind the gateway's own guard.

pyx12 brings the map model and the walker that places each segment in the X12 table (loops,
usage, maximum use and repeat, element lengths, types, codes, syntax notes). Its file reader
and 997/999 writer are not used: they stop at malformed input. Instead :class:`Pyx12Validator`
drives the walker one transaction set at a time, exactly as ``pyx12.x12n_document`` does per
segment, and turns every error into a :class:`~.findings.Finding` with the 997/999 codes.

The guard: nothing pyx12 raises escapes (it becomes a ``validation.engine_failure`` finding and
a logged traceback); segments pyx12 would choke on (bad ids, too many components, repetitions)
are reported here and handed over trimmed; every segment of the set is walked, or the set is
not reported valid.

Work is not repeated: the walk of a transaction set depends on nothing but its sequence of
segment ids, and pyx12's element checks of a segment on nothing but its map node and content, so
both are remembered per loaded map (a bounded number of each, see :class:`_Trace` and
:class:`_ElementCheck`) and replayed when they recur, which small files from one partner and the
cartons of an 856 do all the time.

Findings dropped because the envelope reader already reports them: element findings on ST01,
ST02, SE01 and SE02 (set id, control number, segment count, control number match), and a
missing SE (``envelope.se_missing``). HL parent/child checks come from :mod:`.hierarchy`.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pyx12.map_if
import pyx12.map_index
import pyx12.params
import pyx12.segment
from pyx12.map_walker import walk_tree

from .findings import Finding, Level, Severity, quote
from .hierarchy import check_hierarchy
from .mapgen import INTERCHANGE_VERSIONS, MAP_DIR, SPEC_DIR, load_known_segments
from .segments import Segment
from .structure import FUNCTIONAL_IDS, TransactionSet
from .validation import LoopNode, ValidationResult

logger = logging.getLogger(__name__)

MAP_PATH = MAP_DIR
"""The directory holding our maps, ``maps.xml``, ``dataele.xml`` and ``codes.xml`` (pyx12's
``map_path=``)."""

SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}")
"""What an X12 segment id looks like; anything else is an unrecognized segment id."""
ENVELOPE_ELEMENTS = frozenset({"ST01", "ST02", "SE01", "SE02"})
"""Element checks the envelope reader owns; pyx12's findings on them are dropped."""
ROOT_LOOP = "ST"
"""``loop_id`` of the tree's root: the transaction set itself."""
_INLINE_LABEL = re.compile(r"[A-Z][A-Z0-9]{1,2}\d\d")
_PYX12_SYNTAX_PREFIX = re.compile(r"^Syntax Error \((\w+)\): ")
_SPARE_SEPARATOR = "\x1f"
"""Stands in for a component separator we were not given (it cannot occur in X12 data)."""


@contextlib.contextmanager
def pyx12_document_maps() -> Iterator[str]:
    """A directory for pyx12's own ``x12n_document`` (benchmarks and comparisons only): our maps
    plus pyx12's envelope (control) maps, which that function also loads, linked side by side."""
    pyx12_maps = Path(pyx12.map_if.__file__).parents[1] / "map"
    with tempfile.TemporaryDirectory() as tmp:
        for source in [*Path(MAP_PATH).glob("*.xml"), *pyx12_maps.glob("x12.control.*.xml")]:
            (Path(tmp) / source.name).symlink_to(source)
        yield tmp


def normalize_version(gs08: str) -> str | None:
    """``004010VICS``, ``005010X231A1``, ``4010`` -> ``004010`` / ``005010``; None if unusable."""
    match = re.match(r"\d+", gs08.strip())
    digits = match.group() if match else ""
    if len(digits) >= 6:
        return digits[:6]
    if len(digits) == 5 and digits.startswith("00"):
        return digits + "0"
    if len(digits) == 4:
        return "00" + digits
    return None


# -- map cache ----------------------------------------------------------------------------------


ELEMENT_CHECKS_PER_MAP = 4096
"""How many segment contents' element checks each loaded map remembers (oldest go first)."""


@dataclass(frozen=True, slots=True)
class _ElementCheck:
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
class _Trace:
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
class _LoadedMap:
    """A loaded pyx12 map and what the validator derives from it once."""

    root: Any
    gs_node: Any
    version: str
    segment_ids: frozenset[str]
    chains: dict[int, tuple[tuple[Any, ...], bool]] = field(default_factory=dict)
    """id(segment node) -> (loops from the ST loop down, is the loop's first segment)."""
    element_checks: dict[tuple[Any, ...], _ElementCheck] = field(default_factory=dict)
    """(id(segment node), separators, element texts) -> its element check.

    pyx12's element checks depend on nothing but the map node and the segment's content, and
    the same contents recur all the time (``SE*5*0001``, ``SN1**12*EA``, a partner's N1/N3/N4),
    so they are run once per distinct content; at most :data:`ELEMENT_CHECKS_PER_MAP` are kept.
    """
    traces: dict[tuple[str, ...], _Trace] = field(default_factory=dict)
    """Segment ids of a transaction set -> the walk through this map (see :class:`_Trace`)."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def remember(self, key: tuple[Any, ...], check: _ElementCheck) -> None:
        with self.lock:
            _bounded_put(self.element_checks, key, check, ELEMENT_CHECKS_PER_MAP)

    def remember_trace(self, tags: tuple[str, ...], trace: _Trace) -> None:
        with self.lock:
            _bounded_put(self.traces, tags, trace, TRACES_PER_MAP)

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


def _bounded_put(cache: dict[Any, Any], key: Any, value: Any, limit: int) -> None:
    """``cache[key] = value``, forgetting the oldest entry first when ``limit`` is reached."""
    if len(cache) >= limit:
        del cache[next(iter(cache))]
    cache[key] = value


class _MapCache:
    """Loaded maps per map directory; loading is slow, so it happens once per process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._indexes: dict[str, Any] = {}
        self._maps: dict[tuple[str, str], _LoadedMap] = {}
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

    def load(self, map_path: str, map_file: str, version: str) -> _LoadedMap:
        with self._lock:
            loaded = self._maps.get((map_path, map_file))
            if loaded is None:
                root = pyx12.map_if.load_map_file(map_file, self._params, map_path)
                gs_node = root.getnodebypath("/ISA_LOOP/GS_LOOP/GS")
                st_loop = root.getnodebypath("/ISA_LOOP/GS_LOOP/ST_LOOP")
                ids = frozenset(
                    node.id for node in st_loop.loop_segment_iterator() if node.is_segment()
                )
                loaded = _LoadedMap(root, gs_node, version, ids)
                self._maps[map_path, map_file] = loaded
            return loaded


_CACHE = _MapCache()


# -- the validator ------------------------------------------------------------------------------


class Pyx12Validator:
    """The gateway's :class:`~.validation.TransactionValidator` on pyx12 and our own maps."""

    def __init__(self, map_path: str | os.PathLike[str] | None = None) -> None:
        self.map_path = os.fspath(map_path) if map_path is not None else os.fspath(MAP_PATH)

    def map_file(self, transaction: TransactionSet) -> str | None:
        """The map for the set's id (ST01) and version (GS08); the GS08 decides, not ISA12."""
        try:
            return _map_file(self.map_path, transaction.set_id, transaction.group.version)
        except Exception:
            logger.exception("looking up the map for a transaction set failed")
        return None

    def supports(self, transaction: TransactionSet) -> bool:
        return self.map_file(transaction) is not None

    def preload(self) -> None:
        """Load every map now rather than at the first transaction set that needs it (a daemon
        does this at start-up, so the first files wait for nothing)."""
        _CACHE.known_segments(self.map_path)
        for entry in _CACHE.index(self.map_path).maps:
            _CACHE.load(self.map_path, str(entry["map_file"]), str(entry["vriic"]))

    def validate(self, transaction: TransactionSet) -> ValidationResult:
        context = _context(transaction)
        map_file = self.map_file(transaction)
        if map_file is None:
            finding = Finding(
                code="validation.no_map",
                message=(
                    f"no implementation map for transaction set {context['transaction_set_id']} "
                    f"in version {transaction.group.version.strip() or '(none)'}; "
                    "its content was not validated"
                ),
                level=Level.TRANSACTION,
                severity=Severity.WARNING,
                **context,
            )
            return ValidationResult(LoopNode(ROOT_LOOP), [finding])
        version = normalize_version(transaction.group.version) or ""
        try:
            loaded = _CACHE.load(self.map_path, map_file, version)
            known = _CACHE.known_segments(self.map_path).get(version, frozenset())
        except Exception as exc:
            logger.exception("loading map %s failed", map_file)
            failure = _engine_failure(context, exc, None, None, "loading the map")
            return ValidationResult(LoopNode(ROOT_LOOP), [failure])
        return _Walk(transaction, loaded, known, context).run()


@functools.lru_cache(maxsize=1024)
def _map_file(map_path: str, set_id: str, gs08: str) -> str | None:
    """:meth:`Pyx12Validator.map_file`, looked up once per map directory, ST01 and GS08."""
    version = normalize_version(gs08)
    functional_id = FUNCTIONAL_IDS.get(set_id)
    if version is None or functional_id is None or version not in INTERCHANGE_VERSIONS:
        return None
    icvn = INTERCHANGE_VERSIONS[version][-1]
    for entry in _CACHE.index(map_path).maps:
        if (
            entry["icvn"] == icvn
            and entry["vriic"] == version
            and entry["fic"] == functional_id
            and entry["abbr"] == set_id
        ):
            return str(entry["map_file"])
    return None


def _context(transaction: TransactionSet) -> dict[str, Any]:
    try:
        return {
            "interchange": transaction.interchange.control_number.strip() or None,
            "group": transaction.group.control_number.strip() or None,
            "transaction": transaction.control_number or None,
            "transaction_set_id": transaction.set_id or None,
        }
    except Exception:  # a transaction without segments: keep what we can
        return {"interchange": None, "group": None, "transaction": None, "transaction_set_id": None}


def _engine_failure(
    context: dict[str, Any],
    exc: BaseException,
    position: int | None,
    segment: Segment | None,
    doing: str,
) -> Finding:
    return Finding(
        code="validation.engine_failure",
        message=(
            f"the validation engine failed while {doing}: {type(exc).__name__}: {exc}; "
            "the transaction set could not be fully validated"
        ),
        level=Level.SEGMENT if segment is not None else Level.TRANSACTION,
        segment_id=segment.tag if segment is not None else None,
        segment_position=position,
        file_position=segment.position if segment is not None else None,
        **context,
    )


class _Walk:
    """One transaction set through the map walker: findings and the loop tree."""

    def __init__(
        self,
        transaction: TransactionSet,
        loaded: _LoadedMap,
        known: frozenset[str],
        context: dict[str, Any],
    ) -> None:
        self.tx = transaction
        self.map = loaded
        self.known = known
        self.context = context
        self.segments: list[Segment] = []
        """The segments walked: the set's own, and a stand-in SE when it has none."""
        self.findings: list[Finding] = []
        self.root = LoopNode(ROOT_LOOP)
        self.stack: list[tuple[Any, LoopNode]] = [(None, self.root)]
        separators = transaction.segments[0].separators if transaction.segments else None
        component = separators.component if separators is not None else ""
        self.component = component if len(component) == 1 else _SPARE_SEPARATOR
        repetition = separators.repetition if separators is not None else None
        self.repetition = repetition if repetition and len(repetition) == 1 else None

    # -- driving -------------------------------------------------------------------------------

    def run(self) -> ValidationResult:
        segments = list(self.tx.segments)
        synthetic_se: int | None = None
        if not segments or segments[-1].tag != "SE":
            # The reader reports the missing SE; walking a stand-in flushes missing segments.
            control = segments[0].get(2) if segments else ""
            segments.append(Segment("SE", [str(len(segments) + 1), control]))
            synthetic_se = len(segments)
        self.segments = segments
        tags = tuple(segment.tag for segment in segments)
        traced = len(tags) <= TRACED_SEGMENTS
        walk = walk_tree.walk_errors
        trace = self.map.traces.get(tags) if traced else None
        if trace is not None and trace.walk is not walk:
            trace = None  # pyx12's walker was replaced (tests do that) since this trace was made
        walker: Any = None
        nodes: list[Any] = []
        errors: dict[int, tuple[tuple[Any, int], ...]] = {}
        if trace is None:
            walker = walk_tree()
            walker.forceWalkCounterToLoopStart("/ISA_LOOP/GS_LOOP", "/ISA_LOOP/GS_LOOP/GS")
        node = self.map.gs_node
        walked = 0
        saw_hl = False
        for position, segment in enumerate(segments, start=1):
            try:
                if trace is not None:
                    found = trace.nodes[position - 1]
                    met = trace.errors.get(position, ())
                else:
                    found, met = self._walk(walker, node, position, segment)
                    nodes.append(found)
                    if met:
                        errors[position] = met
                node = self._segment(found, met, node, position, segment)
            except Exception as exc:
                logger.exception(
                    "pyx12 failed on segment %s at position %d of transaction set %s",
                    segment.tag,
                    position,
                    self.context["transaction"],
                )
                self.findings.append(
                    _engine_failure(self.context, exc, position, segment, "walking the map")
                )
                break
            walked += 1
            saw_hl = saw_hl or segment.tag == "HL"
        if trace is None and traced and walked == len(segments):
            self.map.remember_trace(tags, _Trace(tuple(nodes), errors, walk))
        if walked < len(segments) and not any(
            f.code == "validation.engine_failure" for f in self.findings
        ):  # pragma: no cover - defensive: the loop above walks every segment or records why not
            stopped = RuntimeError("not every segment was walked")
            self.findings.append(_engine_failure(self.context, stopped, None, None, "walking"))
        findings = self.findings
        if synthetic_se is not None:
            kept = (self._after_synthetic_se(f, synthetic_se) for f in findings)
            findings = [f for f in kept if f is not None]
        if saw_hl and "HL" in self.map.segment_ids:
            findings = _merge(findings, self._hierarchy())
        return ValidationResult(self.root, findings)

    def _hierarchy(self) -> list[Finding]:
        try:
            return check_hierarchy(self.tx)
        except Exception as exc:
            logger.exception("the HL hierarchy check failed")
            return [_engine_failure(self.context, exc, None, None, "checking the HL hierarchy")]

    @staticmethod
    def _after_synthetic_se(finding: Finding, position: int) -> Finding | None:
        if finding.segment_position != position:
            return finding
        if finding.segment_id == "SE":
            return None  # about the stand-in SE itself
        return replace(finding, segment_position=None, file_position=None)

    def _walk(
        self, walker: Any, node: Any, position: int, segment: Segment
    ) -> tuple[Any, tuple[tuple[Any, int], ...]]:
        """Where the walker places the segment (None: nowhere), and the errors on its way there,
        each with the walker's count for the error's node (codes 4 and 5 report it)."""
        if not SEGMENT_ID.fullmatch(segment.tag):
            return None, ()
        found, _, _, errors = walker.walk_errors(
            node, self._data(segment.tag), position, segment.position, None
        )
        counted = ("4", "5")
        return found, tuple(
            (e, walker.counter.get_count(e.map_node.x12path))
            if e.err_cde in counted and e.map_node is not None
            else (e, 0)
            for e in errors
        )

    def _data(self, tag: str) -> Any:
        """An empty pyx12 segment with id ``tag``."""
        data = pyx12.segment.Segment(None, "~", "*", self.component)
        data.seg_id = tag  # the walker places a segment by its id alone (no qualifier codes)
        return data

    def _segment(
        self,
        found: Any,
        errors: tuple[tuple[Any, int], ...],
        node: Any,
        position: int,
        segment: Segment,
    ) -> Any:
        """Report one walked segment and check its elements; returns the node to go on from."""
        tag = segment.tag
        if not SEGMENT_ID.fullmatch(tag):
            self._unrecognized(position, segment)
            return node
        for error, count in errors:
            self._segment_error(error, count, position, segment, node)
        if found is None:
            return node
        self._place(found, position)
        key = (id(found), self.component, self.repetition, *segment.elements)
        check = self.map.element_checks.get(key)
        if check is None:
            check = self._check_elements(found, position, segment)
            if check is None:
                return found
            self.map.remember(key, check)
        elif check.noted:
            self._elements(found, self._data(tag), position, segment)  # for its findings
        for error, repetition in check.errors:
            finding = self._element_error(error, position, segment, repetition)
            if finding is not None:
                self.findings.append(finding)
        return found

    def _check_elements(self, node: Any, position: int, segment: Segment) -> _ElementCheck | None:
        """Run pyx12's element checks on the segment; None when pyx12 failed (reported)."""
        data = self._data(segment.tag)
        before = len(self.findings)
        extra = self._elements(node, data, position, segment)
        noted = len(self.findings) > before
        try:
            errors: list[tuple[Any, int | None]] = [
                (e, None) for e in node.is_valid_errors(data)[1]
            ]
            for number, child, value in extra:
                errors += [(e, number) for e in child.is_valid_errors(value)[1]]
        except Exception as exc:
            tag = segment.tag
            logger.exception("pyx12 failed validating the elements of %s", tag)
            self.findings.append(
                _engine_failure(self.context, exc, position, segment, f"checking {tag} elements")
            )
            return None
        return _ElementCheck(tuple(errors), noted)

    def _elements(
        self, node: Any, data: Any, position: int, segment: Segment
    ) -> list[tuple[int, Any, Any]]:
        """Hand pyx12 the elements in a shape it can take, reporting what it cannot.

        pyx12 knows neither repetitions nor composites with more components than defined (it
        crashes on those). Each element's first repetition goes in the segment; further allowed
        repetitions come back as (repetition number, map node, value) to validate on their own.
        """
        composite = pyx12.segment.Composite
        component = self.component
        repetition = self.repetition
        children = node.children
        extra: list[tuple[int, Any, Any]] = []
        values: list[Any] = []
        for index, raw in enumerate(segment.elements):
            child = children[index] if index < len(children) else None
            parts = [raw]
            if repetition is not None and repetition in raw:
                parts = raw.split(repetition)
                allowed = _repeat(child)
                if len(parts) > allowed:
                    self._too_many_repetitions(position, segment, index + 1, raw, allowed)
            value = composite(parts[0], component)
            if child is not None:
                self._check_components(child, value, position, segment, index + 1, parts[0])
                for number, part in enumerate(parts[1 : _repeat(child)], start=2):
                    more = composite(part, component)
                    self._check_components(child, more, position, segment, index + 1, part)
                    extra.append((number, child, more if child.is_composite() else more[0]))
            values.append(value)
        data.elements = values
        return extra

    # -- the loop tree -------------------------------------------------------------------------

    def _place(self, node: Any, position: int) -> None:
        loops, first = self.map.chain(node)
        stack = self.stack
        depth = 0
        while depth < len(loops) and depth + 1 < len(stack) and stack[depth + 1][0] is loops[depth]:
            depth += 1
        if first and loops and depth == len(loops):
            depth -= 1  # the loop's first segment again: a new instance of that loop
        del stack[depth + 1 :]
        for loop in loops[depth:]:
            instance = LoopNode(loop.id)
            stack[-1][1].children.append(instance)
            stack.append((loop, instance))
        stack[-1][1].segments.append(position)

    # -- segment findings ----------------------------------------------------------------------

    def _finding(self, code: str, message: str, level: Level, **where: Any) -> Finding:
        return Finding(
            code=code, message=message, level=level, transaction_code="5", **self.context, **where
        )

    def _unrecognized(self, position: int, segment: Segment) -> None:
        shown = segment.tag if segment.tag else "(empty)"
        self.findings.append(
            self._finding(
                "syntax.segment_unrecognized",
                f"segment id {quote(shown)} is not an X12 segment id (two or three capital letters "
                "or digits, starting with a letter); the segment was skipped",
                Level.SEGMENT,
                segment_id=segment.tag[:3] or None,
                segment_position=position,
                file_position=segment.position,
                found=segment.tag,
                segment_code="1",
            )
        )

    def _segment_error(
        self, error: Any, count: int, position: int, segment: Segment, current: Any
    ) -> None:
        code = error.err_cde
        node = error.map_node
        if code == "3" and node is not None:
            loops, first = self.map.chain(node)
            loop_id = loops[-1].id if loops else None
            if first and loops and str(error.err_str).startswith("Mandatory loop"):
                message = (
                    f"mandatory loop {loop_id} is missing: its first segment {node.id} "
                    f"({node.name}) was expected before {segment.tag}"
                )
            else:
                message = (
                    f"mandatory segment {node.id} ({node.name}) is missing: "
                    f"it was expected before {segment.tag}"
                )
            self.findings.append(
                self._finding(
                    "syntax.segment_missing",
                    message,
                    Level.SEGMENT,
                    segment_id=node.id,
                    segment_position=error.seg_count,
                    # pyx12's src_line: the file position given with that segment, of this set
                    file_position=self.segments[error.seg_count - 1].position,
                    loop_id=loop_id,
                    expected=node.id,
                    found=segment.tag,
                    segment_code="3",
                )
            )
            return
        where = {
            "segment_id": segment.tag,
            "segment_position": position,
            "file_position": segment.position,
        }
        if code == "4" and node is not None:
            self.findings.append(
                self._finding(
                    "syntax.loop_over_max",
                    f"loop {node.id} occurs {count} times; the standard allows at most "
                    f"{node.get_max_repeat()}",
                    Level.SEGMENT,
                    loop_id=node.id,
                    expected=f"at most {node.get_max_repeat()}",
                    found=str(count),
                    segment_code="4",
                    **where,
                )
            )
        elif code == "5" and node is not None:
            loops, _ = self.map.chain(node)
            self.findings.append(
                self._finding(
                    "syntax.segment_over_max_use",
                    f"segment {node.id} ({node.name}) occurs {count} times here; the standard "
                    f"allows at most {node.get_max_repeat()}",
                    Level.SEGMENT,
                    loop_id=loops[-1].id if loops else None,
                    expected=f"at most {node.get_max_repeat()}",
                    found=str(count),
                    segment_code="5",
                    **where,
                )
            )
        elif code == "1":
            self.findings.append(self._not_found(segment, current, where))
        else:
            self.findings.append(
                self._finding(
                    "syntax.segment_unexpected",
                    str(error.err_str),
                    Level.SEGMENT,
                    segment_code="2",
                    **where,
                )
            )

    def _not_found(self, segment: Segment, current: Any, where: dict[str, Any]) -> Finding:
        """pyx12 could not place the segment: say why, with the 997/999 code that fits."""
        tag = segment.tag
        set_id = self.context["transaction_set_id"]
        after = f"after {current.id}" if current is not None and current.id != "GS" else "here"
        if tag in self.map.segment_ids:
            loops, _ = self.map.chain(current) if current is not None else ((), False)
            earlier = current is not None and any(
                child.is_segment() and child.id == tag
                for loop in (current.parent, *loops)
                if loop is not None and loop.is_loop()
                for child in loop.childIterator()
            )
            if earlier:
                return self._finding(
                    "syntax.segment_out_of_order",
                    f"segment {tag} is not in its proper place: it belongs before the segment "
                    f"it follows ({after})",
                    Level.SEGMENT,
                    segment_code="7",
                    **where,
                )
            return self._finding(
                "syntax.segment_unexpected",
                f"segment {tag} is defined in transaction set {set_id} but not at this point "
                f"({after})",
                Level.SEGMENT,
                segment_code="2",
                **where,
            )
        if tag in self.known:
            return self._finding(
                "syntax.segment_not_in_set",
                f"segment {tag} is an X12 {self.map.version} segment but not part of "
                f"transaction set {set_id}",
                Level.SEGMENT,
                segment_code="6",
                **where,
            )
        return self._finding(
            "syntax.segment_unrecognized",
            f"segment id {quote(tag)} is not a segment of X12 {self.map.version}",
            Level.SEGMENT,
            segment_code="1",
            **where,
        )

    # -- element findings ----------------------------------------------------------------------

    def _element_where(
        self, segment: Segment, position: int, element: int, component: int | None
    ) -> dict[str, Any]:
        label = f"{segment.tag}{element:02d}" + (f"-{component:02d}" if component else "")
        return {
            "segment_id": segment.tag,
            "segment_position": position,
            "file_position": segment.position,
            "element": label,
            "element_position": element,
            "component_position": component,
            "segment_code": "8",
        }

    def _too_many_repetitions(
        self, position: int, segment: Segment, element: int, value: str, allowed: int
    ) -> None:
        what = "is not a repeating element" if allowed == 1 else f"may repeat {allowed} times"
        self.findings.append(
            self._finding(
                "syntax.too_many_repetitions",
                f"{segment.tag}{element:02d} has {value.count(self.repetition or '') + 1} "
                f"repetitions ({quote(value)}) but {what}",
                Level.ELEMENT,
                expected="one value" if allowed == 1 else f"at most {allowed} repetitions",
                found=value,
                element_code="12",
                **self._element_where(segment, position, element, None),
            )
        )

    def _check_components(
        self, child: Any, value: Any, position: int, segment: Segment, element: int, raw: str
    ) -> None:
        """Components where the map has none, or more than the composite defines."""
        allowed = len(child.children) if child.is_composite() else 1
        if len(value) <= allowed:
            return
        surplus = value.elements[allowed:]
        value.elements = value.elements[:allowed]
        where = self._element_where(segment, position, element, None)
        if all(part.is_empty() for part in surplus):
            self.findings.append(
                Finding(
                    code="syntax.trailing_component_separator",
                    message=f"{child.id} ({child.name}) ends with component separators "
                    f"that separate nothing: {quote(raw)}",
                    level=Level.ELEMENT,
                    severity=Severity.WARNING,
                    found=raw,
                    **self.context,
                    **{**where, "segment_code": None},
                )
            )
            return
        what = f"a composite of {allowed} components" if allowed > 1 else "a simple element"
        self.findings.append(
            self._finding(
                "syntax.too_many_components",
                f"{child.id} ({child.name}) is {what} but has {len(value) + len(surplus)}: "
                f"{quote(raw)}",
                Level.ELEMENT,
                data_element=_data_element(child.data_ele),
                expected=f"at most {allowed} component(s)",
                found=raw,
                element_code="13",
                **where,
            )
        )

    def _element_error(
        self, error: Any, position: int, segment: Segment, repetition: int | None
    ) -> Finding | None:
        ele = error.map_node
        code = str(error.err_cde)
        text = str(error.err_str)
        value = error.err_val
        component: int | None = None
        if ele is not None:
            parent = ele.parent
            if parent is not None and parent.is_composite():
                element, component = int(parent.seq), int(ele.seq)
            else:
                element = int(ele.seq)
        else:
            element = _position_of(error.refdes, segment.tag)
        where = self._element_where(segment, position, element, component)
        where["repetition_position"] = repetition
        if where["element"] in ENVELOPE_ELEMENTS:
            return None
        ref = where["element"]
        name = ele.name if ele is not None else None
        label = f"{ref} ({name})" if name else ref
        extra: dict[str, Any] = {
            "data_element": _data_element(ele.data_ele if ele is not None else None)
        }
        severity = Severity.ERROR
        if code == "1":
            finding_code, message = "syntax.element_missing", f"{label} is mandatory but missing"
            if ele is None:  # a mandatory composite
                finding_code, message = "syntax.element_missing", _strip(text)
        elif code == "2":
            finding_code, message = "syntax.conditional_element_missing", _syntax_message(text)
        elif code == "3":
            count = len(segment.elements)  # pyx12 was given one value per element
            finding_code = "syntax.too_many_elements"
            message = (
                f"{segment.tag} has {count} elements; the standard defines {element - 1}, "
                f"so {ref} onwards should not be there"
            )
            extra.update(expected=f"at most {element - 1} elements", found=str(count))
        elif code == "4" and ele is not None:
            finding_code = "syntax.element_too_short"
            message = f"{label} is too short: {quote(value)} has {_characters(value)}"
            extra.update(expected=f"at least {ele.min_len} characters", found=value)
        elif code == "5" and ele is not None:
            finding_code = "syntax.element_too_long"
            message = f"{label} is too long: {quote(value)} has {_characters(value)}"
            extra.update(expected=f"at most {ele.max_len} characters", found=value)
        elif code == "6" and "trailing spaces" in text:
            finding_code = "syntax.trailing_spaces"
            message = f"{label} has trailing spaces, which X12 asks senders to suppress"
            severity = Severity.WARNING
            extra.update(found=value, segment_code=None)
        elif code == "6" and ele is not None and _only_foreign_letters(value, ele.data_type):
            finding_code = "syntax.non_ascii_text"
            message = (
                f"{label} holds characters outside the X12 character set ({quote(value)}); "
                "accepted as text, but a partner may not read them"
            )
            severity = Severity.WARNING
            extra.update(found=value, segment_code=None)
        elif code == "6" and ele is not None:
            finding_code = "syntax.invalid_character"
            kind = ele.data_type
            expected = {"N0": "digits", "R": "a decimal number"}.get(kind or "", "")
            if kind and kind.startswith("N") and not expected:
                expected = "digits"
            message = f"{label} contains a character not allowed in {kind} data: {quote(value)}"
            extra.update(expected=expected or f"{kind} characters", found=value)
        elif code == "7":
            finding_code = "syntax.invalid_code"
            message = f"{label}: {quote(value)} is not a valid code"
            extra.update(expected=_expected_codes(ele), found=value)
        elif code == "8":
            finding_code = "syntax.invalid_date"
            message = f"{label} is not a valid date: {quote(value)}"
            length = ele.max_len if ele is not None else 8
            extra.update(expected="CCYYMMDD" if length == 8 else "YYMMDD", found=value)
        elif code == "9":
            finding_code = "syntax.invalid_time"
            message = f"{label} is not a valid time: {quote(value)}"
            extra.update(expected="HHMM, HHMMSS or HHMMSSdd", found=value)
        elif code == "10":
            finding_code, message = "syntax.exclusion_violated", _syntax_message(text)
        else:
            finding_code, message = "syntax.element_invalid", _strip(text)
        return Finding(
            code=finding_code,
            message=message,
            level=Level.ELEMENT,
            severity=severity,
            transaction_code="5" if severity is Severity.ERROR else None,
            element_code=code if severity is Severity.ERROR else None,
            **self.context,
            **{**where, **extra},
        )


# -- helpers ------------------------------------------------------------------------------------


def _repeat(child: Any) -> int:
    """How often a map element or composite may repeat (1 when the map says nothing)."""
    if child is None:
        return 1
    limit = child.repeat if child.is_composite() else child.max_use
    try:
        return max(1, int(limit or 1))
    except (TypeError, ValueError):
        return 1


def _position_of(refdes: Any, tag: str) -> int:
    """Element position from pyx12's refdes for segment-level errors (``13``, ``CTP05``, 4)."""
    if isinstance(refdes, int):
        return refdes
    text = str(refdes or "")
    if text.startswith(tag):
        text = text[len(tag) :]
    match = re.match(r"\d+", text)
    return int(match.group()) if match else 0


def _data_element(label: Any) -> str | None:
    """The data element number of a map's ``data_ele`` (``127.005010`` -> ``127``)."""
    if not label:
        return None
    number = str(label).split(".", 1)[0]
    if _INLINE_LABEL.fullmatch(number) or number.startswith("C"):
        return None
    return number


def _expected_codes(ele: Any) -> str | None:
    if ele is None:
        return None
    key = ele.external_codes
    codes: Iterable[Any] = ele.valid_codes
    if key:
        try:
            codes = sorted(c for c in ele.root.ext_codes.codes[key]["codes"] if c)
        except Exception:
            codes = []
    listed = [str(c) for c in codes if c]
    if not listed:
        return None
    if len(listed) > 20:
        return f"one of {len(listed)} codes of element {_data_element(ele.data_ele)}"
    return "one of " + ", ".join(listed)


def _only_foreign_letters(value: str | None, data_type: str | None) -> bool:
    """Free text whose only offence is printable non-ASCII (``é``, ``ß``): tolerated."""
    if data_type != "AN" or not value:
        return False
    odd = [c for c in value if not (" " <= c <= "~")]
    return bool(odd) and all(c.isprintable() and ord(c) > 127 and c != "\ufffd" for c in odd)


def _characters(value: str | None) -> str:
    count = len(value or "")
    return f"{count:,} character" + ("" if count == 1 else "s")


def _strip(text: str) -> str:
    return text.replace('"', "")


def _syntax_message(text: str) -> str:
    match = _PYX12_SYNTAX_PREFIX.match(text)
    if match:
        return f"syntax note {match.group(1)}: {text[match.end() :]}"
    return text


def _merge(findings: list[Finding], extra: list[Finding]) -> list[Finding]:
    """Add hierarchy findings that pyx12 did not already report for the same element."""
    seen = {(f.segment_position, f.element, f.element_code) for f in findings}
    return findings + [
        f for f in extra if (f.segment_position, f.element, f.element_code) not in seen
    ]
