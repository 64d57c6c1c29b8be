"""One huge document of a flat file read in parts, never held (issue 22, with issue 26's parts).

A CSV file of many orders streams a few hundred documents at a time; a file that is one order
of millions of rows does not: its rows are grouped and read into one message. A document whose
rows pass :data:`HUGE_ROWS` is read here instead, through the same field map, in flat memory:

- its envelope and the fields around its list from its first row, as ever;
- each item of its list (a row: ``each = "rows"``) read with the list's fields, validated as
  the list's item model, its JSON given to :class:`~gateway.messages.part_stream.PartChunks`
  and its canonical JSON to :class:`~gateway.messages.part_stream.OrderedDigest`: the item
  parts come out as they fill (:class:`~gateway.ports.PartAhead`, numbered from 2, keyed by
  the document's place in its file), for the stream to hold durably;
- at its end, the document: a :class:`~gateway.messages.parts.MessageInParts` header whose id
  and content digest are the whole message's (or the whole message, when it has no more items
  than a part).

Its outcome is the document read whole's: the same id and digest, and the same error when it
fails, found in the same order (:class:`DocumentInParts`): a field read before the list
(in the map's order), then the first item that cannot be read, then a field after the list,
then validation, whose first five problems are the whole message's (the items that fail
validated with the header in their own places). A document that fails gives no document; its
parts given already are forgotten by the core with its file's verdict.

Only a map it can read so (:meth:`ListInParts.of`): a message whose one split list
(:data:`~gateway.messages.parts.SPLIT_PATHS`, at the top) is read one item per node the format
cuts its document into as it reads (a row: ``each = "rows"``; a run of rows sharing a key:
``each = "rows by <column>"``), and nothing else reads more than the first row; a message
class without validators of its own (which could look at every item), unless they are vouched
for as reading its header alone (:data:`HEADER_VALIDATORS`). Any other document is read whole,
and only up to :data:`HUGE_ROWS` rows (records): past them a format refuses it
(``csv.too_large``, ``fixed.too_large``; :func:`whole_because` says why its map cannot read it
in parts), never holding more of it, and reads the file's other documents as usual.

:data:`HUGE_ROWS` and the items of a part can be set for tests and benches by
``EDIGW_TEST_HUGE_DOCUMENTS=<rows>,<items>``.
"""

from __future__ import annotations

import contextlib
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from pydantic import BaseModel, ValidationError

from gateway.errors import GatewayError
from gateway.messages import Envelope, Message, PartyId
from gateway.messages.identity import canonical_json
from gateway.messages.part_stream import OrderedDigest, PartChunks, huge_from
from gateway.messages.parts import PART_ITEMS, SPLIT_PATHS, MessageInParts
from gateway.ports.formats import ParsedDocument, PartAhead

from .field_code import FieldsReader
from .field_map import FieldSpec, MappingError, Paths, compiled, spec_of, where
from .mappings import MappedMessage, envelope_facts, mapped_parsed, message_class

SETTINGS_ENV: Final = "EDIGW_TEST_HUGE_DOCUMENTS"
HUGE_ROWS, HUGE_PART_ITEMS = huge_from(SETTINGS_ENV, 20_000)
"""Rows (records) a document read whole holds at most: past them it is read in parts where its
map allows, else refused; the items of each of its parts. 20,000 rows are a few MB of CSV or
fixed width and some 100 MB once read whole, well under the 150 MB a document may take (the
RSS a stream's read of one such document took, measured: a CSV ship notice 97 MB, a CSV
inventory advice 100 MB, fixed-width orders' lines 101 MB; about 5 kB a row)."""

HEADER_VALIDATORS: Final[Mapping[str, frozenset[str]]] = {
    "InventoryAdvice": frozenset({"_semantics", "_facility_first"}),
}
"""A message's validators read and vouched for as looking at its header alone (its fields
outside its split lists: ``semantics`` and ``action_code``; ``facility`` and ``parties``), by
message: its header validated with one item says what the whole message's validation says of
the header. A validator not named here (a new one too) makes its message read whole."""

KEPT_PROBLEMS: Final = 5
"""The validation problems a document's error names (as :func:`.mappings.document_reader`)."""
_LIST: Final = "\x00the list read in parts"
"""The path the list read in parts is read at by the map around it (:class:`_AroundTheList`)."""


