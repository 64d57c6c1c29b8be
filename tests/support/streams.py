"""A file to read as a stream that says how far it was read."""

from __future__ import annotations

import gc
import io
from collections.abc import Callable


class TrackedSource(io.BytesIO):
    """Bytes read as a file; :attr:`read_up_to` is how far the reader has come."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.read_up_to = 0

    def read(self, size: int | None = -1, /) -> bytes:
        chunk = super().read(size)
        self.read_up_to = self.tell()
        return chunk


class ShortReads(io.BytesIO):
    """Bytes read as a file at most ``size`` bytes a read, calling ``on_read`` before each:
    a test looks at what the reader holds while it reads on."""

    def __init__(self, data: bytes, size: int, on_read: Callable[[], object]) -> None:
        super().__init__(data)
        self.size = size
        self.on_read = on_read

    def read(self, size: int | None = -1, /) -> bytes:
        self.on_read()
        return super().read(self.size if size is None or size < 0 else min(size, self.size))


def live(kind: type) -> int:
    """How many objects of ``kind`` are alive (that the cyclic collector tracks, as pydantic
    models)."""
    return sum(1 for found in gc.get_objects() if type(found) is kind)
