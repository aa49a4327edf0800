"""Directives in comments: ``# miglint: disable=RULE[,RULE] -- reason``, or ``# miglint: ignore[RULE,RULE] reason``
as Python linters write them (suppressions in scripts and Python code; plans have ``ignore``), and
``# miglint: state=shutoff`` (what a command cannot say: the state of the domain it migrates).

A comment alone on its line covers the next command (further comment lines may stand between); a comment
after code covers the command(s) on that line; ``disable-file=`` covers the whole file. Rules are named by
id or name. Problems with a directive (misspelt, unknown rule or state, no reason) become M002 notes, never
errors.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple, TypeVar

from ..errors import did_you_mean
from ..model import STATES, Location, Note, Suppression
from ..notes import NOTE_RULES, make_note
from ..policy.load import PolicySet
from .loops import Block
from .shell import Command, Comment

KINDS = {"disable": "line", "disable-file": "file"}
# The same, in the bracket form: ``ignore[Q051] reason`` (the reason may follow "--" or ":" too).
BRACKETS = {"ignore": "line", "ignore-file": "file"}
_BRACKET = re.compile(r"(?P<kind>[\w-]+)\s*\[(?P<rules>[^\]]*)\](?P<reason>.*)$", re.DOTALL)
# Facts a comment may state for the command it covers, and the values each takes.
FACTS = {"state": tuple(s for s in STATES if s != "unknown")}


class Stated(NamedTuple):
    """A fact a comment states for the command(s) it covers (``# miglint: state=shutoff``)."""

    name: str
    value: str
    location: Location
_DIRECTIVE = re.compile(r"(?:^|[\s#])miglint\s*:\s*(?P<rest>.*)$")


def rule_ids(policies: PolicySet) -> dict[str, str]:
    """Every name a suppression may use (ids, names, lower-case ids) -> the rule's id."""
    out: dict[str, str] = {}
    for r in policies.rules.values():
        out[r.id] = out[r.id.lower()] = out[r.name] = r.id
    for n in NOTE_RULES.values():
        out[n.id] = out[n.id.lower()] = out[n.name] = n.id
    return out


def vet(rules: Iterable[tuple[str, str]], known: dict[str, str], location: Location, scope: str,
        what: str, how: str = "add ' -- why'") -> tuple[list[Suppression], list[Note]]:
    """(rule as written, reason) pairs -> suppressions of known rules, and notes for the rest."""
    sups: list[Suppression] = []
    notes: list[Note] = []
    for name, reason in rules:
        rid = known.get(name) or known.get(name.upper())
        if rid is None:
            pool = sorted({k for k in known if k[:1].isupper() or "-" in k})
            notes.append(make_note("M002", f"{what} names unknown rule {name!r}{did_you_mean(name, pool)}",
                                   location))
            continue
        if not reason.strip():
            notes.append(make_note("M002", f"{what} of {rid} gives no reason ({how})", location))
        sups.append(Suppression(rid, reason.strip(), location, scope))
    return sups, notes


def parse_comment(c: Comment, file: str, known: dict[str, str]) -> tuple[list[Suppression], list[Note]]:
    sups, notes, _ = parse_directive(c, file, known)
    return sups, notes


def parse_directive(c: Comment, file: str,
                    known: dict[str, str]) -> tuple[list[Suppression], list[Note], list[Stated]]:
    """A comment's suppressions and stated facts, and notes about what is wrong with it."""
    m = _DIRECTIVE.search(c.text)
    if m is None:
        return [], [], []
    loc = Location(file, c.line, c.column)
    bracket = _BRACKET.match(m.group("rest"))
    if bracket is not None and bracket.group("kind") in BRACKETS:
        kind = bracket.group("kind")
        rules = [n.strip() for n in bracket.group("rules").split(",") if n.strip()]
        if not rules:
            return [], [make_note("M002", f"'{kind}[]' names no rule", loc)], []
        reason = re.sub(r"^[\s:-]+", "", bracket.group("reason"))
        sups, notes = vet(((r, reason) for r in rules), known, loc, BRACKETS[kind], "suppression",
                          "add why after the ']'")
        return sups, notes, []
    head, _, reason = m.group("rest").partition("--")
    kind, eq, names = head.partition("=")
    kind = kind.strip()
    if kind in FACTS and eq:
        value = names.strip()
        if value not in FACTS[kind]:
            return [], [make_note("M002", f"{kind}={value!r:.40} is not one of {', '.join(FACTS[kind])}"
                                          f"{did_you_mean(value, FACTS[kind])}", loc)], []
        return [], [], [Stated(kind, value, loc)]
    if kind not in KINDS or not eq:
        choices = [*KINDS, *BRACKETS, *FACTS]
        word = kind.partition("[")[0].strip()
        hint = did_you_mean(word, choices) if word not in choices else ""
        return [], [make_note("M002", f"not a miglint directive: {kind or head.strip()!r}{hint}; "
                                      "write '# miglint: disable=RULE -- reason', '# miglint: ignore[RULE] reason' "
                                      "or '# miglint: state=shutoff'", loc)], []
    rules = [n.strip() for n in names.split(",") if n.strip()]
    if not rules:
        return [], [make_note("M002", f"'{kind}=' names no rule", loc)], []
    sups, notes = vet(((r, reason) for r in rules), known, loc, KINDS[kind], "suppression")
    return sups, notes, []


T = TypeVar("T")


def attach(commands: list[Command], comments: list[Comment],
           parsed: Sequence[tuple[Comment, Sequence[T]]], blocks: Sequence[Block] = ()) -> dict[int, list[T]]:
    """For each command (by index), what the comments alone on the lines above it, or after code on its own
    line, say of it (line suppressions, stated facts). Comments above a compound command (a loop, an if,
    ...) speak of every command it runs."""
    alone_lines = {c.line for c in comments if not c.trailing}
    by_line: dict[int, list[int]] = {}
    for i, cmd in enumerate(commands):
        by_line.setdefault(cmd.line, []).append(i)
    for b in blocks:
        inside = [i for i, cmd in enumerate(commands) if (cmd.line, cmd.column) in b.commands]
        if inside:
            by_line.setdefault(b.line, [])
            by_line[b.line] = list(dict.fromkeys(by_line[b.line] + inside))
    out: dict[int, list[T]] = {}
    for comment, sups in parsed:
        line_sups = [s for s in sups if not isinstance(s, Suppression) or s.scope == "line"]
        if not line_sups:
            continue
        if comment.trailing:
            targets = [i for i, cmd in enumerate(commands)
                       if cmd.line <= comment.line <= max(cmd.line, cmd.end_line)]
        else:
            line = comment.line + 1
            while line in alone_lines and line not in by_line:
                line += 1
            targets = by_line.get(line, [])
        for i in targets:
            out.setdefault(i, []).extend(line_sups)
    return out
