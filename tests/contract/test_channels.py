"""Every registered channel, and the memory channel, passes the channel contract
(:mod:`tests.contract.channels`) against its real partner's side: an sshd, a folder, a dict.

A channel registered in ``adapters.REGISTRY`` without a contract class here FAILS
(:func:`test_every_registered_channel_has_a_contract`): that is how "every registered channel
passes" is enforced.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from adapters import REGISTRY
from adapters.channels.folder import Folder, FolderConfig
from adapters.channels.memory import Memory, MemoryConfig, MemorySide
from adapters.channels.sftp import Sftp
from gateway.ports import Channel, Spool
from tests.contract.channels import PARTNER, ChannelContract, PartnerSide
from tests.integration.sftp.conftest import sshd, sshd_factory
from tests.integration.sftp.helpers import with_inbound, with_outbound
from tests.integration.sftp.sshd import Sshd

__all__ = ["sshd", "sshd_factory"]  # the SFTP fixtures, used here


def read_all(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


class SftpSide(PartnerSide):
    """A real OpenSSH sshd on loopback; the partner's folders ``out/`` and ``in/``."""

    def __init__(self, server: Sshd, remote: Path) -> None:
        self.server = server
        self.remote = remote
        for name in ("out", "in"):
            (remote / name).mkdir(parents=True)

    def channel(self, spool: Spool, *, min_age: float = 30.0, after: str = "delete") -> Channel:
        config = with_inbound(self.server.channel(), self.remote, min_age=min_age, after=after)
        return Sftp(PARTNER, with_outbound(config, self.remote), spool)

    def put(self, name: str, data: bytes) -> None:
        (self.remote / "out" / name).write_bytes(data)

    def waiting(self) -> dict[str, bytes]:
        return read_all(self.remote / "out")

    def received(self) -> dict[str, bytes]:
        return read_all(self.remote / "in")

    def leave_received(self, name: str, data: bytes) -> None:
        (self.remote / "in" / name).write_bytes(data)

    def take_received(self, name: str) -> None:
        (self.remote / "in" / name).unlink()

    def down(self) -> None:
        self.server.stop()

    def up(self) -> None:
        self.server.start()


class FolderSide(PartnerSide):
    """A shared folder: ``share/out`` (pickup) and ``share/in`` (drop); down: not mounted."""

    def __init__(self, share: Path) -> None:
        self.share = share
        self.away = share.with_name("unmounted")
        for name in ("out", "in"):
            (share / name).mkdir(parents=True)

    def channel(self, spool: Spool, *, min_age: float = 30.0, after: str = "delete") -> Channel:
        config = FolderConfig.model_validate(
            {
                "pickup": str(self.share / "out"),
                "drop": str(self.share / "in"),
                "min_age": min_age,
                "after": after,
            }
        )
        return Folder(PARTNER, config, spool)

    def put(self, name: str, data: bytes) -> None:
        (self.share / "out" / name).write_bytes(data)

    def waiting(self) -> dict[str, bytes]:
        return read_all(self.share / "out")

    def received(self) -> dict[str, bytes]:
        return read_all(self.share / "in")

    def leave_received(self, name: str, data: bytes) -> None:
        (self.share / "in" / name).write_bytes(data)

    def take_received(self, name: str) -> None:
        (self.share / "in" / name).unlink()

    def down(self) -> None:
        shutil.move(self.share, self.away)

    def up(self) -> None:
        shutil.move(self.away, self.share)


class MemoryPartnerSide(PartnerSide):
    """The partner's side in process (names a file system could not even hold, too)."""

    hostile_names = (*PartnerSide.hostile_names, "../x", "a/b.edi", "")

    def __init__(self) -> None:
        self.side = MemorySide(PARTNER)

    def channel(self, spool: Spool, *, min_age: float = 30.0, after: str = "delete") -> Channel:
        config = MemoryConfig.model_validate({"min_age": min_age, "after": after})
        return Memory(PARTNER, config, spool, side=self.side)

    def put(self, name: str, data: bytes) -> None:
        self.side.put(name, data)

    def waiting(self) -> dict[str, bytes]:
        return {name: f.data for name, f in self.side.files.items()}

    def received(self) -> dict[str, bytes]:
        return dict(self.side.received)

    def leave_received(self, name: str, data: bytes) -> None:
        self.side.received[name] = data

    def take_received(self, name: str) -> None:
        del self.side.received[name]

    def down(self) -> None:
        self.side.down = True

    def up(self) -> None:
        self.side.down = False


class TestSftp(ChannelContract):
    @pytest.fixture
    def side(self, sshd_factory: Callable[..., Sshd], tmp_path: Path) -> PartnerSide:
        return SftpSide(sshd_factory(), tmp_path / "remote")


class TestFolder(ChannelContract):
    @pytest.fixture
    def side(self, tmp_path: Path) -> PartnerSide:
        return FolderSide(tmp_path / "share")


class TestMemory(ChannelContract):
    @pytest.fixture
    def side(self) -> PartnerSide:
        return MemoryPartnerSide()


CONTRACTS: dict[str, type[ChannelContract]] = {
    Sftp.kind: TestSftp,
    Folder.kind: TestFolder,
    Memory.kind: TestMemory,
}


@pytest.mark.parametrize("kind", sorted(REGISTRY.channels))
def test_every_registered_channel_has_a_contract(kind: str) -> None:
    assert kind in CONTRACTS, (
        f"channel {kind!r} is registered in adapters/__init__.py but has no contract class in "
        f"{__file__}: give it a PartnerSide and a ChannelContract subclass"
    )
