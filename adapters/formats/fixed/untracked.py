"""A layout's paths read as :class:`~.mapping.FixedPaths` reads them, without noting in the node
what each field of a node's own record read (:attr:`~.mapping.FixedNode.reads`, for the place of
an error), those fields read in the field map's reader itself
(:class:`~adapters.formats.field_code.InlinePaths`): a file's documents are read with these, and
a document one of them cannot read is read again with :class:`~.mapping.FixedPaths`, whose
error names the lines its values came from (:class:`~.format.FixedParser`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .mapping import FixedNode, FixedPaths, Layout


@dataclass(frozen=True, eq=False)
class UntrackedPaths(FixedPaths):
    """:class:`~.mapping.FixedPaths` that note nothing; one per layout (:meth:`of`)."""

    @classmethod
    def of(cls, layout: Layout) -> UntrackedPaths:
        known = _UNTRACKED.get(id(layout))
        if known is None or known.layout is not layout:
            if len(_UNTRACKED) >= 64:  # mappings edited again and again: start again
                _UNTRACKED.clear()
            known = _UNTRACKED[id(layout)] = cls(layout)
        return known

    def first(self, path: str) -> Callable[[FixedNode], str | None]:
        tag = path.partition(".")[0]
        columns = self.layout.columns(path)
        sliced = slice(columns.start - 1, columns.end)

        def first(node: FixedNode) -> str | None:
            record = node.record
            if record.tag == tag:  # the commonest: a field of the node's own record
                return record.text[sliced].strip() or None
            for text in node.texts(path):
                if text:
                    return text
            return None

        return first

    @property
    def prologue(self) -> Sequence[str]:
        """The local of :meth:`first_source`: the node's record."""
        return ("record = node.record",)

    def first_source(self, path: str, source: str) -> str:
        """:meth:`first` as an expression: a field of the node's own record sliced from its
        line, any other asked of :meth:`first`'s reader (called ``source``)."""
        tag = path.partition(".")[0]
        columns = self.layout.columns(path)
        own = f"(record.text[{columns.start - 1}:{columns.end}].strip() or None)"
        return f"({own} if record.tag == {tag!r} else {source}(node))"


_UNTRACKED: dict[int, UntrackedPaths] = {}
