"""Reporters: results -> text for a stream. Each takes the same (job, result) pairs."""

from __future__ import annotations

from typing import Protocol, TextIO

from ..fixes import FixPlan
from ..model import Job, Result
from ..vocabulary import Vocabulary


class Reporter(Protocol):
    def start(self) -> None: ...
    def result(self, job: Job, result: Result, fix: FixPlan | None = None) -> None: ...
    def error(self, where: str | None, message: str) -> None: ...
    def finish(self, summary: "Summary") -> None: ...


class Summary:
    """Counts over a run; reporters print it, the CLI turns it into an exit code."""

    def __init__(self) -> None:
        self.requests = 0
        self.predictions = {"accepted": 0, "rejected": 0, "depends": 0}
        self.severities = {"error": 0, "warning": 0, "info": 0}
        self.input_errors = 0
        self.suppressed = 0

    def add(self, result: Result, shown: list[tuple[str, str]]) -> None:
        self.requests += 1
        self.predictions[result.prediction] += 1
        for _, sev in shown:
            self.severities[sev] += 1

    def as_dict(self) -> dict[str, object]:
        return {"requests": self.requests, "predictions": dict(self.predictions),
                "findings": dict(self.severities), "input_errors": self.input_errors,
                "suppressed": self.suppressed}


def make_reporter(name: str, out: TextIO, vocab: Vocabulary, **options: object) -> Reporter:
    if name == "text":
        from .text import TextReporter
        return TextReporter(out, vocab, **options)  # type: ignore[arg-type]
    if name == "json":
        from .json import JsonReporter
        return JsonReporter(out, vocab, lines=False)
    if name == "jsonl":
        from .json import JsonReporter
        return JsonReporter(out, vocab, lines=True)
    raise KeyError(name)


FORMATS = ("text", "json", "jsonl")
