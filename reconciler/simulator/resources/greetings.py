"""Greetings (recordings, "file ghi âm"): list, mp3 upload, text-to-speech, delete.
There is no update: a changed greeting is a new greeting.

An uploaded mp3 is stored as formality ``"Tải lên"`` with ``content`` = the uploaded
file's name, ``voice: ""`` and ``speed: 0`` (the doc shows no uploaded example).
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from .. import checks, references
from ..envelope import page
from ..errors import ApiError
from ..multipart import looks_like_mp3, parse_form
from ..request import Request
from ..tenant import Tenant, unsigned_name

KIND = "greetings"
LIST_KEYS = (
    "_id", "created_date", "last_updated_date", "create_by", "last_update_by",
    "tenant_id", "greeting_name", "greeting_name_unsigned", "formality",
    "recording_file", "content", "voice", "speed", "is_deleted", "is_hidden_in_list",
)
VOICES = ("northern_female_ngocanh", "southern_male_tienhuy", "northern_male_anhkiet", "southern_female_khangan")
DEFAULT_VOICE = "northern_female_ngocanh"
UPLOADED = "Tải lên"
TEXT_TO_SPEECH = "Robot đọc"
MAX_TEXT = 300  # the doc: text "< 300 ký tự"


def render(record: dict[str, Any]) -> dict[str, Any]:
    """A list item."""
    return {k: copy.deepcopy(record[k]) for k in LIST_KEYS}


def _new(tenant: Tenant, name: str, **fields: Any) -> dict[str, Any]:
    now = tenant.clock.now_ms()
    record = {
        "_id": tenant.ids.object_id(),
        "created_date": now,
        "last_updated_date": now,
        "create_by": None,
        "last_update_by": None,
        "tenant_id": tenant.tenant_id,
        "greeting_name": name,
        "greeting_name_unsigned": unsigned_name(KIND, name),
        "formality": TEXT_TO_SPEECH,
        "recording_file": f"{uuid.uuid4()}.mp3",
        "content": "",
        "voice": DEFAULT_VOICE,
        "speed": 0,
        "is_deleted": False,
        "is_hidden_in_list": None,
    }
    record.update(fields)
    return record


def from_seed(tenant: Tenant, raw: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A stored greeting from a seed item."""
    record = _new(tenant, raw["greeting_name"])
    record.update({k: copy.deepcopy(v) for k, v in raw.items() if k in LIST_KEYS})
    record["_id"] = raw.get("_id") or tenant.ids.object_id()
    record["greeting_name_unsigned"] = unsigned_name(KIND, record["greeting_name"])
    record.setdefault("last_updated_date", record["created_date"])
    return record["_id"], record


def to_seed(tenant: Tenant, record: dict[str, Any]) -> dict[str, Any]:
    """The seed form (as the list returns it)."""
    return render(record)


def list_greetings(tenant: Tenant, req: Request) -> Any:
    """GET greeting/list?page&size (default size 10; no keyword in the doc)."""
    return page(tenant.newest_first(KIND), req.query, default_size=10, max_size=tenant.page_cap(),
                with_extension=True, render=render)


def upload(tenant: Tenant, req: Request) -> Any:
    """POST greeting/upload?greeting_name= with a multipart ``file`` (mp3 only)."""
    parts = parse_form(req.headers.get("content-type", ""), req.body)
    part = parts.get("file")
    if part is None or not part.data:
        raise ApiError("file is required")
    if not looks_like_mp3(part):
        raise ApiError("only mp3 files are supported")
    filename = part.filename or "recording.mp3"
    name = req.query.get("greeting_name") or filename.rsplit(".", 1)[0]
    name = checks.text(name, "greeting_name")
    record = _new(tenant, name, formality=UPLOADED, content=filename, voice="", speed=0)
    tenant.greetings[record["_id"]] = record
    if tenant.reads("mp3-no-id"):
        return True  # the doc shows no answer for an upload: the client must look it up
    return {"file": render(record)}


def text_to_speech(tenant: Tenant, req: Request) -> Any:
    """POST greeting/upload-text-to-speech?greeting_name= {text, speed, voice}."""
    name = checks.text(checks.query_value(req.query, "greeting_name"), "greeting_name")
    body = req.json()
    content = checks.text(checks.required(body, "text"), "text")
    if len(content) >= MAX_TEXT:
        raise ApiError(f"text must be shorter than {MAX_TEXT} characters (got {len(content)})")
    speed = checks.numeric(checks.required(body, "speed"), "speed", minimum=-3, maximum=3)
    # The doc marks voice required but names a default: a missing voice gets it.
    voice = body.get("voice") or DEFAULT_VOICE
    checks.one_of(voice, "voice", VOICES)
    record = _new(tenant, name, formality=TEXT_TO_SPEECH, content=content, voice=voice, speed=speed)
    tenant.greetings[record["_id"]] = record
    return {"file": render(record)}


def delete_greeting(tenant: Tenant, req: Request) -> Any:
    """DELETE greeting/delete/:id, refused while something references it."""
    key = req.params["id"]
    tenant.get(KIND, key)
    references.ensure_unused(tenant, KIND, key)
    del tenant.greetings[key]
    return True
