"""Makefiles (``Makefile``, ``makefile``, ``GNUmakefile``, ``*.mk``) -> the shell snippets of their recipes.

A recipe line is a line that starts with a tab after a rule (``target: prerequisites``), or the text after
``;`` on the rule line; its continuation lines (after a trailing backslash) belong to it, each losing one
leading tab as make does, the backslash-newline passed on to the shell. The ``@``, ``-`` and ``+`` prefixes
are make's and are dropped. Each recipe line runs in a shell of its own (one session per line), or each
rule's recipe in one shell under ``.ONESHELL:``.

Make's own expansions are done before the shell sees the line: ``$$`` is the shell's ``$``; ``$(VAR)`` and
``${VAR}`` take the value of the Makefile's own simple assignments (``=``, ``:=``, ``::=``, ``?=``, ``+=``;
recursive ``=`` values are expanded at the use with the file's final values, as make does; ``?=`` is taken as
written, whatever the environment or the command line could give); every other expansion (automatic variables
``$@``, ``$<``, functions like ``$(shell ...)``, ``$(wildcard ...)``, a variable the file does not assign, one
assigned inside a conditional, by ``!=``, ``define`` or after an ``include``) is an unknown word part.
A substituted value stands at the position of its ``$(VAR)``.

A comment line (``# miglint: disable=...``) outside recipes is kept for suppressions, and so are shell
comments inside recipes.
"""

from __future__ import annotations

import re

from .snippet import Builder, Snippet, line_starts

_ASSIGN = re.compile(r"(?P<prefix>(?:(?:export|override|private)\s+)*)(?P<name>[A-Za-z0-9_.\-/]+)\s*"
                     r"(?P<op>:::=|::=|:=|\?=|\+=|!=|=)\s*(?P<value>.*)")
_RULE = re.compile(r"(?P<targets>[^:=#\t][^:=#]*?)\s*::?(?![=])(?P<rest>.*)")
_CONDITIONAL = re.compile(r"(ifeq|ifneq|ifdef|ifndef)\b")
_NAME = re.compile(r"[A-Za-z0-9_.\-]+")
MAX_DEPTH = 20


class _Vars:
    def __init__(self) -> None:
        self.values: dict[str, tuple[str, bool]] = {}  # name -> (value, recursive)
        self.unknown: set[str] = set()
        self.anything = False  # after an include: any variable may be set

    def set(self, name: str, op: str, value: str, in_conditional: bool) -> None:
        if in_conditional or op == "!=":
            self.unknown.add(name)
            self.values.pop(name, None)
            return
        if op == "?=":
            if name in self.values or name in self.unknown:
                return
            self.values[name] = (value, True)
            return
        if op == "+=":
            if name in self.unknown:
                return
            old, recursive = self.values.get(name, ("", True))
            if not recursive:
                text, ok = self.expand(value, 0)
                if not ok:
                    self.unknown.add(name)
                    self.values.pop(name, None)
                    return
                value = text
            self.values[name] = ((old + " " + value) if old else value, recursive)
            return
        self.unknown.discard(name)
        if op in (":=", "::=", ":::="):
            text, ok = self.expand(value, 0)
            if not ok:
                self.unknown.add(name)
                self.values.pop(name, None)
                return
            self.values[name] = (text.replace("$", "$$"), True) if op == ":::=" else (text, False)
            return
        self.values[name] = (value, True)

    def get(self, name: str, depth: int) -> str | None:
        if depth > MAX_DEPTH or name in self.unknown or name not in self.values:
            return None
        value, recursive = self.values[name]
        if not recursive:
            return value
        text, ok = self.expand(value, depth + 1)
        return text if ok else None

    def expand(self, text: str, depth: int) -> tuple[str, bool]:
        """Make's expansion of text: (result, fully known)."""
        out: list[str] = []
        i = 0
        while i < len(text):
            c = text[i]
            if c != "$":
                out.append(c)
                i += 1
                continue
            ref, j = _reference(text, i)
            if ref is None:
                out.append("$")
                i = j
                continue
            if ref == "$":
                out.append("$")
                i = j
                continue
            value = self.get(ref, depth) if _NAME.fullmatch(ref) else None
            if value is None:
                return "", False
            out.append(value)
            i = j
        return "".join(out), True


def _reference(text: str, i: int) -> tuple[str | None, int]:
    """At a '$': (the reference's name or text, the index after it). ('$', i+2) for '$$'."""
    n = text[i + 1:i + 2]
    if not n:
        return None, i + 1
    if n == "$":
        return "$", i + 2
    if n in "({":
        close = ")" if n == "(" else "}"
        depth = 0
        j = i + 1
        while j < len(text):
            if text[j] == n:
                depth += 1
            elif text[j] == close:
                depth -= 1
                if depth == 0:
                    return text[i + 2:j], j + 1
            j += 1
        return text[i + 2:], len(text)
    return n, i + 2


