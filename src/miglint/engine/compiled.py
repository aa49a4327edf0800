"""Rules compiled for what is fixed before a request is looked at: its driver, libvirt version, mode and state.

A request's driver, version, mode and state decide many conditions before any flag is looked at (``libvirt:
">=9.4.0"``, a driver's feature, ``mode: p2p``, ``state: shutoff``). For each such combination, once, every
rule's condition is compiled into a function in which those parts are constants; a rule whose condition is
then false is left out, and the flags a rule's condition requires or forbids at its top level become
bitmasks tested before anything else. What remains is evaluated by the nodes themselves, in the same order,
so a compiled condition answers exactly as ``node.test`` does, unknowns included (the evaluator's tests
compare the two).

The nodes decided here are those whose answer turns only on the fixed parts (``DECIDED``): each is asked
once with a probe context; a node of any other kind, a new one included, is evaluated as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

from ..model import Request
from ..policy.conditions import (
    All,
    Any_,
    Ctx,
    DriverView,
    Feature,
    Flags,
    InSet,
    Libvirt,
    Node,
    Not,
    Options,
    Params,
    Qemu,
    Truth,
    Value,
)
from ..policy.conditions import QEMU_FACT
from ..policy.load import Driver, PolicySet, Rule
from ..version import Version, parse_version
from .projection import Projection, Reads, rule_reads

Test = Callable[[Ctx], Truth]
Compiled = Test | bool
DECIDED: tuple[type, ...] = (Libvirt, Feature)
FIXED_ATTRS = ("state", "mode", "hypervisor", "input")  # InSet attributes fixed per plan
MAX_PLANS = 256
MAX_SELECTIONS = 2048  # in all plans: the rules left for one flag set and the names given


class RulePlan(NamedTuple):
    """One rule as compiled for a plan: its test, its facts needed, and what its condition requires at its top
    level, without which it is false: all flags of ``all_mask``, none of ``none_mask``, one of each of
    ``any_masks``; every parameter of ``params``, none of ``no_params``, one of each of ``any_params``. (Not
    used when options may be hidden: a flag or parameter not given may be there.)"""

    rule: Rule
    test: Test
    needs: tuple[str, ...]
    all_mask: int = 0
    none_mask: int = 0
    any_masks: tuple[int, ...] = ()
    params: frozenset[str] = frozenset()
    no_params: frozenset[str] = frozenset()
    any_params: tuple[frozenset[str], ...] = ()


class Selection:
    """The rules of a plan that remain for one request's flags and names given, in check order."""

    __slots__ = ("rules",)

    def __init__(self, rules: tuple[tuple[Rule, Test], ...]) -> None:
        self.rules = rules


