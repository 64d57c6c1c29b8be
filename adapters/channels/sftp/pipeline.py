"""Pipelined SFTP: many requests in flight on one session, and the channel read in large blocks.

paramiko's :class:`~paramiko.SFTPClient` waits for each reply before the next request (a round
trip per ``open``, ``stat``, ``read`` of a small file, ``close``, ``remove``...), and reads its
channel a few bytes at a time, each read moving whatever else is buffered behind it (the cost
grows with the backlog: with a 4 MiB window, half of a large download's time). Here:

- :class:`SftpStream` sits between the channel and paramiko's client (and this module): it takes
  everything the channel holds in one read and hands out packets from its own buffer, so the
  channel's buffer is never shifted; paramiko's client works through it unchanged;
- :class:`SftpRequests` sends raw SFTP v3 requests back to back (one channel write for many) and
  dispatches the replies by request id, so a batch of files costs a few round trips, not a few per
  file. Its request ids (from :data:`FIRST_ID` up) never meet paramiko's (from 1 up), and each
  side ignores replies that are not its own;
- :func:`fetch` downloads many files at once: opens, reads (``block`` bytes each, ``window``
  bytes in flight across files), an ``fstat`` that proves the file unchanged, close; hashing
  each file in order and writing it to its local file (as it comes when it takes several reads;
  else at once, by a pool thread), then fsyncing it (in parallel: the filesystem groups
  concurrent fsyncs into one journal commit);
- :func:`lstat_many`, :func:`remove_many`, :func:`rename_many`: one request per path, all in
  flight together, one outcome per path;
- :func:`list_folder`: a folder's entries, names that are not UTF-8 included.

Only one thread uses a session at a time (one run per partner), as paramiko's client needs too.

Why one module of ~800 lines: it is one protocol implementation whose parts share the private
packet codec (``_string``, ``_get_string``, ``_attributes_and_end``, ``status_error``) and the
request loop; split, those would become a public surface of their own for no reader's benefit.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import os
import struct
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import paramiko

from gateway.errors import ChannelError

# -- SFTP v3 (draft-ietf-secsh-filexfer-02), the subset used here ------------------------------

FXP_VERSION = 2
FXP_OPEN, FXP_CLOSE, FXP_READ = 3, 4, 5
FXP_LSTAT, FXP_FSTAT = 7, 8
FXP_OPENDIR, FXP_READDIR = 11, 12
FXP_REMOVE, FXP_RENAME = 13, 18
FXP_EXTENDED = 200
FXP_STATUS, FXP_HANDLE, FXP_DATA, FXP_NAME, FXP_ATTRS = 101, 102, 103, 104, 105
FXP_EXTENDED_REPLY = 201
FXF_READ = 0x01
FX_OK, FX_EOF, FX_NO_SUCH_FILE, FX_PERMISSION_DENIED = 0, 1, 2, 3
ATTR_SIZE, ATTR_UIDGID, ATTR_PERMISSIONS, ATTR_ACMODTIME = 0x1, 0x2, 0x4, 0x8
ATTR_EXTENDED = 0x80000000

FIRST_ID = 0x4000_0000
"""Our request ids start here; paramiko's client counts from 1 (a billion requests apart)."""
MAX_PACKET = 1 << 24
"""A longer SFTP packet is garbage (paramiko refuses the same)."""
RECV_ALL = 1 << 30
"""Asking the channel for this much takes all it holds: the cheap path of paramiko's buffer."""

DEFAULT_BLOCK = 32 * 1024
"""Read size when the server does not say its limit (every SFTP server must allow 32 KiB)."""
LARGEST_BLOCK = 255 * 1024
"""Largest read asked for, even if the server allows more."""
DEFAULT_WINDOW = 4 * 1024 * 1024
"""Bytes of reads in flight, across files (the channel's window holds this much)."""
MOST_OPEN = 64
"""Files open at once, at most (or fewer if the server says so)."""
DEFAULT_OPEN = 16
"""Files open at once on a server that does not say its limit."""
FSYNC_THREADS = 8

Reply = Callable[[int, memoryview], None]
"""Told ``(packet type, body after the request id)`` of the reply to a request."""


