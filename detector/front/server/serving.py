"""How ``jobscam serve`` runs: uvicorn settings, a slow-sender timeout in the HTTP protocol,
an open-file limit, and log filters that keep a flood of one message from filling the disk."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("jobscam.server")

#: ``jobscam serve`` defaults (see docs/api.md, "Timeouts and limits").
#: Seconds a client has to send a whole request (headers and body) once it starts; a slow or
#: stalled sender (slowloris) is disconnected.
REQUEST_TIMEOUT = 15.0
#: Seconds an idle keep-alive connection stays open.
KEEP_ALIVE_TIMEOUT = 5
#: Connections plus requests in progress per worker; over it, new requests get 503.
LIMIT_CONCURRENCY = 200
#: Largest request head (request line and headers) h11 buffers, in bytes.
MAX_HEAD_BYTES = 16 * 1024
#: Seconds during which a repeated log message is written once (then counted).
LOG_REPEAT_WINDOW = 10.0


# -- serving: timeouts, limits, quiet logs -------------------------------------------------
class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for receiving each request.

    uvicorn only times out idle keep-alive connections; a client that sends half a request
    and then trickles (or nothing) holds a connection for ever, and enough of them exhaust
    the process's file descriptors. Here each request must arrive whole within
    ``$JOBSCAM_REQUEST_TIMEOUT`` seconds (default ``REQUEST_TIMEOUT``) of its first byte
    slot: from the connection's start, or the end of the previous response.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request_timeout = float(os.environ.get("JOBSCAM_REQUEST_TIMEOUT", REQUEST_TIMEOUT))
        self._deadline: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.request_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            log.debug("closing a connection that did not send its request in time")
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.cycle is not None and not self.cycle.more_body and not self.cycle.response_complete:
            self._disarm()  # the whole request is in: the app's time is not the client's

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


class RepeatFilter(logging.Filter):
    """Write a repeated log message once per ``window`` seconds, then say how many were
    dropped. Under a flood ("Too many open files" on every accept) the log stays readable
    and the disk does not fill."""

    def __init__(self, window: float = LOG_REPEAT_WINDOW) -> None:
        super().__init__()
        self.window = window
        self._seen: dict[tuple[str, int, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.levelno, str(record.msg))
        now = time.monotonic()
        last, dropped = self._seen.get(key, (-1e18, 0))
        if now - last < self.window:
            self._seen[key] = (last, dropped + 1)
            return False
        if dropped:
            record.msg = f"{record.msg} ({dropped:,} more like this in the last {self.window:g} s)"
        self._seen[key] = (now, 0)
        if len(self._seen) > 10_000:  # bounded: forget the oldest half
            for k in sorted(self._seen, key=lambda k: self._seen[k][0])[:5_000]:
                del self._seen[k]
        return True


#: Loggers that can flood: the event loop's accept errors, uvicorn's own, ours.
FLOOD_LOGGERS = ("asyncio", "uvicorn", "uvicorn.error", "jobscam.server")


def install_log_filters(window: float = LOG_REPEAT_WINDOW) -> None:
    """Add one ``RepeatFilter`` to each flood-prone logger (idempotent; per process)."""
    for name in FLOOD_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RepeatFilter) for f in logger.filters):
            logger.addFilter(RepeatFilter(window))


def raise_open_file_limit() -> None:
    """Raise the soft limit on open files to the hard one (more room before EMFILE)."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ImportError, ValueError, OSError):  # not on this platform, or not allowed
        pass


def uvicorn_settings(
    limit_concurrency: int = LIMIT_CONCURRENCY,
    keep_alive_timeout: int = KEEP_ALIVE_TIMEOUT,
) -> dict[str, Any]:
    """The uvicorn settings ``jobscam serve`` runs with."""
    return {
        "http": GuardedH11Protocol,
        "timeout_keep_alive": keep_alive_timeout,
        "limit_concurrency": limit_concurrency,
        "h11_max_incomplete_event_size": MAX_HEAD_BYTES,
        "backlog": 2048,
    }
