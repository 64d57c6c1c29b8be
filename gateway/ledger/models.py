"""The ledger's tables, all of them (alembic's migrations create exactly these).

Timestamps are timezone-aware UTC (:class:`UTCDateTime`); JSON columns hold small dicts (details,
AMQP headers; ``None`` is SQL NULL). States are stored as their string values (see
:mod:`gateway.ledger`). The module-level ``FILES``, ``DOCUMENTS``... are the tables.

Documents have a surrogate key: the stable ``document_id`` derived from the envelope is the same
when a partner sends a document again, and that second copy is recorded too (as a duplicate, or
as a new document once the duplicate window has passed).

(Over 400 lines: every table in one module, as the layout asks: one place to read the
schema the migrations create.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Json = dict[str, Any]

BigId = BigInteger().with_variant(Integer(), "sqlite")
"""64-bit keys; on SQLite an INTEGER PRIMARY KEY (the rowid) is 64-bit already, and counts up."""


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware datetime, stored in UTC; always read back aware, in UTC.

    SQLite has no time zones: values are stored as naive UTC text (which sorts and compares
    correctly). PostgreSQL stores ``timestamp with time zone``. Naive values are refused.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        """The usual processing (:meth:`process_bind_param`, then the dialect's own), with the
        last value remembered: the rows of one statement mostly share one time (``now``), and
        the conversion is most of what binding a ledger row costs."""
        convert = super().bind_processor(dialect)
        if convert is None:
            return None
        last: tuple[Any, Any] = (None, None)  # (value, converted), swapped as one object

        def process(value: Any) -> Any:
            nonlocal last
            seen, converted = last
            if value is seen and value is not None:
                return converted
            converted = convert(value)
            last = (value, converted)
            return converted

        return process

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"the ledger stores aware datetimes only, got naive {value!r}")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    """Declarations only: the ledger runs prebuilt Core statements on these tables."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - read by SQLAlchemy, never mutated
        dt.datetime: UTCDateTime(),
        Json: JSON(none_as_null=True),
        str: String(),
    }


class FileRecord(Base):
    """One received file, from its claim to its archive or quarantine."""

    __tablename__ = "files"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    partner: Mapped[str]
    name: Mapped[str]
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    work_path: Mapped[str]
    final_path: Mapped[str | None]
    state: Mapped[str] = mapped_column(String(20))
    correlation_id: Mapped[str]
    detail: Mapped[Json | None]
    received_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]

    __table_args__ = (
        Index("ix_files_partner_sha256_received_at", "partner", "sha256", "received_at"),
        Index("ix_files_work_path", "work_path"),
        Index("ix_files_state", "state"),
    )


class DocumentRecord(Base):
    """One transaction set (or interchange-level document) found in a file."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    document_id: Mapped[str]
    envelope_key: Mapped[str | None]
    """The id of the envelope references alone (both parties, control numbers): another
    document with the same key reuses those control numbers."""
    file_id: Mapped[int] = mapped_column(BigId, ForeignKey("files.id"))
    partner: Mapped[str]
    kind: Mapped[str]
    format: Mapped[str | None] = mapped_column(String(20))
    """The kind of format it was read in (``x12``...)."""
    interchange_ref: Mapped[str | None]
    """The document's own references, as its format gives them (X12: ISA13, GS06, ST02)."""
    group_ref: Mapped[str | None]
    transaction_ref: Mapped[str | None]
    business_key: Mapped[str | None]
    """What the document is in business terms (``PurchaseOrder:4500012345``): another document
    of the partner with the same key is the same order again, or a revision of it."""
    content_digest: Mapped[str | None] = mapped_column(String(64))
    """The digest of its canonical content (:func:`gateway.messages.content_digest`)."""
    state: Mapped[str] = mapped_column(String(20))
    correlation_id: Mapped[str]
    detail: Mapped[Json | None]
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]

    __table_args__ = (
        Index("ix_documents_partner_interchange_ref", "partner", "interchange_ref"),
        Index("ix_documents_partner_group_ref", "partner", "group_ref", "transaction_ref"),
        Index(  # partial, as the envelope key's
            "ix_documents_partner_business_key",
            "partner",
            "business_key",
            sqlite_where=text("business_key IS NOT NULL"),
            postgresql_where=text("business_key IS NOT NULL"),
        ),
        Index("ix_documents_document_id", "document_id"),
        Index(  # partial: keyless rows must not make the planner think a key matches many
            "ix_documents_envelope_key",
            "envelope_key",
            sqlite_where=text("envelope_key IS NOT NULL"),
            postgresql_where=text("envelope_key IS NOT NULL"),
        ),
        Index("ix_documents_file_id", "file_id"),
    )


