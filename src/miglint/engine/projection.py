"""What the rules read of a request, derived from the policies: the key an evaluation is remembered by.

Two requests that differ only in what no rule reads get the same findings, so the evaluator answers the
second from the first. What a rule reads is found in its conditions, never listed here:

- the hypervisor, libvirt version, state, mode, flag set, virsh problems and whether options may be hidden
  (a bare ``$VAR``): every one of these, exactly;
- which parameters, virsh options and facts are given (``params_outside`` and ``needs`` look at every name);
- the *value* of a parameter, option or fact only when some condition tests it, and then only as the answers
  of those tests (its *signature*: ``bandwidth`` tested by ``gt: 17592186044415`` has two values, below and
  above), or the value itself when a test compares it with another value (``in_param``, ``in_fact``) or is of
  a kind this module does not know (then nothing is bucketed: see ``opaque``).

A finding's text may show values its rule does not test (``{domain}``, ``{value}``, ``{item}``): those
(:func:`render_refs`) join the key of the requests whose findings show them, so a cached message
is never another request's.

A node or value test this module does not know makes the projection ``opaque``: the key is then the whole
request (correct, only slower); tests/unit/engine/test_projection.py fails on such a node in the built-in
policies, so a new condition kind gets taught here when it is added.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, NamedTuple

from ..model import UNKNOWN, Request
from ..policy.conditions import (
    All,
    Any_,
    Const,
    Feature,
    FirstError,
    Flags,
    FlagsOutside,
    InSet,
    Libvirt,
    Node,
    Not,
    Options,
    Params,
    ParamsOutside,
    Qemu,
    Value,
    VirshProblemNode,
    walk,
)
from ..policy.load import PolicySet, Rule
from ..policy.values import URI_PARTS, ValueTest

Ref = tuple[str, str]  # ("param" | "option" | "fact", name)
Signer = Callable[[Any], Hashable]

# Nodes that read nothing but the request's fixed parts (hypervisor, version, state, mode, flags, names given,
# virsh problems): they never make a value part of the key.
PLAIN_NODES: tuple[type, ...] = (All, Any_, Not, Const, Flags, Params, Options, FlagsOutside, ParamsOutside, InSet,
                                 Libvirt, Feature, FirstError, VirshProblemNode)
# Value tests whose answer is a function of the value alone (nested tests included): a value is bucketed by them.
PURE_TESTS = frozenset({"equals", "in", "not_in", "gt", "ge", "lt", "le", "version_gt", "version_ge", "version_lt",
                        "version_le", "power_of_two", "empty", "starts_with", "not_starts_with", "ends_with",
                        "contains", "any_item", "first_item", "repeated", "earlier", "duplicate_items", "count",
                        "uri", "mod", "lower", *URI_PARTS})
# Value tests that compare with another parameter or fact: both values go into the key exactly.
REF_TESTS = {"in_param": "param", "not_in_param": "param", "in_fact": "fact", "not_in_fact": "fact"}
# Message placeholders whose value the key already fixes (bound from flags, names given, virsh problems, the
# QEMU version, which is kept exactly). Any other placeholder makes the rule's inputs part of the key.
FIXED_PLACEHOLDERS = frozenset({"hypervisor", "mode", "state", "version", "flag", "param", "option", "bits",
                                "did_you_mean", "qemu_version"})
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
# The request's own attributes that conditions read as facts.
REQUEST_FACTS = ("request.desturi", "request.domain", "request.connect_uri")
QEMU_FACT = "qemu.version"
MEMO_SIZE = 4096  # signatures remembered per set of costly tests, for values that recur (destination URIs)
# Tests whose answer costs more than a table lookup (a URI parsed, a list walked): their signatures are remembered.
COSTLY_TESTS = frozenset({"any_item", "first_item", "duplicate_items", "count", "uri", *URI_PARTS})


class Reads(NamedTuple):
    """What some conditions read of a request's values: per parameter, option or fact, the tests applied to it
    (None: its exact value), and why no value can be bucketed (a node or test this module does not know)."""

    tests: tuple[tuple[Ref, tuple[ValueTest, ...] | None], ...]
    opaque: str | None = None


def reads(nodes: Iterable[Node]) -> Reads:
    tested: dict[Ref, dict[int, ValueTest] | None] = {}
    opaque = None

    def exact(ref: Ref) -> None:
        tested[ref] = None

    for node in nodes:
        if isinstance(node, Value):
            ref = (node.source, node.name)
            for t in node.tests:
                kind, others = _classify(t.key, t.arg)
                if kind == "unknown":
                    opaque = f"value test {t.key!r} (on {node.source} {node.name})"
                elif kind == "ref":
                    exact(ref)
                    for other in others:
                        exact(other)
            if ref not in tested:
                tested[ref] = {}
            entry = tested[ref]
            if entry is not None:
                for t in node.tests:
                    entry.setdefault(id(t), t)
        elif isinstance(node, Qemu):
            exact(("fact", QEMU_FACT))
        elif not isinstance(node, PLAIN_NODES):
            opaque = f"condition node {type(node).__name__}"
    return Reads(tuple((ref, None if t is None else tuple(t.values())) for ref, t in tested.items()), opaque)


def rule_reads(rule: Rule) -> Reads:
    return reads(walk(rule.when))


class Projection:
    """The key of a request's evaluation (see the module docstring), for the conditions whose reads are given:
    a selection's rules (those that can fire for a driver, version, mode, state, flags and names given), or
    every rule of a policy set (:meth:`of`)."""

    def __init__(self, parts: Iterable[Reads], shared: dict[tuple[int, ...], Signer] | None = None) -> None:
        """``shared``: signers already made, by the tests they apply (so that their tables of recurring values
        are shared too)."""
        self.opaque_because: str | None = None
        merged: dict[Ref, dict[int, ValueTest] | None] = {}
        for part in parts:
            if part.opaque is not None:
                self.opaque_because = part.opaque
            for ref, tests in part.tests:
                if tests is None:
                    merged[ref] = None
                    continue
                entry = merged.setdefault(ref, {})
                if entry is not None:
                    for t in tests:
                        entry.setdefault(id(t), t)
        shared = {} if shared is None else shared
        self._signers: dict[Ref, Signer | None] = {}
        for ref, entry in merged.items():
            if entry is None:
                self._signers[ref] = None
                continue
            ids = tuple(entry)
            signer = shared.get(ids)
            if signer is None:
                signer = shared[ids] = _signer([t.fn for t in entry.values()],
                                               any(t.key in COSTLY_TESTS for t in entry.values()))
            self._signers[ref] = signer
        self.params = {name: s for (src, name), s in self._signers.items() if src == "param"}
        self.options = {name: s for (src, name), s in self._signers.items() if src == "option"}
        self.facts = {name: s for (src, name), s in self._signers.items() if src == "fact"}
        # The request's own URIs and domain name, which conditions read as facts: presence only, unless tested.
        self._request_facts: tuple[tuple[str, Signer | None], ...] = tuple(
            (name.split(".", 1)[1], self.facts[name] if name in self.facts else _given) for name in REQUEST_FACTS)

    @classmethod
    def of(cls, policies: PolicySet, shared: dict[tuple[int, ...], Signer] | None = None) -> Projection:
        """Every rule's conditions and the assumptions' of a policy set (``shared``: as for the constructor)."""
        nodes: list[Node] = [n for r in policies.rules.values() for n in walk(r.when)]
        nodes += [n for node, _, _ in policies.assumed_states for n in walk(node)]
        return cls([reads(nodes)], shared)

    @property
    def opaque(self) -> bool:
        return self.opaque_because is not None

    def key(self, r: Request) -> Hashable:
        """Equal keys, equal findings (given equal :func:`render_values` for the rules that fire)."""
        if self.opaque_because is not None:
            return r
        return (names(r), self.values(r))

    def values(self, r: Request) -> Hashable:
        """The values given, as the rules read them: for each parameter, option and fact tested (in the request's
        order), its signature or itself. With :func:`names`, the key."""
        if self.opaque_because is not None:
            return r
        out: list[Hashable] = []
        if r.params:
            _signatures(r.params, self.params, out)
        if r.options:
            _signatures(r.options, self.options, out)
        if r.facts:
            _signatures(r.facts, self.facts, out)
        for attr, signer in self._request_facts:
            v = getattr(r, attr)
            if v is not None and signer is not _given:
                out.append(signer(v) if signer is not None else (v.__class__, v))
        return tuple(out)


def names(r: Request) -> tuple[Hashable, ...]:
    """Everything of a request the rules read exactly, and the names it gives (without their values): its
    driver, version, mode, state, kind (API or virsh), whether options, flags or parameters may be hidden, flags, the
    names of its
    parameters, options and facts, virsh's problems, and whether it gives its URIs and domain name."""
    params, options, facts = r.params, r.options, r.facts
    return (r.hypervisor, r.libvirt_version, r.mode, r.state, r.open_options, r.open_flags, r.open_params, r.flags,
            tuple([k for k, _ in params]) if params else (),
            None if options is None else tuple([k for k, _ in options]), r.virsh_problems,
            tuple([k for k, _ in facts]) if facts else (),
            r.desturi is None, r.domain is None, r.connect_uri is None)


