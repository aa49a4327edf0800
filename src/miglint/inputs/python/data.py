"""Data for the Python reader: how a run looks names up (locals, ``self.x``, class attributes, module
globals, helpers) and what assignments do to the state (``x = ...``, ``x |= ...``, ``params[k] = v``,
``params.update(...)``, ``cmd.append(...)``, ``del params[k]``). Only relevant variables are evaluated."""

from __future__ import annotations

import ast
from collections.abc import Set as AbstractSet
from dataclasses import replace
from typing import Protocol

from ...model import UNKNOWN
from .cond import Alts
from .expr import ExprEval, ref
from .syntax import MUTATORS, Func, LineMap, dotted, keys_read, relevance, target_keys
from .value import Guard, Item, Lit, Params, Pos, Seq, State, Unknown, Val, param_value


class Module(Protocol):
    """What a run asks of the module it reads (flow.Flow): its definitions and the values its bodies leave."""

    tree: ast.Module
    lines: LineMap
    bits: dict[str, int]
    macros: dict[str, str]
    mods: set[str]
    consts: dict[str, str]
    star: bool
    cap: int
    funcs: dict[str, Func]
    tracked: dict[int, list[ast.expr]]  # the calls being read, by node id, with their arguments
    classes: dict[str, ast.ClassDef]

    def assigned(self, nodes: list[ast.stmt], self_name: str | None) -> AbstractSet[str]: ...

    def final(self, node: ast.Module | ast.ClassDef | Func, key: str) -> list[tuple[State, Val]]: ...

    def attr(self, cls: ast.ClassDef, attr: str) -> list[tuple[State, Val]]: ...

    def helper(self, fn: Func) -> list[tuple[State, Val]]: ...

_QUIET = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "print"})


def adopt(st: State, alt: State) -> State | None:
    """A caller's state taking on a helper's path: None when their conditions disagree."""
    if not alt.guards and not alt.known and alt.dom is None:
        return st
    for t, k in alt.known.items():
        if t in st.known and st.known[t].value != k.value:
            return None
    have = {(g.text, g.value) for g in st.guards}
    guards = st.guards + tuple(g for g in alt.guards if (g.text, g.value) not in have)
    out = State(guards, {**alt.known, **st.known}, st.env, alt.dom or st.dom)
    if any(k.about is not None and not out.possible(k.about.subject) for k in alt.known.values()):
        return None
    return out


