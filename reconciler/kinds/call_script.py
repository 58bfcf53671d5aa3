"""Call scripts: the inbound routing flow a hotline runs (steps in order, plus routing
criteria that send a caller to a known agent first)."""

from __future__ import annotations

from typing import Annotated, Any, Awaitable, Callable, Literal, Mapping

from pydantic import Field, field_validator

from reconciler.errors import ApiError
from reconciler.kinds.base import (
    CallRole,
    CallShape,
    STEP_ROLES,
    Creatable,
    Deletable,
    HoldsStateNote,
    IdResolver,
    LiveIndex,
    ManifestModel,
    Name,
    Ref,
    RefForm,
    Renamable,
    is_known_ref,
    nfc,
    reference_forms,
    ref_from_api,
    ref_target,
    ref_to_api,
    ref_type,
)
from reconciler.kinds.extension import ExtensionKind

# The state note (engine/state_note.py) is a call script of this name. Existing tenants
# hold it under this name, so it never changes.
STATE_NOTE_NAME = "reconciler state (safe to delete)"
# Its siblings: the lock an apply holds (engine/lease.py: one object per apply taking it)
# and the history of applies (engine/history.py). Visible names, safe to delete too.
LOCK_NAME = "reconciler lock (safe to delete)"
HISTORY_NAME = "reconciler history (safe to delete)"
CRITERIA = {"account_manager": "2", "previous_agent": "3", "missed_call_agent": "4"}  # API: criterias[].type
CRITERIA_OF_API = {v: k for k, v in CRITERIA.items()}


class RoutingCriterion(ManifestModel):
    """Route to an agent who knows the caller before running the steps."""

    type: Literal["account_manager", "previous_agent", "missed_call_agent"]
    agent_timeout: Annotated[int, Field(ge=0, le=600)] = 10  # API: timeout_time
    offline_wait: Annotated[int, Field(ge=0, le=600)] = 10  # API: wait_time


class CallScript(ManifestModel):
    """An inbound routing flow."""

    name: Name = Field(min_length=1, description="the call script's name (its identity)")
    note: str = ""
    steps: list[ref_type("greeting", "ivr", "group", "extension",  # type: ignore[valid-type]
                         roles=STEP_ROLES)] = Field(
        min_length=1, description="in order: {greeting: ...}, {ivr: ...}, {group: ...} or {extension: ...}"
    )
    routing_criteria: list[RoutingCriterion] = Field(
        default_factory=list, description="send a caller to an agent who knows them first (API: criterias)"
    )
    previous_names: list[Name] = Field(
        default_factory=list, description="old names: a live object under one of them is renamed in place"
    )

    @field_validator("routing_criteria")
    @classmethod
    def _one_of_each_type(cls, criteria: list[RoutingCriterion]) -> list[RoutingCriterion]:
        types = [c.type for c in criteria]
        repeated = next((t for i, t in enumerate(types) if t in types[:i]), None)
        if repeated:
            raise ValueError(f"criterion type {repeated!r} is listed twice")
        return criteria


def _int(value: Any) -> Any:
    # criterias carry numbers as strings ("10").
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


