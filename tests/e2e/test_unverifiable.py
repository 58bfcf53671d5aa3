"""Issue 21, items 1 and 3, through the CLI against the simulator: a change of greeting
type is a replace whatever the fingerprints say, and a field that cannot be compared (a
secret not set here, an mp3 whose fingerprint is missing) is never "No changes" nor "In
sync": it is shown on its object, counted in the summary, in the JSON, and
`plan --detailed-exitcode` exits 2, `drift` 3 (2 when it also found drift)."""

from __future__ import annotations

import json

from reconciler.kinds.call_script import STATE_NOTE_NAME
from reconciler.kinds.greeting import TTS_FORMALITY
from tests.e2e.conftest import Tenant

WELCOME_TEXT = (
    '    text: "Xin chào, cảm ơn quý khách đã gọi đến Công ty Hoa Sen. Bấm phím 1 để gặp bộ phận kinh doanh, '
    'phím 2 để được hỗ trợ kỹ thuật."\n    voice: northern_female_ngocanh\n    speed: 0\n'
)
PASSWORD_LINE = "    call_timeout: 30\n    password: ${env:EXT_101_PASSWORD}\n"
NO_SECRET = {"EXT_101_PASSWORD": None}


def _applied(tenant: Tenant, env: dict | None = None) -> None:
    result = tenant.run("apply", str(tenant.manifests), "--auto-approve", env=env)
    assert result.exit_code == 0, result.output


def _welcome_as_mp3(tenant: Tenant) -> None:
    text = tenant.read("greetings.yaml")
    assert WELCOME_TEXT in text
    tenant.edit("greetings.yaml", text.replace(WELCOME_TEXT, "    file: audio/nhac-cho.mp3\n", 1))


def _forget_state_note(tenant: Tenant) -> None:
    """The state note deleted in the console: no fingerprint of anything."""
    (note,) = tenant.sim.tenant.find_all("call_scripts", STATE_NOTE_NAME)
    with tenant.sim.tenant.lock:
        del tenant.sim.tenant.call_scripts[note["_id"]]


def _welcome(tenant: Tenant) -> dict:
    (greeting,) = tenant.sim.tenant.find_all("greetings", "Chào mừng")
    return greeting


def _plan(tenant: Tenant, *args: str, env: dict | None = None):
    return tenant.run("plan", str(tenant.manifests), "--detailed-exitcode", *args, env=env)


# --- item 1: a change of greeting type is a replace -----------------------------------------


def test_a_greeting_changed_from_text_to_an_mp3_is_planned_applied_and_then_in_sync(tenant: Tenant):
    _applied(tenant)
    _welcome_as_mp3(tenant)
    plan = _plan(tenant)
    assert plan.exit_code == 2, plan.output
    assert "-/+ replace greeting Chào mừng" in plan.output
    assert "No changes" not in plan.output and "1 to replace" in plan.output
    assert "Xin chào, cảm ơn quý khách" in plan.output  # the text that goes is shown

    drift = tenant.run("drift", str(tenant.manifests))
    assert drift.exit_code == 2, drift.output
    assert "In sync" not in drift.output and "greeting Chào mừng: differs" in drift.output

    _applied(tenant)
    assert _welcome(tenant)["formality"] != TTS_FORMALITY  # an uploaded mp3 now
    again = _plan(tenant)
    assert again.exit_code == 0, again.output
    assert "No changes" in again.output
    assert tenant.run("drift", str(tenant.manifests)).exit_code == 0


def test_a_change_of_type_is_a_replace_without_any_fingerprint(tenant: Tenant):
    # The state note is gone: nothing is known of any audio, yet a text greeting is no mp3.
    _applied(tenant)
    _forget_state_note(tenant)
    _welcome_as_mp3(tenant)
    plan = _plan(tenant)
    assert plan.exit_code == 2, plan.output
    assert "-/+ replace greeting Chào mừng" in plan.output
    assert "greeting 'Chào mừng': the tenant holds no fingerprint" not in plan.output


