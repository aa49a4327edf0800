"""What libvirt 11.3.0 and QEMU 10.0 taught the policies (the conformance harness's second target): QEMU-bound
rules decided by qemu.version or the QEMU assumed for the libvirt version, first_error, first_item, virsh's read
order, and the defects with an aftermath."""

from __future__ import annotations

import pytest

from miglint import api
from miglint.inputs.request import make_request
from miglint.model import UNKNOWN, Request
from miglint.policy.compiler import Compiler
from miglint.policy.conditions import Ctx, DriverView
from miglint.version import parse_version


def check(policies, evaluator, **kw):
    return evaluator(make_request(policies, **kw))


def truth(policies, spec, facts, version="9.0.0"):
    node = Compiler(policies.vocab).compile(spec, "test")
    request = Request(hypervisor="qemu", libvirt_version=version, facts=tuple(sorted(facts.items())))
    ctx = Ctx(request, parse_version(version), DriverView(0, 0, frozenset(), frozenset(), {}), 0, frozenset())
    out: dict = {}
    result = node.test(ctx)
    node.bind(ctx, out)
    return result, ctx.unknowns, out


# -- qemu: the fact, else the QEMU assumed for the libvirt version, else unknown ------------------------------

@pytest.mark.parametrize("version, facts, expected, bound", [
    ("9.0.0", {}, False, "7.2 (assumed for libvirt 9.0.0)"),
    ("11.3.0", {}, True, "10.0 (assumed for libvirt 11.3.0)"),
    ("9.0.0", {"qemu.version": "10.0.13"}, True, "10.0.13"),
    ("11.3.0", {"qemu.version": "7.2.22"}, False, "7.2.22"),
    ("11.3.0", {"qemu.version": "not a version"}, False, "not a version"),
])
def test_qemu_condition_uses_the_fact_or_the_assumed_qemu(policies, version, facts, expected, bound):
    result, unknowns, out = truth(policies, {"qemu": ">=9.1"}, facts, version)
    assert result is expected and not unknowns
    assert out["qemu_version"] == bound


def test_qemu_unknown_without_fact_or_assumption(policies):
    assert truth(policies, {"qemu": ">=9.1"}, {}, "10.0.0")[:2] == (None, ["fact:qemu.version"])
    assert truth(policies, {"qemu": ">=9.1"}, {"qemu.version": UNKNOWN}, "11.3.0")[:2] == (None, ["fact:qemu.version"])


@pytest.mark.parametrize("qemu, expected", [("7.2.22", False), ("8.2", None), ("10.0.13", True), ("10.1.0", None),
                                            ("11.0", None)])
def test_qemu_unsure_ranges(policies, qemu, expected):
    spec = {"qemu": ">=10.0,<10.1", "qemu_unsure": [">=8.0,<10.0", ">=10.1"]}
    assert truth(policies, spec, {"qemu.version": qemu})[0] is expected


def test_qemu_bound_rules_follow_the_qemu_not_libvirt(policies, evaluator):
    """Postcopy with parallel migration: QEMU 10.0 refuses it, QEMU 7.2 did not -- whatever libvirt."""
    kw = dict(hypervisor="qemu", state="running", flags=["LIVE", "PEER2PEER", "POSTCOPY", "PARALLEL"])
    assert check(policies, evaluator, libvirt_version="9.0.0", **kw).prediction == "accepted"
    assert check(policies, evaluator, libvirt_version="11.3.0", **kw).first_error.rule == "Q121"
    assert check(policies, evaluator, libvirt_version="9.0.0", facts={"qemu.version": "10.0"}, **kw
                 ).first_error.rule == "Q121"
    assert check(policies, evaluator, libvirt_version="11.3.0", facts={"qemu.version": "7.2"}, **kw
                 ).prediction == "accepted"
    between = check(policies, evaluator, libvirt_version="11.3.0", facts={"qemu.version": "9.0"}, **kw)
    assert between.prediction == "depends" and between.depends_on == ("fact:qemu.version",)


