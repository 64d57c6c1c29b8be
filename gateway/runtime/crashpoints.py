"""Named crash points for the crash tests.

``EDIGW_CRASH_AT=after_commit`` makes the process kill itself with SIGKILL the first time it
reaches that point: the crash harness restarts it and checks that nothing was lost or done twice.
Points, each documented where it is reached:

- inbound files (:mod:`gateway.pipeline`): ``after_claim`` (claimed, not recorded),
  ``after_record`` (recorded, not parsed), ``after_commit`` (documents and outbox committed,
  nothing published or moved), ``after_archive`` (originals moved, states not yet updated);
- files read as a stream (:mod:`gateway.streamed`): ``after_parts`` (every part committed, a
  huge set's parts held ahead, not released);
- the relay (:mod:`gateway.bus.relay`): ``after_publish`` (confirmed by the broker, not yet
  marked published);
- outbound requests (:mod:`gateway.outbound.pipeline`): ``outbound_after_commit``,
  ``outbound_after_write``, ``outbound_after_written``;
- reference lists (:mod:`gateway.references.published`): ``reference_list_after_commit``
  (kept in the ledger, not yet acked: delivered again, and left out as the same list);
- SFTP (:mod:`adapters.channels.sftp.source`, :mod:`adapters.channels.sftp.sink`):
  ``sftp_after_download``, ``sftp_after_record``, ``sftp_after_link``,
  ``sftp_after_remote_action``, ``sftp_after_upload``, ``sftp_after_remote_rename``,
  ``sftp_after_sent``.

``EDIGW_CRASH_AT=hang:<point>`` makes the thread that reaches the point stop there for good
instead (a hung daemon, for the systemd watchdog's test).
"""

from __future__ import annotations

import os
import signal
import threading

ENV = "EDIGW_CRASH_AT"
_TARGET = os.environ.get(ENV)


def crash_point(name: str) -> None:
    if name == _TARGET:
        os.kill(os.getpid(), signal.SIGKILL)
    if f"hang:{name}" == _TARGET:  # the thread stops there for good (the watchdog's test)
        threading.Event().wait()
