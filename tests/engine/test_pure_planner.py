"""The planner is a pure function of (manifests, live state, secrets' values): it reads no
file and no environment. mp3 digests are read when the manifests are loaded, secrets
just before planning (`read_secrets`)."""

from __future__ import annotations

import asyncio
import builtins
import hashlib
import os
import shutil
from pathlib import Path

import pytest

from reconciler.api import OmicallClient
from reconciler.engine.live import LiveState, read_live
from reconciler.engine.planner import make_plan
from reconciler.engine.session import read_secrets
from reconciler.manifest import load_manifests
from reconciler.simulator import Simulator

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def demo_live() -> LiveState:
    with Simulator(api_key="k") as sim:
        async def read() -> LiveState:
            async with OmicallClient("http://127.0.0.1", api_key="k", transport=sim.transport()) as client:
                return await read_live(client)

        return asyncio.run(read())


@pytest.fixture
def manifests(tmp_path: Path):
    """The examples with work to do: a changed mp3, a SIP password from the environment."""
    root = tmp_path / "m"
    shutil.copytree(EXAMPLES, root)
    audio = root / "audio" / "nhac-cho.mp3"
    audio.write_bytes(audio.read_bytes() + b"\0changed")
    text = (root / "extensions.yaml").read_text(encoding="utf-8")
    (root / "extensions.yaml").write_text(
        text.replace('  - sip_user: "101"\n', '  - sip_user: "101"\n    password: ${env:EXT_101_PASSWORD}\n'),
        encoding="utf-8")
    return root


class _NoEnvironment(dict):
    def __getitem__(self, key):
        raise AssertionError(f"the planner read the environment ({key})")

    def get(self, key, default=None):
        raise AssertionError(f"the planner read the environment ({key})")


def _no_disk(*args, **kwargs):
    raise AssertionError("the planner read the disk")


def _plan_without_disk_or_environment(monkeypatch, manifests, live, secrets):
    with monkeypatch.context() as m:
        m.setattr(builtins, "open", _no_disk)
        m.setattr(Path, "read_bytes", _no_disk)
        m.setattr(Path, "read_text", _no_disk)
        m.setattr(Path, "open", _no_disk)
        m.setattr(Path, "resolve", _no_disk)
        m.setattr(os, "environ", _NoEnvironment())
        return make_plan(manifests, live, secrets=secrets)


def test_plan_is_the_same_with_disk_and_environment_unavailable(monkeypatch, manifests):
    monkeypatch.setenv("EXT_101_PASSWORD", "4821")
    mset = load_manifests(manifests)
    live = demo_live()
    secrets = read_secrets(mset)
    assert secrets == {"EXT_101_PASSWORD": "4821"}
    usual = make_plan(mset, live, secrets=secrets)
    pure = _plan_without_disk_or_environment(monkeypatch, mset, live, secrets)
    assert pure.to_json() == usual.to_json()
    # Work that needed the file and the secret is there: the mp3's digest as loaded, and
    # the password (never returned by the API) is to be sent.
    audio = (manifests / "audio" / "nhac-cho.mp3").read_bytes()
    mp3 = next(c for c in pure.changes if c.address == "greetings/Nhạc chờ")
    assert mp3.data["file_sha256"] == hashlib.sha256(audio).hexdigest()
    assert any(c.kind == "extensions" and "password" in {f.field for f in c.fields} for c in pure.changes)
    assert pure.secrets_not_set == []
    assert "4821" not in str(pure.to_json())


def test_without_the_secrets_value_the_plan_says_so_and_cannot_be_applied(monkeypatch, manifests):
    from reconciler.engine.session import check_secrets
    from reconciler.errors import ReconcilerError

    monkeypatch.delenv("EXT_101_PASSWORD", raising=False)
    mset = load_manifests(manifests)
    assert read_secrets(mset) == {}
    plan = _plan_without_disk_or_environment(monkeypatch, mset, demo_live(), {})
    assert plan.secrets_not_set == ["EXT_101_PASSWORD"]
    monkeypatch.setenv("EXT_101_PASSWORD", "4821")  # set at apply time: the plan is still refused
    with pytest.raises(ReconcilerError, match="this plan was made where EXT_101_PASSWORD was not set"):
        check_secrets(plan)
