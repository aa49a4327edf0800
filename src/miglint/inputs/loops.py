"""The state a script's loop says its domains are in: ``for d in $(virsh list --name --state-shutoff)`` feeds
shut-off domains to the commands of its body, ``virsh list --name | while read d`` running or paused ones.

Read from the script's tree (miglint.inputs.shell): for each loop whose values come from ``virsh list``, the
commands of its body (by position) and the loop variable. A command whose domain is that variable migrates a
domain in the states the listing selects; ``--all`` (or a mix of states) says any state.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import NamedTuple

from ..model import ACTIVE
from .shell import (
    AndOr,
    Background,
    Case,
    FuncDef,
    Group,
    If,
    Loop,
    Node,
    Pipe,
    Seq,
    Simple,
    Subshell,
    WordNode,
)

# virsh list's options -> the states they select (tools/virsh-domain-monitor.c, cmdList); without any, virsh
# lists the active domains.
LIST_STATES = {"--state-running": ("running",), "--state-paused": ("paused",), "--state-shutoff": ("shutoff",),
               "--inactive": ("shutoff",), "--all": ("running", "paused", "shutoff"),
               "--state-other": ("running", "paused", "shutoff")}


class LoopState(NamedTuple):
    """What a loop says of the domains it feeds to its body."""

    var: str  # the loop variable
    state: str | None  # running, paused, shutoff, active (running or paused); None: any state
    line: int  # the loop's line
    listing: str  # the virsh list command, as written


def _listing(words: list[WordNode]) -> tuple[str | None, str] | None:
    """(state, text) when the words run ``virsh [options] list ...``; None otherwise."""
    texts = [w.word.text for w in words]
    for i, t in enumerate(texts):
        if os.path.basename(t) == "virsh" and not words[i].word.unknown:
            rest = texts[i + 1:]
            if "list" not in rest:
                return None
            opts = rest[rest.index("list") + 1:]
            states: set[str] = set()
            for o in opts:
                states.update(LIST_STATES.get(o, ()))
            if not states:
                state: str | None = ACTIVE
            elif states == {"running", "paused"}:
                state = ACTIVE
            elif len(states) == 1:
                state = next(iter(states))
            else:
                state = None
            return state, " ".join(texts[i:])
    return None


def _substituted_listing(word: WordNode) -> tuple[str | None, str] | None:
    """The listing run by a word that is one command substitution (``$(virsh list ...)``, backquotes)."""
    subs = [p for p in word.parts if p.body is not None]
    if len(subs) != 1:
        return None
    simples = [n for n in nodes(subs[0].body) if isinstance(n, Simple)]
    return _listing(simples[0].words) if len(simples) == 1 else None


def nodes(node: Node | None) -> Iterator[Node]:
    """Every node under this one, functions' bodies left out (they run where they are called)."""
    if node is None:
        return
    yield node
    if isinstance(node, Seq):
        for item in node.items:
            yield from nodes(item)
    elif isinstance(node, AndOr):
        yield from nodes(node.first)
        for _, item in node.rest:
            yield from nodes(item)
    elif isinstance(node, Pipe):
        for item in node.items:
            yield from nodes(item)
    elif isinstance(node, (Background, Subshell, Group)):
        yield from nodes(node.body)
    elif isinstance(node, If):
        for cond, body in node.arms:
            yield from nodes(cond)
            yield from nodes(body)
        yield from nodes(node.orelse)
    elif isinstance(node, Loop):
        yield from nodes(node.cond)
        yield from nodes(node.body)
    elif isinstance(node, Case):
        for _, body in node.arms:
            yield from nodes(body)
    elif isinstance(node, FuncDef):
        return


def _read_var(cond: Seq | None) -> str | None:
    """The variable of a ``while read [-r] VAR`` loop."""
    for n in nodes(cond):
        if isinstance(n, Simple) and n.words and n.words[0].word.text == "read":
            names = [w.word.text for w in n.words[1:] if not w.word.text.startswith("-")]
            return names[0] if len(names) == 1 else None
    return None


def _body_positions(loop: Loop) -> set[tuple[int, int]]:
    return {(n.command.line, n.command.column) for n in nodes(loop.body)
            if isinstance(n, Simple) and n.command is not None}


def loop_states(tree: Seq | None) -> dict[tuple[int, int], LoopState]:
    """The commands (by line and column) that run in a loop fed by ``virsh list``, with what it says."""
    out: dict[tuple[int, int], LoopState] = {}
    for node in nodes(tree):
        found: tuple[Loop, str, tuple[str | None, str]] | None = None
        if isinstance(node, Loop) and node.kind == "for" and node.var and node.items and len(node.items) == 1:
            listing = _substituted_listing(node.items[0])
            if listing is not None:
                found = (node, node.var, listing)
        elif isinstance(node, Pipe) and len(node.items) >= 2:
            first, last = node.items[0], node.items[-1]
            if isinstance(first, Simple) and isinstance(last, Loop) and last.kind == "while":
                listing = _listing(first.words)
                var = _read_var(last.cond)
                if listing is not None and var:
                    found = (last, var, listing)
        if found is None:
            continue
        loop, var, (state, text) = found
        line = node.items[0].words[0].word.line if isinstance(node, Pipe) and isinstance(node.items[0], Simple) \
            else _first_line(loop)
        for pos in _body_positions(loop):
            out.setdefault(pos, LoopState(var, state, line, text))
    return out


def _first_line(loop: Loop) -> int:
    if loop.items:
        return loop.items[0].word.line
    return 0


class Block(NamedTuple):
    """A compound command (a loop, an if, a case, a { group } or ( subshell )): the line it starts on, as far
    as its words tell, and the commands it runs (by line and column)."""

    line: int
    commands: frozenset[tuple[int, int]]


def blocks(tree: Seq | None) -> list[Block]:
    """Every compound command of a script, for comments above one to speak of all it runs."""
    out: list[Block] = []
    for node in nodes(tree):
        if not isinstance(node, (Loop, If, Case, Group, Subshell)):
            continue
        inner = [n for n in nodes(node) if isinstance(n, Simple) and n.command is not None]
        lines = [n.command.line for n in inner if n.command is not None]
        if isinstance(node, Loop) and node.items:
            lines.append(node.items[0].word.line)
        if isinstance(node, Case) and node.subject is not None:
            lines.append(node.subject.word.line)
        if lines:
            out.append(Block(min(lines), frozenset((n.command.line, n.command.column) for n in inner
                                                   if n.command is not None)))
    return out