class SftpStream:
    """The SFTP channel, read in large blocks; paramiko's client and :class:`SftpRequests` both
    read their packets through it (it is the client's ``sock``), so no byte goes astray."""

    def __init__(self, channel: paramiko.Channel) -> None:
        self.channel = channel
        self._data = b""
        self._view = memoryview(self._data)
        self._pos = 0
        self._greeted = False
        self.extensions: dict[str, bytes] = {}
        """The extensions the server named in its ``VERSION`` packet (paramiko ignores them)."""

    # -- what paramiko's SFTPClient uses of its channel ------------------------------------------

    def recv(self, size: int) -> bytes:
        if not self._greeted:
            self._greeted = True
            self._read_version()
        if self._pos >= len(self._data):
            chunk = self.channel.recv(RECV_ALL)
            if not chunk:
                return b""
            self._set(chunk)
        end = min(self._pos + size, len(self._data))
        out = self._data[self._pos : end]
        self._pos = end
        return out

    def send(self, data: bytes) -> int:
        return self.channel.send(data)

    def sendall(self, data: bytes) -> None:
        self.channel.sendall(data)

    def close(self) -> None:
        self.channel.close()

    def get_name(self) -> str:
        return self.channel.get_name()

    def settimeout(self, timeout: float | None) -> None:
        self.channel.settimeout(timeout)

    def gettimeout(self) -> float | None:
        return self.channel.gettimeout()

    def setblocking(self, blocking: bool) -> None:
        self.channel.setblocking(blocking)

    def recv_ready(self) -> bool:
        return self._pos < len(self._data) or self.channel.recv_ready()

    def get_transport(self) -> paramiko.Transport:
        return self.channel.get_transport()

    def __getattr__(self, name: str) -> object:
        # anything else paramiko may ask of its channel (never the reads: they are above)
        return getattr(self.channel, name)

    # -- whole packets, without copying ----------------------------------------------------------

    def read_packet(self) -> tuple[int, int, memoryview]:
        """The next packet: ``(type, request id, body)``; the body is a view of the buffer."""
        self._need(4)
        (length,) = struct.unpack_from(">I", self._data, self._pos)
        if not 5 <= length <= MAX_PACKET:
            raise paramiko.SSHException(f"garbage SFTP packet (length {length})")
        self._need(4 + length)
        start = self._pos
        kind = self._data[start + 4]
        (request_id,) = struct.unpack_from(">I", self._data, start + 5)
        self._pos = start + 4 + length
        return kind, request_id, self._view[start + 9 : self._pos]

    def _read_version(self) -> None:
        """Note the extensions of the server's first packet (``VERSION``), left in the buffer
        for paramiko's client to read."""
        self._need(4)
        (length,) = struct.unpack_from(">I", self._data, self._pos)
        if not 5 <= length <= MAX_PACKET:
            return  # paramiko's client says what is wrong
        self._need(4 + length)
        body = self._view[self._pos + 4 : self._pos + 4 + length]
        if body[0] != FXP_VERSION:
            return
        at = 5
        with contextlib.suppress(struct.error):
            while at < len(body):
                name, at = _get_string(body, at)
                value, at = _get_string(body, at)
                self.extensions[bytes(name).decode("utf-8", "replace")] = bytes(value)

    def packet_ready(self) -> bool:
        """A whole packet can be read without waiting (takes what the channel holds, if any)."""
        if self._complete():
            return True
        if not self.channel.recv_ready():
            return False
        chunk = self.channel.recv(RECV_ALL)
        if chunk:
            rest = self._data[self._pos :]
            self._set(rest + chunk if rest else chunk)
        return self._complete()

    def _complete(self) -> bool:
        have = len(self._data) - self._pos
        if have < 4:
            return False
        (length,) = struct.unpack_from(">I", self._data, self._pos)
        return bool(have >= 4 + length)

    def _need(self, size: int) -> None:
        have = len(self._data) - self._pos
        if have >= size:
            return
        parts = [self._data[self._pos :]] if have else []
        while have < size:
            chunk = self.channel.recv(RECV_ALL)
            if not chunk:
                raise EOFError("the server closed the SFTP channel")
            parts.append(chunk)
            have += len(chunk)
        self._set(parts[0] if len(parts) == 1 else b"".join(parts))

    def _set(self, data: bytes) -> None:
        self._data = data
        self._view = memoryview(data)
        self._pos = 0


