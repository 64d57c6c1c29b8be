"""The daemon's HTTP endpoint for operations, on a loopback port by default
(``metrics_address``): Prometheus metrics (``prometheus-client``) at ``/metrics``, and
``/livez`` and ``/readyz`` for probes.

Most metrics are read when scraped, from what the daemon already keeps, so nothing is counted
twice and the hot paths pay nothing:

- the ledger's figures (as ``edi-gateway status`` gives them, read at most every
  ``metrics_ledger_every`` seconds, 15 by default), gauges by partner and state: ``edigw_files``,
  ``edigw_documents``, ``edigw_outbound_documents`` (``overdue``: acknowledgements not
  received in time), ``edigw_outbox_messages`` (waiting to be published, or returned
  unroutable); ``edigw_outbox_oldest_pending_age_seconds``, ``edigw_acks_to_write``;
- the relay's counters since the start: ``edigw_relay_published_total`` (confirmed),
  ``edigw_relay_returned_total``, ``edigw_relay_nacked_total``,
  ``edigw_relay_connection_failures_total``, and ``edigw_broker_connected``;
- each partner's channels (SFTP, folders), by partner and channel:
  ``edigw_channel_runs_total`` by outcome, ``edigw_channel_files_total`` and
  ``edigw_channel_bytes_total`` by direction (``taken`` from the partner, ``sent`` to it),
  ``edigw_channel_failures_in_a_row`` and ``edigw_channel_paused`` (the breaker);
  ``edigw_partner_disabled`` (a bad profile), ``edigw_partner_paused`` (an operator's pause);
- the process's own (CPU, memory, open files).

The others are observed where things happen, in this process (:mod:`.measures`: once per file,
batch or reading; counters and histograms since the start):

- ``edigw_parse_latency_seconds`` by partner and kind of format (``x12``...): reading and
  translating one inbound file, in the process that read it;
- ``edigw_end_to_end_latency_seconds`` by partner and document kind: from a file's receipt
  (its record in the ledger) to the broker's confirm of the last of its documents of that kind
  (a file whose messages were queued before a restart, or one of whose messages came back
  unroutable, is not timed).
  Order-to-publish latency is this histogram for ``kind="850"`` (purchase orders): no metric
  of its own;
- ``edigw_documents_processed_total`` by partner, kind and outcome (``accepted``, ``refused``,
  ``duplicate``); ``edigw_exceptions_total`` by partner and kind: documents refused, files
  quarantined with no document read (``kind="file"``), and documents withheld for items or
  locations the reference data does not know (``kind="withheld"``);
- ``edigw_outbound_sent_total`` by partner and kind; ``edigw_outbound_acknowledged_total`` by
  partner, kind and state (``accepted``, ``accepted_with_errors``, ``rejected``) and
  ``edigw_outbound_ack_cycle_seconds`` by partner and kind (from the document's sending to the
  acknowledgement that settled it): partners' acknowledgements are read from the ledger with
  its figures, those recorded since the last reading (one range of the primary key), so the
  rate is ``acknowledged / sent`` over any window (``increase(...[24h])``);
- ``edigw_reloads_total`` by outcome (``succeeded``, ``failed``) and
  ``edigw_config_errors_total`` by partner (a bad profile at the start or a reload;
  ``partner=""``: a reload that failed as a whole): see
  :meth:`.measures.Measures.record_reload`.

No label has unbounded values: partners, kinds, states and outcomes only (and the channel, the
direction, a histogram's buckets), never a document id.

``/livez``: 200 while the main loop goes round (it did within :data:`LIVE_WITHIN` seconds), else
503. ``/readyz``: 200 once the daemon runs (its ledger migrated, inbox watched, relay started)
and while the ledger answers, the relay runs (connected, or buffering while the broker is away)
and the inbox is watched; else 503, saying which.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, ProcessCollector, make_wsgi_app
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from .. import ledger as repository

if TYPE_CHECKING:
    from .daemon import Gateway

log = logging.getLogger(__name__)

LIVE_WITHIN = 60.0
"""Seconds within which the main loop must have gone round for ``/livez``."""


@dataclass
class Health:
    """What the probes look at, kept up to date by the daemon's main loop."""

    ready: bool = False
    """Set once the daemon runs (the same moment it tells systemd READY=1)."""
    beat: float = field(default_factory=time.monotonic)
    """When the main loop last went round."""

    def went_round(self) -> None:
        self.beat = time.monotonic()


