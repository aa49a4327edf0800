"""The evaluation key (engine.projection): requests evaluated directly and through the key give identical
results, messages included; what no rule tests makes no new key."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from miglint.engine.evaluate import Evaluator
from miglint.engine import projection
from miglint.engine.projection import Projection
from miglint.errors import UserError
from miglint.inputs.request import make_request
from miglint.inputs.virsh import command_job
from miglint.model import UNKNOWN, Request
from miglint.policy.load import load_policies

POLICIES = load_policies(use_cache=False)
VOCAB = POLICIES.vocab
FLAGS = sorted(VOCAB.flags)
SETTINGS = settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow], derandomize=True)

# Small pools, so that requests often share a key and the cache answers: values near the policies' limits, values
# that no rule tells apart, and values the messages show.
STRINGS = ["", "a", "vda", "mt", "xbzrle", "zlib", "zstd", "unix:/run/x.sock", "tcp://dst:49152", "tcp://:49152",
           "tcp://:49999", "rdma://h", "dst", "localhost", "host-1", "host-2"]
INTS = [0, 1, 2, 3, 4, 7, 8, 64, 100, 255, 256, 1024, 2**31 - 1, 17592186044415, 17592186044416, 2**64 - 1]
LISTS = [(), ("vda",), ("vdb",), ("vda", "vdb"), ("vda", "vda"), ("vdb", "vdb"), ("mt",), ("xbzrle", "mt"),
         ("zlib", "zstd"), ("mt", "mt"), ("xbzrle", "xbzrle"), ("zlib", "zlib"), ("zstd", "xbzrle"), ("lz4",)]
URIS = [None, "qemu+ssh://dst/system", "qemu+ssh://other/system", "qemu+ssh://localhost/system", "qemu:///system",
        "qemu+unix:///system?socket=/run/dst.sock", "vz+ssh://dst/system", "xen+ssh://dst/system", "dst"]
DOMAINS = [None, "web-1", "web-2", "Domain-0", "db"]


def param_value(key: str) -> st.SearchStrategy[object]:
    pd = VOCAB.params[key]
    if pd.multi:
        return st.sampled_from(LISTS)
    return st.sampled_from(STRINGS) if pd.type == "string" else st.sampled_from(INTS)


def fact_value(name: str) -> st.SearchStrategy[object]:
    t = VOCAB.facts[name].type
    pools: dict[str, st.SearchStrategy[object]] = {
        "integer": st.sampled_from([0, 1, 2, 3]), "boolean": st.booleans(), "string": st.sampled_from(STRINGS),
        "list": st.sampled_from(LISTS), "version": st.sampled_from(["7.2", "8.2.2", "9.1", "9.2.0", "10.0.0"])}
    return st.one_of(pools[t], st.just(UNKNOWN))


GIVEN_FACTS = sorted(n for n, f in VOCAB.facts.items() if not f.internal)


@st.composite
def api_requests(draw: st.DrawFn) -> Request:
    hv = draw(st.sampled_from(POLICIES.hypervisors))
    params = draw(st.dictionaries(st.sampled_from(sorted(VOCAB.params)), st.none(), max_size=3))
    params = {k: draw(param_value(k)) for k in params}
    facts = draw(st.dictionaries(st.sampled_from(GIVEN_FACTS), st.none(), max_size=2))
    facts = {k: draw(fact_value(k)) for k in facts}
    base = make_request(POLICIES, hypervisor=hv, state=draw(st.sampled_from(["running", "paused", "shutoff", None])),
                        libvirt_version=draw(st.sampled_from(["9.0.0", "10.0.0", "11.3.0"])),
                        mode=draw(st.sampled_from([None, "managed", "p2p", "direct"])),
                        flags=draw(st.lists(st.sampled_from(FLAGS), max_size=5)), domain=draw(st.sampled_from(DOMAINS)),
                        desturi=draw(st.sampled_from(URIS)))
    # Values the API would refuse (UNKNOWN, lists as facts' values) come from other inputs: set them directly.
    return replace(base, params=tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items())),
                   facts=tuple(sorted(facts.items())))


OPTION_WORDS = ["--live", "--p2p", "--offline", "--persistent", "--tunnelled", "--copy-storage-all", "--compressed",
                "--parallel", "--timeout 5", "--timeout 0", "--bandwidth 100", "--bandwidth -1",
                "--migrateuri tcp://dst:49152", "--migrateuri tcp://:4", "--migrate-disks vda,vda", "--dname ''",
                "--comp-methods mt,mt", "--postcopy", "--tls", "$OPTS", "--livee", "--timeout x"]


@st.composite
def command_requests(draw: st.DrawFn) -> Request:
    words = draw(st.lists(st.sampled_from(OPTION_WORDS), max_size=5))
    dom = draw(st.sampled_from(["web-1", "web-2", "$DOM"]))
    uri = draw(st.sampled_from([u for u in URIS if u] + ["$DEST"]))
    try:
        job = command_job(f"virsh migrate {' '.join(words)} {dom} {uri}", policies=POLICIES, hypervisor=None,
                          state=draw(st.sampled_from(["running", "shutoff", "unknown"])),
                          version=VOCAB.version(draw(st.sampled_from(["9.0.0", "11.3.0"]))), job_id="x", file="t")
    except UserError:
        return make_request(POLICIES, hypervisor="qemu")
    return job.request


def test_the_builtin_policies_project():
    """Every condition and value test of the built-in policies is known to the projection (else the key would be
    the whole request: correct, but no faster)."""
    assert Projection.of(POLICIES).opaque_because is None


@st.composite
def siblings(draw: st.DrawFn) -> list[Request]:
    """A request and others like it: the same names given, other values (often one key, other messages)."""
    first = draw(st.one_of(api_requests(), command_requests()))
    out = [first]
    for _ in range(draw(st.integers(1, 6))):
        params = tuple((k, v if v is UNKNOWN else draw(param_value(k))) for k, v in first.params)
        facts = tuple((k, draw(fact_value(k)) if k in VOCAB.facts else v) for k, v in first.facts)
        out.append(replace(first, params=params, facts=facts, domain=draw(st.sampled_from(DOMAINS)),
                           desturi=draw(st.sampled_from(URIS))))
    return out


@SETTINGS
@given(st.lists(siblings(), min_size=1, max_size=5), st.randoms(use_true_random=False))
def test_through_the_key_equals_direct(groups, rng):
    requests = [r for g in groups for r in g]
    rng.shuffle(requests)
    cached = Evaluator(POLICIES, cache_size=8)
    direct = Evaluator(POLICIES, compiled=False)  # each rule's nodes as they are: the reference
    for r in requests:
        assert cached(r) == direct.evaluate(r)


@SETTINGS
@given(api_requests(), st.data())
def test_same_key_same_findings(request, data):
    """Two requests with one key: the findings of one, evaluated directly, are the other's, message for message,
    once the values their texts show are the same too."""
    ev = Evaluator(POLICIES)
    other = replace(request, domain=data.draw(st.sampled_from(DOMAINS)), desturi=data.draw(st.sampled_from(URIS)),
                    params=tuple((k, data.draw(param_value(k))) for k, _ in request.params))
    other = replace(other, params=tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in other.params))
    if ev.key(other) != ev.key(request):
        return
    a, b = ev.evaluate(request), ev.evaluate(other)
    refs = ev._render_refs(a)
    from miglint.engine.projection import render_values
    if render_values(request, refs) == render_values(other, refs):
        assert a.findings == b.findings and a.prediction == b.prediction and a.depends_on == b.depends_on


def test_untested_values_share_a_key():
    proj = Projection.of(POLICIES)
    kw = dict(hypervisor="qemu", state="running", flags=["LIVE", "PEER2PEER"], libvirt_version="9.0.0")
    a = make_request(POLICIES, params={"destination_name": "web-1-new", "bandwidth": 100}, domain="web-1",
                     desturi="qemu+ssh://kvm-1.dc1/system", **kw)
    b = make_request(POLICIES, params={"destination_name": "web-2-new", "bandwidth": 250}, domain="web-2",
                     desturi="qemu+ssh://kvm-2.dc1/system", **kw)
    assert proj.key(a) == proj.key(b)
    empty = make_request(POLICIES, params={"destination_name": "", "bandwidth": 250}, domain="web-2", **kw)
    local = make_request(POLICIES, params={"destination_name": "x", "bandwidth": 250}, domain="web-2",
                         desturi="qemu+ssh://localhost/system", **kw)
    assert len({proj.key(a), proj.key(empty), proj.key(local)}) == 3  # values the rules tell apart


@pytest.mark.parametrize("kw,first,second", [
    # libxl's missing-host rule shows the migration URI: one key, two messages
    (dict(hypervisor="libxl", state="running", flags=["LIVE", "PEER2PEER"]),
     {"params": {"migrate_uri": "tcp://:4000"}}, {"params": {"migrate_uri": "tcp://:5000"}}),
    # a rule that shows the domain's name
    (dict(hypervisor="qemu", state="running", flags=["LIVE", "PEER2PEER", "POSTCOPY", "POSTCOPY_RESUME"],
          facts={"domain.postcopy_failed": False}), {"domain": "web-1"}, {"domain": "web-2"}),
])
def test_messages_show_each_requests_values(kw, first, second):
    ev = Evaluator(POLICIES)
    a = ev(make_request(POLICIES, **kw, **first))
    b = ev(make_request(POLICIES, **kw, **second))
    assert ev.key(a.request) == ev.key(b.request)
    assert [f.message for f in a.findings] != [f.message for f in b.findings]
    assert b == Evaluator(POLICIES).evaluate(b.request)


def test_keys_stay_the_same_when_the_table_of_recurring_values_is_given_up(monkeypatch):
    # Destination URIs that never recur: the signers' tables stop answering and are given up; the keys do not change.
    monkeypatch.setattr(projection, "MEMO_SIZE", 16)
    kw = dict(hypervisor="qemu", state="running", flags=["LIVE", "PEER2PEER"], libvirt_version="9.0.0")
    uris = [f"qemu+ssh://kvm-{i}.dc1/system" for i in range(200)] + ["qemu+ssh://localhost/system", "qemu:///system"]
    requests = [make_request(POLICIES, desturi=u, **kw) for u in uris]
    fresh = Projection.of(POLICIES)  # its signers made after the patch: small tables
    keys = [fresh.key(r) for r in requests]
    assert keys == [fresh.key(r) for r in requests]  # asked again, after giving up
    assert len(set(keys[:200])) == 1 and len(set(keys)) == 3