class SftpRequests:
    """Raw SFTP requests on a session's :class:`SftpStream`, any number in flight."""

    def __init__(self, stream: SftpStream) -> None:
        self.stream = stream
        self._next_id = FIRST_ID
        self._waiting: dict[int, Reply] = {}
        self._out: list[bytes] = []

    @property
    def in_flight(self) -> int:
        return len(self._waiting)

    def send(self, kind: int, body: bytes, reply: Reply) -> None:
        """Queue a request (sent at the next :meth:`flush` or wait); ``reply`` gets its answer."""
        request_id = self._next_id
        self._next_id = FIRST_ID if request_id >= 0xFFFF_FFFF else request_id + 1
        self._out.append(struct.pack(">IBI", len(body) + 5, kind, request_id))
        self._out.append(body)
        self._waiting[request_id] = reply

    def flush(self) -> None:
        if self._out:
            data = b"".join(self._out)
            self._out.clear()
            self.stream.sendall(data)

    def wait_one(self) -> None:
        """Read one reply and hand it to its request's callback; what is queued is sent first
        unless a reply is already there (so replies that came together are answered together,
        with one write)."""
        while True:
            if not self.stream.packet_ready():
                self.flush()
            kind, request_id, body = self.stream.read_packet()
            reply = self._waiting.pop(request_id, None)
            if reply is None:
                continue  # a late reply to one of paramiko's requests (an abandoned close)
            try:
                reply(kind, body)
            except struct.error as error:
                raise paramiko.SSHException(f"malformed SFTP reply: {error}") from None
            return

    def wait_all(self) -> None:
        while self._waiting or self._out:
            self.wait_one()


# -- encoding and decoding ---------------------------------------------------------------------


def _string(value: bytes) -> bytes:
    return struct.pack(">I", len(value)) + value


def _path(path: str) -> bytes:
    return _string(path.encode("utf-8"))


def _get_string(body: memoryview, at: int) -> tuple[memoryview, int]:
    (length,) = struct.unpack_from(">I", body, at)
    end = at + 4 + length
    if end > len(body):
        raise struct.error("truncated SFTP reply")
    return body[at + 4 : end], end


@dataclass(frozen=True, slots=True)
class Attributes:
    """What :func:`lstat_many` and the download's ``fstat`` need of a file's attributes."""

    size: int | None
    mtime: int | None
    mode: int | None


def _attributes(body: memoryview) -> Attributes:
    return _attributes_and_end(body, 0)[0]


def _attributes_and_end(body: memoryview, at: int) -> tuple[Attributes, int]:
    """The attributes that start at ``at``, and where they end."""
    (flags,) = struct.unpack_from(">I", body, at)
    at += 4
    size = mtime = mode = None
    if flags & ATTR_SIZE:
        (size,) = struct.unpack_from(">Q", body, at)
        at += 8
    if flags & ATTR_UIDGID:
        at += 8
    if flags & ATTR_PERMISSIONS:
        (mode,) = struct.unpack_from(">I", body, at)
        at += 4
    if flags & ATTR_ACMODTIME:
        (_atime, mtime) = struct.unpack_from(">II", body, at)
        at += 8
    if flags & ATTR_EXTENDED:
        (count,) = struct.unpack_from(">I", body, at)
        at += 4
        for _ in range(2 * count):  # name and value of each
            _, at = _get_string(body, at)
    return Attributes(size, mtime, mode), at


def status_error(body: memoryview) -> OSError | None:
    """None for ``SSH_FX_OK``; else the error, as paramiko would raise it."""
    (code,) = struct.unpack_from(">I", body, 0)
    if code == FX_OK:
        return None
    try:
        text_view, _ = _get_string(body, 4)
        text = bytes(text_view).decode("utf-8", "replace")
    except struct.error:
        text = ""
    if code == FX_EOF:
        return SftpEof(text or "end of file")
    if code == FX_NO_SUCH_FILE:
        return FileNotFoundError(errno.ENOENT, text or "No such file")
    if code == FX_PERMISSION_DENIED:
        return PermissionError(errno.EACCES, text or "Permission denied")
    return OSError(text or f"SFTP error {code}")


