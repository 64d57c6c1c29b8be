"""Hostile sizes: a large file holds up no other file nor request (issue 20, item 16), and a
huge element makes no huge report (item 17). Each case: nothing lost, nothing doubled, the rest
keeps flowing, the cause visible."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.integration.outbound.support import (
    outbound_bus,
    request,
    request_queue,
    write_profile,
)
from tests.integration.support import (
    bound_queue,
    daemon_output,
    drop,
    gateway_process,
    small_850,
    take_all,
    wait_for,
    write_settings,
)


def ship_notices(size: int, *, cartons: int = 400, sender: str = "BIGSHIPPER") -> bytes:
    """One interchange of 856s, ``cartons`` cartons each, as many as fit in ``size`` bytes."""
    parts = [
        f"ISA*00*          *00*          *ZZ*{sender:<15}*ZZ*GATEWAY        *261123*1200*U*"
        "00401*000000001*0*P*>~\n",
        f"GS*SH*{sender}*GATEWAY*20261123*1200*1*X*004010~\n",
    ]
    written, count, serial = 0, 0, 0
    while written < size:
        count += 1
        st = f"{count:04d}"
        segments = [
            f"ST*856*{st}",
            f"BSN*00*ASN{count:08d}*20261123*1200*0001",
            "HL*1**S*1",
            "TD1*CTN25*40****G*400*LB",
            "TD5*B*2*UPSN*M*UPS GROUND",
            f"REF*BM*BOL{count:010d}",
            "DTM*011*20261123",
            "N1*SF*BIG SHIPPER*UL*0614141000005",
            "N1*ST*RETAILER DC 12*UL*0614141000012",
            "HL*2*1*O*1",
            f"PRF*PO{count:08d}***20261120",
        ]
        hl = 2
        for carton in range(cartons):
            serial += 1
            pack = hl = hl + 1
            segments += [f"HL*{pack}*2*P*1", f"MAN*GM*00006141410{serial:08d}"[:31]]
            hl += 1
            segments += [
                f"HL*{hl}*{pack}*I*0",
                f"LIN*{carton + 1}*UP*01234567890{carton % 10}*VN*SKU-{carton:05d}",
                "SN1**12*EA**12*EA",
            ]
        segments += [f"CTT*{hl}", f"SE*{len(segments) + 2}*{st}"]
        text = "~\n".join(segments) + "~\n"
        parts.append(text)
        written += len(text)
    parts.append(f"GE*{count}*1~\nIEA*1*000000001~\n")
    return "".join(parts).encode()


def _file_states(url: str, partner: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("select state from files where partner = :p"), {"p": partner}
            )
            return [state for (state,) in rows]
    except sa.exc.DBAPIError:  # no table yet: the daemon is migrating the ledger
        return []
    finally:
        engine.dispose()


def test_a_small_file_and_an_outbound_request_go_through_while_a_large_file_is_parsed(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    home = tmp_path
    big_partner, small_partner = f"{partner}big", f"{partner}small"
    write_profile(home, partner)
    config = write_settings(
        home,
        database_url,
        parse_workers=1,
        outbound_queue=request_queue(partner),
        outbound_bindings=[f"edi.out.*.{partner}"],
    )
    large = ship_notices(4_000_000, cartons=100)  # four times large_file_size: 15-30 s of parse
    with (
        outbound_bus(partner) as bus,
        bound_queue(f"edi.in.*.{small_partner}") as (channel, queue),
    ):
        daemon = gateway_process(config, "run")
        try:
            drop(home / "inbox", big_partner, "large.edi", large)
            wait_for(
                "the large file to be recorded",
                lambda: _file_states(database_url, big_partner) == ["received"],
                timeout=60,
            )
            time.sleep(1)  # its parse is under way
            dropped = time.monotonic()
            drop(home / "inbox", small_partner, "small.edi", small_850(4242))
            bus.publish(request("req-while-large", partner))
            outbox = home / "outbox" / partner
            published: list[float] = []
            written: list[float] = []

            def both_done() -> bool:
                if not published and take_all(channel, queue):
                    published.append(time.monotonic() - dropped)
                if not written and outbox.is_dir() and any(outbox.glob("*.x12")):
                    written.append(time.monotonic() - dropped)
                return bool(published and written)

            wait_for("the small file and the request", both_done, timeout=300)
            large_state = _file_states(database_url, big_partner)
            print(
                f"small file published after {published[0]:.1f} s, request written after "
                f"{written[0]:.1f} s; large file: {large_state}"
            )
            assert large_state == ["received"], "the large file was done first: no proof"
            wait_for(
                "the large file to be archived",
                lambda: _file_states(database_url, big_partner) == ["archived"],
                timeout=600,
            )
        finally:
            daemon.terminate()
            daemon.wait(timeout=120)
    assert published[0] < 10 and written[0] < 10, daemon_output(config)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_a_large_file_stopped_mid_parse_is_taken_once_at_the_restart_beside_the_others(
    tmp_path: Path, database_url: str, partner: str, stop: signal.Signals
) -> None:
    """A stop abandons a large file's parse (SIGTERM: at once, not after the parse); at the
    restart its recovery takes the lane, so a small file is not held up by it either."""
    home = tmp_path
    big_partner, small_partner = f"{partner}big", f"{partner}small"
    config = write_settings(home, database_url, parse_workers=1)
    large = ship_notices(3_000_000, cartons=100)
    sets = large.count(b"~\nST*856*")
    with (
        bound_queue(f"edi.in.*.{big_partner}") as (big_channel, big_queue),
        bound_queue(f"edi.in.*.{small_partner}") as (channel, queue),
    ):
        daemon = gateway_process(config, "run")
        try:
            drop(home / "inbox", big_partner, "large.edi", large)
            wait_for(
                "the large file to be recorded",
                lambda: _file_states(database_url, big_partner) == ["received"],
                timeout=60,
            )
            time.sleep(0.5)  # its parse is under way
            stopping = time.monotonic()
            daemon.send_signal(stop)
            daemon.wait(timeout=120)
            stopped_in = time.monotonic() - stopping
        finally:
            daemon.kill()
        assert _file_states(database_url, big_partner) == ["received"]
        daemon = gateway_process(config, "run")
        try:
            dropped = time.monotonic()
            drop(home / "inbox", small_partner, "small.edi", small_850(4343))
            wait_for("the small file", lambda: bool(take_all(channel, queue)), timeout=120)
            latency = time.monotonic() - dropped
            still = _file_states(database_url, big_partner)
            wait_for(
                "the large file to be archived",
                lambda: _file_states(database_url, big_partner) == ["archived"],
                timeout=600,
            )
            big_messages: list[str] = []

            def all_published() -> bool:
                big_messages.extend(p.message_id for p, _ in take_all(big_channel, big_queue))
                return len(big_messages) >= sets

            wait_for("the large file's documents", all_published, timeout=120)
            time.sleep(1)  # nothing more comes
            big_messages.extend(p.message_id for p, _ in take_all(big_channel, big_queue))
        finally:
            daemon.terminate()
            daemon.wait(timeout=120)
    assert len(big_messages) == len(set(big_messages)) == sets
    assert len(_details(database_url, big_partner)["documents"]) == sets
    assert stop is signal.SIGKILL or stopped_in < 10, (stopped_in, daemon_output(config))
    assert latency < 10 and still == ["received"], (latency, still, daemon_output(config))


def _peak_memory(pid: int) -> int:
    """The process's peak resident memory, in bytes (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def _details(url: str, partner: str) -> dict[str, list[object]]:
    """The JSON details the ledger keeps for ``partner``'s files, documents and their events."""
    engine = sa.create_engine(url)
    queries = {
        "files": "select detail from files where partner = :p",
        "documents": "select detail from documents where partner = :p",
        "events": "select e.detail from events e join files f on e.file_id = f.id "
        "where f.partner = :p",
    }
    try:
        with engine.connect() as connection:
            return {
                table: [row for (row,) in connection.execute(sa.text(query), {"p": partner})]
                for table, query in queries.items()
            }
    finally:
        engine.dispose()


