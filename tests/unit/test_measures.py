"""The daemon's in-process metrics (gateway/runtime/measures.py): what a committed batch, the
broker's confirms and a reload add, in no registry but the endpoint's."""

from __future__ import annotations

import datetime as dt

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from gateway.ports import ParsedDocument, ParseResult
from gateway.runtime import measures as measures_module
from gateway.runtime.measures import InboundBatch, Measures

T0 = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)


def value(measures: Measures, name: str, **labels: str) -> float | None:
    registry = CollectorRegistry()
    registry.register(measures)
    return registry.get_sample_value(name, labels)


def batch_of(*queued: tuple[int, int, str]) -> InboundBatch:
    """Messages queued for (outbox id, file id, document kind) of partner ``acme``, each file
    received at ``T0``."""
    batch = InboundBatch()
    batch.queued += [(outbox_id, file_id, "acme", kind, T0) for outbox_id, file_id, kind in queued]
    return batch


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def test_a_files_documents_of_a_kind_are_timed_once_the_last_is_confirmed() -> None:
    measures = Measures()
    measures.committed(batch_of((1, 10, "850"), (2, 10, "850"), (3, 10, "855"), (4, 11, "850")))
    measures.published({1: at(2.0), 3: at(1.0)}, [])
    count = "edigw_end_to_end_latency_seconds_count"
    assert value(measures, count, partner="acme", kind="850") is None  # 2 still waits
    assert value(measures, count, partner="acme", kind="855") == 1.0
    measures.published({2: at(3.0), 4: at(4.0)}, [])
    assert value(measures, count, partner="acme", kind="850") == 2.0  # file 10, then file 11
    total = value(measures, "edigw_end_to_end_latency_seconds_sum", partner="acme", kind="850")
    assert total == 3.0 + 4.0
    assert measures.awaited == 0


def test_a_file_whose_message_came_back_unroutable_is_not_timed() -> None:
    measures = Measures()
    measures.committed(batch_of((1, 10, "850"), (2, 10, "850")))
    measures.published({1: at(1.0)}, [2])
    measures.published({2: at(5.0)}, [])  # requeued and published later: no longer awaited
    count = "edigw_end_to_end_latency_seconds_count"
    assert value(measures, count, partner="acme", kind="850") is None
    assert measures.awaited == 0


def test_confirms_of_messages_nobody_awaits_change_nothing() -> None:
    measures = Measures()
    measures.published({7: at(1.0)}, [8])
    measures.committed(batch_of((1, 10, "850")))
    measures.published({7: at(1.0)}, [])
    assert measures.awaited == 1


def test_the_oldest_awaited_messages_are_forgotten_beyond_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(measures_module, "MAX_AWAITED", 3)
    measures = Measures()
    measures.committed(batch_of((1, 10, "850"), (2, 11, "850")))
    measures.committed(batch_of((3, 12, "850"), (4, 13, "850")))
    assert measures.awaited == 3
    measures.published({1: at(1.0), 2: at(1.0), 3: at(1.0), 4: at(1.0)}, [])
    count = "edigw_end_to_end_latency_seconds_count"
    assert value(measures, count, partner="acme", kind="850") == 3  # not file 10's


def test_a_batch_counts_parses_documents_and_exceptions() -> None:
    measures = Measures()
    batch = InboundBatch()
    read = ParseResult(documents=[ParsedDocument("d", "850", "1", "1", "1", None)], format="x12")
    read.seconds = 0.02
    batch.read("acme", read)
    batch.read("acme", ParseResult(unreadable="not X12", format="x12", seconds=0.001))
    batch.read("acme", ParseResult(unreadable="too large"))  # never read: no parse to time
    batch.documents.update({("acme", "850", "parsed"): 3, ("acme", "850", "failed"): 1})
    batch.documents.update({("acme", "856", "duplicate"): 2})
    measures.committed(batch)
    measures.set_aside("acme")
    assert value(measures, "edigw_parse_latency_seconds_count", partner="acme", kind="x12") == 2
    processed = "edigw_documents_processed_total"
    assert value(measures, processed, partner="acme", kind="850", outcome="accepted") == 3
    assert value(measures, processed, partner="acme", kind="850", outcome="refused") == 1
    assert value(measures, processed, partner="acme", kind="856", outcome="duplicate") == 2
    assert value(measures, "edigw_exceptions_total", partner="acme", kind="850") == 1
    assert value(measures, "edigw_exceptions_total", partner="acme", kind="file") == 3


def test_reloads_and_configuration_errors() -> None:
    measures = Measures()
    measures.record_config_errors(["bad"])
    measures.record_reload(True, ["bad", "worse"])
    measures.record_reload(False)
    assert value(measures, "edigw_reloads_total", outcome="succeeded") == 1
    assert value(measures, "edigw_reloads_total", outcome="failed") == 1
    assert value(measures, "edigw_config_errors_total", partner="bad") == 2
    assert value(measures, "edigw_config_errors_total", partner="worse") == 1
    assert value(measures, "edigw_config_errors_total", partner="") == 1


def test_outbound_documents_sent_are_counted_by_partner_and_kind() -> None:
    measures = Measures()
    measures.sent([("acme", "856"), ("acme", "856"), ("acme", "855")])
    assert value(measures, "edigw_outbound_sent_total", partner="acme", kind="856") == 2
    assert value(measures, "edigw_outbound_sent_total", partner="acme", kind="855") == 1


def test_each_daemon_has_its_own_metrics_and_no_created_series() -> None:
    first, second = Measures(), Measures()  # in one process: no clash, no global registry
    first.record_reload(True)
    assert value(second, "edigw_reloads_total", outcome="succeeded") is None
    registry = CollectorRegistry()
    registry.register(first)
    assert b"_created" not in generate_latest(registry)
