"""Outbound: the modern layer's requests (ship notices, PO acknowledgements) -> X12 files for
partners, and the partners' 997/999/TA1 reconciled against what was sent."""
