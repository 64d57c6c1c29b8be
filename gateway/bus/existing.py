"""Queues the broker already has with other arguments than the gateway would give them.

RabbitMQ refuses to declare a queue that exists with other arguments (406 PRECONDITION_FAILED)
and closes the channel: a catch-all queue an earlier version declared without bounds, or a bound
changed in the settings since. The gateway does not stop on it: from the next session on it
takes that queue as it is (declared passively, still bound), and says once, as an error, what the
queue is and how to give it the configured arguments (stop the daemon, delete the queue, start
the daemon). A queue taken as it is that is gone later (deleted meanwhile, 404 NOT_FOUND on its
passive declaration) is declared with the configured arguments from the next session on.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from .topology import QueueSpec, Topology

_INEQUIVALENT = re.compile(
    r"PRECONDITION_FAILED - inequivalent arg '[^']*' for queue '(?P<queue>[^']*)' "
    r"in vhost '(?P<vhost>[^']*)'"
)
_MISSING = re.compile(r"NOT_FOUND - no queue '(?P<queue>[^']*)' in vhost")


@dataclass
class ExistingQueues:
    """What one broker client knows of the queues of its topology that the broker has with
    other arguments (``as_they_are``: declared passively from then on)."""

    topology: Topology
    log: logging.Logger
    as_they_are: set[str] = field(default_factory=set)

    def channel_closed(self, reason: BaseException) -> str | None:
        """The broker closed the channel for ``reason``: when it refused one of the topology's
        queues, what the session failure says (and the queue is taken as it is, or declared
        again, from the next session on); None for any other reason."""
        code = getattr(reason, "reply_code", None)
        text = str(getattr(reason, "reply_text", ""))
        refused = _INEQUIVALENT.search(text) if code == 406 else None
        if refused is not None:
            spec = self.topology.spec(refused["queue"])
            if spec is None or spec.name in self.as_they_are:
                return None
            self.as_they_are.add(spec.name)
            self.log.error("%s", refusal(spec, refused["vhost"], text))
            return f"queue {spec.name!r} exists with other arguments; taken as it is from now on"
        missing = _MISSING.search(text) if code == 404 else None
        if missing is not None and missing["queue"] in self.as_they_are:
            self.as_they_are.discard(missing["queue"])
            return f"queue {missing['queue']!r} is gone; declared as configured from now on"
        return None


def refusal(spec: QueueSpec, vhost: str, broker_says: str) -> str:
    """What to tell an administrator of ``spec``'s queue, which the broker has with other
    arguments than the settings give it."""
    delete = f"rabbitmqctl delete_queue -p {vhost} {spec.name}"
    if spec.catch_all:
        how = f"delete the queue ({delete}; the copies it keeps go with it)"
        configured = "bounded by catch_all_max_length"
    elif spec.source == "dead_letter":
        how = f"move the dead letters you still need, delete the queue ({delete})"
        configured = "bounded by dead_letter_max_length"
    else:
        how = f"let it empty, delete it ({delete}), or set outbound_queue to another name"
        configured = "as the gateway declares it"
    return (
        f"queue {spec.name!r} exists on the broker with other arguments than these settings "
        f"give it ({broker_says}): it is used as it is, with the bounds it has (none when an "
        f"earlier version declared it). To have it {configured}: stop the daemon, {how}, "
        "start the daemon"
    )
