"""Conditions for the Python reader: a condition splits the states into those where it is true and
those where it is false, remembering it as a guard. A condition already decided on a path (the same
text, ``not`` removed) is not asked again; one the code itself fixes (a literal, flags already known)
asks nothing. ``dom.isActive()`` tells the domain's state (active: running or paused; or shut off)."""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable

from ...model import ACTIVE
from .syntax import LineMap, dotted, keys_read
from .value import About, Flags, Guard, Lit, Pos, Seq, State, TooManyPaths, Val, truth

Alts = list[tuple[State, Val]]


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


def _strip_not(e: ast.expr, value: bool) -> tuple[ast.expr, bool]:
    while isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.Not):
        e, value = e.operand, not value
    return e, value


def _known(e: ast.expr, st: State) -> bool | None:
    """A condition's value when it is a literal or already decided on this path (nothing evaluated)."""
    e, value = _strip_not(e, True)
    if isinstance(e, ast.Constant):
        return bool(e.value) == value
    k = st.known.get(ast.unparse(e)) if isinstance(e, (ast.Name, ast.Attribute, ast.Call, ast.Compare)) else None
    return None if k is None else k.value == value


def _literal(e: ast.expr) -> object:
    if isinstance(e, ast.Constant) and (e.value is None or isinstance(e.value, (str, bytes, int, float))):
        return e.value
    return _NOPE


def _about(e: ast.expr) -> About | None:
    """What a comparison of a variable (a name, ``self.x``, ``cfg.mode``) with literals says of it: ``==``,
    ``!=``, ``is (not) None``, ``(not) in`` a literal tuple, list or set."""
    if not isinstance(e, ast.Compare) or len(e.ops) != 1:
        return None
    left, op, right = e.left, e.ops[0], e.comparators[0]
    if isinstance(op, (ast.Eq, ast.NotEq)) and _literal(left) is not _NOPE:
        left, right = right, left
    subject = dotted(left)
    if subject is None:
        return None
    if isinstance(op, (ast.Eq, ast.NotEq)) and _literal(right) is not _NOPE:
        return About(subject, frozenset({_literal(right)}), isinstance(op, ast.Eq))
    if isinstance(op, (ast.Is, ast.IsNot)) and isinstance(right, ast.Constant) and right.value is None:
        return About(subject, frozenset({None}), isinstance(op, ast.Is))
    if isinstance(op, (ast.In, ast.NotIn)) and isinstance(right, (ast.Tuple, ast.List, ast.Set)):
        values = [_literal(x) for x in right.elts]
        if _NOPE not in values:
            return About(subject, frozenset(values), isinstance(op, ast.In))
    return None


def _is_active(e: ast.expr) -> bool:
    return (isinstance(e, ast.Call) and isinstance(e.func, ast.Attribute) and e.func.attr == "isActive"
            and not e.args and not e.keywords)


class CondEval:
    """Splits states on conditions. Evaluating an expression is the subclass's (conditions need it)."""

    self_name: str | None = None

    def __init__(self, lines: LineMap, bits: dict[str, int], macros: dict[str, str], mods: set[str],
                 consts: dict[str, str], star: bool, cap: int) -> None:
        self.lines, self.bits, self.macros = lines, bits, macros
        self.mods, self.consts, self.star, self.cap = mods, consts, star, cap

    def ev(self, e: ast.expr, st: State, at: Pos) -> Alts:
        raise NotImplementedError

    def ev_all(self, exprs: list[ast.expr], st: State, at: Pos) -> list[tuple[State, list[Val]]]:
        raise NotImplementedError

    def check(self, n: int) -> None:
        if n > self.cap:
            raise TooManyPaths()

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
            if any(_known(v, st) is first for v in e.values):  # one operand already settles it
                return ([st], []) if first == value else ([], [st])
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
            return [s for s, b in fixed if b == value], [s for s, b in fixed if b != value]
        text = ast.unparse(e)
        if text in st.known:
            k = st.known[text]
            st2 = st.show(text) if shown else st
            return ([st2], []) if k.value == value else ([], [st2])
        line, col = self.lines.pos(e)
        keys = frozenset(keys_read(e, self.self_name))
        # virDomainIsActive is true for a paused domain too: "active" is running or paused.
        on, off = ((ACTIVE, "shutoff") if _is_active(e) else (None, None))
        about = _about(e)
        yes = st.decide(Guard(text, True, line, col), keys, shown or on is not None, on, about)
        no = st.decide(Guard(text, False, line, col), keys, shown or on is not None, off, about)
        t, f = [yes], [no]
        if about is not None:  # a way whose conditions cannot hold together does not exist
            t, f = [x for x in t if x.possible(about.subject)], [x for x in f if x.possible(about.subject)]
        return (t, f) if value else (f, t)

    def _fixed(self, e: ast.expr, st: State) -> list[tuple[State, bool]] | None:
        """A condition whose value the code itself fixes: a literal, a name bound to one, a test of
        flags already known (``flags & VIR_MIGRATE_TUNNELLED``), a comparison of literals. When the value
        comes with conditions of its own (``self._tls`` set to True or False under ``if cfg.secure``),
        the states those give, each with the condition's value there. None: not fixed by the code."""
        if isinstance(e, ast.Constant):
            return [(st, bool(e.value))]
        if isinstance(e, ast.Compare):
            if len(e.ops) != 1 or type(e.ops[0]) not in _COMPARE:
                return None
            out = [(s, self._compare(e.ops[0], x, y)) for s, (x, y) in
                   self.ev_all([e.left, e.comparators[0]], st, (e.lineno, 0))]
        elif isinstance(e, (ast.Name, ast.Attribute, ast.BinOp, ast.Subscript, ast.List, ast.Tuple, ast.Dict,
                            ast.JoinedStr)):
            out = [(s, truth(v)) for s, v in self.ev(e, st, (e.lineno, 0))]
        else:
            return None
        if any(b is None for _, b in out):
            return None
        return [(s, bool(b)) for s, b in out]

    def _compare(self, op: ast.cmpop, x: Val, y: Val) -> bool | None:
        if isinstance(y, Flags):
            x, y = y, x
        if isinstance(x, Flags) and isinstance(y, Lit) and y.value == 0 and type(op) in (ast.Eq, ast.NotEq):
            t = truth(x)
            return None if t is None else t == isinstance(op, ast.NotEq)
        a, b = _plain(x, self.bits), _plain(y, self.bits)
        if a is _NOPE or b is _NOPE:
            return None
        try:
            return bool(_COMPARE[type(op)](a, b))
        except TypeError:
            return None
