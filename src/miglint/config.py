"""Configuration: defaults <- a file (``.miglint.yaml`` or ``[tool.miglint]`` in pyproject.toml, found upward
from the working directory, or ``--config``) <- command-line options. Each layer is a partial mapping; the
merged one remembers where every value came from, for ``miglint config show``.

Reading the file is the only I/O here; :func:`settings` turns the merged values into the runner's Settings
and checks rule and policy names against the loaded policies.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from . import yamlload
from .errors import UserError, decode_text, did_you_mean, shown
from .inputs import positions
from .model import MODES, SEVERITIES, STATES
from .notes import NOTE_RULES
from .policy.files import policy_path_problem
from .policy.load import PolicySet
from .settings import (
    DEFAULT_EXCLUDE,
    DEFAULT_INCLUDE,
    KINDS,
    MAX_FILE_BYTES,
    MAX_LINE_BYTES,
    Defaults,
    Settings,
)
from .version import check_version_text

CONFIG_NAMES = (".miglint.yaml", ".miglint.yml", "pyproject.toml")


class Key(NamedTuple):
    kind: str  # str, url, version, bool, list, map, choice, size
    help: str
    choices: tuple[str, ...] = ()


KEYS: dict[str, Key] = {
    "hypervisor": Key("str", "policy for requests that do not name one (qemu, vz, an organisation's acme-qemu, ...)"),
    "libvirt-version": Key("version", "libvirt version to check against (default: the newest the policies know)"),
    "state": Key("choice", "domain state for requests that do not give one", STATES),
    "mode": Key("choice", "managed, p2p or direct, for requests that do not say", MODES),
    "policy-dirs": Key("list", "extra policy directories or files, relative to the configuration file"),
    "disable": Key("list", "rules not to report, by id or name"),
    "severity": Key("map", "severity per rule (id or name): error, warning or info"),
    "fail-on": Key("choice", "exit 1 when a finding has this severity or worse", SEVERITIES),
    "fail-on-depends": Key("bool", "also fail on findings that depend on a fact the input does not give"),
    "exit-zero": Key("bool", "exit 0 even with findings (input errors still exit 2)"),
    "include": Key("list", "file name patterns a directory walk checks (shell scripts without an extension are "
                           "found by their first line)"),
    "kinds": Key("list", "what a directory walk reads: " + ", ".join(KINDS), KINDS),
    "exclude": Key("list", "patterns a directory walk skips, besides .git, .venv, ...; with a '/', relative "
                           "to the configuration file"),
    "replace": Key("map", "policy -> organisation policy that stands in for it wherever it would apply"),
    "rule-docs-url": Key("url", "where the rule pages (docs/rules/) are served: an absolute URL with {rule}, "
                                "e.g. https://git.example.com/tools/miglint/-/blob/v0.1.0/docs/rules/{rule}.md "
                                "(SARIF helpUri; none by default)"),
    "max-file-size": Key("size", "largest plan or script read (bytes, or 64MiB, 500K, ...); JSON Lines is streamed"),
    "max-line-size": Key("size", "longest JSON Lines line (bytes, or 1MiB, ...)"),
}
_SIZE = re.compile(r"^\s*(\d+)\s*(?:([kmg])i?)?b?\s*$", re.IGNORECASE)


class Value(NamedTuple):
    value: Any
    source: str  # "default", "FILE:LINE:COL", "command line"


class ConfigFile(NamedTuple):
    path: Path
    values: dict[str, Any]
    text: str
    table: str | None  # the TOML table read ("" a whole file, "tool.miglint"); None for YAML
    raw: dict[str, str]  # key -> as written (max_file_size, max-file-size)

    def where(self, key: str, *sub: str | int, part: str = "value") -> str:
        """"FILE:LINE:COL" of a key (``part="key"``) or value, or of an item inside it (``sub``)."""
        path = (self.raw.get(key, key), *sub)
        if self.table is None:
            pos = positions.yaml_position(self.text, path, part)
        else:
            pos = positions.toml_position(self.text, path, part, self.table)
        return f"{_shown(self.path)}:{pos[0]}:{pos[1]}" if pos else f"{_shown(self.path)}:1"


def defaults() -> dict[str, Value]:
    d: dict[str, Any] = {
        "hypervisor": None, "libvirt-version": None, "state": None, "mode": None, "policy-dirs": [],
        "disable": [], "severity": {}, "fail-on": "error", "fail-on-depends": False, "exit-zero": False,
        "include": list(DEFAULT_INCLUDE), "kinds": list(KINDS), "exclude": [], "replace": {}, "rule-docs-url": None,
        "max-file-size": MAX_FILE_BYTES, "max-line-size": MAX_LINE_BYTES,
    }
    return {k: Value(v, "default") for k, v in d.items()}


# -- finding and reading ---------------------------------------------------------------------------


def find(start: Path) -> Path | None:
    """The nearest configuration file in ``start`` or a parent; a pyproject.toml counts only with [tool.miglint]."""
    here = start.resolve()
    for d in (here, *here.parents):
        for name in CONFIG_NAMES:
            p = d / name
            if p.is_file() and (name != "pyproject.toml" or _has_tool_table(p)):
                return p
    return None


def _has_tool_table(path: Path) -> bool:
    try:
        data = path.read_bytes()
    except OSError:
        return False
    if b"miglint" not in data:
        return False  # cheap: most pyproject.toml files never name miglint, and tomllib need not load
    return _toml_table(path, data) is not None


def _toml_table(path: Path, data: bytes) -> dict[str, Any] | None:
    import tomllib  # here: only a configuration in TOML needs it (see test_lazy_imports)

    text = decode_text(data, str(path))
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"^(.*) \(at line (\d+), column (\d+)\)$", str(e))
        if m:
            raise UserError(f"invalid TOML: {m.group(1)}", f"{path}:{m.group(2)}:{m.group(3)}") from None
        raise UserError(f"invalid TOML: {e}", str(path)) from None
    except RecursionError:  # tomllib recurses per level of nested arrays and inline tables
        raise UserError("TOML nested too deeply", str(path)) from None
    if path.name != "pyproject.toml":
        return doc
    table = doc.get("tool", {}).get("miglint")
    if table is not None and not isinstance(table, dict):
        raise UserError("[tool.miglint] must be a table", str(path))
    return table


MAX_CONFIG_BYTES = 1 << 20


def read(path: Path) -> ConfigFile:
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_CONFIG_BYTES + 1)
    except OSError as e:
        raise UserError(f"cannot read configuration: {e.strerror}", _shown(path)) from None
    if len(data) > MAX_CONFIG_BYTES:
        raise UserError(f"configuration file larger than {MAX_CONFIG_BYTES} bytes", _shown(path))
    text = decode_text(data, _shown(path))
    if path.suffix in (".toml",):
        table = _toml_table(path, data)
        if table is None:
            raise UserError("no [tool.miglint] table", _shown(path))
        where_table: str | None = "tool.miglint" if path.name == "pyproject.toml" else ""
    else:
        table = yamlload.load_yaml(data, _shown(path))
        if table is None:
            table = {}
        if not isinstance(table, dict):
            raise UserError("a configuration file is a YAML mapping", f"{_shown(path)}:1:1")
        where_table = None
    cf = ConfigFile(path, {}, text, where_table, {})
    for raw_key, v in table.items():
        key = str(raw_key).replace("_", "-")
        cf.raw[key] = str(raw_key)
        if key not in KEYS:
            raise UserError(f"unknown configuration key {str(raw_key)!r:.80}{did_you_mean(key, KEYS)}; "
                            f"known: {', '.join(KEYS)}", cf.where(key, part="key"))
        try:
            cf.values[key] = _check(key, v)
        except UserError as e:
            e.where = cf.where(key, *(e.at or ()), part=e.part)
            e.at = None
            raise
    return cf


def _check(key: str, v: Any) -> Any:
    """The value of configuration ``key``, checked; a UserError ``at`` the item at fault inside it."""
    spec = KEYS[key]
    if spec.kind == "str" and isinstance(v, (str, int, float)) and not isinstance(v, bool):
        return str(v)
    if spec.kind == "bool" and isinstance(v, bool):
        return v
    if spec.kind == "version":
        return check_version_text(v, f"configuration key {key!r}")
    if spec.kind == "url" and isinstance(v, str):
        if not re.match(r"^https?://[^/\s]+", v) or "{rule}" not in v:
            raise UserError(f"configuration key {key!r} takes an absolute http(s) URL with {{rule}} where the rule "
                            f"id goes, got {shown(v)}", at=())
        return v
    if spec.kind == "choice" and v in spec.choices:
        return v
    if spec.kind == "list":
        items = [v] if isinstance(v, str) else v
        if isinstance(items, list) and all(isinstance(x, str) for x in items):
            bad = [i for i, x in enumerate(items) if spec.choices and x not in spec.choices]
            if bad:
                x = items[bad[0]]
                raise UserError(f"configuration key {key!r}: {shown(x, 60)} is not one of {', '.join(spec.choices)}"
                                f"{did_you_mean(x, spec.choices)}", at=(bad[0],) if isinstance(v, list) else ())
            return list(items)
        if isinstance(items, list):
            i = next(i for i, x in enumerate(items) if not isinstance(x, str))
            raise UserError(f"configuration key {key!r}: item {i + 1} is {shown(items[i], 60)}, expected a string",
                            at=(i,))
    if spec.kind == "map" and isinstance(v, dict):
        for k, x in v.items():
            if not isinstance(x, str):
                raise UserError(f"configuration key {key!r}: {str(k)!r:.60} takes a string, got {shown(x, 60)}",
                                at=(str(k),))
        return {str(k): x for k, x in v.items()}
    if spec.kind == "size" and not isinstance(v, bool) and isinstance(v, (int, str)):
        size = parse_size(v)
        if size is not None:
            return size
    expected = {"str": "a string", "url": "an absolute http(s) URL with {rule}", "bool": "true or false", "list": "a list of strings",
                "map": "a mapping of strings", "choice": "one of " + ", ".join(spec.choices),
                "size": "a size in bytes of at least 1 (65536, 64K, 64MiB, 1G)"}[spec.kind]
    hint = did_you_mean(str(v), spec.choices) if spec.kind == "choice" else ""
    raise UserError(f"configuration key {key!r} takes {expected}, got {shown(v)}{hint}", at=())


def parse_size(v: int | str) -> int | None:
    """65536, "64K", "64KiB", "64MB", "1G" -> bytes (binary multiples); None when it is no size of at least 1."""
    if isinstance(v, int):
        return v if v >= 1 else None
    m = _SIZE.match(v)
    if not m:
        return None
    n = int(m.group(1)) << {None: 0, "k": 10, "m": 20, "g": 30}[(m.group(2) or "").lower() or None]
    return n if n >= 1 else None


# -- merging ---------------------------------------------------------------------------------------


class Effective:
    """The merged settings: ``eff["state"]`` is a value, ``eff.values["state"].source`` where it came from."""

    def __init__(self, values: dict[str, Value], file: Path | None, read: ConfigFile | None = None) -> None:
        self.values = values
        self.file = file
        self.read = read

    def where(self, key: str, *sub: str | int, part: str = "value") -> str | None:
        """"FILE:LINE:COL" of a value the configuration file gave (or of an item inside it); None for a value
        from the command line or the defaults."""
        source = self.values[key].source
        if self.read is None or source in ("default", "command line", "argument") or \
                not source.startswith(_shown(self.read.path) + ":"):
            return None
        if sub and isinstance(sub[0], int) and sub[0] >= len(self.read.values.get(key, ())):
            return None  # an item the command line added to the file's list
        return self.read.where(key, *sub, part=part)

    def __getitem__(self, key: str) -> Any:
        return self.values[key].value

    @property
    def base_dir(self) -> Path:
        return self.file.parent if self.file is not None else Path.cwd()


def resolve(config: Path | None = None, no_config: bool = False, cli: Mapping[str, Any] | None = None,
            cwd: Path | None = None, source: str = "command line") -> Effective:
    """Merge defaults, the configuration file and command-line values (None means "not given").

    Lists given on the command line (``--policy-dir``, ``--disable``) add to the file's; other values replace."""
    values = defaults()
    path: Path | None = None
    cf: ConfigFile | None = None
    if config is not None:
        if config.is_dir():
            raise UserError("is a directory, expected a configuration file", str(config))
        if not config.is_file():
            raise UserError("not a regular file" if config.exists() else "configuration file not found",
                            str(config))
        path = config
    elif not no_config:
        path = find(cwd or Path.cwd())
    if path is not None:
        cf = read(path)
        base = path.parent
        for k, v in cf.values.items():
            if k == "policy-dirs":
                v = [str(base / p) if not os.path.isabs(p) else p for p in v]
            values[k] = Value(v, cf.where(k, part="key"))
    for k, v in (cli or {}).items():
        if k not in KEYS:
            raise KeyError(k)
        if v is None or (isinstance(v, (list, tuple)) and not v and KEYS[k].kind == "list"):
            continue
        if KEYS[k].kind == "size":
            size = parse_size(v) if isinstance(v, (int, str)) and not isinstance(v, bool) else None
            if size is None:
                raise UserError(f"--{k}: {v!r:.80} is not a size in bytes of at least 1 (65536, 64K, 64MiB, 1G)")
            v = size
        old = values[k]
        if KEYS[k].kind == "list" and k in ("policy-dirs", "disable") and old.source != "default":
            values[k] = Value(list(old.value) + list(v), f"{old.source} + {source}")
        else:
            values[k] = Value(list(v) if isinstance(v, (list, tuple)) else v, source)
    return Effective(values, path, cf)


