"""Remote transfers: files fetched from partners' servers, files delivered to them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Self-contained on purpose: a revision must not change when models.py does.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)


def _id() -> sa.Column[int]:
    return sa.Column("id", BIG_ID, autoincrement=True, nullable=False)


def upgrade() -> None:
    op.create_table(
        "remote_pickups",
        _id(),
        sa.Column("partner", sa.String(), nullable=False),
        sa.Column("remote_path", sa.String(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("mtime", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("temp_name", sa.String(), nullable=False),
        sa.Column("local_name", sa.String(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remote_pickups")),
    )
    op.create_index(
        "ix_remote_pickups_partner_remote_path", "remote_pickups", ["partner", "remote_path"]
    )
    op.create_index("ix_remote_pickups_partner_state", "remote_pickups", ["partner", "state"])

    op.create_table(
        "deliveries",
        _id(),
        sa.Column("partner", sa.String(), nullable=False),
        sa.Column("local_name", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("remote_path", sa.String(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("delivered_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
    )
    op.create_index(
        "ix_deliveries_partner_local_name_sha256",
        "deliveries",
        ["partner", "local_name", "sha256"],
    )
    op.create_index("ix_deliveries_partner_state", "deliveries", ["partner", "state"])


def downgrade() -> None:
    for table in ("deliveries", "remote_pickups"):
        op.drop_table(table)
