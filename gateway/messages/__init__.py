"""Canonical messages: what the modern layer receives and sends.

Each message is a pydantic model that is independent of X12 syntax but keeps every business fact of
the document, so that canonical -> X12 -> canonical is the identity. Code lists (purpose codes,
qualifiers, units of measure) keep their X12 code values: they are the lingua franca of the trade,
and every field says which X12 element it comes from.

Every message carries its :class:`Envelope`, neutral of any format (partner, format, both
parties' ids, the document's own references, received-at, correlation id, test flag; the X12
facts of an X12 document in its ``x12`` part), and a stable ``document_id`` derived from what
really identifies the document: the partner, both parties' ids, the document's references
(X12: the control numbers) and a digest of the message's content. The same document delivered
again gets the same id; other content under the same references (a partner whose counters were
reset) gets another one, so equal ids always mean the same document.

Modules, by concern: ``base`` (what every model shares), ``identity`` (ids and digests),
``envelope``, ``message`` (the base of the top-level messages), ``blocks`` (what messages share),
``orders`` (850, 855), ``shipments`` (856), ``inventory`` (846), ``warehouse`` (940, 945),
``stock`` (947, 943, 944), ``invoice`` (810), ``acks`` (997/999, TA1), ``untranslated``.
"""

from __future__ import annotations

from .acks import (
    ElementError,
    FunctionalAck,
    InterchangeAck,
    SegmentError,
    TransactionSetAck,
)
from .base import SCHEMA_VERSION, CanonicalModel, Text
from .blocks import (
    Address,
    Contact,
    DateReference,
    ItemId,
    ItemIdentification,
    Note,
    Party,
    Reference,
    Weight,
)
from .envelope import X12, Envelope, PartyId, X12Envelope
from .identity import DOCUMENT_ID_NAMESPACE, content_digest, document_id_for, document_id_of
from .inventory import (
    STATE_QUALIFIERS,
    InventoryAdvice,
    InventoryLine,
    InventoryQuantity,
    Lot,
    QuantityState,
)
from .invoice import (
    CarrierDetail,
    ExtendedReference,
    Invoice,
    InvoiceLine,
    InvoiceTotals,
    ShipmentSummary,
)
from .message import Message
from .orders import (
    Carrier,
    LineAcknowledgment,
    LineStatus,
    PaymentTerms,
    PurchaseOrder,
    PurchaseOrderAck,
    PurchaseOrderAckLine,
    PurchaseOrderLine,
)
from .shipments import Pack, ShipmentOrder, ShipNotice, ShippedItem, Tare
from .stock import (
    AdjustedLine,
    InventoryAdjustment,
    ReceiptException,
    ReceivedLine,
    StockTransferReceipt,
    StockTransferShipment,
    TransferLine,
)
from .untranslated import RawSegment, UntranslatedTransaction
from .warehouse import (
    ShippedLine,
    Transport,
    WarehouseDate,
    WarehouseNote,
    WarehouseOrderLine,
    WarehouseShippingAdvice,
    WarehouseShippingOrder,
)

CANONICAL_MESSAGES: tuple[type[CanonicalModel], ...] = (
    PurchaseOrder,
    PurchaseOrderAck,
    ShipNotice,
    InventoryAdvice,
    WarehouseShippingOrder,
    WarehouseShippingAdvice,
    Invoice,
    InventoryAdjustment,
    StockTransferReceipt,
    StockTransferShipment,
    FunctionalAck,
    InterchangeAck,
    UntranslatedTransaction,
)

__all__ = [
    "CANONICAL_MESSAGES",
    "DOCUMENT_ID_NAMESPACE",
    "SCHEMA_VERSION",
    "STATE_QUALIFIERS",
    "X12",
    "Address",
    "AdjustedLine",
    "CanonicalModel",
    "Carrier",
    "CarrierDetail",
    "Contact",
    "DateReference",
    "ElementError",
    "Envelope",
    "ExtendedReference",
    "FunctionalAck",
    "InterchangeAck",
    "InventoryAdjustment",
    "InventoryAdvice",
    "InventoryLine",
    "InventoryQuantity",
    "Invoice",
    "InvoiceLine",
    "InvoiceTotals",
    "ItemId",
    "ItemIdentification",
    "LineAcknowledgment",
    "LineStatus",
    "Lot",
    "Message",
    "Note",
    "Pack",
    "Party",
    "PartyId",
    "PaymentTerms",
    "PurchaseOrder",
    "PurchaseOrderAck",
    "PurchaseOrderAckLine",
    "PurchaseOrderLine",
    "QuantityState",
    "RawSegment",
    "ReceiptException",
    "ReceivedLine",
    "Reference",
    "SegmentError",
    "ShipNotice",
    "ShipmentOrder",
    "ShipmentSummary",
    "ShippedItem",
    "ShippedLine",
    "StockTransferReceipt",
    "StockTransferShipment",
    "Tare",
    "Text",
    "TransactionSetAck",
    "TransferLine",
    "Transport",
    "UntranslatedTransaction",
    "WarehouseDate",
    "WarehouseNote",
    "WarehouseOrderLine",
    "WarehouseShippingAdvice",
    "WarehouseShippingOrder",
    "Weight",
    "X12Envelope",
    "content_digest",
    "document_id_for",
    "document_id_of",
]
