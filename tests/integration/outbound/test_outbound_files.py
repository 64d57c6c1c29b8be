"""Outbound files never replace nor shadow one another, through the daemon on both ledgers: each
document is a file of its own, named for both parties' ids and its ISA13; a name already taken
(the sequence started again after the profile's ids changed, or wrapped after 999,999,999) makes
it a file under another name, recorded in the ledger; ``resend`` to an SFTP partner is a new
delivery that reaches the partner; a line break in a field is refused like a separator."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from gateway.bus.consumer import ERROR_HEADER, REQUEST_ID_HEADER
from gateway.ledger.transfers import DeliveryState
from tests.integration.outbound.support import (
    Bus,
    asn_data,
    outbound_bus,
    request,
    request_queue,
)
from tests.integration.sftp.helpers import profile_toml, with_outbound
from tests.integration.sftp.sshd import Sshd
from tests.integration.support import (
    gateway_command,
    running_daemon,
    wait_for,
    write_settings,
)

PROFILE = """
[x12]
sender_id = "{sender}"
receiver_id = "{receiver}"
usage_indicator = "T"
"""


def write_profile(home: Path, partner: str, *, sender: str = "GATEWAY", extra: str = "") -> str:
    """The partner's profile (our id ``sender``); returns its id (ours is ``sender``)."""
    folder = home / "mappings" / "partners"
    folder.mkdir(parents=True, exist_ok=True)
    receiver = partner.upper()[:15]
    (folder / f"{partner}.toml").write_text(
        extra + PROFILE.format(sender=sender, receiver=receiver)
    )
    return receiver


def settings(home: Path, partner: str, database_url: str) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    return write_settings(
        home,
        database_url,
        outbound_queue=request_queue(partner),
        outbound_bindings=[f"edi.out.*.{partner}"],
    )


def outbound_rows(database_url: str) -> list[dict[str, Any]]:
    return _select(database_url, "select * from outbound_documents order by id")


def _select(database_url: str, query: str) -> list[dict[str, Any]]:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            return [dict(row) for row in connection.execute(sa.text(query)).mappings()]
    except (sa.exc.ProgrammingError, sa.exc.OperationalError):
        return []  # not created yet
    finally:
        engine.dispose()


def sent(database_url: str, count: int) -> bool:
    rows = outbound_rows(database_url)
    return sum(1 for row in rows if row["state"] == "sent") >= count


def publish(bus: Bus, *request_ids: str) -> None:
    for request_id in request_ids:
        bus.publish(request(request_id, bus.partner), message_id=request_id)


def files_in(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in folder.iterdir() if p.is_file()}


def test_documents_written_after_the_profile_ids_changed_are_all_kept(
    tmp_path: Path, database_url: str
) -> None:
    partner = f"o{uuid.uuid4().hex[:10]}"
    home = tmp_path / "home"
    config = settings(home, partner, database_url)
    receiver = write_profile(home, partner)  # a folder partner: it collects the files itself
    with outbound_bus(partner) as bus:
        with running_daemon(config):
            publish(bus, "a1", "a2", "a3")
            wait_for("three documents sent", lambda: sent(database_url, 3))
        write_profile(home, partner, sender="GATEWAY2")  # our id changed: a sequence of its own
        with running_daemon(config):
            publish(bus, "b1", "b2", "b3")
            wait_for("six documents sent", lambda: sent(database_url, 6))
    rows = outbound_rows(database_url)
    files = files_in(home / "outbox" / partner)
    assert len(files) == 6, f"{len(files)} files for 6 documents sent"
    assert files == {row["file_name"]: row["content"] for row in rows}
    assert sorted(files)[0] == f"856-GATEWAY-{receiver}-000000001.x12"
    assert sorted(files)[-1] == f"856-GATEWAY2-{receiver}-000000003.x12"


def test_documents_numbered_again_after_the_wrap_are_written_under_names_of_their_own(
    tmp_path: Path, database_url: str
) -> None:
    partner = f"o{uuid.uuid4().hex[:10]}"
    home = tmp_path / "home"
    config = settings(home, partner, database_url)
    receiver = write_profile(home, partner)
    outbox = home / "outbox" / partner
    with outbound_bus(partner) as bus, running_daemon(config):
        publish(bus, "old-1", "old-2")  # not collected yet when the sequence comes round again
        wait_for("two documents sent", lambda: sent(database_url, 2))
        engine = sa.create_engine(database_url)
        with engine.begin() as connection:
            connection.execute(
                sa.text("update control_numbers set value = 999999998 where name = :name"),
                {"name": f"ISA:ZZ/GATEWAY>ZZ/{receiver}"},
            )
        engine.dispose()
        publish(bus, "new-1", "new-2", "new-3")  # ISA13 999999999, then 1 and 2 again
        wait_for("five documents sent", lambda: sent(database_url, 5))
    rows = {row["request_id"]: row for row in outbound_rows(database_url)}
    assert [rows[f"new-{n}"]["interchange_ref"] for n in (1, 2, 3)] == [
        "999999999",
        "000000001",
        "000000002",
    ]
    files = files_in(outbox)
    assert len(files) == 5, f"{len(files)} files for 5 documents sent"
    assert files == {row["file_name"]: row["content"] for row in rows.values()}
    assert rows["old-1"]["file_name"] == f"856-GATEWAY-{receiver}-000000001.x12"
    assert rows["new-2"]["file_name"] == f"856-GATEWAY-{receiver}-000000001.2.x12"
    events = _select(database_url, "select * from events where kind = 'outbound.renamed'")
    assert len(events) == 2, events


