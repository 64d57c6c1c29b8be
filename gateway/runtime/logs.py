"""The daemon's and the commands' log: to stderr (the journal under systemd), as text for a
terminal or as JSON, one object a line, for a log collector (``python-json-logger``: every
``extra`` of a line, such as a lifecycle event's document, file and correlation ids, is a field
of its own), from the configured level up."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str = "INFO", form: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    if form == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("pika").setLevel(logging.CRITICAL)  # the relay reports broker trouble
    logging.getLogger("alembic").setLevel(logging.WARNING)  # the ledger says when it migrates
