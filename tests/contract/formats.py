"""The format contract: what every format must do, as one suite each format's tests inherit (as
Singer SDK's ``get_tap_test_class`` does for taps).

A format's test class subclasses :class:`FormatContract` and says what it is and gives its
samples: ``format_class``, ``config`` (a partner's settings for it, as a profile's section),
``samples`` (good files, each holding at least one document) and ``bad_samples`` (files that
must be refused with a reason). The tests then prove, through the core's own
:class:`~gateway.partner_formats.PartnerFormats`:

- it is declared the one way: a ``kind``, a strict ``Config`` (an unknown key is an error);
- a good file reads into accepted documents with canonical messages, the same ids every time,
  each id the message's own, with a business key and a content digest where the message has them;
- the parser and what it returns pickle (parsing runs in worker processes);
- read as a stream (:meth:`~gateway.partner_formats.PartnerFormats.parse_stream`: in parts, by
  a format that reads streams), a file gives what it gives read whole;
- bad input, garbage, nothing at all and random bytes are refused with a reason, never raised;
- what it renders reads back as the same canonical message (canonical -> format -> canonical is
  the identity), with references drawn from the counter, new ones each time.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import pickle
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import pytest
from pydantic import ValidationError

from gateway.control_numbers import InMemoryCounter
from gateway.partner_formats import PartnerFormats
from gateway.partners import PartnerProfile, parse_profile
from gateway.ports import Format, FormatConfig, ParseResult, collect
from gateway.registry import Registry

PARTNER = "contract"


class FormatContract:
    """Inherit, and set the class attributes below."""

    format_class: ClassVar[type[Format]]
    config: ClassVar[Mapping[str, Any]]
    """The partner's settings for the format (the profile's ``[<kind>]`` section)."""
    samples: ClassVar[Sequence[bytes]]
    bad_samples: ClassVar[Sequence[bytes]]
    renders: ClassVar[Sequence[str]] = ()
    """Document kinds it renders: each sample's documents of these kinds are rendered back."""

    # -- what the tests work with ----------------------------------------------------------------

    @pytest.fixture
    def registry(self) -> Registry:
        return Registry(
            formats={self.format_class.kind: self.format_class},
            channels={},
            default_format=self.format_class.kind,
        )

    @pytest.fixture
    def profile(self, registry: Registry) -> PartnerProfile:
        return parse_profile(PARTNER, {self.format_class.kind: dict(self.config)}, registry)

    @pytest.fixture
    def formats(self, registry: Registry, profile: PartnerProfile) -> PartnerFormats:
        return PartnerFormats.of(registry, {PARTNER: profile})

    def parse(self, formats: PartnerFormats, data: bytes) -> ParseResult:
        return formats.parse(data, file_name="sample", partner=PARTNER)

    # -- the contract ----------------------------------------------------------------------------

    def test_it_is_declared_with_a_kind_and_a_strict_config(self, profile: PartnerProfile) -> None:
        assert self.format_class.kind and self.format_class.kind == profile.format
        assert issubclass(self.format_class.Config, FormatConfig)
        assert isinstance(profile.format_config, self.format_class.Config)
        with pytest.raises(ValidationError, match="Extra inputs"):
            self.format_class.Config.model_validate({**self.config, "no_such_option": 1})

    def test_a_good_file_reads_into_accepted_documents_with_stable_ids(
        self, formats: PartnerFormats
    ) -> None:
        assert self.samples, "a format's contract needs at least one good sample"
        for data in self.samples:
            first, second = self.parse(formats, data), self.parse(formats, data)
            assert not first.has_errors, (first.why, first.findings[:3])
            assert first.documents and first.format == self.format_class.kind
            assert [d.document_id for d in first.documents] == [
                d.document_id for d in second.documents
            ]
            for doc in first.documents:
                assert doc.accepted, doc.errors
                assert doc.message is not None and doc.message.document_id == doc.document_id
                assert doc.content_digest == doc.message.content_digest
                assert doc.business_key in ("", *_keys(doc.message))

    def test_the_parser_and_its_results_pickle(self, formats: PartnerFormats) -> None:
        parser = pickle.loads(pickle.dumps(formats))
        for data in self.samples:
            result = pickle.loads(pickle.dumps(parser.parse(data, file_name="s", partner=PARTNER)))
            assert [d.document_id for d in result.documents] == [
                d.document_id for d in self.parse(formats, data).documents
            ]

    def test_read_as_a_stream_a_file_gives_what_it_gives_read_whole(
        self, formats: PartnerFormats
    ) -> None:
        for data in [*self.samples, *self.bad_samples, b"", os.urandom(2048)]:
            whole = self.parse(formats, data)
            parts = formats.parse_stream(io.BytesIO(data), file_name="sample", partner=PARTNER)
            streamed = collect(parts)
            assert (streamed.why, streamed.findings, streamed.left_off) == (
                whole.why,
                whole.findings,
                whole.left_off,
            )
            assert [(d.document_id, d.business_key) for d in streamed.documents] == [
                (d.document_id, d.business_key) for d in whole.documents
            ]

    @pytest.mark.parametrize(
        "garbage",
        [b"", b"\x00" * 64, b"\xff\xfe\xfa garbage", os.urandom(4096), b"ISA*" * 1000],
        ids=["empty", "zeros", "bytes", "random", "repeated"],
    )
    def test_garbage_is_refused_with_a_reason_never_raised(
        self, formats: PartnerFormats, garbage: bytes
    ) -> None:
        result = self.parse(formats, garbage)
        assert result.has_errors and (result.why or result.findings)
        assert not any(d.accepted for d in result.documents)

    def test_a_bad_file_is_refused_with_a_reason(self, formats: PartnerFormats) -> None:
        assert self.bad_samples, "a format's contract needs at least one bad sample"
        for data in self.bad_samples:
            result = self.parse(formats, data)
            assert result.has_errors, "a bad sample was accepted"
            reasons = [result.why, *(f.get("message") for f in result.findings)]
            reasons += [e for d in result.documents for e in d.errors]
            assert any(reasons), "refused without a reason"

    def test_what_it_renders_reads_back_as_the_same_message(
        self, formats: PartnerFormats, profile: PartnerProfile
    ) -> None:
        config = profile.format_config
        assert config is not None
        counter = InMemoryCounter()
        now = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)
        rendered = 0
        for data in self.samples:
            for doc in self.parse(formats, data).documents:
                if doc.kind not in self.renders or doc.message is None:
                    continue
                draft = formats.draft(PARTNER, doc.message, doc.kind, config, now)
                first = formats.number(PARTNER, draft, config, counter)
                second = formats.number(PARTNER, draft, config, counter)
                assert first.format == self.format_class.kind
                assert (first.interchange, first.group) != (second.interchange, second.group)
                # read as nobody's (the id of a document of our own names no partner, and it
                # comes from us, not from the partner its profile checks)
                [back] = formats.parse(first.text.encode(), file_name="own").documents
                assert back.accepted, back.errors
                assert back.message is not None
                assert back.message.content_digest == doc.message.content_digest
                assert back.document_id == first.document_id
                rendered += 1
        assert rendered or not self.renders, "no sample held a document of a kind it renders"


def _keys(message: Any) -> tuple[str, ...]:
    from gateway.duplicates import business_key

    key = business_key(message)
    return (key,) if key else ()
