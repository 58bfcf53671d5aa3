"""The ``reconciler sim`` runner: a simulator served until a signal stops it."""

from __future__ import annotations

import secrets
import shlex
import signal
import sys
import threading

from .app import Simulator
from .readings import DEFAULTS
from .records import RequestRecord
from .server import check_loopback


def _log_request(record: RequestRecord) -> None:
    """`METHOD /path?query -> status` on stderr; the record's query and body are already
    redacted (apiKey, password...), and bodies are not printed."""
    query = "&".join(f"{k}={v}" for k, v in record.query.items())
    status = record.status if record.status is not None else "dropped"
    fault = f" ({record.fault})" if record.fault else ""
    print(f"{record.method} {record.path}{'?' + query if query else ''} -> {status}{fault}", file=sys.stderr,
          flush=True)


def serve(
    port: int = 0,
    api_key: str | None = None,
    seed: str | None = None,
    host: str = "127.0.0.1",
    latency: float = 0.0,
    token_ttl: float = 86400.0,
    verbose: bool = False,
    readings: list[str] | None = None,
) -> None:
    """Run a simulator until SIGINT/SIGTERM. Prints the base URL as the first line of
    stdout, then ``API key: KEY`` (a random key when ``api_key`` is None), then a line to
    paste into a shell, then the readings it takes when any differ from the default. With
    ``verbose``, one line per request on stderr (secrets masked)."""
    check_loopback(host)
    key = api_key or secrets.token_urlsafe(24)
    sim = Simulator(seed, api_key=key, token_ttl=token_ttl, latency=latency, port=port, host=host,
                    readings=readings)
    if verbose:
        sim.on_request = _log_request
    done = threading.Event()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, lambda *_: done.set())
    try:
        url = sim.start()
        print(url, flush=True)
        print(f"API key: {key}", flush=True)
        print(f"export OMICALL_URL={url} OMICALL_API_KEY={shlex.quote(key)}", flush=True)
        chosen = sorted(sim.tenant.readings - DEFAULTS)
        if chosen:
            print(f"Readings: {', '.join(chosen)}", flush=True)
        while not done.wait(0.5):
            pass
    finally:
        sim.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        sys.stdout.flush()