def test_multithread_compression_at_11_3_0_without_a_qemu_version(policies, evaluator):
    kw = dict(hypervisor="qemu", state="running", flags=["LIVE", "PEER2PEER", "COMPRESSED"], params={"compression": ["mt"]})
    r = check(policies, evaluator, libvirt_version="11.3.0", **kw)
    assert r.first_error.rule == "Q120" and "QEMU 10.0 (assumed for libvirt 11.3.0)" in r.first_error.fix.text
    assert check(policies, evaluator, libvirt_version="9.0.0", **kw).prediction == "accepted"


# -- defects with an aftermath ------------------------------------------------------------------------------

def test_tunnelled_tls_crashes_11_3_0_and_fails_9_0_0(policies, evaluator):
    kw = dict(hypervisor="qemu", state="running", flags=["LIVE", "PEER2PEER", "TUNNELLED", "TLS"])
    r11 = check(policies, evaluator, libvirt_version="11.3.0", **kw)
    assert r11.first_error.rule == "Q107" and r11.first_error.effect == "fail"
    assert "libvirtd crashes" in r11.first_error.message and policies.rules["Q107"].doc["aftermath"] == "daemon-crash"
    assert check(policies, evaluator, libvirt_version="9.0.0", **kw).first_error.rule == "Q101"
    assert check(policies, evaluator, libvirt_version="7.0.0", **kw).first_error.rule == "Q107"
    assert check(policies, evaluator, libvirt_version="12.8.0", **kw).first_error.rule == "Q106"
    # the same faulty code everywhere: a release nobody watched is predicted to crash, the worse outcome
    assert check(policies, evaluator, libvirt_version="10.0.0", **kw).first_error.rule == "Q107"


def test_refusal_in_the_source_perform_step_leaves_the_job(policies, evaluator):
    kw = dict(hypervisor="qemu", state="running", params={"auto_converge.initial": 20})
    for version in ("9.0.0", "11.3.0"):
        managed = check(policies, evaluator, flags=["LIVE"], mode="managed", libvirt_version=version, **kw)
        assert managed.first_error.rule == "Q075"
        q108 = [f for f in managed.findings if f.rule == "Q108"]
        assert q108 and q108[0].severity == "error" and q108[0].effect == "warn"
        p2p = check(policies, evaluator, flags=["LIVE", "PEER2PEER"], libvirt_version=version, **kw)
        assert "Q108" not in [f.rule for f in p2p.findings]
    # refused earlier (Begin), or at the destination: no job is left
    begin = check(policies, evaluator, flags=["LIVE", "ZEROCOPY"], mode="managed", **kw)
    assert begin.first_error.rule == "Q055" and "Q108" not in [f.rule for f in begin.findings]
    # a virsh command line closes its connection when it exits
    _, r = api.check_command_job("virsh migrate --live --auto-converge-initial 20 dom qemu+ssh://dst/system",
                                 hypervisor="qemu", state="running", libvirt_version="9.0.0", policies=policies)
    assert r.first_error.rule == "Q075" and "Q108" not in [f.rule for f in r.findings]


def test_first_error_is_unknown_when_an_earlier_error_is(policies):
    from miglint.model import Finding, Fix, Source

    def finding(phase, depends=()):
        return Finding("X", "x", "error", "reject", "m", None, "why", Fix(), Source("f", "g", "all"), phase, "value",
                       depends)
    node = Compiler(policies.vocab).compile({"first_error": {"phase": "params-src"}}, "test")
    request = Request(hypervisor="qemu", libvirt_version="9.0.0")
    ctx = Ctx(request, parse_version("9.0.0"), DriverView(0, 0, frozenset(), frozenset(), {}), 0, frozenset())
    for findings, expected in [([], False), ([finding("params-src")], True), ([finding("begin")], False),
                               ([finding("begin", ("state",)), finding("params-src")], None),
                               ([finding("params-src", ("state",))], None),
                               ([finding("begin", ("state",))], False)]:
        ctx.findings = findings
        assert node.test(ctx) is expected, findings


# -- first_item: libvirt's compression checks, item by item --------------------------------------------------

