"""Condition nodes: three-valued tests, what they bind, partial evaluation (simplify) and words (describe)."""

from __future__ import annotations

import pytest

from miglint.inputs.request import make_request
from miglint.model import Request
from miglint.policy.compiler import Compiler
from miglint.policy.conditions import (
    FALSE,
    TRUE,
    All,
    Any_,
    Ctx,
    DriverView,
    Flags,
    FirstError,
    Known,
    Libvirt,
    Not,
    const,
    generic_known,
    version_only,
    walk,
)
from miglint.version import parse_version


def compile_(policies, spec):
    return Compiler(policies.vocab).compile(spec, "test")


def ctx(policies, state="running", flags=(), params=None, version="9.0.0", mode=None, maybe_flags=0):
    req = make_request(policies, hypervisor="qemu", state=state, flags=list(flags), params=params,
                       libvirt_version=version, mode=mode)
    v = parse_version(version)
    return Ctx(req, v, policies.driver("qemu").view(v), maybe_flags, frozenset())


def known(policies, flags=None, version=None, modes=("managed", "p2p", "direct")):
    flags = flags or {}
    options = {policies.vocab.option_for_flag[f]: v for f, v in flags.items() if f in policies.vocab.option_for_flag}
    return Known(flags, options, {}, {}, None if version is None else parse_version(version), modes)


class Fixed:
    """A leaf whose answer is given: for the three-valued connectives."""

    def __init__(self, value):
        self.value = value

    def test(self, ctx):
        return self.value

    def bind(self, ctx, out):
        out.setdefault("seen", []).append(self.value)

    def children(self):
        return ()


@pytest.mark.parametrize("values, all_, any_", [
    ((True, True), True, True), ((True, None), None, True), ((None, None), None, None),
    ((False, None), False, None), ((True, False), False, True), ((False, False), False, False),
])
def test_kleene_connectives(values, all_, any_):
    leaves = [Fixed(v) for v in values]
    assert All(leaves).test(None) is all_
    assert Any_(leaves).test(None) is any_


def test_not_keeps_unknown_unknown():
    assert Not(Fixed(None)).test(None) is None
    assert Not(Fixed(True)).test(None) is False


def test_any_binds_the_first_alternative_that_may_hold():
    out = {}
    Any_([Fixed(False), Fixed(None), Fixed(True)]).bind(None, out)
    assert out == {"seen": [None]}


def test_flags_test_and_bind(policies):
    node = compile_(policies, {"flags": {"all": ["OFFLINE"], "none": ["PERSIST_DEST"]}})
    assert node.test(ctx(policies, "shutoff", ["OFFLINE"])) is True
    assert node.test(ctx(policies, "shutoff", ["OFFLINE", "PERSIST_DEST"])) is False
    out = {}
    node.bind(ctx(policies, "shutoff", ["OFFLINE"]), out)
    assert out == {"subjects": ["flag:OFFLINE"], "flag": "OFFLINE"}


def test_a_flag_that_may_be_hidden_in_an_unknown_word_makes_the_test_unknown(policies):
    node = compile_(policies, {"flags": {"all": ["LIVE"], "none": ["OFFLINE"]}})
    c = ctx(policies, flags=["LIVE"], maybe_flags=policies.vocab.flags["OFFLINE"].value)
    assert node.test(c) is None and c.unknowns == ["options"]


def test_state_unknown_is_a_dependency(policies):
    node = compile_(policies, {"state": "shutoff"})
    c = ctx(policies, state="unknown")
    assert node.test(c) is None and c.unknowns == ["state"]


def test_libvirt_range_and_unsure_range(policies):
    node = compile_(policies, {"libvirt": ">=11.3.0", "libvirt_unsure": ">9.0.0,<11.3.0"})
    assert isinstance(node, Libvirt)
    assert node.test(ctx(policies, version="9.0.0")) is False
    assert node.test(ctx(policies, version="11.3.0")) is True
    c = ctx(policies, version="10.0.0")
    assert node.test(c) is None and c.unknowns == ["libvirt_version"]


def test_libvirt_ranges_may_be_lists(policies):
    """A list of ranges is their union: a check some releases make, others not, then again."""
    node = compile_(policies, {"libvirt": ["<=7.0.0", ">=10.0.0"], "libvirt_unsure": [">7.0.0,<8.7.0", ">9.0.0,<10.0.0"]})
    assert [node.test(ctx(policies, version=v)) for v in ("7.0.0", "8.7.0", "9.0.0", "10.0.0", "12.8.0")] == \
        [True, False, False, True, True]
    c = ctx(policies, version="8.0.0")
    assert node.test(c) is None and c.unknowns == ["libvirt_version"]
    assert node.describe(policies.vocab) == ("libvirt <=7.0.0 or >=10.0.0 and "
                                             "(not known for libvirt >7.0.0,<8.7.0 or >9.0.0,<10.0.0)")
    assert node.simplify(known(policies, version="9.0.0")) is FALSE
    assert node.simplify(known(policies, version="12.8.0")).describe(policies.vocab) == "libvirt <=7.0.0 or >=10.0.0"


