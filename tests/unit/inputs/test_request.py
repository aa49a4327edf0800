"""Requests from structured values: the usual request, made from remembered checks, is the one every check in
turn makes; anything unusual gets checked_request's own error."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from miglint.errors import UserError
from miglint.inputs.request import checked_request, make_request
from miglint.policy.load import load_policies

POLICIES = load_policies(use_cache=False)
VOCAB = POLICIES.vocab
FLAGS = sorted(VOCAB.flags)
PARAM_NAMES = sorted(VOCAB.params) + [p.macro for p in VOCAB.params.values()][:5] + ["bandwith", "URI"]
anything = st.one_of(st.none(), st.booleans(), st.integers(-2**65, 2**65), st.text(max_size=6), st.floats(),
                     st.lists(st.text(max_size=4), max_size=3), st.tuples(st.text(max_size=3)), st.just({}))


def values(pool):
    return st.one_of(st.sampled_from(pool), anything)


@st.composite
def params(draw):
    """Mostly well-typed values (ints in and out of range, strings, lists), sometimes anything."""
    out = {}
    for name in draw(st.lists(st.sampled_from(PARAM_NAMES), max_size=4, unique=True)):
        pd = VOCAB.params.get(name)
        typed = (st.lists(st.text(max_size=3), max_size=3) | st.text(max_size=3)) if pd and pd.multi else \
            st.text(max_size=5) if pd and pd.type == "string" else st.integers(-2**33, 2**65)
        out[name] = draw(st.one_of(typed, typed, anything))
    return out


@settings(deadline=None, max_examples=800, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(st.fixed_dictionaries({}, optional={
    "hypervisor": values(POLICIES.hypervisors + ["kvm", "QEMU"]),
    "state": values(["running", "paused", "shutoff", "unknown", "active", "Running"]),
    "libvirt_version": values(["9.0.0", "11.3.0", "10", "9.0", "", "9.x", "12.0.0"]),
    "mode": values(["managed", "p2p", "direct", "P2P"]),
    "flags": st.one_of(st.lists(st.sampled_from(FLAGS + ["live", "VIR_MIGRATE_LIVE", "LIVEE"]), max_size=5),
                       st.tuples(st.sampled_from(FLAGS)), st.integers(-1, 2**33), st.sampled_from(["LIVE|TLS", "0x3"]),
                       anything),
    "params": st.one_of(params(), params(), anything),
    "facts": st.one_of(st.none(), st.just({}), st.dictionaries(st.sampled_from(["domain.snapshots", "host.x"]),
                                                                anything, max_size=2), anything),
    "domain": values(["web-1"]), "desturi": values(["qemu+ssh://dst/system"]),
}))
def test_remembered_checks_make_the_same_request(kw):
    kw.setdefault("hypervisor", "qemu")
    try:
        expected = checked_request(POLICIES, **kw)
    except UserError as e:
        try:
            make_request(POLICIES, **kw)
        except UserError as got:
            assert (got.message, got.at, got.part) == (e.message, e.at, e.part)
        else:
            raise AssertionError(f"make_request took what checked_request refuses: {e.message}")
        return
    assert make_request(POLICIES, **kw) == expected
    assert make_request(POLICIES, **kw) == expected  # the second time from the remembered answers
