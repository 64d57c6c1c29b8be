"""A file to read as a stream that says how far it was read."""

from __future__ import annotations

import io


class TrackedSource(io.BytesIO):
    """Bytes read as a file; :attr:`read_up_to` is how far the reader has come."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.read_up_to = 0

    def read(self, size: int | None = -1, /) -> bytes:
        chunk = super().read(size)
        self.read_up_to = self.tell()
        return chunk
