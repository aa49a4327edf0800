"""Statements for the Python reader: follows one function (or module, or class body) path by path.

Only what feeds a tracked call matters: a name is *relevant* when a tracked call's arguments read it,
or a relevant name's assignment does (``flags = base | X`` makes ``base`` relevant). Assignments to other
names are skipped, and an ``if`` that changes nothing relevant does not split the paths; one that only
leaves early (``if not dom.isActive(): raise``) splits them without showing the guard unless it tells
the domain's state. Helpers (``self._flags()``, module functions), ``self.x`` assigned in one method of
the class, class attributes and module globals are followed too, each once, as alternatives that carry
their own guards. Loops over a literal list are unrolled; a loop that only ORs one flag in, at one
place, is zero turns or turns that OR it in; other loops make what they change unknown (flags they
only OR into keep what is known, with unknown bits; parameter dicts and lists may hold more).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import replace

from .data import DataRun
from .syntax import DEFS, Func, LineMap, assigned, dotted, edges, header, keys_read, target_keys, walk_body
from .value import Dom, Flags, Lit, Params, Seq, State, TooManyPaths, Unknown, Val

_EXITS = (ast.Return, ast.Raise, ast.Break, ast.Continue)
OnCall = Callable[["Run", ast.Call, list[State]], None]


class Flow:
    """The module-wide part: definitions, caches of helpers and globals, and the tracked calls."""

    def __init__(self, tree: ast.Module, lines: LineMap, bits: dict[str, int], macros: dict[str, str],
                 libvirt: tuple[set[str], dict[str, str], bool], cap: int,
                 tracked: dict[int, list[ast.expr]], on_call: OnCall, owner: dict[int, ast.ClassDef]) -> None:
        self.tree, self.lines, self.bits, self.macros, self.cap = tree, lines, bits, macros, cap
        self.mods, self.consts, self.star = libvirt
        self.tracked, self.on_call = tracked, on_call
        self.funcs = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        self.classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
        self.owner = owner  # method id -> its class
        self.cache: dict[object, list[tuple[State, Val]] | None] = {}
        self.busy: set[object] = set()
        self._assigned: dict[tuple[tuple[int, ...], str | None], frozenset[str]] = {}

    def assigned(self, nodes: list[ast.stmt], self_name: str | None) -> frozenset[str]:
        """``assigned``, remembered: the same bodies are asked again and again (ids of this tree's nodes)."""
        key = (tuple(id(n) for n in nodes), self_name)
        if key not in self._assigned:
            self._assigned[key] = assigned(nodes, self_name)
        return self._assigned[key]

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
        """A helper's (or a variable's) alternatives, made once. One with too many paths makes every call that
        reads it have too many too (said as such, not as a value the reader cannot see)."""
        if key in self.cache:
            got = self.cache[key]
            if got is None:
                raise TooManyPaths()
            return got
        if key in self.busy:
            return [(State(), Unknown())]
        self.busy.add(key)
        try:
            got = make()
        except TooManyPaths:
            self.cache[key] = None
            raise
        except RecursionError:
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
                if "self." + attr in self.assigned(f.body, me):
                    setters.append(f)
        if len(setters) == 1:
            return self.final(setters[0], "self." + attr)
        if not setters and attr in self.assigned(cls.body, None):
            return self.final(cls, attr)
        return [(State(), Unknown())]


class Run(DataRun):
    """One body followed in one mode: "call" (record the tracked calls), "helper" (collect what it
    returns) or "final" (collect the states it ends in)."""

    flow: Flow  # the module it reads (a pydata.Module for the data half)

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
            e = edges(n, self.self_name)
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
        elif isinstance(s, DEFS):
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

    def weaken(self, sts: list[State], body: list[ast.stmt]) -> list[State]:
        """A loop's effect when its turns cannot be counted: what it only ORs into stays, plus unknown
        bits; parameter maps and lists may hold more; anything else it assigns is unknown."""
        keys = self.flow.assigned(body, self.self_name)
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
            e = edges(n, self.self_name)
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
        each: list[Val] = []  # per state of rest: what every item is (the domains of a connection)
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
                    each.append(replace(it, many=False) if isinstance(it, Dom) and it.many else Unknown())
        if not rest:
            return out
        changed = self.flow.assigned([s], self.self_name) & self.rel
        ors = self._or_sites(s.body)
        weak = self.weaken(rest, [s])
        if isinstance(s, ast.For) and target_keys(s.target, self.self_name) & self.rel:
            weak = [self.bind(s.target, v, st, self.lines.pos(s)) for st, v in zip(weak, each)]
        if changed and all(ors.get(k) == 1 for k in changed):
            # Each changed variable is only ORed, at one place: zero turns, or turns that OR it in.
            start = [st.forget(self.flow.assigned([s], self.self_name)) for st in rest]
            if isinstance(s, ast.For):
                start = [self.bind(s.target, v, st, self.lines.pos(s)) for st, v in zip(start, each)]
            went, brk = self.body(s.body, start)
            more = [x for x in went + brk if not any(self._same(x, y, changed) for y in rest)]
            return out + self.block(s.orelse, rest + more)
        self.body(s.body, weak)  # for the calls inside; the loop's effect is the weakening
        return out + self.block(s.orelse, weak)

    @staticmethod
    def _same(a: State, b: State, keys: AbstractSet[str]) -> bool:
        return a.guards[:len(b.guards)] == b.guards and all(a.env.get(k) == b.env.get(k) for k in keys)

    def try_(self, s: ast.Try | ast.TryStar, sts: list[State]) -> list[State]:
        data = [h for h in s.handlers if self.kind(h.body) == "data"]
        changing = [h for h in data if self.flow.assigned(h.body, self.self_name) & self.rel]
        body_in = sts
        out: list[State] = []
        for h in changing:  # a handler that changes relevant data is a path of its own
            text = "except " + ast.unparse(h.type) if h.type is not None else "except"
            t, f = self.fork(text, self.lines.pos(h), body_in)
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
