"""Regressions from review: an mp3 upload answered without an id, a delete whose answer
was lost, plan-file mistakes, and an ${env:...} reference in a name. Each failed before
its fix."""

from __future__ import annotations

import json

from tests.e2e.evil_server import Evil, assert_clean_failure, evil  # noqa: F401


def test_mp3_upload_answer_without_an_id_does_not_duplicate_the_greeting(evil: Evil):
    # call-center.md documents no response at all for greeting/upload: an empty 200 is a
    # plausible answer. The greeting was made; apply must find it, not fail and re-create it.
    def empty_upload_answer(method, target, status, headers, body, request):
        if "/greeting/upload?" in target and status == 200:
            return 200, {}, b""
        return None

    evil.sim.hooks.append(empty_upload_answer)
    first = evil.run("apply", str(evil.manifests), "--auto-approve")
    second = evil.run("apply", str(evil.manifests), "--auto-approve")
    names = [g["greeting_name"] for g in evil.sim.snapshot()["greetings"]]
    assert names.count("Nhạc chờ") == 1, names
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output


def test_a_delete_whose_answer_was_lost_is_not_reported_failed(evil: Evil):
    # The DELETE is applied, the answer lost (502); the retry then meets "not found".
    evil.sim.faults.inject("lost_response", method="DELETE", path="/internal_group/delete/", times=1)
    result = evil.run("apply", str(evil.manifests), "--auto-approve")
    assert result.exit_code == 0, result.output


def test_plan_out_into_a_missing_directory(evil: Evil, tmp_path):
    result = evil.run("plan", str(evil.manifests), "--out", str(tmp_path / "no-such-dir" / "plan.json"))
    assert_clean_failure(result)


def test_a_truncated_or_foreign_plan_file(evil: Evil, tmp_path):
    for i, content in enumerate([
        {"kind": "reconciler-plan", "format_version": 1},
        {"kind": "reconciler-plan", "format_version": 1, "plan": []},
        {"kind": "reconciler-plan", "format_version": 1, "plan": {"changes": ["x"]}},
        {"kind": "reconciler-plan", "format_version": 1, "plan": {"changes": [{"action": "create", "bogus": 1}]}},
    ]):
        path = tmp_path / f"plan{i}.json"
        path.write_text(json.dumps(content))
        assert_clean_failure(evil.run("apply", str(evil.manifests), "--plan", str(path), "--auto-approve"))


def test_env_reference_in_a_name_never_duplicates_objects(evil: Evil, tmp_path):
    # `${env:NAME}` in an identity is sent expanded but matched literally: every apply
    # creates one more group. It must be refused (or matched expanded), not duplicate.
    manifests = tmp_path / "m"
    manifests.mkdir()
    (manifests / "groups.yaml").write_text("groups:\n  - name: ${env:GROUP_NAME}\n", encoding="utf-8")
    env = {"GROUP_NAME": "Nhóm từ env"}
    for _ in range(2):
        evil.run("apply", str(manifests), "--auto-approve", env=env)
    names = [g["group_name"] for g in evil.sim.snapshot()["groups"]]
    assert names.count("Nhóm từ env") <= 1, names