def test_a_document_resent_to_an_sftp_partner_reaches_it_again(
    tmp_path: Path, database_url: str, sshd: Sshd, remote: Path
) -> None:
    partner = f"o{uuid.uuid4().hex[:10]}"
    home = tmp_path / "home"
    channel = with_outbound(sshd.channel(), remote)
    channel = type(channel).model_validate({**channel.model_dump(), "schedule": {"interval": 0.2}})
    write_profile(home, partner, extra=profile_toml(channel))
    config = settings(home, partner, database_url)
    inbox = remote / "in"

    def at_partner() -> dict[str, str]:
        # what the partner sees: an upload in flight is a dotfile until its rename
        if not inbox.exists():
            return {}
        done = [p for p in inbox.iterdir() if p.is_file() and not p.name.startswith(".")]
        return {p.name: p.read_text() for p in done}

    with outbound_bus(partner) as bus, running_daemon(config):
        publish(bus, "once")
        wait_for("the 856 delivered", lambda: sent(database_url, 1))
        [(name, original)] = at_partner().items()
        (inbox / name).unlink()  # the partner took it, and lost it
        [row] = outbound_rows(database_url)

        said = gateway_command(config, "resend", row["document_id"])
        wait_for(f"the resent 856 at the partner ({said.strip()})", lambda: bool(at_partner()))
        [(again, text)] = at_partner().items()
        assert text == original  # the same interchange, under a name of its own
        assert again != name and again in said

        said = gateway_command(config, "resend", row["document_id"])  # the partner still has it
        wait_for("the third delivery", lambda: len(at_partner()) == 2)
        assert at_partner()[again] == original  # not overwritten
        wait_for("every delivery over", lambda: len(filed(database_url)) == 3)
    assert sorted(at_partner().values()) == [original] * 2
    sent_folder = home / "outbox" / partner / "sent"
    assert sorted(files_in(sent_folder).values()) == [original] * 3
    assert sorted(files_in(sent_folder)) == sorted(d["local_name"] for d in filed(database_url))
    [row] = outbound_rows(database_url)  # the same document, sent three times
    assert row["state"] == "sent"


def filed(database_url: str) -> list[dict[str, Any]]:
    rows = _select(database_url, "select * from deliveries order by id")
    return [row for row in rows if row["state"] == DeliveryState.FILED.value]


def test_a_line_break_in_a_field_is_refused_like_a_separator(
    tmp_path: Path, database_url: str
) -> None:
    partner = f"o{uuid.uuid4().hex[:10]}"
    home = tmp_path / "home"
    config = settings(home, partner, database_url)
    write_profile(home, partner)
    cases = {"lf": "ASN\nINJECTED", "cr": "ASN\rINJECTED", "crlf": "ASN\r\nINJECTED"}
    with outbound_bus(partner) as bus, running_daemon(config):
        for request_id, shipment_id in cases.items():
            data = asn_data()
            data["shipment_id"] = shipment_id
            bus.publish(request(request_id, partner, data=data), message_id=request_id)
        publish(bus, "good")
        dead: list[tuple[Any, bytes]] = []

        def all_dead() -> bool:
            dead.extend(bus.take(bus.dead_letters))
            return len(dead) >= len(cases)

        wait_for("the dead letters", all_dead)
        wait_for("the good one sent", lambda: sent(database_url, 1))
    reasons = {props.headers[REQUEST_ID_HEADER]: props.headers[ERROR_HEADER] for props, _ in dead}
    assert set(reasons) == set(cases)
    assert all("BSN02" in reason and "line break" in reason for reason in reasons.values())
    rows = {row["request_id"]: row for row in outbound_rows(database_url)}
    assert {rows[key]["state"] for key in cases} == {"invalid"}
    assert rows["good"]["state"] == "sent"
    [text] = files_in(home / "outbox" / partner).values()
    assert "INJECTED" not in text and json.dumps(text).count("\\r") == 0