class Plan:
    """The compiled rules of one (driver, version, mode, state, kind of request) in check order, what they read of
    a request (``projection``: with the plan, the key of a result), and the selections of them for the flags and
    names requests give (remembered: fleets repeat them).

    Which rules a flag set leaves is computed a byte of flags at a time from tables made as needed: each rule is
    a bit of an integer, each byte value of the flags says which rules it rules out."""

    __slots__ = ("key", "rules", "driver", "version", "view", "projection", "_owner", "_selected", "_by_mask",
                 "_bytes", "_byte_tables", "_any_flags", "_by_keys", "_by_facts", "_full")

    def __init__(self, key: tuple[object, ...], rules: tuple[RulePlan, ...], driver: Driver, version: Version,
                 view: DriverView, owner: Plans) -> None:
        self.key, self.rules = key, rules
        self.driver, self.version, self.view = driver, version, view
        self._owner = owner
        self.projection = owner.projection(p.rule for p in rules)
        self._full = (1 << len(rules)) - 1
        self._selected: dict[tuple[int, frozenset[str], frozenset[str]], Selection] = {}
        self._by_mask: dict[int, Selection] = {}
        widest = 0
        for p in rules:
            widest |= p.all_mask | p.none_mask
        self._bytes = (widest.bit_length() + 7) // 8
        self._byte_tables: list[dict[int, int]] = [{} for _ in range(self._bytes)]
        self._any_flags = tuple((1 << i, m) for i, p in enumerate(rules) for m in p.any_masks)
        self._by_keys: dict[frozenset[str], int] = {}
        self._by_facts: dict[frozenset[str], int] = {}

    def select(self, flags: int, keys: frozenset[str], facts: frozenset[str]) -> Selection:
        """The rules whose top-level flag and parameter requirements the request meets (the others are false)
        and whose facts needed are given (the others are skipped)."""
        key = (flags, keys, facts)
        got = self._selected.get(key)
        if got is not None:
            return got
        allowed = self._full
        for j in range(self._bytes):
            byte = (flags >> (8 * j)) & 255
            table = self._byte_tables[j]
            out = table.get(byte)
            if out is None:
                out = table[byte] = self._ruled_out(j, byte)
            allowed &= ~out
        for bit, mask in self._any_flags:
            if allowed & bit and not flags & mask:
                allowed &= ~bit
        by_keys = self._by_keys.get(keys)
        if by_keys is None:
            if len(self._by_keys) >= MAX_SELECTIONS:
                self._by_keys.clear()
            by_keys = self._by_keys[keys] = self._allowed(lambda p: p.params <= keys and not p.no_params & keys
                                                          and all(ps & keys for ps in p.any_params))
        by_facts = self._by_facts.get(facts)
        if by_facts is None:
            if len(self._by_facts) >= MAX_SELECTIONS:
                self._by_facts.clear()
            by_facts = self._by_facts[facts] = self._allowed(lambda p: all(n in facts for n in p.needs))
        got = self._selection(allowed & by_keys & by_facts)
        self._owner.count()
        self._selected[key] = got
        return got

    def every(self, facts: frozenset[str]) -> Selection:
        """The rules whose facts needed are given, for a request that may hide options (a flag or parameter not
        given may be there)."""
        by_facts = self._by_facts.get(facts)
        if by_facts is None:
            by_facts = self._by_facts[facts] = self._allowed(lambda p: all(n in facts for n in p.needs))
        return self._selection(by_facts)

    def forget(self) -> None:
        """Empty the tables of selections (the byte tables are bounded by themselves: 256 entries a byte; the
        tables by names given are emptied when they reach MAX_SELECTIONS)."""
        self._selected.clear()
        self._by_mask.clear()

    def _ruled_out(self, j: int, byte: int) -> int:
        out = 0
        shift = 8 * j
        for i, p in enumerate(self.rules):
            need, refuse = (p.all_mask >> shift) & 255, (p.none_mask >> shift) & 255
            if need & ~byte or refuse & byte:
                out |= 1 << i
        return out

    def _allowed(self, keep: Callable[[RulePlan], bool]) -> int:
        out = 0
        for i, p in enumerate(self.rules):
            if keep(p):
                out |= 1 << i
        return out

    def _selection(self, allowed: int) -> Selection:
        got = self._by_mask.get(allowed)
        if got is None:
            rules, chosen, rest = self.rules, [], allowed
            while rest:  # the rules of the set bits only, lowest first (check order)
                low = rest & -rest
                p = rules[low.bit_length() - 1]
                chosen.append((p.rule, p.test))
                rest ^= low
            got = self._by_mask[allowed] = Selection(tuple(chosen))
        return got


class Plans:
    """The compiled rules per (driver, version, mode, state, kind of request), made when first asked for. Bounded:
    at most MAX_PLANS plans and MAX_SELECTIONS selections in all (then they are made again)."""

    def __init__(self, policies: PolicySet, maybe_flags: int, maybe_params: frozenset[str],
                 compiled: bool = True) -> None:
        self.policies = policies
        self.maybe_flags, self.maybe_params = maybe_flags, maybe_params
        self._plans: dict[tuple[str, str, str, str, bool, bool, bool, bool], Plan] = {}
        self.compiled = compiled
        self.signers: dict[tuple[int, ...], Any] = {}  # shared by the plans' projections (and others': entry_memo)
        self._reads: dict[str, Reads] = {}
        self._selections = 0

    def projection(self, rules: Iterable[Rule]) -> Projection:
        """What these rules read of a request."""
        parts = []
        for rule in rules:
            got = self._reads.get(rule.id)
            if got is None:
                got = self._reads[rule.id] = rule_reads(rule)
            parts.append(got)
        return Projection(parts, self.signers)

    def count(self) -> None:
        self._selections += 1
        if self._selections > MAX_SELECTIONS:
            self._selections = 0
            for plan in self._plans.values():
                plan.forget()

    def get(self, request: Request) -> Plan:
        """The plan for a request: its driver, version, mode, state, whether it came from virsh (options), may hide
        options and gives the QEMU version."""
        api = request.options is None
        qemu = bool(request.facts) and any(k == QEMU_FACT for k, _ in request.facts)
        key = (request.hypervisor, request.libvirt_version, request.mode, request.state, api, request.open_options,
               qemu, request.open_flags or request.open_params)
        got = self._plans.get(key)
        if got is None:
            if len(self._plans) >= MAX_PLANS:
                self._plans.clear()
            got = self._plans[key] = self._make(key, request, api, qemu)
        return got

    def _make(self, key: tuple[object, ...], request: Request, api: bool, qemu: bool) -> Plan:
        driver = self.policies.driver(request.hypervisor)
        version = parse_version(request.libvirt_version)
        view = driver.view(version)
        rules = driver.rules_for(request.mode)
        if not self.compiled or request.open_flags or request.open_params:
            # code that computes its flags or parameters: any may be there, every rule as its nodes say it
            return Plan(key, tuple(RulePlan(r, r.when.test, r.needs) for r in rules), driver, version, view, self)
        open_ = request.open_options
        probe = Ctx(Request(request.hypervisor, request.libvirt_version, request.state, request.mode,
                            options=None if api else (), open_options=open_),
                    version, view, self.maybe_flags if open_ else 0, self.maybe_params if open_ else frozenset())
        return Plan(key, tuple(_plan(rules, probe, prefilter=not open_, qemu_given=qemu)), driver, version, view, self)


