"""Results of the Python reader: the types ``read_python`` answers with, and how one libvirt call's
arguments, evaluated on one path, become what libvirt receives (flags, typed parameters, destination,
mode). Paths that differ only in a guard that changes nothing are joined."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import NamedTuple, TypeVar

from ...errors import UserError
from ...model import ParamValue
from .expr import ExprEval
from .syntax import LineMap
from .value import (Conn, Dom, Flags, Guard, Lit, Params, Pos, State, Text, Unknown, Val, as_flags, as_params, known_prefix,
                    param_value)


# libvirt-python's signatures (generated from libvirt's API description: flags and "(optional)"
# arguments get defaults; migrate3 and migrateToURI3 are hand-written and take a dict of parameters).
SIGNATURES: dict[str, tuple[str, ...]] = {
    "migrate": ("dconn", "flags", "dname", "uri", "bandwidth"),
    "migrate2": ("dconn", "dxml", "flags", "dname", "uri", "bandwidth"),
    "migrate3": ("dconn", "params", "flags"),
    "migrateToURI": ("duri", "flags", "dname", "bandwidth"),
    "migrateToURI2": ("dconnuri", "miguri", "dxml", "flags", "dname", "bandwidth"),
    "migrateToURI3": ("dconnuri", "params", "flags"),
}


# How many of the leading arguments have no default (libvirt-python raises TypeError without them).
REQUIRED = {"migrate": 1, "migrate2": 1, "migrate3": 2, "migrateToURI": 1, "migrateToURI2": 0, "migrateToURI3": 2}
# What each argument takes: a connection (libvirt-python reads its ``_o``, None allowed), a string or None
# (the C binding's "z"), an unsigned integer, a dict of typed parameters.
_ARG_KIND = {"dconn": "conn", "duri": "str", "dconnuri": "str", "miguri": "str", "dxml": "str", "dname": "str",
             "uri": "str", "flags": "int", "bandwidth": "int", "params": "dict"}
_TAKES = {"conn": frozenset({"NoneType"}), "str": frozenset({"str", "NoneType"}), "int": frozenset({"int"}),
          "dict": frozenset({"dict"})}


# The typed parameter each fixed argument stands for (libvirt-domain.c documents the equivalence).
_ARG_PARAM = {"dname": "DEST_NAME", "uri": "URI", "miguri": "URI", "dxml": "DEST_XML", "bandwidth": "BANDWIDTH"}
# Their keys (libvirt-domain.h), for a param_macros that lacks them.
_DEFAULT_KEYS = {"DEST_NAME": "destination_name", "URI": "migrate_uri", "DEST_XML": "destination_xml",
                 "BANDWIDTH": "bandwidth"}


@dataclass(frozen=True)
class PyPath:
    """One way through the code to a call: what libvirt receives when these guards hold."""

    guards: tuple[Guard, ...]
    flags: frozenset[str]
    unknown_bits: bool  # more flags may be set (a value not followed)
    params: Mapping[str, ParamValue]  # UNKNOWN: present, value not known
    param_unknown: bool  # more parameters may be set
    contributors: Mapping[str, tuple[Pos, ...]]  # "flag:LIVE" / "param:bandwidth" -> where written
    state: str | None  # "active" (running or paused) / "shutoff" when a dom.isActive() guard tells it
    desturi: str | None  # the destination (connection) URI when a literal
    mode: str  # managed / p2p / direct (migrate and migrate2 with PEER2PEER go peer-to-peer)
    extra_bits: int = 0  # literal bits no flag name covers
    scheme: str | None = None  # the destination URI's scheme, also when the rest is not known (f"qemu+tls://{host}/")
    connect_uri: str | None = None  # the source connection's URI, when the code opens it with a literal
    connect_scheme: str | None = None  # its scheme, also when the rest is not known
    readonly: bool = False  # the code opens the source (or the destination) connection read-only


@dataclass(frozen=True)
class PyCall:
    api: str
    kind: str  # "dconn": migrate, migrate2, migrate3 (a destination connection); "uri": migrateToURI*
    line: int
    column: int
    end_line: int
    end_column: int
    function: str  # the enclosing function's qualified name, "" at module level
    receiver: str  # the source text of the domain object
    paths: tuple[PyPath, ...] = ()
    too_many_paths: bool = False
    unknown_flags: bool = False  # on some path the flags expression could not be followed


class ArgvWord(NamedTuple):
    text: str  # the word, or the source text of what makes it
    line: int
    column: int
    unknown: bool
    split: bool = False  # ``*expr``: any number of words


@dataclass(frozen=True)
class ArgvCommand:
    words: tuple[ArgvWord, ...]
    runner: str
    line: int
    column: int
    guards: tuple[Guard, ...] = ()
    open: bool = False  # more words may follow


@dataclass(frozen=True)
class ShellText:
    """A command string run by a shell. ``exact``: ``text`` is the literal's source from ``line``/
    ``column``/``offset`` on; otherwise those are the argument's, and pieces not known are ``${PY_n}``."""

    text: str
    line: int
    column: int
    offset: int
    exact: bool
    runner: str
    guards: tuple[Guard, ...] = ()