class SftpEof(ChannelError, OSError):
    """``SSH_FX_EOF``: a read at or past the end of the file (the builtin :class:`EOFError`
    means a lost connection)."""


def _unexpected(kind: int) -> OSError:
    return OSError(f"unexpected SFTP reply type {kind}")


# -- the server's limits -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Limits:
    block: int = DEFAULT_BLOCK
    open_files: int = DEFAULT_OPEN


def server_limits(requests: SftpRequests) -> Limits:
    """The ``limits@openssh.com`` extension (what OpenSSH's sftp asks too), within our bounds;
    the safe defaults when the server does not offer it."""
    if "limits@openssh.com" not in requests.stream.extensions:
        return Limits()
    found: list[Limits] = []

    def reply(kind: int, body: memoryview) -> None:
        if kind != FXP_EXTENDED_REPLY or len(body) < 32:
            return
        _packet, read, _write, handles = struct.unpack_from(">QQQQ", body, 0)
        block = min(LARGEST_BLOCK, read) if read >= DEFAULT_BLOCK else DEFAULT_BLOCK
        open_files = min(MOST_OPEN, handles) if handles else MOST_OPEN
        found.append(Limits(block, max(1, open_files)))

    requests.send(FXP_EXTENDED, _string(b"limits@openssh.com"), reply)
    requests.wait_all()
    return found[0] if found else Limits()


# -- many paths at once ------------------------------------------------------------------------


def _each(
    requests: SftpRequests,
    kind: int,
    bodies: Sequence[bytes],
    decode: Callable[[int, memoryview], object],
) -> list[object]:
    outcomes: list[object] = [None] * len(bodies)
    for index, body in enumerate(bodies):

        def reply(kind: int, body: memoryview, index: int = index) -> None:
            outcomes[index] = decode(kind, body)

        requests.send(kind, body, reply)
    requests.wait_all()
    return outcomes


def _status_outcome(kind: int, body: memoryview) -> OSError | None:
    if kind != FXP_STATUS:
        return _unexpected(kind)
    return status_error(body)


def _attrs_outcome(kind: int, body: memoryview) -> Attributes | OSError:
    if kind == FXP_ATTRS:
        return _attributes(body)
    if kind == FXP_STATUS:
        return status_error(body) or _unexpected(kind)
    return _unexpected(kind)


def lstat_many(requests: SftpRequests, paths: Sequence[str]) -> list[Attributes | OSError]:
    """``lstat`` of each path (all in flight together): its attributes, or the error."""
    outcomes = _each(requests, FXP_LSTAT, [_path(p) for p in paths], _attrs_outcome)
    return [o if isinstance(o, Attributes | OSError) else OSError("no reply") for o in outcomes]


def remove_many(requests: SftpRequests, paths: Sequence[str]) -> list[OSError | None]:
    """``remove`` each path (all in flight together): None where it worked, else the error."""
    outcomes = _each(requests, FXP_REMOVE, [_path(p) for p in paths], _status_outcome)
    return [o if isinstance(o, OSError) else None for o in outcomes]


def rename_many(requests: SftpRequests, moves: Sequence[tuple[str, str]]) -> list[OSError | None]:
    """``rename`` (never over an existing file: SFTP v3) each pair; None where it worked."""
    bodies = [_path(old) + _path(new) for old, new in moves]
    outcomes = _each(requests, FXP_RENAME, bodies, _status_outcome)
    return [o if isinstance(o, OSError) else None for o in outcomes]


