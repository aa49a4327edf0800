"""Policy files: find, load (safe YAML), validate (JSON Schema), merge layers and `extends`, compile.

Loading is the costly part of a cold start, so the validated documents are cached as JSON under the
user's cache directory, keyed by a hash of every policy file's content: a second run reads one JSON
file and compiles conditions, without importing the YAML or JSON Schema libraries.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from .. import yamlload
from ..about import __version__
from ..errors import UserError, did_you_mean
from ..model import Fix, Source
from ..version import Version, VersionRange
from . import schemas
from .compiler import Compiler
from .conditions import DriverView, Node, all_of, any_of
from .files import builtin_dir, policy_files, read_policy
from .vocabulary import Vocabulary

# Groups every mode ends with: rules about accepted-but-ignored flags, then organisation policies (effect
# "policy": about what the organisation allows, not what libvirt does, so never the prediction "rejected").
TRAILING_GROUPS = ("advice", "policy")


class Variant(NamedTuple):
    """One case of a rule: its own condition, and the message (code, prefix) libvirt gives in that case."""

    when: Node
    message: str | None
    code: str | None
    prefixed: bool | None


class Rule(NamedTuple):
    """A compiled rule. ``when`` is the whole condition: the layer's, the rule's own and, when the rule has
    variants, the union of theirs (the first variant that holds gives the message)."""

    id: str
    name: str
    title: str
    kind: str
    severity: str
    effect: str
    groups: tuple[str, ...]
    order: int
    when: Node
    common: Node  # the layer's condition and the rule's own, without the variants
    needs: tuple[str, ...]
    message: str
    code: str | None
    prefixed: bool
    variants: tuple[Variant, ...]
    why: str
    fix: Fix
    fix_matched: bool
    source: Source
    policy: str
    examples: Mapping[str, Any]
    doc: Mapping[str, Any]  # the rule's YAML, for documentation


class Driver:
    """A selectable policy (qemu, vz, ...): its own rules plus those of its layers, in check order per mode."""

    def __init__(self, name: str, doc: Mapping[str, Any], rules: list[Rule], sequences: dict[str, list[str]],
                 vocab: Vocabulary) -> None:
        self.name = name
        self.doc = doc
        self.title: str = doc.get("title", name)
        self.status: str = doc.get("status", "shipped")
        self.rules = rules
        self.sequences = sequences
        self.vocab = vocab
        self._views: dict[Version, DriverView] = {}
        self._ordered: dict[str, tuple[Rule, ...]] = {}

    @property
    def modes(self) -> list[str]:
        return list(self.sequences)

    @functools.cached_property
    def done_anyway(self) -> frozenset[str]:
        """Flags the driver's behaviour says it applies whether they are set or not (``default: on``, e.g.
        COMPRESSED on vz): a fix that only removes some of them keeps the request's meaning, so it is safe."""
        behaviour = self.doc.get("behaviour") or {}
        return frozenset(f for f, b in behaviour.items() if isinstance(b, Mapping) and b.get("default") == "on")

    def rules_for(self, mode: str) -> tuple[Rule, ...]:
        got = self._ordered.get(mode)
        if got is None:
            seq = self.sequences.get(mode, [])
            pos = {g: i for i, g in enumerate(seq)}
            keyed = []
            for r in self.rules:
                where = [pos[g] for g in r.groups if g in pos]
                if where:
                    keyed.append(((min(where), r.order, r.id), r))
            got = tuple(r for _, r in sorted(keyed, key=lambda kr: kr[0]))
            self._ordered[mode] = got
        return got

    def phase_of(self, rule: Rule, mode: str) -> str:
        seq = self.sequences.get(mode, [])
        for g in seq:
            if g in rule.groups:
                return g
        return rule.groups[0]

    def view(self, version: Version) -> DriverView:
        got = self._views.get(version)
        if got is None:
            got = self._make_view(version)
            self._views[version] = got
        return got

    def _make_view(self, version: Version) -> DriverView:
        accepts = self.doc.get("accepts", {})
        vocab = self.vocab
        flags_spec = accepts.get("flags", "all")
        if flags_spec == "all":
            accepted_flags, unsure_flags = vocab.flags_known_at(version), 0
        else:
            accepted_flags = unsure_flags = 0
            for entry in flags_spec:
                name, answer = _versioned_entry(entry, version)
                bit = vocab.flag(name).value
                if answer is None:
                    unsure_flags |= bit
                elif answer:
                    accepted_flags |= bit
        params_spec = accepts.get("params", "all")
        if params_spec == "all":
            accepted_params, unsure_params = vocab.params_known_at(version), frozenset[str]()
        else:
            acc: set[str] = set()
            uns: set[str] = set()
            for entry in params_spec:
                name, answer = _versioned_entry(entry, version)
                key = vocab.param_key(name)
                if answer is None:
                    uns.add(key)
                elif answer:
                    acc.add(key)
            accepted_params, unsure_params = frozenset(acc), frozenset(uns)
        features: dict[str, bool | None] = {}
        for fname, spec in (self.doc.get("features") or {}).items():
            features[fname] = _versioned_value(spec, version)
        return DriverView(accepted_flags, unsure_flags, accepted_params, unsure_params, features)