class _ListReached(GatewayError):
    """The map's reader came to the list read in parts (never raised out of this module)."""


@dataclass(eq=False)
class _AroundTheList:
    """A format's paths (:class:`~.field_map.Paths`), and the list read in parts as a field
    that stops the map's reader there (:attr:`stop`), or reads nothing: the fields before the
    list are read, in the map's order, before its items, those after it once they are read."""

    paths: Paths
    stop: bool = True

    def texts(self, path: str) -> Callable[[Any], Sequence[str]]:
        return self.paths.texts(path)

    def first(self, path: str) -> Callable[[Any], str | None]:
        if path != _LIST:
            return self.paths.first(path)

        def the_list(node: Any) -> None:
            if self.stop:
                raise _ListReached
            return None

        return the_list

    def children(self, path: str) -> Callable[[Any], Sequence[Any]]:
        return self.paths.children(path)


@dataclass
class ListInParts:
    """How documents of one map are read in parts, in one file (its readers worked out once,
    as :func:`.mappings.document_reader`'s)."""

    format_kind: str
    mapping: MappedMessage
    partner: str | None
    paths: Paths
    message_type: type[Message]
    name: str
    """The list read in parts (``lines``)."""
    each: str
    """What its items are read at (``rows``, ``rows by line``): the format cuts its documents
    so as it reads them."""
    item_type: type[BaseModel]
    around: _AroundTheList
    fields_of: Callable[[Any], dict[str, Any]]
    item_of: Callable[[Any], dict[str, Any]]
    part_items: int = PART_ITEMS

    @classmethod
    def of(
        cls,
        format_kind: str,
        mapping: MappedMessage,
        partner: str | None,
        paths: Paths,
        cuts: Callable[[str], bool],
        part_items: int = PART_ITEMS,
    ) -> ListInParts | None:
        """The reader in parts of ``mapping``'s documents, its paths read as ``paths`` says,
        when their split list's items are read at nodes the format cuts its documents into as
        it reads (``cuts(each)``: ``rows``, ``rows by line``) and they can be read so (see the
        module's docstring); else None (they are read whole: :func:`whole_because`)."""
        found = _list_of(mapping, cuts)
        if isinstance(found, str):
            return None
        message_type, name, item_type = found
        try:
            each, around, fields_of, item_of = _readers(mapping, name, paths)
        except (KeyError, MappingError):  # each document fails, read whole
            return None
        return cls(
            format_kind,
            mapping,
            partner,
            paths,
            message_type,
            name,
            each,
            item_type,
            around,
            fields_of,
            item_of,
            part_items,
        )

    def begin(self, node: Any, key: str) -> DocumentInParts:
        """The document at ``node`` (its first row), its items to come; ``key`` its place in its
        file. :class:`MappingError` when its envelope or a field before its list cannot be
        read (as read whole)."""
        envelope = self._envelope(node)
        self.around.stop = True
        with contextlib.suppress(_ListReached):
            self.fields_of(node)
        self.around.stop = False
        document = DocumentInParts(self, envelope, key)
        try:
            document.values = self.fields_of(node)
        except MappingError as error:
            document.after = error  # said unless an item cannot be read
        return document

    def _envelope(self, node: Any) -> Envelope:
        """:func:`.mappings.document_reader`'s envelope of the document at ``node``."""
        spec = self.mapping.envelope
        facts = envelope_facts(spec, node, self.paths)
        if not facts["sender"] or not facts["receiver"]:
            raise MappingError(f"no sender or receiver ({spec.sender}, {spec.receiver})")
        return Envelope(
            partner=self.partner,
            format=self.format_kind,
            sender=PartyId(id=facts["sender"], qualifier=facts["sender_qualifier"]),
            receiver=PartyId(id=facts["receiver"], qualifier=facts["receiver_qualifier"]),
            interchange_reference=facts["interchange_reference"],
        )


