"""A rename by `previous_names` that leaves other objects naming the old name (a new-user
review): `validate`, `plan` and `apply` accepted it when prune did not own the kind (what
`export` writes: `prune: []`), because the old name was still live; apply renamed the
object, the referrers were left pointing at nothing, and every later plan and drift
failed. Now it is an error offline, at each reference, whatever the prune policy, and
nothing is sent; with the references renamed too, the rename applies and plans clean."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterator

import pytest

from reconciler.simulator import Simulator
from tests.e2e.conftest import API_KEY, EXAMPLES, Tenant

OLD_GROUP, NEW_GROUP = "Kinh doanh", "Bán hàng"
OLD_SCRIPT, NEW_SCRIPT = "Ngoài giờ", "Cuối tuần"


@pytest.fixture(params=["examples", "exported"], ids=["prune-owns-the-kind", "prune-empty"])
def applied(request: pytest.FixtureRequest, applied_seed: dict, tmp_path: Path) -> Iterator[Tenant]:
    """The examples applied; the manifests are the examples (policy.prune owns groups and
    call scripts) or what `export` writes of the tenant (prune: [])."""
    manifests = tmp_path / "manifests"
    shutil.copytree(EXAMPLES, manifests, ignore=shutil.ignore_patterns("ci"))
    sim = Simulator(api_key=API_KEY, seed=applied_seed)
    sim.start()
    try:
        tenant = Tenant(sim, sim.url, manifests)
        if request.param == "exported":
            shutil.rmtree(manifests)
            done = tenant.run("export", "--out", str(manifests))
            assert done.exit_code == 0, done.output
            assert "prune: []" in (manifests / "policy.yaml").read_text("utf-8")
        yield tenant
    finally:
        sim.stop()


def rename(tenant: Tenant, old: str, new: str) -> Path:
    """Give the object named `old` the name `new`, `old` kept in previous_names, in the
    file that declares it; nothing else changes. Returns that file."""
    declaration = f"  - name: {old}\n"
    path = next(p for p in sorted(tenant.manifests.glob("*.yaml")) if declaration in p.read_text("utf-8"))
    path.write_text(path.read_text("utf-8").replace(declaration, f"  - name: {new}\n    previous_names: [{old}]\n", 1),
                    "utf-8")
    return path


def places(tenant: Tenant, text: str) -> list[tuple[Path, int, int]]:
    """(file, line, column) of every `text` in the manifests."""
    return [(path, n, line.index(text) + 1)
            for path in sorted(tenant.manifests.glob("*.yaml"))
            for n, line in enumerate(path.read_text("utf-8").splitlines(), 1) if text in line]


def refuses(tenant: Tenant, old: str, expected: list[str]) -> None:
    """validate (offline and --live), plan, apply, lint, graph and trace all fail on
    `expected`; apply sends nothing, and no call flow draws `old` as an object of its own."""
    commands = (["validate"], ["validate", "--live"], ["plan"], ["apply", "--auto-approve"], ["lint"],
                ["graph", "--format", "json"], ["trace", "842873003388"])
    for command, *options in commands:
        args = [command, str(tenant.manifests), *options] if command != "trace" else [command, *options,
                                                                                      str(tenant.manifests)]
        result = tenant.run(*args)
        assert result.exit_code == 1, (args, result.output)
        for message in expected:
            assert message in result.stderr, (args, message, result.stderr)
        assert "is not declared in the manifests" not in result.stderr  # one message a mistake
        assert "Plan:" not in result.output and "Traceback" not in result.output
        assert old not in result.stdout
    assert tenant.mutations() == []


def applies_once_renamed_everywhere(tenant: Tenant, old: str, new: str) -> None:
    """The advice works: with every reference renamed too, apply renames and plans clean."""
    for path in sorted(tenant.manifests.glob("*.yaml")):
        text = path.read_text("utf-8")
        text = text.replace(f": {old}}}", f": {new}}}").replace(f"[{old}]", f"[{new}]")
        text = text.replace(f"call_script: {old}\n", f"call_script: {new}\n")
        path.write_text(text.replace(f"previous_names: [{new}]", f"previous_names: [{old}]"), "utf-8")
    done = tenant.run("apply", str(tenant.manifests), "--auto-approve")
    assert done.exit_code == 0, done.output
    again = tenant.run("plan", str(tenant.manifests), "--detailed-exitcode")
    assert again.exit_code == 0, again.output


def test_a_reference_to_a_groups_previous_name_is_refused_offline(applied: Tenant):
    groups = rename(applied, OLD_GROUP, NEW_GROUP)
    (_, line, column), = places(applied, f"previous_names: [{OLD_GROUP}]")
    renamed = (f"group '{OLD_GROUP}' is renamed to '{NEW_GROUP}' "
               f"(previous_names in {groups}:{line}:{column + len('previous_names: [')}): use the new name")
    refs = places(applied, f"{{group: {OLD_GROUP}}}")
    assert len(refs) >= 3  # an overflow, IVR keys, a fallback
    ivr, key_line, _ = next(ref for ref in refs if "ivr" in ref[0].name)
    refuses(applied, OLD_GROUP, [*(f"{path}:{line}:{column}: " for path, line, column in refs), renamed,
                                 f"{ivr}:{key_line}:12: IVR menu 'Menu chính': keys.1: {renamed}"])
    applies_once_renamed_everywhere(applied, OLD_GROUP, NEW_GROUP)


def test_a_hotlines_call_script_and_schedule_naming_a_previous_name_are_refused(applied: Tenant):
    scripts = rename(applied, OLD_SCRIPT, NEW_SCRIPT)
    (_, line, column), = places(applied, f"previous_names: [{OLD_SCRIPT}]")
    renamed = (f"call script '{OLD_SCRIPT}' is renamed to '{NEW_SCRIPT}' "
               f"(previous_names in {scripts}:{line}:{column + len('previous_names: [')}): use the new name")
    # Weekly schedules as the console sets them: the office line runs the renamed script on
    # Saturdays, the evening line (whose call_script it is) a Sunday morning frame too.
    saturday = f"    schedule:\n      sat: {OLD_SCRIPT}\n"
    sunday = f"    schedule:\n      sun: [{{from: \"08:00\", to: \"12:00\", call_script: {OLD_SCRIPT}}}]\n"
    (hotlines, office, _), = places(applied, "call_script: Giờ hành chính")
    (_, evening, column), = places(applied, f"    call_script: {OLD_SCRIPT}")
    text = hotlines.read_text("utf-8").splitlines(keepends=True)
    hotlines.write_text("".join(text[:office] + [saturday] + text[office:evening] + [sunday] + text[evening:]), "utf-8")
    evening += 2
    refuses(applied, OLD_SCRIPT, [
        f"{hotlines}:{office + 2}:12: hotline '842871002283': schedule.sat: {renamed}",
        f"{hotlines}:{evening}:{column + len('    call_script: ')}: hotline '842873003388': call_script: {renamed}",
        f"{hotlines}:{evening + 2}:55: hotline '842873003388': schedule.sun.0.call_script: {renamed}"])
    # The tenant has no such schedules (the API cannot set one): drop them to apply the rename.
    hotlines.write_text(hotlines.read_text("utf-8").replace(saturday, "").replace(sunday, ""), "utf-8")
    applies_once_renamed_everywhere(applied, OLD_SCRIPT, NEW_SCRIPT)