class CallScriptKind(Creatable, Renamable, Deletable, HoldsStateNote):
    name = "call_scripts"
    label = "call script"
    call_role = CallRole.STEPS
    call_shape = CallShape("[[", "]]", "component")
    model = CallScript
    identity = "name"
    ref_word = "call_script"
    identity_field = "script_name"
    state_note_name = STATE_NOTE_NAME
    lock_name = LOCK_NAME
    history_name = HISTORY_NAME
    list_path = "/api/call_center/call_script/list"  # no keyword filter
    create_path = "/api/call_center/call_script/add"
    update_path = "/api/call_center/call_script/update/{id}"
    update_method = "PUT"  # unlike groups and IVR menus
    delete_path = "/api/call_center/call_script/delete/{id}"

    def live_identity(self, item: dict) -> str:
        return nfc(item.get("script_name") or "")

    def from_live(self, item: dict, index: LiveIndex) -> dict:
        steps = sorted(item.get("scripts") or [], key=lambda s: s.get("order") or 0)
        return {
            "name": self.live_identity(item),
            "note": item.get("note") or "",
            "steps": [ref_from_api(index, s.get("action_type"), s.get("action_id")) for s in steps],
            "routing_criteria": [
                {
                    "type": CRITERIA_OF_API.get(str(c.get("type")), str(c.get("type"))),
                    "agent_timeout": _int(c.get("timeout_time")),
                    "offline_wait": _int(c.get("wait_time")),
                }
                for c in (item.get("criterias") or [])
            ],
        }

    def references(self, data: dict) -> list[Ref]:
        return [ref_target(s, f"steps.{i}") for i, s in enumerate(data.get("steps", [])) if is_known_ref(s)]

    def open_references(self, item: dict) -> list[tuple[str, str]]:
        # The doc leaves open what a step's action_id holds for an extension.
        return [(str(s.get("action_type")), str(s.get("action_id"))) for s in item.get("scripts") or []
                if isinstance(s, dict)]

    async def create(self, client: Any, data: dict, ids: IdResolver) -> str:
        return await _either_extension_form(data, ids, lambda: super(CallScriptKind, self).create(client, data, ids))

    async def update(
        self, client: Any, object_id: str, data: dict, live: dict, changed: set[str], ids: IdResolver
    ) -> None:
        await _either_extension_form(
            data, ids, lambda: super(CallScriptKind, self).update(client, object_id, data, live, changed, ids))

    def body(self, data: dict, ids: IdResolver, *, update: bool) -> dict:
        scripts = []
        for step in data["steps"]:
            action_type, action_id = ref_to_api(ids, step)
            scripts.append({"action_id": action_id, "action_type": action_type})
        return {
            "name" if update else "script_name": data["name"],  # create takes script_name, update name
            "note": data.get("note", ""),
            "scripts": scripts,
            "criterias": [
                {"type": CRITERIA[c["type"]], "timeout_time": str(c["agent_timeout"]), "wait_time": str(c["offline_wait"])}
                for c in data.get("routing_criteria", [])
            ],
        }

    # --- the state note (HoldsStateNote): its text is the script's `note` ---------
    def find_state_note(self, items: list[dict]) -> dict | None:
        found = sorted((i for i in items if self.is_state_note(i)), key=lambda i: i.get("last_updated_date") or 0)
        return found[-1] if found else None

    def state_note_text(self, item: dict) -> str:
        return item.get("note") or ""

    async def save_state_note(self, client: Any, text: str, item: dict | None,
                              live: Mapping[str, list[dict]], ids: IdResolver) -> None:
        """Update the note's call script (or create it), trying each of
        `_state_note_steps` in turn while the server refuses one."""
        async def find_existing() -> Any:
            items = await client.list_all(self.list_path, page_size=self.page_size)
            return self.find_state_note(items)

        await self._save(client, self.state_note_name, text, item, live, ids.ref_forms, find_existing)

    async def save_note(self, client: Any, name: str, text: str, item: dict | None,
                        live: Mapping[str, list[dict]] | None = None,
                        find_existing: Callable[[], Awaitable[Any]] | None = None) -> dict:
        live = dict(live or {})
        if ExtensionKind.name not in live and not (item or {}).get("scripts"):
            # A new note needs an extension for its step (see _state_note_steps).
            live[ExtensionKind.name] = await client.list_all(ExtensionKind.list_path, page_size=ExtensionKind.page_size)
        forms = reference_forms({self.name: self, ExtensionKind.name: ExtensionKind()}, live)

        async def nothing_found() -> Any:
            return None

        return await self._save(client, name, text, item, live, forms, find_existing or nothing_found)

    async def delete_note(self, client: Any, item: dict) -> None:
        try:
            await self.delete(client, str(item["_id"]))
        except ApiError as err:
            if err.server_message is None:
                raise
            items = await client.list_all(self.list_path, page_size=self.page_size)
            if any(i.get("_id") == item["_id"] for i in items):
                raise  # refused, and still there

    async def _save(self, client: Any, name: str, text: str, item: dict | None, live: Mapping[str, list[dict]],
                    ref_forms: dict, find_existing: Callable[[], Awaitable[Any]]) -> dict:
        """Update the note `name`'s call script (or create it), trying each of
        `_state_note_steps` in turn while the server refuses one; the item as stored."""
        refusals: list[ApiError] = []
        for scripts in _state_note_steps(item, live, _Forms(ref_forms)):
            body = {"note": text, "scripts": scripts, "criterias": []}
            try:
                if item is not None:
                    await client.send(self.update_method, (self.update_path or "").format(id=item["_id"]),
                                      json={"name": name, **body}, subject=_subject(name))
                    return {**item, "note": text, "scripts": scripts}
                made = await client.create("POST", self.create_path or "", json={"script_name": name, **body},
                                           subject=_subject(name), find_existing=find_existing)
                return made if isinstance(made, dict) else {"script_name": name, **body}
            except ApiError as err:
                if err.server_message is None:
                    raise  # not a refusal: the outcome is unknown, trying another body would not help
                refusals.append(err)
        raise refusals[0]


