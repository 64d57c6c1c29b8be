"""The pipelined SFTP engine against an in-memory SFTP server that answers out of order, cuts its
output at random places and gives short reads: every file arrives whole and right, or is reported
changed or failed with no temp file left."""

from __future__ import annotations

import hashlib
import random
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import paramiko
import pytest

from adapters.channels.sftp import pipeline as sp

ATTRS_SIZE_TIME = sp.ATTR_SIZE | sp.ATTR_ACMODTIME


def packet(kind: int, body: bytes) -> bytes:
    return struct.pack(">IB", len(body) + 1, kind) + body


def string(value: bytes) -> bytes:
    return struct.pack(">I", len(value)) + value


@dataclass
class FakeFile:
    data: bytes
    mtime: int = 1_700_000_000


@dataclass
class FakeServer:
    """Enough of an SFTP v3 server for :func:`sp.fetch` and the ``*_many`` calls."""

    files: dict[str, FakeFile]
    seed: int = 1
    shuffle: bool = True
    max_read: int = 1 << 20
    limits: tuple[int, int, int, int] | None = None
    denied: set[str] = field(default_factory=set)
    on_open: dict[str, FakeFile] = field(default_factory=dict)
    """path -> what the file becomes right after it is opened (rewritten meanwhile)."""
    handles: dict[bytes, str] = field(default_factory=dict)
    opened: int = 0
    requests: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)

    def answer(self, kind: int, request_id: int, body: bytes) -> bytes:
        self.requests.append(kind)
        rid = struct.pack(">I", request_id)
        at = 0

        def take_string() -> bytes:
            nonlocal at
            (length,) = struct.unpack_from(">I", body, at)
            value = body[at + 4 : at + 4 + length]
            at += 4 + length
            return value

        def status(code: int, text: str = "") -> bytes:
            return packet(
                sp.FXP_STATUS, rid + struct.pack(">I", code) + string(text.encode()) + string(b"")
            )

        def attrs(file: FakeFile) -> bytes:
            return packet(
                sp.FXP_ATTRS,
                rid + struct.pack(">IQII", ATTRS_SIZE_TIME, len(file.data), file.mtime, file.mtime),
            )

        if kind == sp.FXP_EXTENDED:
            if take_string() == b"limits@openssh.com" and self.limits:
                return packet(sp.FXP_EXTENDED_REPLY, rid + struct.pack(">QQQQ", *self.limits))
            return status(8, "unsupported")
        if kind == sp.FXP_OPEN:
            path = take_string().decode()
            if path in self.denied:
                return status(sp.FX_PERMISSION_DENIED, "Permission denied")
            if path not in self.files:
                return status(sp.FX_NO_SUCH_FILE, "No such file")
            if path in self.on_open:
                self.files[path] = self.on_open.pop(path)
            self.opened += 1
            handle = f"h{self.opened}".encode()
            self.handles[handle] = path
            return packet(sp.FXP_HANDLE, rid + string(handle))
        if kind == sp.FXP_READ:
            file = self.files[self.handles[take_string()]]
            offset, length = struct.unpack_from(">QI", body, at)
            if offset >= len(file.data):
                return status(sp.FX_EOF, "EOF")
            chunk = file.data[offset : offset + min(length, self.max_read)]
            return packet(sp.FXP_DATA, rid + string(chunk))
        if kind == sp.FXP_FSTAT:
            return attrs(self.files[self.handles[take_string()]])
        if kind == sp.FXP_LSTAT:
            path = take_string().decode()
            if path not in self.files:
                return status(sp.FX_NO_SUCH_FILE, "No such file")
            return attrs(self.files[path])
        if kind == sp.FXP_CLOSE:
            del self.handles[take_string()]
            return status(sp.FX_OK)
        if kind == sp.FXP_REMOVE:
            path = take_string().decode()
            if path in self.denied:
                return status(sp.FX_PERMISSION_DENIED, "Permission denied")
            if self.files.pop(path, None) is None:
                return status(sp.FX_NO_SUCH_FILE, "No such file")
            return status(sp.FX_OK)
        if kind == sp.FXP_RENAME:
            old, new = take_string().decode(), take_string().decode()
            if new in self.files:
                return status(4, "Failure")
            if old not in self.files:
                return status(sp.FX_NO_SUCH_FILE, "No such file")
            self.files[new] = self.files.pop(old)
            return status(sp.FX_OK)
        raise AssertionError(f"unexpected request {kind}")


