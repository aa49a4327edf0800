"""Python source -> the libvirt migrations it makes, path by path, without importing or running it.

Found: calls of libvirt-python's ``migrate``, ``migrate2``, ``migrate3``, ``migrateToURI``,
``migrateToURI2`` and ``migrateToURI3`` on any object whose arguments fit libvirt-python's signature, unless
it is an instance of a class the file defines with that method (``own``), and ``virsh migrate`` run through
``subprocess`` (an argv list: words; a string: shell text for the shell reader) or ``os.system``/``os.popen``. For each
call, the flags and typed parameters it passes are followed through the module (see ``pyflow``) and
given per path: the guards that lead there, the flags and parameters with the lines that wrote them,
the domain's state when a guard tells it, the destination URI when it is a literal. Comments naming miglint
are given too (directives: ``# miglint: ignore[RULE,...] reason``, read by ``inputs.suppress``).
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Mapping

from ...errors import UserError
from .flow import Flow, Run
from .own import OwnMethods
from .result import (SIGNATURES, ArgvCommand, ArgvWord, CallPaths, PyCall, PyComment, PyPath, PyReading, PyRun,
                     ShellText, fits, simplify)
from .syntax import DEFS, LineMap, dotted, header
from .value import Guard, Lit, Pos, Seq, State, Text, TooManyPaths, Val

__all__ = ["ArgvCommand", "ArgvWord", "Guard", "PyCall", "PyComment", "PyPath", "PyReading", "PyRun", "ShellText",
           "SIGNATURES", "MAX_PATHS", "read_python"]


_RUNNERS = frozenset({"subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
                      "subprocess.Popen"})


_SHELL_RUNNERS = frozenset({"os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput"})


# Ways through the code to one call that are followed one by one; more make the call "depend" (too many paths).
MAX_PATHS = 512


def read_python(text: str, file: str, *, flag_bits: Mapping[str, int], param_macros: Mapping[str, str],
                p2p_flag: str, max_paths: int = MAX_PATHS) -> PyReading:
    """Read one Python file. ``flag_bits``: flag name -> value ("LIVE" -> 1); ``param_macros``: macro
    suffix -> key ("URI" -> "migrate_uri"); ``p2p_flag``: the flag that makes a migration peer-to-peer (the
    vocabulary's mode flag). A file that does not parse gives one error and nothing else."""
    if not (("libvirt" in text or "virsh" in text) and "migrate" in text):
        return PyReading(file)
    try:
        tree = ast.parse(text, "<miglint>")  # not the file's name: a syntax error would re-read that file
    except SyntaxError as e:
        where = f"{file}:{e.lineno or 0}:{e.offset or 0}"
        return PyReading(file, errors=[UserError(f"Python syntax error: {e.msg}", where)])
    except ValueError as e:  # null bytes
        return PyReading(file, errors=[UserError(f"cannot parse as Python: {e}", file)])
    except (RecursionError, MemoryError):  # CPython's parser gives up on expressions nested this deep
        return PyReading(file, errors=[UserError("cannot parse as Python: nested too deeply for Python's parser",
                                                 file)])
    return _Reader(text, file, tree, dict(flag_bits), dict(param_macros), p2p_flag, max_paths).read()


Scope = ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef


class _Reader:
    def __init__(self, text: str, file: str, tree: ast.Module, bits: dict[str, int], macros: dict[str, str],
                 p2p_flag: str, cap: int) -> None:
        self.text, self.file, self.cap = text, file, cap
        self.lines = LineMap(text)
        self.calls = CallPaths(self.lines, bits, macros, p2p_flag)
        self.alias: dict[str, str] = {}
        self.star = False
        self.owner: dict[int, ast.ClassDef] = {}
        self.what: dict[int, tuple[str, str]] = {}  # call id -> ("api"|"runner", name)
        self.tracked: dict[int, list[ast.expr]] = {}  # call id -> the arguments it reads
        self.scope: dict[int, tuple[ast.Call, Scope, str]] = {}  # call id -> (call, scope, qualified name)
        self.own = OwnMethods(tree, self.owner)
        self._index(tree)
        mods = {k for k, v in self.alias.items() if v == "libvirt"} | {"libvirt"}
        consts = {k: v.split(".", 1)[1] for k, v in self.alias.items() if v.startswith("libvirt.VIR_")}
        self.flow = Flow(tree, self.lines, bits, macros, (mods, consts, self.star), cap, self.tracked,
                         self._on_call, self.owner)
        self.found: dict[int, list[object]] = {}
        self.exploded: set[int] = set()

    def _index(self, tree: ast.Module) -> None:
        """One walk: the imports, the classes of methods, and the calls to read with the scope of each."""
        calls: list[tuple[ast.Call, Scope, str]] = []
        stack: list[tuple[ast.AST, Scope, str]] = [(tree, tree, "")]
        while stack:
            n, scope, qual = stack.pop()
            if isinstance(n, ast.Import):
                for a in n.names:
                    self.alias[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
            elif isinstance(n, ast.ImportFrom) and n.module and not n.level:
                for a in n.names:
                    if a.name == "*":
                        self.star = self.star or n.module == "libvirt"
                    else:
                        self.alias[a.asname or a.name] = n.module + "." + a.name
            elif isinstance(n, ast.Call):
                calls.append((n, scope, qual))
            if isinstance(n, DEFS) and n is not scope:
                inner = f"{qual}.{n.name}" if qual else n.name
                stack += [(h, scope, qual) for h in header(n)] + [(b, n, inner) for b in n.body]
                if isinstance(n, ast.ClassDef):
                    self.owner.update((id(f), n) for f in n.body
                                      if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)))
            else:
                stack += [(c, scope, qual) for c in ast.iter_child_nodes(n)]
        for c, scope, qual in calls:  # once every import is known: one may follow its use in a function
            if isinstance(c.func, ast.Attribute) and c.func.attr in SIGNATURES and fits(c, c.func.attr) \
                    and not self.own.calls_own(c, scope):
                self.what[id(c)] = ("api", c.func.attr)
                self.tracked[id(c)] = [c.func.value] + list(c.args) + [k.value for k in c.keywords]
            else:
                runner = self._runner(c.func)
                if runner is None:
                    continue
                self.what[id(c)] = ("runner", runner)
                self.tracked[id(c)] = [x for x in [self._cmd(c)] if x is not None]
            self.scope[id(c)] = (c, scope, qual)

    def read(self) -> PyReading:
        out = PyReading(self.file, comments=self._comments())
        for c, scope, qual in sorted(self.scope.values(), key=lambda x: (x[0].lineno, x[0].col_offset)):
            try:  # one run per call: only what feeds it splits the paths
                self.flow.run(scope, "call", targets={id(c)}).block(scope.body, [State()])
            except TooManyPaths:
                self.exploded.add(id(c))
            except RecursionError:  # code nested too deep to follow: the call is read on its own
                self.found.pop(id(c), None)
            if id(c) not in self.found and id(c) not in self.exploded:  # not reached: read it on its own
                self._on_call(self.flow.run(scope, "call", targets={id(c)}), c, [State()])
            self._emit(out, c, qual)
        return out

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

    def _on_call(self, run: Run, c: ast.Call, sts: list[State]) -> None:
        kind, name = self.what[id(c)]
        got = self.found.setdefault(id(c), [])
        try:
            items = self.calls.paths(run, c, name, sts) if kind == "api" else self._commands(run, c, name, sts)
        except TooManyPaths:
            self.exploded.add(id(c))
            return
        except RecursionError:  # its arguments nest too deep: nothing known of them
            items = [self.calls.unknown(c, name)] if kind == "api" else []
        got += items
        if kind == "api" and len(got) > self.cap \
                and len(simplify([p for p in got if isinstance(p, PyPath)])) > self.cap:
            self.exploded.add(id(c))

    def _emit(self, out: PyReading, c: ast.Call, qual: str) -> None:
        line, col = self.lines.pos(c)
        end_line, end_col = self.lines.end(c)
        kind, name = self.what[id(c)]
        items = self.found.get(id(c), [])
        many = id(c) in self.exploded
        if kind == "api":
            assert isinstance(c.func, ast.Attribute)
            paths = tuple(simplify([p for p in items if isinstance(p, PyPath)]))
            out.calls.append(PyCall(name, "uri" if "ToURI" in name else "dconn", line, col, end_line, end_col,
                                    qual, ast.unparse(c.func.value), () if many else paths, many,
                                    any(p.unknown_bits for p in paths) and not many))
            return
        commands: list[ArgvCommand | ShellText] = []
        commands += simplify([x for x in items if isinstance(x, ArgvCommand)])
        commands += simplify([x for x in items if isinstance(x, ShellText)])
        if commands or many:
            out.runs.append(PyRun(name, line, col, end_line, end_col, qual, () if many else tuple(commands), many))

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
        """A word of an argv list. One built of known and unknown pieces (``f"vz+ssh://{host}/system"``) is its
        known text with each unknown piece as ``${PY_n}``, as a shell reader shows an expansion (the scheme
        stays readable); one not known at all is its source text."""
        if isinstance(v, Lit) and isinstance(v.value, (str, int)) and not isinstance(v.value, bool) and not star:
            return ArgvWord(str(v.value), pos[0], pos[1], False)
        if isinstance(v, Text) and not star and any(p is not None for p in v.parts):
            return ArgvWord(_placeholders(v.parts), pos[0], pos[1], True)
        return ArgvWord(src, pos[0], pos[1], True, star)

    def _shell(self, v: Lit | Text, runner: str, line: int, col: int, guards: tuple[Guard, ...]) -> ShellText:
        if isinstance(v, Lit) and v.src is not None:
            return ShellText(str(v.value), v.src[0], v.src[1], v.src[2], True, runner, guards)
        text = _placeholders(v.parts if isinstance(v, Text) else (str(v.value),))
        return ShellText(text, line, col, self.lines.offset(line, col), False, runner, guards)

    def _comments(self) -> list[PyComment]:
        """Comments that name miglint, by Python's own tokenizer (a '#' in a string is not one)."""
        out: list[PyComment] = []
        if "miglint" not in self.text:
            return out
        try:
            toks = list(tokenize.generate_tokens(io.StringIO(self.text).readline))
        except (tokenize.TokenError, SyntaxError):
            return out
        for t in toks:
            if t.type == tokenize.COMMENT and "miglint" in t.string:
                trailing = bool(t.line[:t.start[1]].strip())
                out.append(PyComment(t.string[1:], t.start[0], t.start[1] + 1, trailing))  # columns in characters
        return out


def _placeholders(parts: tuple[str | None, ...]) -> str:
    """A string's known pieces, each unknown one as ``${PY_n}``."""
    out: list[str] = []
    n = 0
    for p in parts:
        if p is None:
            n += 1
            out.append("${PY_%d}" % n)
        else:
            out.append(p)
    return "".join(out)
