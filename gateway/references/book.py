"""A partner's reference data: every list that applies to it, together (the files of the home,
and the lists the modern layer published, which :mod:`.published` keeps in the ledger), and the
check of a batch's documents against it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from ..config import Settings
from ..errors import ConfigError
from ..messages.references import NamesItems
from .check import Withheld, model_of, unknown_in
from .lists import REFERENCE_DIR, ReferenceData, ReferenceFiles
from .published import PublishedLists

log = logging.getLogger(__name__)

ListsOf = Callable[[Session, str], list[ReferenceData]]
"""The lists published for a partner (and for all), newest of each, from the ledger
(:class:`~.published.PublishedLists`)."""


@dataclass(frozen=True)
class ReferenceBook:
    """Where a partner's reference data comes from."""

    files: ReferenceFiles
    published: ListsOf | None = None

    def data_for(self, s: Session, partner: str) -> ReferenceData:
        """Everything known for ``partner`` now (files read again when they changed);
        :class:`ConfigError` when a file is bad."""
        lists = self.files.for_partner(partner)
        if self.published is not None:
            lists += self.published(s, partner)
        return ReferenceData.joined(lists)

    @classmethod
    def of(cls, settings: Settings) -> ReferenceBook:
        """The reference data of the home ``settings`` name: its files, and the lists
        published, as its ledger keeps them."""
        return cls(ReferenceFiles(settings.path(REFERENCE_DIR)), PublishedLists())

    def checking(self, s: Session) -> BatchCheck:
        """The check of one batch's documents (each partner's data read once)."""
        return BatchCheck(self, s)


@dataclass
class BatchCheck:
    book: ReferenceBook
    s: Session
    _data: dict[str, ReferenceData | str] = field(default_factory=dict)
    """Each partner's data, or why it cannot be read."""

    def withheld(self, partner: str, kind: str, message: object) -> Withheld | None:
        """Why the document of ``partner`` (its canonical ``message``, or the one a parse worker
        serialized) is withheld; None when it names nothing unknown."""
        try:
            model = model_of(message)
        except Exception as error:  # never the end of the batch: withheld, said why
            log.exception("reading back a %s of %s to check it failed", kind, partner)
            return Withheld.unreadable(f"its message cannot be read back: {error}", kind)
        if not isinstance(model, NamesItems):  # nothing to check
            return None
        if partner not in self._data:
            try:
                self._data[partner] = self.book.data_for(self.s, partner)
            except ConfigError as error:
                self._data[partner] = f"its reference data cannot be read: {error}"
        data = self._data[partner]
        if isinstance(data, str):
            return Withheld.unreadable(data, kind)
        unknowns = unknown_in(model, data)
        return None if unknowns is None else Withheld.of(unknowns, kind)
