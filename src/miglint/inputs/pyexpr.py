"""Expressions and conditions for the Python reader: what an expression holds on each path.

Evaluating may split a path (``x if c else y``, ``c and X``, ``getattr(libvirt, NAME, 0)``, a helper
with several returns), so every evaluation answers a list of (state, value). A condition splits the
states into those where it is true and those where it is false, remembering it as a guard; a condition
already decided on a path (the same text, ``not`` removed) is not asked again.
"""

from __future__ import annotations

import ast
import operator
import re
import string
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from .pyvalue import (Conn, Flags, Guard, Item, Lit, Params, Pos, Seq, Text, Unknown, Val, as_flags, decode,
                      flags_add, flags_and, flags_or, flags_without, from_param, is_str, make_text, param_value,
                      text_of, truth)

Alts = list[tuple["State", Val]]
_OPENERS = ("libvirt.open", "libvirt.openAuth", "libvirt.openReadOnly")
_COPIES = frozenset({"dict", "list", "tuple", "copy.copy", "copy.deepcopy", "str", "int"})
_FORMAT = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?([a-zA-Z%])")


_COMPARE: dict[type, Callable[[object, object], object]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Is: operator.is_, ast.IsNot: operator.is_not,
    ast.In: lambda a, b: _contains(b, a), ast.NotIn: lambda a, b: not _contains(b, a)}


def _contains(seq: object, x: object) -> bool:
    if not isinstance(seq, (list, str)):
        raise TypeError("not a container")
    return x in seq if isinstance(seq, list) else isinstance(x, str) and x in seq


_NOPE = object()


def _plain(v: Val, bits: dict[str, int]) -> object:
    """A literal (a list of literals, flags all known) as the Python value, else _NOPE."""
    if isinstance(v, Lit):
        return v.value
    if isinstance(v, Flags) and not v.unknown:
        return sum(bits[n] for n in v.names) | v.extra
    if isinstance(v, Seq) and not v.open and all(isinstance(i.value, Lit) and not i.star for i in v.items):
        return [i.value.value for i in v.items if isinstance(i.value, Lit)]
    return _NOPE


class TooManyPaths(Exception):
    """More states than the bound: the code cannot be followed path by path."""


@dataclass(frozen=True)
class Known:
    """A condition decided on a path. ``hidden``: decided by an early exit, not shown until it matters."""

    value: bool
    keys: frozenset[str]
    hidden: Guard | None = None


@dataclass(frozen=True)
class State:
    guards: tuple[Guard, ...] = ()
    known: dict[str, Known] = field(default_factory=dict)
    env: dict[str, Val] = field(default_factory=dict)
    dom: str | None = None  # the domain's state, when a guard tells it

    def bind(self, key: str, v: Val) -> State:
        return replace(self, env={**self.env, key: v})

    def forget(self, keys: set[str]) -> State:
        """Assigning a variable forgets the conditions that read it."""
        if not any(k.keys & keys for k in self.known.values()):
            return self
        return replace(self, known={t: k for t, k in self.known.items() if not k.keys & keys})

    def decide(self, g: Guard, keys: frozenset[str], shown: bool, dom: str | None) -> State:
        guards = self.guards + (g,) if shown else self.guards
        known = {**self.known, g.text: Known(g.value, keys, None if shown else g)}
        return State(guards, known, self.env, dom or self.dom)

    def show(self, text: str) -> State:
        k = self.known[text]
        if k.hidden is None:
            return self
        return State(self.guards + (k.hidden,), {**self.known, text: replace(k, hidden=None)}, self.env, self.dom)


