"""Statements for the Python reader: follows one function (or module, or class body) path by path.

Only what feeds a tracked call matters: a name is *relevant* when a tracked call's arguments read it,
or a relevant name's assignment does (``flags = base | X`` makes ``base`` relevant). Assignments to other
names are skipped, and an ``if`` that changes nothing relevant does not split the paths; one that only
leaves early (``if not dom.isActive(): raise``) splits them without showing the guard unless it tells
the domain's state. Helpers (``self._flags()``, module functions), ``self.x`` assigned in one method of
the class, class attributes and module globals are followed too, each once, as alternatives that carry
their own guards. Loops over a literal list are unrolled; other loops make what they change unknown.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import replace

from ..model import UNKNOWN
from .pyexpr import Alts, ExprEval, LineMap, State, TooManyPaths, dotted, keys_read
from .pyvalue import Flags, Guard, Item, Lit, Params, Pos, Seq, Unknown, Val, param_value

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_MUTATORS = frozenset({"update", "setdefault", "pop", "append", "extend", "insert", "remove", "clear"})
_QUIET = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "print"})
_EXITS = (ast.Return, ast.Raise, ast.Break, ast.Continue)
Func = ast.FunctionDef | ast.AsyncFunctionDef
OnCall = Callable[["Run", ast.Call, list[State]], None]


def header(n: ast.AST) -> list[ast.expr]:
    """What a ``def`` or ``class`` statement runs where it stands: decorators, defaults, bases."""
    if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return n.decorator_list + n.args.defaults + [d for d in n.args.kw_defaults if d is not None]
    if isinstance(n, ast.ClassDef):
        return n.decorator_list + n.bases + [k.value for k in n.keywords]
    return []


def walk_body(nodes: list[ast.stmt] | list[ast.AST]) -> Iterator[ast.AST]:
    """Every node under these statements, not entering the bodies of nested functions and classes."""
    todo: list[ast.AST] = list(nodes)
    while todo:
        n = todo.pop()
        yield n
        todo.extend(header(n) if isinstance(n, _DEFS) else ast.iter_child_nodes(n))


def target_keys(t: ast.expr, self_name: str | None) -> set[str]:
    if isinstance(t, ast.Name):
        return {t.id}
    if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == self_name:
        return {"self." + t.attr}
    if isinstance(t, ast.Subscript):
        return target_keys(t.value, self_name)
    if isinstance(t, (ast.Tuple, ast.List)):
        return set().union(*(target_keys(x, self_name) for x in t.elts)) if t.elts else set()
    if isinstance(t, ast.Starred):
        return target_keys(t.value, self_name)
    return set()


def _edges(n: ast.AST, self_name: str | None) -> tuple[set[str], set[str]] | None:
    """What a node assigns and what it reads to do so."""
    if isinstance(n, ast.Assign):
        ts = set().union(*(target_keys(t, self_name) for t in n.targets))
        return ts, keys_read(n, self_name)
    if isinstance(n, (ast.AugAssign, ast.AnnAssign)) and n.value is not None:
        return target_keys(n.target, self_name), keys_read(n, self_name)
    if isinstance(n, ast.NamedExpr):
        return target_keys(n.target, self_name), keys_read(n.value, self_name)
    if isinstance(n, (ast.For, ast.AsyncFor)):
        return target_keys(n.target, self_name), keys_read(n.iter, self_name)
    if isinstance(n, ast.Delete):
        return set().union(*(target_keys(t, self_name) for t in n.targets)), set()
    if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call) and isinstance(n.value.func, ast.Attribute) \
            and n.value.func.attr in _MUTATORS:
        return target_keys(n.value.func.value, self_name), keys_read(n.value, self_name)
    return None


def relevance(body: list[ast.stmt], seeds: set[str], self_name: str | None) -> set[str]:
    edges = [e for e in (_edges(n, self_name) for n in walk_body(body)) if e is not None]
    rel = set(seeds)
    grown = True
    while grown:
        grown = False
        for ts, ss in edges:
            if ts & rel and not ss <= rel:
                rel |= ss
                grown = True
    return rel


def assigned(nodes: list[ast.stmt], self_name: str | None) -> set[str]:
    out: set[str] = set()
    for n in walk_body(nodes):
        e = _edges(n, self_name)
        if e is not None:
            out |= e[0]
    return out


def adopt(st: State, alt: State) -> State | None:
    """A caller's state taking on a helper's path: None when their conditions disagree."""
    if not alt.guards and not alt.known and alt.dom is None:
        return st
    for t, k in alt.known.items():
        if t in st.known and st.known[t].value != k.value:
            return None
    have = {(g.text, g.value) for g in st.guards}
    guards = st.guards + tuple(g for g in alt.guards if (g.text, g.value) not in have)
    return State(guards, {**alt.known, **st.known}, st.env, alt.dom or st.dom)


class Flow:
    """The module-wide part: definitions, caches of helpers and globals, and the tracked calls."""

    def __init__(self, tree: ast.Module, lines: LineMap, bits: dict[str, int], macros: dict[str, str],
                 libvirt: tuple[set[str], dict[str, str], bool], cap: int,
                 tracked: dict[int, list[ast.expr]], on_call: OnCall) -> None:
        self.tree, self.lines, self.bits, self.macros, self.cap = tree, lines, bits, macros, cap
        self.mods, self.consts, self.star = libvirt
        self.tracked, self.on_call = tracked, on_call
        self.funcs = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        self.classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
        self.owner: dict[int, ast.ClassDef] = {}
        for c in ast.walk(tree):
            if isinstance(c, ast.ClassDef):
                for f in c.body:
                    if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        self.owner[id(f)] = c
        self.cache: dict[object, list[tuple[State, Val]]] = {}
        self.busy: set[object] = set()

    def run(self, node: ast.Module | ast.ClassDef | Func, mode: str, seeds: set[str] | None = None,
            targets: set[int] | None = None) -> Run:
        """A run over a body. In "call" mode, ``targets`` are the tracked calls to record (all of the body's
        when None), and what they read is what matters."""
        cls = self.owner.get(id(node))
        self_name = None
        params: set[str] = set()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            a = node.args
            every = a.posonlyargs + a.args + a.kwonlyargs + [x for x in (a.vararg, a.kwarg) if x]
            params = {x.arg for x in every}
            static = any(dotted(d) == "staticmethod" for d in node.decorator_list)
            if cls is not None and not static and (a.posonlyargs + a.args):
                self_name = (a.posonlyargs + a.args)[0].arg
        if seeds is None:  # what the tracked calls read ("call"), or what the body returns ("helper")
            seeds = set()
            for n in walk_body(node.body):
                if mode == "call":
                    for e in self.tracked.get(id(n), []) if targets is None or id(n) in targets else []:
                        seeds |= keys_read(e, self_name)
                elif isinstance(n, ast.Return) and n.value is not None:
                    seeds |= keys_read(n.value, self_name)
        if targets is None:
            targets = {id(n) for n in walk_body(node.body) if id(n) in self.tracked}
        return Run(self, node.body, mode, seeds, self_name, cls, params, targets if mode == "call" else set())

    def alts(self, key: object, make: Callable[[], list[tuple[State, Val]]]) -> list[tuple[State, Val]]:
        if key in self.cache:
            return self.cache[key]
        if key in self.busy:
            return [(State(), Unknown())]
        self.busy.add(key)
        try:
            got = make()
        except (TooManyPaths, RecursionError):
            got = [(State(), Unknown())]
        finally:
            self.busy.discard(key)
        self.cache[key] = got
        return got

    def helper(self, fn: Func) -> list[tuple[State, Val]]:
        def make() -> list[tuple[State, Val]]:
            r = self.run(fn, "helper")
            end = r.block(fn.body, [State()])
            return r.returns + [(s, Lit(None)) for s in end]
        return self.alts(("helper", id(fn)), make)

    def final(self, node: ast.Module | ast.ClassDef | Func, key: str) -> list[tuple[State, Val]]:
        """A variable's value when a body has run (a module global, a class attribute, self.x)."""
        def make() -> list[tuple[State, Val]]:
            r = self.run(node, "final", {key})
            end = r.block(node.body, [State()]) + r.exits
            return [(s, s.env.get(key, Unknown())) for s in end]
        return self.alts(("final", id(node), key), make)

    def attr(self, cls: ast.ClassDef, attr: str) -> list[tuple[State, Val]]:
        """``self.attr``: from the one method that assigns it, else from the class body, else unknown."""
        setters: list[Func] = []
        for f in cls.body:
            if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) and f.args.args:
                me = f.args.args[0].arg
                if "self." + attr in assigned(f.body, me):
                    setters.append(f)
        if len(setters) == 1:
            return self.final(setters[0], "self." + attr)
        if not setters and attr in assigned(cls.body, None):
            return self.final(cls, attr)
        return [(State(), Unknown())]


