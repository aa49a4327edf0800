"""A rule's ``when`` (its YAML form) -> condition nodes (miglint.policy.conditions).

Names are checked against the vocabulary here, once: flags and parameters by name or macro, virsh options
(aliases resolved). Loading a policy stops at the first bad name (a UserError naming the rule); ``policy
validate`` gives a list instead (``problems``), each with its path into the document, so that every
problem is reported at its line and column.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import UserError, did_you_mean
from ..version import VersionRange
from .conditions import (
    TRUE,
    All,
    Any_,
    Feature,
    FirstError,
    Flags,
    FlagsOutside,
    InSet,
    Libvirt,
    Node,
    Not,
    Options,
    Params,
    ParamsOutside,
    Qemu,
    Value,
    VirshProblemNode,
)
from .values import compile_tests
from .vocabulary import Vocabulary

Path = tuple[str | int, ...]
CONDITION_KEYS = ("all", "any", "not", "flags", "flags_outside", "params", "params_outside", "options", "state",
                  "mode", "input", "hypervisor", "libvirt", "libvirt_unsure", "feature", "qemu", "qemu_unsure",
                  "first_error", "virsh_problem", "param", "option", "fact")


class Compiler:
    """Compiles conditions against one vocabulary. With ``problems`` (a list), unknown names are collected as
    (path, message) and left out instead of raising; ``located`` lists (node, path) of every node made."""

    def __init__(self, vocab: Vocabulary, problems: list[tuple[Path, str]] | None = None) -> None:
        self.vocab = vocab
        self.bits = {f.name: f.value for f in vocab.flags.values()}
        self.flag_names = {f.value: f.name for f in vocab.flags.values()}
        self.problems = problems
        self.located: list[tuple[Node, Path]] = []

    def compile(self, spec: Any, where: str, path: Path = ()) -> Node:
        if spec is None:
            return TRUE
        if not isinstance(spec, Mapping):
            raise UserError(f"{where}: a condition is a mapping, got {type(spec).__name__}")
        nodes: list[Node] = []
        for k, v in spec.items():
            # A version range with its unsure range is one node (outside the unsure range the answer is the
            # range's; inside it, unknown), where the first of the two keys stands.
            pair = {"libvirt": "libvirt_unsure", "libvirt_unsure": "libvirt", "qemu": "qemu_unsure",
                    "qemu_unsure": "qemu"}.get(k)
            if pair is not None and pair in spec:
                if list(spec).index(pair) < list(spec).index(k):
                    continue  # made with the first key
                base = k.split("_")[0]
                rng, unsure = spec[base], spec[base + "_unsure"]
                node: Node = Libvirt(_libvirt_ranges(rng, where), _libvirt_ranges(unsure, where)) \
                    if base == "libvirt" else Qemu(_qemu_ranges(rng, where), _ranges(unsure, where),
                                                   self.vocab.assumed_qemu)
                nodes.append(self._located(node, path + (k,)))
                continue
            nodes.append(self._located(self._one(k, v, where, path + (k,)), path + (k,)))
        return nodes[0] if len(nodes) == 1 else All(nodes)

    def _located(self, node: Node, path: Path) -> Node:
        self.located.append((node, path))
        return node

    def _bad(self, path: Path, message: str, where: str) -> None:
        if self.problems is None:
            raise UserError(f"{where}: {message}")
        self.problems.append((path, message))

    def _names(self, kind: str, arg: Any, where: str, path: Path) -> tuple[list[str], list[str], list[str]]:
        """{all: [...], any: [...], none: [...]} or a plain list (= all), each name checked and normalised."""
        if isinstance(arg, list):
            groups: dict[str, Any] = {"all": arg}
        elif isinstance(arg, Mapping):
            groups = {g: arg.get(g, []) or [] for g in ("all", "any", "none")}
        else:
            raise UserError(f"{where}: '{kind}' takes a list or a mapping with all/any/none")
        out: dict[str, list[str]] = {"all": [], "any": [], "none": []}
        for group, names in groups.items():
            for j, name in enumerate(names):
                at = path + ((j,) if isinstance(arg, list) else (group, j))
                norm = self._name(kind, str(name), where, at)
                if norm is not None:
                    out[group].append(norm)
        return out["all"], out["any"], out["none"]

    def _name(self, kind: str, name: str, where: str, path: Path) -> str | None:
        v = self.vocab
        try:
            if kind in ("flags", "flags_outside"):
                return v.flag(name).name
            if kind in ("params", "params_outside", "param"):
                return v.param_key(name)
        except UserError as e:
            self._bad(path, e.message, where)
            return None
        if kind == "fact":
            if name not in v.facts:
                self._bad(path, f"unknown fact {name!r}{did_you_mean(name, v.facts)} (facts are declared in the "
                                "vocabulary's 'facts')", where)
                return None
            return name
        resolved = v.resolve_option(name)
        if resolved not in v.options:
            self._bad(path, f"unknown virsh option {name!r}{did_you_mean(name, v.options)}", where)
            return None
        return resolved

    def _one(self, key: str, arg: Any, where: str, path: Path) -> Node:
        v = self.vocab
        if key in ("all", "any"):
            if not isinstance(arg, list):
                raise UserError(f"{where}: '{key}' takes a list of conditions")
            children = [self.compile(c, where, path + (i,)) for i, c in enumerate(arg)]
            return All(children) if key == "all" else Any_(children)
        if key == "not":
            return Not(self.compile(arg, where, path))
        if key == "flags":
            return Flags(*self._names(key, arg, where, path), bits=self.bits)
        if key == "flags_outside":
            if arg == "accepted":
                return FlagsOutside(None, self.flag_names)
            return FlagsOutside(sum(self.bits[n] for n in self._names(key, arg, where, path)[0]), self.flag_names)
        if key == "params":
            return Params(*self._names(key, arg, where, path))
        if key == "params_outside":
            return ParamsOutside(None if arg == "accepted" else frozenset(self._names(key, arg, where, path)[0]),
                                 {k: p.since for k, p in v.params.items()})
        if key == "options":
            return Options(*self._names(key, arg, where, path))
        if key in ("state", "mode", "input", "hypervisor"):
            return InSet(key, [arg] if isinstance(arg, str) else [str(x) for x in arg])
        if key == "libvirt":
            return Libvirt(_libvirt_ranges(arg, where), None)
        if key == "libvirt_unsure":
            return Libvirt(None, _libvirt_ranges(arg, where))
        if key == "feature":
            return Feature({str(k): bool(b) for k, b in arg.items()})
        if key == "qemu":
            return Qemu(_qemu_ranges(arg, where), (), v.assumed_qemu)
        if key == "qemu_unsure":
            return Qemu(None, _ranges(arg, where), v.assumed_qemu)
        if key == "first_error":
            phases = arg.get("phase", []) if isinstance(arg, Mapping) else arg
            return FirstError([phases] if isinstance(phases, str) else [str(p) for p in phases])
        if key == "virsh_problem":
            if isinstance(arg, Mapping):
                kinds = arg.get("kind", [])
                return VirshProblemNode([kinds] if isinstance(kinds, str) else list(kinds),
                                        list(arg.get("option", [])), list(arg.get("not_option", [])), spec=arg)
            return VirshProblemNode([arg] if isinstance(arg, str) else list(arg), spec=arg)
        if key in ("param", "option", "fact"):
            if not isinstance(arg, Mapping):
                raise UserError(f"{where}: '{key}' takes a mapping")
            field = "key" if "key" in arg else "name"
            raw = arg.get(field)
            if not raw:
                raise UserError(f"{where}: '{key}' needs 'key' or 'name'")
            name = self._name(key, str(raw), where, path + (field,))
            present = arg.get("present")
            written = {t: a for t, a in arg.items() if t not in ("key", "name")}
            if_missing = arg.get("if_missing")
            if if_missing is not None and (key != "fact" or not isinstance(if_missing, bool)):
                raise UserError(f"{where}: if_missing (true or false) says what a fact that is not given means")
            return Value(key, name or str(raw), None if present is None else bool(present),
                         compile_tests(arg, where), written, if_missing)
        raise UserError(f"{where}: unknown condition {key!r}{did_you_mean(key, CONDITION_KEYS)}")


def _range(arg: Any, where: str, what: str) -> str:
    """A version range as written, checked now (a libvirt range's error is VersionRange's own)."""
    text = str(arg)
    if what == "libvirt":
        VersionRange(text)
        return text
    try:
        VersionRange(text)
    except UserError as e:
        raise UserError(f"{where}: {what} takes a version range such as \">=9.1\": {e}") from None
    return text


def _libvirt_ranges(arg: Any, where: str) -> str | list[str]:
    """A libvirt range, or a list of them (their union), checked now."""
    return [_range(a, where, "libvirt") for a in arg] if isinstance(arg, list) else _range(arg, where, "libvirt")


def _qemu_ranges(arg: Any, where: str) -> str | list[str]:
    """A QEMU range, or a list of them (their union), checked now."""
    return _ranges(arg, where) if isinstance(arg, list) else _range(arg, where, "qemu")


def _ranges(arg: Any, where: str) -> list[str]:
    return [_range(a, where, "qemu") for a in (arg if isinstance(arg, list) else [arg])]