class LineMap:
    """Lines of the file, to turn the parser's byte columns into character columns and offsets."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = [m.group(0) for m in re.finditer(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", text)]
        self.starts = [0]
        for ln in self.lines:
            self.starts.append(self.starts[-1] + len(ln))

    def col(self, line: int, byte_col: int) -> int:
        s = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return len(s.encode("utf-8")[:byte_col].decode("utf-8", "replace")) + 1

    def pos(self, node: ast.expr | ast.stmt | ast.keyword | ast.excepthandler) -> Pos:
        return node.lineno, self.col(node.lineno, node.col_offset)

    def end(self, node: ast.expr | ast.stmt) -> Pos:
        line = node.end_lineno or node.lineno
        return line, self.col(line, node.end_col_offset or 0)

    def offset(self, line: int, col: int) -> int:
        return (self.starts[line - 1] if 0 < line <= len(self.lines) else len(self.text)) + col - 1

    def literal_src(self, node: ast.Constant) -> tuple[int, int, int] | None:
        """Where a plain string literal's content starts, when the source between the quotes is the value."""
        line, col = self.pos(node)
        start = self.offset(line, col)
        m = re.match(r"([rRuU]?)('''|\"\"\"|'|\")", self.text[start:start + 5])
        if m is None or not isinstance(node.value, str):
            return None
        eline, ecol = self.end(node)
        content = self.text[start + m.end():self.offset(eline, ecol) - len(m.group(2))]
        return (line, col + m.end(), start + m.end()) if content == node.value else None


def keys_read(e: ast.AST, self_name: str | None) -> set[str]:
    """The variables an expression reads: names, and ``self.x`` as one key."""
    out: set[str] = set()
    for n in ast.walk(e):
        if isinstance(n, ast.Name):
            out.add(n.id)
        elif isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == self_name:
            out.add("self." + n.attr)
    return out


def dotted(e: ast.expr) -> str | None:
    if isinstance(e, ast.Name):
        return e.id
    if isinstance(e, ast.Attribute):
        head = dotted(e.value)
        return None if head is None else head + "." + e.attr
    return None


def _strip_not(e: ast.expr, value: bool) -> tuple[ast.expr, bool]:
    while isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.Not):
        e, value = e.operand, not value
    return e, value


def _is_active(e: ast.expr) -> bool:
    return (isinstance(e, ast.Call) and isinstance(e.func, ast.Attribute) and e.func.attr == "isActive"
            and not e.args and not e.keywords)


