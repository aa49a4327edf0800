"""The Python API for orchestrators: the same results the CLI prints, without a subprocess."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .evaluate import Evaluator
from .model import Job, Result
from .policies import PolicySet, load_policies

_default: tuple[PolicySet, Evaluator] | None = None
_evaluators: dict[int, Evaluator] = {}


def _evaluator(policies: PolicySet | None) -> tuple[PolicySet, Evaluator]:
    global _default
    if policies is None:
        if _default is None:
            ps = load_policies()
            _default = (ps, Evaluator(ps))
        return _default
    ev = _evaluators.get(id(policies))
    if ev is None or ev.policies is not policies:
        ev = _evaluators[id(policies)] = Evaluator(policies)
    return policies, ev


def check_request(hypervisor: str, *, state: str | None = None, flags: Any = 0,
                  params: Mapping[str, Any] | None = None, libvirt_version: str | None = None,
                  mode: str | None = None, facts: Mapping[str, Any] | None = None, domain: str | None = None,
                  desturi: str | None = None, policies: PolicySet | None = None) -> Result:
    """Check one migration request as libvirt's API would receive it.

    ``flags`` are names (``["LIVE", "VIR_MIGRATE_PEER2PEER"]``), an int bitmask or a "0x.." string;
    ``params`` are typed parameters by key or macro name. Raises :class:`miglint.UserError` on bad input.
    """
    from .inputs.request import make_request

    ps, ev = _evaluator(policies)
    return ev(make_request(ps, hypervisor=hypervisor, state=state, libvirt_version=libvirt_version, mode=mode,
                           flags=flags, params=params, facts=facts, domain=domain, desturi=desturi))


def check_command(command: str, *, hypervisor: str | None = None, state: str | None = None,
                  libvirt_version: str | None = None, facts: Mapping[str, Any] | None = None,
                  policies: PolicySet | None = None) -> Result:
    """Check one ``virsh ... migrate ...`` command line."""
    return check_command_job(command, hypervisor=hypervisor, state=state, libvirt_version=libvirt_version,
                             facts=facts, policies=policies)[1]


def check_command_job(command: str, *, hypervisor: str | None = None, state: str | None = None,
                      libvirt_version: str | None = None, facts: Mapping[str, Any] | None = None,
                      policies: PolicySet | None = None, job_id: str = "command") -> tuple[Job, Result]:
    from .inputs.request import check_facts, check_state
    from .inputs.virsh import command_job

    ps, ev = _evaluator(policies)
    job = command_job(command, policies=ps, hypervisor=hypervisor, state=check_state(state),
                      version=ps.vocab.version(libvirt_version), job_id=job_id,
                      facts=tuple(sorted(check_facts(facts).items())))
    return job, ev(job.request)


def result_to_dict(result: Result, job: Job | None = None, policies: PolicySet | None = None) -> dict[str, Any]:
    """The result as the JSON reporter writes it (schema miglint-result/1)."""
    from .reporters.json import result_dict

    ps, _ = _evaluator(policies)
    return result_dict(result, job, ps.vocab)
