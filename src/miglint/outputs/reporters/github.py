"""GitHub Actions workflow commands: ``::error file=F,line=L,col=C,title=RULE name::message`` per finding
and note (warning and notice for lower severities), so they show as annotations on the pull request."""

from __future__ import annotations

from typing import TextIO

from ...engine.fixes import FixPlan
from ...model import Job, Note, Result
from ...policy.vocabulary import Vocabulary
from ..describe import fix_words
from . import Summary
from .json import location_of

LEVELS = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(s: str) -> str:
    return escape_data(s).replace(":", "%3A").replace(",", "%2C")


def command(level: str, message: str, file: str | None = None, line: int = 0, col: int = 0,
            title: str | None = None) -> str:
    props = []
    if file and not file.startswith("<"):
        props.append(f"file={escape_property(file)}")
        if line:
            props.append(f"line={line}")
            if col:
                props.append(f"col={col}")
    if title:
        props.append(f"title={escape_property(title)}")
    return f"::{level}{' ' + ','.join(props) if props else ''}::{escape_data(message)}\n"


class GithubReporter:
    def __init__(self, out: TextIO, vocab: Vocabulary, fail_on_depends: bool = False) -> None:
        self.out, self.vocab, self.fail_on_depends = out, vocab, fail_on_depends

    def start(self) -> None:
        return None

    def result(self, job: Job, result: Result, fix: FixPlan | None = None) -> None:
        for f in result.findings:
            loc = location_of(job, f)
            msg = f.message + (f" (depends on {', '.join(f.depends_on)})" if f.depends_on else "")
            fx = fix_words(f.fix, self.vocab)
            msg += f"\nwhy: {f.why}" + (f"\nfix: {fx}" if fx else "")
            level = "notice" if f.depends_on and not self.fail_on_depends else LEVELS[f.severity]
            self.out.write(command(level, msg, loc.file if loc else None, loc.line if loc else 0,
                                   loc.column if loc else 0, f"{f.rule} {f.name}"))

    def note(self, note: Note) -> None:
        self.out.write(command(LEVELS[note.severity], note.message, note.file, note.line, note.column,
                               f"{note.rule} {note.name}"))

    def error(self, where: str | None, message: str) -> None:
        file, line, col = None, 0, 0
        if where:
            parts = where.split(":")
            nums: list[int] = []
            while len(parts) > 1 and parts[-1].isdigit():
                nums.insert(0, int(parts.pop()))
            file = ":".join(parts)
            line, col = (nums + [0, 0])[:2]
        self.out.write(command("error", message, file, line, col, "miglint: input error"))

    def finish(self, summary: Summary) -> None:
        p, s = summary.predictions, summary.severities
        self.out.write(f"miglint: {summary.requests} request(s): {p['accepted']} accepted, {p['rejected']} rejected, "
                       f"{p['depends']} depend on missing facts; {s['error']} error(s), {s['warning']} warning(s), "
                       f"{s['info']} info; {summary.input_errors} input error(s)\n")
