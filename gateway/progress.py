"""Progress of a long operation (``replay``, ``retry`` of many messages) on a terminal, with
``rich``; nothing at all when standard error is not a terminal (a script, a pipe, a journal)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

POLL = 0.2
"""Seconds between two looks at how far a watched operation is."""


@contextmanager
def watched(
    what: str, total: int, done: Callable[[], int], stream: TextIO | None = None
) -> Iterator[None]:
    """A bar of ``what`` up to ``total`` while the body runs, ``done()`` read every
    :data:`POLL` seconds (from another thread: the body goes on undisturbed)."""
    stream = sys.stderr if stream is None else stream
    if not stream.isatty():
        yield
        return
    # rich is imported here, on a terminal only: the daemon and scripts never load it
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    stop = threading.Event()
    with Progress(*columns, console=Console(file=stream)) as bar:
        task = bar.add_task(what, total=total)

        def follow() -> None:
            while not stop.wait(POLL):
                bar.update(task, completed=min(done(), total))

        follower = threading.Thread(target=follow, name="progress", daemon=True)
        follower.start()
        try:
            yield
        finally:
            stop.set()
            follower.join()
            bar.update(task, completed=min(done(), total))
