"""The registry's shape: formats and channels by kind.

The one registry is built in ``adapters/__init__.py`` (kind -> class, in one dict anyone can
grep) and handed to the core by the composition root (:mod:`gateway.wiring`): the core looks
kinds up here and never imports an adapter. An unknown kind is answered with the kinds that
exist and the closest one::

    unknown format 'x21': did you mean 'x12'? (known: x12)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pydantic import BaseModel

from .errors import UnknownKind, did_you_mean
from .ports import Channel, Format


def unknown(what: str, kind: str, known: Iterable[str]) -> UnknownKind:
    """The error for ``kind`` among ``known``: with a "did you mean" when one is close."""
    names = sorted(known)
    hint = did_you_mean(kind, names)
    return UnknownKind(f"unknown {what} {kind!r}{hint} (known: {', '.join(names) or 'none'})")


@dataclass(frozen=True)
class Registry:
    """Every format and channel the gateway can use, by kind."""

    formats: Mapping[str, type[Format]]
    channels: Mapping[str, type[Channel]]
    default_format: str
    """The format of partners whose profile names none (and of files from unknown partners)."""

    def __post_init__(self) -> None:
        for kinds in (self.formats, self.channels):
            for kind, cls in kinds.items():
                if cls.kind != kind:
                    raise ValueError(f"{cls.__name__} is registered as {kind!r}, not {cls.kind!r}")
        if clash := set(self.formats) & set(self.channels):
            raise ValueError(f"kinds both a format and a channel: {sorted(clash)}")
        if self.default_format not in self.formats:
            raise ValueError(f"default format {self.default_format!r} is not registered")

    def format(self, kind: str) -> type[Format]:
        try:
            return self.formats[kind]
        except KeyError:
            raise unknown("format", kind, self.formats) from None

    def channel(self, kind: str) -> type[Channel]:
        try:
            return self.channels[kind]
        except KeyError:
            raise unknown("channel", kind, self.channels) from None

    def section(self, kind: str) -> type[BaseModel]:
        """The model of a profile's ``[<kind>]`` section: the format's or the channel's
        ``Config``; :class:`UnknownKind` when neither exists."""
        if kind in self.formats:
            return self.formats[kind].Config
        if kind in self.channels:
            return self.channels[kind].Config
        raise unknown("section", kind, [*self.formats, *self.channels])