@dataclass(frozen=True)
class PyRun:
    """A call of ``subprocess``/``os`` that runs ``virsh ... migrate``: the commands it runs, one per path."""

    runner: str
    line: int
    column: int
    end_line: int
    end_column: int
    function: str
    commands: tuple[ArgvCommand | ShellText, ...] = ()
    too_many_paths: bool = False


class PyComment(NamedTuple):
    """A comment that names miglint (a directive, or meant as one): its text after the '#'. ``trailing``: code
    stands before it on its line."""

    text: str
    line: int
    column: int
    trailing: bool


@dataclass(frozen=True)
class PyReading:
    file: str
    calls: list[PyCall] = field(default_factory=list)
    runs: list[PyRun] = field(default_factory=list)
    comments: list[PyComment] = field(default_factory=list)
    errors: list[UserError] = field(default_factory=list)

    @property
    def shell(self) -> list[ShellText]:
        return [c for r in self.runs for c in r.commands if isinstance(c, ShellText)]

    @property
    def argv(self) -> list[ArgvCommand]:
        return [c for r in self.runs for c in r.commands if isinstance(c, ArgvCommand)]


def fits(c: ast.Call, api: str) -> bool:
    """Whether a call could be libvirt-python's ``api``: its arguments bind to the signature (libvirt-python
    raises TypeError on other keywords, too many or too few arguments), and none is a literal of a type the
    argument cannot take (a string for a connection: libvirt-python reads its ``_o``)."""
    names = SIGNATURES[api]
    bound: dict[str, ast.expr] = {}
    splat = False
    for i, a in enumerate(c.args):
        if isinstance(a, ast.Starred):
            splat = True
        elif i >= len(names):
            return False
        elif not splat:
            bound[names[i]] = a
    for k in c.keywords:
        if k.arg is None:
            splat = True
        elif k.arg not in names or k.arg in bound:
            return False
        else:
            bound[k.arg] = k.value
    if not splat and any(n not in bound for n in names[:REQUIRED[api]]):
        return False
    return all(_literal_kind(v) in _TAKES[_ARG_KIND[n]] for n, v in bound.items() if _literal_kind(v) is not None)


def _literal_kind(e: ast.expr) -> str | None:
    """The type of a value written as a literal (``"0042"``: str), else None."""
    if isinstance(e, ast.Constant):
        return "int" if isinstance(e.value, bool) else type(e.value).__name__
    kinds: dict[type, str] = {ast.JoinedStr: "str", ast.List: "list", ast.ListComp: "list", ast.Tuple: "tuple",
                              ast.Dict: "dict", ast.DictComp: "dict", ast.Set: "set", ast.SetComp: "set",
                              ast.Lambda: "function", ast.GeneratorExp: "generator"}
    return kinds.get(type(e))


