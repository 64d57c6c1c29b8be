"""The ledger's newest revision told by the migration scripts' names is the one alembic reads
from the scripts themselves: a script named otherwise would make every start migrate (or skip a
migration)."""

from gateway.ledger.database import head_revisions, newest_revision


def test_the_newest_script_by_name_is_the_migrations_head() -> None:
    assert newest_revision() == head_revisions(), (
        "name each migration script NNNN_what.py with revision = 'NNNN', one after the other"
    )