def _readers(
    mapping: MappedMessage, name: str, paths: Paths
) -> tuple[str, _AroundTheList, FieldsReader, FieldsReader]:
    """What the list ``name`` is read at, and the readers of the map around it and of its
    items; :class:`KeyError` or :class:`MappingError` when the map's paths cannot be read so."""
    around = _AroundTheList(paths)
    specs = {
        key: (FieldSpec(path=_LIST) if key == name else s) for key, s in mapping.fields.items()
    }
    each = spec_of(mapping.fields[name]).each
    assert each is not None  # _list_of: read at the nodes the format cuts
    paths.children(each)  # a column it names, known
    return (
        each,
        around,
        compiled(specs, around),
        compiled(spec_of(mapping.fields[name]).fields or {}, paths),
    )


def whole_because(mapping: MappedMessage, cuts: Callable[[str], bool], paths: Paths) -> str:
    """Why :meth:`ListInParts.of` does not read ``mapping``'s documents in parts (for the
    finding that refuses one too large to read whole); '' when it does."""
    found = _list_of(mapping, cuts)
    if isinstance(found, str):
        return found
    try:
        _readers(mapping, found[1], paths)
    except KeyError as error:
        return str(error.args[0])
    except MappingError as error:
        return str(error)
    return ""


def _list_of(
    mapping: MappedMessage, cuts: Callable[[str], bool]
) -> tuple[type[Message], str, type[BaseModel]] | str:
    """The message, the split list ``mapping`` reads one item per node the format cuts its
    documents into (``cuts(each)``) and its item model, when it is the only list of the message
    it reads and nothing else reads more than its node's first row; else why not."""
    try:
        message_type = message_class(mapping.message)
    except ValueError:
        return f"{mapping.message} is no canonical message"
    kind = message_type.__name__
    lists = [p for p in SPLIT_PATHS.get(kind, ()) if "." not in p]
    decorators = message_type.__pydantic_decorators__
    unvouched = sorted(set(decorators.model_validators) - HEADER_VALIDATORS.get(kind, frozenset()))
    if unvouched or decorators.field_validators:
        shown = ", ".join([*unvouched, *decorators.field_validators])
        return f"{kind} has validators that may look at every item ({shown})"
    specs = mapping.fields
    named = [key for key in specs if key.split(".")[0] in lists]
    if len(named) != 1:
        split = ", ".join(SPLIT_PATHS.get(kind, ())) or "none"
        return f"it reads no one list {kind} is split along at its top (its lists: {split})"
    [name] = named
    each = spec_of(specs[name]).each
    if each is None or not cuts(each):
        return f'{name} is not read an item per row or run of rows (each = "{each}")'
    many = [key for key, spec in specs.items() if key != name and not _one_node(spec)]
    if many:
        return f"{', '.join(many)} read(s) more than the document's first row"
    annotation = message_type.model_fields[name].annotation
    [item] = typing.get_args(annotation) or [None]
    if not (isinstance(item, type) and issubclass(item, BaseModel)):
        return f"{kind}.{name} is no list of items"
    return message_type, name, item


def _one_node(spec: FieldSpec | str) -> bool:
    """Whether a field reads its node alone (no list, or a list of the node itself)."""
    field_spec = spec_of(spec)
    if field_spec.each is None:
        return True
    return field_spec.each == "this" and all(map(_one_node, (field_spec.fields or {}).values()))


