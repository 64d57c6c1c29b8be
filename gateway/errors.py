"""Every exception the gateway raises on purpose, in one tree.

The whole tree::

    GatewayError                  base of everything below; catch this at a boundary
    ├── ConfigError               configuration that cannot be used; the message names file and key
    │   ├── PartnerConfigError    a partner profile (gateway.partners)
    │   └── UnknownKind           a format or channel kind nobody registered ("did you mean")
    ├── InputError                a document from outside cannot be processed as given
    │   ├── UnreadableInput       not in any format we read, or so damaged no envelope is found
    │   ├── TranslationError      a valid-looking document that cannot become a canonical message
    │   ├── RefusedFile           a claimed file that is not a regular file, or too large
    │   └── RequestRefused        an outbound request that cannot be sent (dead-lettered)
    ├── RenderError               a canonical message cannot be written in the requested format
    │   └── DocumentRefused       a rendered document fails its format's checks: never sent
    ├── ClaimedFileChanged        a claimed file changed between its read and the commit: read again
    ├── ResendError               a document cannot be sent again (edi-gateway resend)
    ├── HomeBusy                  another daemon holds this home's lock
    ├── SpoolFull (OSError too)   every name a file could take in its folder is taken
    └── ChannelError              a partner cannot be reached, or refused an exchange
        └── (adapters)            SftpError: SftpUnreachable, HostKeyError (UnknownHostKey,
                                  ChangedHostKey), SftpLoginFailed, SftpConnectionLost

Bad input is reported through *findings*, not exceptions, whenever the reader can carry on; an
exception means the document as a whole cannot be used. A failure of a format's validation
engine is a finding too. Channels' errors are raised by the adapters, under :class:`ChannelError`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any


class GatewayError(Exception):
    """Base class of every error the gateway raises on purpose."""


class ConfigError(GatewayError):
    """Configuration that cannot be used; the message names the file and the key."""


class PartnerConfigError(ConfigError):
    """A partner profile cannot be used; the message names the file and the key."""


class UnknownKind(ConfigError):
    """No format or channel of that kind is registered; the message says which are."""


class InputError(GatewayError):
    """A document received from outside cannot be processed as given."""


class UnreadableInput(InputError):
    """The input is not in any format we read, or no envelope can be recovered."""


class TranslationError(InputError):
    """A document could not be turned into its canonical message.

    ``location`` tells a person where to look (segment position, element reference).
    """

    def __init__(self, message: str, *, location: str | None = None) -> None:
        super().__init__(f"{message} (at {location})" if location else message)
        self.location = location


class RefusedFile(InputError):
    """What the spool does not read (:func:`gateway.spool.read_claimed`): not a regular file,
    or too large. The message says why."""


class RequestRefused(InputError):
    """An outbound request that cannot be sent: ``reason`` says why; the other attributes say
    what is known of the request (for the ledger and the dead letter)."""

    def __init__(
        self,
        reason: str,
        *,
        request_id: str,
        partner: str,
        kind: str,
        correlation_id: str,
        request: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.request_id = request_id
        self.partner = partner
        self.kind = kind
        self.correlation_id = correlation_id
        self.request = request


class RenderError(GatewayError):
    """A canonical message cannot be rendered (a required field is missing or too long)."""


class DocumentRefused(RenderError):
    """The rendered document cannot be sent (it fails its format's checks, or cannot be
    written)."""


class ClaimedFileChanged(GatewayError):
    """A claimed file changed between its read and the commit of what was read: it is to be
    read again (its message names the file and the change)."""


class ResendError(GatewayError):
    """The document cannot be sent again; the message says why."""


class HomeBusy(GatewayError):
    """Another process holds the home's lock."""

    def __init__(self, path: Path, holder: int | None) -> None:
        self.path = path
        self.holder = holder
        self.who = f"the edi-gateway (pid {holder})" if holder else "the edi-gateway"
        super().__init__(
            f"{self.who} running on this home holds its lock ({path}): one daemon per home; "
            "stop that one first"
        )


class SpoolFull(GatewayError, OSError):
    """Every candidate name of a file is taken by another file (an OSError too: writing the
    file failed, and callers that handle a full disk handle this)."""


class ChannelError(GatewayError):
    """The partner's side cannot be reached, or broke off during a run (server down, host key,
    login, folder not mounted). The run fails and counts against the partner's breaker;
    everything stays where it is, and the next run starts again. Any other exception is a bug,
    reported as such, and counts the same. The adapters' errors derive from it."""


def did_you_mean(name: str, known: Iterable[str], *, cutoff: float = 0.6) -> str:
    """``: did you mean 'x'?`` when one of ``known`` is close to ``name`` (difflib), else "":
    what every "unknown ..." error adds."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=cutoff)
    return f": did you mean {close[0]!r}?" if close else ""
