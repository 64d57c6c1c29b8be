"""Files that fail, and start-up recovery, on the real RabbitMQ and both ledgers: a file whose
separators are bytes that are not ASCII is read and answered. The daemon never stops and the
others flow."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from tests.integration.support import (
    bound_queue,
    daemon_output,
    drop,
    gateway_command,
    gateway_process,
    small_850,
    take_all,
    wait_for,
    write_settings,
)


def with_separator_ff(control: int) -> bytes:
    """A valid 850 whose ISA16 (the component separator) is the byte 0xFF."""
    data = small_850(control)
    assert data.count(b"*P*>~") == 1
    return data.replace(b"*P*>~", b"*P*\xff~")


def test_a_file_whose_separator_is_a_byte_that_is_not_ascii_is_answered_and_restarts_run(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    """Before, its 997 mirrored the byte, the ledger could not store it (UnicodeEncodeError),
    the file stayed in the work folder and every restart ended with status 1."""
    config = write_settings(tmp_path, database_url)
    inbox = tmp_path / "inbox"
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        process = gateway_process(config, "run")
        try:
            drop(inbox, partner, "ff.edi", with_separator_ff(8101))
            drop(inbox, partner, "plain.edi", small_850(8102))
            archive = tmp_path / "archive" / partner
            wait_for(
                "both files to be archived",
                lambda: len(list(archive.rglob("*.edi"))) == 2 or process.poll() is not None,
                timeout=60,
            )
            assert process.poll() is None, daemon_output(config)
            outbox = tmp_path / "outbox" / partner
            wait_for("both acknowledgements", lambda: len(list(outbox.glob("*.x12"))) == 2)
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=60) == 0, daemon_output(config)
        gateway_command(config, "run", "--once")  # a restart runs (status 0)
        numbers = sorted(
            json.loads(body)["data"]["po_number"] for _, body in take_all(channel, queue)
        )
    assert numbers == ["PO00008101", "PO00008102"]
    acks = [path.read_bytes() for path in outbox.glob("*.x12")]
    assert all(ack.isascii() for ack in acks)
    # the reply to ff.edi declares the default component separator; the other mirrors '>'
    assert sorted(ack[104:105] for ack in acks) == [b":", b">"]
    assert not list((tmp_path / "var" / "work").rglob("*.edi"))
