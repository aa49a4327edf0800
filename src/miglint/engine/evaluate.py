"""The evaluator: (policies, request) -> result. Pure: no files, no environment, no printing.

It runs every rule of the request's hypervisor in libvirt's check order for the request's mode, keeps
every rule that fires (or may fire: the answer turns on a fact the request lacks), and predicts what
libvirt does: ``rejected`` with the finding libvirt reports first, ``depends`` with the facts it turns
on, or ``accepted``.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any

from ..model import REJECTING, STATES, Finding, Fix, Request, Result
from ..policy.conditions import Ctx, Node
from ..policy.load import Driver, PolicySet, Rule, Variant
from ..policy.values import Bindings
from ..version import VersionRange, parse_version

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def render(template: str, values: Bindings) -> str:
    """Fill {name} placeholders; unknown names are left as <name> (never attribute access or code)."""
    def sub(m: re.Match[str]) -> str:
        v = values.get(m.group(1))
        return f"<{m.group(1)}>" if v is None else str(v)
    return _PLACEHOLDER.sub(sub, template)


class Evaluator:
    """Evaluates requests against one policy set, remembering recent results (requests are hashable)."""

    def __init__(self, policies: PolicySet, cache_size: int = 4096) -> None:
        self.policies = policies
        self.vocab = policies.vocab
        self._cache: OrderedDict[Request, Result] = OrderedDict()
        self._cache_size = cache_size
        self._maybe_flags = sum(policies.vocab.flags[o.flag].value for o in policies.vocab.options.values() if o.flag)
        self._maybe_params = frozenset(o.param for o in policies.vocab.options.values() if o.param)

    def __call__(self, request: Request) -> Result:
        cache = self._cache
        got = cache.get(request)
        if got is not None:
            cache.move_to_end(request)
            return got
        result = self.evaluate(request)
        cache[request] = result
        if len(cache) > self._cache_size:
            cache.popitem(last=False)
        return result

    def _ctx(self, request: Request) -> Ctx:
        driver = self.policies.driver(request.hypervisor)
        version = parse_version(request.libvirt_version)
        maybe_flags = self._maybe_flags if request.open_options else 0
        maybe_params = self._maybe_params if request.open_options else frozenset()
        if request.open_flags:  # code that computes its flags: any flag at all
            maybe_flags = self.vocab.all_flags_mask
        if request.open_params:
            maybe_params = frozenset(self.vocab.params)
        return Ctx(request, version, driver.view(version), maybe_flags, maybe_params)

    def holds(self, node: Node, request: Request) -> bool | None:
        """A condition of the vocabulary (an assumption's) for one request."""
        return node.test(self._ctx(request))

    def evaluate(self, request: Request) -> Result:
        driver = self.policies.driver(request.hypervisor)
        ctx = self._ctx(request)
        version = ctx.version
        findings: list[Finding] = []
        ctx.findings = findings  # what the rules checked so far found (condition first_error)
        read_keys: list[float | None] = []
        for rule in driver.rules_for(request.mode):
            if rule.needs and any(n not in ctx.facts for n in rule.needs):
                continue
            ctx.unknowns.clear()
            truth = rule.when.test(ctx)
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
        values: Bindings = {
            "domain": req.domain, "hypervisor": req.hypervisor, "mode": req.mode, "state": req.state,
            "version": req.libvirt_version, "desturi": req.desturi,
        }
        bound: Bindings = {}
        rule.when.bind(ctx, bound)
        values.update({k: v for k, v in bound.items() if k not in ("subjects", "matched", "hint")})
        message, code, prefixed = rule.message, rule.code, rule.prefixed
        variant = _variant(rule, ctx)
        if variant is not None:
            message = variant.message if variant.message is not None else message
            code = variant.code if variant.code is not None else code
            prefixed = variant.prefixed if variant.prefixed is not None else prefixed
        printed = self.vocab.printed_message(code, render(message, values), prefixed)
        fix = rule.fix
        if rule.fix_matched:
            fix = _with_matched(fix, bound.get("matched", []))
        fix = _relevant(fix, req, self.vocab)
        if not fix.safe and fix.remove_flags and fix.is_removal() and driver.done_anyway.issuperset(fix.remove_flags):
            fix = fix._replace(safe=True)  # dropping what the driver does anyway changes nothing
        if fix.text:
            fix = fix._replace(text=render(fix.text, values))
        # A condition may add a sentence about this request to the rule's why (a parameter's likely name).
        why = f"{rule.why} {bound['hint']}" if bound.get("hint") else rule.why
        return Finding(
            rule=rule.id, name=rule.name, severity=rule.severity, effect=rule.effect, message=printed,
            code=code, why=why, fix=fix, source=rule.source, phase=driver.phase_of(rule, req.mode),
            kind=rule.kind, depends_on=depends, subjects=tuple(dict.fromkeys(bound.get("subjects", []))),
            policy=rule.policy,
        ), bound.get("option")


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


def _relevant(fix: Fix, req: Request, vocab: Any) -> Fix:
    """Only what changes this request: no adding flags it has, no removing flags or params it lacks."""
    flags = vocab.flags
    add = tuple(x for x in fix.add_flags if not req.flags & flags[x].value)
    remove = tuple(x for x in fix.remove_flags if x.startswith("0x") or req.flags & flags[x].value)
    params = dict(req.params)
    rm_params = tuple(k for k in fix.remove_params if k in params)
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
