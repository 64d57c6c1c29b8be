"""What schema 2.1 maps in the 850, 855 and 856 (issue 25), what it keeps as unmapped, and why
the ids of documents without any of it do not change."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import jsonschema

from adapters.formats.x12.reader import transactions_in
from adapters.formats.x12.transactions import asn856, po850, poack855
from gateway.messages import PurchaseOrder, ShipNotice
from gateway.messages.blocks import ControlTotals, UnmappedSegment
from gateway.schemas import message_schemas
from tests.integration.support import ROOT
from tests.unit.x12.strategies import transaction_from_text

ORDER = """
BEG*00*SA*PO-9**20240301~
CUR*BY*USD~
FOB*PP*OR*DOCK 4*01*FOB~
SAC*C*D240***1250*3*2.5*****06*FRT-1**FREIGHT~
SAC*A*C310***100******5~
TD5*B*2*UPSN*U~
TXI*ST*12.5*6.25*CD*IL~
AMT*TT*412.5~
N9*AH*CONTRACT 7*MASTER AGREEMENT~
MTX*GEN*CALL BEFORE DELIVERY~
N1*ST*STORE 12*92*0012~
REF*ST*DOOR 7~
PER*RE*DOCK MANAGER*TE*5550000~
PO1*1*10*EA*2.5*PE*IN*BUY-1*VN*V-1*IN*BUY-2~
CTP**RES*4.99*1*EA~
MEA*PD*WT*1.5*LB~
PID*F****WIDGET~
PID*S**VI*FL~
PO4*12*1.5*LB*CTN25*G*20*LB~
SAC*A*C310***250~
TXI*LS*0.5~
SCH*6*EA***002*20240315~
SCH*4*EA***002*20240320*0800~
PO1*2*5*EA~
CTP**UCP*3.25~
CTT*2~
"""


def order() -> PurchaseOrder:
    return po850.parse(transaction_from_text(ORDER, "850", "005010"))


def test_the_850_maps_charges_taxes_fob_totals_and_references_to_fields() -> None:
    message = order()
    [fob] = message.fob
    assert (fob.payment_method, fob.location, fob.terms_code) == ("PP", "DOCK 4", "FOB")
    [freight] = message.allowances_charges
    assert (freight.indicator, freight.code, freight.amount) == ("C", "D240", Decimal("12.50"))
    assert (freight.percent, freight.handling_code, freight.description) == (
        Decimal("2.5"),
        "06",
        "FREIGHT",
    )
    [tax] = message.taxes
    assert (tax.type_code, tax.amount, tax.percent, tax.jurisdiction) == (
        "ST",
        Decimal("12.5"),
        Decimal("6.25"),
        "IL",
    )
    assert [(a.qualifier, a.amount) for a in message.amounts] == [("TT", Decimal("412.5"))]
    [contract] = message.extended_references
    assert (contract.qualifier, contract.value) == ("AH", "CONTRACT 7")
    [note] = message.notes
    assert (note.code, note.text) == ("GEN", "CALL BEFORE DELIVERY")
    [store] = message.parties
    assert [(r.qualifier, r.value) for r in store.references] == [("ST", "DOOR 7")]
    assert message.control_totals is None  # CTT*2 agrees with the lines; no CTT02 sent


def test_an_850_line_maps_prices_pack_sizes_schedules_and_buyer_item_numbers() -> None:
    first, second = order().lines
    assert first.item.buyer_item_id == "BUY-1"
    assert first.description == "WIDGET"
    assert [(d.type, d.agency, d.code) for d in first.descriptions] == [("S", "VI", "FL")]
    assert [(i.qualifier, i.value) for i in first.item.other_ids] == [("IN", "BUY-2")]
    assert [(p.qualifier, p.unit_price) for p in first.prices] == [("RES", Decimal("4.99"))]
    assert [(p.qualifier, p.unit_price) for p in second.prices] == [("UCP", Decimal("3.25"))]
    assert second.unit_price is None  # the CTP is the line's only price
    [pack] = first.packaging
    assert (pack.pack, pack.size, pack.packaging_code, pack.gross_weight) == (
        12,
        Decimal("1.5"),
        "CTN25",
        Decimal("20"),
    )
    assert [(m.qualifier, m.value, m.unit) for m in first.measurements] == [
        ("WT", Decimal("1.5"), "LB")
    ]
    assert [c.amount for c in first.allowances_charges] == [Decimal("2.50")]
    assert [t.type_code for t in first.taxes] == ["LS"]
    assert [(s.quantity, s.date, s.time) for s in first.schedules] == [
        (Decimal("6"), dt.date(2024, 3, 15), None),
        (Decimal("4"), dt.date(2024, 3, 20), "0800"),
    ]


def test_segments_no_field_holds_are_kept_in_order_as_read() -> None:
    """The SAC with SAC11 (a second quantity no field holds) is kept whole."""
    assert order().unmapped == [
        UnmappedSegment(
            segment_id="SAC",
            position=6,
            elements=["A", "C310", "", "", "100", "", "", "", "", "", "5"],
        ),
    ]


def test_a_kept_composite_element_is_the_list_of_its_components() -> None:
    tx = transaction_from_text("BEG*00*SA*P1**20240301~PO1*1*1*EA~LDT*AE*5*DA:X~", "850")
    [kept] = po850.parse(tx).unmapped
    assert kept == UnmappedSegment(segment_id="LDT", position=4, elements=["AE", "5", ["DA", "X"]])


def test_a_ctt_that_disagrees_with_the_lines_is_kept_and_written_back() -> None:
    tx = transaction_from_text("BEG*00*SA*P1**20240301~PO1*1*3*EA~CTT*2*7~", "850")
    message = po850.parse(tx)
    assert message.control_totals == ControlTotals(count=2, hash_total=Decimal("7"))
    assert po850.render(message).body[-1].text() == "CTT*2*7"


SHIPMENT = """
BSN*00*ASN-1*20240301*1415~
HL*1**S*1~
TD1*CTN25*3****G*45.5*LB*12.5*CF~
TD1*PLT94*1**COMM~
TD5*B*2*UPSN*M~
TD5*O*2*XPOL*M~
TD3*TL*ABCD*778812******SEAL-44~
REF*BM*BOL-1~
DTM*011*20240301~
DTM*067*20240306~
HL*2*1*O*1~
PRF*PO-1~
HL*3*2*I*0~
LIN*1*VN*V-1*IN*BUY-1~
SN1**12*EA~
REF*LT*LOT-7~
REF*SE*SN-1~
REF*SE*SN-2~
REF*DP*042~
DTM*036*20251231~
CTT*3*12~
"""


def notice() -> ShipNotice:
    return asn856.parse(transaction_from_text(SHIPMENT, "856"))


def test_the_856_maps_equipment_volume_routing_and_item_lots_serials_and_expiry() -> None:
    message = notice()
    [trailer] = message.equipment
    assert (trailer.description_code, trailer.initial, trailer.number, trailer.seal_number) == (
        "TL",
        "ABCD",
        "778812",
        "SEAL-44",
    )
    assert message.volume is not None and (message.volume.value, message.volume.unit) == (
        Decimal("12.5"),
        "CF",
    )
    assert (message.routing_sequence_code, message.carrier_scac) == ("B", "UPSN")
    assert [(d.qualifier, d.date) for d in message.dates] == [("067", dt.date(2024, 3, 6))]
    [item] = message.orders[0].items
    assert item.item.buyer_item_id == "BUY-1"
    assert (item.lot_number, item.serial_numbers) == ("LOT-7", ["SN-1", "SN-2"])
    assert item.expiration_date == dt.date(2025, 12, 31)
    assert [(r.qualifier, r.value) for r in item.references] == [("DP", "042")]
    assert message.control_totals is None


def test_a_td1_or_td5_saying_more_than_the_fields_is_kept_whole() -> None:
    """The second TD1 (TD104 commodity code) and the second TD5 (another carrier) cannot be said
    by the shipment's one packaging code and one carrier: kept, nothing of them lost."""
    assert [(u.segment_id, u.position) for u in notice().unmapped] == [("TD1", 5), ("TD5", 7)]


