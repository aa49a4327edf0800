"""Syntax helpers for the Python reader: positions in characters, and which variables a piece of code
reads and assigns (``self.x`` counts as one variable), not entering nested functions and classes."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from .value import Pos

Func = ast.FunctionDef | ast.AsyncFunctionDef

DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
MUTATORS = frozenset({"update", "setdefault", "pop", "append", "extend", "insert", "remove", "clear"})


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
        todo.extend(header(n) if isinstance(n, DEFS) else ast.iter_child_nodes(n))


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


def edges(n: ast.AST, self_name: str | None) -> tuple[set[str], set[str]] | None:
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
    if isinstance(n, ast.withitem) and n.optional_vars is not None:
        return target_keys(n.optional_vars, self_name), keys_read(n.context_expr, self_name)
    if isinstance(n, ast.ExceptHandler) and n.name:
        return {n.name}, set()
    if isinstance(n, (ast.Import, ast.ImportFrom)):
        return {a.asname or a.name.split(".")[0] for a in n.names if a.name != "*"}, set()
    if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call) and isinstance(n.value.func, ast.Attribute) \
            and n.value.func.attr in MUTATORS:
        return target_keys(n.value.func.value, self_name), keys_read(n.value, self_name)
    return None


def relevance(body: list[ast.stmt], seeds: set[str], self_name: str | None) -> set[str]:
    links = [e for e in (edges(n, self_name) for n in walk_body(body)) if e is not None]
    rel = set(seeds)
    grown = True
    while grown:
        grown = False
        for ts, ss in links:
            if ts & rel and not ss <= rel:
                rel |= ss
                grown = True
    return rel


def assigned(nodes: list[ast.stmt], self_name: str | None) -> frozenset[str]:
    """The variables these statements assign."""
    out: set[str] = set()
    for n in walk_body(nodes):
        e = edges(n, self_name)
        if e is not None:
            out |= e[0]
    return frozenset(out)
