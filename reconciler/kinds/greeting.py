"""Greetings: text-to-speech or uploaded mp3 recordings. The API cannot update them: a
changed greeting is replaced (created anew, referrers repointed, the old one deleted)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Callable, Literal

from pydantic import Field, PrivateAttr, model_validator

from reconciler.errors import ReconcilerError
from reconciler.kinds.base import (
    CallRole,
    CallShape,
    Creatable,
    Deletable,
    IdResolver,
    LiveIndex,
    ManifestModel,
    Name,
    Uploading,
    expand_env,
    made_by_us,
    nfc,
)

VOICES = (
    "northern_female_ngocanh",
    "southern_male_tienhuy",
    "northern_male_anhkiet",
    "southern_female_khangan",
)
# Voices of older tenants that the API still returns (the vendor's own examples use
# "banmai"); accepted so that an exported tenant validates, never suggested.
LEGACY_VOICES = ("banmai", "lannhi", "leminh", "myan", "thuminh", "giahuy", "linhsan", "minhquang")
Voice = Literal[VOICES + LEGACY_VOICES]  # type: ignore[valid-type]

TTS_FORMALITY = "Robot đọc"
MAX_TTS_CHARS = 299  # the API wants "< 300 characters"


class Greeting(ManifestModel):
    """A greeting: exactly one of `text` (spoken by TTS), `file` (an mp3 next to the
    manifest) or `recording` (audio already uploaded to the tenant, left as it is)."""

    name: Name = Field(min_length=1, description="the greeting's name (its identity)")
    text: Annotated[str, Field(min_length=1, max_length=MAX_TTS_CHARS)] | None = Field(
        default=None, description="text-to-speech, under 300 characters"
    )
    voice: Voice = Field(default="northern_female_ngocanh", description="text-to-speech voice")  # type: ignore[valid-type]
    speed: Annotated[int, Field(ge=-3, le=3)] = Field(default=0, description="text-to-speech speed, -3 .. 3")
    file: str | None = Field(default=None, min_length=1, description="mp3 file, relative to the manifest file")
    recording: str | None = Field(
        default=None,
        description="the tenant's recording file name of an uploaded mp3 (written by export)",
    )
    previous_names: list[Name] = Field(default_factory=list)
    # Set by the manifest loader: the directory of the file this greeting was read from,
    # and (once the mp3 was checked) its real path and sha256, so planning reads no disk.
    _base_dir: Path | None = PrivateAttr(default=None)
    _file_read: tuple[str, str] | None = PrivateAttr(default=None)

    def file_path(self) -> Path | None:
        """The mp3's path on disk, or None for a greeting without `file`."""
        if self.file is None:
            return None
        return (self._base_dir or Path(".")) / self.file

    def remember_file(self, resolved: Path, sha256: str) -> None:
        """Keep what the loader read of the mp3: its real path and content digest."""
        self._file_read = (str(resolved), sha256)

    @model_validator(mode="after")
    def _one_source(self) -> "Greeting":
        given = [k for k in ("text", "file", "recording") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "a greeting needs exactly one of `text` (text-to-speech), `file` (an mp3) "
                f"or `recording`; found {', '.join(given) if given else 'none'}"
            )
        if self.text is None and ("voice" in self.model_fields_set or "speed" in self.model_fields_set):
            raise ValueError("`voice` and `speed` apply only to a text-to-speech greeting (`text`)")
        return self


