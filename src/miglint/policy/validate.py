"""`miglint policy validate`: every problem of policy files, with file:line:column, in a policy author's words.

Policy files are checked with the built-in ones as their context (an organisation's policy may extend
qemu), unless the files checked include a vocabulary, in which case they stand alone. A file checked
replaces a built-in policy of the same name. Three passes: YAML and the JSON Schema (every error, not
just the first); names (flags, parameters, virsh options, rule ids, groups, layers) against the
vocabulary and the other policies; then compiling everything as `miglint check` would. Pure apart
from reading the files it is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from .. import yamlload
from ..errors import UserError, did_you_mean
from . import schemas
from .compiler import Compiler
from .conditions import FirstError
from .files import builtin_dir, policy_files
from .load import TRAILING_GROUPS, PolicySet
from .vocabulary import Vocabulary


class Problem(NamedTuple):
    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}" if self.line else f"{self.file}: {self.message}"


class Checked(NamedTuple):
    problems: list[Problem]
    policies: PolicySet | None  # compiled, when nothing stopped it
    names: list[str]  # the policies the checked files define
    files: list[str]


def _where_to_problem(e: UserError, default_file: str) -> Problem:
    where = e.where or default_file
    parts = where.rsplit(":", 2)
    try:
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            return Problem(parts[0], int(parts[1]), int(parts[2]), e.message)
        head, _, line = where.rpartition(":")
        if head and line.isdigit():
            return Problem(head, int(line), 1, e.message)
    except ValueError:
        pass
    return Problem(where, 0, 0, e.message)


def _human_path(doc: Any, path: Sequence[str | int]) -> str:
    """rules/3/when/flags -> rule Q053, when › flags."""
    out: list[str] = []
    node = doc
    i = 0
    steps = list(path)
    while i < len(steps):
        step = steps[i]
        nxt: Any = node[step] if isinstance(node, (dict, list)) and _has(node, step) else None  # type: ignore[index]
        if step == "rules" and i + 1 < len(steps) and isinstance(nxt, list) and _has(nxt, steps[i + 1]):
            rule = nxt[int(steps[i + 1])]
            ident = rule.get("id") if isinstance(rule, dict) else None
            out.append(f"rule {ident}" if ident else f"rule #{int(steps[i + 1]) + 1}")
            node = rule
            i += 2
            continue
        out.append(f"item {int(step) + 1}" if isinstance(step, int) else str(step))
        node = nxt
        i += 1
    return " › ".join(out) or "top level"


def _has(node: Any, step: str | int) -> bool:
    if isinstance(node, dict):
        return step in node
    return isinstance(step, int) and 0 <= step < len(node)


def _schema_problems(doc: Any, kind: str, text: str, file: str) -> list[Problem]:
    out = []
    for path, message in schemas.errors(doc, kind):
        pos = schemas.locate(text, path) or (1, 1)
        where = "/".join(str(p) for p in path) or "(top level)"
        message = message[len(where) + 2:] if message.startswith(where + ": ") else message
        out.append(Problem(file, pos[0], pos[1], f"{_human_path(doc, path)}: {message}"))
    return out


# -- names ------------------------------------------------------------------------------------------------------


def _check_name(vocab: Vocabulary, kind: str, name: str) -> str | None:
    try:
        if kind == "flag":
            vocab.flag(name)
        elif kind == "param":
            vocab.param_key(name)
        elif vocab.resolve_option(name) not in vocab.options:
            return f"unknown virsh option {name!r}{did_you_mean(name, vocab.options)}"
    except UserError as e:
        return e.message
    return None


def name_problems(doc: dict[str, Any], text: str, file: str, vocab: Vocabulary, all_docs: dict[str, Any],
                  known_rules: set[str]) -> list[Problem]:
    found: list[tuple[list[str | int], str]] = []

    def check(path: list[str | int], kind: str, name: str) -> None:
        msg = _check_name(vocab, kind, name)
        if msg:
            found.append((path, msg))

    def conditions(spec: Any, path: list[str | int]) -> Compiler:
        """Compile a condition for its names: each unknown one is a problem at its own path."""
        compiler = Compiler(vocab, problems=[])
        try:
            compiler.compile(spec, "", tuple(path))
        except UserError:
            pass  # a shape the schema reports
        found.extend((list(at), message) for at, message in compiler.problems or [])
        return compiler

    conditions(doc.get("when"), ["when"])
    accepts = doc.get("accepts") or {}
    for kind, key in (("flag", "flags"), ("param", "params")):
        spec = accepts.get(key)
        if isinstance(spec, list):
            for j, entry in enumerate(spec):
                ename = entry.get("name") if isinstance(entry, dict) else entry
                check(["accepts", key, j], kind, str(ename))
    for flag in doc.get("behaviour") or {}:
        check(["behaviour", flag], "flag", str(flag))
    for iname, intent in (doc.get("intents") or {}).items():
        for j, flag in enumerate(intent.get("flags", []) or []):
            check(["intents", iname, "flags", j], "flag", str(flag))
    for layer in doc.get("layers", []) or []:
        if all_docs.get(layer, {}).get("kind") != "layer":
            found.append((["layers"], f"unknown layer {layer!r}{did_you_mean(layer, [n for n, d in all_docs.items() if d.get('kind') == 'layer'])}"))
    parent = doc.get("extends")
    if parent and parent not in all_docs:
        found.append((["extends"], f"extends unknown policy {parent!r}{did_you_mean(parent, all_docs)}"))
    for j, rid in enumerate(doc.get("disable", []) or []):
        if rid not in known_rules:
            found.append((["disable", j], f"disables unknown rule {rid!r}{did_you_mean(rid, known_rules)}"))
    groups = _groups(doc, all_docs)
    seen_ids: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    for i, rule in enumerate(doc.get("rules", []) or []):
        base: list[str | int] = ["rules", i]
        rid, rname = rule.get("id"), rule.get("name")
        if rid in seen_ids:
            found.append((base + ["id"], f"duplicate rule id {rid!r} (also rule #{seen_ids[rid] + 1} of this file)"))
        seen_ids.setdefault(rid, i)
        if rname in seen_names:
            found.append((base + ["name"], f"duplicate rule name {rname!r}"))
        seen_names.setdefault(rname, i)
        compiled = [conditions(rule.get("when"), base + ["when"])]
        for k, variant in enumerate(rule.get("variants", []) or []):
            compiled.append(conditions(variant.get("when"), base + ["variants", k, "when"]))
        fix = rule.get("fix") or {}
        for key, kind in (("add_flags", "flag"), ("remove_flags", "flag"), ("remove_params", "param"),
                          ("add_options", "option"), ("remove_options", "option")):
            for j, name in enumerate(fix.get(key, []) or []):
                check(base + ["fix", key, j], kind, str(name))
        for name in (fix.get("set_params") or {}):
            check(base + ["fix", "set_params", name], "param", str(name))
        read_at = rule.get("read_at")
        for j, entry in enumerate(read_at if isinstance(read_at, list) else [read_at]):
            if isinstance(entry, dict):
                for key in ("after", "before"):
                    if key in entry:
                        path = base + ["read_at"] + ([j] if isinstance(read_at, list) else []) + [key]
                        check(path, "option", str(entry[key]))
        if groups is not None:
            phase = rule.get("phase")
            effect = rule.get("effect", "reject")
            wanted = [phase] if isinstance(phase, str) else list(phase or [])
            if not wanted:
                wanted = ["advice" if effect in ("warn", "info") else "policy"]
            if not any(g in groups for g in wanted):
                found.append((base + ["phase"], f"group {', '.join(map(repr, wanted))} is in no check sequence of this "
                                                f"policy (known groups: {', '.join(sorted(groups))}); the rule would never run"))
            first_errors = [(n, at) for c in compiled for n, at in c.located if isinstance(n, FirstError)]
            for node, at in first_errors:
                unknown = [g for g in node.listed if g not in groups]
                if unknown:
                    found.append((list(at) + ["phase"], f"first_error names group {', '.join(map(repr, unknown))}, which is in no check "
                                        f"sequence of this policy (known groups: {', '.join(sorted(groups))})"))
    out = []
    for path, message in found:
        pos = schemas.locate(text, path) or (1, 1)
        out.append(Problem(file, pos[0], pos[1], f"{_human_path(doc, path)}: {message}"))
    return out


def _groups(doc: dict[str, Any], all_docs: dict[str, Any]) -> set[str] | None:
    """The check groups a policy's rules may name; None when they cannot be known (a broken extends chain)."""
    if doc.get("kind") == "layer":
        # A layer's rules may name its own groups, and those of the drivers that use it (another layer's, or a
        # driver's own: libvirt's connection checks run where each driver opens the destination); a driver
        # without the group does not run such a rule.
        name = doc.get("name")
        own = set(doc.get("groups", []) or [])
        for other in all_docs.values():
            if isinstance(other, dict) and other.get("kind") != "layer" and name in (other.get("layers") or []):
                found = _groups(other, all_docs)
                own.update((found or set()) - set(TRAILING_GROUPS))
        return own
    groups = set(TRAILING_GROUPS)
    seen = set()
    d: dict[str, Any] | None = doc
    while d is not None:
        for seq in (d.get("sequence") or {}).values():
            groups.update(seq or [])
        for layer in d.get("layers", []) or []:
            groups.update((all_docs.get(layer) or {}).get("groups", []) or [])
        parent = d.get("extends")
        if not parent or parent in seen:
            break
        seen.add(parent)
        d = all_docs.get(parent)
        if d is None:
            return None
    return groups


