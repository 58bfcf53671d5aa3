"""The small vocabulary every kind is declared with.

A kind says, in one module: its manifest model, its identity, its references, its API
endpoints and verbs, how a live item reads in manifest terms, how a desired object becomes
a request body, which fields the API never returns and which are secret. What the API
lets it do is what it inherits (`Creatable`, `Updatable`, `Renamable`, `Deletable`, below
`Kind`). The engine only ever talks to a kind through these classes.
"""

from __future__ import annotations

import os
import re
import unicodedata
from enum import StrEnum
from typing import Annotated, Any, Awaitable, Callable, ClassVar, Mapping, NamedTuple, Protocol, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from reconciler.errors import ApiError, ReconcilerError

# Filled by every `Kind` subclass as it is declared (see `Kind.__init_subclass__`), so a
# kind's words are written once, in its own module.
# The word used in a manifest reference ({group: CSKH}) -> the kind's name.
REF_WORDS: dict[str, str] = {}
KIND_REF_WORD: dict[str, str] = {}
# The API's type word in reference fields (target_timeout_type, action_type) -> kind name.
API_TYPES: dict[str, str] = {}
KIND_API_TYPE: dict[str, str] = {}
# Kind name -> what a call does on reaching its objects (`Kind.call_role`).
CALL_ROLES: dict[str, "CallRole"] = {}
# Kinds whose live items others may name by a second id (`Kind.alias_field`).
ALIASED: set[str] = set()

# The manifest field of a `Renamable` kind's former names: the live object of one of
# them is renamed in place.
PREVIOUS_NAMES = "previous_names"


def previous_names(model: Any) -> list[str]:
    """The former names a manifest object declares (none for a kind without the field)."""
    return list(getattr(model, PREVIOUS_NAMES, None) or [])