class GreetingKind(Creatable, Deletable, Uploading):
    """Not Updatable: a changed greeting is replaced (see Kind.picks_duplicates_by_content)."""

    name = "greetings"
    label = "greeting"
    call_role = CallRole.PLAY
    call_shape = CallShape("[/", "/]", "parallelogram")
    model = Greeting
    identity = "name"
    ref_word = "greeting"
    api_type = "Recording"
    identity_field = "greeting_name"
    file_field = "file"
    list_path = "/api/call_center/greeting/list"
    delete_path = "/api/call_center/greeting/delete/{id}"
    # An mp3's bytes never come back; its fingerprint is compared instead.
    write_only = frozenset({"file_sha256"})
    # `file` names the mp3 on the manifest side only; the tenant knows it by a server name.
    local_only = frozenset({"file"})
    unsuggested = frozenset(LEGACY_VOICES)
    field_notes = {"recording": "uploaded mp3: the API never returns its audio, so the tenant's file is kept as it "
                                "is (write `file: path.mp3` instead to manage the audio)"}

    def live_identity(self, item: dict) -> str:
        return nfc(item.get("greeting_name") or "")

    def blocked(self, data: dict, *, exists: bool) -> str | None:
        if "recording" not in data:
            return None
        if exists:
            return ("differs from the tenant's, but a `recording` greeting cannot be made again from its name: "
                    "give it `text` or `file`")
        return "is not in the tenant, and a `recording` greeting cannot be uploaded from its name: give it `text` or `file`"

    def uploads(self, data: dict) -> list[tuple[str, str]]:
        return [(data["_path"], data.get("file_sha256") or "")] if data.get("_path") else []

    def convert_paths(self, data: dict, convert: Callable[[str], str]) -> None:
        if data.get("_path"):
            data["_path"] = convert(data["_path"])

    def from_live(self, item: dict, index: LiveIndex) -> dict:
        data: dict[str, Any] = {"name": self.live_identity(item)}
        if item.get("formality") == TTS_FORMALITY:
            data["text"] = item.get("content") or ""
            data["voice"] = item.get("voice") or VOICES[0]
            data["speed"] = int(item.get("speed") or 0)
        else:
            data["recording"] = item.get("recording_file") or ""
        return data

    def desired(self, obj: Greeting) -> dict:  # type: ignore[override]
        data: dict[str, Any] = {"name": obj.name}
        if obj.text is not None:
            data.update(text=obj.text, voice=obj.voice, speed=obj.speed)
        elif obj.recording is not None:
            data["recording"] = obj.recording
        else:
            # Read when the manifests were loaded (manifest/checks.py): no disk here.
            if obj._file_read is None:
                raise ValueError(f"greeting '{obj.name}': its mp3 was not read (load manifests with load_manifests)")
            data["file"] = obj.file
            data["_path"], data["file_sha256"] = obj._file_read
        return data

    def compare(self, field: str, want: Any, live: dict) -> bool | None:
        # text/voice/speed are returned for a text-to-speech greeting and `recording` for an
        # uploaded one: one missing from a live greeting means it is of the other type, a
        # visible difference, not a field the API does not return.
        if field in ("text", "voice", "speed", "recording") and field not in live:
            return False
        if field == "file_sha256" and "text" in live:
            # The live greeting is text-to-speech: it has no audio to fingerprint, so an mp3
            # is a change of type, whatever the state note holds.
            return False
        return super().compare(field, want, live)

    def review(self, name: str, want: dict, live: dict, fields: list) -> tuple[list, list[str], list[str]]:
        """A new mp3 shows which file it is, not only its fingerprint (`file` is never
        compared: the tenant knows the audio by a server name). A change of type from
        text-to-speech to an mp3 `file` shows what goes: the live text. (The other way, the
        wanted text, voice and speed already show as new; a `recording` shows as new.)"""
        changing = {f.field for f in fields}
        extra = []
        if "file_sha256" in changing and "file" in want:
            extra.append(("file", None, want["file"]))
        if "text" in live and "file" in want and "text" not in changing:
            extra.append(("text", live["text"], None))
        return extra, [], []

    async def create(self, client: Any, data: dict, ids: IdResolver) -> str:
        data = expand_env(data)  # the text may come from ${env:NAME}
        name = data["name"]
        subject = f"greeting '{name}'"

        async def find_existing() -> dict | None:
            items = await client.list_all(self.list_path, page_size=self.page_size)
            return _find_same(made_by_us(items, ids, self.name), data)

        if "text" in data:
            payload = await client.create(
                "POST",
                "/api/call_center/greeting/upload-text-to-speech",
                params={"greeting_name": name},
                json={"text": data["text"], "speed": str(data["speed"]), "voice": data["voice"]},
                subject=subject,
                find_existing=find_existing,
            )
        elif "file" in data:
            path = Path(data["_path"])
            content = path.read_bytes()
            payload = await client.create(
                "POST",
                "/api/call_center/greeting/upload",
                params={"greeting_name": name},
                files={"file": (path.name, content, "audio/mpeg")},
                subject=subject,
                find_existing=find_existing,
            )
        else:
            raise ReconcilerError(f"{subject}: an uploaded recording cannot be re-created from its name alone")
        new_id = _greeting_id(payload)
        if new_id is None:
            # The doc shows no answer for an mp3 upload: find what it made rather than
            # upload again (which would leave two greetings of one name).
            found = await find_existing()
            new_id = _greeting_id(found)
        if new_id is None:
            raise ReconcilerError(f"{subject}: uploaded, but the API did not say its id and it is not in the list")
        return new_id


def _greeting_id(payload: Any) -> str | None:
    # upload-text-to-speech answers {"file": {...}}; be lenient with a bare object.
    if isinstance(payload, dict):
        item = payload.get("file") if isinstance(payload.get("file"), dict) else payload
        if isinstance(item, dict) and item.get("_id"):
            return item["_id"]
    return None


def _find_same(items: list[dict], data: dict) -> dict | None:
    """A greeting created by an attempt whose answer was lost: same name and content,
    newest first (greetings are immutable, so content is part of what they are)."""
    matches = [
        i
        for i in items
        if nfc(i.get("greeting_name") or "") == data["name"]
        and (
            "text" not in data
            or (
                i.get("formality") == TTS_FORMALITY
                and i.get("content") == data["text"]
                and i.get("voice") == data["voice"]
                and int(i.get("speed") or 0) == data["speed"]
            )
        )
    ]
    if "file" in data:
        matches = [i for i in matches if i.get("formality") != TTS_FORMALITY]
    matches.sort(key=lambda i: i.get("created_date") or 0, reverse=True)
    return {"file": matches[0]} if matches else None
