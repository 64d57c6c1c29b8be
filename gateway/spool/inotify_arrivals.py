"""The inbox watcher's inotify plumbing: watchdog's emitter and watch group, cut down to what
the folder source needs (the path and the mask of each event about a file, from the thread that
reads inotify) for speed in a burst."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from watchdog.observers.api import EventQueue, ObservedWatch
from watchdog.observers.inotify import InotifyEmitter, InotifyWatchGroup
from watchdog.observers.inotify_c import InotifyConstants, InotifyEvent, Mask
from watchdog.observers.inotify_move_event_grouper import (
    InotifyMoveEventGrouper,
    PathedInotifyEvent,
)


class _UnpairedMoves(InotifyMoveEventGrouper):
    """watchdog's event queue without the pairing of moves: with IN_MOVED_FROM left out of the
    mask there is never a source to pair an IN_MOVED_TO with, and looking for one scans the
    whole queue twice per event (quadratic in a burst)."""

    def _group_moved_to_event(self, to_event: PathedInotifyEvent) -> PathedInotifyEvent:
        return to_event

    def get_queued_moved_from_event(self, cookie: int) -> PathedInotifyEvent | None:
        return None


def _nobody(_path: bytes, _mask: int) -> None:
    pass


def _nothing() -> None:
    pass


@dataclass
class _ArrivalWatches(InotifyWatchGroup):
    """watchdog's watch group (recursive watches kept up to date, directory events queued in
    order) where an event about a file goes straight to ``arrived`` with its path, from the
    thread that reads inotify: no event objects, no queue, no hand-over to the emitter's and the
    observer's threads. Three threads taking turns for every file cost more than the file's
    processing in a burst; the folder source needs nothing but the path and the event's mask.
    ``lost`` is called when the kernel dropped events (its queue overflowed)."""

    arrived: Callable[[bytes, int], None] = _nobody
    lost: Callable[[], None] = _nothing

    def __post_init__(self) -> None:
        self._move_event_grouper = _UnpairedMoves()
        super().__post_init__()

    def on_event(self, event: InotifyEvent) -> None:
        if event.is_directory or not event.name:
            super().on_event(event)  # watches to add, the watched folder deleted...
            return
        with self._lock:
            if not self.is_active:
                return
            path = self._build_event_source_path(event)
        if path is not None:
            self.arrived(path, event.mask)

    def on_events_lost(self) -> None:
        self.lost()
        super().on_events_lost()


class ArrivalEmitter(InotifyEmitter):
    """inotify events that can mean a file arrived: created, written and closed, or renamed in;
    and writes (IN_MODIFY), which tell a file still open for writing from a complete one.

    IN_MOVED_FROM is left out on purpose: watchdog holds each one for half a second to pair it
    with its IN_MOVED_TO, and every event behind it waits too. Each claim (a rename out of the
    inbox) would make one, so files would be noticed up to 0.5 s late under a steady flow.

    Events about files are handed to ``arrived`` as they are read (see :class:`_ArrivalWatches`);
    those about folders take watchdog's usual way to the event handler.
    """

    def __init__(
        self,
        event_queue: EventQueue,
        watch: ObservedWatch,
        *,
        arrived: Callable[[bytes, int], None],
        lost: Callable[[], None],
        **options: Any,
    ) -> None:
        super().__init__(event_queue, watch, **options)
        self._arrived = arrived
        self._lost = lost

    def on_thread_start(self) -> None:
        self._inotify = _ArrivalWatches(
            self._inotify_fd,
            os.fsencode(self.watch.path),
            is_recursive=self.watch.is_recursive,
            event_mask=self.get_event_mask_from_filter(),
            follow_symlink=self.watch.follow_symlink,
            arrived=self._arrived,
            lost=self._lost,
        )

    def get_event_mask_from_filter(self) -> Mask:
        return Mask(
            InotifyConstants.IN_CREATE
            | InotifyConstants.IN_MODIFY
            | InotifyConstants.IN_MOVED_TO
            | InotifyConstants.IN_CLOSE_WRITE
            | InotifyConstants.IN_DELETE_SELF
        )
