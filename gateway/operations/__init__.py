"""What operators do to the gateway's work, from the command line or the console, through the
same functions: each action is recorded on the timeline of what it acted on, with who did it
(``detail["by"]``: ``cli:<OS user>`` from the command line, ``console:<name>`` from the
console).

- :mod:`.exceptions` reads what waits for a person: quarantined files and refused outbound
  requests that nobody reprocessed or dismissed, each with its cause in plain words.
- :mod:`.reprocess` puts a quarantined file back in its partner's inbox after a fix (a copy,
  under a name of its own that says which file it copies), or sends a refused request again.
- :mod:`.dismiss` closes a quarantined file or a refused request with a reason.
- :mod:`.pauses` pauses and resumes a partner: a flag file under the home's ``var/paused/``
  that the daemon reads within a second (its files held in the inbox, its channels' runs
  skipped), kept across restarts.
- :mod:`.republish` is replay and resend (:mod:`gateway.publish_again`,
  :mod:`gateway.outbound.resend`) with who asked for them recorded.
- :mod:`.commands` is the command line of all of them (``reprocess``, ``dismiss``, ``pause``,
  ``resume``, ``exceptions``).

Nothing here is stored beyond the ledger's existing tables: a dismissed or reprocessed file
stays ``quarantined`` (a quarantined file is never the earlier copy a duplicate refers to, so a
copy read again is never taken for a duplicate of it), its timeline says what was done.
"""

from __future__ import annotations

import getpass

from ..errors import GatewayError


class ActionRefused(GatewayError):
    """An action that cannot be done as asked (no such file, not quarantined, already
    dismissed, not paused...): the message says why, in a sentence."""


def cli_actor() -> str:
    """Who runs the command line, as the timeline names them: ``cli:<OS user>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no name for this uid (a container)
        import os

        return f"cli:uid-{os.getuid()}"
