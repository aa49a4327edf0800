"""The evaluator's general behaviour: order, three-valued answers, versions, facts, determinism."""

from __future__ import annotations

import pytest

from miglint.inputs.request import make_request


def check(policies, evaluator, **kw):
    return evaluator(make_request(policies, **kw))


def test_all_problems_at_once_in_libvirts_order(policies, evaluator):
    r = check(policies, evaluator, hypervisor="qemu", state="shutoff",
              flags=["OFFLINE", "TUNNELLED", "NON_SHARED_DISK", "NON_SHARED_INC", "PEER2PEER"])
    ids = [f.rule for f in r.findings]
    assert ids[:2] == ["A003", "Q052"]  # the client library's check comes first, then the source's Begin phase
    assert {"Q053", "Q054"} <= set(ids)
    assert r.first_error.rule == "A003"


def test_p2p_runs_parameter_checks_before_flag_checks(policies, evaluator):
    kw = dict(hypervisor="qemu", state="running", params={"parallel.connections": 2}, libvirt_version="9.0.0")
    p2p = check(policies, evaluator, flags=["LIVE", "PEER2PEER", "ZEROCOPY"], **kw)
    managed = check(policies, evaluator, flags=["LIVE", "ZEROCOPY"], **kw)
    assert p2p.first_error.rule == "Q076" and managed.first_error.rule == "Q055"


def test_state_unknown_is_depends_not_a_guess(policies, evaluator):
    r = check(policies, evaluator, hypervisor="qemu", flags=["LIVE", "PEER2PEER"])
    assert r.prediction == "depends" and r.depends_on == ("state",)
    r = check(policies, evaluator, hypervisor="qemu", flags=["LIVE", "PEER2PEER", "ZEROCOPY"])
    assert r.prediction == "rejected" and r.first_error.rule == "Q055"


def test_libvirt_versions_between_known_ones_follow_the_release_that_changed(policies, evaluator):
    kw = dict(hypervisor="qemu", state="running", flags=["LIVE", "PEER2PEER"], params={"migrate_disks": ["vda"]})
    assert check(policies, evaluator, libvirt_version="9.0.0", **kw).prediction == "accepted"
    assert check(policies, evaluator, libvirt_version="11.3.0", **kw).first_error.rule == "Q059"
    assert check(policies, evaluator, libvirt_version="9.10.0", **kw).prediction == "accepted"
    assert check(policies, evaluator, libvirt_version="10.0.0", **kw).first_error.rule == "Q059"  # NEWS v10.0.0


def test_rules_needing_facts_fire_only_with_them(policies, evaluator):
    kw = dict(hypervisor="qemu", state="running", flags=["LIVE", "PEER2PEER"])
    assert check(policies, evaluator, **kw).prediction == "accepted"
    r = check(policies, evaluator, facts={"domain.snapshots": 3}, **kw)
    assert r.first_error.message == "Requested operation is not valid: cannot migrate domain with 3 snapshots"


def test_flag_order_does_not_matter(policies, evaluator):
    a = check(policies, evaluator, hypervisor="vz", state="running", flags=["COMPRESSED", "TUNNELLED", "PEER2PEER"])
    b = check(policies, evaluator, hypervisor="vz", state="running", flags=["PEER2PEER", "TUNNELLED", "COMPRESSED"])
    assert a == b and a.first_error.message == "unsupported flags (0x804) in function vzDomainMigratePerform3Params"


@pytest.mark.parametrize("hv,flags,state,expected", [
    ("vz", ["LIVE", "PERSIST_DEST", "PEER2PEER"], "running", "accepted"),
    ("vz-2015", ["LIVE", "PERSIST_DEST", "PEER2PEER"], "running", "rejected"),
    ("vz", ["OFFLINE", "PEER2PEER"], "shutoff", "rejected"),
    ("vz-2015", ["OFFLINE", "PERSIST_DEST", "PEER2PEER"], "shutoff", "accepted"),
    ("libxl", ["LIVE", "PEER2PEER", "TUNNELLED"], "running", "accepted"),
    ("libxl", ["OFFLINE", "PERSIST_DEST"], "shutoff", "rejected"),
])
def test_hypervisors_differ(policies, evaluator, hv, flags, state, expected):
    assert check(policies, evaluator, hypervisor=hv, flags=flags, state=state).prediction == expected


def test_messages_are_libvirts(policies, evaluator):
    r = check(policies, evaluator, hypervisor="qemu", state="running", flags=["LIVE", "TUNNELLED"])
    assert r.first_error.message == "cannot perform tunnelled migration without using peer2peer flag"
    r = check(policies, evaluator, hypervisor="qemu", state="running", flags=["LIVE", "PEER2PEER"],
              params={"compression": ["mt", "lz4"]})
    assert r.first_error.message == "invalid argument: Unsupported compression method 'lz4'"


def test_power_of_two_value_test(policies):
    """`power_of_two: true|false` holds for integers only: 1, 2, 4, ... are powers of two; 0 and negatives are not."""
    from miglint.policy.compiler import Compiler
    from miglint.policy.conditions import Ctx
    from miglint.version import parse_version

    node = Compiler(policies.vocab).compile(
        {"param": {"key": "compression.xbzrle.cache", "power_of_two": False}}, "test")
    driver = policies.driver("qemu")

    def test(value):
        req = make_request(policies, hypervisor="qemu", params={"compression.xbzrle.cache": value})
        version = parse_version(req.libvirt_version)
        return node.test(Ctx(req, version, driver.view(version), 0, frozenset()))

    assert [test(v) for v in (1, 2, 4096, 2 ** 63)] == [False] * 4
    assert [test(v) for v in (0, 3, 1000, 12288)] == [True] * 4
    positive = Compiler(policies.vocab).compile({"param": {"key": "bandwidth", "power_of_two": True}}, "test")
    req = make_request(policies, hypervisor="qemu", params={"bandwidth": 0})
    version = parse_version(req.libvirt_version)
    assert positive.test(Ctx(req, version, driver.view(version), 0, frozenset())) is False


def test_a_parameter_libvirt_does_not_define_is_refused_with_a_hint(policies, evaluator):
    kw = dict(hypervisor="qemu", state="running", flags=["LIVE", "PEER2PEER"], libvirt_version="9.0.0")
    r = check(policies, evaluator, params={"bandwith": 100, "zz.bogus": 1}, **kw)
    assert r.first_error.rule == "Q002" and r.first_error.message == "argument unsupported: parameter 'bandwith' not supported"
    assert r.first_error.why.endswith("'bandwith' is no migration parameter libvirt defines (did you mean 'bandwidth'?).")
    r = check(policies, evaluator, params={"compression.zlib.level": 1}, **kw)
    assert r.first_error.why.endswith("'compression.zlib.level' comes with libvirt 9.4.0.")
    r = check(policies, evaluator, hypervisor="libxl", state="running", flags=["LIVE", "PEER2PEER"],
              params={"bandwidth": 1}, libvirt_version="9.0.0")
    assert r.first_error.rule == "X002" and "libvirt defines" not in r.first_error.why  # known, not for libxl
