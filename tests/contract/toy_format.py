"""A toy format, whole, as docs/architecture.md shows how to add one: line-based order files.

    ORDER <po number> <YYYY-MM-DD> FROM <sender id> TO <receiver id> REF <reference>
    LINE <quantity> <unit> <vendor item number>
    ...

Each file holds one order, read into a canonical ``PurchaseOrder`` (kind ``850``: it is published
where every order is, ``edi.in.850.<partner>``, whatever format it came in). A partner whose
profile says ``format = "toy"`` has its files read with it, and checked against its ``[toy]``
settings (:class:`ToyConfig`); orders for it are written with it, the reference drawn from the
ledger's counters. It has no acknowledgements.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from pydantic import Field

from gateway.control_numbers import ControlNumberCounter
from gateway.messages import (
    Envelope,
    ItemIdentification,
    Message,
    PartyId,
    PurchaseOrder,
    PurchaseOrderLine,
    document_id_of,
)
from gateway.ports import (
    DocumentRefused,
    Draft,
    Format,
    FormatConfig,
    ParsedDocument,
    Parser,
    ParseResult,
    RenderedDocument,
)

KIND = "toy"
DRAFT_REFERENCE = "0"
HEAD = "ORDER <po> <date> FROM <id> TO <id> REF <ref>"
LINE = "LINE <quantity> <unit> <item>"


class ToyConfig(FormatConfig):
    """A partner's ``[toy]`` section."""

    buyer: str = Field(description="the partner's id: its files say FROM it, ours TO it")
    us: str = Field(default="GATEWAY", description="our id, as the partner knows us")


class BadLine(ValueError):
    """A line that is not what the format says; the message names the line and what was
    expected."""


@dataclass(frozen=True)
class ToyParser:
    """Reads toy files; picklable (its state is its partners' settings)."""

    configs: Mapping[str, ToyConfig]

    def parse(
        self,
        data: bytes,
        *,
        file_name: str,
        partner: str | None = None,
        refuse: Mapping[str, str] | None = None,
    ) -> ParseResult:
        try:
            order = _read(data.decode("utf-8"), partner)
        except (UnicodeDecodeError, BadLine) as error:
            return ParseResult(unreadable=f"{file_name}: {error}")
        config = self.configs.get(partner or "")
        if config is not None and order.envelope.sender.id != config.buyer:
            why = f"{file_name}: FROM {order.envelope.sender.id}, not {config.buyer}"
            return ParseResult(refused=why)
        document = ParsedDocument(
            document_id=order.document_id,
            kind="850",
            interchange=order.envelope.interchange_reference or "",
            group="",
            transaction="",
            message=order,
            envelope_key=order.envelope.envelope_key,
        )
        return ParseResult(documents=[document])

    def reply(self, result: ParseResult, counter: ControlNumberCounter) -> None:
        """Toy files are not acknowledged."""


def _read(text: str, partner: str | None) -> PurchaseOrder:
    lines = [line.split() for line in text.splitlines() if line.strip()]
    if not lines:
        raise BadLine(
            "line 1: expected ORDER <po> <date> FROM <id> TO <id> REF <ref>, found nothing"
        )
    head = lines[0]
    if len(head) != 9 or (head[0], head[3], head[5], head[7]) != ("ORDER", "FROM", "TO", "REF"):
        raise BadLine(f"line 1: expected {HEAD}, found {' '.join(head)[:80]!r}")
    try:
        when = dt.date.fromisoformat(head[2])
    except ValueError:
        raise BadLine(f"line 1: expected a date YYYY-MM-DD, found {head[2][:20]!r}") from None
    items = []
    for number, line in enumerate(lines[1:], start=2):
        if len(line) != 4 or line[0] != "LINE":
            raise BadLine(f"line {number}: expected {LINE}, found {' '.join(line)[:80]!r}")
        try:
            quantity = decimal.Decimal(line[1])
        except decimal.InvalidOperation:
            raise BadLine(f"line {number}: expected a quantity, found {line[1][:20]!r}") from None
        item = ItemIdentification(vendor_item_number=line[3])
        items.append(PurchaseOrderLine(quantity=quantity, unit_of_measure=line[2], item=item))
    if not items:
        raise BadLine("an order without a LINE")
    envelope = Envelope(
        partner=partner,
        format=KIND,
        sender=PartyId(id=head[4]),
        receiver=PartyId(id=head[6]),
        interchange_reference=head[8],
    )
    return PurchaseOrder(
        envelope=envelope,
        purpose_code="00",
        order_type_code="SA",
        po_number=head[1],
        po_date=when,
        lines=items,
    )


def _write(order: PurchaseOrder, sender: str, receiver: str, reference: str) -> str:
    head = (
        f"ORDER {order.po_number} {order.po_date.isoformat()} FROM {sender} TO {receiver} "
        f"REF {reference}"
    )
    lines = [
        f"LINE {line.quantity} {line.unit_of_measure} {line.item.vendor_item_number}"
        for line in order.lines
    ]
    return "\n".join([head, *lines]) + "\n"


class ToyFormat(Format):
    """Line-based order files (``format = "toy"``, settings in ``[toy]``)."""

    kind: ClassVar[str] = KIND
    Config: ClassVar[type[FormatConfig]] = ToyConfig

    def parser(self, configs: Mapping[str, FormatConfig]) -> Parser:
        return ToyParser({name: c for name, c in configs.items() if isinstance(c, ToyConfig)})

    def draft(self, message: Message, kind: str, config: FormatConfig, at: dt.datetime) -> Draft:
        if not isinstance(message, PurchaseOrder) or not isinstance(config, ToyConfig):
            raise DocumentRefused(f"the toy format writes orders only, not {kind}")
        if any(line.item.vendor_item_number is None for line in message.lines):
            raise DocumentRefused("every line needs a vendor item number")
        text = _write(message, config.us, config.buyer, DRAFT_REFERENCE)
        return Draft(kind, "order", text, message.content_digest)

    def number(
        self, draft: Draft, config: FormatConfig, counter: ControlNumberCounter
    ) -> RenderedDocument:
        assert isinstance(config, ToyConfig)
        reference = str(counter.next(f"toy.{config.us}.{config.buyer}"))
        head, _, rest = draft.text.partition("\n")
        text = f"{head.removesuffix(f'REF {DRAFT_REFERENCE}')}REF {reference}\n{rest}"
        envelope = Envelope(
            format=KIND,
            sender=PartyId(id=config.us),
            receiver=PartyId(id=config.buyer),
            interchange_reference=reference,
        )
        return RenderedDocument(
            document_id=document_id_of(envelope, draft.content_digest),
            text=text,
            group_kind=draft.group_kind,
            interchange=reference,
            group="",
            transaction="",
            file_name=f"order-{config.buyer}-{reference}.txt",
            sender_id=config.us,
            receiver_id=config.buyer,
        )
