"""multipart/form-data parsing with the stdlib ``email`` package."""

from __future__ import annotations

import email.parser
import email.policy
from dataclasses import dataclass

from .errors import ApiError


@dataclass
class FormPart:
    """One field of a multipart form."""

    name: str
    filename: str | None
    content_type: str
    data: bytes


def parse_form(content_type: str, body: bytes) -> dict[str, FormPart]:
    """The parts of a ``multipart/form-data`` body, by field name (first wins)."""
    if not content_type.lower().startswith("multipart/form-data") or "boundary=" not in content_type:
        raise ApiError("request must be multipart/form-data")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise ApiError("malformed multipart body")
    parts: dict[str, FormPart] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name or name in parts:
            continue
        data = part.get_payload(decode=True) or b""
        parts[str(name)] = FormPart(str(name), part.get_filename(), part.get_content_type(), data)
    return parts


def looks_like_mp3(part: FormPart) -> bool:
    """An mp3 by name or declared type, and by content: an ID3 tag or an MPEG
    audio frame sync at the start."""
    named = (part.filename or "").lower().endswith(".mp3") or part.content_type in ("audio/mpeg", "audio/mp3")
    data = part.data
    sync = len(data) > 1 and data[0] == 0xFF and (data[1] & 0xE0) == 0xE0
    return named and (data.startswith(b"ID3") or sync)