def render_refs(rule: Rule) -> tuple[Ref, ...]:
    """The inputs whose exact values a finding of this rule may show (in its message, its variants', its fix
    text), beyond what a key fixes."""
    texts = [rule.message, rule.fix.text] + [v.message or "" for v in rule.variants]
    names = {m for t in texts for m in _PLACEHOLDER.findall(t)}
    refs: dict[Ref, None] = {}
    if "domain" in names:
        refs[("fact", "request.domain")] = None
    if "desturi" in names:
        refs[("fact", "request.desturi")] = None
    if names - FIXED_PLACEHOLDERS - {"domain", "desturi"}:
        for node in walk(rule.when):
            if isinstance(node, Value):
                refs[(node.source, node.name)] = None
                for t in node.tests:
                    for ref in _classify(t.key, t.arg)[1]:
                        refs[ref] = None
    return tuple(refs)


def render_values(r: Request, refs: tuple[Ref, ...]) -> tuple[Any, ...]:
    """The exact values of ``refs`` in a request (a marker for the absent ones)."""
    out: list[Any] = []
    for source, name in refs:
        if source == "param":
            out.append(_lookup(r.params, name))
        elif source == "option":
            out.append(_lookup(r.options or (), name))
        elif name in REQUEST_FACTS:
            out.append(getattr(r, name.split(".", 1)[1]))
        else:
            out.append(_lookup(r.facts, name))
    return tuple(out)


