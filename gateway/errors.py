"""Every exception the gateway raises on purpose.

The whole tree::

    GatewayError                  base of everything below; catch this at a boundary
    ├── InputError                a document from outside cannot be processed as given
    │   ├── UnreadableInput       not X12 at all, or so damaged that no envelope can be found
    │   └── TranslationError      a valid-looking transaction that cannot become a canonical message
    └── RenderError               a canonical message cannot be written as the requested format

Bad input is reported through *findings* (see ``adapters.formats.x12.findings``), not exceptions,
whenever the reader can carry on; an exception means the document as a whole cannot be used.
A failure of the validation engine itself is a finding too (``validation.engine_failure``).
"""

from __future__ import annotations


class GatewayError(Exception):
    """Base class of every error the gateway raises on purpose."""


class InputError(GatewayError):
    """A document received from outside cannot be processed as given."""


class UnreadableInput(InputError):
    """The input is not X12 (or not any format we read), or no envelope can be recovered."""


class TranslationError(InputError):
    """A transaction set could not be turned into its canonical message.

    ``location`` tells a person where to look (segment position, element reference).
    """

    def __init__(self, message: str, *, location: str | None = None) -> None:
        super().__init__(f"{message} (at {location})" if location else message)
        self.location = location


class RenderError(GatewayError):
    """A canonical message cannot be rendered (a required field is missing or too long)."""
