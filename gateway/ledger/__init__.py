"""The ledger: what the gateway received, parsed, published and acknowledged, in SQL.

SQLite (WAL, synchronous=FULL) by default, PostgreSQL supported; schema managed by alembic
(:func:`migrate`). The inbound ledger's functions and rows are this package's names
(``ledger.record_files(...)``), each concern in a private module behind it: files, documents,
what was received before, the timeline, the outbox, what the broker made of it, replay,
acknowledgements, status. Outbound documents, remote transfers, partners' acknowledgements and
the orders the cross-document checks compare have modules of their own (:mod:`.outbound`,
:mod:`.transfers`, :mod:`.reconciliation`, :mod:`.orders`).

Every function takes a :class:`~sqlalchemy.orm.Session` and leaves the transaction to the caller
(``with factory.begin() as s:``), so that a document, its outbox messages, its acknowledgements
and its events commit together or not at all. Functions return plain frozen rows, never ORM
objects. Every change of state also writes an event: the timeline ``edi-gateway show`` prints.

The ledger is on the path of every file, so: statements are built once, at import, and run on the
session's connection (building SQLAlchemy statements per call costs more than running them), and
in sessions from :func:`session_factory` the events of a transaction are written in one statement
when it commits.
"""

from __future__ import annotations

from ._acks import (
    AckRow,
    AckState,
    NewAck,
    acks_to_write,
    mark_ack_written,
    mark_acks_written,
    record_ack,
    record_acks,
    rename_acks,
)
from ._documents import (
    DocumentRow,
    DocumentState,
    NewDocument,
    documents_by_id,
    documents_of_file,
    record_document,
    record_documents,
    set_document_state,
)
from ._duplicates import (
    NOT_ORIGINAL_DOCUMENT_STATES,
    NOT_ORIGINAL_FILE_STATES,
    BusinessKey,
    EnvelopeKey,
    duplicate_file,
    earlier_copies,
    earlier_documents,
    earlier_of_batch,
)
from ._events import BUFFER_EVENTS, EventRow, add_event, flush_events, savepoint, timeline
from ._files import (
    FileRow,
    FileState,
    NewFile,
    ProcessedFile,
    file_by_id,
    file_by_work_path,
    files_by_work_paths,
    files_in_state,
    files_with_event,
    insert_files,
    mark_processed,
    received_events,
    record_file,
    record_files,
    refresh_file,
    set_file_state,
    settle_files,
)
from ._held import forget_documents, recorded_in_file, release_held
from ._lookup import Found, find
from ._outbox import (
    NewMessage,
    OutboxRow,
    OutboxState,
    enqueue,
    enqueue_messages,
    outbox_by_id,
    pending_outbox,
    pending_outbox_of,
    pending_page,
    queued_row,
)
from ._publishing import (
    PUBLISHABLE_DOCUMENT_STATES,
    mark_published,
    mark_unroutable,
    note_nacked,
    requeue_unroutable,
)
from ._replay import documents_for_replay, reset_for_replay
from ._statements import IN_CHUNK, Detail
from ._status import StatusReport, outbox_pending, status
from ._withheld import (
    WITHHELD_DISMISSED,
    WITHHELD_EVENT,
    Withholding,
    is_dismissed,
    open_withheld,
    release_withheld,
    withheld_of,
    withhold,
)
from .counters import LedgerCounter
from .database import autocommit_factory, create_engine_for, migrate, session_factory
from .document_view import DocumentView, KeptFile, document_view, read_kept_file
from .search import FoundDocument, Search, SearchPage, search

__all__ = [
    "BUFFER_EVENTS",
    "IN_CHUNK",
    "NOT_ORIGINAL_DOCUMENT_STATES",
    "NOT_ORIGINAL_FILE_STATES",
    "PUBLISHABLE_DOCUMENT_STATES",
    "WITHHELD_DISMISSED",
    "WITHHELD_EVENT",
    "AckRow",
    "AckState",
    "BusinessKey",
    "Detail",
    "DocumentRow",
    "DocumentState",
    "DocumentView",
    "EnvelopeKey",
    "EventRow",
    "FileRow",
    "FileState",
    "Found",
    "FoundDocument",
    "KeptFile",
    "LedgerCounter",
    "NewAck",
    "NewDocument",
    "NewFile",
    "NewMessage",
    "OutboxRow",
    "OutboxState",
    "ProcessedFile",
    "Search",
    "SearchPage",
    "StatusReport",
    "Withholding",
    "acks_to_write",
    "add_event",
    "autocommit_factory",
    "create_engine_for",
    "document_view",
    "documents_by_id",
    "documents_for_replay",
    "documents_of_file",
    "duplicate_file",
    "earlier_copies",
    "earlier_documents",
    "earlier_of_batch",
    "enqueue",
    "enqueue_messages",
    "file_by_id",
    "file_by_work_path",
    "files_by_work_paths",
    "files_in_state",
    "files_with_event",
    "find",
    "flush_events",
    "forget_documents",
    "insert_files",
    "is_dismissed",
    "mark_ack_written",
    "mark_acks_written",
    "mark_processed",
    "mark_published",
    "mark_unroutable",
    "migrate",
    "note_nacked",
    "open_withheld",
    "outbox_by_id",
    "outbox_pending",
    "pending_outbox",
    "pending_outbox_of",
    "pending_page",
    "queued_row",
    "read_kept_file",
    "received_events",
    "record_ack",
    "record_acks",
    "record_document",
    "record_documents",
    "record_file",
    "record_files",
    "recorded_in_file",
    "refresh_file",
    "release_held",
    "release_withheld",
    "rename_acks",
    "requeue_unroutable",
    "reset_for_replay",
    "savepoint",
    "search",
    "session_factory",
    "set_document_state",
    "set_file_state",
    "settle_files",
    "status",
    "timeline",
    "withheld_of",
    "withhold",
]
