"""Extensions (SIP users). They belong to agents and are never created or deleted here;
the manifest manages whether one is enabled, its ring timeout and its SIP password. The
API returns none of these, so all three are verified by fingerprint."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator

from reconciler.kinds.base import (CallRole, CallShape, IdResolver, LiveIndex, ManifestModel, SipUser, Updatable,
                                   env_name, expand_env)


class Extension(ManifestModel):
    """An extension's settings. A field left out is left as it is."""

    sip_user: SipUser = Field(pattern=r"^[0-9]{1,10}$", description="the extension number (its identity)")
    enabled: bool | None = Field(default=None, description="whether the extension may make and take calls")
    call_timeout: Annotated[int, Field(ge=1, le=600)] | None = Field(default=None, description="seconds it rings")
    password: str | None = Field(default=None, description="SIP password, as ${env:NAME} only")

    @field_validator("password")
    @classmethod
    def _password_from_env(cls, value: str | None) -> str | None:
        if value is not None and env_name(value) is None:
            raise ValueError("a SIP password must not sit in a manifest in clear: write ${env:NAME}")
        return value


class ExtensionKind(Updatable):
    name = "extensions"
    label = "extension"
    call_role = CallRole.RING
    call_shape = CallShape("((", "))", "circle")
    model = Extension
    identity = "sip_user"
    ref_word = "extension"
    api_type = "Extension"
    identity_field = "sip_user"
    identity_may_be_number = True
    id_field = None  # the sip_user is the id
    alias_field = "agent_id"  # groups name their members by agent id
    list_path = "/api/call_center/internal_phone/list"
    list_takes_keyword = True  # the extension number, email or full name
    write_only = frozenset({"enabled", "call_timeout", "password"})
    secret = frozenset({"password"})
    keep_when_omitted = frozenset({"enabled", "call_timeout", "password"})

    def live_identity(self, item: dict) -> str:
        return str(item.get("sip_user") or "")

    def live_id(self, item: dict) -> str:
        return str(item.get("sip_user"))

    def from_live(self, item: dict, index: LiveIndex) -> dict:
        return {"sip_user": self.live_identity(item)}

    def desired(self, obj: Extension) -> dict:  # type: ignore[override]
        return {"sip_user": obj.sip_user, **obj.model_dump(exclude_unset=True, exclude={"sip_user"})}

    async def update(
        self, client: Any, object_id: str, data: dict, live: dict, changed: set[str], ids: IdResolver
    ) -> None:
        sip_user = data["sip_user"]
        subject = f"extension {sip_user}"
        if "enabled" in changed and data.get("enabled") is not None:
            await client.send(
                "PUT",
                "/api/call_center/internal_phone/status",
                params={"enabled": "true" if data["enabled"] else "false", "sip_user": sip_user},
                subject=subject,
            )
        body: dict[str, Any] = {}
        if "call_timeout" in changed and data.get("call_timeout") is not None:
            body["call_timeout"] = str(data["call_timeout"])
        if "password" in changed and data.get("password") is not None:
            body["password"] = expand_env(data["password"])
        if body:
            await client.send(
                "POST", "/api/call_center/internal_phone/update", json={"sip_user": sip_user, **body}, subject=subject
            )
