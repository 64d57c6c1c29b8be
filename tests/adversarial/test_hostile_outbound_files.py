"""Hostile input against the files the gateway writes and delivers, through the daemon on both
ledgers (issue 20, items 7, 8, 9 and 13). Each case: nothing lost, nothing doubled, the rest
keeps flowing, the cause is visible.

- requests whose fields hold separators and line breaks, between good ones: each refused with
  the element named, dead-lettered, recorded ``invalid``; the good ones written once each;
- an outbox whose every next name is taken (a stray file, a delivered one in ``sent/``, a link
  out of the outbox, a folder), as a ledger started afresh or an operator leaves it, while a
  partner writes to two of our ids: every acknowledgement and document written whole under a
  name of its own, recorded, with a ``renamed`` event; nothing there replaced or followed;
- a partner's server holding other files under the names we deliver: never overwritten, the
  reason in the delivery's row, the others delivered; delivered once the name is free.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from gateway.bus.consumer import ERROR_HEADER, REQUEST_ID_HEADER
from tests.integration.outbound.support import asn_data, outbound_bus, request, request_queue
from tests.integration.sftp.conftest import remote, sshd, sshd_factory
from tests.integration.sftp.helpers import profile_toml, with_outbound
from tests.integration.sftp.sshd import Sshd
from tests.integration.support import (
    drop,
    running_daemon,
    small_850,
    wait_for,
    write_settings,
)

__all__ = ["remote", "sshd", "sshd_factory"]  # the SFTP fixtures, used here

THEIRS = "ACME"
"""The partner's id: the sender of :func:`small_850`, the receiver of what we write to it."""


def home_for(tmp_path: Path, partner: str, database_url: str, *, sftp: str = "") -> Path:
    """A gateway home whose profile writes to ``THEIRS``; returns its settings file."""
    home = tmp_path / "home"
    (home / "mappings" / "partners").mkdir(parents=True)
    (home / "mappings" / "partners" / f"{partner}.toml").write_text(
        f'{sftp}\n[x12]\nsender_id = "GATEWAY"\nreceiver_id = "{THEIRS}"\nusage_indicator = "T"\n'
    )
    return write_settings(
        home,
        database_url,
        outbound_queue=request_queue(partner),
        outbound_bindings=[f"edi.out.*.{partner}"],
    )


def select(database_url: str, query: str) -> list[dict[str, Any]]:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            return [dict(row) for row in connection.execute(sa.text(query)).mappings()]
    except (sa.exc.ProgrammingError, sa.exc.OperationalError):
        return []  # the daemon has not made its tables yet
    finally:
        engine.dispose()


def count(database_url: str, query: str) -> int:
    return len(select(database_url, query))


def detail(row: dict[str, Any]) -> dict[str, Any]:
    value = row["detail"]
    return dict(json.loads(value) if isinstance(value, str) else value)  # SQLite: text


def files_in(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file() and not p.is_symlink()}