def list_folder(requests: SftpRequests, path: str) -> list[paramiko.SFTPAttributes]:
    """The entries of a remote folder (not ``.`` and ``..``), as paramiko's ``listdir_attr``
    gives them, except that a name that is not UTF-8 does not fail the whole listing: SFTP v3
    names are bytes, and such a name comes back with its bytes as surrogates (``surrogateescape``,
    as Python names local files), for the caller to refuse (:func:`.file_names.unsafe_name`)."""
    handle = _expect_handle(_one(requests, FXP_OPENDIR, _path(path)))
    entries: list[paramiko.SFTPAttributes] = []
    try:
        while True:
            kind, body = _one(requests, FXP_READDIR, _string(handle))
            if kind == FXP_STATUS:
                error = status_error(body) or _unexpected(kind)
                if isinstance(error, SftpEof):
                    return entries
                raise error
            if kind != FXP_NAME:
                raise _unexpected(kind)
            entries += _named_entries(body)
    finally:
        _one(requests, FXP_CLOSE, _string(handle))


def _one(requests: SftpRequests, kind: int, body: bytes) -> tuple[int, memoryview]:
    """Send one request and wait for its reply (a copy: the stream reuses its buffer)."""
    replies: list[tuple[int, memoryview]] = []
    requests.send(kind, body, lambda kind, body: replies.append((kind, memoryview(bytes(body)))))
    requests.wait_all()
    return replies[0]


def _expect_handle(reply: tuple[int, memoryview]) -> bytes:
    kind, body = reply
    if kind == FXP_HANDLE:
        return bytes(_get_string(body, 0)[0])
    raise (status_error(body) if kind == FXP_STATUS else None) or _unexpected(kind)


def _named_entries(body: memoryview) -> list[paramiko.SFTPAttributes]:
    (count,) = struct.unpack_from(">I", body, 0)
    at = 4
    entries = []
    for _ in range(count):
        raw_name, at = _get_string(body, at)
        _long_name, at = _get_string(body, at)
        attributes, at = _attributes_and_end(body, at)
        name = bytes(raw_name).decode("utf-8", "surrogateescape")
        if name in (".", ".."):
            continue
        entry = paramiko.SFTPAttributes()
        entry.filename = name
        entry.st_size, entry.st_mtime, entry.st_mode = (
            attributes.size,
            attributes.mtime,
            attributes.mode,
        )
        entries.append(entry)
    return entries


# -- downloads ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Download:
    """One file to fetch into ``temp`` (created, must not exist); :func:`fetch` fills in the
    outcome: ``sha256`` when complete and fsynced, else ``changed`` or ``error``."""

    remote: str
    size: int
    mtime: int
    temp: Path
    sha256: str = ""
    changed: bool = False
    """The remote file is not the one listed any more (size, mtime or length read differ)."""
    error: OSError | None = None

    @property
    def ok(self) -> bool:
        return bool(self.sha256) and not self.changed and self.error is None


@dataclass(slots=True, eq=False)
class _Transfer:
    job: Download
    streamed: bool
    """Written as it comes (a file larger than one read); else kept, then written at once."""
    fd: int = -1
    created: bool = False
    """The temp file is ours to remove if the job fails (streamed files)."""
    handle: bytes = b""
    requested: int = 0
    """Offset of the next read to ask for."""
    received: int = 0
    """Bytes taken in order so far."""
    reads: int = 0
    """Reads in flight."""
    early: dict[int, bytes] = field(default_factory=dict)
    """Data that came before the data in front of it (servers may answer out of order)."""
    kept: list[bytes] = field(default_factory=list)
    """The content of a file that is not streamed."""
    digest: hashlib._Hash = field(default_factory=hashlib.sha256)
    stopped: bool = False
    """Failed or changed: only waiting for reads in flight, then closing."""
    checking: bool = False
    closing: bool = False


