"""The ``reconciler sim`` runner: URL first on stdout, clean stop on a signal."""

from __future__ import annotations

import signal
import subprocess
import sys

import httpx
import pytest

from reconciler.simulator import Simulator
from reconciler.simulator import serve


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serve_prints_the_url_first_and_stops_cleanly(signum: int) -> None:
    code = "from reconciler.simulator import serve; serve(0, 'k-123', None)"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        key_line = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and key_line == "API key: k-123"
        response = httpx.get(f"{url}/api/auth", params={"apiKey": "k-123"}, timeout=5)
        assert response.json()["status_code"] == 9999
        proc.send_signal(signum)
        assert proc.wait(timeout=10) == 0
        assert proc.stderr.read() == ""
    finally:
        proc.kill()


def test_serve_generates_an_api_key_when_none_is_given() -> None:
    code = "from reconciler.simulator import serve; serve(0, None, None)"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        key = proc.stdout.readline().strip().removeprefix("API key: ")
        assert len(key) >= 16
        assert httpx.get(f"{url}/api/auth", params={"apiKey": key}, timeout=5).json()["status_code"] == 9999
        proc.terminate()
        assert proc.wait(timeout=10) == 0
    finally:
        proc.kill()


def test_only_loopback_is_served() -> None:
    with pytest.raises(ValueError, match="loopback"):
        serve(0, "k", None, host="0.0.0.0")
    with pytest.raises(ValueError, match="loopback"):
        Simulator(host="192.168.1.10").start()


def test_stop_releases_the_port_and_closes_keep_alive_connections() -> None:
    sim = Simulator()
    url = sim.start()
    with httpx.Client(base_url=url, timeout=2) as client:
        assert client.get("/api/auth", params={"apiKey": "sim-key"}).status_code == 200
        sim.stop()
        with pytest.raises(httpx.TransportError):
            client.get("/api/auth", params={"apiKey": "sim-key"})
    port = int(url.rsplit(":", 1)[1])
    again = Simulator(port=port)
    assert again.start() == url
    again.stop()