class GatewayCollector(Collector):
    """The daemon's metrics, read at scrape time (see the module's docstring)."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self._report: repository.StatusReport | None = None
        self._read_at = 0.0
        self._lock = threading.Lock()

    def collect(self) -> Iterator[Metric]:
        yield from self._relay()
        yield from self._channels()
        report = self._ledger()
        if report is not None:
            yield from _ledger_metrics(report)

    def _relay(self) -> Iterator[Metric]:
        relay = self.gateway.relay
        stats = relay.stats
        counters = {
            "published": ("messages published and confirmed by the broker", stats.published),
            "returned": ("messages the broker returned (no queue took them)", stats.returned),
            "nacked": ("publishes the broker nacked (held, sent again)", stats.nacked),
            "connection_failures": ("failed connections to the broker", stats.connection_failures),
        }
        for name, (what, value) in counters.items():
            yield CounterMetricFamily(f"edigw_relay_{name}", what, value=value)
        yield GaugeMetricFamily(
            "edigw_broker_connected",
            "1 while the relay is connected to the broker",
            value=1.0 if relay.connected else 0.0,
        )

    def _channels(self) -> Iterator[Metric]:
        labels = ["partner", "channel"]
        runs = CounterMetricFamily(
            "edigw_channel_runs",
            "partners' channel runs (polls and deliveries), by outcome",
            labels=[*labels, "outcome"],
        )
        files = CounterMetricFamily(
            "edigw_channel_files",
            "files taken from partners' servers and sent to them",
            labels=[*labels, "direction"],
        )
        sizes = CounterMetricFamily(
            "edigw_channel_bytes",
            "bytes of the files taken from partners' servers and sent to them",
            labels=[*labels, "direction"],
        )
        failures = GaugeMetricFamily(
            "edigw_channel_failures_in_a_row", "failed runs in a row (the breaker)", labels=labels
        )
        paused = GaugeMetricFamily(
            "edigw_channel_paused", "1 while the breaker pauses the channel", labels=labels
        )
        for (partner, kind), channel in sorted(self.gateway.channels.runs.items()):
            counts, state = channel.counts, channel.breaker.state()
            for outcome in ("succeeded", "failed"):
                runs.add_metric([partner, kind, outcome], counts[outcome])
            for direction in ("taken", "sent"):
                files.add_metric([partner, kind, direction], counts[direction])
                sizes.add_metric([partner, kind, direction], counts[f"bytes_{direction}"])
            failures.add_metric([partner, kind], state.failures)
            paused.add_metric([partner, kind], 1.0 if state.paused else 0.0)
        yield from (runs, files, sizes, failures, paused)
        disabled = GaugeMetricFamily(
            "edigw_partner_disabled",
            "1 for a partner whose profile is bad (its files held, its requests refused)",
            labels=["partner"],
        )
        for partner in sorted(self.gateway.disabled):
            disabled.add_metric([partner], 1.0)
        yield disabled
        paused_partners = GaugeMetricFamily(
            "edigw_partner_paused",
            "1 for a partner an operator paused (its files held, its channels not run)",
            labels=["partner"],
        )
        for partner in sorted(self.gateway.paused):
            paused_partners.add_metric([partner], 1.0)
        yield paused_partners

    def _ledger(self) -> repository.StatusReport | None:
        with self._lock:
            every = self.gateway.settings.metrics_ledger_every
            if self._report is None or time.monotonic() - self._read_at >= every:
                try:
                    with self.gateway.pipeline.factory() as s:
                        self._report = repository.status(s, dt.datetime.now(dt.UTC))
                        self.gateway.measures.read_acknowledgements(s)
                    self._read_at = time.monotonic()
                except Exception:  # the ledger is away: the figures read last, if any
                    log.warning("metrics: the ledger could not be read", exc_info=True)
            return self._report


def _ledger_metrics(report: repository.StatusReport) -> Iterator[Metric]:
    by_partner_and_state = (
        ("edigw_files", "files recorded in the ledger", report.files),
        ("edigw_documents", "documents recorded in the ledger", report.documents),
        (
            "edigw_outbound_documents",
            "documents sent to partners (overdue: no acknowledgement in time)",
            report.outbound,
        ),
        (
            "edigw_outbox_messages",
            "messages waiting to be published (pending) or returned unroutable",
            report.outbox_backlog,
        ),
    )
    for name, what, counts in by_partner_and_state:
        family = GaugeMetricFamily(
            name, f"{what}, by partner and state", labels=["partner", "state"]
        )
        for partner, states in counts.items():
            for state, count in states.items():
                family.add_metric([partner, state], count)
        yield family
    yield GaugeMetricFamily(
        "edigw_outbox_oldest_pending_age_seconds",
        "age of the oldest message waiting to be published (0: none waits)",
        value=report.oldest_pending_age_seconds or 0.0,
    )
    yield GaugeMetricFamily(
        "edigw_acks_to_write",
        "acknowledgements recorded but not yet written to the outbox",
        value=report.acks_to_write,
    )


def probes(gateway: Gateway, health: Health) -> dict[str, Callable[[], tuple[bool, str]]]:
    """``/livez`` and ``/readyz``: each says whether it is well, and why not."""

    def live() -> tuple[bool, str]:
        silent = time.monotonic() - health.beat
        if silent > LIVE_WITHIN:
            return False, f"the main loop has not gone round for {silent:.0f} s"
        return True, "ok"

    def ready() -> tuple[bool, str]:
        if not health.ready:
            return False, "starting"
        try:
            with gateway.pipeline.factory() as s:
                repository.outbox_pending(s)
        except Exception as error:
            return False, f"the ledger does not answer ({type(error).__name__})"
        if not gateway.relay.running:
            return False, "the outbox relay does not run"
        if not gateway.source.watching:
            return False, "the inbox is not watched"
        return True, "ok"

    return {"/livez": live, "/readyz": ready}


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes are not logged (one every few seconds)."""