class _Fetcher:
    """The event loop of :func:`fetch`: keeps up to ``open_files`` files open and ``window``
    bytes of reads in flight, and moves each file on as its replies come."""

    def __init__(
        self,
        requests: SftpRequests,
        jobs: Sequence[Download],
        *,
        limits: Limits,
        window: int,
        pool: ThreadPoolExecutor,
    ) -> None:
        self.requests = requests
        self.block = limits.block
        self.open_limit = limits.open_files
        self.window = max(window, limits.block)
        self.pool = pool
        self.waiting = [_Transfer(job, job.size > self.block) for job in reversed(jobs)]
        self.active: set[_Transfer] = set()
        """Opened (or being opened) and not closed yet."""
        self.readable: deque[_Transfer] = deque()
        """Open, with reads still to ask for (in the order the files were opened)."""
        self.in_flight = 0
        self.syncs: list[tuple[_Transfer, Future[None]]] = []

    def run(self) -> None:
        try:
            while self.waiting or self.active:
                self._start_more()
                self._read_more()
                if self.active:
                    self.requests.wait_one()
        finally:
            for transfer in self.active:  # only after a lost connection
                transfer.job.error = transfer.job.error or OSError("connection lost")
                self._close_local(transfer)
            for transfer, future in self.syncs:
                try:
                    future.result()
                except OSError as error:  # _write_file removed its file; _close_local the other
                    transfer.job.error = transfer.job.error or error
                    self._close_local(transfer)
                else:
                    if not transfer.job.ok:  # written, then the connection was lost
                        transfer.job.temp.unlink(missing_ok=True)

    # -- scheduling ------------------------------------------------------------------------------

    def _start_more(self) -> None:
        while self.waiting and len(self.active) < self.open_limit:
            if self.in_flight >= self.window and self.active:
                return
            transfer = self.waiting.pop()
            job = transfer.job
            if transfer.streamed:
                try:
                    transfer.fd = _create(job.temp)
                except OSError as error:
                    job.error = error
                    continue
                transfer.created = True
            self.active.add(transfer)
            self.requests.send(
                FXP_OPEN,
                _path(job.remote) + struct.pack(">II", FXF_READ, 0),
                functools.partial(self._opened, transfer),
            )
            self.in_flight += min(job.size, self.block)  # its first read, soon

    def _read_more(self) -> None:
        while self.readable and self.in_flight < self.window:
            transfer = self.readable[0]
            size = transfer.job.size
            while not transfer.stopped and transfer.requested < size:
                if self.in_flight >= self.window:
                    return
                length = min(self.block, size - transfer.requested)
                self._read(transfer, transfer.requested, length)
                transfer.requested += length
            self.readable.popleft()

    def _read(self, transfer: _Transfer, offset: int, length: int) -> None:
        transfer.reads += 1
        self.in_flight += length
        self.requests.send(
            FXP_READ,
            _string(transfer.handle) + struct.pack(">QI", offset, length),
            functools.partial(self._data, transfer, offset, length),
        )

    # -- replies ---------------------------------------------------------------------------------

    def _opened(self, transfer: _Transfer, kind: int, body: memoryview) -> None:
        self.in_flight -= min(transfer.job.size, self.block)
        if kind == FXP_HANDLE:
            handle, _ = _get_string(body, 0)
            transfer.handle = bytes(handle)
            if transfer.job.size == 0:
                self._next_step(transfer)
            else:
                self.readable.append(transfer)
            return
        error = status_error(body) if kind == FXP_STATUS else _unexpected(kind)
        self._fail(transfer, error or _unexpected(kind))

    def _data(
        self, transfer: _Transfer, offset: int, length: int, kind: int, body: memoryview
    ) -> None:
        transfer.reads -= 1
        self.in_flight -= length
        if transfer.stopped:
            self._next_step(transfer)
            return
        if kind == FXP_DATA:
            data, _ = _get_string(body, 0)
            got = len(data)
            if 0 < got <= length:
                if got < length:  # a short read: ask for the rest
                    self._read(transfer, offset + got, length - got)
                self._accept(transfer, offset, data)
                self._next_step(transfer)
                return
            error: OSError | None = OSError(f"bad SFTP read reply ({got} bytes for {length})")
        elif kind == FXP_STATUS:
            error = status_error(body)
        else:
            error = _unexpected(kind)
        if isinstance(error, SftpEof):  # shorter than listed: it is being rewritten
            transfer.job.changed = True
            self._stop(transfer)
        else:
            self._fail(transfer, error or _unexpected(kind))

    def _accept(self, transfer: _Transfer, offset: int, data: memoryview) -> None:
        if offset != transfer.received:
            transfer.early[offset] = bytes(data)
            return
        try:
            self._take(transfer, data)
            while transfer.early and transfer.received in transfer.early:
                self._take(transfer, memoryview(transfer.early.pop(transfer.received)))
        except OSError as error:
            self._fail(transfer, error)

    def _take(self, transfer: _Transfer, data: memoryview) -> None:
        transfer.digest.update(data)
        transfer.received += len(data)
        if not transfer.streamed:
            transfer.kept.append(bytes(data))
            return
        while data:
            data = data[os.write(transfer.fd, data) :]

    def _checked(self, transfer: _Transfer, kind: int, body: memoryview) -> None:
        job = transfer.job
        if kind != FXP_ATTRS:
            error = status_error(body) if kind == FXP_STATUS else None
            self._fail(transfer, error or _unexpected(kind))
            return
        attributes = _attributes(body)
        if (attributes.size or 0, attributes.mtime or 0) != (job.size, job.mtime):
            job.changed = True
            self._stop(transfer)
            return
        job.sha256 = transfer.digest.hexdigest()
        if transfer.streamed:
            fd, transfer.fd = transfer.fd, -1
            self.syncs.append((transfer, self.pool.submit(_sync_and_close, fd)))
        else:
            content = b"".join(transfer.kept)
            transfer.kept.clear()
            self.syncs.append((transfer, self.pool.submit(_write_file, job.temp, content)))
        self._next_step(transfer)

    def _closed(self, transfer: _Transfer, _kind: int, _body: memoryview) -> None:
        # a failed close of a file only read changes nothing we hold
        self._done(transfer)

    # -- steps -----------------------------------------------------------------------------------

    def _next_step(self, transfer: _Transfer) -> None:
        """After each reply: check the file once all of it is in, close it when done."""
        if transfer.reads or transfer.closing:
            return
        job = transfer.job
        if not transfer.stopped and not transfer.checking and transfer.received == job.size:
            transfer.checking = True
            self.requests.send(
                FXP_FSTAT, _string(transfer.handle), functools.partial(self._checked, transfer)
            )
            return
        if transfer.stopped or job.sha256:
            transfer.closing = True
            self.requests.send(
                FXP_CLOSE, _string(transfer.handle), functools.partial(self._closed, transfer)
            )

    def _fail(self, transfer: _Transfer, error: OSError) -> None:
        transfer.job.error = transfer.job.error or error
        self._stop(transfer)

    def _stop(self, transfer: _Transfer) -> None:
        transfer.stopped = True
        transfer.early.clear()
        transfer.kept.clear()
        self._close_local(transfer)
        if not transfer.handle:
            self._done(transfer)  # the open failed: nothing to close remotely
        else:
            self._next_step(transfer)

    def _done(self, transfer: _Transfer) -> None:
        self.active.discard(transfer)

    def _close_local(self, transfer: _Transfer) -> None:
        """Close and remove the temp file of a job that did not make it."""
        if transfer.fd >= 0:
            with contextlib.suppress(OSError):
                os.close(transfer.fd)
            transfer.fd = -1
        if transfer.created and not transfer.job.ok:
            transfer.job.temp.unlink(missing_ok=True)


