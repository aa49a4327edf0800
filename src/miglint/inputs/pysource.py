"""Python source -> the libvirt migrations it makes, path by path, without importing or running it.

Found: calls of libvirt-python's ``migrate``, ``migrate2``, ``migrate3``, ``migrateToURI``,
``migrateToURI2`` and ``migrateToURI3`` on any object, and ``virsh migrate`` run through ``subprocess``
(an argv list: words; a string: shell text for the shell reader) or ``os.system``/``os.popen``. For each
call, the flags and typed parameters it passes are followed through the module (see ``pyflow``) and
given per path: the guards that lead there, the flags and parameters with the lines that wrote them,
the domain's state when a guard tells it, the destination URI when it is a literal. Suppressions are
``# miglint: ignore[RULE,...] reason`` on the call's line or the line above.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import NamedTuple, TypeVar

from ..errors import UserError
from ..model import ParamValue
from .pyexpr import LineMap, State, TooManyPaths, dotted
from .pyflow import Flow, Run, walk_body
from .pyvalue import Conn, Flags, Guard, Lit, Params, Pos, Seq, Text, Unknown, Val, as_flags, as_params, param_value

__all__ = ["ArgvCommand", "ArgvWord", "Guard", "PyCall", "PyPath", "PyReading", "PySuppression", "ShellText",
           "SIGNATURES", "read_python"]

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
# The typed parameter each fixed argument stands for (libvirt-domain.c documents the equivalence).
_ARG_PARAM = {"dname": "DEST_NAME", "uri": "URI", "miguri": "URI", "dxml": "DEST_XML", "bandwidth": "BANDWIDTH"}
_DEFAULT_KEYS = {"DEST_NAME": "destination_name", "URI": "migrate_uri", "DEST_XML": "destination_xml",
                 "BANDWIDTH": "bandwidth"}
_RUNNERS = frozenset({"subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
                      "subprocess.Popen"})
_SHELL_RUNNERS = frozenset({"os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput"})
_DIRECTIVE = re.compile(r"#\s*miglint\s*:\s*(?P<kind>[\w-]*)\s*(?:\[(?P<rules>[^\]]*)\])?(?P<reason>.*)$")


class PySuppression(NamedTuple):
    """``# miglint: ignore[RULE,...] reason``. ``trailing``: after code on its line (it covers that line),
    else alone (it covers the next line). ``problem``: why a comment naming miglint is not a directive."""

    rules: tuple[str, ...]
    reason: str
    line: int
    column: int
    trailing: bool
    problem: str = ""


@dataclass(frozen=True)
class PyPath:
    """One way through the code to a call: what libvirt receives when these guards hold."""

    guards: tuple[Guard, ...]
    flags: frozenset[str]
    unknown_bits: bool  # more flags may be set (a value not followed)
    params: Mapping[str, ParamValue]  # UNKNOWN: present, value not known
    param_unknown: bool  # more parameters may be set
    contributors: Mapping[str, tuple[Pos, ...]]  # "flag:LIVE" / "param:bandwidth" -> where written
    state: str | None  # "running" / "shutoff" / "paused" when a guard tells it
    desturi: str | None  # the destination (connection) URI when a literal
    mode: str  # managed / p2p / direct
    extra_bits: int = 0  # literal bits no flag name covers


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
    suppressed: tuple[PySuppression, ...] = ()


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
    suppressed: tuple[PySuppression, ...] = ()


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
    suppressed: tuple[PySuppression, ...] = ()


@dataclass(frozen=True)
class PyReading:
    file: str
    calls: list[PyCall] = field(default_factory=list)
    shell: list[ShellText] = field(default_factory=list)
    argv: list[ArgvCommand] = field(default_factory=list)
    suppressions: list[PySuppression] = field(default_factory=list)
    errors: list[UserError] = field(default_factory=list)


def read_python(text: str, file: str, *, flag_bits: Mapping[str, int], param_macros: Mapping[str, str],
                max_paths: int = 256) -> PyReading:
    """Read one Python file. ``flag_bits``: flag name -> value ("LIVE" -> 1); ``param_macros``: macro
    suffix -> key ("URI" -> "migrate_uri"). A file that does not parse gives one error and nothing else."""
    if not (("libvirt" in text or "virsh" in text) and "migrate" in text):
        return PyReading(file)
    try:
        tree = ast.parse(text, "<miglint>")  # not the file's name: a syntax error would re-read that file
    except SyntaxError as e:
        where = f"{file}:{e.lineno or 0}:{e.offset or 0}"
        return PyReading(file, errors=[UserError(f"Python syntax error: {e.msg}", where)])
    except (ValueError, RecursionError) as e:
        return PyReading(file, errors=[UserError(f"cannot parse as Python: {e}", file)])
    return _Reader(text, file, tree, dict(flag_bits), dict(param_macros), max_paths).read()


def _imports(tree: ast.Module) -> tuple[dict[str, str], tuple[set[str], dict[str, str], bool]]:
    alias: dict[str, str] = {}
    star = False
    for n in ast.walk(tree):
        if isinstance(n, ast.Import):
            for a in n.names:
                alias[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(n, ast.ImportFrom) and n.module and not n.level:
            for a in n.names:
                if a.name == "*":
                    star = star or n.module == "libvirt"
                else:
                    alias[a.asname or a.name] = n.module + "." + a.name
    mods = {k for k, v in alias.items() if v == "libvirt"} | {"libvirt"}
    consts = {k: v.split(".", 1)[1] for k, v in alias.items() if v.startswith("libvirt.VIR_")}
    return alias, (mods, consts, star)


def _fits(c: ast.Call, names: tuple[str, ...]) -> bool:
    """Whether a call could be libvirt-python's: it would raise TypeError on other keywords."""
    given = [a for a in c.args if not isinstance(a, ast.Starred)]
    return len(given) <= len(names) and all(k.arg is None or k.arg in names[len(given):] for k in c.keywords)


