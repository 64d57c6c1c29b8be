"""The ledger's first schema: files, documents, outbox, acks, events, control numbers.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Self-contained on purpose: a revision must not change when models.py does.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)


def _id() -> sa.Column[int]:
    return sa.Column("id", BIG_ID, autoincrement=True, nullable=False)


def upgrade() -> None:
    op.create_table(
        "control_numbers",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_control_numbers")),
    )

    op.create_table(
        "files",
        _id(),
        sa.Column("partner", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("work_path", sa.String(), nullable=False),
        sa.Column("final_path", sa.String(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("correlation_id", sa.String(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_files")),
    )
    op.create_index(
        "ix_files_partner_sha256_received_at", "files", ["partner", "sha256", "received_at"]
    )
    op.create_index("ix_files_state", "files", ["state"])
    op.create_index("ix_files_work_path", "files", ["work_path"])

    op.create_table(
        "acks",
        _id(),
        sa.Column("file_id", BIG_ID, nullable=False),
        sa.Column("partner", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("written_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(["file_id"], ["files.id"], name=op.f("fk_acks_file_id_files")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acks")),
    )
    op.create_index("ix_acks_file_id", "acks", ["file_id"])
    op.create_index("ix_acks_state_id", "acks", ["state", "id"])

    op.create_table(
        "documents",
        _id(),
        sa.Column("document_id", sa.String(), nullable=False),
        sa.Column("file_id", BIG_ID, nullable=False),
        sa.Column("partner", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("isa13", sa.String(), nullable=True),
        sa.Column("gs06", sa.String(), nullable=True),
        sa.Column("st02", sa.String(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("correlation_id", sa.String(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(["file_id"], ["files.id"], name=op.f("fk_documents_file_id_files")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
    )
    op.create_index("ix_documents_document_id", "documents", ["document_id"])
    op.create_index("ix_documents_file_id", "documents", ["file_id"])
    op.create_index("ix_documents_partner_gs06_st02", "documents", ["partner", "gs06", "st02"])
    op.create_index("ix_documents_partner_isa13", "documents", ["partner", "isa13"])

    op.create_table(
        "events",
        _id(),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("file_id", BIG_ID, nullable=True),
        sa.Column("document_id", sa.String(), nullable=True),
        sa.Column("correlation_id", sa.String(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["file_id"], ["files.id"], name=op.f("fk_events_file_id_files")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    op.create_index("ix_events_document_id", "events", ["document_id"])
    op.create_index("ix_events_file_id", "events", ["file_id"])

    op.create_table(
        "outbox",
        _id(),
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("document_id", sa.String(), nullable=False),
        sa.Column("document_pk", BIG_ID, nullable=True),
        sa.Column("partner", sa.String(), nullable=False),
        sa.Column("exchange", sa.String(), nullable=False),
        sa.Column("routing_key", sa.String(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("correlation_id", sa.String(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("published_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["document_pk"], ["documents.id"], name=op.f("fk_outbox_document_pk_documents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index("ix_outbox_document_id", "outbox", ["document_id"])
    op.create_index("ix_outbox_partner_created_at", "outbox", ["partner", "created_at"])
    op.create_index("ix_outbox_state_id", "outbox", ["state", "id"])


def downgrade() -> None:
    for table in ("outbox", "events", "documents", "acks", "files", "control_numbers"):
        op.drop_table(table)
