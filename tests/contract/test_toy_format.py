"""The toy format (tests/contract/toy_format.py) shows that a format is one file plus a partner's
profile (docs/architecture.md): registered in a registry of its own, it passes the format
contract, and a partner whose profile names it has its orders read by the daemon, recorded and
published where every order is, and its bad files quarantined with the reason."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import ClassVar

from adapters import REGISTRY
from gateway.config import Settings
from gateway.ledger import DocumentState, FileState, documents_of_file, files_in_state
from gateway.registry import Registry
from gateway.runtime.daemon import Gateway
from tests.contract.formats import FormatContract
from tests.contract.toy_format import ToyFormat
from tests.integration.support import bound_queue, drop, take_all
from tests.support.broker import AMQP_URL

ORDER = b"ORDER 4711 2026-12-05 FROM SHOP TO GATEWAY REF 17\nLINE 3 EA SKU-1\nLINE 1.5 KG SKU-2\n"
PROFILE = 'format = "toy"\n[toy]\nbuyer = "SHOP"\n'


class TestToyFormat(FormatContract):
    format_class = ToyFormat
    config: ClassVar = {"buyer": "SHOP"}
    samples: ClassVar = [ORDER]
    bad_samples: ClassVar = [
        b"ORDER 4711 2026-13-45 FROM SHOP TO GATEWAY REF 1\nLINE 1 EA X\n",
        b"ORDER 4711 2026-12-05 FROM SHOP TO GATEWAY REF 1\nLINE lots EA X\n",
        b"ORDER 4711 2026-12-05 FROM SOMEONE TO GATEWAY REF 1\nLINE 1 EA X\n",
    ]
    renders: ClassVar = ("850",)


def test_a_partner_whose_profile_names_the_toy_format_has_its_orders_published(
    tmp_path: Path, database_url: str, partner: str
) -> None:
    registry = Registry(
        formats={**REGISTRY.formats, ToyFormat.kind: ToyFormat},
        channels=REGISTRY.channels,
        default_format=REGISTRY.default_format,
    )
    profiles = tmp_path / "mappings" / "partners"
    profiles.mkdir(parents=True)
    (profiles / f"{partner}.toml").write_text(PROFILE)
    settings = Settings(
        home=tmp_path, database_url=database_url, amqp_url=AMQP_URL, min_age=0, parse_workers=1
    )
    gw = Gateway.from_settings(settings, registry)
    with bound_queue(f"edi.in.850.{partner}") as (channel, queue):
        drop(tmp_path / "inbox", partner, "order.txt", ORDER)
        drop(tmp_path / "inbox", partner, "bad.txt", b"ORDER 4711 yesterday\n")
        gw.run(threading.Event(), once=True, drain=30)
        [(properties, body)] = take_all(channel, queue)
    event = json.loads(body)
    assert event["data"]["po_number"] == "4711" and event["data"]["envelope"]["format"] == "toy"
    assert event["data"]["envelope"]["sender"] == {"id": "SHOP", "qualifier": None}
    assert [line["quantity"] for line in event["data"]["lines"]] == ["3", "1.5"]
    with gw.pipeline.factory.begin() as s:
        [archived] = files_in_state(s, [FileState.ARCHIVED])
        [quarantined] = files_in_state(s, [FileState.QUARANTINED])
        [document] = documents_of_file(s, archived.id)
    assert document.format == "toy" and document.state is DocumentState.PUBLISHED
    assert document.business_key == "PurchaseOrder:4711"
    assert properties.message_id == document.document_id
    report = (tmp_path / "quarantine" / partner).glob("*bad.txt.error.json")
    assert "expected ORDER <po> <date>" in "".join(path.read_text() for path in report)
    assert quarantined.name == "bad.txt"
