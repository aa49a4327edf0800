"""Combined fixes: apply the findings' fixes to a request, re-check, repeat until nothing changes.

Pure like the evaluator. A fix is *safe* when its rule says so, or when it only removes flags that the
driver's behaviour data marks as happening anyway (``default: on``, e.g. COMPRESSED on vz): dropping
them keeps the meaning of the request. ``unsafe=True`` also applies the other fixes.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import replace
from typing import Any, NamedTuple

from ..model import REJECTING, Finding, Fix, ParamValue, Request, Result
from .evaluate import Evaluator
from .projection import Projection, names

MAX_ROUNDS = 6


class FixPlan(NamedTuple):
    request: Request
    result: Result
    add_flags: tuple[str, ...]
    remove_flags: tuple[str, ...]
    add_options: tuple[str, ...]
    remove_options: tuple[str, ...]
    remove_params: tuple[str, ...]
    set_params: tuple[tuple[str, ParamValue], ...]
    applied: tuple[str, ...]  # rule ids whose fixes were applied

    @property
    def changed(self) -> bool:
        return bool(self.applied or self.add_flags or self.remove_flags or self.add_options
                    or self.remove_options or self.remove_params or self.set_params)


def apply_fix(request: Request, fix: Fix, evaluator: Evaluator) -> Request:
    vocab = evaluator.vocab
    flags = request.flags
    for name in fix.add_flags:
        flags |= vocab.flags[name].value
    for name in fix.remove_flags:
        flags &= ~vocab.flags[name].value
    params = dict(request.params)
    for key in fix.remove_params:
        params.pop(key, None)
    for key, value in fix.set_params:
        params[key] = tuple(value) if isinstance(value, list) else value
    options = request.options
    if options is not None:
        opts = dict(options)
        for name in fix.add_flags:
            opt = vocab.option_for_flag.get(name)
            if opt:
                opts.setdefault(opt, True)
        for name in fix.remove_flags:
            opts.pop(vocab.option_for_flag.get(name, ""), None)
        for name in fix.add_options:
            opts.setdefault(name, True)
        for name in fix.remove_options:
            opts.pop(name, None)
            od = vocab.options.get(name)
            if od and od.flag:
                flags &= ~vocab.flags[od.flag].value
            if od and od.param:
                params.pop(od.param, None)
        for key in fix.remove_params:
            opts.pop(vocab.option_for_param.get(key, ""), None)
        for key, _ in fix.set_params:
            opt = vocab.option_for_param.get(key)
            value = params[key]
            if opt:
                opts[opt] = ",".join(value) if isinstance(value, tuple) else value
        removed = ({o for o in options_names(options)} - set(opts)) | set(fix.remove_options)
        problems = tuple(p for p in request.virsh_problems if p.option not in removed)
        options = tuple(opts.items())
    else:
        problems = request.virsh_problems
    mode = request.mode
    mode_bit = vocab.flags[vocab.mode_flag].value
    if mode in ("p2p", "direct"):
        mode = "p2p" if flags & mode_bit else "direct"
    elif mode == "managed" and flags & mode_bit and options is not None:
        mode = "p2p"  # virsh --p2p added
    return replace(request, flags=flags, params=tuple(sorted(params.items())), options=options,
                   virsh_problems=problems, mode=mode)


def options_names(options: tuple[tuple[str, object], ...]) -> list[str]:
    return [name for name, _ in options]


def every_finding(finding: Finding) -> bool:
    return True


def plan_fix(evaluator: Evaluator, request: Request, *, unsafe: bool = False,
             wanted: Callable[[Finding], bool] = every_finding) -> FixPlan:
    """Apply the fixes of the request's findings (``wanted`` says which: the run's settings leave out disabled
    and suppressed rules), re-check, repeat. Safe fixes only, unless ``unsafe``."""
    original = request
    result = evaluator(request)
    applied: list[str] = []
    decided: dict[str, bool] = {}  # flag -> present, once a fix has decided it (stops oscillation)
    for _ in range(MAX_ROUNDS):
        chosen: list[tuple[str, Fix]] = []
        for f in result.findings:
            if not wanted(f):
                continue
            if f.depends_on:
                # It holds only for some values of a missing fact (vz-2015 wants --live when the domain runs,
                # --offline when it is shut off): fixing it would guess, and two guesses can contradict.
                continue
            fix = f.fix
            if fix.is_empty() or f.rule in applied:
                continue
            if not (unsafe or fix.safe):  # the evaluator says: the rule's word, or a drop of what happens anyway
                continue
            if any(decided.get(x) is False for x in fix.add_flags) or \
                    any(decided.get(x) is True for x in fix.remove_flags):
                continue
            chosen.append((f.rule, fix))
            applied.append(f.rule)
            for x in fix.add_flags:
                decided[x] = True
            for x in fix.remove_flags:
                decided[x] = False
        if not chosen:
            break
        for rule, fix in chosen:
            candidate = apply_fix(request, fix, evaluator)
            after = evaluator(candidate)
            if _breaks(fix, after, result, wanted, unsafe):
                applied.remove(rule)  # it would trade this finding for a refusal nothing here fixes
                continue
            request, result = candidate, after
    return make_plan(evaluator, original, request, result, applied)


def _failing(f: Finding) -> bool:
    return not f.depends_on and (f.effect in REJECTING or (f.effect == "policy" and f.severity == "error"))


def _breaks(fix: Fix, after: Result, before: Result, wanted: Callable[[Finding], bool], unsafe: bool) -> bool:
    """A fix that makes a new finding fail (libvirt refuses, or an organisation rule) that no fix resolves
    but by undoing it (TLS added to a tunnelled migration, which libvirt refuses: its fix drops TLS again):
    better left to a person."""
    was = {f.rule for f in before.findings if _failing(f)}
    for f in after.findings:
        if not _failing(f) or f.rule in was:
            continue
        other = f.fix
        if other.is_empty() or not (unsafe or other.safe) or not wanted(f):
            return True
        if set(other.remove_flags) & set(fix.add_flags) or set(other.add_flags) & set(fix.remove_flags):
            return True
    return False


def make_plan(evaluator: Evaluator, original: Request, request: Request, result: Result,
              applied: list[str]) -> FixPlan:
    """What changed between two requests, as a FixPlan."""
    vocab = evaluator.vocab
    added = request.flags & ~original.flags
    removed = original.flags & ~request.flags
    before_opts = set(options_names(original.options or ()))
    after_opts = set(options_names(request.options or ()))
    before_params = dict(original.params)
    after_params = dict(request.params)
    return FixPlan(
        request=request, result=result,
        add_flags=tuple(vocab.flag_names(added)), remove_flags=tuple(vocab.flag_names(removed)),
        add_options=tuple(sorted(after_opts - before_opts)), remove_options=tuple(sorted(before_opts - after_opts)),
        remove_params=tuple(sorted(k for k in before_params if k not in after_params)),
        set_params=tuple(sorted((k, v) for k, v in after_params.items() if before_params.get(k) != v)),
        applied=tuple(applied),
    )


_RANK = {"accepted": 0, "depends": 1, "rejected": 2}


def _no_worse(after: Result, before: Result) -> bool:
    if _RANK[after.prediction] > _RANK[before.prediction]:
        return False
    was = {f.rule for f in before.findings if f.effect in REJECTING}
    return all(f.rule in was for f in after.findings if f.effect in REJECTING)


def minimize(evaluator: Evaluator, request: Request, *, unsafe: bool = False) -> FixPlan:
    """The fixed request (plan_fix), then without what changes nothing: flags and parameters that an
    ``ignored`` finding's safe fix drops, and flags whose behaviour is ``when_set: ignored``. A step is
    kept only when the prediction gets no worse and no new rejecting finding appears."""
    plan = plan_fix(evaluator, request, unsafe=unsafe)
    req, applied = plan.request, list(plan.applied)
    behaviour = evaluator.policies.driver(request.hypervisor).doc.get("behaviour") or {}
    for _ in range(MAX_ROUNDS):
        result = evaluator(req)
        candidates: list[tuple[str, Fix]] = [
            (f.rule, f.fix) for f in result.findings
            if f.effect not in REJECTING and f.kind == "ignored" and f.fix.safe and not f.fix.is_empty()]
        for name in evaluator.vocab.flag_names(req.flags):
            if (behaviour.get(name) or {}).get("when_set") == "ignored":
                candidates.append(("", Fix(remove_flags=(name,), safe=True)))
        step = None
        for rule, fix in candidates:
            cand = apply_fix(req, fix, evaluator)
            if cand != req and _no_worse(evaluator(cand), result):
                step = (rule, cand)
                break
        if step is None:
            break
        if step[0] and step[0] not in applied:
            applied.append(step[0])
        req = step[1]
    return make_plan(evaluator, request, req, evaluator(req), applied)


def fix_stable(evaluator: Evaluator, request: Request, *, unsafe: bool = False, rounds: int = 4,
               wanted: Callable[[Finding], bool] = every_finding) -> FixPlan:
    """plan_fix repeated until it changes nothing more, so that fixing a fixed request changes nothing.
    (One plan_fix keeps the first of two fixes that disagree about a flag; the next round may apply
    a fix the first one blocked.)"""
    plan = plan_fix(evaluator, request, unsafe=unsafe, wanted=wanted)
    applied = list(plan.applied)
    for _ in range(rounds):
        nxt = plan_fix(evaluator, plan.request, unsafe=unsafe, wanted=wanted)
        if not nxt.changed or nxt.request == plan.request:
            break
        applied += [r for r in nxt.applied if r not in applied]
        plan = nxt
    return make_plan(evaluator, request, plan.request, evaluator(plan.request), applied)


class StablePlans:
    """fix_stable remembered by what every rule reads of a request (engine/projection.py over all the rules, not
    only those that fire: a fix adds flags, and the rules those bring may test values the first ones did not).
    Two requests with the same key get the same findings at every step of planning, so the same changes; the
    changes are replayed on the second request and its fixed request evaluated afresh (texts are its own). A
    plan that sets a parameter's value is not remembered (a fix may carry values taken from the request), nor
    one for a command with virsh's own problems (dropping an unknown option is no change of flags or options), nor
    one whose replay would not give the same changes. Bounded; ``off``: the rules not wanted (keys the plans)."""

    def __init__(self, evaluator: Evaluator, size: int = 1024) -> None:
        self.evaluator = evaluator
        self.projection = Projection.of(evaluator.policies, evaluator.signers)
        self.size = size
        # key -> the plan's changes (FixPlan's fields after request and result) and the options it added, in order:
        # no request or result is kept
        self._plans: OrderedDict[Hashable, tuple[tuple[Any, ...], tuple[str, ...]]] = OrderedDict()

    def __call__(self, request: Request, *, unsafe: bool = False, wanted: Callable[[Finding], bool] = every_finding,
                 off: frozenset[str] = frozenset()) -> FixPlan:
        ev = self.evaluator
        if self.projection.opaque or request.virsh_problems:  # a fix may drop a virsh problem: not in the changes
            return fix_stable(ev, request, unsafe=unsafe, wanted=wanted)
        key = (names(request), self.projection.values(request), unsafe, off)
        got = self._plans.get(key)
        if got is not None:
            changes, added_order = got
            add_flags, remove_flags, add_options, remove_options, remove_params, _, applied = changes
            fixed = request
            if any(changes):
                fixed = apply_fix(request, Fix(add_flags=add_flags, remove_flags=remove_flags, add_options=add_options,
                                               remove_options=remove_options, remove_params=remove_params), ev)
            if fixed.options and added_order:  # options added in the order the plan added them
                had = {name for name, _ in request.options or ()}
                order = {name: i for i, name in enumerate(added_order)}
                added = sorted((o for o in fixed.options if o[0] not in had), key=lambda o: order.get(o[0], -1))
                fixed = replace(fixed, options=tuple(o for o in fixed.options if o[0] in had) + tuple(added))
            plan = make_plan(ev, request, fixed, ev(fixed), list(applied))
            if tuple(plan[2:]) == changes:
                return plan
        plan = fix_stable(ev, request, unsafe=unsafe, wanted=wanted)
        if not plan.set_params:
            had = {name for name, _ in request.options or ()}
            self._plans[key] = (tuple(plan[2:]), tuple(n for n, _ in plan.request.options or () if n not in had))
            if len(self._plans) > self.size:
                self._plans.popitem(last=False)
        return plan
