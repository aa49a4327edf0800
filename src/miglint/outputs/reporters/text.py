"""Text output for people: per finding where, rule, severity, libvirt's message, why and fix; then a summary."""

from __future__ import annotations

import os
import re
from typing import TextIO

from ...engine.fixes import FixPlan
from ...model import ACTIVE, Finding, Job, Note, Result
from ...policy.vocabulary import Vocabulary
from ..describe import fix_words, plan_words
from ..safe import printable_around
from . import Summary, where_text
from .json import location_of, related_of

_COLORS = {"error": "\033[31m", "warning": "\033[33m", "info": "\033[36m", "bold": "\033[1m", "dim": "\033[2m",
           "reset": "\033[0m", "accepted": "\033[32m", "rejected": "\033[31m", "depends": "\033[33m"}
_OWN_CODES = re.compile("|".join(sorted({re.escape(c) for c in _COLORS.values()})))


VERBS = {"reject": "refused", "fail": "refused", "warn": "warned", "info": "noted", "policy": "against policy"}
STATE_WORDS = {"shutoff": "shut off"}


# What is open in a request, by its depends_on word: a script's words, values code computes, the ways through code.
OPEN = {"options": ("words known only when it runs", "depending on what they hold"),
        "values": ("values the code computes when it runs", "depending on what they hold"),
        "paths": ("the path taken", "depending on which way through the code (more than are followed one by one)")}
# A result's depends_on: libvirt refuses the request on some ways through the code, not on others.
PATH_WORDS = {"path": "the path taken"}


def _group(f: Finding, open_words: bool) -> str:
    """The missing fact a conditional finding is said under: the words miglint cannot know first (a parameter
    that may hide in them is one of them), then the state, then the rest."""
    for word in OPEN:
        if word in f.depends_on:
            return word
    if open_words and all(d.startswith("param:") for d in f.depends_on):
        return "options"
    if "state" in f.depends_on:
        return "state"
    return f.depends_on[0]


def depends_lines(job: Job, result: Result) -> list[tuple[str, str]]:
    """One line per missing fact for the findings that depend on one: what turns on it, and the rules."""
    groups: dict[str, list[Finding]] = {}
    for f in result.findings:
        if f.depends_on:
            groups.setdefault(_group(f, job.request.open_options), []).append(f)
    domain = job.request.domain or "the domain"
    out = []
    for key, found in groups.items():
        if key == "state":
            cases: dict[tuple[str, tuple[str, ...]], list[str]] = {}
            for f in found:
                cases.setdefault((VERBS.get(f.effect, "noted"), f.states), []).append(f.rule)
            parts = []
            for (verb, states), rules in cases.items():
                when = " or ".join(STATE_WORDS.get(s, s) for s in states) or "in some state"
                parts.append(f"{verb} if {domain} is {when} ({', '.join(rules)})")
            out.append(("state", "; ".join(parts)))
        elif key in OPEN:
            rules = [f.rule for f in found]
            shown = ", ".join(rules[:8]) + (f" and {len(rules) - 8} more" if len(rules) > 8 else "")
            subject, how = OPEN[key]
            out.append((subject, f"{len(rules)} rule(s) could apply, {how} ({shown}; --format json lists each)"))
        else:
            verbs = sorted({VERBS.get(f.effect, "noted") for f in found})
            subject = key.split(":", 1)[1] if ":" in key else key.replace("_", " ")
            out.append((subject, f"{' or '.join(verbs)} depending on it ({', '.join(f.rule for f in found)})"))
    return out


class _Shown:
    """The stream a text report goes to, every line shown safely (outputs.safe): what comes from the inputs
    cannot act on the terminal; the reporter's own colour codes pass."""

    def __init__(self, out: TextIO) -> None:
        self.stream = out

    def write(self, text: str) -> int:
        return self.stream.write(printable_around(text, _OWN_CODES))


