"""The narrow interface between the gateway and an X12 syntax validation engine.

Segments go in (one :class:`TransactionSet`); a loop tree and findings come out. The engine is
the compiled validator (``compiled/``: the maps compiled into walk plans and element checks),
which finds what pyx12's map walker (``pyx12_engine.py``, behind the gateway's own guard) finds,
at many times its speed; pyx12's walker stays as the reference it is tested against, and either
can be handed to the reader as its ``validator``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from .findings import Finding
from .structure import TransactionSet


@dataclass(slots=True)
class LoopNode:
    """A loop instance in a validated transaction set: its id, its segments' positions, children.

    ``segments`` holds positions within the transaction set (ST = 1) of the segments that belong
    directly to this loop instance.
    """

    loop_id: str
    segments: list[int] = field(default_factory=list)
    children: list[LoopNode] = field(default_factory=list)


@dataclass(slots=True)
class ValidationResult:
    tree: LoopNode
    """The set's loop tree; its root alone from a validator asked to leave the tree out
    (``CompiledValidator(loop_tree=False)``, the gateway's default: nothing reads it)."""
    findings: list[Finding]


class TransactionValidator(Protocol):
    """Validates the syntax of a transaction set against its implementation map."""

    def supports(self, transaction: TransactionSet) -> bool:
        """True when a map exists for this set id, version and functional group."""
        ...

    def validate(self, transaction: TransactionSet) -> ValidationResult: ...
