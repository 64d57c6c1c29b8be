"""Cross-document checks: the lines of orders and of the documents that ship them, and what
each check found (:mod:`gateway.ledger.orders`).

``order_lines``: a 940 the gateway sent and the 945s answering it, an 850 it received and the
856s it sends for it, one row per line. ``order_checks``: each outcome of a check (a 945 short,
over, substituted, completing its order, or matching no order; an 856 shipping what was not
ordered, or more). Nothing else changes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Self-contained on purpose: a revision must not change when models.py does.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)


def _id() -> sa.Column[int]:
    return sa.Column("id", BIG_ID, autoincrement=True, nullable=False)


def upgrade() -> None:
    op.create_table(
        "order_lines",
        _id(),
        sa.Column("partner", sa.String(), nullable=False),
        sa.Column("order_kind", sa.String(length=10), nullable=False),
        sa.Column("order_number", sa.String(), nullable=False),
        sa.Column("source_kind", sa.String(length=10), nullable=False),
        sa.Column("document_id", sa.String(), nullable=False),
        sa.Column("shipment_ref", sa.String(), nullable=True),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("line_number", sa.String(), nullable=True),
        sa.Column("item", sa.String(), nullable=False),
        sa.Column("item_ids", sa.JSON(), nullable=True),
        sa.Column("quantity", sa.String(length=40), nullable=False),
        sa.Column("unit", sa.String(length=10), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=True),
        sa.Column("correlation_id", sa.String(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_lines")),
    )
    op.create_index(
        "ix_order_lines_partner_order", "order_lines", ["partner", "order_kind", "order_number"]
    )
    op.create_index("ix_order_lines_document_id", "order_lines", ["document_id"])
    op.create_table(
        "order_checks",
        _id(),
        sa.Column("partner", sa.String(), nullable=False),
        sa.Column("order_kind", sa.String(length=10), nullable=False),
        sa.Column("order_number", sa.String(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("document_id", sa.String(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("correlation_id", sa.String(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_checks")),
    )
    op.create_index(
        "ix_order_checks_partner_order", "order_checks", ["partner", "order_kind", "order_number"]
    )
    op.create_index("ix_order_checks_document_id", "order_checks", ["document_id"])


def downgrade() -> None:
    for table in ("order_checks", "order_lines"):
        op.drop_table(table)
