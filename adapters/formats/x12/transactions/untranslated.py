"""Any transaction set the gateway does not translate -> :class:`UntranslatedTransaction`.

For partners whose profile opts in (``unsupported_sets = "pass_through"``): the set's segments
between ST and SE, each element's text as received, with the separators needed to split them.
"""

from __future__ import annotations

from typing import Final

from gateway.messages import RawSegment, UntranslatedTransaction

from ..structure import TransactionSet

MESSAGE: Final = UntranslatedTransaction


def parse(tx: TransactionSet) -> UntranslatedTransaction:
    separators = tx.interchange.separators
    return UntranslatedTransaction(
        envelope=tx.envelope(),
        transaction_set_id=tx.set_id,
        component_separator=separators.component,
        repetition_separator=separators.repetition,
        segments=[
            RawSegment(id=segment.tag, elements=_trimmed(segment.elements)) for segment in tx.body
        ],
    )


def _trimmed(elements: list[str]) -> list[str]:
    end = len(elements)
    while end and elements[end - 1] == "":
        end -= 1
    return elements[:end]
