"""The channel port: how files travel between a partner and the spool.

A :class:`Channel` is declared once (a subclass with a ``kind`` and a ``Config``, the partner
profile's section of that name) and registered in ``adapters/__init__.py``.
"""

from __future__ import annotations

from abc import ABC
from collections.abc import Mapping
from typing import ClassVar, Protocol, TextIO

from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session, sessionmaker

from ..config import Settings


class ChannelConfig(BaseModel):
    """Base of a channel's section in a partner profile (``[<kind>]``); unknown keys are
    errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Channel(ABC):
    """A way files travel between a partner and the spool: brought into ``inbox/<partner>/``,
    delivered from ``outbox/<partner>/``."""

    kind: ClassVar[str]
    Config: ClassVar[type[ChannelConfig]]
    delivers: ClassVar[bool] = True
    """Whether it takes the partner's outbox files to the partner (a document is then ``sent``
    once delivered); otherwise the partner collects them from its outbox folder, and a document
    is ``sent`` once written there."""

    @classmethod
    def schedule(
        cls,
        settings: Settings,
        ledger: sessionmaker[Session],
        configs: Mapping[str, ChannelConfig],
    ) -> Service | None:
        """The runs of this channel for the partners whose settings are ``configs`` (by
        partner name), to start with the daemon; None when it needs none."""
        return None

    @classmethod
    def check(cls, partner: str, config: ChannelConfig, out: TextIO) -> bool:
        """``edi-gateway partner check``: try each step of reaching the partner through this
        channel, one line each to ``out``; whether all went through."""
        out.write(f"{cls.kind}: nothing to check\n")
        return True


class Service(Protocol):
    """Something the daemon starts and stops (a channel's schedule)."""

    def start(self) -> None: ...

    def stop(self, *, wait: bool = True) -> None: ...
