"""parse_targets and a name `previous_names` retires (docs/manifests.md: Renames)."""

from __future__ import annotations

import pytest

from reconciler.engine.target import parse_targets
from reconciler.errors import PlanError

KNOWN = {"groups": {"Bán hàng", "Kinh doanh", "CSKH"}}
RETIRED = {"groups": {"Kinh doanh": "Bán hàng"}}


def test_a_retired_name_is_an_error_naming_the_new_one():
    with pytest.raises(PlanError) as err:
        parse_targets(["groups/Kinh doanh"], KNOWN, RETIRED)
    assert str(err.value.problems[0]) == ("--target groups/Kinh doanh: group 'Kinh doanh' is renamed to "
                                          "'Bán hàng' (previous_names); target groups/Bán hàng")


def test_a_retired_name_is_never_suggested():
    with pytest.raises(PlanError) as err:
        parse_targets(["groups/Kinh doanhx"], KNOWN, RETIRED)
    assert "did you mean groups/Kinh doanh?" not in str(err.value.problems[0])
    with pytest.raises(PlanError) as err:
        parse_targets(["groups/Kinh doanhx"], KNOWN)
    assert "did you mean groups/Kinh doanh?" in str(err.value.problems[0])


def test_the_new_name_is_a_target():
    assert parse_targets(["groups/Bán hàng"], KNOWN, RETIRED) == [("groups", "Bán hàng")]
