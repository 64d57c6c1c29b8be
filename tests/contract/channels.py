"""The channel contract: what every channel must do, as one suite each channel's tests inherit
(as Singer SDK's ``get_tap_test_class`` does for taps).

A channel's test class subclasses :class:`ChannelContract` and gives one fixture, ``side``: a
:class:`PartnerSide`, the partner's end of that channel on a real service (an sshd, a folder,
a dict), which makes the channel and puts or reads files there as the partner would. The tests
then prove, through the channel and the core's runs (:mod:`gateway.runtime.channels`):

- a file at the partner's side arrives in ``inbox/<partner>/`` whole, once, and is removed at
  the partner's side only once it is in the inbox;
- a second collect brings nothing twice (also when files are kept at the partner's side);
- a file still growing is not taken until it has stopped;
- a hostile name is refused and reported, and nothing is written outside the inbox;
- an outbox file is delivered whole, once, never in place of a file at the partner's side,
  moved to ``sent/``, and reported complete (:meth:`gateway.ports.Channel.delivered`);
- a partner's side that is down is an error that leaves everything in place, and the next run
  does the work.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session, sessionmaker

from gateway.ledger import session_factory
from gateway.ledger.transfers import PickupState
from gateway.ports import Channel, Spool
from gateway.runtime.channels import ChannelRuns
from tests.integration.ledger.databases import ledger_engine
from tests.integration.sftp.helpers import Clock, pickups

PARTNER = "acme"
MIN_AGE = 30.0
REFUSE_PICKUPS = """
CREATE TRIGGER refuse_pickups BEFORE INSERT ON remote_pickups
BEGIN SELECT RAISE(ABORT, 'the ledger refuses'); END
"""


class PartnerSide(ABC):
    """The partner's end of a channel, as a test drives it."""

    hostile_names: tuple[str, ...] = ("bad\nname.edi", "esc\x1b[31m.edi", "rtl\u202eide.edi")
    """Names the partner's side can hold that must never become a local file name."""

    @abstractmethod
    def channel(self, spool: Spool, *, min_age: float = MIN_AGE, after: str = "delete") -> Channel:
        """The channel to this side for :data:`PARTNER`."""

    @abstractmethod
    def put(self, name: str, data: bytes) -> None:
        """The partner leaves a file for us (or appends to it: same name, more bytes)."""

    @abstractmethod
    def waiting(self) -> dict[str, bytes]:
        """The files still at the partner's side for us, by name."""

    @abstractmethod
    def received(self) -> dict[str, bytes]:
        """The files we delivered that the partner has, by name."""

    @abstractmethod
    def leave_received(self, name: str, data: bytes) -> None:
        """A file the partner has where we deliver (one it has not taken yet)."""

    @abstractmethod
    def take_received(self, name: str) -> None:
        """The partner takes a delivered file away."""

    @abstractmethod
    def down(self) -> None: ...

    @abstractmethod
    def up(self) -> None: ...


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files_in(folder: Path) -> dict[str, bytes]:
    """Every regular file under ``folder`` (dotfiles too), by path relative to it."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


class ChannelContract:
    """The tests every channel passes; a subclass gives the ``side`` fixture."""

    @pytest.fixture
    def side(self) -> PartnerSide:
        raise NotImplementedError("a channel's contract class gives its partner's side")

    @pytest.fixture
    def ledger(self, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
        with ledger_engine(f"sqlite:///{tmp_path / 'ledger.sqlite3'}") as engine:
            yield session_factory(engine)

    @pytest.fixture
    def clock(self) -> Clock:
        return Clock()

    @pytest.fixture
    def spool(self, tmp_path: Path, ledger: sessionmaker[Session], clock: Clock) -> Spool:
        home = tmp_path / "home"
        return Spool(inbox=home / "inbox", outbox=home / "outbox", ledger=ledger, clock=clock)

    def settled(self, channel: Channel, clock: Clock) -> None:
        """One collect that sees the files, then time enough for them to be complete."""
        channel.collect()
        clock.now += MIN_AGE + 1

    # -- collect ---------------------------------------------------------------------------------

    def test_a_file_arrives_in_the_inbox_whole_once_and_leaves_the_partners_side(
        self, side: PartnerSide, spool: Spool, clock: Clock
    ) -> None:
        data = b"ISA*00*" + bytes(range(256)) * 300
        side.put("po.edi", data)
        channel = side.channel(spool)
        self.settled(channel, clock)
        report = channel.collect()
        assert [(p.path.name, p.sha256) for p in report.taken] == [("po.edi", sha(data))]
        assert files_in(spool.inbox) == {f"{PARTNER}/po.edi": data}
        assert side.waiting() == {}
        [row] = pickups(spool.ledger)
        assert row.state is PickupState.DONE and row.sha256 == sha(data)
        clock.now += MIN_AGE + 1
        again = channel.collect()
        assert again.taken == [] and again.failed == []
        assert files_in(spool.inbox) == {f"{PARTNER}/po.edi": data}

    def test_a_file_is_not_removed_at_the_partners_side_before_the_ledger_has_it(
        self, side: PartnerSide, spool: Spool, clock: Clock
    ) -> None:
        side.put("po.edi", b"ISA*850")
        channel = side.channel(spool)
        self.settled(channel, clock)
        with spool.ledger.begin() as s:  # the ledger refuses to record the pickup
            s.execute(text(REFUSE_PICKUPS))
        with pytest.raises(DatabaseError):
            channel.collect()
        assert side.waiting() == {"po.edi": b"ISA*850"}
        assert pickups(spool.ledger) == []
        assert [n for n in files_in(spool.inbox) if not Path(n).name.startswith(".")] == []
        with spool.ledger.begin() as s:
            s.execute(text("DROP TRIGGER refuse_pickups"))
        clock.now += MIN_AGE + 1
        assert [p.path.name for p in channel.collect().taken] == ["po.edi"]
        assert files_in(spool.inbox) == {f"{PARTNER}/po.edi": b"ISA*850"}
        assert side.waiting() == {}

    def test_a_file_kept_at_the_partners_side_is_not_collected_twice(
        self, side: PartnerSide, spool: Spool, clock: Clock
    ) -> None:
        side.put("po.edi", b"ISA*850")
        channel = side.channel(spool, after="keep")
        self.settled(channel, clock)
        assert [p.path.name for p in channel.collect().taken] == ["po.edi"]
        reports = []
        for _ in range(3):  # seen again (waiting for min_age), then known as taken
            clock.now += MIN_AGE + 1
            reports.append(channel.collect())
        assert [r.taken for r in reports] == [[], [], []]
        assert reports[-1].already == ["po.edi"]
        assert side.waiting() == {"po.edi": b"ISA*850"}
        assert files_in(spool.inbox) == {f"{PARTNER}/po.edi": b"ISA*850"}

    def test_a_file_still_growing_is_not_taken_until_it_stops(
        self, side: PartnerSide, spool: Spool, clock: Clock
    ) -> None:
        side.put("po.edi", b"ISA*first half")
        channel = side.channel(spool)
        assert channel.collect().waiting == ["po.edi"]
        clock.now += MIN_AGE - 1
        side.put("po.edi", b"ISA*first half, second half")  # still being written
        clock.now += 2  # past min_age since first seen, not since it changed
        report = channel.collect()
        assert report.taken == [] and report.waiting == ["po.edi"]
        assert files_in(spool.inbox) == {}
        clock.now += MIN_AGE + 1
        assert [p.path.name for p in channel.collect().taken] == ["po.edi"]
        assert files_in(spool.inbox) == {f"{PARTNER}/po.edi": b"ISA*first half, second half"}

    def test_hostile_names_are_refused_reported_and_never_written_outside_the_inbox(
        self, side: PartnerSide, spool: Spool, clock: Clock, tmp_path: Path
    ) -> None:
        for name in side.hostile_names:
            side.put(name, b"ISA*hostile")
        side.put("po.edi", b"ISA*850")
        before = files_in(tmp_path)
        channel = side.channel(spool)
        self.settled(channel, clock)
        report = channel.collect()
        assert sorted(name for name, _ in report.refused) == sorted(side.hostile_names)
        assert all(reason for _, reason in report.refused)
        assert [p.path.name for p in report.taken] == ["po.edi"]
        assert files_in(spool.inbox) == {f"{PARTNER}/po.edi": b"ISA*850"}
        assert sorted(side.waiting()) == sorted(side.hostile_names)  # left where they are
        new = set(files_in(tmp_path)) - set(before)
        written = {path for path in new if not path.startswith("home/inbox/")}
        assert all(not path.startswith("home/") for path in written), written

    # -- deliver ---------------------------------------------------------------------------------

    def outbox_file(self, spool: Spool, name: str, data: bytes) -> Path:
        path = spool.outbox / PARTNER / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    def test_an_outbox_file_is_delivered_whole_once_moved_to_sent_and_reported_complete(
        self, side: PartnerSide, spool: Spool
    ) -> None:
        data = b"ISA*856" + bytes(range(256)) * 300
        self.outbox_file(spool, "856.x12", data)
        channel = side.channel(spool)
        assert not channel.delivered("856.x12", sha(data))
        report = channel.deliver()
        assert report.sent == ["856.x12"] and report.failed == []
        assert side.received() == {"856.x12": data}
        assert files_in(spool.outbox) == {f"{PARTNER}/sent/856.x12": data}
        assert channel.delivered("856.x12", sha(data))
        again = channel.deliver()
        assert again.sent == [] and again.failed == []
        assert side.received() == {"856.x12": data}

    def test_a_delivery_never_replaces_a_file_at_the_partners_side(
        self, side: PartnerSide, spool: Spool, clock: Clock
    ) -> None:
        side.leave_received("856.x12", b"theirs, not taken yet")
        self.outbox_file(spool, "856.x12", b"ours")
        channel = side.channel(spool)
        report = channel.deliver()
        [(name, reason)] = report.failed
        assert name == "856.x12" and "not overwritten" in reason
        assert side.received() == {"856.x12": b"theirs, not taken yet"}
        assert files_in(spool.outbox) == {f"{PARTNER}/856.x12": b"ours"}
        assert not channel.delivered("856.x12", sha(b"ours"))
        side.take_received("856.x12")
        clock.now += 3600  # past the retry's backoff
        assert channel.deliver().sent == ["856.x12"]
        assert side.received() == {"856.x12": b"ours"}
        assert channel.delivered("856.x12", sha(b"ours"))

    # -- the partner's side down -------------------------------------------------------------------

    def test_a_partners_side_that_is_down_fails_the_run_leaves_everything_and_the_next_run_works(
        self, side: PartnerSide, spool: Spool, clock: Clock
    ) -> None:
        side.put("po.edi", b"ISA*850")
        self.outbox_file(spool, "997.x12", b"ISA*997")
        runs = ChannelRuns(side.channel(spool, min_age=0.0))
        side.down()
        try:
            report = runs.run()
        finally:
            side.up()
        assert report.error is not None and PARTNER in report.error
        assert runs.breaker.failures == 1
        assert side.waiting() == {"po.edi": b"ISA*850"}
        assert side.received() == {}
        assert files_in(spool.inbox) == {}
        assert files_in(spool.outbox) == {f"{PARTNER}/997.x12": b"ISA*997"}
        clock.now += 3600  # past the breaker's backoff
        report = runs.run()
        assert report.error is None, report.error
        assert report.collected is not None and report.delivered is not None
        assert [p.path.name for p in report.collected.taken] == ["po.edi"]
        assert report.delivered.sent == ["997.x12"]
        assert files_in(spool.inbox) == {f"{PARTNER}/po.edi": b"ISA*850"}
        assert side.received() == {"997.x12": b"ISA*997"}
        assert side.waiting() == {}
        assert runs.breaker.failures == 0
