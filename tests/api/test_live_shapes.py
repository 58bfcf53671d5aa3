"""read_live refuses items without the shape every kind relies on: an object whose identity
(and id) is there, with the right type. It names the list endpoint and the item."""

from __future__ import annotations

import asyncio

import pytest

from reconciler.engine.live import check_items, read_live
from reconciler.errors import ApiError
from reconciler.kinds import KINDS

GOOD = {
    "greetings": {"_id": "g1", "greeting_name": "Nhạc chờ"},
    "groups": {"_id": "62ff11b208d4bf3ea694a6f3", "group_name": "Nhóm Tech"},
    "ivr_menus": {"_id": "i1", "script_name": "IVR chính"},
    "call_scripts": {"_id": "c1", "script_name": "Kịch bản"},
    "hotlines": {"number": "842873003388"},
    "extensions": {"sip_user": "101"},
}


class ListsOnly:
    def __init__(self, items: dict[str, list]):
        self.by_path = {KINDS[k].list_path: v for k, v in items.items()}

    async def list_all(self, path, params=None, page_size=50, expected_items=0):
        return self.by_path.get(path, [])


def test_every_kind_has_a_shape_and_the_good_items_pass():
    # The shape is each kind's declaration (identity_field, id_field), no table elsewhere.
    for kind_name, item in GOOD.items():
        kind = KINDS[kind_name]
        assert kind.identity_field in item and (kind.id_field is None or kind.id_field in item)
    state = asyncio.run(read_live(ListsOnly({k: [v] for k, v in GOOD.items()})))
    assert state.items["groups"] == [GOOD["groups"]]


def test_numbers_are_accepted_where_the_identity_is_an_id():
    check_items("hotlines", [{"number": 842873003388}])
    check_items("extensions", [{"sip_user": 101}])


BAD = [
    ("groups", None, "item 2 is not an object"),
    ("groups", "62ff11b208d4bf3ea694a6f3", "item 2 is not an object"),
    ("groups", {"group_name": "Nhóm Sales"}, "item 2 ('Nhóm Sales') has no _id"),
    ("groups", {"_id": "x1", "group_name": 5}, "item 2 ('x1') has a group_name that is not text (it is a number)"),
    ("groups", {"_id": "x1"}, "item 2 ('x1') has no group_name"),
    ("groups", {"_id": None, "group_name": "N"}, "item 2 ('N') has no _id"),
    ("groups", {"_id": "", "group_name": "N"}, "item 2 ('N') has an empty _id"),
    ("groups", {"_id": ["x"], "group_name": "N"}, "has a _id that is not text or a whole number (it is a list)"),
    ("greetings", {"_id": "g2", "greeting_name": None}, "item 2 ('g2') has no greeting_name"),
    ("ivr_menus", {"_id": "i2", "script_name": {"vi": "x"}}, "has a script_name that is not text (it is an object)"),
    ("call_scripts", {"script_name": "K"}, "item 2 ('K') has no _id"),
    ("hotlines", {"number": True}, "item 2 has a number that is not text or a whole number (it is a boolean)"),
    ("hotlines", {"number": ""}, "item 2 has an empty number"),
    ("extensions", {"sip_user": 101.5}, "item 2 has a sip_user that is not text or a whole number (it is a number)"),
    ("extensions", {}, "item 2 has no sip_user"),
]


@pytest.mark.parametrize("kind_name, item, message", BAD)
def test_a_malformed_item_is_an_api_error_naming_the_endpoint_and_the_item(kind_name, item, message):
    with pytest.raises(ApiError) as caught:
        asyncio.run(read_live(ListsOnly({**{k: [v] for k, v in GOOD.items()}, kind_name: [GOOD[kind_name], item]})))
    assert message in str(caught.value)
    assert caught.value.endpoint == KINDS[kind_name].list_path
    assert KINDS[kind_name].list_path in str(caught.value)
