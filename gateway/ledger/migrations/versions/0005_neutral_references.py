"""Documents are described in words every format shares (canonical schema 2.0).

The columns named after X12 take neutral names: a document's references
(``isa13``/``gs06``/``st02`` -> ``interchange_ref``/``group_ref``/``transaction_ref``, in
``documents`` and ``outbound_documents``; ``acknowledged_*`` in ``partner_acks``), the kind of
group an outbound document travels in (``functional_id`` -> ``group_kind``) and its rendered
text (``x12`` -> ``content``), which widen so that other formats' references fit. Documents and
outbound documents say their ``format`` (every row before this revision is X12), and documents
keep their ``business_key`` and ``content_digest`` (:mod:`gateway.duplicates`): rows recorded
before have none, so an order received before the upgrade is not recognised by its business key
afterwards, only by its envelope (as before).

On SQLite the three tables are copied (alembic's batch mode: SQLite cannot change a column's
type in place), which takes a while on a large ledger; on PostgreSQL the renames change the
catalogue only. The indexes over renamed columns are made again under names that say them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RENAMED = {
    "documents": {"isa13": "interchange_ref", "gs06": "group_ref", "st02": "transaction_ref"},
    "outbound_documents": {
        "isa13": "interchange_ref",
        "gs06": "group_ref",
        "st02": "transaction_ref",
        "functional_id": "group_kind",
        "x12": "content",
    },
    "partner_acks": {
        "acknowledged_isa13": "acknowledged_interchange",
        "acknowledged_gs06": "acknowledged_group",
        "acknowledged_st02": "acknowledged_transaction",
    },
}
WIDENED = {  # (table, new name): (old type, new type)
    ("outbound_documents", "interchange_ref"): (sa.String(9), sa.String(40)),
    ("outbound_documents", "group_kind"): (sa.String(2), sa.String(10)),
    ("partner_acks", "acknowledged_interchange"): (sa.String(9), sa.String(40)),
}
OLD_INDEXES = {  # name: (table, columns)
    "ix_documents_partner_isa13": ("documents", ["partner", "isa13"]),
    "ix_documents_partner_gs06_st02": ("documents", ["partner", "gs06", "st02"]),
    "ix_outbound_documents_partner_gs06": ("outbound_documents", ["partner", "gs06"]),
    "ix_outbound_documents_partner_isa13": ("outbound_documents", ["partner", "isa13"]),
    "ix_partner_acks_partner_gs06": ("partner_acks", ["partner", "acknowledged_gs06"]),
}
NEW_INDEXES = {
    "ix_documents_partner_interchange_ref": ("documents", ["partner", "interchange_ref"]),
    "ix_documents_partner_group_ref": ("documents", ["partner", "group_ref", "transaction_ref"]),
    "ix_outbound_documents_partner_group_ref": ("outbound_documents", ["partner", "group_ref"]),
    "ix_outbound_documents_partner_interchange_ref": (
        "outbound_documents",
        ["partner", "interchange_ref"],
    ),
    "ix_partner_acks_partner_acknowledged_group": (
        "partner_acks",
        ["partner", "acknowledged_group"],
    ),
}


def upgrade() -> None:
    for name, (table, _) in OLD_INDEXES.items():
        op.drop_index(name, table_name=table)
    for table, names in RENAMED.items():
        with op.batch_alter_table(table) as batch:
            for old, new in names.items():
                widened = WIDENED.get((table, new))
                batch.alter_column(
                    old,
                    new_column_name=new,
                    type_=widened[1] if widened else None,
                    existing_type=widened[0] if widened else None,
                )
            if table == "documents":
                batch.add_column(sa.Column("format", sa.String(20), nullable=True))
                batch.add_column(sa.Column("business_key", sa.String(), nullable=True))
                batch.add_column(sa.Column("content_digest", sa.String(64), nullable=True))
            elif table == "outbound_documents":
                batch.add_column(sa.Column("format", sa.String(20), nullable=True))
    op.execute("UPDATE documents SET format = 'x12'")
    op.execute("UPDATE outbound_documents SET format = 'x12'")
    for name, (table, columns) in NEW_INDEXES.items():
        op.create_index(name, table, columns)
    op.create_index(  # partial, as the envelope key's: keyless rows would make keys look common
        "ix_documents_partner_business_key",
        "documents",
        ["partner", "business_key"],
        sqlite_where=sa.text("business_key IS NOT NULL"),
        postgresql_where=sa.text("business_key IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_documents_partner_business_key", table_name="documents")
    for name, (table, _) in NEW_INDEXES.items():
        op.drop_index(name, table_name=table)
    for table, names in RENAMED.items():
        with op.batch_alter_table(table) as batch:
            if table == "documents":
                for column in ("content_digest", "business_key", "format"):
                    batch.drop_column(column)
            elif table == "outbound_documents":
                batch.drop_column("format")
            for old, new in names.items():
                widened = WIDENED.get((table, new))
                batch.alter_column(
                    new,
                    new_column_name=old,
                    type_=widened[0] if widened else None,
                    existing_type=widened[1] if widened else None,
                )
    for name, (table, columns) in OLD_INDEXES.items():
        op.create_index(name, table, columns)
