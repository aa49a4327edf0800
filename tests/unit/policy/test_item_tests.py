"""Item tests (any_item, first_item with repeated and earlier) answer as they always did, and walk a list once:
the work grows with the list, not with its square (a hostile plan of 40,000 methods must not stall a run)."""

from __future__ import annotations

import pytest

from miglint.policy import values
from miglint.policy.values import compile_tests

PARALLEL = {"not_in": ["xbzrle", "mt", "zlib", "zstd"],
            "among": [{"not_in": ["xbzrle", "mt", "zlib", "zstd"]}, {"repeated": True}, {"in": ["mt", "xbzrle"]},
                      {"in": ["zlib", "zstd"], "earlier": {"in": ["zlib", "zstd"]}}]}


def _fn(spec):
    (t,) = compile_tests(spec, "test")
    return t.fn


@pytest.mark.parametrize("items,item", [
    (("zstd", "zstd"), "zstd"),  # repeated
    (("zlib", "mt", "zlib"), "zlib"),
    (("a", "b", "a"), "a"),
    (("a", "b"), None),
    ((), None),
])
def test_any_item_repeated(items, item):
    b: dict = {}
    got = _fn({"any_item": {"repeated": True}})(items, b, None)
    assert got == (item is not None) and b.get("item") == item
    assert values.BEFORE not in b  # the walk leaves nothing behind


@pytest.mark.parametrize("items,first", [
    (("zlib", "zstd"), "zstd"),  # zstd after zlib: the earlier check decides (own test: not the first 4 -> False)
    (("lz4",), "lz4"),
    (("xbzrle", "lz4"), "xbzrle"),  # xbzrle fails the "in mt/xbzrle" check first: the own test says no
])
def test_first_item_decides_at_the_first_item_any_check_refuses(items, first):
    b: dict = {}
    got = _fn({"first_item": {"in": ["lz4", "zstd"], **{k: v for k, v in PARALLEL.items() if k == "among"}}})(
        items, b, None)
    assert got == (first in ("lz4", "zstd")) and b.get("item") == (first if got else None)


def test_earlier_looks_only_before_the_item():
    fn = _fn({"any_item": {"in": ["zstd"], "earlier": {"in": ["zlib"]}}})
    assert fn(("zlib", "zstd"), {}, None) is True
    assert fn(("zstd", "zlib"), {}, None) is False
    assert fn(("mt", "zstd", "zlib", "zstd"), {}, None) is True


def test_a_long_list_is_walked_once(monkeypatch):
    calls = 0
    inner_in = {"in": ["zlib", "zstd"]}
    spec = {"any_item": {"in": ["lz4"], "earlier": inner_in}}
    fn = _fn(spec)
    original = values.passes

    def counting(tests, value, bindings, ctx):
        nonlocal calls
        calls += 1
        return original(tests, value, bindings, ctx)
    monkeypatch.setattr(values, "passes", counting)
    n = 5000
    assert fn(tuple(["mt"] * n + ["lz4"]), {}, None) is False  # lz4 but nothing earlier in zlib/zstd
    assert calls <= 3 * n  # each item looked at a bounded number of times, not once per later item


def test_unhashable_items_still_answer():
    fn = _fn({"any_item": {"repeated": True}})
    assert fn(([1], [1]), {}, None) is True