class Run(ExprEval):
    """One body followed in one mode: "call" (record the tracked calls), "helper" (collect what it
    returns) or "final" (collect the states it ends in)."""

    def __init__(self, flow: Flow, body: list[ast.stmt], mode: str, seeds: set[str], self_name: str | None,
                 cls: ast.ClassDef | None, params: set[str], targets: set[int]) -> None:
        super().__init__(flow.lines, flow.bits, flow.macros, flow.mods, flow.consts, flow.star, flow.cap)
        self.flow, self.mode, self.self_name, self.cls, self.targets = flow, mode, self_name, cls, targets
        self.rel = relevance(body, seeds, self_name)
        self.locals = params | {k for k in assigned(body, self_name) if "." not in k}
        self.returns: list[tuple[State, Val]] = []
        self.exits: list[State] = []
        self.jumps: list[tuple[list[State], list[State]]] = []  # per loop: (break, continue) states

    # --- lookups -----------------------------------------------------------------------------------
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
        return self.apply(st, self.flow.final(c, attr) if attr in assigned(c.body, None) else [(State(), Unknown())])

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

    # --- statements --------------------------------------------------------------------------------
    def block(self, stmts: list[ast.stmt], sts: list[State]) -> list[State]:
        for s in stmts:
            if not sts:
                break
            sts = self.stmt(s, sts)
            self.check(len(sts))
        return sts

    def kind(self, nodes: list[ast.stmt]) -> str | None:
        """What a compound statement's bodies do: change relevant data, only leave early, or nothing."""
        control = False
        for n in walk_body(nodes):
            e = _edges(n, self.self_name)
            if e is not None and e[0] & self.rel:
                return "data"
            if id(n) in self.targets:
                return "data"
            if isinstance(n, ast.Return) and self.mode != "call":
                return "data"
            if isinstance(n, ast.Expr) and self._passes_rel(n):
                return "data"
            if isinstance(n, (ast.Break, ast.Continue)):  # the path goes on, with other data
                return "data"
            control = control or isinstance(n, _EXITS)
        return "control" if control else None

    def _passes_rel(self, n: ast.Expr) -> bool:
        c = n.value
        if not isinstance(c, ast.Call) or id(c) in self.flow.tracked:
            return False
        name = c.func.attr if isinstance(c.func, ast.Attribute) else dotted(c.func)
        if name in _QUIET:
            return False
        return any(keys_read(a, self.self_name) & self.rel for a in c.args + [k.value for k in c.keywords]
                   if isinstance(a, (ast.Name, ast.Attribute)))

    def record(self, s: ast.stmt, sts: list[State]) -> None:
        if self.mode != "call":
            return
        if isinstance(s, (ast.If, ast.While)):
            own: list[ast.AST] = [s.test]
        elif isinstance(s, (ast.For, ast.AsyncFor)):
            own = [s.iter]
        elif isinstance(s, (ast.With, ast.AsyncWith)):
            own = [i.context_expr for i in s.items]
        elif isinstance(s, ast.Match):
            own = [s.subject]
        elif isinstance(s, (ast.Try, ast.TryStar)):
            own = []
        elif isinstance(s, _DEFS):
            own = list(header(s))
        else:
            own = [s]
        for n in _walk_all(own):
            if isinstance(n, ast.Call) and id(n) in self.targets:
                self.flow.on_call(self, n, sts)

    def stmt(self, s: ast.stmt, sts: list[State]) -> list[State]:
        self.record(s, sts)
        if isinstance(s, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            return self.assign(s, sts)
        if isinstance(s, ast.Expr):
            return self.expr(s, sts)
        if isinstance(s, ast.If):
            k = self.kind(s.body + s.orelse)
            if k is None:
                return self.forget(sts, s.body + s.orelse)
            t, f = self.split(s.test, sts, k == "data")
            return self.block(s.body, t) + self.block(s.orelse, f)
        if isinstance(s, (ast.For, ast.AsyncFor, ast.While)):
            return self.loop(s, sts)
        if isinstance(s, (ast.With, ast.AsyncWith)):
            return self.block(s.body, sts)
        if isinstance(s, (ast.Try, ast.TryStar)):
            return self.try_(s, sts)
        if isinstance(s, ast.Match):
            bodies = [x for c in s.cases for x in c.body]
            weak = self.weaken(sts, bodies)
            for c in s.cases:
                self.block(c.body, weak)
            return weak
        if isinstance(s, ast.Return):
            if self.mode == "helper":
                for st in sts:
                    self.returns += self.ev(s.value, st, self.lines.pos(s)) if s.value else [(st, Lit(None))]
            elif self.mode == "final":
                self.exits += sts
            return []
        if isinstance(s, (ast.Break, ast.Continue)) and self.jumps:
            self.jumps[-1][0 if isinstance(s, ast.Break) else 1].extend(sts)
            return []
        if isinstance(s, (ast.Raise, ast.Break, ast.Continue)):
            return []
        if isinstance(s, ast.Delete):
            return self.delete(s, sts)
        return sts

    def fork(self, text: str, line: int, sts: list[State]) -> tuple[list[State], list[State]]:
        """Split on a condition that is not an expression (an exception handler ran)."""
        t: list[State] = []
        f: list[State] = []
        for st in sts:
            if text in st.known:
                (t if st.known[text].value else f).append(st.show(text))
            else:
                t.append(st.decide(Guard(text, True, line), frozenset(), True, None))
                f.append(st.decide(Guard(text, False, line), frozenset(), True, None))
        self.check(len(t) + len(f))
        return t, f

    def forget(self, sts: list[State], nodes: list[ast.stmt]) -> list[State]:
        keys = assigned(nodes, self.self_name)
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
        out: list[State] = []
        for st in sts:
            for s2, v in self.ev(value, st, at):
                for t in targets:
                    s2 = self.bind(t, v, s2, at)
                out.append(s2)
        return out

    def bind(self, t: ast.expr, v: Val, st: State, at: Pos) -> State:
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
                    return st.bind(key, base.set(k.value, param_value(v), (at,)))
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
        if isinstance(f, ast.Attribute) and f.attr in _MUTATORS and isinstance(f.value, (ast.Name, ast.Attribute)):
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
                p = p.set(k.arg, param_value(v), (self.lines.pos(k),)) if k.arg else replace(p, open=True)
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

    def weaken(self, sts: list[State], body: list[ast.stmt]) -> list[State]:
        """A loop's effect when its turns cannot be counted: what it only ORs into stays, plus unknown
        bits; parameter maps and lists may hold more; anything else it assigns is unknown."""
        keys = assigned(body, self.self_name)
        only_or = self._or_sites(body)
        out = []
        for st in sts:
            st = st.forget(keys)
            for k in keys & self.rel:
                v = st.env.get(k)
                if isinstance(v, Flags) and k in only_or:
                    st = st.bind(k, replace(v, unknown=True))
                elif isinstance(v, (Params, Seq)):
                    st = st.bind(k, replace(v, open=True))
                else:
                    st = st.bind(k, Unknown())
            out.append(st)
        return out

    def _or_sites(self, body: list[ast.stmt]) -> dict[str, int]:
        """The relevant variables a body changes only by ``|=``, with how many such statements."""
        sites: dict[str, int] = {}
        other: set[str] = set()
        for n in walk_body(body):
            e = _edges(n, self.self_name)
            if e is None:
                continue
            if isinstance(n, ast.AugAssign) and isinstance(n.op, ast.BitOr) and isinstance(n.target, ast.Name):
                sites[n.target.id] = sites.get(n.target.id, 0) + 1
            else:
                other |= e[0]
        return {k: v for k, v in sites.items() if k not in other and k in self.rel}

    def body(self, stmts: list[ast.stmt], sts: list[State]) -> tuple[list[State], list[State]]:
        """A loop body once: (states going on to the next turn, states leaving by ``break``)."""
        self.jumps.append(([], []))
        end = self.block(stmts, sts)
        brk, cont = self.jumps.pop()
        return end + cont, brk

    def loop(self, s: ast.For | ast.AsyncFor | ast.While, sts: list[State]) -> list[State]:
        if self.kind(s.body + s.orelse) is None:
            return self.forget(sts, [s])
        out: list[State] = []
        rest: list[State] = []
        for st in sts:
            alts = self.ev(s.iter, st, self.lines.pos(s)) if isinstance(s, ast.For) else [(st, Unknown())]
            for s2, it in alts:
                if isinstance(it, Seq) and isinstance(s, ast.For) and not it.open and len(it.items) <= 64 \
                        and not any(i.star for i in it.items):
                    cur, done = [s2], []
                    keys = target_keys(s.target, self.self_name)
                    for item in it.items:  # a literal list: one turn per element
                        cur, brk = self.body(s.body, [self.bind(s.target, item.value, c.forget(keys), item.pos)
                                                      for c in cur])
                        done += brk
                    out += self.block(s.orelse, cur) + done
                else:
                    rest.append(s2)
        if not rest:
            return out
        changed = assigned([s], self.self_name) & self.rel
        ors = self._or_sites(s.body)
        weak = self.weaken(rest, [s])
        if changed and all(ors.get(k) == 1 for k in changed):
            # Each changed variable is only ORed, at one place: zero turns, or turns that OR it in.
            start = [st.forget(assigned([s], self.self_name)) for st in rest]
            if isinstance(s, ast.For):
                start = [self.bind(s.target, Unknown(), st, self.lines.pos(s)) for st in start]
            went, brk = self.body(s.body, start)
            more = [x for x in went + brk if not any(self._same(x, y, changed) for y in rest)]
            return out + self.block(s.orelse, rest + more)
        self.body(s.body, weak)  # for the calls inside; the loop's effect is the weakening
        return out + self.block(s.orelse, weak)

    @staticmethod
    def _same(a: State, b: State, keys: set[str]) -> bool:
        return a.guards[:len(b.guards)] == b.guards and all(a.env.get(k) == b.env.get(k) for k in keys)

    def try_(self, s: ast.Try | ast.TryStar, sts: list[State]) -> list[State]:
        data = [h for h in s.handlers if self.kind(h.body) == "data"]
        changing = [h for h in data if assigned(h.body, self.self_name) & self.rel]
        body_in = sts
        out: list[State] = []
        for h in changing:  # a handler that changes relevant data is a path of its own
            text = "except " + ast.unparse(h.type) if h.type is not None else "except"
            t, f = self.fork(text, h.lineno, body_in)
            out += self.block(h.body, t)
            body_in = f
        for h in data:
            if h not in changing:
                self.block(h.body, sts)  # for the calls inside; it leaves or changes nothing
        end = self.block(s.orelse, self.block(s.body, body_in)) + out
        return self.block(s.finalbody, end)


def _walk_all(nodes: list[ast.AST]) -> Iterator[ast.AST]:
    for n in nodes:
        yield from ast.walk(n)