class MetricsServer:
    """The endpoint, served from a thread of its own."""

    def __init__(self, gateway: Gateway, health: Health, address: str) -> None:
        host, _, port = address.rpartition(":")
        registry = CollectorRegistry()
        registry.register(GatewayCollector(gateway))
        registry.register(gateway.measures)
        ProcessCollector(registry=registry)
        metrics = make_wsgi_app(registry)
        checks = probes(gateway, health)

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
            check = checks.get(environ.get("PATH_INFO", ""))
            if check is None:
                return metrics(environ, start_response)  # type: ignore[no-any-return]
            well, why = check()
            status = "200 OK" if well else "503 Service Unavailable"
            start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
            return [f"{why}\n".encode()]

        self.server: WSGIServer = make_server(host, int(port), app, handler_class=_Quiet)
        self.address = f"{host}:{self.server.server_port}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, name="metrics", daemon=True
        )

    def start(self) -> None:
        self._thread.start()
        log.info("metrics, /livez and /readyz at http://%s/", self.address)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_endpoint(gateway: Gateway, health: Health) -> MetricsServer | None:
    """The endpoint on ``metrics_address``, started; None when the settings have none, or when
    its address is taken (said loudly: the daemon goes on without it)."""
    address = gateway.settings.metrics_address
    if not address:
        return None
    try:
        endpoint = MetricsServer(gateway, health, address)
    except OSError as error:
        log.error("no metrics endpoint: cannot listen on %s: %s", address, error)
        return None
    endpoint.start()
    return endpoint