class DataRun(ExprEval):
    """The data half of a run (see pyflow.Run for the statements)."""

    def __init__(self, flow: Module, body: list[ast.stmt], mode: str, seeds: set[str], self_name: str | None,
                 cls: ast.ClassDef | None, params: set[str], targets: set[int]) -> None:
        super().__init__(flow.lines, flow.bits, flow.macros, flow.mods, flow.consts, flow.star, flow.cap)
        self.flow, self.mode, self.self_name, self.cls, self.targets = flow, mode, self_name, cls, targets
        self.rel = relevance(body, seeds, self_name)
        self.locals = params | {k for k in self.flow.assigned(body, self_name) if "." not in k}
        self.returns: list[tuple[State, Val]] = []
        self.exits: list[State] = []
        self.jumps: list[tuple[list[State], list[State]]] = []  # per loop: (break, continue) states

    def apply(self, st: State, alts: list[tuple[State, Val]]) -> Alts:
        out: Alts = []
        for a, v in alts:
            s2 = adopt(st, a)
            if s2 is not None:
                out.append((s2, v))
        self.check(len(out))
        return out or [(st, Unknown())]

    def name(self, name: str, st: State, at: Pos) -> Alts:
        if name in st.env:
            return [(st, st.env[name])]
        if name in self.locals or name in self.flow.funcs or name in self.flow.classes:
            return [(st, Unknown())]
        return self.apply(st, self.flow.final(self.flow.tree, name))

    def self_attr(self, attr: str, st: State, at: Pos) -> Alts:
        if "self." + attr in st.env:
            return [(st, st.env["self." + attr])]
        if self.cls is None:
            return [(st, Unknown())]
        return self.apply(st, self.flow.attr(self.cls, attr))

    def class_attr(self, cls: str, attr: str, st: State, at: Pos) -> Alts | None:
        c = self.flow.classes.get(cls)
        if c is None or cls in self.locals or cls in st.env:
            return None
        if attr not in self.flow.assigned(c.body, None):
            return [(st, Unknown())]
        return self.apply(st, self.flow.final(c, attr))

    def helper(self, call: ast.Call, st: State, at: Pos) -> Alts | None:
        f = call.func
        fn: Func | None = None
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
            owner = self.cls if f.value.id == self.self_name else self.flow.classes.get(f.value.id)
            if owner is not None and (owner is self.cls or f.value.id not in self.locals):
                fn = next((m for m in owner.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))
                           and m.name == f.attr), None)
        elif isinstance(f, ast.Name) and f.id not in self.locals and f.id not in st.env:
            fn = self.flow.funcs.get(f.id)
        return None if fn is None else self.apply(st, self.flow.helper(fn))

    def _passes_rel(self, n: ast.Expr) -> bool:
        c = n.value
        if not isinstance(c, ast.Call) or id(c) in self.flow.tracked:
            return False
        name = c.func.attr if isinstance(c.func, ast.Attribute) else dotted(c.func)
        if name in _QUIET:
            return False
        return any(keys_read(a, self.self_name) & self.rel for a in c.args + [k.value for k in c.keywords]
                   if isinstance(a, (ast.Name, ast.Attribute)))

    def fork(self, text: str, at: Pos, sts: list[State]) -> tuple[list[State], list[State]]:
        """Split on a condition that is not an expression (an exception handler ran)."""
        t: list[State] = []
        f: list[State] = []
        for st in sts:
            if text in st.known:
                (t if st.known[text].value else f).append(st.show(text))
            else:
                t.append(st.decide(Guard(text, True, *at), frozenset(), True, None))
                f.append(st.decide(Guard(text, False, *at), frozenset(), True, None))
        self.check(len(t) + len(f))
        return t, f

    def forget(self, sts: list[State], nodes: list[ast.stmt]) -> list[State]:
        keys = self.flow.assigned(nodes, self.self_name)
        return [st.forget(keys) for st in sts] if keys else sts

    def assign(self, s: ast.Assign | ast.AugAssign | ast.AnnAssign, sts: list[State]) -> list[State]:
        targets = s.targets if isinstance(s, ast.Assign) else [s.target]
        keys = set().union(*(target_keys(t, self.self_name) for t in targets))
        sts = [st.forget(keys) for st in sts]
        if s.value is None or not keys & self.rel:
            return sts
        at = self.lines.pos(s)
        value: ast.expr = s.value
        if isinstance(s, ast.AugAssign):
            load = ast.Subscript(s.target.value, s.target.slice) if isinstance(s.target, ast.Subscript) \
                else s.target
            value = ast.copy_location(ast.BinOp(load, s.op, s.value), s)
        src = s.value if not isinstance(s, ast.AugAssign) else None
        out: list[State] = []
        for st in sts:
            for s2, v in self.ev(value, st, at):
                for t in targets:
                    s2 = self.bind(t, v, s2, at, src)
                out.append(s2)
        return out

    def bind(self, t: ast.expr, v: Val, st: State, at: Pos, src: ast.expr | None = None) -> State:
        """``t = v`` (``src``: the expression v came from, when written there)."""
        if isinstance(t, ast.Name):
            return st.bind(t.id, v)
        if isinstance(t, ast.Attribute):
            keys = target_keys(t, self.self_name)
            return st.bind(keys.pop(), v) if keys else st
        if isinstance(t, ast.Subscript):
            keys = target_keys(t.value, self.self_name)
            if len(keys) != 1 or not isinstance(t.value, (ast.Name, ast.Attribute)):
                return st
            key = keys.pop()
            alts = self.ev(t.value, st, at)
            base = alts[0][1] if len(alts) == 1 else Unknown()
            idx = self.ev(t.slice, st, at)
            k = idx[0][1] if len(idx) == 1 else Unknown()
            if isinstance(base, Params):
                if isinstance(k, Lit) and isinstance(k.value, str):
                    return st.bind(key, base.set(k.value, param_value(v), (at,), ref(src, self.self_name) if src else None))
                return st.bind(key, replace(base, open=True))
            if isinstance(base, Seq):
                return st.bind(key, replace(base, open=True))
            return st
        if isinstance(t, (ast.Tuple, ast.List)):
            fixed = isinstance(v, Seq) and not v.open and len(v.items) == len(t.elts) \
                and not any(i.star for i in v.items) and not any(isinstance(x, ast.Starred) for x in t.elts)
            for n, x in enumerate(t.elts):
                item = v.items[n].value if fixed and isinstance(v, Seq) else Unknown()
                st = self.bind(x.value if isinstance(x, ast.Starred) else x, item, st, at)
            return st
        return st

    def expr(self, s: ast.Expr, sts: list[State]) -> list[State]:
        c = s.value
        if not isinstance(c, ast.Call):
            return sts
        f = c.func
        if isinstance(f, ast.Attribute) and f.attr in MUTATORS and isinstance(f.value, (ast.Name, ast.Attribute)):
            keys = target_keys(f.value, self.self_name)
            if len(keys) == 1 and keys & self.rel:
                key = keys.pop()
                return [x for st in sts for x in self.mutate(c, f, key, st)]
        if self._passes_rel(s):  # handed to code we do not follow: it may add anything
            out: list[State] = []
            for st in sts:
                for a in c.args + [k.value for k in c.keywords]:
                    ks = keys_read(a, self.self_name) & self.rel
                    if isinstance(a, (ast.Name, ast.Attribute)) and len(ks) == 1:
                        k = ks.pop()
                        v = st.env.get(k)
                        if isinstance(v, (Params, Seq)):
                            st = st.bind(k, replace(v, open=True))
                out.append(st)
            return out
        return sts

    def mutate(self, c: ast.Call, f: ast.Attribute, key: str, st: State) -> list[State]:
        at = self.lines.pos(c)
        args: list[ast.expr] = list(c.args)
        out: list[State] = []
        for s, vals in self.ev_all([f.value] + args + [k.value for k in c.keywords], st, at):
            base, rest = vals[0], vals[1:]
            new: Val = Unknown()
            if isinstance(base, Params):
                new = self._params_op(base, f.attr, c, rest, at)
            elif isinstance(base, Seq):
                if f.attr == "append" and len(args) == 1:
                    new = Seq(base.items + (Item(rest[0], self.lines.pos(args[0]), ast.unparse(args[0])),), base.open)
                elif f.attr == "extend" and len(args) == 1 and isinstance(rest[0], Seq):
                    new = Seq(base.items + rest[0].items, base.open or rest[0].open)
                else:
                    new = replace(base, open=True)
            out.append(s.bind(key, new))
        return out

    def _params_op(self, p: Params, op: str, c: ast.Call, vals: list[Val], at: Pos) -> Params:
        pos = [v for v in vals[:len(c.args)]]
        if op == "update":
            for v in pos:
                p = p.merge(v) if isinstance(v, Params) else replace(p, open=True)
            for k, v in zip(c.keywords, vals[len(c.args):]):
                p = p.set(k.arg, param_value(v), (self.lines.pos(k),), ref(k.value, self.self_name)) if k.arg \
                    else replace(p, open=True)
            return p
        key = pos[0].value if pos and isinstance(pos[0], Lit) and isinstance(pos[0].value, str) else None
        if op == "clear":
            return Params()
        if key is None:
            return replace(p, open=True)
        if op == "setdefault":
            return p if p.get(key) else p.set(key, param_value(pos[1]) if len(pos) > 1 else UNKNOWN, (at,))
        if op == "pop":
            return p.drop(key)
        return replace(p, open=True)

    def delete(self, s: ast.Delete, sts: list[State]) -> list[State]:
        for t in s.targets:
            if isinstance(t, ast.Subscript) and target_keys(t.value, self.self_name) & self.rel:
                key = target_keys(t.value, self.self_name).pop()
                nxt: list[State] = []
                for st in sts:
                    base, k = st.env.get(key), self.ev(t.slice, st, self.lines.pos(s))[0][1]
                    if isinstance(base, Params):
                        ok = isinstance(k, Lit) and isinstance(k.value, str)
                        st = st.bind(key, base.drop(str(k.value)) if ok and isinstance(k, Lit)
                                     else replace(base, open=True))
                    nxt.append(st)
                sts = nxt
        return sts