class FakeChannel:
    """The channel under :class:`sp.SftpStream`: requests go to the server as they are written,
    its replies to one write come back shuffled and cut into pieces of random length."""

    def __init__(self, server: FakeServer, *, greeting: bytes = b"") -> None:
        self.server = server
        self.inbound = b""
        self.outbound = bytearray(greeting)
        self.writes = 0

    def sendall(self, data: bytes) -> None:
        self.writes += 1
        self.inbound += data
        replies = []
        while len(self.inbound) >= 4:
            (length,) = struct.unpack_from(">I", self.inbound)
            if len(self.inbound) < 4 + length:
                break
            kind, request_id = struct.unpack_from(">BI", self.inbound, 4)
            body = self.inbound[9 : 4 + length]
            self.inbound = self.inbound[4 + length :]
            replies.append(self.server.answer(kind, request_id, body))
        if self.server.shuffle:
            self.server.random.shuffle(replies)
        self.outbound += b"".join(replies)

    def send(self, data: bytes) -> int:
        self.sendall(data)
        return len(data)

    def recv(self, size: int) -> bytes:
        if not self.outbound:
            return b""  # nothing will ever come: a closed channel
        cut = min(size, self.server.random.randint(1, 70_000), len(self.outbound))
        out = bytes(self.outbound[:cut])
        del self.outbound[:cut]
        return out

    def recv_ready(self) -> bool:
        return bool(self.outbound)


def requests_on(server: FakeServer, *, greeting: bytes = b"") -> sp.SftpRequests:
    channel = FakeChannel(server, greeting=greeting)
    return sp.SftpRequests(sp.SftpStream(cast(paramiko.Channel, channel)))


def jobs_for(server: FakeServer, tmp_path: Path, names: list[str]) -> list[sp.Download]:
    return [
        sp.Download(
            remote=name,
            size=len(server.files[name].data),
            mtime=server.files[name].mtime,
            temp=tmp_path / f".{name}.part",
        )
        for name in names
    ]


