"""One 846 set of any size read a segment at a time into its canonical message's parts (issue 26).

:func:`.inventory846.parse` reads a set held whole into one :class:`InventoryAdvice`. A single
846 of a whole catalog (a million LIN loops, a gigabyte) is read here instead, in flat memory:
:class:`AdviceInParts` takes the set's body segments one by one (:meth:`~AdviceInParts.feed`)
and reads each LIN loop as it ends, with the same steps as ``parse`` (the header, each line,
the summary: :class:`.inventory846.AdviceHeader`, :func:`.inventory846.read_line`,
:func:`.inventory846.take_summary`), so the message is the same, and so are its errors, in the
same order. A line is read straight into its dump where :mod:`.inventory846_line_dumps`
vouches for it (through its model otherwise), and written from it, as JSON text for its part
and canonical JSON for the digest. What it holds is the header's segments, one LIN loop, the
item part being filled (:class:`~gateway.messages.part_stream.PartChunks`) and the running
content digest (:class:`~gateway.messages.part_stream.OrderedDigest`); the segments no field
holds come after the lines in the message (``unmapped``), so they wait in a spool file.

At the end (:meth:`~AdviceInParts.finish`) a set of no more than ``part_items`` items is the
whole message, as ``parse`` makes it; a larger one is the header part's content
(:class:`~gateway.messages.part_stream.InParts`) after the item parts :meth:`feed` gave:
:func:`gateway.messages.parts.reassemble` of them is the whole message's JSON, and the document
id and content digest are the whole message's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from gateway.messages import InventoryAdvice, InventoryLine
from gateway.messages.blocks import UnmappedSegment
from gateway.messages.identity import canonical_json
from gateway.messages.part_stream import InParts, JsonSpool, OrderedDigest, PartChunks
from gateway.messages.parts import PART_ITEMS

from ..segments import Segment
from ..structure import TransactionSet
from .common import Body, SegmentAt, body_of
from .dump_values import Dump, dump_text
from .inventory846 import SET_ID, AdviceHeader, no_lines, read_line, take_summary
from .inventory846_line_dumps import line_dump


class AdviceInParts:
    """An 846 set read a segment at a time (see the module's docstring). ``opening`` is the set
    with its ST alone (its envelope and control number); :class:`TranslationError` from
    :meth:`feed` or :meth:`finish` as :func:`.inventory846.parse` raises it."""

    def __init__(
        self,
        opening: TransactionSet,
        part_items: int = PART_ITEMS,
        spool_dir: str | Path | None = None,
        *,
        item_dumps: bool = True,
    ) -> None:
        self.item_dumps = item_dumps
        """Lines read straight into their dumps where :func:`.inventory846_line_dumps.line_dump`
        vouches for them (False: every line through its model, as the differential tests
        read them)."""
        self.dumped = 0
        """Lines read straight into their dumps."""
        self.body = body_of(opening, SET_ID)  # a set of another kind: the same error
        self.envelope = opening.envelope()
        self.position = 1  # the ST
        self.header: list[SegmentAt] | None = []
        self.header_taken: set[int] = set()
        self.fields: dict[str, Any] | None = None
        self.loop: list[Segment] = []
        """The LIN loop being read, its LIN first (at :attr:`loop_start`)."""
        self.loop_start = 0
        self.in_summary = False
        self.chunks = PartChunks(part_items, spool_dir=spool_dir)
        self.head: InventoryAdvice | None = None
        self.refused: ValidationError | None = None
        """Why the header makes no message (raised at the end, as ``parse`` raises it)."""
        self.digest: OrderedDigest | None = None
        self.unmapped = JsonSpool(spool_dir)
        self._last = JsonSpool(spool_dir)
        """The item parts :meth:`finish` completes, spooled: at the end of a gigabyte's set they are
        some 25 of about 800 kB (its unmapped segments, which come last), never held at once."""

    def feed(self, segment: Segment) -> list[str]:
        """Read the body segment after the one before (ST, SE and the envelopes are not the
        body); the entries of the item part (JSON text) this segment completed, if any."""
        self.position += 1
        tag = segment.tag
        if self.in_summary or tag == "CTT":
            at = SegmentAt(segment, self.position, self.body.transaction, set())
            done: list[str] = []
            if not self.in_summary:  # the last LIN loop ends here
                done = self._line() if self.header is None else []
                self.in_summary = True
                take_summary([at])
            self._keep([at])
            return done
        if tag == "LIN":
            done = self._line()
            self.loop_start = self.position
            self.loop = [segment]
            return done
        if self.loop:
            self.loop.append(segment)
        elif self.header is not None:
            self.header.append(
                SegmentAt(segment, self.position, self.body.transaction, self.header_taken)
            )
        return []

    def finish(self) -> InventoryAdvice | InParts:
        """The message, or the header part's content (see the module's docstring), once the
        set's last body segment was fed. The item parts left are :meth:`last_chunks`."""
        try:
            return self._finish()
        finally:
            self.unmapped.close()
            self.chunks.close()

    def _finish(self) -> InventoryAdvice | InParts:
        if self.header is not None:  # no LIN loop
            AdviceHeader.read(self.header, self._body(self.header))
            raise no_lines(self.body)
        self._last.add_texts(self._line())
        if self.refused is not None:
            raise self.refused
        assert self.head is not None and self.digest is not None
        if self.chunks.whole and self.chunks.count + self.unmapped.count <= self.chunks.part_items:
            return InventoryAdvice(
                envelope=self.envelope,
                **self.fields or {},
                lines=[InventoryLine.model_validate_json(t) for t in self.chunks.items("lines")],
                unmapped=[UnmappedSegment.model_validate_json(t) for t in self.unmapped.texts()],
            )
        first_unmapped: list[UnmappedSegment] = []
        for text in self.unmapped.texts():
            if not first_unmapped:
                first_unmapped.append(UnmappedSegment.model_validate_json(text))
            self.digest.item("unmapped", canonical_json(orjson.loads(text)))
            self._last.add_texts(self.chunks.add("unmapped", text))
        self._last.add_texts(self.chunks.rest())
        head = self.head.model_copy(update={"unmapped": first_unmapped})
        head.__dict__["content_digest"] = self.digest.hexdigest()
        data = head.model_dump(mode="json")
        data["lines"] = []
        if first_unmapped:
            data["unmapped"] = []
        return InParts(head=head, header=data, parts=1 + self.chunks.chunks)

    def last_chunks(self) -> Iterator[str]:
        """The item parts :meth:`finish` completed (after those :meth:`feed` gave), one at a
        time (read back from their spool, closed at the end)."""
        return self._last.drained()

    def _line(self) -> list[str]:
        """The LIN loop read so far, read into its line (the header first, at the first)."""
        if self.header is not None:
            header = self.header
            self.header = None
            read = AdviceHeader.read(header, self._body(header))
            self.fields = read.fields()
            self._keep(header)
        if not self.loop:
            return []
        loop, self.loop = self.loop, []
        line, dump = self._read_line(loop, self.loop_start)
        if self.digest is None and self.refused is None:
            self._begin(line or InventoryLine.model_validate(dump))
        if self.digest is not None:
            self.digest.item("lines", canonical_json(dump))
        return self.chunks.add("lines", dump_text(dump))

    def _read_line(self, loop: list[Segment], start: int) -> tuple[InventoryLine | None, Dump]:
        """The dump of the line of the LIN loop ``loop`` (its LIN at ``start``), its segments
        not taken kept: read straight into it where it can be (:mod:`.inventory846_line_dumps`,
        the segments kept are then the only ones made :class:`SegmentAt`), else through its
        model (then given too)."""
        read = line_dump(loop) if self.item_dumps else None
        label = self.body.transaction
        taken: set[int] = set()
        if read is None:
            at = [SegmentAt(segment, n, label, taken) for n, segment in enumerate(loop, start)]
            line = read_line(at)
            self._keep(at)
            return line, line.model_dump()
        dump, indexes = read
        self.dumped += 1
        taken.update(start + index for index in indexes)
        if len(taken) < len(loop):  # else none is kept
            kept = [
                SegmentAt(segment, n, label, taken)
                for n, segment in enumerate(loop, start)
                if n not in taken
            ]
            self._keep(kept)
        return None, dump

    def _begin(self, first: InventoryLine) -> None:
        """The message's header, made at its first line: the digest begins with it."""
        try:
            self.head = InventoryAdvice(envelope=self.envelope, **self.fields or {}, lines=[first])
        except ValidationError as error:
            self.refused = error  # raised at the end, after the lines' own errors
            return
        content = self.head.model_dump(exclude={"envelope", "document_id", "lines", "unmapped"})
        self.digest = OrderedDigest(content, ("lines", "unmapped"), dropped_when_empty={"unmapped"})

    def _body(self, segments: list[SegmentAt]) -> Body:
        return Body(self.body.transaction, segments, segments[0].taken if segments else set())

    def _keep(self, segments: list[SegmentAt]) -> None:
        """The segments of ``segments`` not taken go to ``unmapped``."""
        if segments:
            for unmapped in self._body(segments).unmapped():
                self.unmapped.add(unmapped)