class CallPaths:
    """A libvirt call's paths: its arguments bound by the API's signature, evaluated on each state."""

    def __init__(self, lines: LineMap, bits: dict[str, int], macros: dict[str, str], p2p_flag: str) -> None:
        self.lines, self.bits, self.macros, self.p2p_flag = lines, bits, macros, p2p_flag

    def unknown(self, c: ast.Call, api: str) -> PyPath:
        """A call whose arguments cannot be read at all: any flags, any parameters."""
        return PyPath((), frozenset(), True, {}, True, {}, None, None, "direct" if "ToURI" in api else "managed")

    def paths(self, run: ExprEval, c: ast.Call, api: str, sts: list[State]) -> list[PyPath]:
        names = SIGNATURES[api]
        args: dict[str, ast.expr] = {}
        where: dict[str, Pos] = {}
        splat = False
        for i, a in enumerate(c.args):
            if isinstance(a, ast.Starred):
                splat = True
                break
            if i < len(names):
                args[names[i]], where[names[i]] = a, self.lines.pos(a)
        for k in c.keywords:
            if k.arg is None:
                splat = True
            elif k.arg in names:
                args[k.arg], where[k.arg] = k.value, self.lines.pos(k)
        keys = [n for n in names if n in args]
        at = self.lines.pos(c)
        assert isinstance(c.func, ast.Attribute)
        out: list[PyPath] = []
        for st in sts:
            for s, vals in run.ev_all([c.func.value] + [args[k] for k in keys], st, at):
                out.append(self.path(api, vals[0], dict(zip(keys, vals[1:])), where, splat, s, at))
        return out

    def path(self, api: str, dom: Val, v: dict[str, Val], where: dict[str, Pos], splat: bool, st: State,
             at: Pos) -> PyPath:
        """One way: ``dom`` the domain the call is made on (its connection, when the code opens it), ``v`` the
        arguments by name."""
        flags = as_flags(v["flags"], self.bits, at) if "flags" in v else Flags()
        params = as_params(v["params"]) if "params" in v else Params()
        if params.refs:
            params = params.decided({t: k.value for t, k in st.known.items()})
        dest = v.get("duri", v.get("dconnuri", v.get("dconn")))
        p2p = self.p2p_flag in flags.names
        if api.startswith("migrateToURI"):
            mode = "p2p" if p2p else "direct"
        else:  # virDomainMigrate and Migrate2 go peer-to-peer with that flag; Migrate3 refuses it
            mode = "p2p" if p2p and api != "migrate3" else "managed"
        fixed: list[tuple[str, str]] = [(n, n) for n in ("dname", "uri", "miguri", "dxml", "bandwidth") if n in v]
        if api == "migrateToURI" and not p2p and not flags.unknown and "duri" in v:
            fixed.append(("uri", "duri"))  # without PEER2PEER, duri is the migration URI
        if api == "migrate" and p2p and "uri" in v:  # peer-to-peer, uri names the destination libvirt
            fixed = [(k, a) for k, a in fixed if k != "uri"]
            if not (isinstance(v["uri"], Lit) and v["uri"].value is None):
                dest = v["uri"]
        for kind, arg in fixed:
            val = v[arg]
            absent = (isinstance(val, Lit) and (val.value is None or (kind == "bandwidth" and val.value == 0))) \
                or (isinstance(val, Unknown) and val.falsy)
            macro = _ARG_PARAM[kind]
            key = self.macros.get(macro, _DEFAULT_KEYS[macro])
            if not absent and params.get(key) is None:
                params = params.set(key, param_value(val), (where[arg],))
        uri: str | None = None
        head: str | None = None
        if isinstance(dest, Lit) and isinstance(dest.value, str):
            uri = head = dest.value
        elif isinstance(dest, Conn):
            uri, head = dest.uri, dest.prefix
        elif isinstance(dest, Text):
            head = known_prefix(dest)
        scheme = head.partition("://")[0] if head and "://" in head else None
        contrib: dict[str, tuple[Pos, ...]] = {"flag:" + k: w for k, w in flags.where}
        contrib.update({"param:" + k: w for k, _, w in params.items})
        src = dom.conn if isinstance(dom, Dom) and not dom.many else None
        src_head = src.prefix if src is not None else None
        # libvirt refuses a read-only source connection, and a read-only destination one where the client
        # opens it (virDomainMigrate*: virCheckReadOnlyGoto on both).
        readonly = (src is not None and src.readonly) or (isinstance(dest, Conn) and dest.readonly)
        return PyPath(st.guards, flags.names, flags.unknown or splat, {k: val for k, val, _ in params.items},
                      params.open or splat, contrib, st.dom, uri, mode, flags.extra, scheme,
                      src.uri if src is not None else None,
                      src_head.partition("://")[0] if src_head and "://" in src_head else None, readonly)


_G = TypeVar("_G", PyPath, ArgvCommand, ShellText)


def _key(x: PyPath | ArgvCommand | ShellText) -> tuple[object, ...]:
    """Everything but the guards, hashable."""
    out: list[object] = []
    for f in fields(x):
        v = getattr(x, f.name)
        if f.name != "guards":
            out.append(tuple(sorted(v.items())) if isinstance(v, Mapping) else v)
    return tuple(out)


def simplify(paths: list[_G]) -> list[_G]:
    """Drop repeated paths; join two paths that differ only in one guard's value (it does not matter)."""
    out = paths
    joined = True
    while joined:
        seen: set[tuple[object, ...]] = set()
        unique: list[_G] = []
        for p in out:
            k = (p.guards, _key(p))
            if k not in seen:
                seen.add(k)
                unique.append(p)
        out, joined = unique, False
        index: dict[tuple[object, ...], int] = {}
        done: set[int] = set()
        dropped: set[int] = set()
        for i, p in enumerate(out):
            body = _key(p)
            for n, g in enumerate(p.guards):
                sig = (body, p.guards[:n], p.guards[n + 1:], g.text, g.line)
                j = index.setdefault(sig, i)
                if j != i and not {i, j} & done and out[j].guards[n].value != g.value:
                    out[j] = replace(out[j], guards=p.guards[:n] + p.guards[n + 1:])
                    done |= {i, j}
                    dropped.add(i)
                    joined = True
        out = [p for i, p in enumerate(out) if i not in dropped]
    return out
