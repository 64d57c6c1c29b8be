"""Cross-document checks: what was shipped against what was ordered.

- **945 against 940** (:mod:`.warehouse`): each Warehouse Shipping Advice a 3PL sends is
  matched to the Warehouse Shipping Order the gateway sent it (W0602 = W0502); short, over and
  substituted shipments, orders completed by several 945s, and 945s for no known order are
  recorded and announced on ``edi.events``.
- **Outbound 856 against the received 850** (:mod:`.asn`): a ship notice the modern layer asks
  for is checked against the POs the partner sent (items not ordered, more than ordered), and
  sent with a warning or refused, per the partner's ``asn_check``.

:mod:`.compare` compares (pure), :mod:`.lines` takes the lines from the canonical messages,
:mod:`.events` announces, :mod:`.hooks` joins the pipelines, :mod:`.view` shows an order (the
``order`` command, the console). The ledger's side is :mod:`gateway.ledger.orders`.
"""

from __future__ import annotations

from .compare import Comparison, ItemOutcome, ItemResult, Line, compare
from .events import FULFILMENT_ROUTING_KEY, FulfilmentOutcome, fulfilment_event

__all__ = [
    "FULFILMENT_ROUTING_KEY",
    "Comparison",
    "FulfilmentOutcome",
    "ItemOutcome",
    "ItemResult",
    "Line",
    "compare",
    "fulfilment_event",
]
