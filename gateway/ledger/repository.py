"""Moved: the inbound ledger's names are :mod:`gateway.ledger`'s now, each concern in a module of
its own behind the package. This module stays only until its importers import from the package."""

from __future__ import annotations

from . import *  # noqa: F403
from . import __all__ as __all__
from ._statements import BulkInsert as BulkInsert
from ._statements import _now as _now