# -- everything ---------------------------------------------------------------------------------------------------


def check_paths(paths: Sequence[Path]) -> Checked:
    files = policy_files(list(paths))
    texts: dict[str, str] = {}
    docs: dict[str, dict[str, Any]] = {}
    problems: list[Problem] = []
    checked_names: list[str] = []
    vocab_doc: dict[str, Any] | None = None
    parsed: list[tuple[str, dict[str, Any]]] = []
    for path in files:
        name = str(path)
        try:
            raw = path.read_bytes()
            text = raw.decode("utf-8")
        except OSError as e:
            problems.append(Problem(name, 0, 0, f"cannot read: {e.strerror}"))
            continue
        except UnicodeDecodeError:
            problems.append(Problem(name, 0, 0, "not UTF-8 text"))
            continue
        try:
            doc = yamlload.load_yaml(raw, name)
        except UserError as e:
            problems.append(_where_to_problem(e, name))
            continue
        if not isinstance(doc, dict):
            problems.append(Problem(name, 1, 1, "a policy file is a YAML mapping (schema:, name:, kind:, rules: ...)"))
            continue
        kind = "vocabulary" if doc.get("schema") == "miglint-vocabulary/1" else "policy"
        schema_problems = _schema_problems(doc, kind, text, name)
        problems += schema_problems
        if schema_problems and (kind == "vocabulary" or not isinstance(doc.get("name"), str)):
            continue  # the names pass needs a usable vocabulary and a policy name
        texts[name] = text
        if kind == "vocabulary":
            vocab_doc = doc
        else:
            parsed.append((name, doc))
    context_files: dict[str, str] = {}
    if vocab_doc is None:
        for path in policy_files([builtin_dir()]):
            doc = yamlload.load_yaml(path.read_bytes(), str(path))
            if doc.get("schema") == "miglint-vocabulary/1":
                vocab_doc = doc
            else:
                docs[doc["name"]] = doc
                context_files[doc["name"]] = str(path)
    file_of: dict[str, str] = dict(context_files)
    for name, doc in parsed:
        pname = doc["name"]
        if pname in checked_names:
            problems.append(Problem(name, 1, 1, f"policy {pname!r} is defined twice (also in {file_of[pname]})"))
            continue
        checked_names.append(pname)
        docs[pname] = doc
        file_of[pname] = name
    if vocab_doc is None:
        problems.append(Problem(str(paths[0]) if paths else "-", 0, 0, "no vocabulary.yaml to check against"))
        return Checked(problems, None, checked_names, [str(f) for f in files])
    vocab = Vocabulary(vocab_doc)
    known_rules = {str(r.get("id")) for d in docs.values() for r in d.get("rules", []) or []}
    ids: dict[str, str] = {}
    for pname, d in docs.items():
        for r in d.get("rules", []) or []:
            rid = str(r.get("id"))
            if rid in ids and ids[rid] != pname and (pname in checked_names):
                i = d["rules"].index(r)
                pos = schemas.locate(texts[file_of[pname]], ["rules", i, "id"]) or (1, 1)
                problems.append(Problem(file_of[pname], pos[0], pos[1],
                                        f"rule {rid}: id already used by policy {ids[rid]!r}; ids are never reused"))
            ids.setdefault(rid, pname)
    for pname in checked_names:
        file = file_of[pname]
        try:
            problems += name_problems(docs[pname], texts[file], file, vocab, docs, known_rules)
        except (AttributeError, TypeError, KeyError, ValueError):
            pass  # a shape the schema already reported; the names cannot be read reliably
    compiled: PolicySet | None = None
    if not problems:
        try:
            compiled = PolicySet(vocab, docs, file_of)
        except UserError as e:
            problems.append(_where_to_problem(e, file_of.get(checked_names[0], "-") if checked_names else "-"))
    problems.sort(key=lambda p: (p.file, p.line, p.column))
    return Checked(problems, compiled, checked_names, [str(f) for f in files])
