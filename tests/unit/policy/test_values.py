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
    spec = {"fact": {"name": "domain.memory_hard_limit", "mod": {"by": 256, "ge": 10}}}
    assert truth(policies, spec, {"domain.memory_hard_limit": value})[0] is expected


def test_mod_needs_a_positive_divisor(policies):
    for bad in ({"ge": 1}, {"by": 0}, {"by": "8"}, 5):
        with pytest.raises(UserError, match="mod takes 'by'"):
            Compiler(policies.vocab).compile({"fact": {"name": "domain.memory_hard_limit", "mod": bad}}, "rule X")


def test_mod_in_words():
    from miglint.policy.values import tests_text
    assert tests_text({"mod": {"by": 256, "ge": 10}}) == "modulo 256 >= 10"


QEMU_URI = {"rewrite": {"prefix": "tcp:", "unless": "tcp://", "to": "tcp://"}}


@pytest.mark.parametrize("value, tests, expected", [
    ("127.0.0.3:49155", {"parses": False}, True), ("tcp://dst", {"parses": False}, False),
    ("tcp:dst:abc", {**QEMU_URI, "parses": False}, True), ("tcp:dst", {**QEMU_URI, "host": {"equals": "dst"}}, True),
    ("tcp:", {**QEMU_URI, "parses": True, "host": {"empty": True}}, True),
    ("VZMIGR://dst", {"scheme": {"not_in": ["vzmigr"]}}, True),  # the scheme keeps its case
    ("127.0.0.3:49155", {"scheme": {"empty": True}}, True),  # parts of what does not parse are absent
    ("127.0.0.3:49155", {"parses": True, "scheme": {"empty": True}}, False),
    ("dst:1", {"rewrite": {"prefix": "", "unless": "tcp://", "to": "tcp://"}, "host": {"equals": "dst"}}, True),
])
def test_uri_parses_as_libvirt_does(policies, value, tests, expected):
    assert truth(policies, {"fact": {"name": "dest.hostname", "uri": tests}}, {"dest.hostname": value})[0] is expected


def test_uri_binds_the_text_it_parsed(policies):
    node = Compiler(policies.vocab).compile({"fact": {"name": "dest.hostname", "uri": {**QEMU_URI, "parses": False}}}, "t")
    request = Request(hypervisor="qemu", libvirt_version="9.0.0", facts=(("dest.hostname", "tcp:a:b"),))
    c = Ctx(request, parse_version("9.0.0"), DriverView(0, 0, frozenset(), frozenset(), {}), 0, frozenset())
    out: dict = {}
    node.bind(c, out)
    assert out["uri"] == "tcp://a:b" and out["value"] == "tcp:a:b"


@pytest.mark.parametrize("bad", [5, {"parses": "no"}, {"rewrite": {"prefix": "tcp:"}}, {"hostname": {"empty": True}}])
def test_uri_refuses_what_it_cannot_test(policies, bad):
    with pytest.raises(UserError, match="uri"):
        Compiler(policies.vocab).compile({"fact": {"name": "dest.hostname", "uri": bad}}, "rule X")


def test_uri_in_words():
    from miglint.policy.values import tests_text
    assert tests_text({"uri": {**QEMU_URI, "parses": False}}) == \
        "with a leading 'tcp:' (unless it starts with 'tcp://') read as 'tcp://', as a URI does not parse"
    assert tests_text({"uri": {"scheme": {"in": ["tcp"]}, "host": {"empty": True}}}) == \
        "as a URI has a scheme that is one of tcp and has a host that is empty"


def test_if_missing_says_what_a_missing_fact_means(policies):
    spec = {"fact": {"name": "domain.writable_disks", "if_missing": True, "any_item": {"equals": "vda"}}}
    assert truth(policies, spec, {}) == (True, [])
    assert truth(policies, spec, {"domain.writable_disks": ("vdb",)})[0] is False
    assert truth(policies, spec, {"domain.writable_disks": UNKNOWN})[0] is None  # given, but not known
    spec = {"fact": {"name": "domain.writable_disks", "if_missing": False, "count": {"gt": 0}}}
    assert truth(policies, spec, {}) == (False, [])


def test_if_missing_is_for_facts(policies):
    with pytest.raises(UserError, match="if_missing"):
        Compiler(policies.vocab).compile({"param": {"key": "migrate_uri", "if_missing": True}}, "rule X")
    with pytest.raises(UserError, match="if_missing"):
        Compiler(policies.vocab).compile({"fact": {"name": "dest.hostname", "if_missing": "yes"}}, "rule X")


def test_lower_reads_text_without_regard_to_case():
    from miglint.policy.values import compile_tests

    (t,) = compile_tests({"lower": {"ends_with": ["+ssh", "+tls"]}}, "test")
    assert t.fn("qemu+SSH", {}, None) and t.fn("qemu+tls", {}, None)
    assert not t.fn("qemu+bogus", {}, None) and not t.fn(5, {}, None)
