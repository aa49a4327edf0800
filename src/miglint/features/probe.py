"""What `check` says of each flag and parameter of a hypervisor, found by asking it.

The matrix and `explain` say whether a flag or parameter is accepted, ignored or refused. Read from the
policy data alone, that can contradict the evaluator (a parameter listed as accepted that a rule always
refuses); here every answer is the evaluator's own, for a request a user would send. The requests start
from the policy's intents (the minimal accepted request for each, in each mode the driver runs), add the
flag or parameter, and are evaluated; when that is refused, the other findings' fixes are applied (never one
that drops the subject) to find what it needs besides. Pure: policies and the evaluator in, answers out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, NamedTuple

from ..engine.evaluate import Evaluator
from ..engine.fixes import fix_stable, minimize
from ..inputs.request import make_request
from ..model import REJECTING, Finding, ParamValue, Request, Result
from ..policy.load import PolicySet
from ..version import Version, format_version

# A value of each type that no rule refuses for being that value: the question is the parameter itself.
_SAMPLE: dict[str, Any] = {"string": "probe", "int": 1, "ullong": 100}


class Answer(NamedTuple):
    """What check says of a request that sets one flag or parameter."""

    status: str  # accepted | ignored | refused | unknown
    mode: str
    state: str
    rules: tuple[str, ...]  # the rules that refuse or ignore it
    needs: tuple[str, ...]  # flags or parameters it needs besides (added by the other findings' fixes)
    request: Request  # the request asked about (with what it needs)
    result: Result


class Verdict(NamedTuple):
    """The answers for one flag or parameter, summed up: accepted when some request with it is accepted."""

    status: str
    answers: tuple[Answer, ...]

    def by_mode(self) -> dict[str, str]:
        """The status in each mode, where the modes differ (bandwidth: accepted managed, ignored p2p)."""
        out: dict[str, str] = {}
        for mode in dict.fromkeys(a.mode for a in self.answers):
            out[mode] = _sum(a.status for a in self.answers if a.mode == mode)
        return out if len(set(out.values())) > 1 else {}

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r for a in self.answers if a.status == self.status for r in a.rules))


def _sum(statuses: Any) -> str:
    seen = set(statuses)
    for status in ("accepted", "ignored", "refused"):
        if status in seen:
            return status
    return "unknown"


def baselines(policies: PolicySet, evaluator: Evaluator, hypervisor: str, version: Version) -> list[Request]:
    """The minimal accepted request of each intent of the policy, in each mode the driver runs checks in."""
    driver = policies.driver(hypervisor)
    vocab = policies.vocab
    seq = driver.doc.get("sequence") or {}
    modes = [m for m in driver.sequences if seq.get(m)] or ["managed"]
    out: dict[tuple[Any, ...], Request] = {}
    for spec in (driver.doc.get("intents") or {}).values():
        if "unsupported" in spec:
            continue
        for mode in modes:
            if spec.get("mode") not in (None, mode):
                continue
            flags = list(spec.get("flags", []))
            if mode == "p2p" and vocab.mode_flag not in flags:
                flags.append(vocab.mode_flag)
            request = make_request(policies, hypervisor=hypervisor, state=str(spec["state"]), flags=flags,
                                   mode=mode, libvirt_version=format_version(version), domain="vm",
                                   desturi=_desturi(policies, hypervisor))
            plan = minimize(evaluator, request)
            if plan.result.prediction == "accepted" and plan.request.mode == mode:
                out.setdefault((plan.request.state, plan.request.mode, plan.request.flags, plan.request.params),
                               plan.request)
    return list(out.values())


def _desturi(policies: PolicySet, hypervisor: str) -> str:
    schemes = policies.driver(hypervisor).doc.get("uri_schemes") or []
    return f"{schemes[0]}+ssh://dst/system" if schemes else "dst"


def sample(policies: PolicySet, key: str) -> ParamValue:
    pd = policies.vocab.params[key]
    value = _SAMPLE[pd.type]
    return (value,) if pd.multi else value


def flag(policies: PolicySet, evaluator: Evaluator, bases: Sequence[Request], name: str) -> Verdict:
    bit = policies.vocab.flags[name].value
    if name == policies.vocab.mode_flag:  # the flag that makes a request peer-to-peer: asked in that mode
        bases = [b for b in bases if b.flags & bit] or bases
    answers = [_ask(evaluator, replace(b, flags=b.flags | bit), f"flag:{name}",
                    lambda r: bool(r.flags & bit)) for b in bases]
    return Verdict(_sum(a.status for a in answers), tuple(answers))


def param(policies: PolicySet, evaluator: Evaluator, bases: Sequence[Request], key: str) -> Verdict:
    value = sample(policies, key)
    answers = []
    for b in bases:
        params = dict(b.params)
        params.setdefault(key, value)
        answers.append(_ask(evaluator, replace(b, params=tuple(sorted(params.items()))), f"param:{key}",
                            lambda r: key in dict(r.params)))
    return Verdict(_sum(a.status for a in answers), tuple(answers))


def _about(f: Finding, subject: str) -> bool:
    return subject in f.subjects


def _drops(evaluator: Evaluator, f: Finding, subject: str) -> bool:
    """The finding's fix removes the subject (directly, or through the virsh option that sets it)."""
    kind, _, name = subject.partition(":")
    fix, vocab = f.fix, evaluator.vocab
    options = [vocab.options[o] for o in fix.remove_options if o in vocab.options]
    if kind == "flag":
        return name in fix.remove_flags or any(o.flag == name for o in options)
    return name in fix.remove_params or any(o.param == name for o in options)


def _ask(evaluator: Evaluator, request: Request, subject: str, has: Any) -> Answer:
    result = evaluator(request)
    if result.prediction == "rejected":
        # What it needs besides: the other findings' fixes, none that drops the subject.
        def keeps(f: Finding) -> bool:
            return not _drops(evaluator, f, subject)

        plan = fix_stable(evaluator, request, unsafe=True, wanted=keeps)
        if plan.result.prediction == "accepted" and has(plan.request):
            needs = tuple(f"+{x}" for x in plan.add_flags) + tuple(f"-{x}" for x in plan.remove_flags) + \
                tuple(f"+{k}" for k, _ in plan.set_params)
            return _answer(plan.result, plan.request, subject, needs)
        refusing = tuple(f.rule for f in result.findings if f.effect in REJECTING and _about(f, subject))
        first = (result.first_error.rule,) if result.first_error else ()
        return Answer("refused", request.mode, request.state, refusing or first, (), request, result)
    return _answer(result, request, subject, ())


def _answer(result: Result, request: Request, subject: str, needs: tuple[str, ...]) -> Answer:
    if result.prediction != "accepted":
        return Answer("unknown", request.mode, request.state, (), needs, request, result)
    ignoring = tuple(f.rule for f in result.findings if f.kind == "ignored" and _about(f, subject))
    return Answer("ignored" if ignoring else "accepted", request.mode, request.state, ignoring, needs, request,
                  result)
