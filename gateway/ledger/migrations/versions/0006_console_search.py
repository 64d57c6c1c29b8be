"""Indexes for the console's search (:mod:`gateway.ledger.search`).

A page of documents is one range of an index in the order it shows (the time, after the
partner, the state or the kind when it filters or sorts by them), and each kind of id the
"id or key" box takes is found through an index of its own: the business key and the ISA13
without the partner (the partner's indexes lead with it), a file's claim (correlation) id, an
outbound document's. Outbound documents are paged the same way. A document's page finds what
a partner's acknowledgement answered by the acknowledgement's document id.

On a large ledger building them takes a while (each reads its table once); nothing else
changes. Each inbound document now writes seven more index entries.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {  # name: (table, columns)
    "ix_documents_created_at": ("documents", ["created_at", "id"]),
    "ix_documents_partner_created_at": ("documents", ["partner", "created_at", "id"]),
    "ix_documents_state_created_at": ("documents", ["state", "created_at", "id"]),
    "ix_documents_kind_created_at": ("documents", ["kind", "created_at", "id"]),
    "ix_documents_interchange_ref": ("documents", ["interchange_ref"]),
    "ix_files_correlation_id": ("files", ["correlation_id"]),
    "ix_outbound_documents_interchange_ref": ("outbound_documents", ["interchange_ref"]),
    "ix_outbound_documents_correlation_id": ("outbound_documents", ["correlation_id"]),
    "ix_partner_acks_document_id": ("partner_acks", ["document_id"]),
    "ix_outbound_documents_created_at": ("outbound_documents", ["created_at", "id"]),
    "ix_outbound_documents_partner_created_at": (
        "outbound_documents",
        ["partner", "created_at", "id"],
    ),
    "ix_outbound_documents_state_created_at": ("outbound_documents", ["state", "created_at", "id"]),
    "ix_outbound_documents_kind_created_at": ("outbound_documents", ["kind", "created_at", "id"]),
}


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)
    op.create_index(  # partial, as the partner's: keyless rows would make keys look common
        "ix_documents_business_key",
        "documents",
        ["business_key"],
        sqlite_where=sa.text("business_key IS NOT NULL"),
        postgresql_where=sa.text("business_key IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_documents_business_key", table_name="documents")
    for name, (table, _) in INDEXES.items():
        op.drop_index(name, table_name=table)
