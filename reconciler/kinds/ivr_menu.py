"""IVR menus ("key-press scripts", key-interaction in the API)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from reconciler.kinds.base import (
    CallRole,
    CallShape,
    ON_ROLES,
    Creatable,
    Deletable,
    IdResolver,
    LiveIndex,
    ManifestModel,
    Name,
    Ref,
    Renamable,
    is_known_ref,
    make_ref,
    nfc,
    ref_from_api,
    ref_target,
    ref_to_api,
    ref_type,
)

KEYS = tuple("0123456789") + ("*", "#")


def _key_names(value: Any) -> Any:
    # YAML reads `1:` as the number 1; keys are the text a caller presses, kept in the
    # keypad's order (the order call flows draw them in), whatever order they are written in.
    if isinstance(value, dict):
        named = {str(k) if isinstance(k, int) and not isinstance(k, bool) else k: v for k, v in value.items()}
        return dict(sorted(named.items(), key=lambda kv: KEYS.index(kv[0]) if kv[0] in KEYS else 99))
    return value


KeyRef = ref_type("group", "ivr", roles=(CallRole.MENU, CallRole.RING_MEMBERS))
KeyMap = Annotated[
    dict[Annotated[str, Field(pattern=r"^[0-9*#]$")], KeyRef],  # type: ignore[valid-type]
    BeforeValidator(_key_names),
]


class IvrMenu(ManifestModel):
    """A menu a caller answers with keys: a greeting, then a destination per key."""

    name: Name = Field(min_length=1)
    greeting: Name = Field(min_length=1, description="greeting played first (API: greeting_id)")
    return_greeting: Name | None = Field(default=None, description="API: greeting_short_id")
    invalid_greeting: Name | None = Field(default=None, description="API: invalid_sound_id")
    input_timeout: Annotated[int, Field(ge=1, le=60)] = Field(default=3, description="seconds to wait for a key (API: time_out)")
    max_failures: Annotated[int, Field(ge=1, le=10)] = Field(default=1, description="API: max_failure")
    keys: KeyMap = Field(
        default_factory=dict,
        description='"0"-"9", "*", "#": a {group: ...} or an {ivr: ...}',
        json_schema_extra={"additionalProperties": False},
    )
    fallback: ref_type("group", "ivr", "greeting", roles=ON_ROLES) | None = Field(  # type: ignore[valid-type]
        default=None, description="no key or too many failures: {group: ...}, {ivr: ...} or {greeting: ...}"
    )
    previous_names: list[Name] = Field(
        default_factory=list, description="old names: a live object under one of them is renamed in place"
    )


class IvrMenuKind(Creatable, Renamable, Deletable):
    name = "ivr_menus"
    label = "IVR menu"
    call_role = CallRole.MENU
    call_shape = CallShape("{{", "}}", "hexagon")
    model = IvrMenu
    identity = "name"
    ref_word = "ivr"
    api_type = "Ivr_menu"
    identity_field = "script_name"
    list_path = "/api/call_center/key-interaction/list"
    list_takes_keyword = True
    create_path = "/api/call_center/key-interaction/add"
    update_path = "/api/call_center/key-interaction/update/{id}"  # POST
    delete_path = "/api/call_center/key-interaction/delete/{id}"

    def live_identity(self, item: dict) -> str:
        return nfc(item.get("script_name") or "")

    def from_live(self, item: dict, index: LiveIndex) -> dict:
        def greeting(object_id: Any) -> str | None:
            return index.name_of("greetings", object_id) if object_id else None

        keys: dict[str, Any] = {}
        for entry in item.get("scripts") or []:
            # The list pads unset keys with empty action_type/action: empty means unset.
            ref = ref_from_api(index, entry.get("action_type"), entry.get("action"))
            if ref is not None:
                keys[str(entry.get("ivr"))] = ref
        return {
            "name": self.live_identity(item),
            "greeting": greeting(item.get("greeting_id")),
            "return_greeting": greeting(item.get("greeting_short_id")),
            "invalid_greeting": greeting(item.get("invalid_sound_id")),
            "input_timeout": item.get("time_out"),
            "max_failures": item.get("max_failure"),
            "keys": dict(sorted(keys.items(), key=lambda kv: KEYS.index(kv[0]) if kv[0] in KEYS else 99)),
            "fallback": ref_from_api(index, item.get("action_type"), item.get("action")),
        }

    def desired(self, obj: IvrMenu) -> dict:  # type: ignore[override]
        data = super().desired(obj)
        data["keys"] = dict(sorted(data["keys"].items(), key=lambda kv: KEYS.index(kv[0])))
        return data

    def references(self, data: dict) -> list[Ref]:
        refs = [
            Ref("greetings", data[f], f)
            for f in ("greeting", "return_greeting", "invalid_greeting")
            if data.get(f)
        ]
        refs += [ref_target(r, f"keys.{k}") for k, r in data.get("keys", {}).items() if is_known_ref(r)]
        if is_known_ref(data.get("fallback")):
            refs.append(ref_target(data["fallback"], "fallback"))
        return refs

    def optional_references(self, data: dict, drop: set[tuple[str, str]]) -> dict | None:
        if ("greetings", data.get("greeting")) in drop:
            return None
        out = dict(data)
        # A live target ({live: ...}) is no object of ours: never dropped.
        out["keys"] = {k: r for k, r in data.get("keys", {}).items() if not (is_known_ref(r) and ref_target(r) in drop)}
        if is_known_ref(data.get("fallback")) and ref_target(data["fallback"]) in drop:
            out["fallback"] = None
        for f in ("return_greeting", "invalid_greeting"):
            if data.get(f) and ("greetings", data[f]) in drop:
                out[f] = None
        return out

    def send_warnings(self, name: str, data: dict) -> list[str]:
        if data.get("keys"):
            return []
        return [f"IVR menu '{name}' has no keys: it is sent with an empty `scripts`, which the API doc marks "
                "required, and a server that reads that as \"at least one\" refuses it (\"scripts is required\"); "
                "give it a key if your tenant does"]

    def empties_list(self, before: dict, after: dict) -> bool:
        return bool(before.get("keys")) and not after.get("keys")

    def release(self, data: dict, drop: set[tuple[str, str]], name: str) -> dict | None:
        out = self.optional_references(data, drop)
        if out is not None and self.empties_list(data, out):
            # Never an empty `scripts` (a server may require one): one key loops back to
            # the menu itself until it is deleted; a menu does not pin itself.
            out["keys"] = {next(iter(data["keys"])): make_ref(self.name, name)}
        return out

    def body(self, data: dict, ids: IdResolver, *, update: bool) -> dict:
        def greeting(name: str | None) -> str:
            return ids.id_of("greetings", name) if name else ""

        scripts = []
        for key, ref in data.get("keys", {}).items():
            action_type, action = ref_to_api(ids, ref)
            scripts.append({"ivr": key, "action": action, "action_type": action_type})
        fallback_type, fallback = ref_to_api(ids, data.get("fallback"))
        return {
            "script_name": data["name"],
            "greeting_id": greeting(data["greeting"]),
            "greeting_short_id": greeting(data.get("return_greeting")),
            "invalid_sound_id": greeting(data.get("invalid_greeting")),
            "time_out": data["input_timeout"],
            "max_failure": data["max_failures"],
            "scripts": scripts,
            "action_type": fallback_type,
            "action": fallback,
        }


__all__ = ["IvrMenu", "IvrMenuKind", "KEYS"]
