"""Greetings: mp3 upload (multipart), text-to-speech, delete."""

from __future__ import annotations

from tests.simulator.helpers import MP3, Api


def test_mp3_upload_is_stored_as_an_uploaded_greeting(api: Api) -> None:
    payload = api.ok("POST", "greeting/upload", params={"greeting_name": "Lời chào Đầu"},
                     files={"file": ("chao.mp3", MP3, "audio/mpeg")})["file"]
    assert payload["formality"] == "Tải lên" and payload["content"] == "chao.mp3"
    assert payload["recording_file"].endswith(".mp3") and len(payload["recording_file"]) == 40
    assert payload["greeting_name_unsigned"] == "loi chao dau"
    listed = api.ok("GET", "greeting/list")["items"][0]
    assert listed == payload


def test_upload_without_a_name_uses_the_file_name(api: Api) -> None:
    payload = api.ok("POST", "greeting/upload", files={"file": ("nhạc chờ.mp3", MP3, "audio/mpeg")})["file"]
    assert payload["greeting_name"] == "nhạc chờ"


def test_non_mp3_uploads_are_refused(api: Api) -> None:
    wav = b"RIFF\x24\x00\x00\x00WAVEfmt "
    assert "only mp3" in api.fail("POST", "greeting/upload", params={"greeting_name": "x"},
                                  files={"file": ("a.wav", wav, "audio/wav")})
    assert "only mp3" in api.fail("POST", "greeting/upload", params={"greeting_name": "x"},
                                  files={"file": ("renamed.mp3", wav, "audio/mpeg")})
    assert "file is required" in api.fail("POST", "greeting/upload", params={"greeting_name": "x"},
                                          files={"other": ("a.mp3", MP3, "audio/mpeg")})
    assert "multipart" in api.fail("POST", "greeting/upload", params={"greeting_name": "x"}, json={"file": "x"})


def test_text_to_speech_stores_text_voice_and_speed(api: Api) -> None:
    created = api.ok("POST", "greeting/upload-text-to-speech", params={"greeting_name": "Chào mừng"},
                     json={"text": "Xin chào quý khách", "speed": "1", "voice": "northern_male_anhkiet"})["file"]
    assert (created["formality"], created["content"], created["voice"], created["speed"]) == (
        "Robot đọc", "Xin chào quý khách", "northern_male_anhkiet", 1)
    assert created["greeting_name_unsigned"] == "chao mung"
    default_voice = api.ok("POST", "greeting/upload-text-to-speech", params={"greeting_name": "Mặc định"},
                           json={"text": "A", "speed": 0})["file"]
    assert default_voice["voice"] == "northern_female_ngocanh"
    assert "greeting_name is required" in api.fail("POST", "greeting/upload-text-to-speech",
                                                   json={"text": "A", "speed": 0})


def test_delete_greeting(api: Api) -> None:
    created = api.ok("POST", "greeting/upload-text-to-speech", params={"greeting_name": "Tạm"},
                     json={"text": "A", "speed": 0})["file"]
    assert api.ok("DELETE", f"greeting/delete/{created['_id']}") is True
    assert created["_id"] not in {g["_id"] for g in api.ok("GET", "greeting/list", params={"size": 50})["items"]}
