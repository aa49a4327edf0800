"""The evaluator: (policies, request) -> result. Pure: no files, no environment, no printing.

It runs every rule of the request's hypervisor in libvirt's check order for the request's mode, keeps
every rule that fires (or may fire: the answer turns on a fact the request lacks), and predicts what
libvirt does: ``rejected`` with the finding libvirt reports first, ``depends`` with the facts it turns
on, or ``accepted``.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from ..model import REJECTING, STATES, Finding, Fix, Request, Result
from ..policy.conditions import Ctx, Node, walk
from ..policy.load import Driver, PolicySet, Rule, Variant
from ..policy.values import Bindings
from ..version import VersionRange, parse_version
from .compiled import Plan, Plans, Selection
from .projection import MISSING, Projection, Ref, names, reads, render_refs, render_values

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def render(template: str, values: Bindings) -> str:
    """Fill {name} placeholders; unknown names are left as <name> (never attribute access or code)."""
    def sub(m: re.Match[str]) -> str:
        v = values.get(m.group(1))
        return f"<{m.group(1)}>" if v is None else str(v)
    return _PLACEHOLDER.sub(sub, template)


class _ByValues:
    """The results of one key whose findings show values the key does not fix (a domain's name, a
    parameter's value): one per combination of those values, a bounded few."""

    __slots__ = ("refs", "results")
    LIMIT = 64

    def __init__(self, refs: tuple[Ref, ...]) -> None:
        self.refs = refs
        self.results: dict[tuple[Any, ...], Result] = {}

    def store(self, values: tuple[Any, ...], result: Result) -> None:
        if len(self.results) >= self.LIMIT:
            self.results.clear()
        self.results[values] = result


class Evaluator:
    """Evaluates requests against one policy set, remembering recent results by what the rules read of a
    request (engine.projection): a request that differs from an earlier one only in values no rule tests (a
    new domain name, another bandwidth below every limit) gets the earlier findings. Bounded: ``cache_size``
    keys, least recently used first out."""

    def __init__(self, policies: PolicySet, cache_size: int = 4096, compiled: bool = True) -> None:
        self.policies = policies
        self.vocab = policies.vocab
        self._maybe_flags = sum(policies.vocab.flags[o.flag].value for o in policies.vocab.options.values() if o.flag)
        self._maybe_params = frozenset(o.param for o in policies.vocab.options.values() if o.param)
        self._all_params = frozenset(policies.vocab.params)
        # compiled=False: every rule's condition as its nodes say it, for the tests to compare with.
        self._plans = Plans(policies, self._maybe_flags, self._maybe_params, compiled)
        self.signers = self._plans.signers  # what value tests answer, remembered for recurring values
        self._cache: OrderedDict[Any, Result | _ByValues] = OrderedDict()
        self._cache_size = cache_size
        self._refs: dict[str, tuple[Ref, ...]] = {}
        self._assumptions = Projection([reads(n for node, _, _ in policies.assumed_states for n in walk(node))])
        self._assumed: dict[Any, tuple[str, str] | None] = {}
        self._selections: dict[tuple[Hashable, ...], tuple[tuple[Hashable, ...], Plan, Selection]] = {}
        self._bits = {name: f.value for name, f in policies.vocab.flags.items()}
        self._phases: dict[tuple[str, str], str] = {}

    def _selection(self, request: Request) -> tuple[tuple[Hashable, ...], Plan, Selection]:
        """The names key of a request (projection.names), its plan and the rules that can fire for it."""
        key = names(request)
        got = self._selections.get(key)
        if got is None:
            plan = self._plans.get(request)
            facts = _fact_names(request)
            if request.open_options or request.open_flags or request.open_params:
                selection = plan.every(facts)
            else:
                selection = plan.select(request.flags, frozenset(k for k, _ in request.params), facts)
            if len(self._selections) >= self._cache_size:
                self._selections.clear()
            got = self._selections[key] = (key, plan, selection)
        return got

    def key(self, request: Request) -> Any:
        """What the cache knows a request's results by: its names key (projection.names), and the values it
        gives as the rules of its plan read them."""
        key, plan, _ = self._selection(request)
        return key, plan.projection.values(request)

    def __call__(self, request: Request) -> Result:
        names_key, plan, selection = self._selection(request)
        key = (names_key, plan.projection.values(request))
        cache = self._cache
        got = cache.get(key)
        if got is None:
            result = self.evaluate(request, (names_key, plan, selection))
            refs = self._render_refs(result)
            if refs:
                got = _ByValues(refs)
                got.store(render_values(request, refs), result)
            else:
                got = result
            cache[key] = got
            if len(cache) > self._cache_size:
                cache.popitem(last=False)
            return result
        cache.move_to_end(key)
        if isinstance(got, _ByValues):
            values = render_values(request, got.refs)
            found = got.results.get(values)
            if found is None:
                found = self._rendered(request, next(iter(got.results.values())), self._selection(request))
                got.store(values, found)
                return found
            got_result = found
        else:
            got_result = got
        return got_result if got_result.request is request else Result(request, *got_result[1:])

    def _render_refs(self, result: Result) -> tuple[Ref, ...]:
        """The inputs the findings' texts may show beyond what the key fixes."""
        refs: dict[Ref, None] = {}
        rules = self.policies.rules
        for f in result.findings:
            got = self._refs.get(f.rule)
            if got is None:
                got = self._refs[f.rule] = render_refs(rules[f.rule])
            for ref in got:
                refs[ref] = None
        return tuple(refs)

    def shows_values(self, result: Result) -> bool:
        """Whether a result's findings show values of the request that its key leaves out (its domain's name, a
        parameter's value): such a result is its request's alone."""
        return bool(self.shown(result))

    def shown(self, result: Result) -> tuple[Ref, ...]:
        """The inputs whose values the result's findings may show and its request gives. (One the request does not
        give is shown as missing, ``<value>``, by every request of its key, whose names say what is given.)"""
        refs = self._render_refs(result)
        if not refs:
            return ()
        return tuple(ref for ref, v in zip(refs, render_values(result.request, refs)) if v is not None and v is not MISSING)

    def assumed(self, request: Request) -> tuple[str, str] | None:
        """The first of the vocabulary's assumptions (state, because) whose condition holds for the request (a
        bounded table, keyed by what those conditions read)."""
        key = self._assumptions.key(request)
        if key in self._assumed:
            return self._assumed[key]
        got = next(((state, because) for node, state, because in self.policies.assumed_states
                    if self.holds(node, request) is True), None)
        if len(self._assumed) >= self._cache_size:
            self._assumed.clear()
        self._assumed[key] = got
        return got

    def _maybe(self, request: Request) -> tuple[int, frozenset[str]]:
        """The flags and parameters a request may have without saying (options virsh may hide, code that computes
        its flags or parameters: any at all)."""
        maybe_flags = self._maybe_flags if request.open_options else 0
        maybe_params = self._maybe_params if request.open_options else frozenset()
        if request.open_flags:
            maybe_flags = self.vocab.all_flags_mask
        if request.open_params:
            maybe_params = self._all_params
        return maybe_flags, maybe_params

    def _ctx(self, request: Request) -> Ctx:
        driver = self.policies.driver(request.hypervisor)
        version = parse_version(request.libvirt_version)
        return Ctx(request, version, driver.view(version), *self._maybe(request))

    def holds(self, node: Node, request: Request) -> bool | None:
        """A condition of the vocabulary (an assumption's) for one request."""
        return node.test(self._ctx(request))

    def evaluate(self, request: Request, selected: tuple[Hashable, Plan, Selection] | None = None) -> Result:
        _, compiled, selection = self._selection(request) if selected is None else selected
        driver, version = compiled.driver, compiled.version
        ctx = Ctx(request, version, compiled.view, *self._maybe(request))
        findings: list[Finding] = []
        ctx.findings = findings  # what the rules checked so far found (condition first_error)
        read_keys: list[float | None] = []
        for rule, test in selection.rules:
            ctx.unknowns.clear()
            truth = test(ctx)
            if truth is False:
                continue
            depends = tuple(dict.fromkeys(ctx.unknowns)) if truth is None else ()
            finding, option = self._finding(rule, driver, ctx, depends)
            if "state" in depends:
                finding = finding._replace(states=self._states(rule, ctx))
            findings.append(finding)
            read_keys.append(self._read_position(rule, version, option))
        if any(k is not None for k in read_keys):
            findings = _in_read_order(findings, read_keys, driver.sequences.get(request.mode, []))
        return predict(request, findings)

    def _rendered(self, request: Request, like: Result, selected: tuple[Hashable, Plan, Selection]) -> Result:
        """The result of a request whose key is that of ``like``: the same rules fire in the same order with the
        same truth, so only their findings are made again (their texts show this request's values)."""
        _, compiled, _ = selected
        ctx = Ctx(request, compiled.version, compiled.view, *self._maybe(request))
        ctx.findings = list(like.findings)
        rules = self.policies.rules
        findings = []
        for f in like.findings:
            finding, _ = self._finding(rules[f.rule], compiled.driver, ctx, f.depends_on)
            findings.append(finding._replace(states=f.states) if f.states else finding)
        return predict(request, findings)

    def _states(self, rule: Rule, ctx: Ctx) -> tuple[str, ...]:
        """The states in which a rule that depends on the state fires (or may: other facts missing too)."""
        saved = ctx.state
        out = []
        for state in STATES:
            if state == "unknown":
                continue
            ctx.state = state
            ctx.unknowns = []
            if rule.when.test(ctx) is not False:
                out.append(state)
        ctx.state, ctx.unknowns = saved, []
        return tuple(out)

    def _read_position(self, rule: Rule, version: Any, option: Any) -> float | None:
        """Where virsh makes this rule's check among its option reads (rule key read_at), or None."""
        spec = rule.doc.get("read_at")
        if spec is None:
            return None
        order = self.vocab.read_order(version)
        unlisted = float(len(order))
        if spec == "value":
            return float(order.get(str(option), unlisted)) if option else unlisted
        for entry in spec if isinstance(spec, list) else [spec]:
            if "libvirt" in entry and version not in VersionRange(str(entry["libvirt"])):
                continue
            if "after" in entry:
                return order.get(str(entry["after"]), unlisted) + 0.5
            if "before" in entry:
                return order.get(str(entry["before"]), unlisted) - 0.5
        return None

    def _finding(self, rule: Rule, driver: Driver, ctx: Ctx, depends: tuple[str, ...]) -> tuple[Finding, Any]:
        req = ctx.request
        bound: Bindings = {}
        rule.when.bind(ctx, bound)
        message, code, prefixed = rule.message, rule.code, rule.prefixed
        variant = _variant(rule, ctx) if rule.variants else None
        if variant is not None:
            message = variant.message if variant.message is not None else message
            code = variant.code if variant.code is not None else code
            prefixed = variant.prefixed if variant.prefixed is not None else prefixed
        fix = rule.fix
        values: Bindings | None = None
        if "{" in message or "{" in fix.text:
            values = {"domain": req.domain, "hypervisor": req.hypervisor, "mode": req.mode, "state": req.state,
                      "version": req.libvirt_version, "desturi": req.desturi}
            values.update({k: v for k, v in bound.items() if k not in ("subjects", "matched", "hint")})
            message = render(message, values)
        printed = self.vocab.printed_message(code, message, prefixed)
        if rule.fix_matched:
            fix = _with_matched(fix, bound.get("matched", []))
        fix = _relevant(fix, req, self._bits)
        if not fix.safe and fix.remove_flags and fix.is_removal() and driver.done_anyway.issuperset(fix.remove_flags):
            fix = fix._replace(safe=True)  # dropping what the driver does anyway changes nothing
        if values is not None and "{" in fix.text:
            fix = fix._replace(text=render(fix.text, values))
        phase = self._phases.get((rule.id, req.mode))
        if phase is None:
            phase = self._phases[rule.id, req.mode] = driver.phase_of(rule, req.mode)
        subjects = bound.get("subjects")
        # A condition may add a sentence about this request to the rule's why (a parameter's likely name).
        hint = bound.get("hint")
        why = f"{rule.why} {hint}" if hint else rule.why
        return Finding(rule.id, rule.name, rule.severity, rule.effect, printed, code, why, fix, rule.source, phase,
                       rule.kind, depends, tuple(dict.fromkeys(subjects)) if subjects else (), rule.policy
                       ), bound.get("option")


_REQUEST_FACTS = ("request.desturi", "request.domain", "request.connect_uri")
_NAMES: dict[tuple[bool, bool, bool], frozenset[str]] = {}


def _fact_names(request: Request) -> frozenset[str]:
    """The names of the facts a request gives, its own URIs and domain among them (what ``needs`` looks at)."""
    given = (request.desturi is not None, request.domain is not None, request.connect_uri is not None)
    if request.facts:
        return frozenset([k for k, _ in request.facts] + [n for n, g in zip(_REQUEST_FACTS, given) if g])
    got = _NAMES.get(given)
    if got is None:
        got = _NAMES[given] = frozenset(n for n, g in zip(_REQUEST_FACTS, given) if g)
    return got


def _variant(rule: Rule, ctx: Ctx) -> Variant | None:
    """The case the request is in: the first variant that holds, else the first that may."""
    maybe = None
    for variant in rule.variants:
        got = variant.when.test(ctx)
        if got is True:
            return variant
        if got is None and maybe is None:
            maybe = variant
    return maybe


def _in_read_order(findings: list[Finding], keys: list[float | None], sequence: list[str]) -> list[Finding]:
    """Within each check group, findings with a read position come in virsh's read order (the others keep their
    place, first): virsh reports the first bad value in the order it reads its options."""
    pos = {g: i for i, g in enumerate(sequence)}
    order = sorted(range(len(findings)),
                   key=lambda i: (pos.get(findings[i].phase, -1), -1.0 if keys[i] is None else keys[i], i))
    return [findings[i] for i in order]


def _with_matched(fix: Fix, matched: list[str]) -> Fix:
    flags = tuple(m.split(":", 1)[1] for m in matched if m.startswith("flag:"))
    params = tuple(m.split(":", 1)[1] for m in matched if m.startswith("param:"))
    options = tuple(m.split(":", 1)[1] for m in matched if m.startswith("option:"))
    return fix._replace(remove_flags=fix.remove_flags + flags, remove_params=fix.remove_params + params,
                        remove_options=fix.remove_options + options)


def _relevant(fix: Fix, req: Request, bits: dict[str, int]) -> Fix:
    """Only what changes this request: no adding flags it has, no removing flags or params it lacks."""
    if not (fix.add_flags or fix.remove_flags or fix.remove_params):
        return fix
    flags = req.flags
    add = tuple(x for x in fix.add_flags if not flags & bits[x])
    remove = tuple(x for x in fix.remove_flags if x.startswith("0x") or flags & bits[x])
    rm_params = tuple(k for k in fix.remove_params if any(k == p for p, _ in req.params)) if fix.remove_params else ()
    if (add, remove, rm_params) == (fix.add_flags, fix.remove_flags, fix.remove_params):
        return fix
    return fix._replace(add_flags=add, remove_flags=remove, remove_params=rm_params)


def predict(request: Request, findings: list[Finding]) -> Result:
    first = None
    depends: list[str] = []
    for f in findings:
        if f.effect not in REJECTING:
            continue
        if f.depends_on:
            depends.extend(f.depends_on)
        elif first is None:
            first = f
    if first is not None:
        prediction = "rejected"
        depends = []
    elif depends:
        prediction = "depends"
    else:
        prediction = "accepted"
    return Result(request, prediction, first, tuple(findings), tuple(dict.fromkeys(depends)))