def test_a_message_with_the_new_fields_validates_against_its_schema() -> None:
    for message, name in ((order(), "PurchaseOrder"), (notice(), "ShipNotice")):
        payload = json.loads(message.model_dump_json())
        jsonschema.validate(payload, message_schemas()[name])
    assert "unmapped" in json.loads(order().model_dump_json())


def test_a_document_without_the_new_fields_has_the_json_and_id_of_schema_2_0() -> None:
    """Fields added in 2.1 are left out while empty, so the JSON the content digest hashes is
    2.0's: the ids pinned in test_document_identity.py hold, and no 2.1 key is in the dump."""
    added = {"unmapped", "control_totals", "fob", "taxes", "amounts", "extended_references"}
    added |= {"allowances_charges", "measurements", "equipment", "volume", "dates"}
    for name, module in (
        ("850-004010.edi", po850),
        ("855-004010.edi", poack855),
        ("856-004010.edi", asn856),
    ):
        [tx] = transactions_in((ROOT / "fixtures" / "x12" / name).read_bytes())
        message = module.parse(tx)
        dumped = message.model_dump()
        assert not (added - {"dates"}) & set(dumped), name
        again = type(message).model_validate(message.model_dump(exclude={"document_id"}))
        assert again.content_digest == message.content_digest


