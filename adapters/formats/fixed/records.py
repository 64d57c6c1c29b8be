"""A fixed-width file read into documents by its layout (:class:`~.mapping.Layout`): each line
a record, its type read at the tag's columns, nested under the nearest open record of its
parent's type; a record of a type without a parent starts a new document.

Whatever does not fit the layout is a :class:`Problem` naming the line: a line too long or too
short, an unknown tag, a record outside its parent, too few or too many records of a type. A
problem inside a document is the document's (it is not translated); one outside any is the
file's. Lines are read one at a time, and each document is handed over as soon as it ends: no
list of the file's lines or records is made, and a document keeps at most :data:`PROBLEMS`.
A document is held whole to be translated, so one of more records than ``bound`` (when given)
is refused (``fixed.too_large``): its records are let go and the lines up to the next document
passed over, never held. Only ``\n`` and ``\r\n`` end a line (a Latin-1 ``\x85`` is a
character of a record).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from .mapping import Layout, Record, RecordLayout


@dataclass(frozen=True, slots=True)
class Problem:
    line: int | None
    """The line it is about (1 = the first); None: the file as a whole."""
    message: str
    code: str = "fixed.layout"


PROBLEMS = 100
"""Problems a document keeps at most (a hostile file can hold millions); the others are
counted in :attr:`Document.left_off`."""


@dataclass(slots=True)
class Document:
    root: Record
    last_line: int
    problems: list[Problem] = field(default_factory=list)
    left_off: int = 0

    def add(self, problems: list[Problem]) -> None:
        if not problems:
            return
        room = max(PROBLEMS - len(self.problems), 0)
        self.problems += problems[:room]
        self.left_off += len(problems[room:])


def read_documents(
    text: Iterable[str], layout: Layout, bound: int | None = None
) -> Iterator[Document | Problem]:
    """The documents of the lines of ``text`` (each with its ``\n`` or ``\r\n``, as
    :class:`~adapters.formats.charset.TextLines` hands them out), in order, each with its
    problems, and the problems outside any document, as they are found; ``bound``: the records
    a document may hold (None: any number)."""
    children = layout.children_of()
    known = ", ".join(layout.records)
    tag_columns = slice(layout.tag.start - 1, layout.tag.end)
    sizes = {tag: (spec.length, layout.pads(spec)) for tag, spec in layout.records.items()}
    nested = {
        tag: (spec.parent, spec.max, spec.length, layout.pads(spec))
        for tag, spec in layout.records.items()
        if spec.parent is not None
    }
    holds = {tag: bool(types) for tag, types in children.items()}
    headers_of = {tag for tag, spec in layout.records.items() if spec.parent is None}
    headers: dict[str, int] = {}
    document: Document | None = None
    open_records: list[Record] = []
    limit = -1 if bound is None else bound  # the records a document may hold
    held = 0
    for number, line in enumerate(text, start=1):
        if line.endswith("\n"):
            line = line[:-2] if line.endswith("\r\n") else line[:-1]
        if not line or line.isspace():
            continue
        tag = line[tag_columns].strip()
        if held == limit and document is not None and tag not in headers_of:
            if open_records:  # past the bound: the document let go, its lines passed over
                document.add([_too_large(document, number, held)])
                document.root.children, open_records = [], []
            document.last_line = number
            continue
        held += 1
        if document is not None and tag in nested:  # the commonest: a record that fits
            parent_tag, most, length, pads = nested[tag]
            parent = open_records[-1]
            sibling = parent.tag != parent_tag  # of a record of a type that holds none?
            if sibling and len(open_records) > 1 and not holds[parent.tag]:
                parent = open_records[-2]
            count = parent.counts.get(tag, 0) + 1
            fits = len(line) == length or (pads and len(line) < length)
            if parent.tag == parent_tag and fits and (most is None or count <= most):
                if sibling:
                    open_records.pop()
                parent.counts[tag] = count
                record = Record(tag, number, line)
                parent.children.append(record)
                open_records.append(record)
                document.last_line = number
                continue
        spec = layout.records.get(tag)
        problems: list[Problem] = []
        if spec is None:
            problems.append(
                Problem(number, f"unknown record tag {tag!r} in {layout.tag} (known: {known})")
            )
        elif spec.parent is None:
            if document is not None:
                document.add(_close(open_records, children))
                yield document
            record = Record(tag, number, line)
            document, open_records, held = Document(record, number), [record], 1
            headers[tag] = headers.get(tag, 0) + 1
            if spec.max is not None and headers[tag] > spec.max:
                problems.append(
                    Problem(
                        number,
                        f"{tag} record is the {_nth(headers[tag])} in the file, "
                        f"expected at most {spec.max}",
                    )
                )
        else:
            problems += _nest(number, line, tag, spec, open_records, children)
        if spec is not None:
            length, pads = sizes[tag]
            if len(line) > length or (len(line) < length and not pads):
                problems.append(_length(number, line, tag, length))
        if document is None:
            yield from problems
            continue
        document.last_line = number
        if problems:
            document.add(problems)
    if document is not None:
        document.add(_close(open_records, children))
        yield document
    for tag, spec in layout.records.items():
        count = headers.get(tag, 0)
        if spec.parent is None and count < spec.min:
            expected = f"expected at least {spec.min}"
            yield Problem(None, f"{count} {tag} record(s) in the file, {expected}")


def _nest(
    number: int,
    line: str,
    tag: str,
    spec: RecordLayout,
    open_records: list[Record],
    children: dict[str, list[tuple[str, RecordLayout]]],
) -> list[Problem]:
    """Puts the record under the nearest open record of its parent's type (closing the ones
    above that); the problems it makes."""
    top = len(open_records) - 1
    problems: list[Problem] = []
    if top >= 0 and open_records[top].tag == spec.parent:
        pass  # the first record under the last one
    elif (
        top >= 1
        and open_records[top - 1].tag == spec.parent
        and not children[open_records[top].tag]
    ):
        del open_records[top]  # the commonest: after a sibling of a type that holds none
    else:
        for depth in range(top, -1, -1):
            if open_records[depth].tag == spec.parent:
                break
        else:
            return [Problem(number, f"{tag} record outside a {spec.parent} record (its parent)")]
        problems = _close(open_records[depth + 1 :], children)
        del open_records[depth + 1 :]
    parent = open_records[-1]
    count = parent.counts[tag] = parent.counts.get(tag, 0) + 1
    if spec.max is not None and count > spec.max:
        problems.append(
            Problem(
                number,
                f"{tag} record is the {_nth(count)} under the {parent.tag} record of "
                f"line {parent.line}, expected at most {spec.max}",
            )
        )
    record = Record(tag, number, line)
    parent.children.append(record)
    open_records.append(record)
    return problems


def _close(
    records: list[Record], children: dict[str, list[tuple[str, RecordLayout]]]
) -> list[Problem]:
    """The records ending here that hold fewer records than their types need."""
    problems: list[Problem] = []
    for record in records:
        for tag, spec in children[record.tag]:
            count = record.counts.get(tag, 0)
            if count < spec.min:
                problems.append(
                    Problem(
                        record.line,
                        f"{record.tag} record holds {count} {tag} record(s), "
                        f"expected at least {spec.min}",
                    )
                )
    return problems


def _too_large(document: Document, number: int, held: int) -> Problem:
    """The problem of a document whose record at line ``number`` passes the ``held`` it may
    have."""
    root = document.root
    return Problem(
        root.line,
        f"the {root.tag} document that begins here holds more than {held:,} records (line "
        f"{number} passes them): a fixed-width document is read whole, and one this large is "
        "refused; its lines up to the next document are passed over",
        "fixed.too_large",
    )


def _length(number: int, line: str, tag: str, length: int) -> Problem:
    how = "long" if len(line) > length else "short"
    return Problem(number, f"{tag} record too {how}: {len(line)} characters, expected {length}")


def _nth(count: int) -> str:
    suffix = "th" if 10 <= count % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(count % 10, "th")
    return f"{count}{suffix}"
