"""Ring groups ("internal groups" in the API)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

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
    Renamable,
    ExtensionNumber,
    Ref,
    is_known_ref,
    nfc,
    ref_from_api,
    ref_target,
    ref_to_api,
    ref_type,
)

PRIORITIES = {"none": 0, "most_idle": 1, "fewest_answered": 4}  # API: ring_group_type
PRIORITY_OF_API = {v: k for k, v in PRIORITIES.items()}


class Queue(ManifestModel):
    """Call queue settings (API: call_queue_config). The API never returns them."""

    enabled: bool = True  # API: enable
    when_busy: bool = True  # API: is_in_call
    when_offline: bool = True  # API: is_offline
    waiting_time: Annotated[int, Field(ge=0, le=3600)] = 90


class Group(ManifestModel):
    """A ring group: extensions that ring together, in order or at random."""

    name: Name = Field(min_length=1, description="the group's name (its identity)")
    strategy: Literal["enterprise", "rollover", "random"] = Field(
        default="enterprise", description="enterprise: ring all; rollover: in order; random"
    )
    members: list[ExtensionNumber] = Field(default_factory=list, description="extensions, in ring order")
    member_timeout: Annotated[int, Field(ge=1, le=600)] = Field(
        default=30, description="seconds each member rings (API: timeout)"
    )
    priority: Literal["none", "most_idle", "fewest_answered"] = Field(
        default="none", description="API: ring_group_type 0 | 1 | 4"
    )
    on_timeout: ref_type("group", "ivr", "greeting", roles=ON_ROLES) | None = Field(  # type: ignore[valid-type]
        default=None, description="where an unanswered call goes: {group: ...}, {ivr: ...} or {greeting: ...}"
    )
    queue: Queue | None = Field(default=None, description="call queue settings (API: call_queue_config)")
    previous_names: list[Name] = Field(
        default_factory=list, description="old names: a live object under one of them is renamed in place"
    )

    @field_validator("members")
    @classmethod
    def _unique_members(cls, members: list[str]) -> list[str]:
        seen = [m for i, m in enumerate(members) if m in members[:i]]
        if seen:
            raise ValueError(f"extension {seen[0]!r} is listed twice")
        return members


class GroupKind(Creatable, Renamable, Deletable):
    name = "groups"
    label = "group"
    call_role = CallRole.RING_MEMBERS
    call_shape = CallShape("[", "]", "box")
    model = Group
    identity = "name"
    ref_word = "group"
    api_type = "Ring_group"
    identity_field = "group_name"
    no_self_reference = {"on_timeout": "a group cannot overflow to itself (callers would ring the same members "
                                       "again and again); point it at another group, an IVR menu or a greeting, "
                                       "or leave it out"}
    list_path = "/api/call_center/internal_group/list"
    list_takes_keyword = True
    create_path = "/api/call_center/internal_group/add"
    update_path = "/api/call_center/internal_group/update/{id}"  # POST
    delete_path = "/api/call_center/internal_group/delete/{id}"
    write_only = frozenset({"queue"})
    keep_when_omitted = frozenset({"queue"})

    def live_identity(self, item: dict) -> str:
        return nfc(item.get("group_name") or "")

    def from_live(self, item: dict, index: LiveIndex) -> dict:
        members = item.get("members") or []
        data: dict[str, Any] = {
            "name": self.live_identity(item),
            "strategy": item.get("strategy"),
            "members": [index.name_by_alias("extensions", m.get("agent_id")) or f"(unknown agent {m.get('agent_id')})"
                        for m in members],
            "priority": PRIORITY_OF_API.get(item.get("ring_group_type") or 0, str(item.get("ring_group_type"))),
            "on_timeout": ref_from_api(index, item.get("target_timeout_type"), item.get("target_timeout")),
        }
        # The list has no group timeout; each member carries it. An empty group hides it.
        if members and members[0].get("timeout") is not None:
            data["member_timeout"] = int(members[0]["timeout"])
        return data

    def compare(self, field: str, want: Any, live: dict) -> bool | None:
        if field == "member_timeout" and not live.get("members"):
            return True  # an empty group hides it, and with no member it rings no one
        return super().compare(field, want, live)

    def references(self, data: dict) -> list[Ref]:
        refs = [Ref("extensions", m, f"members.{i}") for i, m in enumerate(data.get("members", []))]
        if is_known_ref(data.get("on_timeout")):
            refs.append(ref_target(data["on_timeout"], "on_timeout"))
        return refs

    def optional_references(self, data: dict, drop: set[tuple[str, str]]) -> dict | None:
        if is_known_ref(data.get("on_timeout")) and ref_target(data["on_timeout"]) in drop:
            return {**data, "on_timeout": None}
        return data

    def body(self, data: dict, ids: IdResolver, *, update: bool) -> dict:
        target_type, target = ref_to_api(ids, data.get("on_timeout"))
        body: dict[str, Any] = {
            "group_name": data["name"],
            "strategy": data["strategy"],
            "sip_members": list(data["members"]),
            "timeout": data["member_timeout"],
            "ring_group_type": PRIORITIES[data["priority"]],
            "target_timeout_type": target_type,
            "target_timeout": target,
        }
        queue = data.get("queue")
        if queue is not None:
            body["call_queue_config"] = {
                "enable": queue["enabled"],
                "is_in_call": queue["when_busy"],
                "is_offline": queue["when_offline"],
                "waiting_time": queue["waiting_time"],
            }
        return body