def test_a_greeting_changed_from_an_mp3_to_text_is_planned_and_applied(tenant: Tenant):
    _welcome_as_mp3(tenant)
    _applied(tenant)
    tenant.edit("greetings.yaml", tenant.read("greetings.yaml").replace(
        "    file: audio/nhac-cho.mp3\n", WELCOME_TEXT, 1))
    plan = _plan(tenant)
    assert plan.exit_code == 2 and "-/+ replace greeting Chào mừng" in plan.output, plan.output
    _applied(tenant)
    assert _welcome(tenant)["formality"] == TTS_FORMALITY
    assert _plan(tenant).exit_code == 0


def test_an_mp3_changed_while_its_fingerprint_is_missing_is_unverifiable_not_unchanged(tenant: Tenant):
    _applied(tenant)
    _forget_state_note(tenant)
    (tenant.manifests / "audio" / "nhac-cho.mp3").write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\x01" * 64)
    plan = _plan(tenant)
    assert plan.exit_code == 2, plan.output
    assert "No changes" not in plan.output
    assert "? unverifiable greeting Nhạc chờ" in plan.output
    assert "? file_sha256: not verified (no fingerprint of the last apply" in plan.output
    assert "; 1 unverifiable." in plan.output

    drift = tenant.run("drift", str(tenant.manifests))
    # The extensions' fingerprints are gone too: not compared, so unverifiable, not drift
    # (issue 21's review: a lost note made drift report "differs" for fields it never compared).
    assert drift.exit_code == 3, drift.output
    assert "differs from the manifests" not in drift.output
    assert "In sync" not in drift.output and "? unverifiable greeting Nhạc chờ" in drift.output
    # Not listed as compared with a fingerprint at all (it has none): only as `?` on its object.
    assert "Nhạc chờ: file_sha256 (" not in drift.output

    # apply still does not replace it for want of a fingerprint alone (it re-sends the
    # extensions' fields and saves their fingerprints)...
    before = len(tenant.mutations())
    _applied(tenant)
    assert [m for m in tenant.mutations()[before:] if "greeting" in m.path] == []
    # ...so drift finds nothing else, and still cannot say "In sync".
    drift = tenant.run("drift", str(tenant.manifests))
    assert drift.exit_code == 3, drift.output
    assert "In sync" not in drift.output and drift.output.rstrip().endswith(
        "Not verified: 1 object with a field that could not be compared (? above); no drift in the rest "
        "(14 in sync; 9 unmanaged objects left alone).")
    assert _plan(tenant).exit_code == 2
    # ...and --force-upload plans it.
    forced = _plan(tenant, "--force-upload")
    assert forced.exit_code == 2 and "-/+ replace greeting Nhạc chờ" in forced.output, forced.output


# --- item 3: a secret not set here is unverifiable ------------------------------------------


def _with_new_password(tenant: Tenant) -> None:
    text = tenant.read("extensions.yaml")
    tenant.edit("extensions.yaml", text.replace("    call_timeout: 30\n", PASSWORD_LINE, 1))


