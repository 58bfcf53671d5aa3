"""Each command that reads the tenant indexes it once: one catalogue serves the planner,
export and `validate --live` (apply reads twice: for the plan, then fresh before writing)."""

from __future__ import annotations

import pytest

from reconciler.engine import catalogue as catalogue_module


@pytest.mark.parametrize("command", [["validate", "--live"], ["plan"], ["export", "--out", "{tmp}/out"]])
def test_each_command_indexes_the_tenant_once(tenant, tmp_path, monkeypatch, command):
    built = []
    real = catalogue_module.Catalogue.__init__

    def counting(self, items):
        built.append(1)
        real(self, items)

    monkeypatch.setattr(catalogue_module.Catalogue, "__init__", counting)
    args = [a.replace("{tmp}", str(tmp_path)) for a in command]
    result = tenant.run(*args, *([] if command[0] == "export" else [str(tenant.manifests)]))
    assert result.exit_code in (0, 2), result.output
    assert len(built) == 1