def with_host(eff: Effective, libvirt_version: str, hypervisor: str | None, policies: PolicySet, source: str,
              given_by: str = "command line") -> Effective:
    """The configuration once a live host has been read (``check --connect``): its libvirt version and driver,
    unless the options (``given_by``) chose them; a hypervisor policy that models the host's driver (vz-2015
    for vz, an organisation's qemu) is kept."""
    values = dict(eff.values)
    if values["libvirt-version"].source != given_by:
        values["libvirt-version"] = Value(libvirt_version, source)
    hv = eff["hypervisor"]
    keeps = bool(hv) and hv in policies.drivers and policies.driver_family(hv) == hypervisor
    if hypervisor is not None and values["hypervisor"].source != given_by and not keeps:
        values["hypervisor"] = Value(hypervisor, source)
    return Effective(values, eff.file, eff.read)


def policy_dirs(eff: Effective) -> list[str]:
    """The extra policy directories, each checked to exist (a missing one named with where it was set)."""
    v = eff.values["policy-dirs"]
    for p in v.value:
        if not os.path.exists(p):
            where = v.source if v.source not in ("default", "command line", "argument") else None
            raise UserError(policy_path_problem(p), where.split(" + ")[0] if where else None)
    return list(v.value)


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def settings(eff: Effective, policies: PolicySet, suppress: bool = True) -> Settings:
    """The run's Settings, with every rule and policy name checked against the loaded policies."""
    known_rules = _rule_names(policies)

    def rule(name: str, key: str, *at: str | int, part: str = "value") -> str:
        if name not in known_rules:
            raise UserError(f"{key}: unknown rule {name!r:.80}{did_you_mean(name, known_rules)}",
                            eff.where(key, *at, part=part) or _given(eff, key))
        return name

    disabled = frozenset(rule(r, "disable", i) for i, r in enumerate(eff["disable"]))
    severity = []
    for r, sev in eff["severity"].items():
        rule(r, "severity", r, part="key")
        if sev not in SEVERITIES:
            raise UserError(f"severity of {r}: {sev!r:.80} is not one of {', '.join(SEVERITIES)}"
                            f"{did_you_mean(sev, SEVERITIES)}", eff.where("severity", r) or _given(eff, "severity"))
        severity.append((r, sev))
    replace = []
    for old, new in eff["replace"].items():
        for name, part in ((old, "key"), (new, "value")):
            if name not in policies.drivers:
                raise UserError(f"replace: unknown policy {name!r}{did_you_mean(name, policies.drivers)}",
                                eff.where("replace", old, part=part) or _given(eff, "replace"))
        if old not in policies.ancestors(new)[:-1]:
            raise UserError(f"replace: {new!r} does not extend {old!r}, so it cannot stand in for it",
                            eff.where("replace", old) or _given(eff, "replace"))
        replace.append((old, new))
    hv = eff["hypervisor"]
    # "qemu,vz": a mixed fleet, every request is checked against each of them.
    fleet = tuple(h.strip() for h in hv.split(",") if h.strip()) if hv else ()
    if len(fleet) > 1:
        hv = fleet[0]
    try:
        for h in fleet or ((hv,) if hv is not None else ()):
            policies.driver(h)
        if eff["libvirt-version"] is not None:
            policies.vocab.version(eff["libvirt-version"])
    except UserError as e:
        key = "hypervisor" if any(h not in policies.drivers for h in fleet or (hv,) if h) else "libvirt-version"
        if e.where is None:
            e.where = eff.where(key) or _given(eff, key)
        raise
    return Settings(
        defaults=Defaults(hv, eff["state"], eff["libvirt-version"], eff["mode"]),
        fail_on=eff["fail-on"], fail_on_depends=bool(eff["fail-on-depends"]), exit_zero=bool(eff["exit-zero"]),
        disabled=disabled,
        severity=tuple(severity), include=tuple(eff["include"]), kinds=tuple(eff["kinds"]),
        exclude=DEFAULT_EXCLUDE + tuple(eff["exclude"]), suppress=suppress, replace=tuple(replace),
        base_dir=str(eff.base_dir), hypervisors=fleet if len(fleet) > 1 else (),
        max_file_bytes=eff["max-file-size"], max_line_bytes=eff["max-line-size"],
    )