@pytest.mark.parametrize("version, parallel, methods, rule, item", [
    ("11.3.0", True, ["mt", "mt"], "Q079", "mt"),          # mt fails "not with parallel" before it repeats
    ("11.3.0", True, ["lz4", "mt"], "Q077", "lz4"),
    ("11.3.0", True, ["mt", "lz4"], "Q079", "mt"),
    ("11.3.0", False, ["mt", "mt", "lz4"], "Q078", "mt"),
    ("11.3.0", False, ["zstd", "zstd"], "Q080", "zstd"),
    ("11.3.0", True, ["zlib", "zlib"], "Q078", "zlib"),
    ("11.3.0", True, ["zlib", "zstd"], "Q081", "zstd"),
    ("11.3.0", True, ["zstd", "xbzrle"], "Q079", "xbzrle"),
    ("9.0.0", False, ["mt", "mt", "lz4"], "Q078", "mt"),
    ("9.0.0", False, ["lz4", "mt", "mt"], "Q077", "lz4"),
])
def test_compression_methods_are_checked_item_by_item(policies, evaluator, version, parallel, methods, rule, item):
    flags = ["LIVE", "PEER2PEER"] + (["PARALLEL"] if parallel else [])
    r = check(policies, evaluator, hypervisor="qemu", state="running", flags=flags, libvirt_version=version,
              params={"compression": methods})
    assert r.first_error.rule == rule
    assert rule == "Q081" or f"'{item}'" in r.first_error.message  # Q081's message names no method


@pytest.mark.parametrize("spec, value, expected", [
    ({"any_item": {"repeated": True}}, ("a", "b", "a"), True),
    ({"any_item": {"repeated": True}}, ("a", "b"), False),
    ({"any_item": {"equals": "b", "earlier": {"equals": "a"}}}, ("a", "b"), True),
    ({"any_item": {"equals": "b", "earlier": {"equals": "a"}}}, ("b", "a"), False),
    ({"first_item": {"equals": "x", "among": [{"in": ["x", "y"]}]}}, ("a", "y", "x"), False),
    ({"first_item": {"equals": "x", "among": [{"in": ["x", "y"]}]}}, ("a", "x", "y"), True),
])
def test_item_tests(policies, spec, value, expected):
    node = Compiler(policies.vocab).compile({"param": {"key": "compression", **spec}}, "test")
    request = Request(hypervisor="qemu", libvirt_version="9.0.0", params=(("compression", value),))
    ctx = Ctx(request, parse_version("9.0.0"), DriverView(0, 0, frozenset(), frozenset(), {}), 0, frozenset())
    assert node.test(ctx) is expected


# -- virsh: the first bad value in the order virsh reads the options -----------------------------------------

def virsh_first(policies, command, version):
    _, r = api.check_command_job(command, hypervisor="qemu", state="running", libvirt_version=version,
                                 policies=policies)
    return r.first_error.rule, r.first_error.message


@pytest.mark.parametrize("args, version, rule, subject", [
    ("--disks-port x --dname ''", "9.0.0", "V022", "disks-port"),       # disks-port is read before dname
    ("--dname '' --bandwidth x", "9.0.0", "V021", "dname"),
    ("--copy-storage-synchronous-writes --disks-port x", "9.0.0", "V022", "disks-port"),  # flags after values
    ("--copy-storage-synchronous-writes --disks-port x", "11.3.0", "V030", "synchronous"),  # flags before values
    ("--migrate-disks vda --disks-port x", "11.3.0", "V022", "disks-port"),
    ("--migrate-disks vda --comp-xbzrle-cache x", "11.3.0", "V023", "migrate-disks"),
    ("--migrate-disks vda --tls --tls-destination ''", "11.3.0", "V023", "migrate-disks"),
])
def test_virsh_reports_values_in_its_read_order(policies, args, version, rule, subject):
    got_rule, message = virsh_first(policies, f"virsh migrate --live --p2p {args} dom qemu+ssh://dst/system", version)
    assert got_rule == rule and subject in message


def test_read_order_is_per_version(policies):
    v9, v11 = policies.vocab.read_order(parse_version("9.0.0")), policies.vocab.read_order(parse_version("11.3.0"))
    assert "migrate-disks-detect-zeroes" not in v9 and v11["migrate-disks-detect-zeroes"] == v11["migrate-disks"] + 1
    assert policies.vocab.read_order(parse_version("10.0.0")) == v9
