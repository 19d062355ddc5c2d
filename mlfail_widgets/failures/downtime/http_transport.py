"""The HTTP plumbing of the chapter's services: a transport, a handler, an endpoint that can die.

An :class:`_Endpoint` is one HTTP server on 127.0.0.1 whose listening socket really closes when
its fault says "down" (connections are refused) and reopens on the same port when the fault
says it is back. Each request runs in its own thread and obeys the endpoint's fault: a hang,
added latency, random HTTP 500s, and death mid-answer if the server goes down meanwhile.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import socket
import threading
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from ..._random import resolve_rng
from ..._validation import parameter_error
from .faults import MAX_LATENCY, Fault
from .policies import CallFailed, Reply, Transport

if TYPE_CHECKING:
    from .faults import ServiceClock

__all__ = ["HTTPTransport"]

_ACCEPT_POLL = 0.05  # seconds; how often an accept loop checks that it should stop


class HTTPTransport(Transport):
    """Real requests: ``GET {url}?user={request}`` with a fresh TCP connection each time.

    Examples
    --------
    >>> from mlfail_widgets.failures.downtime import PredictionService, user_predictions
    >>> with PredictionService() as service:
    ...     transport = HTTPTransport(service.url + "/predict", service.clock)
    ...     reply = transport.send(7, timeout=1.0)
    >>> round(reply.value, 3) == round(float(user_predictions()[0][7]), 3), reply.degraded
    (True, False)
    """

    def __init__(self, url: str, clock: ServiceClock, deadline: float = float("inf")) -> None:
        super().__init__(clock, deadline)
        parts = urlsplit(url)
        if parts.scheme != "http" or parts.hostname != "127.0.0.1" or not parts.port:
            raise parameter_error("url", "an http://127.0.0.1:PORT/path URL", url)
        self.port = parts.port
        self.target = (parts.path or "/") + "?" + (parts.query + "&" if parts.query else "")

    def _send(self, request, wait: float) -> Reply:
        connection = http.client.HTTPConnection("127.0.0.1", self.port,
                                                timeout=None if math.isinf(wait) else wait)
        try:
            connection.request("GET", f"{self.target}user={request}")
            response = connection.getresponse()
            status, body = response.status, response.read()
        except ConnectionRefusedError:
            raise CallFailed("refused", f"nothing listens on port {self.port}") from None
        except TimeoutError:
            raise CallFailed("timeout", f"no answer within {wait:.3g} s") from None
        except (OSError, http.client.HTTPException) as error:
            raise CallFailed("reset", type(error).__name__) from None
        finally:
            connection.close()
        if status >= 500:
            raise CallFailed("error", f"HTTP {status}")
        if status >= 400:
            raise CallFailed("rejected", f"HTTP {status}")
        payload = json.loads(body)
        return Reply(payload["value"], degraded=payload.get("degraded", False))


class _Handler(BaseHTTPRequestHandler):
    """One request: apply the endpoint's fault, then its app; abort if the server went down."""

    timeout = 5  # a client that connects and sends nothing cannot hold a thread for long
    server_version = "mlfail"

    def do_GET(self):
        endpoint, down = self.server.endpoint, self.server.down  # type: ignore[attr-defined]  # a _Context
        fault = endpoint.fault
        hang_end = fault.hang_end(endpoint.clock.now())
        if hang_end is not None and down.wait(hang_end - endpoint.clock.now()):
            return
        if fault.latency and down.wait(fault.latency):
            return  # went down while "working": the connection dies without an answer
        if fault.error_rate and endpoint.draw() < fault.error_rate:
            status, payload = 500, {"error": "injected fault: flaky"}
        else:
            parts = urlsplit(self.path)
            try:
                status, payload = endpoint.app(parts.path, parse_qs(parts.query))
            except Exception as error:  # a bug in an app is an HTTP 500, not a dead thread
                status, payload = 500, {"error": f"{type(error).__name__}: {error}"}
        if down.is_set():
            return
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # quiet
        pass


class _Context:
    """What a handler sees as its ``server``: the endpoint, and the event set when it goes down."""

    def __init__(self, endpoint, down):
        self.endpoint, self.down = endpoint, down


class _Endpoint:
    """One HTTP server that can go down (socket closed) and come back on the same port."""

    def __init__(self, name: str, app, clock, port: int, port_name: str):
        self.name, self.app, self.clock = name, app, clock
        self.port, self.port_name = port, port_name
        self.fault = Fault()
        self.arrivals: list[float] = []  # clock times of the requests it accepted
        self._rng, self._rng_lock = resolve_rng(0), threading.Lock()
        self._socket: socket.socket | None = None
        self._acceptor: threading.Thread | None = None
        self._down = threading.Event()
        self._handlers: set[threading.Thread] = set()

    @property
    def is_up(self) -> bool:
        return self._socket is not None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set_fault(self, fault: Fault) -> None:
        with self._rng_lock:
            self.fault, self._rng = fault, resolve_rng(fault.seed)

    def draw(self) -> float:
        with self._rng_lock:
            return float(self._rng.random())

    def up(self) -> None:
        if self.is_up:
            return
        try:
            sock = socket.create_server(("127.0.0.1", self.port))
        except OSError as error:
            raise parameter_error(
                self.port_name, "a free port on 127.0.0.1", self.port,
                fix=f"Port {self.port} is in use ({error.strerror}): close the program using it, or "
                f"pass {self.port_name}=0 to let the system pick a free port.") from None
        sock.settimeout(_ACCEPT_POLL)
        self.port = sock.getsockname()[1]
        self._down = threading.Event()
        self._socket = sock
        self._acceptor = threading.Thread(target=self._accept, args=(sock, self._down),
                                          name=f"mlfail-downtime-{self.name}-accept", daemon=True)
        self._acceptor.start()

    def down(self) -> None:
        if not self.is_up:
            return
        sock, self._socket = self._socket, None
        assert sock is not None and self._acceptor is not None  # is_up
        self._down.set()  # in-flight requests die without an answer, as in a crash
        with contextlib.suppress(OSError):  # already closed
            sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() at once (Linux)
        self._acceptor.join(timeout=2 * _ACCEPT_POLL + 1)
        sock.close()

    def _accept(self, sock: socket.socket, down: threading.Event) -> None:
        while not down.is_set():
            try:
                connection, address = sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.arrivals.append(self.clock.now())
            thread = threading.Thread(target=self._handle, args=(connection, address, down),
                                      name=f"mlfail-downtime-{self.name}-request", daemon=True)
            self._handlers = {t for t in self._handlers if t.is_alive()} | {thread}
            thread.start()

    def _handle(self, connection, address, down) -> None:
        try:
            _Handler(connection, address, _Context(self, down))  # type: ignore[arg-type]  # duck-typed server
        except OSError:  # the client went away first
            pass
        finally:
            connection.close()

    def close(self) -> None:
        self.down()
        for thread in list(self._handlers):
            thread.join(timeout=MAX_LATENCY)
        self._handlers.clear()