def test_the_pair_of_ranges_stands_where_the_policy_wrote_it(policies):
    node = compile_(policies, {"state": "running", "libvirt_unsure": "<9.0.0", "flags": ["LIVE"], "libvirt": ">=9.0.0"})
    assert [type(n).__name__ for n in node.children()] == ["InSet", "Libvirt", "Flags"]


def test_simplify_fixes_flags_and_leaves_the_rest(policies):
    node = compile_(policies, {"state": "shutoff", "flags": {"all": ["OFFLINE"], "none": ["PERSIST_DEST"]}})
    assert const(node.simplify(known(policies, {"OFFLINE": False}))) is False
    residual = node.simplify(known(policies, {"PERSIST_DEST": False}))
    assert residual.describe(policies.vocab) == "the domain is shut off and --offline"
    assert node.simplify(known(policies, {"OFFLINE": True, "PERSIST_DEST": False})).describe(policies.vocab) == \
        "the domain is shut off"


def test_simplify_decides_modes_and_versions(policies):
    node = compile_(policies, {"mode": "p2p", "libvirt": ">=9.4.0"})
    assert const(node.simplify(known(policies, modes=("managed",)))) is False
    assert node.simplify(known(policies, modes=("p2p",), version="9.0.0")) is FALSE
    left = node.simplify(known(policies, modes=("p2p",), version="11.3.0"))
    assert left.describe(policies.vocab) == "libvirt >=9.4.0" and version_only(left)
    assert node.simplify(known(policies, modes=("p2p",))).describe(policies.vocab) == "libvirt >=9.4.0"


def test_simplify_inside_an_unsure_range_says_so(policies):
    node = compile_(policies, {"libvirt": ">=11.3.0", "libvirt_unsure": ">9.0.0,<11.3.0"})
    left = node.simplify(known(policies, version="10.0.0"))
    assert left.describe(policies.vocab) == "(not known for libvirt >9.0.0,<11.3.0)" and not version_only(left)
    assert node.simplify(known(policies, version="11.3.0")).describe(policies.vocab) == "libvirt >=11.3.0"


def test_constants_fold_away():
    assert All([TRUE, TRUE]).simplify(None) is TRUE
    assert Any_([FALSE, FALSE]).simplify(None) is FALSE
    assert const(Not(FALSE).simplify(None)) is True


def test_describe_brackets_alternatives_and_puts_versions_last(policies):
    node = compile_(policies, {"libvirt": "<11.3.0", "any": [{"flags": ["TUNNELLED"]}, {"params": ["migrate_uri"]}],
                               "mode": "p2p"})
    assert node.simplify(generic_known(policies.vocab)).describe(policies.vocab) == \
        "(--tunnelled or --migrateuri) and p2p mode and libvirt <11.3.0"


def test_values_are_described_as_written(policies):
    node = compile_(policies, {"param": {"key": "bandwidth", "gt": 100, "present": True}})
    assert node.describe(policies.vocab) == "--bandwidth > 100 and is given"
    fact = compile_(policies, {"fact": {"name": "domain.snapshots", "gt": 0}})
    assert fact.describe(policies.vocab) == "domain.snapshots > 0"


def test_walk_and_first_error_groups(policies):
    node = compile_(policies, {"all": [{"first_error": {"phase": ["params-src"]}}, {"not": {"flags": ["LIVE"]}}]})
    kinds = [type(n) for n in walk(node)]
    assert FirstError in kinds and Flags in kinds
    fe = next(n for n in walk(node) if isinstance(n, FirstError))
    assert fe.listed == ("params-src",)


def test_first_error_is_unknown_while_an_earlier_error_is(policies):
    node = FirstError(["prepare"])

    class F:
        def __init__(self, phase, depends=()):
            self.effect, self.phase, self.depends_on = "reject", phase, depends

    c = Ctx(Request("qemu", "9.0.0"), (9, 0, 0), DriverView(0, 0, frozenset(), frozenset(), {}), 0, frozenset())
    c.findings = [F("begin", ("state",)), F("prepare")]
    assert node.test(c) is None and c.unknowns == ["state"]
    c.findings = [F("prepare")]
    assert node.test(c) is True
    c.findings = [F("begin")]
    assert node.test(c) is False


def test_qemu_ranges_may_be_lists(policies):
    node = compile_(policies, {"qemu": [">=5.2,<6.0", ">=7.2"], "qemu_unsure": ["<5.2", ">=6.0,<7.2"]})
    def at(qemu):
        c = ctx(policies)
        c.facts["qemu.version"] = qemu
        return node.test(c), c.unknowns
    assert [at(q)[0] for q in ("5.2.0", "6.2", "7.2.22", "11.1.3", "4.2")] == [True, None, True, True, None]
    assert at("6.2") == (None, ["fact:qemu.version"])
    assert node.describe(policies.vocab) == "QEMU >=5.2,<6.0 or >=7.2 and (not known for QEMU <5.2, >=6.0,<7.2)"


def test_a_fact_is_bound_by_its_name_too(policies):
    node = compile_(policies, {"fact": {"name": "host.uuid", "if_missing": True}})
    c = ctx(policies)
    c.facts["host.uuid"] = "5ac0ffee"
    out: dict = {}
    node.bind(c, out)
    assert out["host_uuid"] == "5ac0ffee" and out["value"] == "5ac0ffee"
    c = ctx(policies)
    assert node.test(c) is True and c.unknowns == []
