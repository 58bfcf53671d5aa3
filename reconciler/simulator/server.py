"""The simulator over real HTTP on loopback."""

from __future__ import annotations

import ipaddress
import select
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from .dropped import ConnectionDropped

if TYPE_CHECKING:
    from .app import Simulator


def check_loopback(host: str) -> None:
    """Refuse to listen anywhere but loopback: the simulator has no real security."""
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"the simulator only binds to loopback (127.0.0.1, ::1, localhost), not {host!r}")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the vendor's server
    disable_nagle_algorithm = True  # headers and body go out in two writes: avoid 40 ms ACK stalls
    server: "_HttpServer"

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, add=False)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _serve(self) -> None:
        body = self._read_body()
        try:
            status, headers, payload = self.server.simulator.handle(
                self.command, self.path, dict(self.headers.items()), body
            )
        except ConnectionDropped:
            self.close_connection = True  # no response at all: the client sees EOF
            return
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # the request log is sim.requests


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, simulator: "Simulator", address: tuple[str, int]) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.simulator = simulator
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        # Tracked from the accept on (not from the handler thread's start), so `idle` never
        # misses a connection that is accepted but not yet being served.
        self.track(request, add=True)
        super().process_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that went away (killed, or timed out) is not the server's error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def idle(self) -> bool:
        """No connection open and none waiting to be accepted."""
        with self._open_lock:
            if self._open:
                return False
        waiting, _, _ = select.select([self.socket], [], [], 0)
        return not waiting

    def track(self, conn: socket.socket, *, add: bool) -> None:
        with self._open_lock:
            (self._open.add if add else self._open.discard)(conn)

    def close_open_connections(self) -> None:
        with self._open_lock:
            for conn in list(self._open):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class SimulatorServer:
    """A started HTTP server around a :class:`Simulator`."""

    def __init__(self, simulator: "Simulator", host: str, port: int) -> None:
        check_loopback(host)
        self._httpd = _HttpServer(simulator, (host, port))
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01},
                                        name="omicall-simulator", daemon=True)

    def start(self) -> str:
        """Start serving; the base URL."""
        self._thread.start()
        host, port = self._httpd.server_address[:2]
        shown = f"[{host}]" if ":" in str(host) else host
        return f"http://{shown}:{port}"

    def idle(self) -> bool:
        """Whether no request is being served or waiting to be."""
        return self._httpd.idle()

    def stop(self) -> None:
        """Stop accepting, drop keep-alive connections, release the port."""
        self._httpd.shutdown()
        self._httpd.close_open_connections()
        self._httpd.server_close()
        self._thread.join(timeout=5)
