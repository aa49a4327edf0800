"""What the policies say about each flag and parameter of one hypervisor at one libvirt version.

Derived from the data alone: ``accepts`` gives support, ``behaviour`` the default and what setting a flag
does, and the rules of kind requires / forbidden / exclusive / unsupported-flag (their fixes name the
flags they add or remove) say when a flag is required or forbidden. A rule's condition is partially
evaluated with the subject flag fixed (absent for "required", present for "forbidden") and the driver's
features and the version known; what remains is described in words. Pure: no printing, no files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

from ..engine.evaluate import Evaluator
from ..model import REJECTING
from ..policy.conditions import (
    All,
    Flags,
    FlagsOutside,
    Known,
    Node,
    Options,
    Params,
    ParamsOutside,
    const,
    version_only,
    walk,
)
from ..policy.load import Driver, PolicySet, Rule
from ..policy.values import join_words
from ..policy.vocabulary import Vocabulary
from ..version import Version, format_version
from . import probe
from .probe import Answer, Verdict

REQUIRE_KINDS = ("requires",)
FORBID_KINDS = ("requires", "forbidden", "exclusive", "unsupported-flag", "unsupported-param")
IGNORE_KINDS = ("ignored",)


# -- per flag and parameter -------------------------------------------------------------------------


class Constraint(NamedTuple):
    rule: str
    name: str
    condition: str  # "always" when unconditional
    always: bool
    safe: bool  # the rule's fix keeps the request's meaning


class FlagRow(NamedTuple):
    flag: str
    option: str | None
    since: str
    accepted: str  # yes | no | unsure
    accepted_versions: str  # when acceptance depends on the libvirt version
    default: str  # on | off | n/a | "" (not said)
    when_set: str  # honoured | ignored | refused | unsure
    omitted: str
    set: str
    note: str
    required: tuple[Constraint, ...]
    forbidden: tuple[Constraint, ...]
    ignored: tuple[Constraint, ...]
    refused_by: str  # the rule that refuses flags outside the accepted set
    modes: tuple[tuple[str, str], ...] = ()  # (mode, status) where the modes differ
    probe: tuple[Answer, ...] = ()  # what check said of the requests that set it (features.probe)
    refused_when: tuple[str, ...] = ()  # rules that refused it in those requests, each under a condition


class ParamRow(NamedTuple):
    key: str
    option: str | None
    type: str
    since: str
    accepted: str
    accepted_versions: str
    forbidden: tuple[Constraint, ...]
    ignored: tuple[Constraint, ...]
    when_set: str = "honoured"  # honoured | ignored | refused | unsure
    refused_by: str = ""
    modes: tuple[tuple[str, str], ...] = ()
    probe: tuple[Answer, ...] = ()
    refused_when: tuple[str, ...] = ()


def usable_modes(driver: Driver) -> tuple[str, ...]:
    """Modes in which the driver itself runs checks (its own sequence is not empty)."""
    seq = driver.doc.get("sequence") or {}
    return tuple(m for m in driver.sequences if seq.get(m))


def rule_modes(driver: Driver, rule: Rule) -> tuple[str, ...]:
    return tuple(m for m in usable_modes(driver) if set(rule.groups) & set(driver.sequences[m]))


class Analysis:
    """Flags and parameters of one driver at one libvirt version. Whether each is accepted, ignored or refused
    is what the evaluator says of requests that set it (features.probe); the policy data says when (the
    conditions of the rules that require, forbid or ignore it) and what it does (``behaviour``)."""

    def __init__(self, policies: PolicySet, hypervisor: str, version: Version,
                 evaluator: Evaluator | None = None) -> None:
        self.policies = policies
        self.evaluator = evaluator or Evaluator(policies)
        self.vocab = policies.vocab
        self.driver = policies.driver(hypervisor)
        self.version = version
        self.view = self.driver.view(version)
        self.modes = usable_modes(self.driver)
        self._required: dict[str, list[Constraint]] = {}
        self._forbidden: dict[str, list[Constraint]] = {}
        self._ignored: dict[str, list[Constraint]] = {}
        self._pforbidden: dict[str, list[Constraint]] = {}
        self._pignored: dict[str, list[Constraint]] = {}
        self.refused_by = ""
        self.refused_param_by = ""
        self._derive()
        self.bases = probe.baselines(policies, self.evaluator, hypervisor, version)

    def _known(self, rule_modes_: tuple[str, ...], flags: Mapping[str, bool] = {},
               params: Mapping[str, bool] = {}) -> Known:
        vocab = self.vocab
        options = {vocab.option_for_flag[f]: v for f, v in flags.items() if f in vocab.option_for_flag}
        options.update({vocab.option_for_param[p]: v for p, v in params.items() if p in vocab.option_for_param})
        return Known(flags, options, params, self.view.features, self.version, rule_modes_)

    def _constraint(self, rule: Rule, modes: tuple[str, ...], residual: Node) -> Constraint:
        text = residual.describe(self.vocab)
        if tuple(modes) != tuple(self.modes):
            where = join_words(list(modes), "or") + " mode"
            text = where if text == "always" else f"{text} ({where})"
        always = version_only(residual) and tuple(modes) == tuple(self.modes)
        return Constraint(rule.id, rule.name, text, always, rule.fix.safe)

    def _derive(self) -> None:
        vocab = self.vocab
        for rule in self.driver.rules:
            modes = rule_modes(self.driver, rule)
            if not modes:
                continue
            nodes = list(walk(rule.when))
            if rule.effect in REJECTING and any(isinstance(n, FlagsOutside) for n in nodes):
                self.refused_by = self.refused_by or rule.id
            if rule.effect in REJECTING and any(isinstance(n, ParamsOutside) for n in nodes):
                self.refused_param_by = self.refused_param_by or rule.id
            fix = rule.fix
            remove_flags = list(fix.remove_flags)
            remove_flags += [o.flag for n in fix.remove_options if (o := vocab.options.get(n)) and o.flag]
            remove_params = list(fix.remove_params)
            if rule.effect in REJECTING and rule.kind in REQUIRE_KINDS:
                self._note(self._required, rule, modes, fix.add_flags, value=False)
            if rule.effect in REJECTING and rule.kind in FORBID_KINDS:
                subjects = remove_flags
                psubjects = remove_params
                if not (subjects or psubjects or fix.add_flags or fix.add_options or fix.set_params) \
                        and not rule.fix_matched and rule.kind in ("forbidden", "exclusive"):
                    subjects, psubjects = _positive(rule.when, vocab)
                self._note(self._forbidden, rule, modes, subjects)
                self._note(self._pforbidden, rule, modes, psubjects, param=True)
            if rule.kind in IGNORE_KINDS and rule.effect not in REJECTING:
                self._note(self._ignored, rule, modes, remove_flags)
                self._note(self._pignored, rule, modes, remove_params, param=True)

    def _note(self, table: dict[str, list[Constraint]], rule: Rule, modes: tuple[str, ...],
              names: Iterable[str], value: bool = True, param: bool = False) -> None:
        """Record, per flag (or parameter) name, when the rule fires with that name set to ``value``."""
        for name in dict.fromkeys(names):
            known = self._known(modes, params={name: value}) if param else self._known(modes, {name: value})
            residual = rule.when.simplify(known)
            if const(residual) is not False:
                table.setdefault(name, []).append(self._constraint(rule, modes, residual))

    def _always(self, rule_id: str, flags: Mapping[str, bool] = {}, params: Mapping[str, bool] = {}) -> bool:
        """The rule holds whenever the flag or parameter is set (in the modes it runs in), whatever else the
        request says: its condition, so simplified, is true."""
        rule = self.policies.rules.get(rule_id)
        if rule is None:
            return True
        known = self._known(rule_modes(self.driver, rule) or self.modes, flags, params)
        return const(rule.when.simplify(known)) is True

    # -- flags -----------------------------------------------------------------------------------

    def accepts_entry(self, kind: str, name: str) -> str:
        """Version text for a flag or parameter whose acceptance depends on the libvirt version."""
        spec = (self.driver.doc.get("accepts") or {}).get(kind, "all")
        if spec == "all":
            return ""
        for entry in spec:
            if isinstance(entry, dict):
                ename = entry["name"] if kind == "flags" else self.vocab.param_key(entry["name"])
                if ename == name:
                    text = f"accepted {entry.get('libvirt', '')}".strip()
                    if entry.get("unsure"):
                        text += f" (not known for {entry['unsure']})"
                    return text
        return ""

    def flag_row(self, flag: str) -> FlagRow:
        vocab = self.vocab
        fd = vocab.flags[flag]
        bit = fd.value
        if self.view.accepted_flags & bit:
            accepted = "yes"
        elif self.view.unsure_flags & bit:
            accepted = "unsure"
        else:
            accepted = "no"
        beh = (self.driver.doc.get("behaviour") or {}).get(flag) or {}
        ignored = tuple(self._ignored.get(flag, ()))
        forbidden = tuple(self._forbidden.get(flag, ()))
        if accepted == "no":
            when_set = "refused"
        elif accepted == "unsure":
            when_set = "unsure"
        elif beh.get("when_set"):
            when_set = str(beh["when_set"])
        elif any(c.always for c in forbidden):
            when_set = "refused"
        elif any(c.always for c in ignored):
            when_set = "ignored"
        else:
            when_set = "honoured"
        set_text = str(beh.get("set", ""))
        if not set_text and accepted == "no":
            if fd.since > self.version:
                set_text = f"Refused: libvirt {format_version(self.version)} does not know this flag."
            else:
                set_text = "Refused: the driver does not accept this flag."
        versions = self.accepts_entry("flags", flag)
        if fd.since > self.version:
            versions = f"not in libvirt {format_version(self.version)}"
        verdict = probe.flag(self.policies, self.evaluator, self.bases, flag) if self.bases else None
        refused_by = self.refused_by if accepted != "yes" else ""
        if verdict is not None and accepted != "unsure":
            accepted, when_set, refused_by = _reconcile(verdict, accepted, when_set, refused_by,
                                                        lambda r: self._always(r, flags={flag: True}))
        return FlagRow(
            flag=flag, option=vocab.option_for_flag.get(flag), since=format_version(fd.since), accepted=accepted,
            accepted_versions=versions, default=str(beh.get("default", "")), when_set=when_set,
            omitted=str(beh.get("omitted", "")), set=set_text, note=str(beh.get("note", "")),
            # A refused flag is refused whatever else the request says: its other constraints are moot.
            required=tuple(self._required.get(flag, ())) if accepted != "no" else (),
            forbidden=forbidden if accepted != "no" else (), ignored=ignored if accepted != "no" else (),
            refused_by=refused_by,
            modes=tuple(verdict.by_mode().items()) if verdict is not None else (),
            probe=verdict.answers if verdict is not None else (),
            refused_when=_refused_when(verdict, forbidden, accepted),
        )

    def flag_rows(self) -> list[FlagRow]:
        return [self.flag_row(f.name) for f in sorted(self.vocab.flags.values(), key=lambda f: f.bit)]

    # -- parameters ------------------------------------------------------------------------------

    def param_row(self, key: str) -> ParamRow:
        pd = self.vocab.params[key]
        if key in self.view.accepted_params:
            accepted = "yes"
        elif key in self.view.unsure_params:
            accepted = "unsure"
        else:
            accepted = "no"
        versions = self.accepts_entry("params", key)
        if pd.since > self.version:
            versions = f"not in libvirt {format_version(self.version)}"
        forbidden, ignored = tuple(self._pforbidden.get(key, ())), tuple(self._pignored.get(key, ()))
        when_set = "refused" if accepted == "no" else "unsure" if accepted == "unsure" else "honoured"
        refused_by = self.refused_param_by if accepted != "yes" else ""
        verdict = probe.param(self.policies, self.evaluator, self.bases, key) if self.bases else None
        if verdict is not None and accepted != "unsure":
            accepted, when_set, refused_by = _reconcile(verdict, accepted, when_set, refused_by,
                                                        lambda r: self._always(r, params={key: True}))
        return ParamRow(key, self.vocab.option_for_param.get(key), pd.type, format_version(pd.since), accepted,
                        versions, forbidden if accepted != "no" else (), ignored if accepted != "no" else (),
                        when_set, refused_by, tuple(verdict.by_mode().items()) if verdict is not None else (),
                        verdict.answers if verdict is not None else (), _refused_when(verdict, forbidden, accepted))

    def param_rows(self) -> list[ParamRow]:
        return [self.param_row(k) for k in self.vocab.params]


def _refused_when(verdict: Verdict | None, forbidden: tuple[Constraint, ...], accepted: str) -> tuple[str, ...]:
    """The rules that refused the requests asked although the flag or parameter is accepted (each holds under a
    condition: a value, a companion flag), besides those the data already lists as forbidding it."""
    if verdict is None or accepted == "no":
        return ()
    listed = {c.rule for c in forbidden}
    return tuple(dict.fromkeys(r for a in verdict.answers if a.status == "refused" for r in a.rules
                               if r not in listed))


def _reconcile(verdict: Verdict, accepted: str, when_set: str, refused_by: str,
               always: Callable[[str], bool]) -> tuple[str, str, str]:
    """(accepted, when_set, refused_by) as the evaluator answers, the data saying only what it cannot: that a
    refusal or an ignoring holds only under a condition the requests asked did not vary (a value, a fact,
    another flag), or that an accepted flag changes nothing (``behaviour``)."""
    honoured = when_set if when_set in ("honoured", "ignored") else "honoured"
    if verdict.by_mode():  # the modes were asked: what each says is the answer (see FlagRow.modes)
        word = {"accepted": honoured, "ignored": "ignored", "refused": "refused"}.get(verdict.status, "unsure")
        return ("no" if word == "refused" else "yes"), word, (verdict.rules[0] if word == "refused" else "")
    if verdict.status == "refused":
        if accepted == "no" or any(always(r) for r in verdict.rules):
            return "no", "refused", refused_by or (verdict.rules[0] if verdict.rules else "")
        return "yes", honoured, ""  # refused only when a condition holds that the requests asked did not vary
    if verdict.status == "ignored":
        return "yes", "ignored" if any(always(r) for r in verdict.rules) else honoured, ""
    if verdict.status == "accepted":
        return "yes", honoured, ""
    return accepted, when_set, refused_by


def _positive(node: Node, vocab: Vocabulary) -> tuple[list[str], list[str]]:
    """Flags and parameters a condition asks to be present, at its top level."""
    flags: list[str] = []
    params: list[str] = []
    for n in node.items if isinstance(node, All) else (node,):
        if isinstance(n, Flags):
            flags += list(n.all_ + n.any_)
        elif isinstance(n, Options):
            for name in n.all_ + n.any_:
                od = vocab.options.get(name)
                if od and od.flag:
                    flags.append(od.flag)
        elif isinstance(n, Params):
            params += list(n.all_ + n.any_)
    return flags, params


def analysis(policies: PolicySet, hypervisor: str, version: Version) -> Analysis:
    return Analysis(policies, hypervisor, version)
