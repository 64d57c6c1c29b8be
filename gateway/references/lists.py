"""Reference lists: the items and locations a partner's documents may name.

A list is a file in the home's ``mappings/reference/``, ``<partner>.toml`` for one partner and
``all.toml`` for every partner, reviewed like the other mappings::

    # mappings/reference/3pl-east.toml
    items = ["SKU-1", "SKU-2", "012345678905"]   # any id of an item: a SKU, a U.P.C....
    locations = ["DC-EAST", "A4"]                # warehouses, aisles, bins

or a list the modern layer publishes (:mod:`.published`), for a partner or for all. The
reference data of a partner is every list that applies to it, together
(:meth:`ReferenceData.joined`). A kind of id no list names (a list of items only) is not
checked: a partner without any list has nothing unknown.

A file is read again when it changes (its modification time and size), so an edit applies to
the next document without a restart; a bad one is a :class:`~gateway.errors.ConfigError` naming
the file and the key.
"""

from __future__ import annotations

import os
import threading
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from ..errors import ConfigError, did_you_mean

REFERENCE_DIR: Final = Path("mappings/reference")
"""Where the reference files are, relative to the settings' ``home``."""
SHARED: Final = "all"
"""The scope of a list for every partner: ``all.toml``, routing key ``edi.ref.items.all``."""
KEYS: Final = ("description", "items", "locations")


@dataclass(frozen=True, slots=True)
class ReferenceData:
    """The items and locations known; None where no list names that kind of id."""

    items: frozenset[str] | None = None
    locations: frozenset[str] | None = None
    sources: tuple[str, ...] = ()
    """Where it comes from, for people (``mappings/reference/all.toml``, ``published list
    L-7 for acme``)."""

    @classmethod
    def joined(cls, lists: Iterable[ReferenceData]) -> ReferenceData:
        """Every list together: an id any one knows is known."""
        items: set[str] | None = None
        places: set[str] | None = None
        sources: list[str] = []
        for data in lists:
            if data.items is not None:
                items = (items or set()) | data.items
            if data.locations is not None:
                places = (places or set()) | data.locations
            sources += data.sources
        return cls(
            None if items is None else frozenset(items),
            None if places is None else frozenset(places),
            tuple(sources),
        )

    def describe(self) -> str:
        return ", ".join(self.sources) or "no reference list"


def parse_list(data: Any, source: str) -> ReferenceData:
    """A list from its table (a file's, a published message's ``data``); :class:`ValueError`
    naming the key when it is bad."""
    if not isinstance(data, dict):
        raise ValueError("expected a table with items and/or locations")
    for key in data:
        if key not in KEYS:
            known = ", ".join(KEYS)
            raise ValueError(f"{key}: unknown key{did_you_mean(key, KEYS)} (known: {known})")
    found: dict[str, frozenset[str] | None] = {}
    for key in ("items", "locations"):
        values = data.get(key)
        if values is None:
            found[key] = None
            continue
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ValueError(f"{key}: expected a list of texts (ids)")
        found[key] = frozenset(v.strip() for v in values if v.strip())
    return ReferenceData(found["items"], found["locations"], (source,))


@dataclass
class ReferenceFiles:
    """The reference files of a home, each read again when it changes (thread-safe)."""

    folder: Path
    _cache: dict[Path, tuple[tuple[int, int], ReferenceData]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def of_home(cls, home: Path) -> ReferenceFiles:
        return cls(home / REFERENCE_DIR)

    def for_partner(self, partner: str) -> list[ReferenceData]:
        """The files that apply to ``partner``: ``all.toml`` and ``<partner>.toml`` (those
        there are); :class:`ConfigError` for a bad one."""
        return [
            data
            for name in (SHARED, partner)
            if (data := self.read(self.folder / f"{name}.toml")) is not None
        ]

    def read(self, path: Path) -> ReferenceData | None:
        """The list in ``path``; None when there is no such file."""
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            return None
        except OSError as error:
            raise ConfigError(f"{path}: cannot read: {error.strerror}") from None
        version = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            cached = self._cache.get(path)
        if cached is not None and cached[0] == version:
            return cached[1]
        data = load_list(path)
        with self._lock:
            self._cache[path] = (version, data)
        return data

    def check(self) -> list[str]:
        """Every file's problem, one line each (``check-config``)."""
        problems = []
        for path in sorted(self.folder.glob("*.toml")) if self.folder.is_dir() else []:
            try:
                self.read(path)
            except ConfigError as error:
                problems.append(str(error))
        return problems


def load_list(path: Path) -> ReferenceData:
    """The list in the file ``path``; :class:`ConfigError` naming the file and the key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    try:
        return parse_list(data, _shown(path))
    except ValueError as error:
        raise ConfigError(f"{path}: {error}") from None


def _shown(path: Path) -> str:
    """``mappings/reference/<name>.toml``: how a person finds the file in the home."""
    return (REFERENCE_DIR / path.name).as_posix()
