"""What the policies say about each flag and parameter of one hypervisor at one libvirt version.

Derived from the data alone: ``accepts`` gives support, ``behaviour`` the default and what setting a flag
does, and the rules of kind requires / forbidden / exclusive / unsupported-flag (their fixes name the
flags they add or remove) say when a flag is required or forbidden. A rule's condition is partially
evaluated with the subject flag fixed (absent for "required", present for "forbidden") and the driver's
features and the version known; what remains is described in words. Pure: no printing, no files.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple, Union

from ..model import REJECTING
from ..policy.load import Driver, PolicySet, Rule
from ..policy.vocabulary import Vocabulary
from ..version import Version, VersionRange, format_version

REQUIRE_KINDS = ("requires",)
FORBID_KINDS = ("requires", "forbidden", "exclusive", "unsupported-flag", "unsupported-param")
IGNORE_KINDS = ("ignored",)

# A residual condition: True/False when decided, else a small tree of ("and"|"or", [..]), ("not", x) or atoms.
Tree = Union[bool, tuple[Any, ...]]


class Known(NamedTuple):
    """What is fixed while simplifying a condition."""

    flags: Mapping[str, bool]
    options: Mapping[str, bool]
    params: Mapping[str, bool]
    features: Mapping[str, bool | None]
    version: Version | None  # None: keep every version condition (documentation of a rule)
    modes: tuple[str, ...]  # the modes the rule can run in


class _Unknowns(dict[str, "bool | None"]):
    """Features of no particular driver: every answer is unknown."""

    def get(self, key: str, default: object = None) -> None:
        return None


def generic_known(vocab: Vocabulary) -> Known:
    """Nothing known: for describing a rule on its own."""
    return Known({}, {}, {}, _Unknowns(), None, tuple(vocab.modes))


def _and(parts: Iterable[Tree]) -> Tree:
    out: list[Tree] = []
    for p in parts:
        if p is False:
            return False
        if p is True:
            continue
        out.extend(p[1] if isinstance(p, tuple) and p[0] == "and" else [p])
    return True if not out else out[0] if len(out) == 1 else ("and", out)


def _or(parts: Iterable[Tree]) -> Tree:
    out: list[Tree] = []
    for p in parts:
        if p is True:
            return True
        if p is False:
            continue
        out.append(p)
    return False if not out else out[0] if len(out) == 1 else ("or", out)


def _names(arg: Any) -> tuple[list[str], list[str], list[str]]:
    if isinstance(arg, list):
        return [str(x) for x in arg], [], []
    return ([str(x) for x in arg.get("all", [])], [str(x) for x in arg.get("any", [])],
            [str(x) for x in arg.get("none", [])])


def _set(kind: str, arg: Any, known: Mapping[str, bool], norm: Any) -> Tree:
    all_, any_, none_ = _names(arg)
    all_, any_, none_ = [norm(x) for x in all_], [norm(x) for x in any_], [norm(x) for x in none_]
    keep_all = []
    for x in all_:
        v = known.get(x)
        if v is False:
            return False
        if v is None:
            keep_all.append(x)
    keep_any: list[str] = []
    if any_:
        if any(known.get(x) is True for x in any_):
            keep_any = []
        else:
            keep_any = [x for x in any_ if known.get(x) is None]
            if not keep_any:
                return False
    keep_none = []
    for x in none_:
        v = known.get(x)
        if v is True:
            return False
        if v is None:
            keep_none.append(x)
    if not (keep_all or keep_any or keep_none):
        return True
    return ("set", kind, tuple(keep_all), tuple(keep_any), tuple(keep_none))


def simplify(spec: Any, k: Known, vocab: Vocabulary) -> Tree:
    """Partially evaluate a rule condition (its YAML form) with what ``k`` fixes."""
    if spec is None:
        return True
    parts: list[Tree] = []
    for key, arg in spec.items():
        parts.append(_atom(key, arg, spec, k, vocab))
        if parts[-1] is False:
            return False
    return _and(parts)


def _atom(key: str, arg: Any, spec: Mapping[str, Any], k: Known, vocab: Vocabulary) -> Tree:
    if key == "all":
        return _and(simplify(c, k, vocab) for c in arg)
    if key == "any":
        return _or(simplify(c, k, vocab) for c in arg)
    if key == "not":
        inner = simplify(arg, k, vocab)
        return (not inner) if isinstance(inner, bool) else ("not", inner)
    if key == "flags":
        return _set("flags", arg, k.flags, lambda x: vocab.flag(x).name)
    if key == "options":
        return _set("options", arg, k.options, vocab.resolve_option)
    if key == "params":
        return _set("params", arg, k.params, vocab.param_key)
    if key == "mode":
        wanted = {arg} if isinstance(arg, str) else set(arg)
        inside = [m for m in k.modes if m in wanted]
        if not inside:
            return False
        return True if len(inside) == len(k.modes) else ("mode", tuple(inside))
    if key == "feature":
        result: Tree = True
        for name, want in arg.items():
            have = k.features.get(name, False)
            if have is None:
                result = _and([result, ("feature", name, bool(want))])
            elif have != bool(want):
                return False
        return result
    if key == "libvirt" and k.version is None:
        return ("libvirt", str(arg))
    if key == "libvirt_unsure" and k.version is None:
        return ("unsure", str(arg))
    if key == "libvirt" and k.version is not None:
        if "libvirt_unsure" in spec and k.version in VersionRange(str(spec["libvirt_unsure"])):
            return ("unsure", str(spec["libvirt_unsure"]))
        return ("libvirt", str(arg)) if k.version in VersionRange(str(arg)) else False
    if key == "libvirt_unsure" and k.version is not None:
        if "libvirt" in spec:
            return True  # handled with "libvirt"
        return ("unsure", str(arg)) if k.version in VersionRange(str(arg)) else True
    if key == "param":
        name = vocab.param_key(str(arg.get("key") or arg.get("name")))
        present = k.params.get(name)
        tests = {t: v for t, v in arg.items() if t not in ("key", "name")}
        if present is False:
            return arg.get("present") is False
        if present is True and not [t for t in tests if t != "present"]:
            return arg.get("present", True) is not False
        return ("value", "param", name, tests)
    if key in ("option", "fact"):
        name = str(arg.get("name") or arg.get("key"))
        if key == "option":
            name = vocab.resolve_option(name)
            present = k.options.get(name)
            tests = {t: v for t, v in arg.items() if t not in ("key", "name")}
            if present is False:
                return arg.get("present") is False
        tests = {t: v for t, v in arg.items() if t not in ("key", "name")}
        return ("value", key, name, tests)
    if key in ("state", "input", "hypervisor"):
        return (key, tuple([arg] if isinstance(arg, str) else arg))
    if key == "qemu":
        return ("qemu", str(arg))
    if key == "qemu_unsure":
        return ("qemu_unsure", ", ".join(arg) if isinstance(arg, list) else str(arg))
    if key == "first_error":
        phases = arg.get("phase", []) if isinstance(arg, dict) else arg
        return ("first_error", tuple([phases] if isinstance(phases, str) else phases))
    if key in ("flags_outside", "params_outside", "virsh_problem"):
        return (key, arg)
    return (key, arg)


# -- words ------------------------------------------------------------------------------------------


def flag_word(vocab: Vocabulary, flag: str) -> str:
    opt = vocab.option_for_flag.get(flag)
    return f"--{opt}" if opt else f"VIR_MIGRATE_{flag}"


def param_word(vocab: Vocabulary, key: str) -> str:
    opt = vocab.option_for_param.get(key)
    return f"--{opt}" if opt else f"parameter {key}"


def _join(items: Sequence[str], word: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def _tests_text(tests: Mapping[str, Any]) -> str:
    out = []
    for t, v in tests.items():
        if t == "present":
            out.append("is given" if v else "is not given")
        elif t == "equals":
            out.append(f"is {v!r}" if isinstance(v, str) else f"is {v}")
        elif t == "in":
            out.append("is one of " + ", ".join(map(str, v)))
        elif t == "not_in":
            out.append("is not " + _join([str(x) for x in v], "or"))
        elif t in ("gt", "ge", "lt", "le"):
            out.append({"gt": ">", "ge": ">=", "lt": "<", "le": "<="}[t] + f" {v}")
        elif t in ("version_gt", "version_ge", "version_lt", "version_le"):
            out.append("is version " + {"version_gt": ">", "version_ge": ">=", "version_lt": "<",
                                        "version_le": "<="}[t] + f" {v}")
        elif t == "empty":
            out.append("is empty" if v else "is not empty")
        elif t in ("starts_with", "not_starts_with", "ends_with", "contains"):
            vals = [v] if isinstance(v, str) else list(v)
            verb = {"starts_with": "starts with", "not_starts_with": "does not start with",
                    "ends_with": "ends with", "contains": "contains"}[t]
            out.append(f"{verb} " + _join([repr(x) for x in vals], "or"))
        elif t in ("scheme", "host", "port", "path", "query", "fragment", "user"):
            out.append(f"has a {t} that " + _tests_text(v))
        elif t == "any_item":
            out.append("has an item that " + _tests_text(v))
        elif t == "first_item":
            own = {k: x for k, x in v.items() if k != "among"}
            checks = "; ".join(_tests_text(alt) for alt in v.get("among", []))
            out.append(f"has as its first refused item (libvirt's checks per item, in order: {checks}) one that "
                       + _tests_text(own))
        elif t == "repeated":
            out.append("came earlier in the list" if v else "is the first of its kind")
        elif t == "earlier":
            out.append("follows an item that " + _tests_text(v))
        elif t == "duplicate_items":
            out.append("repeats an item")
        elif t == "count":
            out.append("has a count that " + _tests_text(v))
        elif t in ("in_param", "not_in_param", "in_fact", "not_in_fact"):
            out.append(("is not" if t.startswith("not") else "is") + f" in {v}")
        else:
            out.append(f"{t} {v}")
    return " and ".join(out)


def describe(tree: Tree, vocab: Vocabulary) -> str:
    """A residual condition in words ("always" when nothing remains)."""
    if tree is True:
        return "always"
    if tree is False:
        return "never"
    return _describe(tree, vocab, top=True)


def _describe(t: Tree, vocab: Vocabulary, top: bool = False) -> str:
    assert isinstance(t, tuple)
    head = t[0]
    if head in ("and", "or"):
        # Version notes go last; an "or" inside an "and" is bracketed.
        parts = sorted(t[1], key=lambda p: (p[0] == "input", p[0] in ("libvirt", "unsure", "qemu", "qemu_unsure")))
        words = [_describe(p, vocab) for p in parts]
        if head == "and":
            words = [f"({w})" if p[0] == "or" else w for p, w in zip(parts, words)]
        if head == "and":
            text = ""
            for p, w in zip(parts, words):
                text += (" " if p[0] == "input" else " and ") + w if text else w
            return text
        return " or ".join(words)
    if head == "not":
        return f"not ({_describe(t[1], vocab)})"
    if head == "set":
        _, kind, all_, any_, none_ = t
        def word(x: str) -> str:
            if kind == "flags":
                return flag_word(vocab, x)
            return param_word(vocab, x) if kind == "params" else f"--{x}"
        positive = []
        if all_:
            positive.append(_join([word(x) for x in all_], "and"))
        if any_:
            positive.append(_join([word(x) for x in any_], "or"))
        text = " and ".join(positive)
        if none_:
            text += (", " if text else "") + "without " + _join([word(x) for x in none_], "or")
        return text
    if head == "mode":
        return _join(list(t[1]), "or") + " mode"
    if head == "state":
        return "the domain is " + _join(["shut off" if s == "shutoff" else s for s in t[1]], "or")
    if head == "input":
        return "(" + _join(list(t[1]), "or") + " only)" if t[1] != ("virsh",) else "(virsh)"
    if head == "hypervisor":
        return "hypervisor " + _join(list(t[1]), "or")
    if head == "feature":
        return f"the driver {'supports' if t[2] else 'lacks'} {t[1]}"
    if head == "libvirt":
        return f"libvirt {t[1]}"
    if head == "unsure":
        return f"(not known for libvirt {t[1]})"
    if head == "value":
        _, source, name, tests = t
        subject = param_word(vocab, name) if source == "param" else f"--{name}" if source == "option" else name
        return f"{subject} {_tests_text(tests) or 'is given'}"
    if head == "flags_outside":
        return "a flag the driver does not accept"
    if head == "params_outside":
        return "a parameter the driver does not accept"
    if head == "virsh_problem":
        return f"virsh cannot parse the command line ({t[1]})"
    if head == "qemu":
        return f"QEMU {t[1]}"
    if head == "qemu_unsure":
        return f"(not known for QEMU {t[1]})"
    if head == "first_error":
        return "libvirt's first error comes from the " + _join(list(t[1]), "or") + " checks"
    return f"{head} {t[1:]}"


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


class ParamRow(NamedTuple):
    key: str
    option: str | None
    type: str
    since: str
    accepted: str
    accepted_versions: str
    forbidden: tuple[Constraint, ...]
    ignored: tuple[Constraint, ...]


def usable_modes(driver: Driver) -> tuple[str, ...]:
    """Modes in which the driver itself runs checks (its own sequence is not empty)."""
    seq = driver.doc.get("sequence") or {}
    return tuple(m for m in driver.sequences if seq.get(m))


def rule_modes(driver: Driver, rule: Rule) -> tuple[str, ...]:
    return tuple(m for m in usable_modes(driver) if set(rule.groups) & set(driver.sequences[m]))


def rule_spec(policies: PolicySet, rule: Rule) -> Any:
    """The rule's condition with its layer's condition, in YAML form."""
    layer_when = policies.docs[rule.policy].get("when")
    when = rule.doc.get("when")
    if layer_when:
        return {"all": [layer_when, when or {}]} if when else layer_when
    return when


class Analysis:
    """Flags and parameters of one driver at one libvirt version."""

    def __init__(self, policies: PolicySet, hypervisor: str, version: Version) -> None:
        self.policies = policies
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

    def _known(self, rule_modes_: tuple[str, ...], flags: Mapping[str, bool] = {},
               params: Mapping[str, bool] = {}) -> Known:
        vocab = self.vocab
        options = {vocab.option_for_flag[f]: v for f, v in flags.items() if f in vocab.option_for_flag}
        options.update({vocab.option_for_param[p]: v for p, v in params.items() if p in vocab.option_for_param})
        return Known(flags, options, params, self.view.features, self.version, rule_modes_)

    def _constraint(self, rule: Rule, modes: tuple[str, ...], tree: Tree) -> Constraint:
        text = describe(tree, self.vocab)
        if tuple(modes) != tuple(self.modes):
            where = _join(list(modes), "or") + " mode"
            text = where if text == "always" else f"{text} ({where})"
        always = _version_only(tree) and tuple(modes) == tuple(self.modes)
        return Constraint(rule.id, rule.name, text, always, rule.fix.safe)

    def _derive(self) -> None:
        vocab = self.vocab
        for rule in self.driver.rules:
            modes = rule_modes(self.driver, rule)
            if not modes:
                continue
            spec = rule.doc.get("when") or {}
            if "flags_outside" in spec and rule.effect in REJECTING:
                self.refused_by = self.refused_by or rule.id
            if "params_outside" in spec and rule.effect in REJECTING:
                self.refused_param_by = self.refused_param_by or rule.id
            spec = rule_spec(self.policies, rule)
            fix = rule.fix
            remove_flags = list(fix.remove_flags)
            remove_flags += [o.flag for n in fix.remove_options if (o := vocab.options.get(n)) and o.flag]
            remove_params = list(fix.remove_params)
            if rule.effect in REJECTING and rule.kind in REQUIRE_KINDS:
                self._note(self._required, rule, modes, spec, fix.add_flags, value=False)
            if rule.effect in REJECTING and rule.kind in FORBID_KINDS:
                subjects = remove_flags
                psubjects = remove_params
                if not (subjects or psubjects or fix.add_flags or fix.add_options or fix.set_params) \
                        and not rule.fix_matched and rule.kind in ("forbidden", "exclusive"):
                    subjects, psubjects = _positive(rule.doc.get("when") or {}, vocab)
                self._note(self._forbidden, rule, modes, spec, subjects)
                self._note(self._pforbidden, rule, modes, spec, psubjects, param=True)
            if rule.kind in IGNORE_KINDS and rule.effect not in REJECTING:
                self._note(self._ignored, rule, modes, spec, remove_flags)
                self._note(self._pignored, rule, modes, spec, remove_params, param=True)

    def _note(self, table: dict[str, list[Constraint]], rule: Rule, modes: tuple[str, ...], spec: Any,
              names: Iterable[str], value: bool = True, param: bool = False) -> None:
        """Record, per flag (or parameter) name, when the rule fires with that name set to ``value``."""
        for name in dict.fromkeys(names):
            known = self._known(modes, params={name: value}) if param else self._known(modes, {name: value})
            tree = simplify(spec, known, self.vocab)
            if tree is not False:
                table.setdefault(name, []).append(self._constraint(rule, modes, tree))

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
        return FlagRow(
            flag=flag, option=vocab.option_for_flag.get(flag), since=format_version(fd.since), accepted=accepted,
            accepted_versions=versions, default=str(beh.get("default", "")), when_set=when_set,
            omitted=str(beh.get("omitted", "")), set=set_text, note=str(beh.get("note", "")),
            # A refused flag is refused whatever else the request says: its other constraints are moot.
            required=tuple(self._required.get(flag, ())) if accepted != "no" else (),
            forbidden=forbidden if accepted != "no" else (), ignored=ignored if accepted != "no" else (),
            refused_by=self.refused_by if accepted != "yes" else "",
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
        return ParamRow(key, self.vocab.option_for_param.get(key), pd.type, format_version(pd.since), accepted,
                        versions, tuple(self._pforbidden.get(key, ())), tuple(self._pignored.get(key, ())))

    def param_rows(self) -> list[ParamRow]:
        return [self.param_row(k) for k in self.vocab.params]


def _version_only(tree: Tree) -> bool:
    """True when nothing but version notes (that hold at the version analysed) remains."""
    if tree is True:
        return True
    if not isinstance(tree, tuple):
        return False
    if tree[0] == "and":
        return all(_version_only(t) for t in tree[1])
    return bool(tree[0] == "libvirt")


def _positive(spec: Mapping[str, Any], vocab: Vocabulary) -> tuple[list[str], list[str]]:
    """Flags and parameters a condition asks to be present, at its top level."""
    flags: list[str] = []
    params: list[str] = []
    if "flags" in spec:
        a, n, _ = _names(spec["flags"])
        flags += [vocab.flag(x).name for x in a + n]
    if "options" in spec:
        a, n, _ = _names(spec["options"])
        for name in a + n:
            od = vocab.options.get(vocab.resolve_option(name))
            if od and od.flag:
                flags.append(od.flag)
    if "params" in spec:
        a, n, _ = _names(spec["params"])
        params += [vocab.param_key(x) for x in a + n]
    return flags, params


def analysis(policies: PolicySet, hypervisor: str, version: Version) -> Analysis:
    return Analysis(policies, hypervisor, version)
