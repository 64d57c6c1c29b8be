"""Outbound documents (856, 855...) and the acknowledgements partners send for them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Self-contained on purpose: a revision must not change when models.py does.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)


def _id() -> sa.Column[int]:
    return sa.Column("id", BIG_ID, autoincrement=True, nullable=False)


def upgrade() -> None:
    op.create_table(
        "outbound_documents",
        _id(),
        sa.Column("request_id", sa.String(), nullable=False),
        sa.Column("partner", sa.String(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("document_id", sa.String(), nullable=True),
        sa.Column("correlation_id", sa.String(), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("sender_qualifier", sa.String(), nullable=True),
        sa.Column("sender_id", sa.String(), nullable=True),
        sa.Column("receiver_qualifier", sa.String(), nullable=True),
        sa.Column("receiver_id", sa.String(), nullable=True),
        sa.Column("functional_id", sa.String(length=2), nullable=True),
        sa.Column("isa13", sa.String(length=9), nullable=True),
        sa.Column("gs06", sa.String(), nullable=True),
        sa.Column("st02", sa.String(), nullable=True),
        sa.Column("file_name", sa.String(), nullable=True),
        sa.Column("x12", sa.Text(), nullable=True),
        sa.Column("request", sa.JSON(), nullable=True),
        sa.Column("ack_due_at", TIMESTAMP, nullable=True),
        sa.Column("ack", sa.JSON(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_documents")),
    )
    op.create_index(
        "uq_outbound_documents_request_id", "outbound_documents", ["request_id"], unique=True
    )
    op.create_index("ix_outbound_documents_partner_gs06", "outbound_documents", ["partner", "gs06"])
    op.create_index(
        "ix_outbound_documents_partner_isa13", "outbound_documents", ["partner", "isa13"]
    )
    op.create_index(
        "ix_outbound_documents_state_ack_due_at", "outbound_documents", ["state", "ack_due_at"]
    )
    op.create_index("ix_outbound_documents_document_id", "outbound_documents", ["document_id"])

    op.create_table(
        "partner_acks",
        _id(),
        sa.Column("partner", sa.String(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("document_id", sa.String(), nullable=False),
        sa.Column("acknowledged_isa13", sa.String(length=9), nullable=True),
        sa.Column("acknowledged_gs06", sa.String(), nullable=True),
        sa.Column("acknowledged_st02", sa.String(), nullable=True),
        sa.Column("outbound_id", BIG_ID, nullable=True),
        sa.Column("outcome", sa.String(length=30), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["outbound_id"],
            ["outbound_documents.id"],
            name=op.f("fk_partner_acks_outbound_id_outbound_documents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_acks")),
    )
    op.create_index(
        "ix_partner_acks_partner_gs06", "partner_acks", ["partner", "acknowledged_gs06"]
    )
    op.create_index("ix_partner_acks_outbound_id", "partner_acks", ["outbound_id"])


def downgrade() -> None:
    for table in ("partner_acks", "outbound_documents"):
        op.drop_table(table)