REPORT_BOUND = 300_000
"""Bytes a file's report (and each ledger detail) stays under, whatever the file holds."""


def test_a_huge_element_is_quarantined_with_a_bounded_report_and_the_rest_flows(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    """A 30 MB element: before, a 60 MB error.json, 60 MB in each of the file's detail, its
    event's and its document's, and the daemon at 680 MB (390 MB kept after)."""
    home = tmp_path
    size = 30_000_000
    huge = small_850(5151).replace(b"BEG*00*SA*PO00005151", b"BEG*00*SA*" + b"X" * size)
    config = write_settings(home, database_url)
    with bound_queue(f"edi.in.*.{partner}") as (channel, queue):
        daemon = gateway_process(config, "run")
        try:
            drop(home / "inbox", partner, "before.edi", small_850(5150))
            wait_for(
                "the first file to be archived",
                lambda: _file_states(database_url, partner) == ["archived"],
                timeout=120,
            )
            at_rest = _peak_memory(daemon.pid)
            drop(home / "inbox", partner, "huge.edi", huge)
            drop(home / "inbox", partner, "after.edi", small_850(5152))
            wait_for(
                "the three files to be settled",
                lambda: (
                    sorted(_file_states(database_url, partner))
                    == ["archived", "archived", "quarantined"]
                ),
                timeout=300,
            )
            peak = _peak_memory(daemon.pid)
            published: list[bytes] = []

            def both_published() -> bool:
                published.extend(body for _, body in take_all(channel, queue))
                return len(published) >= 2

            wait_for("two orders published", both_published, timeout=60)
        finally:
            daemon.terminate()
            daemon.wait(timeout=120)
    assert sorted(json.loads(body)["data"]["po_number"] for body in published) == [
        "PO00005150",
        "PO00005152",
    ]
    quarantine = home / "quarantine" / partner
    [kept] = quarantine.glob("*-huge.edi")
    assert kept.stat().st_size == len(huge)
    report_file = kept.with_name(kept.name + ".error.json")
    assert report_file.stat().st_size < REPORT_BOUND, report_file.stat().st_size
    report = json.loads(report_file.read_text())
    [finding] = [f for f in report["findings"] if f["code"] == "syntax.element_too_long"]
    assert finding["element"] == "BEG03" and finding["segment_position"] == 2
    assert finding["expected"] == "at most 22 characters"
    assert finding["found_length"] == size and f"…({size:,} characters)" in finding["message"]
    acks = sorted(ack.read_text() for ack in (home / "outbox" / partner).glob("997-*.x12"))
    assert len(acks) == 3 and sum("AK5*R*5~" in ack for ack in acks) == 1, acks
    details = _details(database_url, partner)
    for table, rows in details.items():
        for detail in rows:
            assert len(json.dumps(detail)) < REPORT_BOUND, (table, len(json.dumps(detail)))
    [failed] = [d for d in details["documents"] if d]
    assert "BEG03" in json.dumps(failed)
    grown = peak - at_rest
    print(f"daemon memory: {at_rest / 1e6:.0f} MB at rest, {grown / 1e6:.0f} MB more at peak")
    assert grown < 4 * size, daemon_output(config)
