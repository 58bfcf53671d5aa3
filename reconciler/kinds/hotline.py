"""Hotlines: numbers provisioned by the carrier. Never created or deleted here; only their
inbound routing and outbound permissions are managed. Every field is optional: a field
left out of the manifest is left as it is in the tenant."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from reconciler.kinds.base import (
    ExtensionNumber,
    IdResolver,
    Kind,
    LiveIndex,
    ManifestModel,
    Name,
    SipUser,
    expand_env,
)

ALL = "applies_to_all_employees"
RESTRICTED = "applies_according_to_employee_criteria"


class OutboundAccess(ManifestModel):
    """Only these extensions and groups may call out on the number."""

    extensions: list[ExtensionNumber] = Field(default_factory=list, description="extensions that may call out")
    groups: list[Annotated[Name, Field(min_length=1)]] = Field(
        default_factory=list, description="groups whose members may call out"
    )


class DedicatedTo(ManifestModel):
    """The number is used by one extension only (API: hotline/extension/update)."""

    user_email: str = Field(min_length=3, pattern=r"^(\$\{env:[A-Za-z_][A-Za-z0-9_]*\}|[^@\s]+@[^@\s]+)$")
    directions: list[Literal["inbound", "outbound"]] = Field(min_length=1)

    @field_validator("directions")
    @classmethod
    def _unique(cls, directions: list[str]) -> list[str]:
        if len(set(directions)) != len(directions):
            raise ValueError("a direction is listed twice")
        return directions


class Hotline(ManifestModel):
    """A hotline number's routing and permissions. A field left out is left as it is."""

    number: SipUser = Field(pattern=r"^\+?[0-9]{4,15}$", description="the phone number (its identity)")
    call_script: Name | None = Field(default=None, description="inbound routing (API: call_script)")
    inbound: bool | None = Field(default=None, description="API: allow_call_in")
    outbound: bool | None = Field(default=None, description="API: allow_call_out")
    outbound_access: Literal["all"] | OutboundAccess | None = Field(
        default=None, description="who may call out: all, or {extensions: [...], groups: [...]}"
    )
    dedicated_to: DedicatedTo | None = Field(default=None, description="the number is used by one extension only")


class HotlineKind(Kind):
    key = "hotlines"
    label = "hotline"
    model = Hotline
    identity = "number"
    list_path = "/api/call_center/hotline/search"
    list_takes_keyword = True  # the number
    creatable = False
    deletable = False
    renamable = False
    # The API returns who may call out only as an undocumented `accesses` list, and never
    # returns the dedicated extension: both are verified by fingerprint.
    write_only = frozenset({"dedicated_to"})
    keep_when_omitted = frozenset({"call_script", "inbound", "outbound", "outbound_access", "dedicated_to"})

    @property
    def fingerprinted(self) -> frozenset[str]:
        return self.write_only | {"outbound_access"}

    def live_identity(self, item: dict) -> str:
        return str(item.get("number") or "")

    def live_id(self, item: dict) -> str:
        return str(item.get("number"))

    def from_live(self, item: dict, index: LiveIndex) -> dict:
        configs = item.get("configs") or {}
        script = configs.get("default_script")
        return {
            "number": self.live_identity(item),
            "call_script": index.name_of("call_scripts", script) if script else None,
            "inbound": _bool(configs.get("allow_call_in")),
            "outbound": _bool(configs.get("allow_call_out")),
            "outbound_access": "all" if item.get("access_type", ALL) == ALL else "restricted",
        }

    def compare(self, field: str, want: Any, live: dict) -> bool | None:
        if field == "outbound_access" and isinstance(want, dict):
            # Restricted to lists the API does not return: only the "all" case is visible.
            return None if live.get(field) == "restricted" else False
        return super().compare(field, want, live)

    def desired(self, obj: Hotline) -> dict:  # type: ignore[override]
        data = obj.model_dump(exclude_unset=True)
        return {"number": obj.number, **{k: v for k, v in data.items() if k != "number"}}

    def references(self, data: dict) -> list[tuple[str, str]]:
        refs = [("call_scripts", data["call_script"])] if data.get("call_script") else []
        access = data.get("outbound_access")
        if isinstance(access, dict):
            refs += [("extensions", e) for e in access.get("extensions", [])]
            refs += [("groups", g) for g in access.get("groups", [])]
        return refs

    def to_manifest(self, data: dict) -> dict:
        # "restricted" only says the lists exist; a manifest cannot state what it does not know.
        return {k: v for k, v in data.items() if not (k == "outbound_access" and v == "restricted")}

    async def update(
        self, client: Any, object_id: str, data: dict, live: dict, changed: set[str], ids: IdResolver
    ) -> None:
        data = expand_env(data)
        number = data["number"]
        subject = f"hotline {number}"
        # The doc does not say what the server does with a field left out of an update, so
        # every field the API returns is sent: the manifest's value, or the live one it
        # leaves alone. Only the outbound lists, which the API does not return in a
        # documented form, are sent just when the manifest states them.
        configs = live.get("configs") if isinstance(live.get("configs"), dict) else {}
        body: dict[str, Any] = {"hotline": number}
        if "call_script" in data:
            body["call_script"] = ids.id_of("call_scripts", data["call_script"]) if data["call_script"] else ""
        elif configs.get("default_script") is not None:
            body["call_script"] = configs["default_script"]
        for field, api in (("inbound", "allow_call_in"), ("outbound", "allow_call_out")):
            value = data[field] if field in data else _bool(configs.get(api))
            if value is not None:
                body[api] = "true" if value else "false"
        access = data.get("outbound_access")
        if access is None and live.get("access_type") == ALL:
            body["access_type"] = ALL
        if access == "all":
            body["access_type"] = ALL
        elif isinstance(access, dict):
            body["access_type"] = RESTRICTED
            body["extensions"] = list(access.get("extensions", []))
            body["group_ids"] = [ids.id_of("groups", g) for g in access.get("groups", [])]
        if set(body) != {"hotline"} and changed - {"dedicated_to"}:
            await client.send("POST", "/api/call_center/hotline/update", json=body, subject=subject)
        dedicated = data.get("dedicated_to")
        if dedicated is not None and "dedicated_to" in changed:
            await client.send(
                "POST",
                "/api/call_center/hotline/extension/update",
                json={"hotline": number, "user_email": dedicated["user_email"], "directions": dedicated["directions"]},
                subject=subject,
            )


def _bool(value: Any) -> Any:
    # allow_call_in/out are sent as strings and read back as booleans; accept either.
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return value


__all__ = ["Hotline", "HotlineKind"]