def makefile_snippets(text: str) -> list[Snippet]:
    starts = line_starts(text)
    lines = text.split("\n")
    offsets = starts[:len(lines)]
    oneshell = any(re.match(r"\.ONESHELL\s*:", ln) for ln in lines)
    v = _Vars()
    recipes: list[tuple[str, list[list[tuple[int, str]]]]] = []  # (target, logical lines of (offset, text))
    comments: list[tuple[int, str]] = []
    in_rule = False
    depth = 0
    i = 0
    while i < len(lines):
        line = lines[i].rstrip("\r")
        if line.startswith("\t") and in_rule:
            logical = [(offsets[i] + 1, line[1:])]
            while _continues(logical[-1][1]) and i + 1 < len(lines):
                i += 1
                nxt = lines[i].rstrip("\r")
                if nxt.startswith("\t"):
                    logical.append((offsets[i] + 1, nxt[1:]))
                else:
                    logical.append((offsets[i], nxt))
            recipes[-1][1].append(logical)
            i += 1
            continue
        # A make line, with its continuation lines.
        start = i
        full = line
        while _continues(full) and i + 1 < len(lines):
            i += 1
            full = full[:-1] + " " + lines[i].rstrip("\r").lstrip()
        i += 1
        stripped = full.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            if "miglint:" in stripped:
                comments.append((offsets[start] + (len(line) - len(line.lstrip())), line.lstrip()))
            continue
        body = _strip_comment(full).strip()
        if not body:
            continue
        word = body.split(None, 1)[0]
        if _CONDITIONAL.match(body):
            depth += 1
            continue
        if word == "else":
            continue
        if word == "endif":
            depth = max(depth - 1, 0)
            continue
        if word == "define":
            parts = body.split()
            if len(parts) > 1:
                v.unknown.add(parts[1].rstrip("=:?+!"))
            while i < len(lines) and lines[i].strip() != "endef":
                i += 1
            i += 1
            in_rule = False
            continue
        if word in ("include", "-include", "sinclude"):
            v.anything = True
            for name in list(v.values):
                v.unknown.add(name)
            v.values.clear()
            continue
        m = _ASSIGN.fullmatch(body)
        rule = _RULE.match(body)
        if m is not None and (rule is None or ":" not in body[:body.find(m.group("op"))]
                              or m.group("op").startswith(":")):
            name = m.group("name")
            if not (v.anything and name not in v.values):
                v.set(name, m.group("op"), m.group("value"), depth > 0)
            in_rule = False
            continue
        if rule is not None and not body.startswith("\t"):
            rest = rule.group("rest")
            target = rule.group("targets").strip()
            if _ASSIGN.fullmatch(rest.strip()):  # a target-specific variable
                tm = _ASSIGN.fullmatch(rest.strip())
                assert tm is not None
                v.unknown.add(tm.group("name"))
                continue
            in_rule = True
            recipes.append((target, []))
            semi = _unquoted_semicolon(line) if start == i - 1 else -1
            if semi >= 0 and line[semi + 1:].strip():
                recipe = line[semi + 1:]
                lead = len(recipe) - len(recipe.lstrip())
                recipes[-1][1].append([(offsets[start] + semi + 1 + lead, recipe.lstrip())])
            continue
        in_rule = False
    out: list[Snippet] = []
    session = 0
    for offset, comment in comments:
        b = Builder(starts)
        b.copy(comment, offset)
        out.append(b.build(session, "comment"))
        session += 1
    for target, logical_lines in recipes:
        if oneshell and logical_lines:
            b = Builder(starts)
            for logical in logical_lines:
                _put_recipe(b, logical, v, first=True)
                b.add("\n")
            out.append(b.build(session, f"recipe of {target!r}"))
            session += 1
            continue
        for logical in logical_lines:
            b = Builder(starts)
            _put_recipe(b, logical, v, first=True)
            snip = b.build(session, f"recipe of {target!r}")
            session += 1
            if snip.text.strip():
                out.append(snip)
    out.sort(key=lambda s: (s.line, s.column))
    return out


def _continues(line: str) -> bool:
    k = len(line) - len(line.rstrip("\\"))
    return k % 2 == 1


def _strip_comment(line: str) -> str:
    k = 0
    while k < len(line):
        if line[k] == "\\":
            k += 2
            continue
        if line[k] == "#":
            return line[:k]
        k += 1
    return line


def _unquoted_semicolon(line: str) -> int:
    """The ';' that starts an inline recipe on a rule line (outside $(...) references)."""
    depth = 0
    for k, c in enumerate(line):
        if c in "({":
            depth += 1
        elif c in ")}":
            depth -= 1
        elif c == ";" and depth <= 0:
            return k
        elif c == "#" and depth <= 0:
            return -1
    return -1


def _put_recipe(b: Builder, logical: list[tuple[int, str]], v: _Vars, first: bool) -> None:
    for n, (offset, text) in enumerate(logical):
        if n == 0 and first:
            k = 0
            while k < len(text) and text[k] in "@-+ \t":
                k += 1
            offset, text = offset + k, text[k:]
        _put_make_text(b, text, offset, v)
        if n < len(logical) - 1:
            b.add("\n")


def _put_make_text(b: Builder, text: str, offset: int, v: _Vars) -> None:
    """Recipe text with make's expansions done."""
    i = 0
    while i < len(text):
        j = text.find("$", i)
        if j < 0:
            b.copy(text[i:], offset + i)
            return
        b.copy(text[i:j], offset + i)
        ref, k = _reference(text, j)
        if ref is None:
            b.copy("$", offset + j)
        elif ref == "$":
            b.anchor("$", offset + j)
        else:
            value = v.get(ref, 0) if _NAME.fullmatch(ref) else None
            if value is None:
                b.anchor(text[j:k], offset + j, opaque=True)
            else:
                b.anchor(value, offset + j)
        i = k