class OutboxMessage(Base):
    """A message to publish, written in the same transaction as its document (the outbox)."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    message_id: Mapped[str]
    document_id: Mapped[str]
    document_pk: Mapped[int | None] = mapped_column(BigId, ForeignKey("documents.id"))
    partner: Mapped[str]
    exchange: Mapped[str]
    routing_key: Mapped[str]
    body: Mapped[bytes] = mapped_column(LargeBinary)
    headers: Mapped[Json]
    correlation_id: Mapped[str]
    state: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime]
    published_at: Mapped[dt.datetime | None]

    __table_args__ = (
        Index("ix_outbox_state_id", "state", "id"),
        Index("ix_outbox_document_id", "document_id"),
        Index("ix_outbox_partner_created_at", "partner", "created_at"),
    )


class AckRecord(Base):
    """An acknowledgement (997/999/TA1) to write to ``outbox/<partner>/<name>``."""

    __tablename__ = "acks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    file_id: Mapped[int] = mapped_column(BigId, ForeignKey("files.id"))
    partner: Mapped[str]
    name: Mapped[str]
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime]
    written_at: Mapped[dt.datetime | None]

    __table_args__ = (
        Index("ix_acks_state_id", "state", "id"),
        Index("ix_acks_file_id", "file_id"),
    )


class EventRecord(Base):
    """One line of a file's or document's timeline."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime]
    kind: Mapped[str]
    message: Mapped[str] = mapped_column(Text)
    file_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("files.id"))
    document_id: Mapped[str | None]
    correlation_id: Mapped[str | None]
    detail: Mapped[Json | None]

    __table_args__ = (
        Index("ix_events_document_id", "document_id"),
        Index("ix_events_file_id", "file_id"),
    )


class ControlNumber(Base):
    """The last number handed out of a named control-number sequence."""

    __tablename__ = "control_numbers"

    name: Mapped[str] = mapped_column(String, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[dt.datetime]


FILES = cast(Table, FileRecord.__table__)
DOCUMENTS = cast(Table, DocumentRecord.__table__)
OUTBOX = cast(Table, OutboxMessage.__table__)
ACKS = cast(Table, AckRecord.__table__)
EVENTS = cast(Table, EventRecord.__table__)
CONTROL_NUMBERS = cast(Table, ControlNumber.__table__)


class RemotePickup(Base):
    """A file fetched from a partner's server (SFTP): downloaded, delivered to the inbox, and
    removed, moved or kept remotely. See :mod:`gateway.ledger.transfers` for the states."""

    __tablename__ = "remote_pickups"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    partner: Mapped[str]
    remote_path: Mapped[str]
    size: Mapped[int] = mapped_column(BigInteger)
    mtime: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    temp_name: Mapped[str]
    local_name: Mapped[str]
    state: Mapped[str] = mapped_column(String(20))
    detail: Mapped[Json | None]
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]

    __table_args__ = (
        Index("ix_remote_pickups_partner_remote_path", "partner", "remote_path"),
        Index("ix_remote_pickups_partner_state", "partner", "state"),
    )