def _plan(rules: Sequence[Rule], probe: Ctx, prefilter: bool, qemu_given: bool) -> list[RulePlan]:
    out = []
    for rule in rules:
        test = compile_node(rule.when, probe, qemu_given)
        if test is False:
            continue
        fn: Test = _const(True) if test is True else test
        if not prefilter:
            out.append(RulePlan(rule, fn, rule.needs))
            continue
        all_mask = none_mask = 0
        any_masks = []
        params: set[str] = set()
        no_params: set[str] = set()
        any_params = []
        # Any part of a conjunction that is false makes it false, wherever it stands.
        for node in rule.when.items if isinstance(rule.when, All) else (rule.when,):
            if isinstance(node, Flags):
                all_mask |= node.all_mask
                none_mask |= node.none_mask
                if node.any_mask:
                    any_masks.append(node.any_mask)
            elif isinstance(node, Params):
                params.update(node.all_)
                no_params.update(node.none_)
                if node.any_:
                    any_params.append(frozenset(node.any_))
            elif isinstance(node, Value) and node.source == "param":
                (no_params if node.present is False else params).add(node.name)
        out.append(RulePlan(rule, fn, rule.needs, all_mask, none_mask, tuple(any_masks), frozenset(params),
                            frozenset(no_params), tuple(any_params)))
    return out


def compile_node(node: Node, probe: Ctx, qemu_given: bool = True) -> Compiled:
    """True or False when the fixed parts decide the node, else a function answering as ``node.test``. Without
    the fact qemu.version (``qemu_given``), a QEMU version condition reads the version assumed for libvirt's:
    fixed too."""
    if isinstance(node, DECIDED) or (isinstance(node, InSet) and node.attr in FIXED_ATTRS) or (
            probe.options is None and (isinstance(node, Options) or (isinstance(node, Value) and node.source == "option"))
    ) or (isinstance(node, Qemu) and not qemu_given):
        probe.unknowns = []
        got = node.test(probe)
        return got if got is not None and not probe.unknowns else node.compiled()
    if isinstance(node, All):
        return _junction([compile_node(c, probe, qemu_given) for c in node.items], stop=False)
    if isinstance(node, Any_):
        return _junction([compile_node(c, probe, qemu_given) for c in node.items], stop=True)
    if isinstance(node, Not):
        inner = compile_node(node.child, probe, qemu_given)
        if isinstance(inner, bool):
            return not inner
        return lambda ctx: None if (v := inner(ctx)) is None else not v
    return node.compiled()


def _const(value: bool) -> Test:
    return lambda ctx: value


def _junction(parts: list[Compiled], stop: bool) -> Compiled:
    """All (stop=False) or Any_ (stop=True) of compiled parts, evaluated in their order like the node: decided
    parts that do not stop it are dropped; one that stops it ends the list (the parts before it still run, for
    the unknowns they note)."""
    fns: list[Test] = []
    ends = False
    for p in parts:
        if p is stop:
            ends = True
            break
        if p is not (not stop):
            fns.append(p)  # type: ignore[arg-type]
    if not fns:
        return stop if ends else not stop
    if len(fns) == 1 and not ends:
        return fns[0]
    if stop:
        def any_(ctx: Ctx) -> Truth:
            result: Truth = False
            for f in fns:
                v = f(ctx)
                if v is True:
                    return True
                if v is None:
                    result = None
            return True if ends else result
        return any_

    def all_(ctx: Ctx) -> Truth:
        result: Truth = True
        for f in fns:
            v = f(ctx)
            if v is False:
                return False
            if v is None:
                result = None
        return False if ends else result
    return all_
