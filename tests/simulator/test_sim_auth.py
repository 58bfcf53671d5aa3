"""Authentication: API key exchange and Bearer tokens."""

from __future__ import annotations

import base64
import json
import time

import httpx
import pytest

from reconciler.simulator import Simulator
from tests.simulator.helpers import CC, ENVELOPE_KEYS, Api, open_api


def _auth(client: httpx.Client, **params: str) -> httpx.Response:
    return client.get("/api/auth", params=params)


def test_api_key_buys_a_jwt_bearer_token_with_an_expiry(api: Api) -> None:
    response = _auth(api.client, apiKey=api.sim.api_key)
    body = response.json()
    assert response.status_code == 200 and body["status_code"] == 9999 and set(body) == ENVELOPE_KEYS
    payload = body["payload"]
    assert payload["token_type"] == "Bearer" and payload["access_type"] == "normal"
    head, claims, signature = payload["access_token"].split(".")
    decoded = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    assert decoded["exp"] == pytest.approx(time.time() + api.sim.token_ttl, abs=5)
    assert signature


def test_missing_and_wrong_api_keys_are_refused(api: Api) -> None:
    missing = _auth(api.client).json()
    assert missing["status_code"] == -9999 and missing["message"] == "api_key_is_required"
    wrong = _auth(api.client, apiKey="nope")
    assert wrong.status_code == 401
    assert wrong.json()["status_code"] == -9999 and wrong.json()["message"] == "api_key_invalid"


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic abc", "Bearer a.b.c"])
def test_calls_without_a_valid_token_get_401_with_an_envelope(api: Api, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    api.client.headers.pop("Authorization")
    response = api.client.get(f"{CC}/internal_group/list", headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert body["status_code"] == -9999 and body["message"] and body["payload"] is None


def test_a_token_from_another_simulator_is_refused(api: Api) -> None:
    other = Simulator({})
    token = httpx.Client(transport=other.transport(), base_url="http://x").get(
        "/api/auth", params={"apiKey": "sim-key"}).json()["payload"]["access_token"]
    response = api.client.get(f"{CC}/greeting/list", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


@pytest.mark.parametrize("mode", ["http", "inproc"])
def test_expired_token_gets_401_and_a_new_token_works(mode: str) -> None:
    sim = Simulator(token_ttl=1.0)  # long enough for the first call on a busy machine
    try:
        api = open_api(sim, mode)
        assert api.call("GET", "greeting/list").status_code == 200
        time.sleep(1.05)
        expired = api.call("GET", "greeting/list")
        assert expired.status_code == 401 and expired.json()["message"] == "token_expired"
        fresh = Api(sim, api.client)  # authenticates again
        assert fresh.call("GET", "greeting/list").status_code == 200
    finally:
        sim.stop()


def test_token_ttl_can_change_on_a_running_simulator(sim_inproc: Simulator) -> None:
    sim_inproc.token_ttl = 0.05
    api = open_api(sim_inproc, "inproc")
    time.sleep(0.1)
    assert api.call("GET", "greeting/list").status_code == 401