class Delivery(Base):
    """A file sent from ``outbox/<partner>/`` to a partner's server (SFTP)."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    partner: Mapped[str]
    local_name: Mapped[str]
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    remote_path: Mapped[str]
    state: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    delivered_at: Mapped[dt.datetime | None]

    __table_args__ = (
        Index("ix_deliveries_partner_local_name_sha256", "partner", "local_name", "sha256"),
        Index("ix_deliveries_partner_state", "partner", "state"),
    )


REMOTE_PICKUPS = cast(Table, RemotePickup.__table__)
DELIVERIES = cast(Table, Delivery.__table__)


class OutboundDocument(Base):
    """A document the gateway sends (856, 855...), from the modern layer's request to the
    partner's acknowledgement. One request -> one interchange -> one group -> one transaction
    set, so its references identify it for reconciliation. States and transitions:
    :mod:`gateway.ledger.outbound`."""

    __tablename__ = "outbound_documents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    request_id: Mapped[str]
    """The request's stable id (its CloudEvents id / AMQP message id): one document per request."""
    partner: Mapped[str]
    kind: Mapped[str] = mapped_column(String(10))
    """The transaction set: ``856``, ``855``."""
    document_id: Mapped[str | None]
    """The rendered document's stable id (:mod:`gateway.messages`)."""
    correlation_id: Mapped[str]
    state: Mapped[str] = mapped_column(String(30))
    sender_qualifier: Mapped[str | None]
    sender_id: Mapped[str | None]
    receiver_qualifier: Mapped[str | None]
    receiver_id: Mapped[str | None]
    format: Mapped[str | None] = mapped_column(String(20))
    """The kind of format it is written in (``x12``...)."""
    group_kind: Mapped[str | None] = mapped_column(String(10))
    """The kind of group it travels in (X12 GS01: ``SH`` for an 856, ``PR`` for an 855)."""
    interchange_ref: Mapped[str | None] = mapped_column(String(40))
    """Its references, which the partner's acknowledgement quotes (X12: ISA13 as nine digits,
    GS06, ST02)."""
    group_ref: Mapped[str | None]
    transaction_ref: Mapped[str | None]
    file_name: Mapped[str | None]
    """Its file in ``outbox/<partner>/``."""
    content: Mapped[str | None] = mapped_column(Text)
    """The rendered document, kept so that a crash or a resend writes the same bytes."""
    request: Mapped[Json | None]
    """The canonical message as requested (for a resend with new control numbers)."""
    ack_due_at: Mapped[dt.datetime | None]
    ack: Mapped[Json | None]
    """The partner's answer: ack kind, codes, errors."""
    detail: Mapped[Json | None]
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]

    __table_args__ = (
        Index("uq_outbound_documents_request_id", "request_id", unique=True),
        Index("ix_outbound_documents_partner_group_ref", "partner", "group_ref"),
        Index("ix_outbound_documents_partner_interchange_ref", "partner", "interchange_ref"),
        Index("ix_outbound_documents_state_ack_due_at", "state", "ack_due_at"),
        Index("ix_outbound_documents_document_id", "document_id"),
    )


class PartnerAck(Base):
    """An acknowledgement a partner sent us (997, 999, TA1) and what it was matched to: every one
    is recorded, also those for documents we never sent or already reconciled."""

    __tablename__ = "partner_acks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    partner: Mapped[str]
    kind: Mapped[str] = mapped_column(String(10))
    """``997``, ``999`` or ``ta1``."""
    document_id: Mapped[str]
    """The acknowledgement's own document id (as recorded in ``documents``)."""
    acknowledged_interchange: Mapped[str | None] = mapped_column(String(40))
    """The references of what it acknowledges (X12: ISA13, GS06, ST02)."""
    acknowledged_group: Mapped[str | None]
    acknowledged_transaction: Mapped[str | None]
    outbound_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("outbound_documents.id"))
    outcome: Mapped[str] = mapped_column(String(30))
    """``applied``, ``noted`` (a TA1 accepting the interchange), ``unmatched`` (we never sent
    it) or ``already_reconciled``: :class:`gateway.ledger.reconciliation.AckOutcome`."""
    detail: Mapped[Json | None]
    created_at: Mapped[dt.datetime]

    __table_args__ = (
        Index("ix_partner_acks_partner_acknowledged_group", "partner", "acknowledged_group"),
        Index("ix_partner_acks_outbound_id", "outbound_id"),
    )