class ExprEval:
    """Evaluates expressions against states. Name lookup and helper calls are the subclass's."""

    self_name: str | None = None

    def __init__(self, lines: LineMap, bits: dict[str, int], macros: dict[str, str], mods: set[str],
                 consts: dict[str, str], star: bool, cap: int) -> None:
        self.lines, self.bits, self.macros = lines, bits, macros
        self.mods, self.consts, self.star, self.cap = mods, consts, star, cap

    # --- hooks -------------------------------------------------------------------------------------
    def name(self, name: str, st: State, at: Pos) -> Alts:
        raise NotImplementedError

    def self_attr(self, attr: str, st: State, at: Pos) -> Alts:
        raise NotImplementedError

    def class_attr(self, cls: str, attr: str, st: State, at: Pos) -> Alts | None:
        raise NotImplementedError

    def helper(self, call: ast.Call, st: State, at: Pos) -> Alts | None:
        raise NotImplementedError

    # --- libvirt constants -------------------------------------------------------------------------
    def const(self, cname: str, at: Pos) -> Val:
        if cname.startswith("VIR_MIGRATE_PARAM_"):
            key = self.macros.get(cname[len("VIR_MIGRATE_PARAM_"):])
            return Lit(key) if key is not None else Unknown()
        if cname.startswith("VIR_MIGRATE_") and cname[len("VIR_MIGRATE_"):] in self.bits:
            n = cname[len("VIR_MIGRATE_"):]
            return Flags(frozenset({n}), where=((n, (at,)),))
        return Unknown()

    def check(self, n: int) -> None:
        if n > self.cap:
            raise TooManyPaths()

    # --- conditions --------------------------------------------------------------------------------
    def split(self, test: ast.expr, sts: list[State], shown: bool) -> tuple[list[State], list[State]]:
        t: list[State] = []
        f: list[State] = []
        for st in sts:
            a, b = self._split1(test, st, shown)
            t += a
            f += b
        self.check(len(t) + len(f))
        return t, f

    def _split1(self, test: ast.expr, st: State, shown: bool) -> tuple[list[State], list[State]]:
        e, value = _strip_not(test, True)
        if isinstance(e, ast.BoolOp):
            # a and b: true when all are; false as soon as one is (or: the other way round).
            stop: list[State] = []
            go = [st]
            first = isinstance(e.op, ast.Or)
            for v in e.values:
                a, b = self.split(v, go, shown)
                stop, go = (stop + a, b) if first else (stop + b, a)
            t, f = (stop, go) if first else (go, stop)
            return (t, f) if value else (f, t)
        if isinstance(e, ast.Compare) and len(e.ops) == 1 and _is_active(e.left) \
                and isinstance(e.comparators[0], ast.Constant) and isinstance(e.ops[0], (ast.Eq, ast.NotEq)):
            value = value == (bool(e.comparators[0].value) == isinstance(e.ops[0], ast.Eq))
            e = e.left
        fixed = self._fixed(e, st)
        if fixed is not None:
            return ([st], []) if fixed == value else ([], [st])
        text = ast.unparse(e)
        if text in st.known:
            k = st.known[text]
            st2 = st.show(text) if shown else st
            return ([st2], []) if k.value == value else ([], [st2])
        line = e.lineno
        keys = frozenset(keys_read(e, self.self_name))
        on, off = (("running", "shutoff") if _is_active(e) else (None, None))
        yes = st.decide(Guard(text, True, line), keys, shown or on is not None, on)
        no = st.decide(Guard(text, False, line), keys, shown or on is not None, off)
        return ([yes], [no]) if value else ([no], [yes])

    def _fixed(self, e: ast.expr, st: State) -> bool | None:
        """A condition whose value the code itself fixes: a literal, a name bound to one, a test of
        flags already known (``flags & VIR_MIGRATE_TUNNELLED``), a comparison of literals."""
        if isinstance(e, ast.Constant):
            return bool(e.value)
        if isinstance(e, ast.Compare):
            if len(e.ops) != 1 or type(e.ops[0]) not in _COMPARE:
                return None
            sides = self.ev_all([e.left, e.comparators[0]], st, (e.lineno, 0))
            if len(sides) != 1 or sides[0][0] is not st:
                return None
            x, y = sides[0][1]
            if isinstance(y, Flags):
                x, y = y, x
            if isinstance(x, Flags) and isinstance(y, Lit) and y.value == 0 and type(e.ops[0]) in (ast.Eq, ast.NotEq):
                t = truth(x)
                return None if t is None else t == isinstance(e.ops[0], ast.NotEq)
            a, b = _plain(x, self.bits), _plain(y, self.bits)
            if a is _NOPE or b is _NOPE:
                return None
            try:
                return bool(_COMPARE[type(e.ops[0])](a, b))
            except TypeError:
                return None
        if isinstance(e, (ast.Name, ast.Attribute, ast.BinOp, ast.Subscript)):
            alts = self.ev(e, st, (e.lineno, 0))
            vals = {truth(v) for _, v in alts}
            if len(vals) == 1 and all(s is st for s, _ in alts):
                return vals.pop()
        return None

    # --- expressions -------------------------------------------------------------------------------
    def ev_all(self, exprs: list[ast.expr], st: State, at: Pos) -> list[tuple[State, list[Val]]]:
        acc: list[tuple[State, list[Val]]] = [(st, [])]
        for e in exprs:
            acc = [(s2, vals + [v]) for s, vals in acc for s2, v in self.ev(e, s, at)]
            self.check(len(acc))
        return acc

    def ev(self, e: ast.expr, st: State, at: Pos) -> Alts:
        if isinstance(e, ast.Constant):
            if isinstance(e.value, (str, int, float, bool)) or e.value is None:
                src = self.lines.literal_src(e) if isinstance(e.value, str) else None
                return [(st, Lit(e.value, src))]
            return [(st, Unknown())]
        if isinstance(e, ast.Name):
            if e.id in self.consts:
                return [(st, self.const(self.consts[e.id], at))]
            if self.star and e.id.startswith("VIR_MIGRATE_") and e.id not in st.env:
                return [(st, self.const(e.id, at))]
            return self.name(e.id, st, at)
        if isinstance(e, ast.Attribute) and isinstance(e.value, ast.Name):
            if e.value.id in self.mods:
                return [(st, self.const(e.attr, at))]
            if e.value.id == self.self_name:
                return self.self_attr(e.attr, st, at)
            got = self.class_attr(e.value.id, e.attr, st, at)
            if got is not None:
                return got
        if isinstance(e, ast.BinOp):
            return self._binop(e, st, at)
        if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub):
            return [(s, Lit(-v.value) if isinstance(v, Lit) and isinstance(v.value, int) else Unknown())
                    for s, v in self.ev(e.operand, st, at)]
        if isinstance(e, ast.IfExp):
            t, f = self.split(e.test, [st], True)
            return [a for s in t for a in self.ev(e.body, s, at)] + [a for s in f for a in self.ev(e.orelse, s, at)]
        if isinstance(e, ast.BoolOp):
            return self._boolop(e, st, at)
        if isinstance(e, ast.JoinedStr):
            return self._fstring(e, st, at)
        if isinstance(e, (ast.List, ast.Tuple)):
            return self._seq(e.elts, st, at)
        if isinstance(e, ast.Dict):
            return self._dict(e, st)
        if isinstance(e, ast.Call):
            return self._call(e, st, at)
        if isinstance(e, ast.Subscript):
            return self._subscript(e, st, at)
        if isinstance(e, ast.NamedExpr):
            return self.ev(e.value, st, at)
        if isinstance(e, ast.Await):
            return self.ev(e.value, st, at)
        return [(st, Unknown())]

    def _binop(self, e: ast.BinOp, st: State, at: Pos) -> Alts:
        if isinstance(e.op, ast.BitAnd) and isinstance(e.right, ast.UnaryOp) and isinstance(e.right.op, ast.Invert):
            return [(s, flags_without(as_flags(a, self.bits, at), as_flags(b, self.bits, at)))
                    for s, (a, b) in self.ev_all([e.left, e.right.operand], st, at)]
        out: Alts = []
        for s, (a, b) in self.ev_all([e.left, e.right], st, at):
            out.append((s, self._op(e.op, a, b, at)))
        return out

    def _op(self, op: ast.operator, a: Val, b: Val, at: Pos) -> Val:
        if isinstance(op, ast.Add) and is_str(a) and is_str(b):
            return make_text(list(text_of(a).parts + text_of(b).parts))
        if isinstance(op, ast.Add) and isinstance(a, Seq) and isinstance(b, Seq):
            return Seq(a.items + b.items, a.open or b.open)
        if isinstance(op, ast.Add) and isinstance(a, Params):
            return Unknown()
        if isinstance(op, ast.Mod) and is_str(a):
            return self._percent(a, b)
        if isinstance(op, (ast.BitOr, ast.Add, ast.BitAnd)) and not (is_str(a) or is_str(b)):
            if isinstance(a, Params) or isinstance(b, Params):
                return Params(open=True) if isinstance(op, ast.BitOr) else Unknown()
            fa, fb = as_flags(a, self.bits, at), as_flags(b, self.bits, at)
            if isinstance(op, ast.BitOr):
                return flags_or(fa, fb)
            return flags_add(fa, fb) if isinstance(op, ast.Add) else flags_and(fa, fb)
        return Unknown()

    def _percent(self, fmt: Val, args: Val) -> Val:
        if not (isinstance(fmt, Lit) and isinstance(fmt.value, str)):
            return Text((None,))
        vals = [i.value for i in args.items] if isinstance(args, Seq) and not args.open else [args]
        parts: list[str | None] = []
        pos = 0
        for m in _FORMAT.finditer(fmt.value):
            parts.append(fmt.value[pos:m.start()])
            pos = m.end()
            if m.group(1) == "%":
                parts.append("%")
            elif m.group(1) in "sd" and vals and "(" not in m.group(0):
                parts += list(text_of(vals.pop(0)).parts)
            else:
                parts.append(None)
                vals = vals[1:]
        parts.append(fmt.value[pos:])
        return make_text(parts)

    def _boolop(self, e: ast.BoolOp, st: State, at: Pos) -> Alts:
        out: Alts = []
        cur = [st]
        is_and = isinstance(e.op, ast.And)
        for i, v in enumerate(e.values):
            if i == len(e.values) - 1:
                return out + [a for s in cur for a in self.ev(v, s, at)]
            t, f = self.split(v, cur, True)
            if is_and:  # the false side's value is the (false) operand itself
                out += [(s, val if truth(val) is False else Unknown(falsy=True))
                        for s in f for _, val in self.ev(v, s, at)]
                cur = t
            else:
                out += [a for s in t for a in self.ev(v, s, at)]
                cur = f
        return out

    def _fstring(self, e: ast.JoinedStr, st: State, at: Pos) -> Alts:
        pieces: list[ast.expr] = [v.value for v in e.values if isinstance(v, ast.FormattedValue)]
        out: Alts = []
        for s, vals in self.ev_all(pieces, st, at):
            parts: list[str | None] = []
            it = iter(vals)
            for v in e.values:
                if isinstance(v, ast.Constant):
                    parts.append(str(v.value))
                elif isinstance(v, ast.FormattedValue):
                    val = next(it)
                    plain = v.conversion == -1 and v.format_spec is None
                    parts += list(text_of(val).parts) if plain else [None]
            out.append((s, make_text(parts)))
        return out

    def _seq(self, elts: list[ast.expr], st: State, at: Pos) -> Alts:
        out: Alts = []
        inner = [x.value if isinstance(x, ast.Starred) else x for x in elts]
        for s, vals in self.ev_all(inner, st, at):
            items: list[Item] = []
            opened = False
            for x, v in zip(elts, vals):
                if isinstance(x, ast.Starred) and isinstance(v, Seq):
                    items += v.items
                    opened = opened or v.open
                else:
                    items.append(Item(v, self.lines.pos(x), ast.unparse(x), isinstance(x, ast.Starred)))
            out.append((s, Seq(tuple(items), opened)))
        return out

    def _dict(self, e: ast.Dict, st: State) -> Alts:
        exprs: list[ast.expr] = []
        for k, v in zip(e.keys, e.values):
            exprs += [v] if k is None else [k, v]
        out: Alts = []
        for s, vals in self.ev_all(exprs, st, self.lines.pos(e)):
            p = Params()
            it = iter(vals)
            for k, _ in zip(e.keys, e.values):
                if k is None:
                    p = p.merge(self._as_params(next(it)))
                    continue
                kv, vv = next(it), next(it)
                if isinstance(kv, Lit) and isinstance(kv.value, str):
                    p = p.set(kv.value, param_value(vv), (self.lines.pos(k),))
                else:
                    p = replace(p, open=True)
            out.append((s, p))
        return out

    @staticmethod
    def _as_params(v: Val) -> Params:
        return v if isinstance(v, Params) else Params(open=True)

    def _subscript(self, e: ast.Subscript, st: State, at: Pos) -> Alts:
        out: Alts = []
        for s, (base, key) in self.ev_all([e.value, e.slice], st, at):
            if isinstance(base, Params) and isinstance(key, Lit) and isinstance(key.value, str):
                got = base.get(key.value)
                out.append((s, from_param(got[0], at) if got else Unknown()))
            elif isinstance(base, Seq) and isinstance(key, Lit) and isinstance(key.value, int) \
                    and not any(i.star for i in base.items) and -len(base.items) <= key.value < len(base.items):
                out.append((s, base.items[key.value].value))
            else:
                out.append((s, Unknown()))
        return out

    def _call(self, e: ast.Call, st: State, at: Pos) -> Alts:
        got = self.helper(e, st, at)
        if got is not None:
            return got
        fn = dotted(e.func)
        f = e.func
        if fn == "getattr" and len(e.args) in (2, 3) and isinstance(e.args[0], ast.Name) \
                and e.args[0].id in self.mods:
            return self._getattr(e, e.args[0].id, st, at)
        if fn is not None and isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) \
                and f.value.id in self.mods and "libvirt." + f.attr in _OPENERS:
            if not e.args:
                return [(st, Conn(None))]
            return [(s, Conn(v.value if isinstance(v, Lit) and isinstance(v.value, str) else None))
                    for s, v in self.ev(e.args[0], st, at)]
        if fn in _COPIES and len(e.args) == 1 and not e.keywords:
            return [(s, v if fn not in ("str", "int") or isinstance(v, Lit) else Unknown())
                    for s, v in self.ev(e.args[0], st, at)]
        if fn == "dict" and not e.args:
            keys: list[ast.expr | None] = [ast.copy_location(ast.Constant(k.arg), k) if k.arg else None
                                           for k in e.keywords]
            return self._dict(ast.copy_location(ast.Dict(keys, [k.value for k in e.keywords]), e), st)
        if isinstance(f, ast.Attribute) and f.attr in ("copy", "format", "join"):
            return self._method(e, f, st, at)
        return [(st, Unknown())]

    def _getattr(self, e: ast.Call, mod: str, st: State, at: Pos) -> Alts:
        out: Alts = []
        for s, v in self.ev(e.args[1], st, at):
            if not (isinstance(v, Lit) and isinstance(v.value, str)):
                out.append((s, Unknown()))
            elif len(e.args) == 2:
                out.append((s, self.const(v.value, at)))
            else:  # getattr(libvirt, NAME, default): the same condition as hasattr(libvirt, NAME)
                test = ast.Call(ast.Name("hasattr"), [ast.Name(mod), ast.Constant(v.value)], [],
                                lineno=e.lineno, col_offset=e.col_offset)
                t, f = self.split(test, [s], True)
                out += [(x, self.const(v.value, at)) for x in t]
                out += [a for x in f for a in self.ev(e.args[2], x, at)]
        return out

    def _method(self, e: ast.Call, f: ast.Attribute, st: State, at: Pos) -> Alts:
        out: Alts = []
        args = list(e.args) + [k.value for k in e.keywords]
        for s, vals in self.ev_all([f.value] + args, st, at):
            base, rest = vals[0], vals[1:]
            if f.attr == "copy" and not args:
                out.append((s, base))
            elif f.attr == "join" and len(rest) == 1 and isinstance(base, Lit) and isinstance(base.value, str) \
                    and isinstance(rest[0], Seq) and not rest[0].open and not any(i.star for i in rest[0].items):
                parts: list[str | None] = []
                for n, item in enumerate(rest[0].items):
                    parts += ([base.value] if n else []) + list(text_of(item.value).parts)
                out.append((s, make_text(parts)))
            elif f.attr == "format" and isinstance(base, Lit) and isinstance(base.value, str):
                kw = {k.arg: v for k, v in zip(e.keywords, rest[len(e.args):]) if k.arg}
                out.append((s, _format(base.value, rest[:len(e.args)], kw)))
            else:
                out.append((s, Unknown()))
        return out


def _format(fmt: str, args: list[Val], kw: dict[str, Val]) -> Val:
    parts: list[str | None] = []
    auto = 0
    try:
        fields = list(string.Formatter().parse(fmt))
    except ValueError:
        return Unknown()
    for lit, name, spec, conv in fields:
        parts.append(lit)
        if name is None:
            continue
        v: Val | None
        if name == "":
            v, auto = (args[auto] if auto < len(args) else None), auto + 1
        elif name.isdigit():
            v = args[int(name)] if int(name) < len(args) else None
        else:
            v = kw.get(name)
        parts += list(text_of(v).parts) if v is not None and not spec and not conv else [None]
    return make_text(parts)


__all__ = ["Alts", "ExprEval", "Known", "LineMap", "State", "TooManyPaths", "decode", "dotted", "keys_read"]
