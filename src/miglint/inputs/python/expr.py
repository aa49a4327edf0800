"""Expressions for the Python reader: what an expression holds on each path.

Evaluating may split a path (``x if c else y``, ``c and X``, ``getattr(libvirt, NAME, 0)``, a helper
with several returns), so every evaluation answers a list of (state, value). Flags are followed through
``|``, ``+`` of distinct flags, ``& ~``; strings through ``+``, ``%``, ``.format``, f-strings and
``.join``; lists, dicts (typed parameters), ``libvirt.open(uri)`` (``openReadOnly``: read-only) and the domains
looked up from such a connection (``conn.lookupByName(n)``, the items of ``conn.listAllDomains()``) are kept;
anything else is unknown.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from dataclasses import replace

from .cond import Alts, CondEval
from .syntax import dotted, keys_read
from .value import (Conn, Dom, Flags, Item, Lit, Params, Pos, Ref, Seq, State, Unknown, Val, as_flags, flags_add, flags_and,
                      flags_or, flags_without, from_param, is_str, known_prefix, make_text, param_value, percent, str_format,
                      text_of, truth)


_OPENERS = ("libvirt.open", "libvirt.openAuth", "libvirt.openReadOnly")
# virConnect's methods that give one of its domains
_LOOKUPS = frozenset({"lookupByName", "lookupByUUID", "lookupByUUIDString", "lookupByID"})


_ARITH: dict[type, Callable[[int, int], int]] = {
    ast.LShift: operator.lshift, ast.RShift: operator.rshift, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Pow: operator.pow, ast.FloorDiv: operator.floordiv}
_COPIES = frozenset({"dict", "list", "tuple", "copy.copy", "copy.deepcopy", "str", "int"})


def ref(e: ast.expr, self_name: str | None) -> Ref | None:
    """A value that is a variable's (a name, ``self.x``, ``cfg.disks``), as conditions on it are written."""
    if not isinstance(e, (ast.Name, ast.Attribute)):
        return None
    return Ref("", ast.unparse(e), frozenset(keys_read(e, self_name)))


def _decided(e: ast.expr, st: State, v: Val) -> Val:
    """A value the reader cannot see, known to be false where a condition on it was decided false."""
    if isinstance(v, Unknown) and not v.falsy and st.known:
        k = st.known.get(ast.unparse(e))
        if k is not None and not k.value:
            return Unknown(falsy=True)
    return v


