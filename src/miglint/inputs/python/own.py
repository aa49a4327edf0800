"""Calls of the code's own methods: ``vm.migrate(host)`` where ``vm`` is an instance of a class the file
defines with a ``migrate`` method (``self`` in one of its methods, ``VM(...)``, a variable only ever
assigned one, a parameter annotated with one, the class itself) calls that method, not libvirt-python's.
What the file does not tell (a parameter, a value a function returns) may be libvirt's."""

from __future__ import annotations

import ast

from .syntax import Func, dotted, walk_body

Scope = ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef

_DEPTH = 8  # assignments followed from one to the next (``a = VM(); b = a``), at most


class OwnMethods:
    def __init__(self, tree: ast.Module, owner: dict[int, ast.ClassDef]) -> None:
        self.tree, self.owner = tree, owner
        self.classes: dict[str, list[ast.ClassDef]] = {}
        for n in ast.walk(tree):
            if isinstance(n, ast.ClassDef):
                self.classes.setdefault(n.name, []).append(n)

    def calls_own(self, c: ast.Call, scope: Scope) -> bool:
        """Whether the call is certainly of a method the file defines (``c.func`` is an attribute)."""
        assert isinstance(c.func, ast.Attribute)
        got = self._classes(c.func.value, scope, 0)
        return bool(got) and all(self._defines(k, c.func.attr, set()) is True for k in got or ())

    def _defines(self, cls: ast.ClassDef, name: str, seen: set[int]) -> bool | None:
        """True: the class (or a base the file defines) has it; None: a base from elsewhere may have it."""
        if id(cls) in seen:
            return False
        seen.add(id(cls))
        for n in cls.body:
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name:
                return True
            if isinstance(n, (ast.Assign, ast.AnnAssign)) and any(
                    isinstance(t, ast.Name) and t.id == name
                    for t in (n.targets if isinstance(n, ast.Assign) else [n.target])):
                return True
        for b in cls.bases:
            d = dotted(b)
            if d == "object":
                continue
            if d not in self.classes:
                return None
            for k in self.classes[d]:
                r = self._defines(k, name, seen)
                if r is not False:
                    return r
        return False

    def _classes(self, e: ast.expr, scope: Scope, depth: int) -> list[ast.ClassDef] | None:
        """The file's classes ``e`` is an instance of (or is), every one it may be; None when not known."""
        if depth > _DEPTH:
            return None
        if isinstance(e, ast.Call):
            d = dotted(e.func)
            return list(self.classes[d]) if d in self.classes and not self._assigned(scope, d) else None
        if isinstance(e, ast.Name):
            me = _self_name(scope, self.owner)
            if me is not None and e.id == me:
                return [self.owner[id(scope)]]
            if e.id in self.classes and not self._assigned(scope, e.id):
                return list(self.classes[e.id])  # the class itself: VM.migrate(vm, host)
            return self._of_name(e.id, scope, depth)
        if isinstance(e, ast.Attribute) and isinstance(e.value, ast.Name):
            me = _self_name(scope, self.owner)
            if me is not None and e.value.id == me:
                return self._of_attr(self.owner[id(scope)], e.attr, depth)
        return None

    def _assigned(self, scope: Scope, name: str) -> bool:
        return bool(_assignments(scope.body, name)) or (
            isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)) and name in _params(scope))

    def _of_name(self, name: str, scope: Scope, depth: int) -> list[ast.ClassDef] | None:
        if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
            params = _params(scope)
            found = _assignments(scope.body, name)
            if name in params:
                ann = params[name]
                if ann is None or found:
                    return None
                return self._annotated(ann)
            if _declared(scope, name):
                return None
            if found:
                return self._values(found, scope, depth)
            scope = self.tree  # not local: a module global
        found = _assignments(scope.body, name)
        return self._values(found, scope, depth) if found else None

    def _of_attr(self, cls: ast.ClassDef, attr: str, depth: int) -> list[ast.ClassDef] | None:
        """``self.attr``: every value the class's methods (and body) give it."""
        values: list[tuple[ast.expr | None, Scope]] = [(v, cls) for v in _assignments(cls.body, attr)]
        for f in cls.body:
            if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)):
                me = _self_name(f, self.owner)
                if me is not None:
                    values += [(v, f) for v in _attr_assignments(f.body, me, attr)]
        if not values:
            return None
        out: list[ast.ClassDef] = []
        for v, where in values:
            got = None if v is None else self._classes(v, where, depth + 1)
            if got is None:
                return None
            out += got
        return out

    def _values(self, found: list[ast.expr | None], scope: Scope, depth: int) -> list[ast.ClassDef] | None:
        out: list[ast.ClassDef] = []
        for v in found:
            got = None if v is None else self._classes(v, scope, depth + 1)
            if got is None:
                return None
            out += got
        return out

    def _annotated(self, ann: ast.expr) -> list[ast.ClassDef] | None:
        name = ann.value if isinstance(ann, ast.Constant) and isinstance(ann.value, str) else dotted(ann)
        return list(self.classes[name]) if name in self.classes else None