def _given(eff: Effective, key: str) -> str | None:
    """Where a value came from when it is no position in the configuration file (with_host's live host)."""
    source = eff.values[key].source
    if source in ("default", "command line", "argument"):
        return None
    return None if eff.read is not None and source.startswith(_shown(eff.read.path) + ":") else source


def _rule_names(policies: PolicySet) -> list[str]:
    names = [*policies.rules, *policies.rules_by_name]
    for n in NOTE_RULES.values():
        names += [n.id, n.name]
    return names


def show(eff: Effective) -> list[tuple[str, str, str]]:
    """(key, value as TOML, source) for every key, for ``miglint config show``."""
    out = []
    for k in KEYS:
        v = eff.values[k]
        if v.value is None:
            text = "(not set)"
        elif isinstance(v.value, dict):
            text = "{" + ", ".join(f"{json.dumps(a)} = {json.dumps(b)}" for a, b in v.value.items()) + "}"
        else:
            text = json.dumps(v.value)
        out.append((k, text, v.source))
    return out


def as_cli(**options: Any) -> dict[str, Any]:
    """Command-line option values (python names) -> configuration keys."""
    return {k.replace("_", "-"): v for k, v in options.items()}


__all__: Sequence[str] = ("resolve", "settings", "show", "find", "read", "KEYS", "Effective")