async def _either_extension_form(data: dict, ids: Any, send: Callable[[], Awaitable[Any]]) -> Any:
    """Send; if the server refuses a script with Extension steps named by agent_id, it reads
    the doc's "id of the component" as the sip_user: say so to `ids` and send once more."""
    try:
        return await send()
    except ApiError as err:
        ext = ExtensionKind.name
        has_extension = any(next(iter(s), None) == ExtensionKind.ref_word for s in data.get("steps", []))
        if err.server_message is None or not has_extension or ids.ref_forms.get(ext) is RefForm.IDENTITY:
            raise
        ids.ref_forms[ext] = RefForm.IDENTITY
        try:
            return await send()
        except ApiError:
            ids.ref_forms[ext] = RefForm.ALIAS  # refused either way: the first answer tells why
            raise err from None


# --- the state note, stored as a call script ------------------------------------------
# Its text is the script's `note`. The doc marks `scripts` as required, so the note has
# one step, pointing at an extension: the reconciler never deletes extensions, so the step
# never keeps a user's delete from happening, and a call script no hotline runs rings
# nobody.
STATE_NOTE_SUBJECT = "the reconciler's state note"


def _subject(name: str) -> str:
    """How messages name a note of the reconciler."""
    return {STATE_NOTE_NAME: STATE_NOTE_SUBJECT, LOCK_NAME: "the reconciler's lock",
            HISTORY_NAME: "the reconciler's history"}.get(name, f"call script '{name}'")


class _Forms:
    """Just the reference forms, where `_state_note_steps` needs an IdResolver."""

    def __init__(self, ref_forms: dict):
        self.ref_forms = ref_forms


def _state_note_steps(item: dict | None, live: Mapping[str, list[dict]], ids: IdResolver) -> list[list[dict]]:
    """The `scripts` to try for the state note, best first: its own step while it still
    names a live extension; then one extension, named as this tenant's Extension steps name
    one (agent_id or sip_user: the doc leaves it open), then the other way. An empty list
    is the last resort (a tenant with no extension)."""
    ext = ExtensionKind
    step_type = ext.api_type
    kept = (item or {}).get("scripts") or []
    aliases = {str(i.get(ext.identity_field)): str(i.get(ext.alias_field) or "") for i in live.get(ext.name, [])}
    candidates: list[list[dict]] = []
    # Extensions not read (a lock's renewal): the object's own step is kept as it is.
    known = {*aliases, *aliases.values()} if ext.name in live else None
    if kept and all(isinstance(s, dict) and s.get("action_type") == step_type and
                    (known is None or str(s.get("action_id")) in known) for s in kept):
        candidates.append([{"action_type": step_type, "action_id": str(s["action_id"])} for s in kept])
    if aliases:
        identity = min(aliases, key=lambda s: (len(s), s))
        forms = {RefForm.ALIAS: aliases[identity], RefForm.IDENTITY: identity}
        preferred = ids.ref_forms.get(ext.name, RefForm.ALIAS)
        order = [preferred, *(f for f in forms if f != preferred)]
        candidates += [[{"action_type": step_type, "action_id": forms[f]}] for f in order if forms[f]]
    candidates.append([])
    unique: list[list[dict]] = []
    for c in candidates:
        if c not in unique:
            unique.append(c)
    return unique
