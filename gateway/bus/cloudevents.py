"""CloudEvents 1.0 envelopes (structured JSON mode) around canonical messages.

The AMQP body is the whole event as JSON (content type ``application/cloudevents+json``): the
CloudEvents attributes, and the canonical message as ``data``. A few of the same facts also go in
AMQP headers (:data:`HEADER_KEYS`) so a consumer or a headers exchange can route without parsing
the body; they are conveniences, the body is authoritative.

The pipeline publishes a document :func:`stamped` with what the gateway knows of its arrival: its
envelope's ``received_at`` and ``correlation_id`` (the event's ``correlationid``). A message is
serialized in a parse worker, before either is known: the stamp goes into its JSON text, and its
``document_id``, which depends on neither, stays.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from pydantic import AwareDatetime, BaseModel, TypeAdapter

from ..messages.parts import PART_ITEMS, MessageInParts, items_of, split
from ..schemas import schema_id

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/cloudevents+json"
DATA_CONTENT_TYPE = "application/json"
DEFAULT_SOURCE = "edi-gateway"
EVENT_TYPE = "edi.in.{kind}"

HEADER_KEYS = ("event_type", "partner", "kind", "message_type", "document_id", "correlation_id")
"""The AMQP headers :func:`cloud_event` returns (all strings)."""

_SUBJECT_FIELDS = (
    "invoice_number",
    "po_number",
    "shipment_id",
    "group_control_number",
    "interchange_control_number",
)
"""Business id of a document, by field name, first found wins: Invoice -> invoice_number (not the
PO it bills), PurchaseOrder and PurchaseOrderAck -> po_number, ShipNotice -> shipment_id,
FunctionalAck -> the acknowledged group's control number, InterchangeAck -> the acknowledged
ISA13."""


def event_type(kind: str) -> str:
    """``edi.in.<kind>``, e.g. ``edi.in.850`` (kind = ST01, or ``ta1``)."""
    return EVENT_TYPE.format(kind=kind.lower())


def subject_of(message: BaseModel) -> str | None:
    """The document's business id (PO number, shipment id, acknowledged control number)."""
    for name in _SUBJECT_FIELDS:
        value = getattr(message, name, None)
        if isinstance(value, str) and value:
            return value
    return None


def _text_attribute(message: BaseModel | MessageInParts, name: str) -> str:
    value = getattr(message, name, None)
    if not isinstance(value, str) or not value:
        raise TypeError(f"{type(message).__name__} has no {name}: not a canonical message")
    return value


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_TIMES: Final = TypeAdapter(AwareDatetime)
_UNSTAMPED: Final = '"received_at":null,"correlation_id":null'
"""How an envelope not stamped yet ends, as JSON text (both keys appear once in an envelope)."""


@dataclass(frozen=True, slots=True)
class SerializedMessage:
    """What the CloudEvent of a canonical message takes from it, the message already as JSON:
    made where the message was parsed (a parse worker), so that the daemon neither unpickles
    the model nor serializes it again. :func:`cloud_event` gives the same bytes for it as for
    the message itself. Its envelope is kept apart, small, so that :meth:`stamped` can add
    what the gateway knows of the document's arrival without serializing the message again."""

    message_type: str
    document_id: str
    subject: str | None
    envelope: str | None
    """The message's ``envelope`` as compact JSON text; None for a model without one."""
    rest: str
    """The rest of the message's JSON (``model_dump_json``: compact, non-ASCII kept);
    for a message published in parts, the rest of its header (its split lists empty)."""
    chunks: tuple[str, ...] = ()
    """For a message published in parts (:mod:`gateway.messages.parts`): the entries of each
    part after the header, as JSON text; empty for a message published whole."""
    ahead: int = 0
    """For a message whose item parts were held as they were read
    (:class:`~gateway.messages.parts.MessageInParts`): how many (its events are the header's
    alone, :attr:`rest` the header; each part held becomes its event by :func:`later_part`)."""

    @classmethod
    def of(
        cls, message: BaseModel | MessageInParts, part_items: int = PART_ITEMS
    ) -> SerializedMessage:
        if isinstance(message, MessageInParts):
            header = dict(message.header)
            envelope = header.pop("envelope", None)
            return cls(
                message_type=_text_attribute(message, "message_type"),
                document_id=_text_attribute(message, "document_id"),
                subject=subject_of(message.head),
                envelope=None if envelope is None else _json(envelope),
                rest=_json(header),
                ahead=message.parts - 1,
            )
        message_type = _text_attribute(message, "message_type")
        document_id = _text_attribute(message, "document_id")
        subject = subject_of(message)
        own_envelope = message.__dict__.get("envelope")
        if items_of(message, message_type) <= part_items:  # published whole, as most are
            # pydantic writes the JSON json.dumps would (compact, non-ASCII kept), 25 times faster
            return cls(
                message_type=message_type,
                document_id=document_id,
                subject=subject,
                envelope=own_envelope.model_dump_json() if own_envelope is not None else None,
                rest=message.model_dump_json(exclude={"envelope"}),
            )
        data = message.model_dump(mode="json")
        envelope = data.pop("envelope", None)
        chunks = split(data, message_type, part_items) or []
        return cls(
            message_type=message_type,
            document_id=document_id,
            subject=subject,
            envelope=None if envelope is None else _json(envelope),
            rest=_json(data),
            chunks=tuple(_json(chunk) for chunk in chunks),
        )

    @property
    def parts(self) -> int:
        """How many messages it is published as: 1, or its header and each chunk (or each part
        held)."""
        return 1 + len(self.chunks) + self.ahead if self.chunks or self.ahead else 1

    @property
    def data(self) -> str:
        """The message as compact JSON text, its envelope first."""
        if self.envelope is None:
            return self.rest
        rest = self.rest[1:]
        return f'{{"envelope":{self.envelope}{"," if rest != "}" else ""}{rest}'

    def stamped(self, *, received_at: dt.datetime, correlation_id: str) -> SerializedMessage:
        """The message with the gateway's facts of its arrival in its envelope: when the file
        holding it was received, under which correlation id. Its ``document_id`` stays: neither
        is part of it."""
        if self.envelope is None:
            raise TypeError(f"a {self.message_type} has no envelope to stamp")
        moment = _TIMES.validate_python(received_at).astimezone(dt.UTC)  # naive: refused
        when = _TIMES.dump_python(moment, mode="json")
        if _UNSTAMPED in self.envelope:  # the usual envelope: 1 us instead of 20 with json
            facts = f'"received_at":{_json(when)},"correlation_id":{_json(correlation_id)}'
            return dataclasses.replace(self, envelope=self.envelope.replace(_UNSTAMPED, facts, 1))
        envelope = json.loads(self.envelope)
        envelope["received_at"] = when
        envelope["correlation_id"] = correlation_id
        return dataclasses.replace(self, envelope=_json(envelope))


