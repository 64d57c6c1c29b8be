"""Outbound: the modern layer's requests (ship notices, PO acknowledgements) -> files in each
partner's format, what became of them (status events), and overdue acknowledgements (the
partners' acknowledgements are reconciled by their format's document hook)."""