def _versioned_entry(entry: Any, version: Version) -> tuple[str, bool | None]:
    if isinstance(entry, str):
        return entry, True
    name = entry["name"]
    if entry.get("unsure") and version in VersionRange(entry["unsure"]):
        return name, None
    return name, version in VersionRange(entry.get("libvirt", ""))


def _versioned_value(spec: Any, version: Version) -> bool | None:
    """A plain value, or a list of {value, libvirt} whose first match wins; no match means unknown."""
    if not isinstance(spec, list):
        return bool(spec)
    for item in spec:
        if version in VersionRange(item.get("libvirt", "")):
            return bool(item["value"])
    return None


class PolicySet:
    """Every loaded policy, compiled. ``driver(name)`` gives what the evaluator runs."""

    def __init__(self, vocab: Vocabulary, docs: Mapping[str, Mapping[str, Any]], files: Mapping[str, str]) -> None:
        self.vocab = vocab
        self.docs = docs
        self.files = files  # policy name -> file it came from
        self.compiler = Compiler(vocab)
        # (condition, state, because): the state a request that gives none is taken to be in.
        self.assumed_states = tuple(
            (self.compiler.compile(a["when"], "vocabulary: assume"), str(a["state"]), str(a["because"]))
            for a in vocab.assume.get("state", []))
        default_hv = vocab.assume.get("hypervisor")
        # (policy, because): the hypervisor of a command that names none.
        self.assumed_hypervisor: tuple[str, str] | None = (
            (str(default_hv["name"]), str(default_hv["because"])) if default_hv else None)
        self.layers = {n: d for n, d in docs.items() if d.get("kind") == "layer"}
        self.drivers: dict[str, Driver] = {}
        self.rules: dict[str, Rule] = {}
        self._compiled_rules: dict[str, list[Rule]] = {}
        for name, doc in docs.items():
            self._compiled_rules[name] = [self._rule(name, r, doc) for r in doc.get("rules", [])]
            for r in self._compiled_rules[name]:
                if r.id in self.rules:
                    raise UserError(f"duplicate rule id {r.id!r} in policies {self.rules[r.id].policy!r} and {name!r}",
                                    files.get(name))
                self.rules[r.id] = r
        by_name: dict[str, Rule] = {}
        for r in self.rules.values():
            if r.name in by_name:
                raise UserError(f"duplicate rule name {r.name!r} ({by_name[r.name].id} and {r.id})", files.get(r.policy))
            by_name[r.name] = r
        self.rules_by_name = by_name
        for name, doc in docs.items():
            if doc.get("kind") != "layer":
                self.drivers[name] = self._driver(name)

    @property
    def hypervisors(self) -> list[str]:
        return sorted(self.drivers)

    def driver(self, name: str) -> Driver:
        d = self.drivers.get(name) if isinstance(name, str) else None
        if d is None:
            if not isinstance(name, str):
                raise UserError(f"a hypervisor is named by a string, got {type(name).__name__}: {name!r:.60}")
            base = name.split("://")[0].split("+")[0].lower()
            alias = self.vocab.hypervisor_aliases.get(base) or self.vocab.uri_drivers.get(base)
            hint = f" (did you mean {alias!r}?)" if alias in self.drivers else did_you_mean(name, self.drivers)
            raise UserError(f"unknown hypervisor {name!r}{hint}; known: {', '.join(self.hypervisors)}")
        return d

    def rule(self, ident: str) -> Rule:
        r = self.rules.get(ident) or self.rules.get(ident.upper()) or self.rules_by_name.get(ident)
        if r is None:
            raise UserError(f"unknown rule {ident!r}{did_you_mean(ident, list(self.rules) + list(self.rules_by_name))}")
        return r

    def ancestors(self, name: str) -> list[str]:
        """The policy and the policies it extends, oldest first (qemu, acme-qemu)."""
        return self._chain(name)

    def driver_family(self, name: str) -> str:
        """The libvirt driver a policy models: its `driver` key, inherited through `extends`, else its name."""
        return str(self.driver(name).doc.get("driver", name))

    def hypervisor_for_uri(self, uri: str) -> str | None:
        scheme = uri.split(":", 1)[0] if ":" in uri else ""
        base = scheme.split("+", 1)[0].lower()
        name = self.vocab.uri_drivers.get(base)
        if name is not None:
            return name
        for dname, doc in self.docs.items():
            if base and base in (doc.get("uri_schemes") or []):
                return dname
        return None

    # -- compilation -----------------------------------------------------------------------

    def _chain(self, name: str, seen: tuple[str, ...] = ()) -> list[str]:
        """The policy and its `extends` ancestors, oldest first."""
        if name in seen:
            raise UserError(f"policy 'extends' cycle: {' -> '.join(seen + (name,))}", self.files.get(name))
        doc = self.docs.get(name)
        if doc is None:
            parent_of = seen[-1] if seen else name
            raise UserError(f"policy {parent_of!r} extends unknown policy {name!r}{did_you_mean(name, self.docs)}",
                            self.files.get(parent_of))
        parent = doc.get("extends")
        return (self._chain(parent, seen + (name,)) if parent else []) + [name]

    def _driver(self, name: str) -> Driver:
        chain = self._chain(name)
        merged: dict[str, Any] = {}
        for n in chain:
            for k, v in self.docs[n].items():
                if k not in ("rules", "extends", "disable"):
                    merged[k] = v
        merged["name"] = name
        disabled: set[str] = set()
        rules: list[Rule] = []
        for n in chain:
            disabled.update(self.docs[n].get("disable", []))
            rules.extend(self._compiled_rules[n])
        layer_groups: list[str] = []
        for layer in merged.get("layers", []):
            if layer not in self.layers:
                raise UserError(f"policy {name!r} names unknown layer {layer!r}{did_you_mean(layer, self.layers)}",
                                self.files.get(name))
            layer_groups.extend(self.layers[layer].get("groups", []))
            rules = self._compiled_rules[layer] + rules
        for d in disabled:
            if d not in self.rules:
                raise UserError(f"policy {name!r} disables unknown rule {d!r}", self.files.get(name))
        rules = [r for r in rules if r.id not in disabled]
        sequences = {mode: layer_groups + list(seq) + list(TRAILING_GROUPS)
                     for mode, seq in (merged.get("sequence") or {}).items()}
        return Driver(name, merged, rules, sequences, self.vocab)

    def _rule(self, policy: str, r: Mapping[str, Any], doc: Mapping[str, Any]) -> Rule:
        where = f"{self.files.get(policy, policy)}: rule {r.get('id', '?')}"
        variants = tuple(
            Variant(self.compiler.compile(v.get("when"), where), v.get("message"), v.get("code"), v.get("prefixed"))
            for v in r.get("variants", []))
        common = all_of([self.compiler.compile(doc.get("when"), where), self.compiler.compile(r.get("when"), where)])
        when = all_of([common, any_of(v.when for v in variants)]) if variants else common
        effect = str(r["effect"])
        groups = r.get("phase", "advice" if effect in ("warn", "info") else "policy")
        groups = (groups,) if isinstance(groups, str) else tuple(groups)
        f = r.get("fix") or {}
        vocab = self.vocab
        fix = Fix(
            add_flags=tuple(vocab.flag(x).name for x in f.get("add_flags", [])),
            remove_flags=tuple(vocab.flag(x).name for x in f.get("remove_flags", [])),
            add_options=tuple(f.get("add_options", [])),
            remove_options=tuple(f.get("remove_options", [])),
            remove_params=tuple(vocab.param_key(x) for x in f.get("remove_params", [])),
            set_params=tuple((vocab.param_key(k), v) for k, v in (f.get("set_params") or {}).items()),
            safe=bool(f.get("safe", False)),
            text=str(f.get("text", "")),
        )
        s = r.get("source") or {}
        source = Source(str(s.get("file", "")), str(s.get("function", "")), str(s.get("libvirt", "")),
                        str(s.get("ref", "")), str(s.get("note", "")))
        code = r.get("code")
        # The headline: the rule's own message, else the general case's (a variant with an empty when), else the
        # first variant's.
        cases = r.get("variants", [])
        message = r.get("message", next((v["message"] for v in cases if v.get("when") == {}),
                                        cases[0]["message"] if cases else ""))
        return Rule(
            id=str(r["id"]), name=str(r["name"]), title=str(r["title"]), kind=str(r.get("kind", "check")),
            severity=str(r["severity"]), effect=effect,
            groups=groups, order=int(r.get("order", 0)), when=when, common=common, needs=tuple(r.get("needs", [])),
            message=str(message), code=code, prefixed=bool(r.get("prefixed", True)),
            variants=variants, why=str(r.get("why", "")), fix=fix, fix_matched=bool(f.get("remove_matched", False)),
            source=source, policy=policy, examples=r.get("examples") or {}, doc=r,
        )


