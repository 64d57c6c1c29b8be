"""Documents keep their envelope key beside their id (schema 1.1 identity).

From canonical schema 1.1 a document's id also covers its partner and a digest of its content, so
that other content under reused control numbers is another document. The envelope references
alone (both parties' ids, ISA13, GS06, ST02) become ``envelope_key``: what the id was before. So
the key of a document recorded before this revision is its id, which the upgrade copies; a
document that arrives again after the upgrade finds its earlier copy by that key.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as table:
        table.add_column(sa.Column("envelope_key", sa.String(), nullable=True))
    op.execute("UPDATE documents SET envelope_key = document_id")
    op.create_index(  # partial: keyless rows must not make a key look unselective
        "ix_documents_envelope_key",
        "documents",
        ["envelope_key"],
        sqlite_where=sa.text("envelope_key IS NOT NULL"),
        postgresql_where=sa.text("envelope_key IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_documents_envelope_key", table_name="documents")
    with op.batch_alter_table("documents") as table:
        table.drop_column("envelope_key")
