"""Reporters: results -> text for a stream. Each takes the same (job, result) pairs, notes and input errors.

One module per format, picked by name from :data:`REPORTERS` and imported only when chosen (the SARIF and
JUnit modules cost nothing to a text run).
"""

from __future__ import annotations

import importlib
from typing import Protocol, TextIO

from ...engine.fixes import FixPlan
from ...model import Job, Note, Result
from ...policy.vocabulary import Vocabulary


class Reporter(Protocol):
    def start(self) -> None: ...
    def result(self, job: Job, result: Result, fix: FixPlan | None = None) -> None: ...
    def note(self, note: Note) -> None: ...
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
        self.notes = 0
        self.conditional = 0  # findings that depend on a fact the input does not give (not in severities)
        self.files = 0  # files read

    def add(self, result: Result) -> None:
        """A result as shown (findings filtered and severities overridden by the settings)."""
        self.requests += 1
        self.predictions[result.prediction] += 1
        for f in result.findings:
            if f.depends_on:
                self.conditional += 1
            else:
                self.severities[f.severity] += 1

    def add_known(self, prediction: str, severities: tuple[str, ...], suppressed: int, times: int = 1,
                  conditional: int = 0) -> None:
        """The counts of requests whose outcome is already known (repeated plan lines)."""
        self.requests += times
        self.conditional += conditional * times
        self.predictions[prediction] += times
        self.suppressed += suppressed * times
        for sev in severities:
            self.severities[sev] += times

    def as_dict(self) -> dict[str, object]:
        return {"requests": self.requests, "predictions": dict(self.predictions),
                "findings": dict(self.severities), "conditional": self.conditional,
                "input_errors": self.input_errors, "suppressed": self.suppressed}


# name -> (module under miglint.reporters, class, fixed options)
REPORTERS: dict[str, tuple[str, str, dict[str, object]]] = {
    "text": ("text", "TextReporter", {}),
    "json": ("json2", "CompactJsonReporter", {"lines": False}),
    "jsonl": ("json2", "CompactJsonReporter", {"lines": True}),
    "sarif": ("sarif", "SarifReporter", {}),
    "junit": ("junit", "JunitReporter", {}),
    "github": ("github", "GithubReporter", {}),
}
FORMATS = tuple(REPORTERS)
# Options a reporter accepts beyond (out, vocab); others given to make_reporter are left out.
_ACCEPTS = {"text": {"verbose", "color"}, "sarif": {"policies", "rule_docs", "fail_on_depends"},
            "junit": {"fail_on", "fail_on_depends"}, "github": {"fail_on_depends"},
            "json": {"policies", "severities"}, "jsonl": {"policies", "severities"}}
# --json-schema-version 1: the schema before rules and files were tables (kept for a release).
SCHEMA_1 = {"json": ("json", "JsonReporter", {"lines": False}), "jsonl": ("json", "JsonReporter", {"lines": True})}
JSON_SCHEMA_VERSIONS = ("1", "2")


def make_reporter(name: str, out: TextIO, vocab: Vocabulary, json_schema_version: str | None = None,
                  **options: object) -> Reporter:
    """The reporter for a format name; options a format does not take are ignored (KeyError: no such format)."""
    module, cls, fixed = SCHEMA_1[name] if json_schema_version == "1" and name in SCHEMA_1 else REPORTERS[name]
    mod = importlib.import_module(f"{__name__}.{module}")
    accepts = _ACCEPTS.get(name, set()) if module != "json" else set()
    kwargs = {k: v for k, v in options.items() if k in accepts}
    return getattr(mod, cls)(out, vocab, **fixed, **kwargs)  # type: ignore[no-any-return]


def where_text(file: str | None, line: int = 0, column: int = 0) -> str:
    """file:line:col, leaving out what is not known."""
    parts = [file or "<input>"]
    if line:
        parts.append(str(line))
        if column:
            parts.append(str(column))
    return ":".join(parts)