def stamped(
    message: BaseModel | MessageInParts | SerializedMessage,
    *,
    received_at: dt.datetime,
    correlation_id: str,
) -> SerializedMessage:
    """``message`` (a canonical message or its :class:`SerializedMessage`) with its envelope's
    ``received_at`` and ``correlation_id`` set (see :meth:`SerializedMessage.stamped`)."""
    serialized = (
        message if isinstance(message, SerializedMessage) else SerializedMessage.of(message)
    )
    return serialized.stamped(received_at=received_at, correlation_id=correlation_id)


def format_time(moment: dt.datetime) -> str:
    """RFC 3339 in UTC with a ``Z``, as CloudEvents ``time`` wants it."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"CloudEvents times must be timezone-aware, got {moment!r}")
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def cloud_event(
    message: BaseModel | SerializedMessage,
    *,
    source: str | None = None,
    correlation_id: str,
    partner: str,
    kind: str,
    time: dt.datetime | None = None,
) -> tuple[bytes, dict[str, str]]:
    """The CloudEvent of ``message``: (body as UTF-8 JSON bytes, AMQP headers).

    ``message`` is a canonical message (:mod:`gateway.messages`): a pydantic model with
    ``document_id`` and ``message_type``, or its :class:`SerializedMessage`.

    Attributes: ``specversion`` 1.0; ``id`` = the stable document id (a redelivery or a replay
    carries the same id, so consumers can deduplicate on source + id); ``source`` = ``source``,
    by default ``edi-gateway/<partner>``; ``type`` = ``edi.in.<kind>``; ``subject`` =
    the business id when the message has one; ``time`` = ``time`` or now, in UTC;
    ``datacontenttype`` application/json; ``dataschema`` = the ``$id`` of the message's canonical
    JSON Schema; extension ``correlationid``; ``data`` = ``message.model_dump(mode="json")``.
    """
    serialized = (
        message if isinstance(message, SerializedMessage) else SerializedMessage.of(message)
    )
    name = serialized.message_type
    document_id = serialized.document_id
    etype = event_type(kind)
    event: dict[str, Any] = {
        "specversion": SPEC_VERSION,
        "id": document_id,
        "source": source if source is not None else f"{DEFAULT_SOURCE}/{partner}",
        "type": etype,
    }
    if serialized.subject is not None:
        event["subject"] = serialized.subject
    event["time"] = format_time(time or dt.datetime.now(dt.UTC))
    event["datacontenttype"] = DATA_CONTENT_TYPE
    event["dataschema"] = schema_id(name)
    event["correlationid"] = correlation_id
    # the attributes, then "data" last: what json.dumps(event with its data) writes, byte for byte
    body = f'{_json(event)[:-1]},"data":{serialized.data}}}'.encode()
    headers = {
        "event_type": etype,
        "partner": partner,
        "kind": kind.lower(),
        "message_type": name,
        "document_id": document_id,
        "correlation_id": correlation_id,
    }
    return body, headers


def cloud_events(
    message: BaseModel | SerializedMessage,
    *,
    source: str | None = None,
    correlation_id: str,
    partner: str,
    kind: str,
    time: dt.datetime | None = None,
) -> list[tuple[str, bytes, dict[str, str]]]:
    """The CloudEvents ``message`` is published as: (message id, body, AMQP headers) each.

    A message published whole is one event, :func:`cloud_event`'s, its message id the document
    id. One published in parts (:mod:`gateway.messages.parts`) is one event per part: ``id``
    and message id ``<document id>/<part>``, ``dataschema`` the DocumentPart schema, ``data``
    the :class:`~gateway.messages.parts.DocumentPart` (part 1: the header, stamped with the
    arrival), the CloudEvents extensions ``documentid``, ``part`` and ``parts`` and the AMQP
    headers ``part`` and ``parts`` besides the usual ones (``document_id`` the whole
    document's), so that a consumer can route and put them together without parsing more."""
    serialized = (
        message if isinstance(message, SerializedMessage) else SerializedMessage.of(message)
    )
    event = functools.partial(
        cloud_event,
        source=source,
        correlation_id=correlation_id,
        partner=partner,
        kind=kind,
        time=time,
    )
    if not serialized.chunks and not serialized.ahead:
        body, headers = event(serialized)
        return [(serialized.document_id, body, headers)]
    total = serialized.parts
    document_id = serialized.document_id
    common = (
        f'{{"message_type":"DocumentPart","document_id":{_json(document_id)},'
        f'"of":{_json(serialized.message_type)},"parts":{total},'
    )
    datas = [f'{common}"part":1,"header":{serialized.data}}}']  # the parts held: later_part
    datas += [
        f'{common}"part":{number},"entries":{chunk}}}'
        for number, chunk in enumerate(serialized.chunks, start=2)
    ]
    events = []
    for number, data in enumerate(datas, start=1):
        part_id = f"{document_id}/{number}"
        part = SerializedMessage("DocumentPart", part_id, serialized.subject, None, data)
        body, headers = event(part)
        extensions = f',"documentid":{_json(document_id)},"part":{number},"parts":{total}'
        body = body.replace(b',"data":', extensions.encode() + b',"data":', 1)
        headers = {**headers, "document_id": document_id, "part": str(number)}
        events.append((part_id, body, {**headers, "parts": str(total)}))
    return events


_DATA: Final = b',"data":'
_HEADER_DATA: Final = b'"part":1,"header":'


def later_part(
    header_body: bytes,
    header_headers: Mapping[str, str],
    number: int,
    entries: str | bytes | memoryview,
) -> tuple[str, bytes, dict[str, str]]:
    """The event of part ``number`` (2 and after) of a document whose item parts were held as
    they were read, its ``entries`` given (JSON text, or its UTF-8 bytes as the ledger holds
    them: a part is 4 MiB, written into the body once): (message id, body, AMQP headers), as
    :func:`cloud_events` makes them for a message split whole, from its header's event
    (``header_body``, ``header_headers``: part 1's, which :func:`cloud_events` made once the
    document was read to its end): the same attributes, its id ``<document id>/<number>``."""
    data_at = header_body.find(_DATA)
    common_end = header_body.find(_HEADER_DATA, data_at)
    document_id = header_headers["document_id"]
    attributes = header_body[:data_at]
    own_id, part_one = _json(f"{document_id}/1").encode(), b',"part":1,"parts":'
    if (
        data_at < 0
        or common_end < 0
        or attributes.count(part_one) != 1
        or b'"id":' + own_id not in attributes
    ):
        raise ValueError("not the event of a document's first part")
    part_id = f"{document_id}/{number}"
    attributes = attributes.replace(b'"id":' + own_id, b'"id":' + _json(part_id).encode(), 1)
    attributes = attributes.replace(part_one, f',"part":{number},"parts":'.encode(), 1)
    common = header_body[data_at + len(_DATA) : common_end]
    data = entries.encode() if isinstance(entries, str) else entries
    body = b"".join(
        (attributes, _DATA, common, f'"part":{number},"entries":'.encode(), data, b"}}")
    )
    return part_id, body, {**header_headers, "part": str(number)}


def event_body(
    *,
    event_id: str,
    event_type: str,
    partner: str,
    subject: str,
    correlation_id: str,
    data: dict[str, Any],
    time: dt.datetime | None = None,
) -> bytes:
    """The body of one of the gateway's own events (status events, notices): a CloudEvent in
    structured JSON mode, ``source`` ``edi-gateway/<partner>``, ``data`` as given."""
    event = {
        "specversion": SPEC_VERSION,
        "id": event_id,
        "source": f"{DEFAULT_SOURCE}/{partner}",
        "type": event_type,
        "subject": subject,
        "time": format_time(time or dt.datetime.now(dt.UTC)),
        "datacontenttype": DATA_CONTENT_TYPE,
        "correlationid": correlation_id,
        "data": data,
    }
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"), default=str).encode()
