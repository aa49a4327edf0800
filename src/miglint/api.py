"""The Python API for orchestrators: the same results the CLI prints, without a subprocess.

- :func:`check` lints files and command lines and returns the document ``miglint check --format json``
  prints, as a dict (the same dict: it is made by the same reporter).
- :func:`check_request` and :func:`check_command` check one request and return a typed
  :class:`~miglint.model.Result`; :func:`result_to_dict` turns it into the dict the CLI prints for it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

from . import pipeline
from .engine.assume import assume_state, assume_version
from .engine.evaluate import Evaluator
from .engine.fixes import plan_fix
from .inputs.request import check_state, make_request, request_facts
from .inputs.virsh import command_job
from .model import SEVERITIES, Job, Result
from .options import CheckOptions
from .errors import UserError
from .outputs.reporters import JSON_SCHEMA_VERSIONS, make_reporter
from .outputs.reporters.json import result_dict
from .pipeline import prepare
from .policy.load import PolicySet, load_policies

_default: tuple[PolicySet, Evaluator] | None = None
_evaluators: dict[int, Evaluator] = {}
_answers: dict[tuple[Any, ...], tuple[PolicySet | None, Result]] = {}


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
    # Orchestrators ask the same few flags-only questions many times: answer those from a table keyed by
    # the arguments themselves, before any validation (the first call for a key validates as usual).
    simple = params is None and facts is None and domain is None and desturi is None
    key: tuple[Any, ...] | None = None
    if simple:
        f = tuple(flags) if type(flags) is list else flags
        key = (id(policies), hypervisor, state, f, libvirt_version, mode)
        try:
            got = _answers.get(key)
        except TypeError:  # an unhashable flags value: validation below says what is wrong
            key, got = None, None
        if got is not None and got[0] is policies:  # the same policy set, not one at a reused address
            return got[1]
    ps, ev = _evaluator(policies)
    request = make_request(ps, hypervisor=hypervisor, state=state, libvirt_version=libvirt_version, mode=mode,
                           flags=flags, params=params, facts=facts, domain=domain, desturi=desturi)
    if state is None:  # the state the command line assumes for it (engine.assume), so that both say the same
        assumed = ev.assumed(request)
        if assumed is not None:
            request = replace(request, state=assumed[0])
    result = ev(request)
    if key is not None:
        if len(_answers) >= 65536:
            _answers.clear()
        _answers[key] = (policies, result)
    return result


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise UserError(f"{name} must be a string, got {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (None)"
    name = type(value).__name__
    return f"{'an' if name[:1] in 'aeiou' else 'a'} {name}"


def _names(name: str, value: Any, *, paths: bool) -> tuple[str, ...]:
    """A list of strings (paths: or Path objects); one string (or Path) alone is a list of one."""
    one = (str, Path) if paths else (str,)
    if isinstance(value, one):
        return (str(value),)
    if isinstance(value, (list, tuple)) and all(isinstance(x, one) for x in value):
        return tuple(str(x) for x in value)
    what = "paths (strings or pathlib.Path)" if paths else "strings"
    raise UserError(f"{name} must be a list of {what}, got {_kind(value)}")


def _choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value is not None and value not in choices:
        raise UserError(f"{name} is one of {', '.join(choices)}, got {value!r:.40}")


def check_command(command: str, *, hypervisor: str | None = None, state: str | None = None,
                  libvirt_version: str | None = None, facts: Mapping[str, Any] | None = None,
                  policies: PolicySet | None = None) -> Result:
    """Check one ``virsh ... migrate ...`` command line."""
    return check_command_job(command, hypervisor=hypervisor, state=state, libvirt_version=libvirt_version,
                             facts=facts, policies=policies)[1]


def check_command_job(command: str, *, hypervisor: str | None = None, state: str | None = None,
                      libvirt_version: str | None = None, facts: Mapping[str, Any] | None = None,
                      policies: PolicySet | None = None, job_id: str = "<command>") -> tuple[Job, Result]:
    """Like :func:`check_command`, also returning the job (id, text and the position of each option), so
    that ``result_to_dict(result, job)`` is what ``miglint check --format json --command ...`` prints."""
    _text("command", command)
    ps, ev = _evaluator(policies)
    job = command_job(command, policies=ps, hypervisor=hypervisor, state=check_state(state),
                      version=ps.vocab.version(libvirt_version), job_id=job_id,
                      facts=tuple(sorted(request_facts(ps.vocab, facts).items())))
    job = assume_version(ps.vocab, assume_state(ev, job))  # what the command line assumes, said on the job
    return job, ev(job.request)


def result_to_dict(result: Result, job: Job | None = None, policies: PolicySet | None = None) -> dict[str, Any]:
    """The result as the JSON reporter writes it (schema miglint-result/1), fix plan included.

    Without ``job`` the keys that come from the input (``id``, ``command``, ``location``) are None."""
    if not isinstance(result, Result):
        raise UserError(f"result_to_dict takes a Result (from check_request or check_command), got {_kind(result)}")
    ps, ev = _evaluator(policies)
    plan = plan_fix(ev, result.request) if result.prediction == "rejected" else None
    return result_dict(result, job, ps.vocab, plan)


def check(paths: Sequence[str | Path] = (), commands: Sequence[str] = (), *, hypervisor: str | None = None,
          state: str | None = None, libvirt_version: str | None = None, mode: str | None = None,
          policy_dirs: Sequence[str | Path] = (), disable: Sequence[str] = (), fail_on: str | None = None,
          config: str | Path | None = None, suppress: bool = True,
          json_schema_version: str = "1") -> dict[str, Any]:
    """Lint plan files, scripts, directories and ``virsh migrate`` command lines like ``miglint check``.

    Returns the document ``miglint check --format json --json-schema-version 1`` prints for the same arguments,
    as a dict: ``{"schema", "results", "errors", "summary"}`` (and ``"notes"`` when there are some);
    ``json_schema_version="2"`` gives the compact document (``--format json``'s default: rules and files as
    tables). Configuration files are read only when ``config`` names one. Raises :class:`miglint.UserError` on
    bad arguments; problems in the inputs are in ``errors``."""
    if state is not None:
        check_state(state)
    path_names, command_texts = _names("paths", paths, paths=True), _names("commands", commands, paths=False)
    _choice("fail_on", fail_on, SEVERITIES)
    if not isinstance(json_schema_version, str):
        raise UserError(f"json_schema_version is a string, one of {', '.join(JSON_SCHEMA_VERSIONS)}, got "
                        f"{_kind(json_schema_version)}")
    opts = CheckOptions(paths=path_names, command=command_texts, hypervisor=hypervisor,
                        state=state, libvirt_version=libvirt_version,
                        mode=mode, policy_dir=tuple(Path(p) for p in _names("policy_dirs", policy_dirs, paths=True)),
                        disable=_names("disable", disable, paths=False),
                        fail_on=fail_on, config=None if config is None else Path(config), no_config=config is None,
                        no_suppress=not suppress)
    out = io.StringIO()
    with ExitStack() as stack:
        prepared = prepare(opts, stack, source="argument")
        if json_schema_version not in JSON_SCHEMA_VERSIONS:
            raise UserError(f"json_schema_version is one of {', '.join(JSON_SCHEMA_VERSIONS)}, got "
                            f"{json_schema_version!r:.40}")
        reporter = make_reporter("json", out, prepared.policies.vocab, json_schema_version=json_schema_version,
                                 policies=prepared.policies, severities=dict(prepared.settings.severity))
        pipeline.check(prepared, opts.paths, opts.command, [reporter])
    return json.loads(out.getvalue())  # type: ignore[no-any-return]
