"""A loopback TCP proxy the tests control, to cut a client off its server and bring it back.

    with TcpProxy(("127.0.0.1", 5672)) as proxy:
        url = url_via(proxy.port)  # tests.support.broker
        ...
        proxy.cut()      # every connection through it is reset; new ones are refused
        proxy.restore()  # new connections are accepted again (same port)
        proxy.stall()    # the server's bytes are held back (connections stay open) ...
        proxy.resume()   # ... until now

One thread runs everything (a selector over the listening socket and both ends of every
connection); ``close`` stops it and waits for it. It listens on 127.0.0.1 only and forwards only to
a loopback address.
"""

from __future__ import annotations

import contextlib
import ipaddress
import selectors
import socket
import struct
import threading
from dataclasses import dataclass, field
from types import TracebackType

CHUNK = 65536
HIGH_WATER = 1 << 20
"""Stop reading one side while this many bytes wait to be written to the other."""


@dataclass(eq=False)
class _End:
    sock: socket.socket
    upstream: bool = False
    """the server's side of a connection"""
    out: bytearray = field(default_factory=bytearray)
    peer: _End | None = None
    reading: bool = True
    events: int = 0
    """what the selector watches on this socket now (0: not registered)"""


class TcpProxy:
    def __init__(
        self,
        upstream: tuple[str, int] = ("127.0.0.1", 5672),
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        max_connections: int = 64,
    ) -> None:
        if not ipaddress.ip_address(upstream[0]).is_loopback:
            raise ValueError("the test proxy forwards to loopback addresses only")
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError("the test proxy listens on loopback addresses only")
        self.upstream = upstream
        self.host = host
        self._requested_port = port
        self.port = 0
        self.max_connections = max_connections
        self.accepted = 0
        """connections accepted since start"""
        self._selector = selectors.DefaultSelector()
        self._listener: socket.socket | None = None
        self._ends: set[_End] = set()
        self._wake_r, self._wake_w = socket.socketpair()
        self._commands: list[tuple[str, threading.Event]] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._stalled = False

    # -- control (any thread) -------------------------------------------------------------------

    def start(self) -> TcpProxy:
        self._listen(self._requested_port)
        self._wake_r.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        self._thread = threading.Thread(target=self._loop, name="tcp-proxy", daemon=True)
        self._thread.start()
        return self

    @property
    def connections(self) -> int:
        """Connections open through the proxy now."""
        return len(self._ends) // 2

    def cut(self, timeout: float = 5.0) -> None:
        """Reset every connection through the proxy (ending any stall) and refuse new ones until
        :meth:`restore`."""
        self._command("cut", timeout)

    def restore(self, timeout: float = 5.0) -> None:
        """Accept connections again, on the same port."""
        self._command("restore", timeout)

    def stall(self, timeout: float = 5.0) -> None:
        """Hold back everything servers send (replies, confirms, heartbeats) while clients' bytes
        still reach the servers; connections stay open. :meth:`resume` lets it through."""
        self._command("stall", timeout)

    def resume(self, timeout: float = 5.0) -> None:
        self._command("resume", timeout)

    def close(self, timeout: float = 5.0) -> None:
        if self._thread is None or self._closed:
            return
        self._command("close", timeout)
        self._thread.join(timeout)
        self._closed = True
        self._selector.close()
        self._wake_r.close()
        self._wake_w.close()

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.close()

    def _command(self, name: str, timeout: float) -> None:
        if self._thread is None or not self._thread.is_alive():
            raise RuntimeError("the proxy is not running")
        done = threading.Event()
        with self._lock:
            self._commands.append((name, done))
        self._wake_w.send(b"x")
        if not done.wait(timeout):
            raise TimeoutError(f"the proxy did not {name} within {timeout} s")

    # -- the proxy thread -----------------------------------------------------------------------

    def _listen(self, port: int) -> socket.socket:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, port))
        listener.listen(16)
        listener.setblocking(False)
        self.port = listener.getsockname()[1]
        self._listener = listener
        return listener

    def _loop(self) -> None:
        assert self._listener is not None
        self._selector.register(self._listener, selectors.EVENT_READ, "listen")
        running = True
        while running:
            for key, mask in self._selector.select(timeout=0.5):
                if key.data == "wake":
                    running = self._run_commands()
                    if not running:
                        break
                elif key.data == "listen":
                    self._accept()
                else:
                    self._service(key.data, mask)

    def _run_commands(self) -> bool:
        with contextlib.suppress(BlockingIOError):
            self._wake_r.recv(4096)
        with self._lock:
            commands, self._commands = self._commands, []
        running = True
        for name, done in commands:
            if name == "cut":
                self._stop_listening()
                self._drop_all()
                self._stalled = False
            elif name == "restore":
                if self._listener is None:
                    listener = self._listen(self.port)
                    self._selector.register(listener, selectors.EVENT_READ, "listen")
            elif name in ("stall", "resume"):
                self._stalled = name == "stall"
                for end in self._ends:
                    if end.upstream:
                        self._update(end)
            elif name == "close":
                self._stop_listening()
                self._drop_all()
                running = False
            done.set()
        return running

    def _stop_listening(self) -> None:
        if self._listener is not None:
            self._selector.unregister(self._listener)
            self._listener.close()
            self._listener = None

    def _accept(self) -> None:
        if self._listener is None:
            return
        try:
            client, _ = self._listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        if len(self._ends) // 2 >= self.max_connections:
            _reset(client)
            return
        try:
            server = socket.create_connection(self.upstream, timeout=2.0)
        except OSError:
            _reset(client)
            return
        self.accepted += 1
        a, b = _End(client), _End(server, upstream=True)
        a.peer, b.peer = b, a
        for end in (a, b):
            end.sock.setblocking(False)
            end.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._ends.add(end)
            self._update(end)

    def _service(self, end: _End, mask: int) -> None:
        peer = end.peer
        if peer is None or end not in self._ends:
            return
        if mask & selectors.EVENT_WRITE and end.out:
            try:
                sent = end.sock.send(end.out)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                self._drop(end)
                return
            del end.out[:sent]
            if len(end.out) < HIGH_WATER and not peer.reading:
                peer.reading = True
            self._update(peer)
            self._update(end)
        if mask & selectors.EVENT_READ and self._may_read(end):
            try:
                data = end.sock.recv(CHUNK)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                self._drop(end)
                return
            if not data:
                self._drop(end)
                return
            peer.out += data
            if len(peer.out) >= HIGH_WATER:
                end.reading = False
                self._update(end)
            self._update(peer)

    def _may_read(self, end: _End) -> bool:
        return end.reading and not (end.upstream and self._stalled)

    def _update(self, end: _End) -> None:
        events = (selectors.EVENT_READ if self._may_read(end) else 0) | (
            selectors.EVENT_WRITE if end.out else 0
        )
        if events == end.events:
            return
        if end.events == 0:
            self._selector.register(end.sock, events, end)
        elif events == 0:
            self._selector.unregister(end.sock)
        else:
            self._selector.modify(end.sock, events, end)
        end.events = events

    def _drop(self, end: _End) -> None:
        """Close a connection (both sides)."""
        for side in (end, end.peer):
            if side is None or side not in self._ends:
                continue
            self._ends.discard(side)
            if side.events:
                with contextlib.suppress(KeyError, ValueError):
                    self._selector.unregister(side.sock)
                side.events = 0
            _reset(side.sock)

    def _drop_all(self) -> None:
        for end in list(self._ends):
            self._drop(end)


def _reset(sock: socket.socket) -> None:
    """Close with an RST (SO_LINGER 0): the peer sees the connection fail, as in an outage."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()
