"""The acknowledgements the gateway writes to ``outbox/<partner>/`` never replace one another:
each is a file of its own, named for both parties' ids and its ISA13, and a name already taken
(the sequences wrap, a ledger started afresh) makes it a file under another name, recorded in the
ledger. On both ledgers, through the daemon's own pipeline."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from gateway import ledger as repository
from tests.integration.support import (
    ROOT,
    bound_queue,
    drop,
    in_process_gateway,
    run_once,
    small_850,
    take_all,
)


def to_receiver(data: bytes, receiver: str) -> bytes:
    """``data`` (a :func:`small_850`) sent to our id ``receiver`` instead of ``GATEWAY``."""
    return data.replace(b"*ZZ*GATEWAY        *", f"*ZZ*{receiver:<15}*".encode()).replace(
        b"*GATEWAY*", f"*{receiver}*".encode()
    )


def ack_rows(database_url: str) -> list[dict[str, object]]:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text("select * from acks order by id")).mappings()
            return [dict(row) for row in rows]
    finally:
        engine.dispose()


def files_in(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in folder.iterdir() if p.is_file()}


def test_acknowledgements_from_two_of_our_ids_are_each_a_file_of_their_own(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    gw = in_process_gateway(tmp_path, database_url)
    for n in range(10):  # one partner, two of our ids (two divisions): a sequence each
        drop(tmp_path / "inbox", partner, f"a{n}.edi", small_850(7200 + n))
        drop(
            tmp_path / "inbox", partner, f"b{n}.edi", to_receiver(small_850(7300 + n), "DIVISION2")
        )
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        run_once(gw)
        assert len(take_all(channel, queue)) == 20
    rows = ack_rows(database_url)
    assert len(rows) == 20 and {row["state"] for row in rows} == {"written"}
    files = files_in(tmp_path / "outbox" / partner)
    assert len(files) == 20, f"{len(files)} files for 20 acknowledgements"
    assert files == {row["name"]: row["text"] for row in rows}
    names = sorted(str(row["name"]) for row in rows)
    assert names[0] == "997-DIVISION2-ACME-000000001.x12"
    assert names[-1] == "997-GATEWAY-ACME-000000010.x12"


def test_the_demo_fixtures_get_every_acknowledgement_they_are_owed(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    gw = in_process_gateway(tmp_path, database_url)
    fixtures = sorted((ROOT / "fixtures" / "x12").glob("*.edi"))
    for fixture in fixtures:  # two directions: ACMERETAIL -> WIDGETCO and back
        drop(tmp_path / "inbox", partner, fixture.name, fixture.read_bytes())
    run_once(gw)
    rows = ack_rows(database_url)
    assert len(rows) == len(fixtures) - 1  # a 997 is not acknowledged
    files = files_in(tmp_path / "outbox" / partner)
    assert len(files) == len(rows), f"{len(files)} files for {len(rows)} acknowledgements"
    assert files == {row["name"]: row["text"] for row in rows}


def test_an_acknowledgement_whose_name_is_taken_is_written_under_another_and_recorded(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    outbox = tmp_path / "outbox" / partner
    taken = outbox / "997-GATEWAY-ACME-000000001.x12"  # a ledger started afresh, say
    (outbox / "sent").mkdir(parents=True)
    taken.write_text("an earlier acknowledgement, not collected yet")
    delivered = outbox / "sent" / "997-GATEWAY-ACME-000000002.x12"
    delivered.write_text("an earlier acknowledgement, delivered")
    gw = in_process_gateway(tmp_path, database_url)
    for n in range(3):
        drop(tmp_path / "inbox", partner, f"po{n}.edi", small_850(7400 + n))
    run_once(gw)
    assert taken.read_text() == "an earlier acknowledgement, not collected yet"
    assert delivered.read_text() == "an earlier acknowledgement, delivered"
    rows = ack_rows(database_url)
    assert len(rows) == 3 and {row["state"] for row in rows} == {"written"}
    assert sorted(str(row["name"]) for row in rows) == [
        "997-GATEWAY-ACME-000000001.2.x12",
        "997-GATEWAY-ACME-000000002.2.x12",
        "997-GATEWAY-ACME-000000003.x12",
    ]
    for row in rows:
        assert (outbox / str(row["name"])).read_text() == row["text"]
    with gw.pipeline.factory.begin() as s:
        events = [e for row in rows for e in repository.timeline(s, int(str(row["file_id"])))]
    renamed = [e.message for e in events if e.kind == "ack_renamed"]
    assert len(renamed) == 2 and all("is taken" in message for message in renamed)