MISSING = ("<absent>",)  # render_values of a value not given


def _lookup(pairs: tuple[tuple[str, Any], ...], name: str) -> Any:
    for k, v in pairs:
        if k == name:
            return (v,)
    return MISSING


def _classify(key: str, arg: Any) -> tuple[str, list[Ref]]:
    """("pure" | "ref" | "unknown", the other values a test compares with), nested tests included."""
    if key in REF_TESTS:
        return "ref", [(REF_TESTS[key], str(arg))]
    if key not in PURE_TESTS:
        return "unknown", []
    nested: list[Mapping[str, Any]] = []
    if key in URI_PARTS or key in ("any_item", "earlier", "count"):
        nested = [arg] if isinstance(arg, Mapping) else []
    elif key == "uri" and isinstance(arg, Mapping):  # rewrite and parses are constants; the parts' tests nest
        nested = [{k: a for k, a in arg.items() if k in URI_PARTS}]
    elif key == "lower" and isinstance(arg, Mapping):
        nested = [arg]
    elif key == "mod" and isinstance(arg, Mapping):
        nested = [{k: a for k, a in arg.items() if k != "by"}]
    elif key == "first_item" and isinstance(arg, Mapping):
        nested = [{k: a for k, a in arg.items() if k != "among"}] + [a for a in arg.get("among") or []
                                                                        if isinstance(a, Mapping)]
    kind, refs = "pure", []
    for tests in nested:
        for k, a in tests.items():
            if k in ("key", "name", "present"):
                continue
            sub, sub_refs = _classify(k, a)
            if sub == "unknown":
                return "unknown", []
            if sub == "ref":
                kind = "ref"
            refs += sub_refs
    return kind, refs


def _signer(fns: list[Callable[[Any, dict[str, Any], Any], bool]], costly: bool = True) -> Signer:
    """The signature of a value: each test's answer; UNKNOWN stays itself. With ``costly`` tests, values that
    recur are remembered (a bounded table, emptied when full); cheap ones are answered each time."""
    memo: dict[Any, Hashable] = {}

    def answers(v: Any) -> Hashable:
        try:
            return tuple([f(v, {}, None) for f in fns])
        except Exception:  # a test that cannot take this value: keep the value itself
            return ("=", v.__class__, v)

    seen = [0, 0]  # lookups, hits: a table that rarely answers (values that never recur) is given up for good
    shapes: dict[Hashable, Hashable] = {}

    def sign(v: Any) -> Hashable:
        if v is UNKNOWN:
            return _UNKNOWN
        if seen[0] < 0:  # given up
            return answers(v)
        key: Hashable = v if v.__class__ is str else (v.__class__, v)  # 1 == True, but tests tell them apart
        try:
            got = memo.get(key)
        except TypeError:  # not hashable
            return answers(v)
        seen[0] += 1
        if got is not None:
            seen[1] += 1
            return got
        if seen[0] > MEMO_SIZE and seen[1] * 8 < seen[0]:  # fewer than one lookup in eight answered
            memo.clear()
            seen[0] = -1
            return answers(v)
        if len(memo) >= MEMO_SIZE:
            memo.clear()
        got = answers(v)
        # values that differ answer alike (every destination host that is not this one): one copy of each answer
        if len(shapes) >= MEMO_SIZE:
            shapes.clear()
        got = memo[key] = shapes.setdefault(got, got)
        return got

    def plain(v: Any) -> Hashable:
        return _UNKNOWN if v is UNKNOWN else answers(v)
    return sign if costly else plain


_UNKNOWN: Hashable = UNKNOWN


def _given(v: Any) -> Hashable:
    """A request attribute no condition tests: only whether it is given counts."""
    return True


def _signatures(pairs: tuple[tuple[str, Any], ...], signers: Mapping[str, Signer | None],
                out: list[Hashable]) -> None:
    """The signature (or the value itself) of each tested value among (name, value) pairs."""
    for k, v in pairs:
        if k in signers:
            s = signers[k]
            out.append((v.__class__, v) if s is None else s(v))
