"""Requests from structured data: plan entries and the Python API (flags as names or a bitmask, typed params)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ..errors import At, UserError, did_you_mean, shown
from ..model import MODES, STATES, Job, Location, ParamValue, Request, Suppression
from ..policy.load import PolicySet
from ..policy.vocabulary import Vocabulary, int_range
from ..settings import Defaults
from ..version import Version, check_version_text, format_version
from .domainxml import XML_FACT, domain_info, read_text
from .virsh import command_job, migration_words

ENTRY_KEYS = ("id", "hypervisor", "state", "libvirt_version", "mode", "command", "flags", "params", "facts",
              "host", "domain", "desturi", "ignore", "domain_xml", "qemu_version")


def check_state(state: str | None) -> str:
    if state is None:
        return "unknown"
    if state not in STATES:
        raise UserError(f"invalid state {shown(state)}: use one of {', '.join(STATES)}{did_you_mean(str(state), STATES)}")
    return state


def check_mode(mode: str | None) -> str | None:
    if mode is not None and mode not in MODES:
        raise UserError(f"invalid mode {shown(mode)}: use one of {', '.join(MODES)}{did_you_mean(str(mode), MODES)}")
    return mode


def resolve_mode(mode: str | None, flags: int, mode_bit: int) -> str:
    """virsh's and libvirt's rule: ToURI3 with the peer-to-peer flag is p2p, without it direct."""
    if mode is None or mode == "managed":
        return "p2p" if mode is None and flags & mode_bit else "managed"
    return "p2p" if flags & mode_bit else "direct"


def typed_params(policies: PolicySet, params: Mapping[str, Any] | None) -> tuple[tuple[str, ParamValue], ...]:
    """The request's typed parameters, by key, sorted. A key libvirt does not define is kept as given: the driver
    refuses it (virTypedParamsValidate: "parameter 'x' not supported"), a finding rather than an input error. A
    value of the wrong type for a parameter libvirt defines is an input error -- unless an unknown key sorts before
    it: virTypedParamsValidate walks the parameters sorted by name and stops at the first it does not know."""
    if params is None:
        return ()
    if not isinstance(params, Mapping):
        raise UserError(f"params must be a mapping of parameter name to value, got {type(params).__name__}",
                        at=("params",))
    vocab = policies.vocab
    named: dict[str, Any] = {}
    unknown: set[str] = set()
    for name, value in params.items():
        if not isinstance(name, str):
            raise UserError(f"a parameter's name is a string, got {shown(name)}", at=("params",))
        try:
            key = vocab.param_key(str(name))
        except UserError:
            key = str(name)
            unknown.add(key)
        named[key] = (name, value)
    first_unknown = min(unknown) if unknown else None
    out: dict[str, ParamValue] = {}
    for key, (name, value) in named.items():
        if key in unknown or (first_unknown is not None and key > first_unknown):
            with At("params", str(name)):
                raw = _raw_param(key, value)
            if raw is not None:
                out[key] = raw
            continue
        pd = vocab.params[key]
        with At("params", str(name)):
            if pd.multi:
                items = [value] if isinstance(value, str) else value
                if not isinstance(items, (list, tuple)) or not all(isinstance(x, str) for x in items):
                    raise UserError(f"parameter {key!r} takes a string or a list of strings, got {shown(value)}")
                if not items:
                    continue  # a multi-valued parameter is one entry per value: no values, nothing is sent
                out[key] = tuple(items)
            elif pd.type == "string":
                if not isinstance(value, str):
                    raise UserError(f"parameter {key!r} takes a string, got {shown(value)}")
                out[key] = value
            else:
                if isinstance(value, bool) or not isinstance(value, int):
                    raise UserError(f"parameter {key!r} takes an integer ({pd.type}), got {shown(value)}")
                lo, hi = int_range(pd.type)
                if not lo <= value <= hi:
                    raise UserError(f"parameter {key!r} is out of range for {pd.type} ({lo} to {hi}): {value}")
                out[key] = value
    return tuple(sorted(out.items()))


def _raw_param(key: str, value: Any) -> ParamValue | None:
    """A value libvirt does not check the type of (an unknown key, or a known one after it), as the request holds
    it; None for an empty list (nothing is sent). Only what a typed parameter can carry."""
    if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(x, str) for x in value):
        return tuple(value) if value else None
    raise UserError(f"parameter {key!r} takes a string, an integer or a list of strings, got {shown(value)}")


def check_facts(vocab: Vocabulary, facts: Mapping[str, Any] | None, prefix: str = "",
                key: str = "facts") -> dict[str, Any]:
    """Facts given by a user (a plan's ``facts``, or ``host`` with ``prefix="host."``, the API, --fact): each
    name known to the vocabulary, each value of its type. ``key``: where they stand in a plan entry."""
    if facts is None:
        return {}
    if not isinstance(facts, Mapping):
        raise UserError(f"{key} must be a mapping, got {type(facts).__name__}", at=(key,))
    out: dict[str, Any] = {}
    for k, v in facts.items():
        name = f"{prefix}{k}"
        with At(key, str(k), part="key"):
            vocab.fact(name, str(k) if prefix else None)
        with At(key, str(k)):
            out[name] = vocab.fact_value(name, v, str(k) if prefix else None)
    return out


def request_facts(vocab: Vocabulary, facts: Mapping[str, Any] | None) -> dict[str, Any]:
    """A request's facts checked, the domain's XML (``domain_xml``, which the context reads into domain.* facts)
    kept as given."""
    if not isinstance(facts, Mapping) or XML_FACT not in facts:
        return check_facts(vocab, facts)
    rest = dict(facts)
    xml = rest.pop(XML_FACT)
    return {**check_facts(vocab, rest), XML_FACT: xml}


def _text(entry: Mapping[str, Any], key: str, default: Any = None, numbers: bool = False) -> str | None:
    """A string value of a plan entry (numbers too when ``numbers``: ids), or ``default``."""
    v = entry.get(key, default)
    if v is None or isinstance(v, str):
        return v
    if numbers and isinstance(v, (int, float)) and not isinstance(v, bool):
        return str(v)
    raise UserError(f"{key!r} must be a string, got {type(v).__name__}: {shown(v, 60)}", at=(key,))


def make_request(policies: PolicySet, *, hypervisor: str, state: str | None = None,
                 libvirt_version: str | None = None, mode: str | None = None, flags: Any = 0,
                 params: Mapping[str, Any] | None = None, facts: Mapping[str, Any] | None = None,
                 domain: str | None = None, desturi: str | None = None) -> Request:
    """A request from the API's or a plan entry's values, each checked; a UserError says what is wrong (and
    ``at``: where). The usual request, every value well-formed, is made from remembered checks."""
    fast = _plain_request(policies, hypervisor, state, libvirt_version, mode, flags, params, facts, domain, desturi)
    if fast is not None:
        return fast
    return checked_request(policies, hypervisor=hypervisor, state=state, libvirt_version=libvirt_version, mode=mode,
                           flags=flags, params=params, facts=facts, domain=domain, desturi=desturi)


class _Known:
    """What one vocabulary has said about values seen before: flag lists, versions (bounded tables)."""

    LIMIT = 4096

    def __init__(self, vocab: Vocabulary) -> None:
        self.vocab = vocab
        self.flags: dict[tuple[str, ...], int] = {}
        self.versions: dict[str, str] = {}
        self.mode_bit = vocab.flags[vocab.mode_flag].value
        self.ranges = {key: int_range(pd.type) for key, pd in vocab.params.items() if pd.type in ("int", "uint", "ullong")}

    def flag_mask(self, names: tuple[str, ...]) -> int | None:
        got = self.flags.get(names)
        if got is None:
            try:
                got = self.vocab.flags_value(list(names))
            except UserError:
                return None
            if len(self.flags) >= self.LIMIT:
                self.flags.clear()
            self.flags[names] = got
        return got

    def version(self, text: str | None) -> str | None:
        key = "" if text is None else text
        got = self.versions.get(key)
        if got is None:
            try:
                got = format_version(self.vocab.version(text))
            except UserError:
                return None
            if len(self.versions) >= self.LIMIT:
                self.versions.clear()
            self.versions[key] = got
        return got


_KNOWN: dict[int, _Known] = {}


def _plain_request(policies: PolicySet, hypervisor: Any, state: Any, libvirt_version: Any, mode: Any, flags: Any,
                   params: Any, facts: Any, domain: Any, desturi: Any) -> Request | None:
    """The request when every value is of the usual, well-formed kind, else None (checked_request then says what
    is wrong): the same request checked_request makes, from remembered answers."""
    vocab = policies.vocab
    known = _KNOWN.get(id(vocab))
    if known is None or known.vocab is not vocab:
        if len(_KNOWN) >= 8:
            _KNOWN.clear()
        known = _KNOWN[id(vocab)] = _Known(vocab)
    if hypervisor.__class__ is not str or hypervisor not in policies.drivers \
            or (state is not None and (state.__class__ is not str or state not in STATES)) \
            or (mode is not None and (mode.__class__ is not str or mode not in MODES)) \
            or (domain is not None and domain.__class__ is not str) \
            or (desturi is not None and desturi.__class__ is not str) or (facts is not None and facts != {}):
        return None
    version = known.version(libvirt_version) if libvirt_version is None or libvirt_version.__class__ is str else None
    if version is None:
        return None
    if flags.__class__ is list or flags.__class__ is tuple:
        names = tuple(flags)
        try:
            mask = known.flags.get(names)
        except TypeError:  # an item that is not a string (a list): checked_request says so
            return None
        if mask is None:
            if not all(f.__class__ is str for f in flags):
                return None
            mask = known.flag_mask(names)
    elif flags.__class__ is int and 0 <= flags < 1 << 32:
        mask = flags
    else:
        return None
    if mask is None:
        return None
    typed: tuple[tuple[str, ParamValue], ...] = ()
    if params is not None:
        if params.__class__ is not dict:
            return None
        out: list[tuple[str, ParamValue]] = []
        defs, ranges = vocab.params, known.ranges
        for key, value in params.items():
            pd = defs.get(key)
            if pd is None:
                return None  # a macro name, or unknown: checked_request says which
            if pd.multi:
                if value.__class__ is str:
                    out.append((key, (value,)))
                elif (value.__class__ is list or value.__class__ is tuple) and all(x.__class__ is str for x in value):
                    if value:
                        out.append((key, tuple(value)))
                else:
                    return None
            elif pd.type == "string":
                if value.__class__ is not str:
                    return None
                out.append((key, value))
            else:
                bounds = ranges.get(key)
                if bounds is None or value.__class__ is not int or not bounds[0] <= value <= bounds[1]:
                    return None
                out.append((key, value))
        out.sort()
        typed = tuple(out)
    return Request(hypervisor=hypervisor, libvirt_version=version, state="unknown" if state is None else state,
                   mode=resolve_mode(mode, mask, known.mode_bit), flags=mask, params=typed, domain=domain,
                   desturi=desturi)



def checked_request(policies: PolicySet, *, hypervisor: str, state: str | None = None,
                    libvirt_version: str | None = None, mode: str | None = None, flags: Any = 0,
                    params: Mapping[str, Any] | None = None, facts: Mapping[str, Any] | None = None,
                    domain: str | None = None, desturi: str | None = None) -> Request:
    """make_request, every value checked in turn (the errors' wording and place)."""
    vocab = policies.vocab
    with At("hypervisor"):
        policies.driver(hypervisor)
    for key, value in (("domain", domain), ("desturi", desturi)):
        if value is not None and not isinstance(value, str):
            raise UserError(f"{key!r} must be a string, got {type(value).__name__}: {shown(value, 60)}", at=(key,))
    with At("libvirt_version"):
        version: Version = vocab.version(check_version_text(libvirt_version))
    if isinstance(flags, (list, tuple)):
        for i, item in enumerate(flags):
            with At("flags", i):
                if not isinstance(item, str):
                    raise UserError(f"flag names must be strings, got {shown(item)}")
                vocab.flag(item)
    with At("flags"):
        mask = vocab.flags_value(flags if flags is not None else 0)
    with At("state"):
        checked_state = check_state(state)
    with At("mode"):
        checked_mode = check_mode(mode)
    return Request(
        hypervisor=hypervisor, libvirt_version=format_version(version), state=checked_state,
        mode=resolve_mode(checked_mode, mask, vocab.flags[vocab.mode_flag].value), flags=mask,
        params=typed_params(policies, params), facts=tuple(sorted(request_facts(vocab, facts).items())),
        domain=domain, desturi=desturi,
    )


# Two ways to say what is asked: a command line, or flags and parameters. An entry that says one takes no default
# for the other (a command says its own flags).
_CHOICES = (("command",), ("flags", "params"))


def entry_with_defaults(entry: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """A plan entry with the plan's ``defaults`` for what it does not say (``facts`` and ``host`` merged: the
    entry's own win; a command, or flags and parameters, only when the entry says neither)."""
    out = dict(defaults)
    for mine, other in (_CHOICES, _CHOICES[::-1]):
        if any(k in entry for k in mine):
            for k in other:
                out.pop(k, None)
    for k, v in entry.items():
        if k in ("facts", "host") and isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = {**out[k], **v}
        else:
            out[k] = v
    return out


def job_from_entry(policies: PolicySet, entry: Any, defaults: Defaults, where: Location, index: int,
                   command_at: tuple[int, int] | None = None) -> Job:
    """A plan entry (a mapping) -> a job. An error says the path of the key or value at fault (``at``); the
    plan's reader turns it into a line and column (else it stands at the entry's line)."""
    if not isinstance(entry, Mapping):
        raise UserError(f"a plan entry is a mapping, got {type(entry).__name__}", at=())
    vocab = policies.vocab
    for k in entry:
        if k not in ENTRY_KEYS:
            raise UserError(f"unknown key {shown(k)} in plan entry{did_you_mean(str(k), ENTRY_KEYS)}",
                            at=(str(k),), part="key")
    given_id = _text(entry, "id", numbers=True)
    job_id = f"{where.file}#{index + 1}" if given_id is None else given_id  # no id, or null: its place
    with At("state"):
        state = check_state(entry.get("state", defaults.state))
    with At("libvirt_version"):
        version_text = check_version_text(entry.get("libvirt_version", defaults.libvirt_version))
        version = vocab.version(version_text)
    hypervisor = _text(entry, "hypervisor", defaults.hypervisor)
    facts = check_facts(vocab, entry.get("facts"))
    facts.update(check_facts(vocab, entry.get("host"), "host.", key="host"))
    if "qemu_version" in entry:
        with At("qemu_version"):
            facts["qemu.version"] = vocab.fact_value("qemu.version", entry["qemu_version"], "qemu_version")
    if "domain_xml" in entry:
        with At("domain_xml"):
            facts[XML_FACT] = _domain_xml(entry["domain_xml"], where)
    command = entry.get("command")
    if command is not None:
        if "flags" in entry or "params" in entry:
            raise UserError("a plan entry has either 'command' or 'flags'/'params', not both",
                            at=("flags" if "flags" in entry else "params",), part="key")
        if not isinstance(command, str):
            raise UserError(f"'command' must be a string, got {type(command).__name__}", at=("command",))
        job = command_job(command, policies=policies, hypervisor=hypervisor, state=state,
                          version=version, job_id=job_id, file=where.file,
                          facts=tuple(sorted(facts.items())), words=_shift(command, where, command_at))
        return replace(job, location=where, text=command, suppressed=_ignores(entry, where))
    if hypervisor is None:
        raise UserError("the entry names no hypervisor: add 'hypervisor' or give --hypervisor", at=())
    mode = entry.get("mode", defaults.mode)
    request = make_request(
        policies, hypervisor=str(hypervisor), state=state, libvirt_version=version_text,
        mode=mode, flags=entry.get("flags", 0), params=entry.get("params"),
        facts=facts, domain=entry.get("domain"), desturi=entry.get("desturi"),
    )
    assumed: tuple[str, ...] = ()
    if mode == "p2p" and request.mode == "direct":  # the flags say what libvirt does
        assumed = (f"mode p2p without {policies.vocab.flags[policies.vocab.mode_flag].macro} in the flags: "
                   "virDomainMigrateToURI3 migrates directly (mode direct)",)
    return Job(job_id, request, where, (), None, _ignores(entry, where), assumed=assumed)


def _domain_xml(value: Any, where: Location) -> str:
    """``domain_xml``: the XML itself (text starting with '<'), or a file relative to the plan's directory.
    Checked now, so a bad document is reported at its entry."""
    if not isinstance(value, str) or not value.strip():
        raise UserError("'domain_xml' is a file name or the domain's XML text")
    if value.lstrip().startswith("<"):
        try:
            domain_info(value, "domain_xml")
        except UserError as e:  # reported at the entry: "plan.yaml:3: domain_xml:2:7: malformed ..."
            raise UserError(str(e)) from None
        return value
    base = os.path.dirname(where.file) if where.file not in ("-", "<stdin>") else ""
    path = os.path.join(base, os.path.expanduser(value))
    try:
        text = read_text(path)
    except UserError as e:  # at the entry: "plan.yaml:3: domain_xml xml/web1.xml: cannot read ..."
        raise UserError(f"domain_xml {path}: {e.message}") from None
    domain_info(text, path)
    return text


def _ignores(entry: Mapping[str, Any], where: Location, scope: str = "entry") -> tuple[Suppression, ...]:
    """``ignore: [Q053, {rule: Q054, reason: ...}]`` -> suppressions (rule as written; checked by the reader)."""
    ign = entry.get("ignore")
    if ign is None:
        return ()
    items = ign if isinstance(ign, list) else [ign]
    out = []
    for item in items:
        if isinstance(item, str):
            out.append(Suppression(item, "", where, scope))
        elif isinstance(item, Mapping) and isinstance(item.get("rule"), str) and set(item) <= {"rule", "reason"} \
                and isinstance(item.get("reason", ""), (str, int, float)):
            out.append(Suppression(item["rule"], str(item.get("reason") or ""), where, scope))
        else:
            raise UserError("'ignore' takes rule ids or names, or mappings with 'rule' and 'reason'",
                            f"{where.file}:{where.line}")
    return tuple(out)


def _shift(command: str, where: Location, at: tuple[int, int] | None = None) -> Any:
    """Words of a command embedded in a plan file: at the command text's own position when the reader knows
    it (a one-line YAML scalar), else at the entry's line."""
    words = migration_words(command, where.file)
    if at is not None:
        return [w._replace(line=at[0] + w.line - 1, column=w.column + at[1] - 1 if w.line == 1 else w.column)
                for w in words]
    return [w._replace(line=where.line + w.line - 1) for w in words]
