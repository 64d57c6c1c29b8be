"""856 item level (HL03 = I) -> :class:`~gateway.messages.ShippedItem` (asn856.py reads the
levels around it; asn856_writing.py writes it back): LIN, SN1, PO4, PID, MEA (the weight of what was
shipped: the catch weight of items that vary in weight), REF and DTM, with the lot, serial numbers
and expiration date as the 856 carries them (see asn856.py's docstring).
"""

from __future__ import annotations

from collections.abc import Sequence

from gateway.messages import ItemIdentification, ShippedItem
from gateway.messages.blocks import keep_other_ids_2_0, other_ids_2_0

from .commercial import parse_measurement, parse_pack_size
from .common import SegmentAt, parse_date_reference, parse_reference
from .item_ids import NAMED_ITEM_IDS_2_1, parse_item_ids, read_descriptions


def read_item(hl: SegmentAt, own: Sequence[SegmentAt]) -> ShippedItem:
    """The item level opened by ``hl``, from the segments of its own level (``own``)."""

    def first(tag: str) -> SegmentAt | None:
        return next((s for s in own if s.tag == tag), None)

    def every(tag: str) -> list[SegmentAt]:
        return [s for s in own if s.tag == tag]

    sn1 = first("SN1")
    if sn1 is None:
        raise hl.error("the item level has no SN1 (item detail, shipment)")
    lin = first("LIN")
    sn1.take((1, 2, 3, 4, 5, 6))
    if lin is not None:
        lin.take(range(1, 32))  # LIN01, fifteen product id pairs
    description, descriptions = read_descriptions(every("PID"))
    packaging = [p for s in every("PO4") if (p := parse_pack_size(s))]
    measurements = [m for s in every("MEA") if (m := parse_measurement(s))]
    ids = parse_item_ids(lin, 2, NAMED_ITEM_IDS_2_1) if lin else ItemIdentification()
    id_lot = next((i for i in ids.other_ids if i.qualifier == "LT"), None)
    id_serials = [i for i in ids.other_ids if i.qualifier == "SN"]
    others = [i for i in ids.other_ids if i is not id_lot and i not in id_serials]
    references = [parse_reference(s) for s in every("REF")]
    lot = None if id_lot else next((r for r in references if r.qualifier == "LT" and r.value), None)
    serials = [r for r in references if r.qualifier == "SE" and r.value]
    dates = [parse_date_reference(s) for s in every("DTM")]
    expiry = next((d for d in dates if d.qualifier == "036" and d.time is None), None)
    lot_number = id_lot.value if id_lot else (lot.value if lot else None)
    item = ids.model_copy(update={"other_ids": others})
    if others != ids.other_ids and other_ids_2_0(item) is None:
        keep_other_ids_2_0(item, ids.other_ids)  # 2.0 kept the LT and SN pairs there
    return ShippedItem(
        line_number=(lin.text(1) if lin else None) or sn1.text(1),
        item=item,
        quantity_shipped=sn1.need(sn1.decimal(2), 2, "number of units shipped"),
        unit_of_measure=sn1.need(sn1.text(3), 3, "unit of measure"),
        quantity_ordered=sn1.decimal(5),
        quantity_shipped_to_date=sn1.decimal(4),
        ordered_unit_of_measure=sn1.text(6),
        description=description,
        descriptions=descriptions,
        packaging=packaging,
        measurements=measurements,
        lot_number=lot_number,
        serial_numbers=[i.value for i in id_serials] + [r.value for r in serials if r.value],
        expiration_date=expiry.date if expiry else None,
        references=[r for r in references if r is not lot and r not in serials],
        dates=[d for d in dates if d is not expiry],
    )
