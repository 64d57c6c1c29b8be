"""Syntax validation of transaction sets with pyx12's map walker, behind the gateway's own guard.

pyx12 brings the map model and the walker that places each segment in the X12 table (loops,
usage, maximum use and repeat, element lengths, types, codes, syntax notes). Its file reader
and 997/999 writer are not used: they stop at malformed input. Instead :class:`Pyx12Validator`
drives the walker one transaction set at a time, exactly as ``pyx12.x12n_document`` does per
segment, and turns every error into a :class:`~.findings.Finding` with the 997/999 codes.

This module is the :class:`~.validation.TransactionValidator` itself: which map a set needs, and
a map that cannot be loaded. The rest is one concern a module: :mod:`.pyx12_maps` loads maps
once and remembers walks and element checks per map, :mod:`.pyx12_walk` drives the walker
through a set, :mod:`.pyx12_guard` keeps pyx12 to input it can take and its crashes from
reaching a user, and :mod:`.pyx12_findings` turns pyx12's errors into findings. The names other
code has always imported from here (:data:`MAP_PATH`, :func:`normalize_version`,
:func:`pyx12_document_maps`) still are.

Findings dropped because the envelope reader already reports them: element findings on ST01,
ST02, SE01 and SE02 (set id, control number, segment count, control number match), and a
missing SE (``envelope.se_missing``). HL parent/child checks come from :mod:`.hierarchy`.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from .findings import Finding, Level, Severity
from .pyx12_guard import engine_failure, transaction_context
from .pyx12_maps import (
    MAP_CACHE,
    MAP_PATH,
    LoadedMap,
    find_map_file,
    normalize_version,
    pyx12_document_maps,
)
from .pyx12_walk import ROOT_LOOP, TransactionWalk
from .structure import TransactionSet
from .validation import LoopNode, ValidationResult

__all__ = ["MAP_PATH", "Pyx12Validator", "normalize_version", "pyx12_document_maps"]

logger = logging.getLogger(__name__)


class Pyx12Validator:
    """The gateway's :class:`~.validation.TransactionValidator` on pyx12 and our own maps."""

    def __init__(self, map_path: str | os.PathLike[str] | None = None) -> None:
        self.map_path = os.fspath(map_path) if map_path is not None else os.fspath(MAP_PATH)

    def map_file(self, transaction: TransactionSet) -> str | None:
        """The map for the set's id (ST01) and version (GS08); the GS08 decides, not ISA12."""
        try:
            return find_map_file(self.map_path, transaction.set_id, transaction.group.version)
        except Exception:
            logger.exception("looking up the map for a transaction set failed")
        return None

    def supports(self, transaction: TransactionSet) -> bool:
        return self.map_file(transaction) is not None

    def preload(self) -> None:
        """Load every map now rather than at the first transaction set that needs it (a daemon
        does this at start-up, so the first files wait for nothing)."""
        MAP_CACHE.known_segments(self.map_path)
        for entry in MAP_CACHE.index(self.map_path).maps:
            MAP_CACHE.load(self.map_path, str(entry["map_file"]), str(entry["vriic"]))

    def validate(self, transaction: TransactionSet) -> ValidationResult:
        context = transaction_context(transaction)
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
            loaded = MAP_CACHE.load(self.map_path, map_file, version)
            known = MAP_CACHE.known_segments(self.map_path).get(version, frozenset())
        except Exception as exc:
            logger.exception("loading map %s failed", map_file)
            failure = engine_failure(context, exc, None, None, "loading the map")
            return ValidationResult(LoopNode(ROOT_LOOP), [failure])
        return self.walk(transaction, loaded, known, context)

    def walk(
        self,
        transaction: TransactionSet,
        loaded: LoadedMap,
        known: frozenset[str],
        context: dict[str, Any],
    ) -> ValidationResult:
        """The set through its loaded map: pyx12's walker here, a compiled map in
        :class:`~.compiled.CompiledValidator`."""
        return TransactionWalk(transaction, loaded, known, context).run()