OUTBOUND_DOCUMENTS = cast(Table, OutboundDocument.__table__)
PARTNER_ACKS = cast(Table, PartnerAck.__table__)


class OrderLine(Base):
    """One line of an order, or of a document shipping it, as the cross-document checks compare
    them (:mod:`gateway.fulfilment`): a 940 the gateway sent and the 945s that answer it, an 850
    it received and the 856s it sends for it. See :mod:`gateway.ledger.orders`."""

    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    partner: Mapped[str]
    order_kind: Mapped[str] = mapped_column(String(10))
    """The set of the order: ``940`` or ``850``."""
    order_number: Mapped[str]
    """The depositor order number (W0502) or the PO number (BEG03)."""
    source_kind: Mapped[str] = mapped_column(String(10))
    """The set the line is from: the order's, or ``945`` / ``856``."""
    document_id: Mapped[str]
    """The document the line is from (an outbound one: its request id)."""
    shipment_ref: Mapped[str | None]
    """The shipment it belongs to (W0604, BSN02): the same shipment sent again replaces it."""
    role: Mapped[str] = mapped_column(String(10))
    """``ordered`` or ``shipped``."""
    line_number: Mapped[str | None]
    item: Mapped[str]
    """The item's id the lines are matched by (``UP:012345678905``)."""
    item_ids: Mapped[Json | None]
    """Every id of the item (``{"ids": [[qualifier, value], ...]}``)."""
    quantity: Mapped[str] = mapped_column(String(40))
    """A decimal, as text (exact on both databases)."""
    unit: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[str | None] = mapped_column(String(10))
    """The line's shipment status (W1201), when it has one."""
    correlation_id: Mapped[str]
    created_at: Mapped[dt.datetime]

    __table_args__ = (
        Index("ix_order_lines_partner_order", "partner", "order_kind", "order_number"),
        Index("ix_order_lines_document_id", "document_id"),
    )


class OrderCheck(Base):
    """What a cross-document check found for one document against its order: an outcome
    (``short``, ``over``, ``substituted``, ``complete``, ``unmatched``...) and its findings."""

    __tablename__ = "order_checks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    partner: Mapped[str]
    order_kind: Mapped[str] = mapped_column(String(10))
    order_number: Mapped[str]
    kind: Mapped[str] = mapped_column(String(10))
    """The set checked: ``945`` or ``856``."""
    document_id: Mapped[str]
    outcome: Mapped[str] = mapped_column(String(20))
    correlation_id: Mapped[str]
    """The order's correlation id (the 940 request's), or the document's own when no order
    is known."""
    detail: Mapped[Json | None]
    created_at: Mapped[dt.datetime]

    __table_args__ = (
        Index("ix_order_checks_partner_order", "partner", "order_kind", "order_number"),
        Index("ix_order_checks_document_id", "document_id"),
    )


ORDER_LINES = cast(Table, OrderLine.__table__)
ORDER_CHECKS = cast(Table, OrderCheck.__table__)


class ReferenceList(Base):
    """The newest list of items and locations the modern layer published for a scope (a
    partner's routing word, or ``all``): see :mod:`gateway.ledger.reference_lists`."""

    __tablename__ = "reference_lists"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    scope: Mapped[str]
    list_id: Mapped[str]
    """The list's id (its message's), for people and to tell a redelivery."""
    issued_at: Mapped[dt.datetime]
    """When the modern layer issued it (the message's ``time``): the newest wins."""
    received_at: Mapped[dt.datetime]
    content: Mapped[Json]
    """``{"items": [...] | null, "locations": [...] | null}``."""

    __table_args__ = (Index("uq_reference_lists_scope", "scope", unique=True),)


REFERENCE_LISTS = cast(Table, ReferenceList.__table__)