def _self_name(scope: Scope, owner: dict[int, ast.ClassDef]) -> str | None:
    """The first parameter of a method (``self``, or ``cls`` of a class method), not of a static method."""
    if not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)) or id(scope) not in owner:
        return None
    if any(dotted(d) == "staticmethod" for d in scope.decorator_list):
        return None
    a = scope.args.posonlyargs + scope.args.args
    return a[0].arg if a else None


def _params(f: Func) -> dict[str, ast.expr | None]:
    a = f.args
    every = a.posonlyargs + a.args + a.kwonlyargs + [x for x in (a.vararg, a.kwarg) if x]
    return {x.arg: x.annotation if x not in (a.vararg, a.kwarg) else None for x in every}


def _declared(f: Func, name: str) -> bool:
    return any(isinstance(n, (ast.Global, ast.Nonlocal)) and name in n.names for n in walk_body(f.body))


def _assignments(body: list[ast.stmt], name: str) -> list[ast.expr | None]:
    """The values a body gives a name (None: a value not written as an expression: a loop, an unpacking)."""
    out: list[ast.expr | None] = []
    for n in walk_body(body):
        if isinstance(n, ast.Assign):
            for t in n.targets:
                if isinstance(t, ast.Name) and t.id == name:
                    out.append(n.value)
                elif _binds(t, name):
                    out.append(None)
        elif isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name) and n.target.id == name:
            out.append(n.value if n.value is not None else n.annotation)
        elif isinstance(n, (ast.AugAssign, ast.For, ast.AsyncFor, ast.comprehension)) and _binds(n.target, name):
            out.append(None)
        elif isinstance(n, ast.NamedExpr) and n.target.id == name:
            out.append(n.value)
        elif isinstance(n, ast.withitem) and n.optional_vars is not None and _binds(n.optional_vars, name):
            out.append(None)  # what __enter__ returns
        elif isinstance(n, (ast.Import, ast.ImportFrom)) and any(
                (a.asname or a.name.split(".")[0]) == name for a in n.names):
            out.append(None)
        elif isinstance(n, ast.ExceptHandler) and n.name == name:
            out.append(None)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.name == name:
            out.append(None)
    return out


def _attr_assignments(body: list[ast.stmt], me: str, attr: str) -> list[ast.expr | None]:
    out: list[ast.expr | None] = []
    for n in walk_body(body):
        targets: list[ast.expr] = []
        if isinstance(n, ast.Assign):
            targets = n.targets
        elif isinstance(n, (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor)):
            targets = [n.target]
        elif isinstance(n, ast.withitem) and n.optional_vars is not None:
            targets = [n.optional_vars]
        for t in targets:
            if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == me \
                    and t.attr == attr:
                plain = isinstance(n, (ast.Assign, ast.AnnAssign)) and getattr(n, "value", None) is not None
                out.append(n.value if plain and isinstance(n, (ast.Assign, ast.AnnAssign)) else None)
            elif isinstance(t, (ast.Tuple, ast.List)) and any(
                    isinstance(x, ast.Attribute) and isinstance(x.value, ast.Name) and x.value.id == me
                    and x.attr == attr for x in ast.walk(t)):
                out.append(None)
    return out


def _binds(t: ast.AST, name: str) -> bool:
    return any(isinstance(x, ast.Name) and x.id == name for x in ast.walk(t))