@dataclass
class DocumentInParts:
    """One document read in parts (:meth:`ListInParts.begin`): its items given one by one
    (:meth:`add`), then :meth:`finish`."""

    reader: ListInParts
    envelope: Envelope
    key: str
    values: dict[str, Any] | None = None
    """The fields around the list (None: one after the list could not be read)."""
    after: MappingError | None = None
    """Why a field after the list could not be read."""
    count: int = 0
    """Items read so far."""
    failing: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    """The first items that fail validation: their index and values."""
    first: dict[str, Any] | None = None
    """The first item's values, when it is valid."""
    invalid: bool = False
    """Some item fails validation, or the header with the first item does."""
    head: Message | None = None
    digest: OrderedDigest | None = None
    chunks: PartChunks | None = None
    number: int = 1
    """The number of the last part given."""

    def add(self, node: Any) -> list[PartAhead]:
        """Read the next item at ``node``; the parts it completed. :class:`MappingError` when
        it cannot be read (the document fails: as read whole, its items are read on)."""
        values = self.reader.item_of(node)
        index = self.count
        self.count += 1
        if self.values is None:
            return []  # fails whatever comes, with the first item that cannot be read
        try:
            item = self.reader.item_type.model_validate(values)
        except ValidationError:
            self.invalid = True
            if len(self.failing) < KEPT_PROBLEMS:
                self.failing.append((index, values))
            self._drop_chunks()
            return []
        if self.invalid:
            return []
        if self.head is None and not self._begin(item, values):
            return []
        assert self.digest is not None and self.chunks is not None
        self.digest.item(self.reader.name, canonical_json(item.model_dump()))
        return self._ahead(self.chunks.add(self.reader.name, item))

    def finish(self) -> tuple[ParsedDocument, list[PartAhead]]:
        """The document and the parts its end completed; :class:`MappingError` when it fails
        (see the module's docstring)."""
        try:
            return self._finish()
        finally:
            self._drop_chunks()

    def _finish(self) -> tuple[ParsedDocument, list[PartAhead]]:
        reader = self.reader
        if self.after is not None:
            raise self.after
        assert self.values is not None
        if self.invalid or self.head is None:
            raise self._validation_error()
        chunks, digest = self.chunks, self.digest
        assert chunks is not None and digest is not None
        ahead = self._ahead(chunks.rest())
        message: Message | MessageInParts
        if chunks.whole:
            items = [reader.item_type.model_validate_json(t) for t in chunks.items(reader.name)]
            message = reader.message_type.model_validate(
                {**self.values, "envelope": self.envelope, reader.name: items}
            )
            head, in_parts = message, ""
        else:
            head = self.head
            head.__dict__["content_digest"] = digest.hexdigest()
            header = head.model_dump(mode="json")
            header[reader.name] = []
            message, in_parts = MessageInParts(head, header, 1 + chunks.chunks), self.key
        return mapped_parsed(reader.mapping.kind, head, message, in_parts), ahead

    def _begin(self, first: BaseModel, values: dict[str, Any]) -> bool:
        """The message's header, made at its first item (the digest begins with it); False
        when it is not valid (the document fails)."""
        reader = self.reader
        assert self.values is not None
        try:
            head = reader.message_type.model_validate(
                {**self.values, "envelope": self.envelope, reader.name: [first]}
            )
        except ValidationError:
            self.invalid = True
            self.first = values
            return False
        self.head = head
        lists = sorted(p for p in SPLIT_PATHS[reader.message_type.__name__] if "." not in p)
        fields = reader.message_type.model_fields
        content = head.model_dump(exclude={"envelope", "document_id", *lists})
        dropped = {name for name in lists if fields[name].exclude_if is not None}
        self.digest = OrderedDigest(content, lists, dropped_when_empty=dropped)
        self.chunks = PartChunks(reader.part_items)
        return True

    def _validation_error(self) -> MappingError:
        """:func:`.mappings.document_reader`'s error for the message: the header with the
        items that fail (or its first one) in their places."""
        reader = self.reader
        assert self.values is not None
        failing = self.failing
        if not failing and self.first is not None:  # valid items: the header's problems alone
            failing = [(0, self.first)]
        try:
            reader.message_type.model_validate(
                {
                    **self.values,
                    "envelope": self.envelope,
                    reader.name: [values for _, values in failing],
                }
            )
        except ValidationError as error:
            problems = []
            for problem in error.errors(include_url=False)[:KEPT_PROBLEMS]:
                location = list(problem["loc"])
                if len(location) > 1 and location[0] == reader.name:
                    location[1] = failing[int(location[1])][0]
                problems.append(
                    f"{'.'.join(str(p) for p in location)} "
                    f"({where(reader.mapping.fields, location) or 'the document'}): "
                    f"{problem['msg']}"
                )
            return MappingError("; ".join(problems))
        raise AssertionError("a document read in parts failed its validation, then passed it")

    def _ahead(self, chunks: list[str]) -> list[PartAhead]:
        ahead = []
        for chunk in chunks:
            self.number += 1
            ahead.append(PartAhead(self.key, self.number, chunk))
        return ahead

    def close(self) -> None:
        """Drop what it holds (its spooled items, if any)."""
        self._drop_chunks()

    def _drop_chunks(self) -> None:
        if self.chunks is not None:
            self.chunks.close()
            self.chunks = None
