"""Greetings (reconciler/kinds/greeting.py): the manifest model (one source of text, file
or recording), the vendor's examples read in manifest terms, what a create sends (the API
cannot update a greeting), the mp3's fingerprint, the only field the API never returns."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from reconciler.errors import ReconcilerError
from reconciler.kinds import KINDS
from tests.kinds.helpers import Ids, Recorder, desired, index, items, model, refs, refused

GREETINGS = KINDS["greetings"]


# --- the model ----------------------------------------------------------------------
def test_a_text_greeting_gets_the_default_voice_and_speed():
    greeting = model("greetings", {"name": "Chào", "text": "Xin chào"})
    assert (greeting.voice, greeting.speed, greeting.file, greeting.recording) == (
        "northern_female_ngocanh", 0, None, None)


@pytest.mark.parametrize("data, found", [
    ({"name": "A"}, "found none"),
    ({"name": "A", "text": "x", "file": "a.mp3"}, "found text, file"),
    ({"name": "A", "file": "a.mp3", "recording": "r.mp3"}, "found file, recording"),
])
def test_a_greeting_has_exactly_one_source(data: dict, found: str):
    message = refused("greetings", data)
    assert "a greeting needs exactly one of `text` (text-to-speech), `file` (an mp3) or `recording`" in message
    assert found in message


def test_voice_and_speed_go_with_text_only_and_stay_in_range():
    assert "`voice` and `speed` apply only to a text-to-speech greeting" in refused(
        "greetings", {"name": "A", "file": "a.mp3", "speed": 1})
    assert "less than or equal to 3" in refused("greetings", {"name": "A", "text": "x", "speed": 4})
    assert "at most 299 characters" in refused("greetings", {"name": "A", "text": "x" * 300})
    assert "Input should be" in refused("greetings", {"name": "A", "text": "x", "voice": "robot"})
    # The vendor's own examples use a voice of older tenants: accepted, so an export validates.
    assert model("greetings", {"name": "A", "text": "x", "voice": "banmai"}).voice == "banmai"


# --- from_live: the vendor's examples ---------------------------------------------------
def test_tts_greeting_reads_text_voice_speed():
    greeting = GREETINGS.from_live(items("greeting_list.json")[0], index())
    assert greeting == {"name": "Name 1", "text": "Name 1", "voice": "banmai", "speed": 0}


def test_an_uploaded_mp3_reads_as_its_recording_file():
    uploaded = {**items("greeting_list.json")[0], "formality": "Tải lên", "content": "x.mp3"}
    assert GREETINGS.from_live(uploaded, index()) == {
        "name": "Name 1", "recording": "6c0d4c55-d837-4ae5-835e-c16180b09e51.mp3"}


# --- what a create sends -----------------------------------------------------------------
def test_a_text_greeting_is_created_by_text_to_speech_and_its_id_read_from_the_answer():
    answer = items("greeting_upload_text_to_speech.json")[0]  # {"file": {...}}
    client = Recorder(answer)
    data = desired("greetings", {"name": "Nhắc lịch", "text": "Bạn có một lịch họp", "voice": "banmai", "speed": -1})
    new_id = asyncio.run(GREETINGS.create(client, data, Ids()))
    assert new_id == "639981151ee2ed6f5bbeea90"
    (sent,) = client.sent
    assert (sent["method"], sent["path"]) == ("POST", "/api/call_center/greeting/upload-text-to-speech")
    assert sent["params"] == {"greeting_name": "Nhắc lịch"}
    assert sent["json"] == {"text": "Bạn có một lịch họp", "speed": "-1", "voice": "banmai"}  # speed as text


def test_an_mp3_greeting_uploads_its_file(tmp_path: Path):
    mp3 = tmp_path / "hold.mp3"
    mp3.write_bytes(b"ID3" + bytes(64))
    client = Recorder({"_id": "g1"})
    greeting = model("greetings", {"name": "Nhạc chờ", "file": "hold.mp3"})
    greeting.remember_file(mp3, "abc")  # as the manifest loader does
    data = GREETINGS.desired(greeting)
    assert asyncio.run(GREETINGS.create(client, data, Ids())) == "g1"
    (sent,) = client.sent
    assert sent["path"] == "/api/call_center/greeting/upload" and sent["params"] == {"greeting_name": "Nhạc chờ"}
    assert sent["files"] == {"file": ("hold.mp3", b"ID3" + bytes(64), "audio/mpeg")}
    assert GREETINGS.uploads(data) == [(str(mp3), "abc")]


def test_a_recording_cannot_be_made_from_its_name():
    data = desired("greetings", {"name": "A", "recording": "r.mp3"})
    assert "cannot be uploaded from its name" in GREETINGS.blocked(data, exists=False)
    assert "cannot be made again from its name" in GREETINGS.blocked(data, exists=True)
    with pytest.raises(ReconcilerError, match="cannot be re-created from its name alone"):
        asyncio.run(GREETINGS.create(Recorder(), data, Ids()))
    assert GREETINGS.blocked(desired("greetings", {"name": "A", "text": "x"}), exists=True) is None


def test_greetings_are_replaced_not_updated():
    assert GREETINGS.creatable and GREETINGS.deletable and not GREETINGS.updatable
    assert GREETINGS.picks_duplicates_by_content


# --- references ----------------------------------------------------------------------
def test_a_greeting_points_at_nothing():
    assert refs("greetings", desired("greetings", {"name": "A", "text": "x"})) == []


# --- write-only and secret fields ----------------------------------------------------------
def test_the_mp3s_fingerprint_is_write_only_and_file_is_the_manifests_own():
    assert GREETINGS.write_only == {"file_sha256"} and GREETINGS.local_only == {"file"}
    assert GREETINGS.secret == set()
    live = GREETINGS.from_live(items("greeting_list.json")[0], index())
    assert "file_sha256" not in live
    # A text greeting has no audio: an mp3 wanted there is a change of type, not unknown.
    assert GREETINGS.compare("file_sha256", "abc", live) is False
    assert GREETINGS.compare("file_sha256", "abc", {"name": "A", "recording": "r.mp3"}) is None


def test_an_mp3_greeting_is_planned_only_once_its_file_was_read():
    greeting = model("greetings", {"name": "A", "file": "a.mp3"})
    with pytest.raises(ValueError, match="its mp3 was not read"):
        GREETINGS.desired(greeting)
    greeting.remember_file(Path("/m/a.mp3"), "abc")
    data = GREETINGS.desired(greeting)
    assert (data["file"], data["file_sha256"]) == ("a.mp3", "abc")
    assert GREETINGS.uploads(data) == [(str(Path("/m/a.mp3")), "abc")]