class TextReporter:
    def __init__(self, out: TextIO, vocab: Vocabulary, color: bool | None = None, verbose: bool = True) -> None:
        self.out, self.vocab = _Shown(out), vocab
        if color is None:
            color = hasattr(out, "isatty") and out.isatty() and not os.environ.get("NO_COLOR")
        self.color = color
        self.verbose = verbose

    def _c(self, name: str, text: str) -> str:
        return f"{_COLORS[name]}{text}{_COLORS['reset']}" if self.color else text

    def start(self) -> None:
        return None

    def result(self, job: Job, result: Result, fix: FixPlan | None = None) -> None:
        w = self.out.write
        r = result.request
        where = job.location
        head = f"{where.file}:{where.line}:{where.column}" if where else job.id
        label = f" [{job.id}]" if where and job.id and not job.id.startswith(where.file) else ""
        state = {"unknown": "state unknown", ACTIVE: "running or paused"}.get(r.state, r.state)
        w(self._c("bold", f"{head}{label}") + f": {r.hypervisor} {r.libvirt_version}, {r.mode}, {state}: ")
        verdict = result.prediction
        org = sum(1 for f in result.findings if f.effect == "policy")
        against = f"; {org} organisation rule{'s' if org > 1 else ''} not met" if org else ""
        if verdict == "rejected" and result.first_error:
            w(self._c(verdict, "rejected") + f" (libvirt reports {result.first_error.rule} first){against}\n")
        elif verdict == "depends":
            facts = [PATH_WORDS[d] for d in result.depends_on if d in PATH_WORDS]
            facts = list(dict.fromkeys(facts + [key for key, _ in depends_lines(job, result)]))
            w(self._c(verdict, "depends") + f" on {', '.join(facts)}{against}\n")
        else:
            w(self._c(verdict, verdict) + (f" by libvirt{against}" if org else "") + "\n")
        for said in job.assumed:
            w(f"  {self._c('dim', 'assumed')}: {said}\n")
        for f in result.findings:
            if f.depends_on:
                continue  # said compactly below, one line per missing fact
            loc = location_of(job, f)
            at = f"{loc.line}:{loc.column}" if loc else ""
            code = f" [{f.code}]" if f.code else ""
            w(f"  {at:>7} {self._c(f.severity, f.severity)} {f.rule} {f.name}\n")
            w(f"          {f.message}{self._c('dim', code)}\n")
            if self.verbose:
                w(f"          why: {f.why}\n")
                fx = fix_words(f.fix, self.vocab)
                if fx:
                    w(f"          fix: {fx}\n")
                for rel in related_of(job, f):
                    w(f"          {self._c('dim', f'{rel.location.line}:{rel.location.column}')}: {rel.message}\n")
        for key, line in depends_lines(job, result):
            w(f"  {self._c('depends', 'depends')} on {key}: {line}\n")
        if fix is not None and fix.changed:
            w(f"  {self._c('bold', 'fix')}: {plan_words(fix)} (then: {fix.result.prediction})\n")

    def note(self, note: Note) -> None:
        where = where_text(note.file, note.line, note.column)
        self.out.write(f"{where}: {self._c(note.severity, note.severity)} {note.rule} {note.name}: {note.message}\n")

    def error(self, where: str | None, message: str) -> None:
        self.out.write(f"{where}: error: {message}\n" if where else f"error: {message}\n")

    def finish(self, summary: Summary) -> None:
        p, s = summary.predictions, summary.severities
        n = summary.requests
        line = (f"{n} request{'s' if n != 1 else ''}: {p['accepted']} accepted, {p['rejected']} rejected, "
                f"{p['depends']} depend on missing facts; findings: {s['error']} error(s), {s['warning']} "
                f"warning(s), {s['info']} info")
        if summary.conditional:
            line += f", {summary.conditional} depending on missing facts"
        if summary.input_errors:
            line += f"; {summary.input_errors} input error(s)"
        if summary.suppressed:
            line += f"; {summary.suppressed} suppressed"
        if summary.notes:
            line += f"; {summary.notes} note(s)"
        self.out.write(line + "\n")
