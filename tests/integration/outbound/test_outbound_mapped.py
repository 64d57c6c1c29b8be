"""Outbound requests for partners whose profiles write through declarative mappings (issue 22),
through the running daemon on SQLite and PostgreSQL: a ShipNotice for a cXML partner becomes a
ShipNoticeRequest in its outbox and a PurchaseOrderAck a ConfirmationRequest; a ShipNotice for a
CSV partner becomes a CSV ASN; each file is the one the ledger records, and reads back through
its mapping as the canonical message requested, under the id the ledger gave it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from adapters.formats.delimited.format import CsvConfig, CsvFormat
from adapters.formats.xml.format import XmlConfig, XmlFormat
from gateway.ports import Format, FormatConfig
from tests.integration.outbound.support import outbound_bus, request, request_queue
from tests.integration.outbound.test_outbound_files import outbound_rows, sent
from tests.integration.support import ROOT, running_daemon, wait_for, write_settings

CXML = {
    "mappings": ["cxml-ship-notice-request", "cxml-confirmation-request"],
    "render": {"856": "cxml-ship-notice-request", "855": "cxml-confirmation-request"},
    "sender_id": "GATEWAY",
    "sender_qualifier": "NetworkID",
    "receiver_id": "AN00000456",
    "receiver_qualifier": "NetworkID",
}
CSV = {
    "mapping": "example-asn",
    "render": {"856": "example-asn"},
    "sender_id": "GATEWAY",
    "receiver_id": "3PL-EAST",
}
CXML_NOTICE = ROOT / "fixtures" / "xml" / "cxml-ship-notice-request.xml"
CXML_CONFIRMATION = ROOT / "fixtures" / "xml" / "cxml-confirmation-request.xml"


def profile(kind: str, section: dict[str, Any]) -> str:
    lines = [f'format = "{kind}"', f"[{kind}]"]
    for key, value in section.items():
        if isinstance(value, dict):
            value = "{ " + ", ".join(f'"{k}" = "{v}"' for k, v in value.items()) + " }"
        elif isinstance(value, list):
            value = "[" + ", ".join(f'"{v}"' for v in value) + "]"
        else:
            value = f'"{value}"'
        lines.append(f"{key} = {value}")
    return "\n".join(lines) + "\n"


def requested(format_: Format, config: FormatConfig, path: Path) -> list[dict[str, Any]]:
    """The canonical messages of a file, as the modern layer would send them (no envelope)."""
    result = format_.parser({"sample": config}).parse(path.read_bytes(), file_name=path.name)
    assert not result.has_errors, (result.why, result.findings)
    return [
        doc.message.model_dump(mode="json", exclude={"envelope", "document_id"})
        for doc in result.documents
        if doc.message is not None
    ]


def run(
    tmp_path: Path,
    database_url: str,
    partner: str,
    kind: str,
    section: dict[str, Any],
    requests: list[tuple[str, str, dict[str, Any]]],
) -> tuple[Path, list[dict[str, Any]]]:
    """The daemon takes ``requests`` (id, kind, data) for ``partner``; returns its outbox and
    the ledger's rows once every document is sent."""
    home = tmp_path / "home"
    folder = home / "mappings" / "partners"
    folder.mkdir(parents=True)
    (folder / f"{partner}.toml").write_text(profile(kind, section))
    config = write_settings(
        home,
        database_url,
        outbound_queue=request_queue(partner),
        outbound_bindings=[f"edi.out.*.{partner}"],
    )
    with outbound_bus(partner) as bus, running_daemon(config):
        for request_id, request_kind, data in requests:
            bus.publish(
                request(request_id, partner, data=data, kind=request_kind),
                kind=request_kind,
                message_id=request_id,
            )
        wait_for(
            f"{len(requests)} documents sent",
            lambda: sent(database_url, len(requests)),
            timeout=60.0,
        )
        dead = bus.take(bus.dead_letters)
    assert not dead, [body[:300] for _, body in dead]
    return home / "outbox" / partner, outbound_rows(database_url)


def read_back(format_: Format, config: FormatConfig, data: bytes) -> tuple[str, dict[str, Any]]:
    """The id and content of the one document ``data`` holds, read as nobody's."""
    result = format_.parser({"partner": config}).parse(data, file_name="out", partner=None)
    [doc] = result.documents
    assert doc.message is not None, result.findings
    return doc.document_id, doc.message.model_dump(mode="json", exclude={"envelope", "document_id"})


def test_a_cxml_partner_gets_its_ship_notice_and_confirmation_in_cxml(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    config = XmlConfig.model_validate(CXML)
    [notice] = requested(XmlFormat(), config, CXML_NOTICE)
    [ack] = requested(
        XmlFormat(), config, ROOT / "fixtures" / "xml" / "cxml-confirmation-request.xml"
    )
    outbox, rows = run(
        tmp_path,
        database_url,
        partner,
        "xml",
        CXML,
        [("asn-1", "856", notice), ("ack-1", "855", ack)],
    )
    files = {path.name: path.read_bytes() for path in outbox.iterdir() if path.is_file()}
    assert sorted(files) == sorted(row["file_name"] for row in rows)
    for row in rows:
        assert row["state"] == "sent" and row["format"] == "xml"
        data = files[row["file_name"]]
        assert data.decode("utf-8") == row["content"]
        document_id, content = read_back(XmlFormat(), config, data)
        assert document_id == row["document_id"]
        assert content == (notice if row["kind"] == "856" else ack)
        assert f'payloadID="{row["interchange_ref"]}"'.encode() in data
        assert b"<!DOCTYPE cXML SYSTEM" in data
        assert (row["sender_id"], row["receiver_id"]) == ("GATEWAY", "AN00000456")
    by_kind = {row["kind"]: files[row["file_name"]] for row in rows}
    assert b"<ShipNoticeRequest>" in by_kind["856"]
    assert b"<ConfirmationRequest>" in by_kind["855"]
    assert b'<ConfirmationHeader type="detail"' in by_kind["855"]


def test_a_csv_partner_gets_its_ship_notice_as_a_csv_asn(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    config = CsvConfig.model_validate(CSV)
    notice, _ = requested(CsvFormat(), config, ROOT / "fixtures" / "csv" / "asn.csv")
    outbox, [row] = run(tmp_path, database_url, partner, "csv", CSV, [("asn-1", "856", notice)])
    assert row["state"] == "sent" and row["format"] == "csv"
    assert row["file_name"] == f"856-{row['interchange_ref']}.csv"
    data = (outbox / row["file_name"]).read_bytes()
    assert data.decode("utf-8") == row["content"]
    assert data.startswith(b"file_reference,sender,receiver,shipment_id,")
    assert len(data.splitlines()) == 1 + 3  # the header, a row per shipped item
    document_id, content = read_back(CsvFormat(), config, data)
    assert (document_id, content) == (row["document_id"], notice)
