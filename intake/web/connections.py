"""Connections a slow or greedy client cannot hold: deadlines for the request being sent, and a
limit on open connections below the process's file limit.

uvicorn times out only an idle kept-alive connection. A client that sends half a request line,
or a body at a byte a second, or opens a thousand connections and sends nothing, holds a file
descriptor each for as long as it likes; once the process's file limit is reached, nobody else
is answered. `protocol` makes uvicorn's h11 protocol with:

- a deadline for a request's headers, from the connection's start (or the first byte of a
  kept-alive connection's next request): when it passes, 408 and the connection is closed;
- a deadline for its body: the header deadline three times over plus the time the body takes
  at `MIN_BYTES_PER_SECOND` (by its Content-Length, else the upload limit); time the server
  itself stops reading (the application is not consuming the body yet) does not count;
- a limit on open connections, overall and per client address (the socket's, not a header's;
  trusted proxies excepted): a connection over it is answered 503 and closed at once;
- `raise_file_limit`: the soft limit on open files raised to the hard one, and the connection
  limit kept below it, room left for the workers, the ledger and the uploads.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from dataclasses import dataclass
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

#: The slowest upload accepted: a body arriving slower than this (after the grace of three
#: header deadlines) is cut off. A bureau on a poor line sends 100 KB/s or more.
MIN_BYTES_PER_SECOND = 10_000
#: Files the process keeps for itself beyond its connections: workers' pipes, the ledger,
#: uploads being written, templates.
RESERVED_FILES = 128



def _plain(status: str, text: str, *extra: str) -> bytes:
    """A whole HTTP response with a short Dutch text, that closes the connection."""
    body = text.encode("utf-8")
    head = [f"HTTP/1.1 {status}", "Content-Type: text/plain; charset=utf-8", *extra,
            "Connection: close", f"Content-Length: {len(body)}", "", ""]
    return "\r\n".join(head).encode("ascii") + body


_TIMED_OUT = _plain("408 Request Timeout", "Het verzoek kwam te langzaam binnen; probeer het "
                    "opnieuw.\n")
_BUSY = _plain("503 Service Unavailable", "Er zijn nu te veel verbindingen; probeer het zo "
               "nog eens.\n", "Retry-After: 10")


@dataclass(frozen=True)
class ConnectionLimits:
    """How long a client may take to send a request, and how many connections it may hold."""

    #: Seconds for a request's headers (its body gets three times this plus its size's time).
    header_seconds: float = 10.0
    #: Open connections at once, overall and from one client address.
    max_connections: int = 512
    per_address: int = 64
    #: The largest body, for a body sent without Content-Length.
    max_body: int = 50 << 20
    #: Client addresses counted as one each connection (reverse proxies): no per-address limit.
    proxies: frozenset[str] = frozenset()


def raise_file_limit(limits: ConnectionLimits) -> ConnectionLimits:
    """Raise this process's soft limit on open files to its hard limit and return `limits`
    with the connection limit below it (a connection is a file)."""
    try:
        import resource
    except ImportError:  # not on this platform: the limits stand as given
        return limits
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = 65536 if hard == resource.RLIM_INFINITY else hard
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
    room = max(soft - RESERVED_FILES, 1)
    if limits.max_connections <= room:
        return limits
    return ConnectionLimits(limits.header_seconds, room, min(limits.per_address, room),
                            limits.max_body, limits.proxies)


def protocol(limits: ConnectionLimits) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol held to `limits` (pass it as uvicorn's `http`)."""

    class Timed(_Timed):
        pass

    Timed.limits = limits
    return Timed


class _Timed(H11Protocol):
    limits = ConnectionLimits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._phase = ""  # "headers", "body", or "" (no request being received)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if self._over_limit():
            transport.write(_BUSY)
            transport.close()
            return
        self._start("headers", self.limits.header_seconds)

    def _over_limit(self) -> bool:
        limits = self.limits
        if len(self.connections) > limits.max_connections:
            return True
        address = self.client[0] if self.client else None
        if address is None or address in limits.proxies or "*" in limits.proxies:
            return False
        same = Counter(c.client[0] for c in self.connections
                       if isinstance(c, H11Protocol) and c.client)
        return same[address] > limits.per_address

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._follow()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop()
        super().connection_lost(exc)

    def _follow(self) -> None:
        """Set the deadline for what the client is sending now."""
        if self.transport is None or self.transport.is_closing():
            self._stop()
            return
        state = self.conn.their_state
        if state is h11.IDLE:
            # Waiting for (the rest of) a request's headers: from its first byte; a kept-alive
            # connection with nothing sent yet is uvicorn's keep-alive time-out's.
            if self._phase != "headers" and self.timeout_keep_alive_task is None:
                self._start("headers", self.limits.header_seconds)
        elif state is h11.SEND_BODY:
            if self._phase != "body":
                size = self.limits.max_body
                for name, value in self.headers or ():
                    if name == b"content-length" and value.isdigit():
                        size = min(int(value), size)
                self._start("body", 3 * self.limits.header_seconds
                            + size / MIN_BYTES_PER_SECOND)
        else:  # the request is complete (or the connection is done): the answer is ours
            self._stop()

    def _start(self, phase: str, seconds: float) -> None:
        self._stop()
        self._phase = phase
        self._deadline = self.loop.call_later(seconds, self._passed, seconds)

    def _stop(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline, self._phase = None, ""

    def _passed(self, seconds: float) -> None:
        self._deadline = None
        if self.transport is None or self.transport.is_closing():
            return
        if self._phase == "body" and self.flow is not None and self.flow.read_paused:
            # The server stopped reading (the body is not consumed yet): not the client's time.
            self._deadline = self.loop.call_later(seconds, self._passed, seconds)
            return
        if self._phase == "headers" and self.conn.our_state is h11.IDLE:
            self.transport.write(_TIMED_OUT)
        self._phase = ""
        self.transport.close()