def _create(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)


def _sync_and_close(fd: int) -> None:
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_file(path: Path, content: bytes) -> None:
    """Create ``path`` (never over a file), write, fsync; removed again if any of it fails."""
    fd = _create(path)
    try:
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise
    os.close(fd)


def fetch(
    requests: SftpRequests,
    jobs: Sequence[Download],
    *,
    limits: Limits | None = None,
    window: int = DEFAULT_WINDOW,
) -> None:
    """Download every job into its ``temp`` file, all pipelined; each job says how it went.

    A complete job's temp file is written, checked against an ``fstat`` of the remote file (same
    size and mtime as listed), and fsynced (the folder is not: the caller does that once). A file
    that fits in one read is kept in memory until it is checked, then created, written and fsynced
    by a pool thread (the filesystem groups the commits of concurrent fsyncs); a larger one is
    written as it comes. A job that failed or changed has no temp file left.

    Errors of the connection itself (``EOFError``, :class:`paramiko.SSHException`,
    :class:`TimeoutError`) propagate; then the jobs not closed yet are failed, and have no temp
    file left either."""
    with ThreadPoolExecutor(FSYNC_THREADS, thread_name_prefix="sftp-fsync") as pool:
        _Fetcher(requests, jobs, limits=limits or Limits(), window=window, pool=pool).run()