def test_a_password_added_without_its_variable_is_shown_counted_and_exits_2(tenant: Tenant):
    _applied(tenant)
    _with_new_password(tenant)
    plan = _plan(tenant, env=NO_SECRET)
    assert plan.exit_code == 2, plan.output
    assert "No changes" not in plan.output
    assert "? unverifiable extension 101" in plan.output
    assert "? password: not verified (environment variable EXT_101_PASSWORD is not set here)" in plan.output
    assert plan.output.rstrip().endswith(
        "Plan: 0 to create, 0 to update, 0 to replace, 0 to rename, 0 to delete (14 unchanged); 1 unverifiable.")

    as_json = json.loads(tenant.run("plan", str(tenant.manifests), "--format", "json", env=NO_SECRET).output)
    assert as_json["format_version"] == 1
    assert as_json["summary"]["unverifiable"] == 1
    assert as_json["unverifiable"] == {"extensions": {"101": {
        "password": "environment variable EXT_101_PASSWORD is not set here"}}}

    markdown = tenant.run("plan", str(tenant.manifests), "--format", "markdown", env=NO_SECRET).output
    assert "**Plan: 0 to create, 0 to update, 0 to replace, 0 to rename, 0 to delete (14 unchanged); " \
           "1 unverifiable.**" in markdown
    assert "| `?` unverifiable | 101 | ? password | not verified |" in markdown

    drift = tenant.run("drift", str(tenant.manifests), env=NO_SECRET)
    assert drift.exit_code == 3, drift.output  # no drift found, but not all verified: not 0
    assert "In sync" not in drift.output and "Not verified: 1 object" in drift.output
    assert "? password: not verified" in drift.output
    drift_json = json.loads(tenant.run("drift", str(tenant.manifests), "--format", "json", env=NO_SECRET).output)
    assert drift_json["in_sync"] is False and drift_json["summary"]["unverifiable"] == 1
    assert drift_json["drift"] == []

    # With the variable set, the same plan can tell: one update.
    secret = {"EXT_101_PASSWORD": "s3cret-pw"}
    told = _plan(tenant, env=secret)
    assert told.exit_code == 2 and "1 to update" in told.output and "unverifiable" not in told.output, told.output
    assert "s3cret-pw" not in told.output
    # apply without it is refused, as before; with it, applied, then verified unchanged.
    refused = tenant.run("apply", str(tenant.manifests), "--auto-approve", env=NO_SECRET)
    assert refused.exit_code == 1 and "EXT_101_PASSWORD is not set" in refused.output
    _applied(tenant, env=secret)
    done = _plan(tenant, env=secret)
    assert done.exit_code == 0 and "No changes" in done.output, done.output


def test_an_unverifiable_field_is_shown_on_an_object_that_also_changes(tenant: Tenant):
    _applied(tenant)
    text = tenant.read("extensions.yaml").replace("    call_timeout: 30\n", PASSWORD_LINE.replace("30", "45"), 1)
    tenant.edit("extensions.yaml", text)
    plan = _plan(tenant, env=NO_SECRET)
    assert plan.exit_code == 2, plan.output
    block = plan.output.split("~ update extension 101")[1].split("\n\n")[0]
    assert "call_timeout" in block and "? password: not verified" in block
    assert "1 to update" in plan.output and "; 1 unverifiable." in plan.output
    assert plan.output.count("extension 101") == 1  # one entry for the object, not two


def test_another_mp3_shows_which_file_it_is_not_only_its_fingerprint(tenant: Tenant):
    """A reviewer saw `file_sha256: … -> "f8b5…"` alone and could not tell which file the
    new audio was: the plan names the file first (never compared: the tenant has no path)."""
    _applied(tenant)
    audio = tenant.manifests / "audio"
    (audio / "nhac-cho-moi.mp3").write_bytes((audio / "nhac-cho.mp3").read_bytes() + b"\x00")
    tenant.edit("greetings.yaml", tenant.read("greetings.yaml").replace("audio/nhac-cho.mp3", "audio/nhac-cho-moi.mp3"))
    plan = _plan(tenant)
    assert plan.exit_code == 2, plan.output
    replace = plan.output.split("-/+ replace greeting Nhạc chờ\n", 1)[1].split("\n")
    assert replace[0].strip() == 'file: (not returned by the API) -> "audio/nhac-cho-moi.mp3"'
    assert replace[1].strip().startswith('file_sha256: (not returned by the API) -> "')
    document = json.loads(tenant.run("plan", str(tenant.manifests), "--format", "json").stdout)
    [change] = [c for c in document["changes"] if c["kind"] == "greetings"]
    assert [f["field"] for f in change["fields"]] == ["file", "file_sha256"]
    # The same file under another name is no change: the fingerprint decides, not the path.
    (audio / "nhac-cho-moi.mp3").write_bytes((audio / "nhac-cho.mp3").read_bytes())
    assert _plan(tenant).exit_code == 0