SIZES = [0, 1, 100, 4095, 4096, 4097, 3 * 4096 + 5, 50_000, 200_001]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_file_arrives_whole_and_hashed_whatever_the_order_and_read_lengths(
    tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    files = {f"f{i}.edi": FakeFile(rng.randbytes(size)) for i, size in enumerate(SIZES * 3)}
    server = FakeServer(dict(files), seed=seed, max_read=3000)  # short reads, out of order
    jobs = jobs_for(server, tmp_path, list(files))
    sp.fetch(requests_on(server), jobs, limits=sp.Limits(block=4096, open_files=5), window=20_000)
    for job in jobs:
        assert job.ok, job
        data = files[job.remote].data
        assert job.temp.read_bytes() == data
        assert job.sha256 == hashlib.sha256(data).hexdigest()
    assert server.handles == {}  # every remote file closed


def test_a_file_shorter_or_changed_since_listing_is_changed_and_leaves_no_temp_file(
    tmp_path: Path,
) -> None:
    server = FakeServer(
        {"short.edi": FakeFile(b"x" * 10_000), "touched.edi": FakeFile(b"y" * 100)},
        max_read=1000,
    )
    jobs = jobs_for(server, tmp_path, ["short.edi", "touched.edi"])
    jobs[0].size = 20_000  # listed longer than it is now (being rewritten)
    server.on_open["touched.edi"] = FakeFile(b"y" * 100, mtime=1_700_000_999)
    sp.fetch(requests_on(server), jobs, limits=sp.Limits(block=4096, open_files=4))
    assert [job.changed for job in jobs] == [True, True]
    assert not any(job.ok for job in jobs)
    assert list(tmp_path.iterdir()) == []
    assert server.handles == {}


def test_errors_are_per_file_and_the_other_files_go_on(tmp_path: Path) -> None:
    server = FakeServer(
        {"a.edi": FakeFile(b"a" * 5000), "b.edi": FakeFile(b"b"), "c.edi": FakeFile(b"c" * 9)},
        denied={"b.edi"},
    )
    jobs = jobs_for(server, tmp_path, ["a.edi", "b.edi", "c.edi"])
    del server.files["c.edi"]  # gone since the listing
    (tmp_path / ".a.edi.part").write_bytes(b"someone else's")  # a temp name in use: refused
    sp.fetch(requests_on(server), jobs, limits=sp.Limits(block=4096, open_files=2))
    assert isinstance(jobs[0].error, FileExistsError)
    assert isinstance(jobs[1].error, PermissionError)
    assert isinstance(jobs[2].error, FileNotFoundError)
    assert (tmp_path / ".a.edi.part").read_bytes() == b"someone else's"  # not ours: left
    assert sorted(p.name for p in tmp_path.iterdir()) == [".a.edi.part"]


def test_a_lost_connection_propagates_and_leaves_no_temp_file(tmp_path: Path) -> None:
    server = FakeServer({f"f{i}": FakeFile(bytes(30_000)) for i in range(4)})
    requests = requests_on(server)
    channel = cast(FakeChannel, requests.stream.channel)
    original = channel.sendall
    calls = [0]

    def sendall(data: bytes) -> None:
        calls[0] += 1
        if calls[0] < 3:
            original(data)  # later requests vanish: the replies never come

    channel.sendall = sendall  # type: ignore[method-assign]
    jobs = jobs_for(server, tmp_path, list(server.files))
    with pytest.raises(EOFError):
        sp.fetch(requests, jobs, limits=sp.Limits(block=4096, open_files=4))
    assert list(tmp_path.iterdir()) == []
    assert not any(job.ok for job in jobs)


def test_many_path_requests_go_out_together_and_answer_each_path(tmp_path: Path) -> None:
    server = FakeServer(
        {"/o/a": FakeFile(b"1"), "/o/b": FakeFile(b"22"), "/t/b": FakeFile(b"")},
        denied={"/o/a"},
    )
    requests = requests_on(server)
    channel = cast(FakeChannel, requests.stream.channel)
    found = sp.lstat_many(requests, ["/o/a", "/o/b", "/o/missing"])
    assert [getattr(f, "size", None) for f in found] == [1, 2, None]
    assert isinstance(found[2], FileNotFoundError)
    assert channel.writes == 1  # three requests, one write
    assert [type(e) for e in sp.remove_many(requests, ["/o/a", "/o/missing"])] == [
        PermissionError,
        FileNotFoundError,
    ]
    errors = sp.rename_many(requests, [("/o/b", "/t/b"), ("/o/b", "/t/b.2")])
    assert isinstance(errors[0], OSError) and errors[1] is None  # never over a file
    assert sorted(server.files) == ["/o/a", "/t/b", "/t/b.2"]


def test_the_server_limits_are_asked_only_when_offered_and_kept_within_bounds() -> None:
    version = packet(2, struct.pack(">I", 3) + string(b"limits@openssh.com") + string(b"1"))
    server = FakeServer({}, limits=(262144, 1 << 20, 261120, 1000))
    requests = requests_on(server, greeting=version)
    assert requests.stream.recv(4) == version[:4]  # paramiko's client still reads its VERSION
    assert requests.stream.recv(len(version)) == version[4:]
    assert requests.stream.extensions == {"limits@openssh.com": b"1"}
    assert sp.server_limits(requests) == sp.Limits(block=sp.LARGEST_BLOCK, open_files=64)

    server = FakeServer({}, limits=(262144, 1 << 20, 261120, 1000))
    bare = packet(2, struct.pack(">I", 3))
    requests = requests_on(server, greeting=bare)
    requests.stream.recv(len(bare))
    assert sp.server_limits(requests) == sp.Limits()  # not offered: not asked, safe defaults
    assert server.requests == []


def test_replies_to_requests_of_paramikos_client_are_skipped() -> None:
    server = FakeServer({"/a": FakeFile(b"abc")})
    requests = requests_on(server)
    channel = cast(FakeChannel, requests.stream.channel)
    stray = packet(sp.FXP_STATUS, struct.pack(">II", 7, sp.FX_OK) + string(b"") + string(b""))
    channel.outbound += stray  # a late reply to an abandoned close of paramiko's (id 7)
    [found] = sp.lstat_many(requests, ["/a"])
    assert isinstance(found, sp.Attributes) and found.size == 3
