"""Value tests of rule conditions that compare dotted versions (version_ge, ...), and UNKNOWN facts."""

from __future__ import annotations

import pytest

from miglint.errors import UserError
from miglint.model import UNKNOWN, Request
from miglint.policy.compiler import Compiler
from miglint.policy.conditions import Ctx, DriverView
from miglint.policy.values import dotted_version
from miglint.version import parse_version


@pytest.mark.parametrize("text, expected", [
    ("9.1", (9, 1, 0, 0)), ("9.1.0", (9, 1, 0, 0)), ("10.0.0-rc1", (10, 0, 0, 0)), ("v7.2", (7, 2, 0, 0)),
    ("7", (7, 0, 0, 0)), (8, (8, 0, 0, 0)), ("1.2.3.4.5", (1, 2, 3, 4, 5)),
    ("", None), ("x9", None), (None, None), (True, None), (("9", "1"), None), (UNKNOWN, None),
])
def test_dotted_version(text, expected):
    assert dotted_version(text) == expected


def truth(policies, spec, facts):
    node = Compiler(policies.vocab).compile(spec, "test")
    request = Request(hypervisor="qemu", libvirt_version="9.0.0", facts=tuple(sorted(facts.items())))
    ctx = Ctx(request, parse_version("9.0.0"), DriverView(0, 0, frozenset(), frozenset(), {}), 0, frozenset())
    return node.test(ctx), ctx.unknowns


@pytest.mark.parametrize("test, bound, value, expected", [
    ("version_ge", "9.1", "9.1.0", True), ("version_ge", "9.1", "10.0", True), ("version_ge", "9.1", "9.0.5", False),
    ("version_gt", "9.1", "9.1", False), ("version_gt", "9.1", "9.1.1", True),
    ("version_lt", "9.1", "9.0.99", True), ("version_lt", "9.1", "9.1.0", False),
    ("version_le", "4.2", "4.2.0", True), ("version_le", "4.2", "4.10", False),  # numeric, not text order
    ("version_ge", "9.1", "not a version", False), ("version_ge", "9.1", 10, True),
])
def test_version_comparisons(policies, test, bound, value, expected):
    assert truth(policies, {"fact": {"name": "qemu.version", test: bound}}, {"qemu.version": value})[0] is expected


def test_version_tests_of_unknown_or_missing_facts_are_unknown(policies):
    spec = {"fact": {"name": "qemu.version", "version_ge": "9.1"}}
    assert truth(policies, spec, {"qemu.version": UNKNOWN}) == (None, ["fact:qemu.version"])
    assert truth(policies, spec, {}) == (None, ["fact:qemu.version"])


def test_a_version_bound_must_be_a_version(policies):
    with pytest.raises(UserError, match="version_ge takes a dotted version"):
        Compiler(policies.vocab).compile({"fact": {"name": "qemu.version", "version_ge": "nine"}}, "rule X")


def test_unknown_list_fact_makes_counts_and_items_unknown(policies):
    spec = {"fact": {"name": "domain.local_disks", "count": {"gt": 0}}}
    assert truth(policies, spec, {"domain.local_disks": UNKNOWN})[0] is None
    assert truth(policies, spec, {"domain.local_disks": ()})[0] is False
    assert truth(policies, spec, {"domain.local_disks": ("vda",)})[0] is True


@pytest.mark.parametrize("value, expected", [(10, True), (266, True), (256, False), (-1, True), (-246, True),
                                             (9, False), ("10", False), (True, False)])
def test_mod_tests_the_remainder(policies, value, expected):
    """A value a program truncates to 8 bits: 266 is 10, -1 is 255 (the remainder is never negative)."""
    spec = {"fact": {"name": "x.level", "mod": {"by": 256, "ge": 10}}}
    assert truth(policies, spec, {"x.level": value})[0] is expected


def test_mod_needs_a_positive_divisor(policies):
    for bad in ({"ge": 1}, {"by": 0}, {"by": "8"}, 5):
        with pytest.raises(UserError, match="mod takes 'by'"):
            Compiler(policies.vocab).compile({"fact": {"name": "x.level", "mod": bad}}, "rule X")


def test_mod_in_words():
    from miglint.policy.values import tests_text
    assert tests_text({"mod": {"by": 256, "ge": 10}}) == "modulo 256 >= 10"