# -- loading -------------------------------------------------------------------------------------


def _cache_dir() -> Path | None:
    if os.environ.get("MIGLINT_NO_CACHE"):
        return None
    base = os.environ.get("MIGLINT_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME")
    return Path(base) / "miglint" if base else Path.home() / ".cache" / "miglint"


def load_documents(paths: Sequence[Path], validate: bool = True) -> tuple[dict[str, Any], dict[str, dict[str, Any]], dict[str, str]]:
    """Parse and check policy files: (vocabulary, policies by name, file of each policy)."""
    vocab_doc: dict[str, Any] | None = None
    docs: dict[str, dict[str, Any]] = {}
    files: dict[str, str] = {}
    for path in paths:
        data = yamlload.load_yaml(read_policy(path), str(path))
        if not isinstance(data, dict):
            raise UserError("a policy file is a YAML mapping", f"{path}:1")
        if data.get("schema") == "miglint-vocabulary/1":
            if validate:
                schemas.validate(data, "vocabulary", str(path))
            vocab_doc = data
            continue
        if validate:
            schemas.validate(data, "policy", str(path))
        name = data["name"]
        if name in docs:
            raise UserError(f"policy {name!r} is defined twice: in {files[name]} and {path}", str(path))
        docs[name] = data
        files[name] = str(path)
    if vocab_doc is None:
        raise UserError("no vocabulary.yaml among the policy files")
    return vocab_doc, docs, files


