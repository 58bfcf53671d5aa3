"""A simulator whose answers a test can rewrite (a misbehaving server), and the `evil`
fixture that runs the CLI against it. Test modules import the fixture by name:

    from tests.e2e.evil_server import Evil, assert_clean_failure, evil  # noqa: F401
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.simulator import Simulator
from tests.e2e.conftest import EXAMPLES

API_KEY = "evil-key"

# hook(method, target, status, headers, body, request_body) -> None (keep) or (status, headers, body)
Hook = Callable[[str, str, int, dict, bytes, bytes], Any]


class RewritingSimulator(Simulator):
    def __init__(self, **kw: Any) -> None:
        super().__init__(api_key=API_KEY, **kw)
        self.hooks: list[Hook] = []

    def handle(self, method, target, headers, body=b""):  # type: ignore[override]
        answer = super().handle(method, target, headers, body)
        for hook in self.hooks:
            rewritten = hook(method, target, *answer, body)
            if rewritten is not None:
                answer = rewritten
        return answer


def json_answer(obj: Any, status: int = 200) -> tuple[int, dict, bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(obj, ensure_ascii=False).encode()


@dataclass
class Evil:
    sim: RewritingSimulator
    url: str
    manifests: Path
    env: dict = field(default_factory=dict)

    def run(self, *args: str, env: dict | None = None) -> Result:
        """`reconciler ARGS` in-process; exceptions are caught so a test can assert there is none."""
        full_env = {"OMICALL_URL": self.url, "OMICALL_API_KEY": API_KEY, "OMICALL_TOKEN": None, "NO_COLOR": "1",
                    **self.env, **(env or {})}
        return CliRunner().invoke(cli, list(args), env=full_env, catch_exceptions=True)

    def on_list(self, path_part: str, edit: Callable[[dict], Any]) -> None:
        """Rewrite the envelope of GET answers whose path contains `path_part`."""

        def hook(method, target, status, headers, body, request):
            if method == "GET" and path_part in target and status == 200:
                envelope = json.loads(body)
                edit(envelope)
                return json_answer(envelope)
            return None

        self.sim.hooks.append(hook)


@pytest.fixture
def evil(tmp_path: Path):
    manifests = tmp_path / "manifests"
    shutil.copytree(EXAMPLES, manifests)
    sim = RewritingSimulator()
    url = sim.start()
    try:
        yield Evil(sim, url, manifests)
    finally:
        sim.stop()


def assert_clean_failure(result: Result) -> None:
    """Exit 1 with a message, never an uncaught exception (a traceback for the user)."""
    uncaught = result.exception if not isinstance(result.exception, SystemExit) else None
    assert uncaught is None, f"uncaught {type(uncaught).__name__}: {uncaught}\n{result.output}"
    assert result.exit_code == 1, result.output
    assert "Error" in result.output, result.output


def rewrite_answers(sim: RewritingSimulator, method: str, path_part: str,
                    answer: Callable[[bytes], tuple[int, dict, bytes]]) -> None:
    """Replace every answer to `method` requests whose path contains `path_part` (the
    request is still carried out: what the server did is kept, only its answer is bad)."""

    def hook(m, target, status, headers, body, request):
        if m == method and path_part in target.split("?")[0]:
            return answer(body)
        return None

    sim.hooks.append(hook)


class DripServer:
    """A server on loopback that answers every request with a correct-looking JSON
    envelope, one byte every `pause` seconds (a slow drip)."""

    def __init__(self, pause: float = 0.05) -> None:
        import socket
        import threading

        self.pause = pause
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        import threading

        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: Any) -> None:
        import time

        body = json.dumps({"status_code": 9999, "payload": {"access_token": "t" * 400, "items": [],
                                                            "total_pages": 1}}).encode()
        try:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                         + str(len(body)).encode() + b"\r\n\r\n")
            for byte in body:
                if self._stop.is_set():
                    return
                conn.sendall(bytes([byte]))
                time.sleep(self.pause)
        except OSError:
            pass
        finally:
            conn.close()

    def stop(self) -> None:
        self._stop.set()
        self._sock.close()