class ExprEval(CondEval):
    """Evaluates expressions against states. Name lookup and helper calls are the subclass's."""

    # --- hooks -------------------------------------------------------------------------------------
    def name(self, name: str, st: State, at: Pos) -> Alts:
        raise NotImplementedError

    def self_attr(self, attr: str, st: State, at: Pos) -> Alts:
        raise NotImplementedError

    def class_attr(self, cls: str, attr: str, st: State, at: Pos) -> Alts | None:
        raise NotImplementedError

    def helper(self, call: ast.Call, st: State, at: Pos) -> Alts | None:
        raise NotImplementedError

    def const(self, cname: str, at: Pos) -> Val:
        if cname.startswith("VIR_MIGRATE_PARAM_"):
            key = self.macros.get(cname[len("VIR_MIGRATE_PARAM_"):])
            return Lit(key) if key is not None else Unknown()
        if cname.startswith("VIR_MIGRATE_") and cname[len("VIR_MIGRATE_"):] in self.bits:
            n = cname[len("VIR_MIGRATE_"):]
            return Flags(frozenset({n}), where=((n, (at,)),))
        return Unknown()

    def ev_all(self, exprs: list[ast.expr], st: State, at: Pos) -> list[tuple[State, list[Val]]]:
        acc: list[tuple[State, list[Val]]] = [(st, [])]
        for e in exprs:
            acc = [(s2, vals + [v]) for s, vals in acc for s2, v in self.ev(e, s, at)]
            self.check(len(acc))
        return acc

    def ev(self, e: ast.expr, st: State, at: Pos) -> Alts:
        out = self._ev(e, st, at)
        if isinstance(e, (ast.Name, ast.Attribute)):  # `if not disks: ...`: there, disks is false
            return [(s, _decided(e, s, v)) for s, v in out]
        return out

    def _ev(self, e: ast.expr, st: State, at: Pos) -> Alts:
        if isinstance(e, ast.Constant):
            if isinstance(e.value, (str, int, float, bool)) or e.value is None:
                src = self.lines.literal_src(e) if isinstance(e.value, str) else None
                return [(st, Lit(e.value, src, at))]
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
        chain: list[ast.expr] = [e.right]  # a | b | c ... read in a row, not by recursion
        left: ast.expr = e.left
        while isinstance(left, ast.BinOp) and type(left.op) is type(e.op) and not isinstance(left.right, ast.UnaryOp):
            chain.append(left.right)
            left = left.left
        out: Alts = []
        for s, vals in self.ev_all([left] + chain[::-1], st, at):
            v = vals[0]
            for b in vals[1:]:
                v = self._op(e.op, v, b, at)
            out.append((s, v))
        return out

    def _op(self, op: ast.operator, a: Val, b: Val, at: Pos) -> Val:
        if isinstance(op, ast.Add) and (is_str(a) or is_str(b)) and all(is_str(x) or isinstance(x, Unknown)
                                                                         for x in (a, b)):
            return make_text(list(text_of(a).parts + text_of(b).parts))  # str + what is not seen: a str too
        if isinstance(op, ast.Add) and isinstance(a, Seq) and isinstance(b, Seq):
            return Seq(a.items + b.items, a.open or b.open)
        if isinstance(op, ast.Add) and isinstance(a, Params):
            return Unknown()
        if isinstance(op, ast.Mod) and is_str(a):
            return percent(a, b)
        if type(op) in _ARITH and isinstance(a, Lit) and isinstance(b, Lit) and type(a.value) is int \
                and type(b.value) is int and (not isinstance(op, (ast.LShift, ast.Pow)) or 0 <= b.value <= 64):
            try:
                return Lit(_ARITH[type(op)](a.value, b.value), origin=at)
            except (ValueError, ZeroDivisionError):
                return Unknown()
        if isinstance(op, (ast.BitOr, ast.Add, ast.BitAnd)) and not (is_str(a) or is_str(b)):
            if isinstance(a, Params) or isinstance(b, Params):
                return Params(open=True) if isinstance(op, ast.BitOr) else Unknown()
            fa, fb = as_flags(a, self.bits, at), as_flags(b, self.bits, at)
            if isinstance(op, ast.BitOr):
                return flags_or(fa, fb)
            return flags_add(fa, fb) if isinstance(op, ast.Add) else flags_and(fa, fb)
        return Unknown()

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
            for k, v in zip(e.keys, e.values):
                if k is None:
                    p = p.merge(self._as_params(next(it)))
                    continue
                kv, vv = next(it), next(it)
                if isinstance(kv, Lit) and isinstance(kv.value, str):
                    p = p.set(kv.value, param_value(vv), (self.lines.pos(k),), ref(v, self.self_name))
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
            ro = f.attr == "openReadOnly"
            if not e.args:
                return [(st, Conn(None, None, ro))]
            return [(s, Conn(v.value if isinstance(v, Lit) and isinstance(v.value, str) else None, known_prefix(v),
                             ro)) for s, v in self.ev(e.args[0], st, at)]
        if isinstance(f, ast.Attribute) and (f.attr in _LOOKUPS or f.attr == "listAllDomains"):
            return [(s, Dom(v, f.attr == "listAllDomains") if isinstance(v, Conn) else Unknown())
                    for s, v in self.ev(f.value, st, at)]
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
                out.append((s, str_format(base.value, rest[:len(e.args)], kw)))
            else:
                out.append((s, Unknown()))
        return out