def load_policies(extra_dirs: Iterable[str | Path] = (), *, use_cache: bool = True,
                  builtin: bool = True) -> PolicySet:
    """Load the built-in policies plus any extra policy directories or files; compile them."""
    dirs = ([builtin_dir()] if builtin else []) + [Path(d) for d in extra_dirs]
    paths = policy_files(dirs)
    contents = [(str(p), read_policy(p)) for p in paths]
    h = hashlib.sha256(__version__.encode())
    for name, data in contents:
        h.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    key = h.hexdigest()[:32]
    if use_cache and key in _LOADED:
        return _LOADED[key]  # the same files, already compiled in this process
    ps = _load(paths, key, _cache_dir() if use_cache else None, extra_dirs, builtin)
    if use_cache:
        if len(_LOADED) >= 8:
            _LOADED.pop(next(iter(_LOADED)))
        _LOADED[key] = ps
    return ps


# Compiled policy sets of this process by content key: a long-running orchestrator (or a test suite) that
# asks again for the same files gets the same set, compiled once.
_LOADED: dict[str, PolicySet] = {}


def _load(paths: list[Path], key: str, cache: Path | None, extra_dirs: Iterable[str | Path],
          builtin: bool) -> PolicySet:
    raw: dict[str, Any] | None = None
    if cache is not None:
        try:
            raw = json.loads((cache / f"policies-{key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            raw = None
    if raw is None:
        vocab_doc, docs, files = load_documents(paths)
        raw = {"vocabulary": vocab_doc, "policies": docs, "files": files}
        ps = _build(raw)  # compile before caching: a broken policy never reaches the cache
        if cache is not None:
            _write_cache(cache, f"policies-{key}.json", raw)
        return ps
    try:
        return _build(raw)
    except Exception:  # a damaged cache file: read the policies themselves
        return load_policies(extra_dirs, use_cache=False, builtin=builtin)


def _build(raw: Mapping[str, Any]) -> PolicySet:
    vocab = Vocabulary(raw["vocabulary"])
    return PolicySet(vocab, raw["policies"], raw["files"])


def _write_cache(cache: Path, name: str, raw: Mapping[str, Any]) -> None:
    try:
        cache.mkdir(parents=True, exist_ok=True)
        tmp = cache / f".{name}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(raw, separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, cache / name)
        for old in cache.glob("policies-*.json"):
            if old.name != name and old.stat().st_mtime < (cache / name).stat().st_mtime - 86400 * 30:
                old.unlink(missing_ok=True)
    except OSError:
        pass  # a cache we cannot write only costs speed
