"""Translations between X12 transaction sets and canonical messages, one module per set.

Each module offers ``SET_ID``, ``FUNCTIONAL_ID``, ``MESSAGE``, ``parse(tx)`` (a
:class:`~adapters.formats.x12.structure.TransactionSet` to its canonical message) and
``render(message)`` (the message to the body segments of a
:class:`~adapters.formats.x12.writer.TransactionContent`).
"""