def test_separators_and_line_breaks_in_fields_are_refused_and_the_rest_flows(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    config = home_for(tmp_path, partner, database_url)
    hostile = {
        "lf": ("shipment_id", "ASN\nIEA"),
        "cr": ("shipment_id", "ASN\rGS"),
        "crlf": ("carrier_scac", "AB\r\nC"),
        "element": ("shipment_id", "ASN*X"),
        "terminator": ("shipment_id", "ASN~ST*856*0002"),
        "component": ("carrier_scac", "A>B"),
    }
    good = [f"good-{n}" for n in range(6)]
    with outbound_bus(partner) as bus, running_daemon(config):
        for n, (request_id, (field, value)) in enumerate(hostile.items()):
            data = asn_data(f"ASN-{request_id}")
            data[field] = value
            bus.publish(request(request_id, partner, data=data), message_id=request_id)
            bus.publish(request(good[n], partner), message_id=good[n])
        dead: list[tuple[Any, bytes]] = []

        def all_dead() -> bool:
            dead.extend(bus.take(bus.dead_letters))
            return len(dead) >= len(hostile)

        wait_for("the dead letters", all_dead)
        wait_for(
            "the good ones sent",
            lambda: (
                count(database_url, "select id from outbound_documents where state = 'sent'")
                == len(good)
            ),
        )
    reasons = {props.headers[REQUEST_ID_HEADER]: props.headers[ERROR_HEADER] for props, _ in dead}
    assert sorted(reasons) == sorted(hostile)  # each refused once
    for request_id in ("lf", "cr", "crlf"):
        assert "line break" in reasons[request_id], reasons[request_id]
    for request_id in ("element", "terminator", "component"):
        assert "separator" in reasons[request_id], reasons[request_id]
    assert "BSN02" in reasons["lf"] and "TD503" in reasons["crlf"]
    rows = {r["request_id"]: r for r in select(database_url, "select * from outbound_documents")}
    assert {rows[key]["state"] for key in hostile} == {"invalid"}
    assert {key: detail(rows[key])["reason"] for key in hostile} == reasons
    events = select(database_url, "select * from events where kind = 'outbound.invalid'")
    assert len(events) == len(hostile)
    files = files_in(tmp_path / "home" / "outbox" / partner)
    assert sorted(files) == sorted(rows[key]["file_name"] for key in good)
    assert all(b"\r" not in text and text.count(b"ST*856*") == 1 for text in files.values())


def test_an_outbox_whose_every_next_name_is_taken_replaces_and_follows_nothing(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    config = home_for(tmp_path, partner, database_url)
    outbox = tmp_path / "home" / "outbox" / partner
    (outbox / "sent").mkdir(parents=True)
    outside = tmp_path / "outside.x12"
    outside.write_bytes(b"not the gateway's")
    squatters: dict[str, bytes] = {}
    kinds = ("997", "856")
    for kind in kinds:  # one sequence for both: ours to theirs
        for n in range(1, 9):
            name = f"{kind}-GATEWAY-{THEIRS}-{n:09d}.x12"
            form = n % 4
            if form == 0:
                squatters[name] = f"stray {name}".encode()
                (outbox / name).write_bytes(squatters[name])
            elif form == 1:
                (outbox / "sent" / name).write_bytes(f"delivered {name}".encode())
            elif form == 2:
                (outbox / name).symlink_to(outside)
            else:
                (outbox / name).mkdir()
    division = "DIVISION2"  # the partner also writes to another of our ids
    with outbound_bus(partner) as bus, running_daemon(config):
        for n in range(4):
            drop(tmp_path / "home" / "inbox", partner, f"po{n}.edi", small_850(8100 + n))
            to_division = (
                small_850(8200 + n)
                .replace(b"*ZZ*GATEWAY        *", f"*ZZ*{division:<15}*".encode())
                .replace(b"*GATEWAY*", f"*{division}*".encode())
            )
            drop(tmp_path / "home" / "inbox", partner, f"div{n}.edi", to_division)
            bus.publish(request(f"asn-{n}", partner), message_id=f"asn-{n}")
        wait_for(
            "every acknowledgement written and document sent",
            lambda: (
                count(database_url, "select id from acks where state = 'written'") == 8
                and count(database_url, "select id from outbound_documents where state = 'sent'")
                == 4
            ),
            timeout=60,
        )
    acks = select(database_url, "select * from acks")
    documents = select(database_url, "select * from outbound_documents")
    written = {row["name"]: row["text"].encode() for row in acks}
    written |= {row["file_name"]: row["content"].encode() for row in documents}
    assert len(written) == 12  # twelve names for twelve files
    for name, data in written.items():
        assert (outbox / name).read_bytes() == data and not (outbox / name).is_symlink()
    assert files_in(outbox) == squatters | written  # nothing replaced, nothing else
    assert outside.read_bytes() == b"not the gateway's"
    assert all(
        (outbox / f"{kind}-GATEWAY-{THEIRS}-{n:09d}.x12").is_dir() for kind in kinds for n in (3, 7)
    )
    renamed = select(
        database_url, "select * from events where kind in ('ack_renamed', 'outbound.renamed')"
    )
    ours = [row for row in written if f"-GATEWAY-{THEIRS}-" in row]
    assert len(renamed) == len(ours) == 8  # the division's names were free
    assert all("is taken by another file" in event["message"] for event in renamed)


def test_files_waiting_at_the_partner_under_our_names_are_never_overwritten(
    tmp_path: Path, database_url: str, partner: str, sshd: Sshd, remote: Path
) -> None:
    channel = with_outbound(sshd.channel(schedule={"interval": 0.2}, retry_initial=0.5), remote)
    config = home_for(tmp_path, partner, database_url, sftp=profile_toml(channel))
    inbox = remote / "in"
    inbox.mkdir(parents=True, exist_ok=True)
    theirs = {
        f"856-GATEWAY-{THEIRS}-000000001.x12": b"the partner's own file",
        f"856-GATEWAY-{THEIRS}-000000003.x12": b"left from a ledger started afresh",
    }
    for name, data in theirs.items():
        (inbox / name).write_bytes(data)
    with outbound_bus(partner) as bus, running_daemon(config):
        for n in range(4):
            bus.publish(request(f"asn-{n}", partner), message_id=f"asn-{n}")
        wait_for(
            "the free names delivered, the others refused",
            lambda: (
                count(database_url, "select id from deliveries where state = 'filed'") == 2
                and count(database_url, "select id from deliveries where last_error is not null")
                == 2
            ),
        )
        assert {name: (inbox / name).read_bytes() for name in theirs} == theirs
        waiting = select(database_url, "select * from deliveries where state <> 'filed'")
        assert all("not overwritten" in row["last_error"] for row in waiting)
        wait_for(
            "the two delivered sent",
            lambda: (
                count(database_url, "select id from outbound_documents where state = 'sent'") == 2
            ),
        )
        for name in theirs:
            (inbox / name).unlink()  # the partner takes its files
        wait_for(
            "every document delivered",
            lambda: (
                count(database_url, "select id from outbound_documents where state = 'sent'") == 4
            ),
        )
    documents = select(database_url, "select * from outbound_documents")
    delivered = {p.name: p.read_text() for p in inbox.iterdir() if p.is_file()}
    assert delivered == {row["file_name"]: row["content"] for row in documents}
    assert count(database_url, "select id from deliveries") == 4  # one delivery each
