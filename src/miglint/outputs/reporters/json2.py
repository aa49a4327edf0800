"""Compact JSON output (schema miglint-result/2), the default of ``--format json`` and ``--format jsonl``.

A rule's text (name, title, severity, libvirt's message, why, fix, source) is written once, in the ``rules``
table, and file names once, in the ``files`` table, as SARIF has ``tool.driver.rules`` and ``artifacts``. A
result says where it is (``file``: an index into ``files``, ``line``, ``column``), the request as miglint took
it, the prediction, and its findings; a finding refers to its rule by id and carries only what is its own: a
message, code, phase or fix members that differ from the rule's (a message that shows the request's values, a
variant's), the facts it depends on, the subjects at fault, and its line and column when they are not the
request's. Members that would be empty are left out.

- ``json``: ``{"schema", "results": [...], "errors": [...], "notes"?: [...], "files": [...], "rules": {...},
  "summary"}``; results are streamed, the tables follow them.
- ``jsonl``: a ``{"schema": ...}`` line first; a ``{"files": [...]}`` line adds to the file table before the
  first result of a new file, a ``{"rules": {...}}`` line adds to the rule table before the first result that
  refers to a rule not yet listed; then one result per line, and ``{"note": ...}``, ``{"error": ...}`` lines.

``--json-schema-version 1`` gives schema miglint-result/1 (miglint.outputs.reporters.json), for a release.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

from ...engine.fixes import FixPlan
from ...model import Finding, Job, Note, Result
from ...policy.load import PolicySet, Rule
from ...policy.vocabulary import Vocabulary
from . import Summary
from .json import fix_dict, fix_json, location_of, note_dict, related_of

SCHEMA = "miglint-result/2"
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class Body:
    """A result without its id and location (what requests with the same outcome share): the JSON text that
    follows them, and the rules it refers to."""

    __slots__ = ("text", "rules")

    def __init__(self, text: str, rules: tuple[str, ...]) -> None:
        self.text, self.rules = text, rules


class CompactJsonReporter:
    def __init__(self, out: TextIO, vocab: Vocabulary, lines: bool = False, policies: PolicySet | None = None,
                 severities: Mapping[str, str] | None = None) -> None:
        self.out, self.vocab, self.lines, self.policies = out, vocab, lines, policies
        self.severities = dict(severities or {})  # the run's severity overrides, by rule id or name
        self.count = 0
        self.files: dict[str, int] = {}
        self.rules: dict[str, dict[str, Any]] = {}
        self.errors: list[dict[str, Any]] = []
        self.notes: list[dict[str, Any]] = []

    def start(self) -> None:
        self.out.write('{"schema":"%s"}\n' % SCHEMA if self.lines else '{"schema": "%s", "results": [' % SCHEMA)

    # -- the tables ----------------------------------------------------------------------------------------

    def file_index(self, file: str) -> int:
        i = self.files.get(file)
        if i is None:
            i = self.files[file] = len(self.files)
            if self.lines:
                self.out.write(_dumps({"files": [file]}) + "\n")
        return i

    def _refer(self, rules: Iterable[str]) -> None:
        new = {r: self.rule_meta(r) for r in rules if r not in self.rules}
        if new:
            self.rules.update(new)
            if self.lines:
                self.out.write(_dumps({"rules": new}) + "\n")

    def _rule(self, ident: str) -> Rule | None:
        return self.policies.rules.get(ident) if self.policies is not None else None

    def severity(self, rule: Rule) -> str:
        return self.severities.get(rule.id, self.severities.get(rule.name, rule.severity))

    def rule_meta(self, ident: str) -> dict[str, Any]:
        """A rule's entry in the rules table: what every finding of it says unless it says otherwise."""
        r = self._rule(ident)
        if r is None:
            return {}
        s = r.source
        return {"name": r.name, "title": r.title, "severity": self.severity(r), "effect": r.effect, "kind": r.kind,
                "phase": r.groups[0], "code": r.code, "message": self.headline(r), "why": r.why,
                "fix": fix_json(r.fix, self.vocab),
                "source": {"file": s.file, "function": s.function, "libvirt": s.libvirt, "ref": s.ref},
                "policy": r.policy}

    def headline(self, r: Rule) -> str:
        return self.vocab.printed_message(r.code, r.message, r.prefixed)

    # -- results -------------------------------------------------------------------------------------------

    def body(self, job: Job, result: Result, fix: FixPlan | None = None) -> Body:
        """Everything of a result but its id and location, as JSON text (it starts with a comma)."""
        r = result.request
        out: dict[str, Any] = {"hypervisor": r.hypervisor, "libvirt_version": r.libvirt_version, "state": r.state,
                               "mode": r.mode, "prediction": result.prediction}
        refs: dict[str, None] = {}
        if result.first_error is not None:
            out["first_error"] = result.first_error.rule
        if result.depends_on:
            out["depends_on"] = list(result.depends_on)
        if result.findings:
            out["findings"] = [self._finding(f, job) for f in result.findings]
            refs.update((f.rule, None) for f in result.findings)
        plan = _fix_plan(fix)
        if plan is not None:
            out["fix"] = plan
            refs.update((x, None) for x in plan.get("rules", ()))
            refs.update((x, None) for x in plan.get("remaining", ()))
        if job.text is not None:
            out["command"] = job.text
        if job.assumed:
            out["assumed"] = list(job.assumed)
        return Body("," + _dumps(out)[1:], tuple(refs))

    def _finding(self, f: Finding, job: Job) -> dict[str, Any]:
        d: dict[str, Any] = {"rule": f.rule}
        r = self._rule(f.rule)
        if r is None or f.message != self.headline(r):
            d["message"] = f.message
        if r is None or f.code != r.code:
            d["code"] = f.code
        if r is None or f.severity != self.severity(r):
            d["severity"] = f.severity
        if r is None or f.phase != r.groups[0]:
            d["phase"] = f.phase
        if r is None or f.why != r.why:
            d["why"] = f.why  # a condition added a sentence about this request (the parameter meant)
        if f.depends_on:
            d["depends_on"] = list(f.depends_on)
        if f.subjects:
            d["subjects"] = list(f.subjects)
        related = related_of(job, f)
        if related:
            d["related"] = [{"file": self.file_index(x.location.file), "line": x.location.line,
                             "column": x.location.column, "message": x.message} for x in related]
        loc = location_of(job, f)
        if loc is not None and loc != job.location:
            if job.location is None or loc.file != job.location.file:
                d["file"] = self.file_index(loc.file)
            d["line"], d["column"] = loc.line, loc.column
        if r is None:
            d["fix"] = fix_json(f.fix, self.vocab)
        elif f.fix != r.fix:
            mine, rules = fix_json(f.fix, self.vocab), fix_json(r.fix, self.vocab)
            d["fix"] = {k: v for k, v in mine.items() if v != rules[k]}
        return d

    def render(self, job: Job, result: Result, fix: FixPlan | None = None) -> str:
        head = self.head(job)  # the file first: its table line comes before the rules'
        body = self.body(job, result, fix)
        self._refer(body.rules)
        return head + body.text

    def head(self, job: Job) -> str:
        loc = job.location
        if loc is None:
            return '{"id":%s' % _dumps(job.id)
        return '{"id":%s,"file":%d,"line":%d,"column":%d' % (
            _dumps(job.id), self.file_index(loc.file), loc.line, loc.column)

    def result(self, job: Job, result: Result, fix: FixPlan | None = None) -> None:
        self.write_rendered(self.render(job, result, fix))

    def write_rendered(self, text: str) -> None:
        if self.lines:
            self.out.write(text + "\n")
        else:
            self.out.write(("\n" if self.count == 0 else ",\n") + text)
        self.count += 1

    def write_body(self, id_json: str, file: int, line: int, body: Body) -> None:
        """A result written from a body made for an earlier request with the same outcome (``file``: from
        file_index; ``id_json``: the id as JSON text)."""
        if body.rules:
            self._refer(body.rules)
        self.write_rendered('{"id":%s,"file":%d,"line":%d,"column":1%s' % (id_json, file, line, body.text))

    # -- the rest ------------------------------------------------------------------------------------------

    def note(self, note: Note) -> None:
        if self.lines:
            self.out.write(_dumps({"note": note_dict(note)}) + "\n")
        else:
            self.notes.append(note_dict(note))

    def error(self, where: str | None, message: str) -> None:
        self.errors.append({"where": where, "message": message})
        if self.lines:
            self.out.write(json.dumps({"error": message, "where": where}) + "\n")

    def finish(self, summary: Summary) -> None:
        if self.lines:
            return
        notes = ', "notes": %s' % json.dumps(self.notes, ensure_ascii=False) if self.notes else ""
        self.out.write('\n], "errors": %s%s, "files": %s, "rules": %s, "summary": %s}\n' % (
            json.dumps(self.errors), notes, json.dumps(list(self.files), ensure_ascii=False),
            json.dumps(self.rules, ensure_ascii=False), json.dumps(summary.as_dict())))


def _fix_plan(plan: FixPlan | None) -> dict[str, Any] | None:
    """The fixes combined, members that would be empty left out (schema 1's fix_dict, compact)."""
    full = fix_dict(plan)
    if full is None:
        return None
    return {k: v for k, v in full.items() if v or k == "prediction_after"}

