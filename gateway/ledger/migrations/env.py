"""alembic environment of the ledger; configured in code by :mod:`gateway.ledger.database`.

Online, the migrations run on the connection passed in ``config.attributes["connection"]``, inside
its transaction (so a whole upgrade commits or not at all), or on a connection opened from the
``sqlalchemy.url`` option. Offline (``--sql``) they are rendered for ``sqlalchemy.url``'s dialect.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection

from gateway.ledger.database import create_engine_for
from gateway.ledger.models import Base, UTCDateTime

config = context.config
target_metadata = Base.metadata


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write the ledger's own column types as plain SQLAlchemy types in new revisions."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(**options: Any) -> None:
    context.configure(
        target_metadata=target_metadata,
        render_item=render_item,
        compare_type=True,
        **options,
    )


def run_offline() -> None:
    url = config.get_main_option("sqlalchemy.url")
    _configure(
        url=url,
        literal_binds=True,
        render_as_batch=bool(url and url.startswith("sqlite")),
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_on(connection: Connection) -> None:
    applied = config.attributes.get("on_version_apply")  # each revision applied (progress)
    _configure(
        connection=connection,
        render_as_batch=connection.dialect.name == "sqlite",
        **({"on_version_apply": applied} if applied is not None else {}),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection and no sqlalchemy.url: use gateway.ledger.migrate()")
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            run_on(connection)
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