def test_destination_quantities_and_line_parties_are_read_and_written_back() -> None:
    body = (
        "BEG*00*SA*P1**20240301*CONTRACT-9~PO1*1*12*EA~PO4*6*1*EA*CTN*G*3*LB*1.2*CF~"
        "SDQ*EA*92*0012*4*0047*8~N1*ST*STORE 12*92*0012~"
    )
    message = po850.parse(transaction_from_text(body, "850"))
    [line] = message.lines
    assert message.contract_number == "CONTRACT-9"
    [sdq] = line.destination_quantities
    assert [(q.location, q.quantity) for q in sdq.quantities] == [
        ("0012", Decimal("4")),
        ("0047", Decimal("8")),
    ]
    assert [(p.role, p.id) for p in line.parties] == [("ST", "0012")]
    assert (line.packaging[0].gross_volume, line.packaging[0].volume_unit) == (Decimal("1.2"), "CF")
    assert message.unmapped == []
    rendered = [s.text() for s in po850.render(message).body]
    assert "SDQ*EA*92*0012*4*0047*8" in rendered and "N1*ST*STORE 12*92*0012" in rendered


def test_a_segment_saying_more_than_its_fields_fills_them_and_is_kept_whole() -> None:
    """A PER with a telex number: the contact has its phone as in schema 2.0, and the PER is kept
    as read, so the telex number is not lost."""
    body = "BEG*00*SA*P1**20240301~PER*BD*JANE*TE*555*TL*556~PO1*1*1*EA~"
    message = po850.parse(transaction_from_text(body, "850"))
    assert [(c.name, c.phone) for c in message.contacts] == [("JANE", "555")]
    assert message.unmapped == [
        UnmappedSegment(
            segment_id="PER", position=3, elements=["BD", "JANE", "TE", "555", "TL", "556"]
        )
    ]


def test_a_lot_and_serial_numbers_carried_in_the_lin_are_the_items_and_written_as_refs() -> None:
    body = SHIPMENT.replace("LIN*1*VN*V-1*IN*BUY-1~", "LIN*1*VN*V-1*LT*LOT-LIN*SN*SN-0~")
    [item] = asn856.parse(transaction_from_text(body, "856")).orders[0].items
    assert item.lot_number == "LOT-LIN"
    assert item.serial_numbers == ["SN-0", "SN-1", "SN-2"]
    assert [(r.qualifier, r.value) for r in item.references] == [("LT", "LOT-7"), ("DP", "042")]
    assert [(i.qualifier, i.value) for i in item.item.other_ids] == []


def test_a_fax_number_is_the_contacts() -> None:
    body = "BEG*00*SA*P1**20240301~PER*BD*JANE*FX*556*TE*555~PO1*1*1*EA~"
    message = po850.parse(transaction_from_text(body, "850"))
    assert [(c.phone, c.fax) for c in message.contacts] == [("555", "556")]
    assert message.unmapped == []
    assert po850.render(message).body[1].text() == "PER*BD*JANE*TE*555*FX*556"
