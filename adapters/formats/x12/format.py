"""The X12 format: ANSI X12 interchanges (004010, 005010), read and written by the project's
own reader, maps and writer, with pyx12 behind a guard as the validation reference.

Features: 850, 855, 856 and partners' 997, 999 and TA1 translated to canonical messages (other
sets rejected in the 997/999, or passed through as their segments); 997/999/TA1 owed to each
interchange written back; 855 and 856 rendered for outbound requests; partners' 997/999/TA1
reconciled against what was sent. Options: the partner profile's ``[x12]`` section
(:class:`~.profile.X12Profile`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import ClassVar

from sqlalchemy.orm import Session

from gateway.control_numbers import ControlNumberCounter
from gateway.messages import Message
from gateway.ports import Draft, Format, FormatConfig, ParsedDocument, Parser, RenderedDocument

from . import rendering
from .compiled import CompiledValidator
from .inbound import X12Parser
from .profile import X12Profile
from .pyx12_maps import MAP_CACHE
from .reconcile import reconcile


class X12Format(Format):
    """ANSI X12 (``format = "x12"``, settings in ``[x12]``)."""

    kind: ClassVar[str] = "x12"
    signature: ClassVar[bytes | None] = b"ISA"
    Config: ClassVar[type[FormatConfig]] = X12Profile
    read_here_under: ClassVar[int] = 16 * 1024
    """The reader is Python through and through: a file of a few orders is read in the daemon
    (a hand-over to a parse worker cost twice its parse); larger ones in the workers."""

    def parser(self, configs: Mapping[str, FormatConfig]) -> Parser:
        return X12Parser.for_partners(
            {name: x12 for name, x12 in configs.items() if isinstance(x12, X12Profile)}
        )

    def warm_up(self) -> None:
        """The maps' index and segment lists only: each map is loaded and compiled when a set
        first needs it (tens of milliseconds, once per process, shared). Loading every map at
        start took 1.5 s of CPU in each process that parses, at each start of the daemon and
        of a worker, for sets most partners never send."""
        map_path = CompiledValidator().map_path
        MAP_CACHE.index(map_path)
        MAP_CACHE.known_segments(map_path)

    def on_document(self, s: Session, partner: str, doc: ParsedDocument) -> None:
        reconcile(s, partner, doc)

    def draft(self, message: Message, kind: str, config: FormatConfig, at: dt.datetime) -> Draft:
        return rendering.draft(message, kind, _x12(config), at)

    def number(
        self, draft: Draft, config: FormatConfig, counter: ControlNumberCounter
    ) -> RenderedDocument:
        return rendering.number(draft, _x12(config), counter)


def _x12(config: FormatConfig) -> X12Profile:
    if not isinstance(config, X12Profile):
        raise TypeError(f"X12 settings expected, got {type(config).__name__}")
    return config