def retired_names(objects: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    """kind -> a name a declared object lists in previous_names -> that object's name.
    `objects`: kind -> name -> an object with a `model`. After apply no object has the old
    name, so whatever names it (a --target, a protect or lint ignore entry) means the new
    one. An old name also declared, or listed twice, is check_previous_names' problem."""
    retired: dict[str, dict[str, str]] = {}
    for kind, objs in objects.items():
        for name, obj in objs.items():
            for old in previous_names(obj.model):
                if old not in objs:
                    retired.setdefault(kind, {}).setdefault(old, name)
    return retired


# A whole string value `${env:NAME}` is read from the environment when it is used, so the
# manifest, the plan and its output only ever hold the reference.
ENV_REF = re.compile(r"^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$")


def env_name(value: Any) -> str | None:
    """NAME of a `${env:NAME}` value, else None."""
    if isinstance(value, str):
        m = ENV_REF.match(value)
        if m:
            return m.group(1)
    return None


def env_refs(value: Any) -> list[str]:
    """The NAMEs of every `${env:NAME}` in `value` (recursively), in order, once each."""
    if isinstance(value, dict):
        found = [n for v in value.values() for n in env_refs(v)]
    elif isinstance(value, list):
        found = [n for v in value for n in env_refs(v)]
    else:
        name = env_name(value)
        found = [name] if name is not None else []
    return list(dict.fromkeys(found))


def unset_env(value: Any, env: Mapping[str, str] | None = None) -> list[str]:
    """The variables `value` refers to that are not set in `env` (default: the process's
    environment). Empty counts as not set: CI systems give an empty string for a secret
    that was never created."""
    env = os.environ if env is None else env
    return [name for name in env_refs(value) if not env.get(name)]


def expand_env(value: Any, env: Mapping[str, str] | None = None) -> Any:
    """`value` with every `${env:NAME}` replaced by the variable's value in `env` (default:
    the process's environment), recursively."""
    env = os.environ if env is None else env
    if isinstance(value, dict):
        return {k: expand_env(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [expand_env(v, env) for v in value]
    name = env_name(value)
    if name is not None:
        if not env.get(name):
            raise KeyError(f"environment variable {name} is not set (or empty)")
        return env[name]
    return value


def env_value_errors(kind_def: "Kind", data: dict, env: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """(field path, variable, why) for each `${env:NAME}` of `data` (an object of the kind,
    in manifest terms) whose variable is set in `env` to a value the field does not accept:
    the value meets the same rules as one written in the manifest. `why` never holds the
    value. A `secret` field's one rule is to come from the environment: it stays as written."""
    model = kind_def.model
    refs: dict[str, str] = {}
    # Keys the kind adds of its own (a greeting's `_path`) are no manifest field.
    expanded = {k: v if k in kind_def.secret else _expand_set(v, env, (k,), refs)
                for k, v in data.items() if k in model.model_fields}
    if not refs:
        return []
    try:
        model.model_validate(expanded, strict=True)
        return []
    except ValidationError as err:
        errors = err.errors(include_url=False)
    found: dict[str, tuple[str, str, str]] = {}
    for e in errors:
        path = _data_path(expanded, e["loc"])
        for at, name in refs.items():
            if (path == at or path.startswith(at + ".")) and at not in found:
                why = str(e["msg"])
                for secret in refs.values():  # a validator's message may quote its input
                    why = why.replace(env[secret], "(sensitive)")
                found[at] = (at, name, why[:1].lower() + why[1:])
    return list(found.values())


def _expand_set(value: Any, env: Mapping[str, str], path: tuple, refs: dict[str, str]) -> Any:
    """`value` with each `${env:NAME}` set in `env` replaced by its value (others left as
    they are); `refs`: dotted path -> NAME of each one replaced."""
    if isinstance(value, dict):
        return {k: _expand_set(v, env, (*path, k), refs) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_set(v, env, (*path, i), refs) for i, v in enumerate(value)]
    name = env_name(value)
    if name is not None and env.get(name):
        refs[".".join(str(p) for p in path)] = name
        return env[name]
    return value


def _data_path(data: Any, loc: tuple) -> str:
    """pydantic's error location as a dotted path in `data`: steps that are no key of it
    (union branch names) are left out; `1:` in YAML is the int key 1, reported as '1'."""
    steps: list[str] = []
    for step in loc:
        if isinstance(data, dict):
            key = next((k for k in data if str(k) == str(step)), None)
            if key is None:
                continue
            data = data[key]
        elif isinstance(data, list) and isinstance(step, int) and 0 <= step < len(data):
            data = data[step]
        else:
            continue
        steps.append(str(step))
    return ".".join(steps)


def secret_values(values: Any) -> dict[str, str]:
    """NAME -> value of every `${env:NAME}` in `values` that is set (and not empty) in the
    process's environment: read once, before planning, so the planner reads no environment."""
    return {name: os.environ[name] for name in env_refs(values) if os.environ.get(name)}


def nfc(text: str) -> str:
    """Names are compared as Unicode NFC: Vietnamese typed on different keyboards matches."""
    return unicodedata.normalize("NFC", text)


def _nfc_name(value: Any) -> Any:
    if isinstance(value, str):
        if env_name(value) is not None:
            # Identity must be the same text on every run and in every reference.
            raise ValueError("a name cannot come from ${env:...}: write it in the manifest")
        return nfc(value)
    return value


Name = Annotated[str, BeforeValidator(_nfc_name)]


def _digits_as_text(value: Any) -> Any:
    # YAML reads 101 and 842871002283 as numbers; extensions and hotlines are text.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


class _AlsoInteger:
    """In the JSON Schema, a digits-only text may also be written as a YAML integer."""

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> dict:
        schema = handler(core_schema)
        if schema.get("type") == "string":
            schema["type"] = ["string", "integer"]
        return schema


SipUser = Annotated[str, BeforeValidator(_digits_as_text), _AlsoInteger()]
# An extension as another object names it (a group's members, a hotline's outbound access).
ExtensionNumber = Annotated[SipUser, Field(pattern=r"^[0-9]{1,10}$")]


# A live target manifests cannot name (a type word the doc does not list, such as the
# doc's own Voice_mail, or an id no list returns), carried as it is: {live: {type, id}}.
LIVE_REF = "live"


def _live_target(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or set(value) != {"type", "id"}:
        raise ValueError("a live reference is {live: {type: WORD, id: ID}}, as export writes it")
    for key in ("type", "id"):
        if not isinstance(value[key], str) or not value[key].strip():
            raise ValueError(f"the live reference needs a {key} (text)")
    return {"type": value["type"], "id": value["id"]}


def _allowed(words: tuple[str, ...], roles: tuple["CallRole", ...]) -> tuple[str, ...]:
    """`words`, then the words of every other kind declared with one of `roles` (a kind
    added later, that calls may go to from here)."""
    return words + tuple(w for w, kind in REF_WORDS.items()
                         if w not in words and CALL_ROLES.get(kind) in roles)


def _make_ref_validator(words: tuple[str, ...], roles: tuple["CallRole", ...] = ()):
    def expected() -> str:
        return " or ".join(f"{{{w}: NAME}}" for w in _allowed(words, roles))

    def check(value: Any) -> dict[str, Any]:
        if not isinstance(value, dict) or len(value) != 1:
            raise ValueError(f"expected a reference: {expected()}")
        ((word, target),) = value.items()
        if word == LIVE_REF:
            return {LIVE_REF: _live_target(target)}
        if word not in words and word not in _allowed(words, roles):
            raise ValueError(f"a reference here must be {expected()}, not {{{word}: ...}}")
        if isinstance(target, int) and not isinstance(target, bool) and word == "extension":
            target = str(target)
        if not isinstance(target, str) or not target.strip():
            raise ValueError(f"the {word} reference needs a name (text)")
        if env_name(target) is not None:
            raise ValueError("a reference cannot come from ${env:...}: write the name in the manifest")
        return {word: nfc(target)}

    return check


_LIVE_SCHEMA = {
    "type": "object",
    "description": "a live target manifests cannot name, carried as export wrote it",
    "properties": {
        LIVE_REF: {
            "type": "object",
            "properties": {"type": {"type": "string", "minLength": 1}, "id": {"type": "string", "minLength": 1}},
            "required": ["type", "id"],
            "additionalProperties": False,
        }
    },
    "required": [LIVE_REF],
    "additionalProperties": False,
}


class _RefSchema:
    """The JSON Schema of a reference, written when asked (a kind declared later is in it)."""

    def __init__(self, words: tuple[str, ...], roles: tuple["CallRole", ...]) -> None:
        self.words, self.roles = words, roles

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> dict:
        return {
            "oneOf": [
                {
                    "type": "object",
                    "properties": {w: {"type": ["string", "integer"] if w == "extension" else "string",
                                       "minLength": 1}},
                    "required": [w],
                    "additionalProperties": False,
                }
                for w in _allowed(self.words, self.roles)
            ] + [_LIVE_SCHEMA]
        }


def ref_type(*words: str, roles: tuple["CallRole", ...] = ()):
    """A reference to one of `words` kinds, written {word: name}, or an opaque live target
    {live: {type, id}}; kept in that form. `roles`: a kind declared with one of these call
    roles (`Kind.call_role`) may be referred to here too, so that a new kind calls can go
    to is declared in its own module."""
    return Annotated[
        dict[str, Any],
        BeforeValidator(_make_ref_validator(words, roles)),
        _RefSchema(words, roles),
    ]


def is_known_ref(ref: dict[str, Any] | None) -> bool:
    """Whether a reference in manifest form points to an object manifests know: not unset,
    and not an opaque live target {live: ...} (e.g. a group that overflows to voicemail),
    which is no object of ours and must not be looked up as one."""
    return bool(ref) and next(iter(ref)) in REF_WORDS  # type: ignore[arg-type]


class Target(NamedTuple):
    """What a reference points to: (kind, name), the kind's manifest key and the object's
    identity."""

    kind: str
    name: str


class Ref(Target):
    """A reference: its `Target` (kind, name), which it compares and hashes as (a pair,
    so `(kind, name) in refs` asks whether an object is pointed to), plus `path`, where in
    its object it is written ("keys.2", "members.0"; "" when it was read from the tenant),
    so that an error about it points at that value in the manifest."""

    path: str = ""  # per instance when given (not a field: two writings of one target are one reference)

    def __new__(cls, kind: str, name: str, path: str = "") -> "Ref":
        ref = super().__new__(cls, kind, name)
        if path:
            ref.path = path
        return ref

    def __getnewargs__(self) -> tuple[str, str, str]:  # type: ignore[override]
        # copy, deepcopy and pickle rebuild a tuple subclass from these (path included).
        return (self.kind, self.name, self.path)


def ref_target(ref: dict[str, str], path: str = "") -> Ref:
    """The Ref of a reference in manifest form written at `path`."""
    ((word, name),) = ref.items()
    return Ref(REF_WORDS[word], name, path)


def make_ref(kind: str, name: str) -> dict[str, str]:
    """A reference in manifest form: {group: CSKH}."""
    return {KIND_REF_WORD[kind]: name}


def ref_from_api(index: "LiveIndex", api_type: Any, object_id: Any) -> dict[str, Any] | None:
    """A live (type word, id) pair in manifest form; None when unset ("" or null). A target
    manifests cannot name (an unknown type word, an id no list returns) is carried as
    {live: {type, id}}, written back as it was."""
    if not api_type or not object_id:
        return None
    kind = API_TYPES.get(str(api_type))
    if kind is not None and kind in ALIASED:
        # The doc leaves open whether a step names the extension by agent_id or sip_user.
        name = index.name_by_alias(kind, str(object_id))
        if name is None and index.knows(kind, str(object_id)):
            name = str(object_id)
        if name is not None:
            return make_ref(kind, name)
    elif kind is not None and index.knows(kind, str(object_id)):
        return make_ref(kind, index.name_of(kind, str(object_id)))
    return {LIVE_REF: {"type": str(api_type), "id": str(object_id)}}


def ref_to_api(ids: "IdResolver", ref: dict[str, Any] | None) -> tuple[str, str]:
    """(type word, id) of a reference for a request body; ("", "") when unset."""
    if not ref:
        return "", ""
    if LIVE_REF in ref:
        return ref[LIVE_REF]["type"], ref[LIVE_REF]["id"]
    kind, name = ref_target(ref)
    if kind in ALIASED:
        if ids.ref_forms.get(kind, RefForm.ALIAS) is RefForm.IDENTITY:
            return KIND_API_TYPE[kind], name
        return KIND_API_TYPE[kind], ids.alias_of(kind, name)
    return KIND_API_TYPE[kind], ids.id_of(kind, name)


class RefForm(StrEnum):
    """How a request body names an object of a kind with an `alias_field` (the doc leaves
    open whether a call script's Extension step holds the agent_id or the sip_user)."""

    ALIAS = "alias"  # by its alias (an extension's agent_id)
    IDENTITY = "identity"  # by its identity (its sip_user)


def reference_forms(kinds: Mapping[str, "Kind"], items: Mapping[str, list[dict]]) -> dict[str, RefForm]:
    """How this tenant's references name each aliased kind, as the first live reference
    that tells shows it (`Kind.open_references`); ALIAS when none tells."""
    forms: dict[str, RefForm] = {}
    for kind in ALIASED & set(kinds):
        kind_def = kinds[kind]
        held = items.get(kind, [])
        form_of = {kind_def.live_id(i): RefForm.IDENTITY for i in held}
        form_of |= {str(i[kind_def.alias_field]): RefForm.ALIAS for i in held if i.get(kind_def.alias_field)}
        told = (form_of[target] for ref_kind, ref_items in items.items() if ref_kind in kinds for item in ref_items
                for api_type, target in kinds[ref_kind].open_references(item)
                if API_TYPES.get(api_type) == kind and target in form_of)
        forms[kind] = next(told, RefForm.ALIAS)
    return forms


class CallRole(StrEnum):
    """What a call does on reaching an object of a kind (`Kind.call_role`). Call flows
    (`graph`, `trace`, `lint`, plan diagrams) read a kind through its role and never by its
    name. A role reads its object's fields by these names; the references a call follows
    are those `Kind.references()` gives at the role's `follows` fields (plus {live: ...}
    targets there), and each edge is labelled by its path: `keys.1` -> "key 1", `steps.0`
    -> "step 1", `fallback`. Declared in the order a caller meets them."""

    ROUTE = "route"  # a number callers dial: runs its call script, or the one `Kind.week` sets then
    STEPS = "steps"  # runs the references at `steps`, one after the other
    MENU = "menu"  # takes a key: `keys.KEY`; after `max_failures` failures, or none pressed: `fallback`
    RING_MEMBERS = "ring members"  # rings its `members` (none: nobody rings); unanswered: `on_timeout`
    RING = "ring"  # rings itself (a person): answered, or the call goes on
    PLAY = "play"  # plays (its `text`, if any); the call goes on

    @property
    def follows(self) -> tuple[str, ...]:
        """The fields whose references a call follows, in the order a caller meets them."""
        return _FOLLOWS[self]


# The kinds a reference may name besides those it lists (`ref_type`'s roles): a call
# script's step runs any object a call can be at; a menu's fallback or an unanswered
# group's on_timeout sends the call on to a menu, a group, or something that plays.
STEP_ROLES = (CallRole.PLAY, CallRole.MENU, CallRole.RING_MEMBERS, CallRole.RING)
ON_ROLES = (CallRole.MENU, CallRole.RING_MEMBERS, CallRole.PLAY)

# A ROUTE object's fields: the call script it runs, and whether it takes calls (false: none).
ROUTE_SCRIPT = "call_script"
ROUTE_TAKES_CALLS = "inbound"
_FOLLOWS = {
    CallRole.ROUTE: (ROUTE_SCRIPT,),
    CallRole.STEPS: ("steps",),
    CallRole.MENU: ("keys", "fallback"),
    CallRole.RING_MEMBERS: ("members", "on_timeout"),
    CallRole.RING: (),
    CallRole.PLAY: (),
}


class CallShape(NamedTuple):
    """How a kind's objects are drawn in a call flow: Mermaid's opening and closing marks
    around the label, and Graphviz's node shape."""

    mermaid_open: str
    mermaid_close: str
    dot: str


class WeekFrame(NamedTuple):
    """Part of a day (start <= time < end, "HH:MM") that runs another call script (its name)."""

    start: str
    end: str
    call_script: str | None


class WeekDay(NamedTuple):
    """What one day of a ROUTE object's week runs: a call script (its name, or None), and
    the time frames that run another."""

    call_script: str | None
    frames: tuple[WeekFrame, ...] = ()


class ManifestModel(BaseModel):
    """Base of every manifest object: unknown keys are errors, values are not coerced."""

    model_config = ConfigDict(extra="forbid", strict=False, validate_default=True)


class LiveIndex(Protocol):
    """What a kind needs to read live items in manifest terms."""

    def name_of(self, kind: str, object_id: str) -> str:
        """The manifest name of a live object, by its id (a marked id if unknown)."""
        ...

    def name_by_alias(self, kind: str, alias: str | None) -> str | None:
        """The manifest name of a live object others name by its alias (an extension's
        agent_id, see `Kind.alias_field`), or None."""
        ...

    def knows(self, kind: str, object_id: str) -> bool:
        """Whether a live object of `kind` has this id (extensions: this sip_user)."""
        ...


class IdResolver(Protocol):
    """What a kind needs to turn names into ids when it builds a request body."""

    # How references name each aliased kind on this tenant (`reference_forms`); a kind
    # whose server refuses one form may switch to the other.
    ref_forms: dict[str, RefForm]

    def id_of(self, kind: str, name: str) -> str:
        ...

    def alias_of(self, kind: str, name: str) -> str:
        """The alias (`Kind.alias_field`) of the live object `name`: an extension's agent_id."""
        ...

    def known_ids(self, kind: str) -> set[str]:
        """Ids that existed before this apply: an object "found" after a create whose
        answer was lost must not be one of them."""
        ...


def made_by_us(items: list[dict], ids: IdResolver, kind: str) -> list[dict]:
    """Live items that did not exist before this apply began."""
    known = ids.known_ids(kind)
    return [i for i in items if i.get("_id") not in known]


def _check_unclaimed(words: dict[str, str], word: str | None, kind: str, what: str) -> None:
    """ReconcilerError when another kind has `word` in a vocabulary (a kind declared again,
    a subclass, may keep its own)."""
    taken = words.get(word) if word else None
    if taken is not None and taken != kind:
        raise ReconcilerError(f"kind {kind}: {what} '{word}' is already the {what} of kind {taken}")


class Kind:
    """One kind of tenant object. Subclasses fill the class attributes and hooks; what the
    API lets it do is what it inherits (python-gitlab's mixins): `Creatable`, `Updatable`
    (`Renamable`), `Deletable`, plus `Uploading` and `HoldsStateNote`. A kind with none
    of the verbs (a hotline) is read and compared only."""

    name: ClassVar[str]  # the kind's name, its top-level word in a manifest: "ivr_menus"
    label: ClassVar[str]  # for messages: "IVR menu"
    model: ClassVar[type[ManifestModel]]
    identity: ClassVar[str]  # "name" | "number" | "sip_user"
    ref_word: ClassVar[str | None] = None  # the word of a manifest reference: {ivr: ...}
    api_type: ClassVar[str | None] = None  # the API's reference word: "Ivr_menu"

    # What every live item must carry, whatever else it holds (checked when the list is
    # read): the raw fields `live_identity` and `live_id` read.
    identity_field: ClassVar[str]  # "script_name"
    identity_may_be_number: ClassVar[bool] = False  # hotline numbers, SIP users
    id_field: ClassVar[str | None] = "_id"  # None: the identity is the id
    # Another id other objects may name a live item by (an extension's agent_id).
    alias_field: ClassVar[str | None] = None
    # Reference fields that must not point to their own object: field -> why.
    no_self_reference: ClassVar[dict[str, str]] = {}
    list_path: ClassVar[str]
    page_size: ClassVar[int] = 50
    list_takes_keyword: ClassVar[bool] = False  # the list filters by ?keyword=NAME

    # Its part in a call (None: calls never reach it) and how a call flow draws it.
    call_role: ClassVar[CallRole | None] = None
    call_shape: ClassVar[CallShape | None] = None

    # Fields the API never returns: verified by fingerprint only.
    write_only: ClassVar[frozenset[str]] = frozenset()
    # Fields whose fingerprint is kept after an apply: the write-only ones, plus any the
    # API returns only in part (compare() may answer None for them).
    @property
    def fingerprinted(self) -> frozenset[str]:
        return self.write_only

    # Fields never printed or stored in clear (a live item holds them under the same
    # name: they are left out of the digest a plan keeps of it, see `live_version`).
    secret: ClassVar[frozenset[str]] = frozenset()
    # Values a field accepts but a message never suggests (voices older tenants still
    # have): "expected one of ..." lists the others.
    unsuggested: ClassVar[frozenset[str]] = frozenset()
    # Fields that describe the manifest side only and are never compared with the tenant.
    local_only: ClassVar[frozenset[str]] = frozenset()
    # Fields where an omitted value means "leave the live value alone", not "default".
    keep_when_omitted: ClassVar[frozenset[str]] = frozenset()
    # Why a field export writes is not the object's full content: field -> an end-of-line
    # comment, in exported manifests.
    field_notes: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("name")
        if name is None:
            return  # an intermediate class (a verb), not a kind
        # A word two kinds claim would make a reference point to whichever was declared
        # last (octoDNS's `register_type` refuses the same): refused as the class is made,
        # before any word of it is registered.
        _check_unclaimed(REF_WORDS, cls.ref_word, name, "ref_word")
        _check_unclaimed(API_TYPES, cls.api_type, name, "api_type")
        if cls.ref_word:
            REF_WORDS[cls.ref_word] = name
            KIND_REF_WORD[name] = cls.ref_word
        if cls.api_type:
            API_TYPES[cls.api_type] = name
            KIND_API_TYPE[name] = cls.api_type
        if cls.alias_field:
            ALIASED.add(name)
        if cls.call_role is not None:
            CALL_ROLES[name] = cls.call_role

    # --- what it can do: read from the verbs it inherits ----------------------
    @property
    def creatable(self) -> bool:
        return isinstance(self, Creatable)

    @property
    def updatable(self) -> bool:
        """False for a kind the API creates but cannot update (greetings): it is replaced."""
        return isinstance(self, Updatable)

    @property
    def renamable(self) -> bool:
        return isinstance(self, Renamable)

    @property
    def deletable(self) -> bool:
        return isinstance(self, Deletable)

    @property
    def prunable(self) -> bool:
        """Whether `policy.prune` may own it: live objects absent from the manifests deleted."""
        return self.deletable

    @property
    def picks_duplicates_by_content(self) -> bool:
        """Created but never updated: a change is a replace (a new object of the same name,
        then the old one deleted), so two live objects of one name are expected while one
        is under way or after it was interrupted. The one whose content is the wanted one
        is the match, and a create of a name that exists is no conflict."""
        return self.creatable and not self.updatable

    def blocked(self, data: dict, *, exists: bool) -> str | None:
        """Why a create (`exists` False) or a replace of `data` cannot be applied at all,
        or None."""
        return None

    # --- reading -------------------------------------------------------------
    def live_identity(self, item: dict) -> str:
        raise NotImplementedError

    def same_identity(self, identity: str, live_identities: set[str]) -> str | None:
        """The live identity `identity` is another spelling of, if any (a hotline written
        `0287…` for the tenant's `84287…`), for a did-you-mean."""
        return None

    def live_id(self, item: dict) -> str:
        return item["_id"]

    def from_live(self, item: dict, index: LiveIndex) -> dict:
        """A live item in manifest terms (identity included, write-only fields absent)."""
        raise NotImplementedError

    def open_references(self, item: dict) -> list[tuple[str, str]]:
        """(API type word, id) of the references a raw live item holds in the form the doc
        leaves open (a call script's steps): they tell `reference_forms` how this tenant
        names an aliased kind."""
        return []

    # --- desired -------------------------------------------------------------
    def desired(self, obj: ManifestModel) -> dict:
        """A manifest object in the same terms as `from_live`; fields the user left out
        that mean "leave alone" are absent."""
        data = obj.model_dump(exclude={PREVIOUS_NAMES})
        for field in self.keep_when_omitted:
            if field not in obj.model_fields_set or data.get(field) is None:
                data.pop(field, None)
        return data

    def compare(self, field: str, want: Any, live: dict) -> bool | None:
        """Whether the live object has `want` (secrets already expanded) in `field`: True or
        False, or None when the tenant does not tell (a write-only field, or one this item
        does not carry)."""
        if field in self.write_only or field not in live:
            return None
        return want == live[field]

    def references(self, data: dict) -> list[Ref]:
        """Every object this one points to: (kind, name), each a `Ref` that says where in
        `data` it is written."""
        return []

    def week(self, data: dict) -> dict[str, WeekDay]:
        """A ROUTE kind: what each day ("mon".."sun") of an object in manifest terms runs,
        where it differs from its call script; in week order."""
        return {}

    def live_week(self, item: dict, index: LiveIndex) -> dict[str, WeekDay] | None:
        """A ROUTE kind: what each day of a raw live item runs, as the tenant states it
        (every day it states, a day with time frames naming the script for the rest of the
        day too); None when the tenant does not say."""
        return None

    def review(self, name: str, want: dict, live: dict, fields: list) -> tuple[list, list[str], list[str]]:
        """What else a change of `fields` does, the API being what it is: (field, before,
        after) changes it makes as a side effect, reasons it needs --force, reasons it
        cannot be applied at all."""
        return [], [], []

    def unknown_references(self, data: dict) -> frozenset[str]:
        """Kinds this live object may point into without the tenant saying which objects:
        a delete of such a kind waits for a change of this object."""
        return frozenset()

    def optional_references(self, data: dict, drop: set[tuple[str, str]]) -> dict | None:
        """`data` without the references to `drop`, for the first phase of a cycle; None
        when a required reference would have to go."""
        return None

    def empties_list(self, before: dict, after: dict) -> bool:
        """Whether `after`, `before` without some references, sends an empty list the doc
        marks required (an IVR menu's `scripts`): a server may refuse it ("scripts is
        required")."""
        return False

    def send_warnings(self, name: str, data: dict) -> list[str]:
        """What may go wrong when `data` is sent, under a reading of the doc that is not
        the simulator's default: said in the plan, never a reason to refuse."""
        return []

    def release(self, data: dict, drop: set[tuple[str, str]], name: str) -> dict | None:
        """`data` (of live object `name`, about to be deleted) without its references to
        `drop`, so those can be deleted first; None when a required reference would go."""
        return self.optional_references(data, drop)

    # --- writing -------------------------------------------------------------
    def body(self, data: dict, ids: IdResolver, *, update: bool) -> dict:
        """The request body of a create (or an update) of `data`."""
        raise NotImplementedError

    def subject(self, name: str) -> str:
        """How errors name the object: "group 'CSKH'"."""
        return f"{self.label} '{name}'"

    def to_manifest(self, data: dict) -> dict:
        """Normalized data back to manifest form (for export)."""
        return data


def _declared(kind_def: Kind, path: str | None, verb: str) -> str:
    """A verb's endpoint, which the kind declares unless it codes the verb itself."""
    if not path:
        raise NotImplementedError(f"{kind_def.name}: declare {verb}_path or override {verb}()")
    return path


class Creatable(Kind):
    """The API can create it (python-gitlab's CreateMixin): declare `create_path` and
    `body`, or code `create`. Every create is found again, never repeated, when its answer
    is lost (see `find_new`)."""

    create_path: ClassVar[str | None] = None

    async def find_new(self, client: Any, name: str, ids: IdResolver) -> dict | None:
        """The object a create made, when its answer was lost: same name, made during
        this apply."""
        params = {"keyword": name} if self.list_takes_keyword else None
        items = await client.list_all(self.list_path, params=params, page_size=self.page_size)
        return next((i for i in made_by_us(items, ids, self.name) if self.live_identity(i) == name), None)

    async def create(self, client: Any, data: dict, ids: IdResolver) -> str:
        """Create `data`; its new id. Never a duplicate: see `find_new`."""
        path = _declared(self, self.create_path, "create")
        name = data[self.identity]
        payload = await client.create(
            "POST",
            path,
            json=self.body(expand_env(data), ids, update=False),
            subject=self.subject(name),
            find_existing=lambda: self.find_new(client, name, ids),
        )
        return self.created_id(payload, name)

    def created_id(self, payload: Any, name: str) -> str:
        """The new object's id from a create's answer; an answer without one is the
        server's error, named (the object may exist: the next run finds it by name)."""
        try:
            new_id = self.live_id(payload)
        except (KeyError, TypeError, IndexError):
            new_id = None
        if not isinstance(new_id, str) or not new_id:
            raise ApiError("the answer does not carry the new object's id; run plan to see whether it was created",
                           method="POST", endpoint=self.create_path or "", subject=self.subject(name))
        return new_id


class Updatable(Kind):
    """The API can update it in place (UpdateMixin): declare `update_path` (and
    `update_method`) and `body`, or code `update`. A creatable kind that is not updatable
    is replaced instead."""

    update_path: ClassVar[str | None] = None  # "{id}" is the live id
    update_method: ClassVar[str] = "POST"

    async def update(
        self, client: Any, object_id: str, data: dict, live: dict, changed: set[str], ids: IdResolver
    ) -> None:
        """Make the live object `object_id` match `data` (`changed`: the fields that differ)."""
        path = _declared(self, self.update_path, "update")
        await client.send(
            self.update_method,
            path.format(id=object_id),
            json=self.body(expand_env(data), ids, update=True),
            subject=self.subject(data[self.identity]),
        )


class Renamable(Updatable):
    """An update can change its identity: `previous_names` renames a live object in place."""


class Deletable(Kind):
    """The API can delete it (DeleteMixin), so `policy.prune` may own the kind: declare
    `delete_path`, or code `delete`."""

    delete_path: ClassVar[str | None] = None  # "{id}" is the live id

    async def delete(self, client: Any, object_id: str) -> None:
        path = _declared(self, self.delete_path, "delete")
        await client.send("DELETE", path.format(id=object_id), subject=f"{self.label} {object_id}")


Verb = TypeVar("Verb", Creatable, Updatable, Deletable)
_DONE = {Creatable: "created", Updatable: "updated", Deletable: "deleted"}


def can(kind_def: Kind, verb: type[Verb]) -> Verb:
    """`kind_def` as one that has `verb`: how the engine asks before it calls one. A kind that
    has not (a plan made by another version) is a clear error, not a missing method."""
    if not isinstance(kind_def, verb):
        raise ReconcilerError(f"{kind_def.label}s cannot be {_DONE[verb]} through the API")
    return kind_def


class Uploading(Kind):
    """A manifest field names a file next to the manifest (an mp3), checked when loaded
    and uploaded by a change; a saved plan is refused when the file changed since."""

    file_field: ClassVar[str]

    def uploads(self, data: dict) -> list[tuple[str, str]]:
        """(file path, sha256) of every file a change of `data` uploads."""
        raise NotImplementedError

    def convert_paths(self, data: dict, convert: Callable[[str], str]) -> None:
        """Pass every file path `data` holds through `convert`, in place (a saved plan
        keeps paths under the working directory relative)."""
        raise NotImplementedError


class HoldsStateNote(Kind):
    """The reconciler's state note (engine/state_note.py: fingerprints of what the API
    never returns) is stored in the tenant as one object of this kind, named
    `state_note_name`: never planned, listed or exported. The kind decides how the note's
    text is read from that object and written back."""

    state_note_name: ClassVar[str]
    # The lock (engine/lease.py) and the history (engine/history.py) are kept beside the
    # state note, each in objects of this kind under these names, and are no more planned,
    # listed or exported than it is.
    lock_name: ClassVar[str]
    history_name: ClassVar[str]

    def is_state_note(self, item: dict) -> bool:
        return self.live_identity(item) == self.state_note_name

    def is_reconciler_note(self, item: dict) -> bool:
        """Whether `item` is one of the reconciler's own notes (state note, lock, history)."""
        return self.live_identity(item) in (self.state_note_name, self.lock_name, self.history_name)

    def notes_named(self, items: list[dict], name: str) -> list[dict]:
        """The live items that are notes of this name, oldest first."""
        return sorted((i for i in items if self.live_identity(i) == name),
                      key=lambda i: (i.get("created_date") or 0, str(self.live_id(i))))

    def find_state_note(self, items: list[dict]) -> dict | None:
        """The note among this kind's live items (the newest, if several), or None."""
        raise NotImplementedError

    def state_note_text(self, item: dict) -> str:
        """The note's text, as stored in the live object `item`."""
        raise NotImplementedError

    async def save_state_note(self, client: Any, text: str, item: dict | None,
                              live: Mapping[str, list[dict]], ids: IdResolver) -> None:
        """Store `text` in the tenant: update `item`, or create the note when None. `live`:
        the raw items the apply started from, by kind."""
        raise NotImplementedError

    async def save_note(self, client: Any, name: str, text: str, item: dict | None,
                        live: Mapping[str, list[dict]] | None = None,
                        find_existing: Callable[[], Awaitable[Any]] | None = None) -> dict:
        """Store `text` as the note `name`: update `item`, or create a new object when None
        (`find_existing`: how to find it after a create whose answer was lost). `live`: raw
        items by kind, if read (what the kind needs that is missing it reads). Returns the
        live item as now stored (as far as known)."""
        raise NotImplementedError

    async def delete_note(self, client: Any, item: dict) -> None:
        """Delete the note object `item` (already gone counts as deleted)."""
        raise NotImplementedError

    async def list_notes(self, client: Any) -> list[dict]:
        """Every live item of this kind (the notes among them, and the rest)."""
        return await client.list_all(self.list_path, page_size=self.page_size)