class _Reader:
    def __init__(self, text: str, file: str, tree: ast.Module, bits: dict[str, int], macros: dict[str, str],
                 cap: int) -> None:
        self.text, self.file, self.tree, self.bits, self.macros, self.cap = text, file, tree, bits, macros, cap
        self.lines = LineMap(text)
        self.alias, libvirt = _imports(tree)
        self.what: dict[int, tuple[str, str]] = {}  # call id -> ("api"|"runner", name)
        tracked: dict[int, list[ast.expr]] = {}
        for n in ast.walk(tree):
            if not isinstance(n, ast.Call):
                continue
            if isinstance(n.func, ast.Attribute) and n.func.attr in SIGNATURES and _fits(n, SIGNATURES[n.func.attr]):
                self.what[id(n)] = ("api", n.func.attr)
                tracked[id(n)] = list(n.args) + [k.value for k in n.keywords]
            else:
                runner = self._runner(n.func)
                if runner is not None:
                    self.what[id(n)] = ("runner", runner)
                    tracked[id(n)] = [x for x in [self._cmd(n)] if x is not None]
        self.flow = Flow(tree, self.lines, bits, macros, libvirt, cap, tracked, self._on_call)
        self.found: dict[int, list[object]] = {}
        self.exploded: set[int] = set()

    def _resolve(self, f: ast.expr) -> str | None:
        """A dotted name with its first part resolved through the imports (``sp.run`` -> subprocess.run)."""
        d = dotted(f)
        if d is None:
            return None
        head, _, rest = d.partition(".")
        return self.alias.get(head, head) + ("." + rest if rest else "")

    def _runner(self, f: ast.expr) -> str | None:
        full = self._resolve(f)
        return full if full in _RUNNERS or full in _SHELL_RUNNERS else None

    @staticmethod
    def _cmd(c: ast.Call) -> ast.expr | None:
        if c.args and not isinstance(c.args[0], ast.Starred):
            return c.args[0]
        return next((k.value for k in c.keywords if k.arg in ("args", "cmd")), None)

    # --- driving -----------------------------------------------------------------------------------
    def read(self) -> PyReading:
        scopes: list[tuple[ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef, str]] = []
        self._scopes(self.tree, "", scopes)
        order: list[tuple[ast.Call, str, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef]] = []
        for node, qual in scopes:
            mine = [n for n in walk_body(node.body) if isinstance(n, ast.Call) and id(n) in self.what]
            if not mine:
                continue
            for c in mine:  # one run per call: only what feeds it splits the paths
                order.append((c, qual, node))
                try:
                    self.flow.run(node, "call", targets={id(c)}).block(node.body, [State()])
                except (TooManyPaths, RecursionError):
                    self.exploded.add(id(c))
        sups = self._suppressions()
        out = PyReading(self.file, suppressions=sups)
        for c, qual, node in sorted(order, key=lambda x: (x[0].lineno, x[0].col_offset)):
            if id(c) not in self.found and id(c) not in self.exploded:  # not reached: read it on its own
                self._on_call(self.flow.run(node, "call", targets={id(c)}), c, [State()])
            self._emit(out, c, qual, sups)
        return out

    def _scopes(self, node: ast.AST, qual: str, out: list[tuple[ast.Module | ast.ClassDef | ast.FunctionDef
                                                                  | ast.AsyncFunctionDef, str]]) -> None:
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            out.append((node, qual))
            for n in walk_body(node.body):
                if isinstance(n, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                    self._scopes(n, f"{qual}.{n.name}" if qual else n.name, out)

    def _on_call(self, run: Run, c: ast.Call, sts: list[State]) -> None:
        kind, name = self.what[id(c)]
        got = self.found.setdefault(id(c), [])
        try:
            items = self._paths(run, c, name, sts) if kind == "api" else self._commands(run, c, name, sts)
        except (TooManyPaths, RecursionError):
            self.exploded.add(id(c))
            return
        got += items
        if kind == "api" and len(got) > self.cap and len(_simplify([p for p in got if isinstance(p, PyPath)])) > self.cap:
            self.exploded.add(id(c))

    def _emit(self, out: PyReading, c: ast.Call, qual: str, sups: list[PySuppression]) -> None:
        line, col = self.lines.pos(c)
        end_line, end_col = self.lines.end(c)
        mine = tuple(s for s in sups if not s.problem and
                     (line <= s.line <= end_line if s.trailing else s.line == line - 1))
        kind, name = self.what[id(c)]
        items = self.found.get(id(c), [])
        if kind == "api":
            assert isinstance(c.func, ast.Attribute)
            paths = tuple(_simplify([p for p in items if isinstance(p, PyPath)]))
            many = id(c) in self.exploded
            out.calls.append(PyCall(name, "uri" if "ToURI" in name else "dconn", line, col, end_line, end_col,
                                    qual, ast.unparse(c.func.value), () if many else paths, many,
                                    any(p.unknown_bits for p in paths) and not many, mine))
            return
        out.argv.extend(replace(x, suppressed=mine) for x in _simplify([x for x in items if isinstance(x, ArgvCommand)]))
        out.shell.extend(replace(x, suppressed=mine) for x in _simplify([x for x in items if isinstance(x, ShellText)]))

    # --- libvirt calls -----------------------------------------------------------------------------
    def _paths(self, run: Run, c: ast.Call, api: str, sts: list[State]) -> list[PyPath]:
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
        out: list[PyPath] = []
        for st in sts:
            for s, vals in run.ev_all([args[k] for k in keys], st, at):
                out.append(self._path(api, dict(zip(keys, vals)), where, splat, s, at))
        return out

    def _path(self, api: str, v: dict[str, Val], where: dict[str, Pos], splat: bool, st: State, at: Pos) -> PyPath:
        flags = as_flags(v["flags"], self.bits, at) if "flags" in v else Flags()
        params = as_params(v["params"]) if "params" in v else Params()
        dest = v.get("duri", v.get("dconnuri", v.get("dconn")))
        p2p = "PEER2PEER" in flags.names
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
        if isinstance(dest, Lit) and isinstance(dest.value, str):
            uri = dest.value
        elif isinstance(dest, Conn):
            uri = dest.uri
        contrib: dict[str, tuple[Pos, ...]] = {"flag:" + k: w for k, w in flags.where}
        contrib.update({"param:" + k: w for k, _, w in params.items})
        return PyPath(st.guards, flags.names, flags.unknown or splat, {k: val for k, val, _ in params.items},
                      params.open or splat, contrib, st.dom, uri, mode, flags.extra)

    # --- commands run by subprocess / os -----------------------------------------------------------
    def _commands(self, run: Run, c: ast.Call, runner: str, sts: list[State]) -> list[object]:
        cmd = self._cmd(c)
        if cmd is None:
            return []
        shell_kw = next((k.value for k in c.keywords if k.arg == "shell"), None)
        shell = runner in _SHELL_RUNNERS or (shell_kw is not None and not (
            isinstance(shell_kw, ast.Constant) and not shell_kw.value))
        if isinstance(cmd, ast.Call) and self._resolve(cmd.func) == "shlex.split" and len(cmd.args) == 1:
            cmd, shell = cmd.args[0], True  # words split the way a shell would: read as shell text
        out: list[object] = []
        line, col = self.lines.pos(cmd)
        for st in sts:
            for s, v in run.ev(cmd, st, self.lines.pos(c)):
                if isinstance(v, Seq):
                    words = tuple(self._word(i.value, i.pos, i.src, i.star) for i in v.items)
                    known = [w.text for w in words if not w.unknown]
                    if "migrate" in known and any(w.rsplit("/", 1)[-1] == "virsh" for w in known):
                        out.append(ArgvCommand(words, runner, line, col, s.guards, v.open))
                elif shell and (isinstance(v, Text) or (isinstance(v, Lit) and isinstance(v.value, str))):
                    out.append(self._shell(v, runner, line, col, s.guards))
        return [x for x in out if not isinstance(x, ShellText) or ("virsh" in x.text and "migrate" in x.text)]

    @staticmethod
    def _word(v: Val, pos: Pos, src: str, star: bool) -> ArgvWord:
        if isinstance(v, Lit) and isinstance(v.value, (str, int)) and not isinstance(v.value, bool) and not star:
            return ArgvWord(str(v.value), pos[0], pos[1], False)
        return ArgvWord(src, pos[0], pos[1], True, star)

    def _shell(self, v: Lit | Text, runner: str, line: int, col: int, guards: tuple[Guard, ...]) -> ShellText:
        if isinstance(v, Lit) and v.src is not None:
            return ShellText(str(v.value), v.src[0], v.src[1], v.src[2], True, runner, guards)
        n = 0
        parts: list[str] = []
        for p in (v.parts if isinstance(v, Text) else (str(v.value),)):
            if p is None:
                n += 1
                parts.append("${PY_%d}" % n)
            else:
                parts.append(p)
        return ShellText("".join(parts), line, col, self.lines.offset(line, col), False, runner, guards)

    # --- suppressions ------------------------------------------------------------------------------
    def _suppressions(self) -> list[PySuppression]:
        out: list[PySuppression] = []
        try:
            toks = list(tokenize.generate_tokens(io.StringIO(self.text).readline))
        except (tokenize.TokenError, SyntaxError):
            return out
        for t in toks:
            if t.type != tokenize.COMMENT or not re.match(r"#\s*miglint\s*:", t.string):
                continue
            line, col = t.start[0], t.start[1] + 1
            trailing = bool(t.line[:t.start[1]].strip())
            m = _DIRECTIVE.match(t.string)
            rules = tuple(r.strip() for r in (m.group("rules") or "").split(",") if r.strip()) if m else ()
            reason = re.sub(r"^[\s:-]+", "", m.group("reason")).strip() if m else ""
            problem = ""
            if m is None or m.group("kind") != "ignore":
                problem = "not a miglint directive: write '# miglint: ignore[RULE] reason'"
            elif not rules:
                problem = "'ignore' names no rule: write '# miglint: ignore[RULE] reason'"
            out.append(PySuppression(rules, reason, line, col, trailing, problem))
        return out


_G = TypeVar("_G", PyPath, ArgvCommand, ShellText)


def _key(x: PyPath | ArgvCommand | ShellText) -> tuple[object, ...]:
    """Everything but the guards, hashable."""
    out: list[object] = []
    for f in fields(x):
        v = getattr(x, f.name)
        if f.name != "guards":
            out.append(tuple(sorted(v.items())) if isinstance(v, Mapping) else v)
    return tuple(out)


def _simplify(paths: list[_G]) -> list[_G]:
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
