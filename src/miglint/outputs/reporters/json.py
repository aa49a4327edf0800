"""JSON output (schema miglint-result/1): one document ``{"schema", "results": [...], "errors": [...],
"summary"}``, streamed, or JSON Lines with one result per line (``--format jsonl``).

Notes (miglint's own M rules: unused suppressions, ...) add a ``"notes": [...]`` list to the document only
when there are some, so documents without notes are unchanged; in JSON Lines each is a ``{"note": ...}`` line."""

from __future__ import annotations

import json
from typing import Any, TextIO

from ...engine.fixes import FixPlan
from ...model import UNKNOWN, Finding, Fix, Job, Location, Note, Related, Result
from ...policy.vocabulary import FLAG_PREFIX, Vocabulary
from ..describe import fix_words
from . import Summary

SCHEMA = "miglint-result/1"


def _loc(loc: Location | None) -> dict[str, Any] | None:
    return None if loc is None else {"file": loc.file, "line": loc.line, "column": loc.column}


def location_of(job: Job | None, finding: Finding | None) -> Location | None:
    if job is None:
        return None
    if finding is not None and job.subject_locations:
        where = dict(job.subject_locations)
        for s in finding.subjects:
            if s in where:
                return where[s]
    return job.location


def related_of(job: Job | None, finding: Finding) -> list[Related]:
    """Where else a finding comes from (the lines of code that set what is at fault, the conditions of the way)."""
    if job is None or not job.related:
        return []
    return [r for r in job.related if r.rule == finding.rule]


def _param(v: Any) -> Any:
    if v is UNKNOWN:
        return None
    return list(v) if isinstance(v, tuple) else v


param_json = _param


def fix_json(fix: Fix, vocab: Vocabulary) -> dict[str, Any]:
    """A finding's (or a rule's) fix as JSON."""
    return {"text": fix_words(fix, vocab), "safe": fix.safe,
            "add_flags": [FLAG_PREFIX + x for x in fix.add_flags],
            "remove_flags": [FLAG_PREFIX + x for x in fix.remove_flags],
            "add_options": ["--" + x for x in fix.add_options] + [
                "--" + vocab.option_for_flag[x] for x in fix.add_flags if x in vocab.option_for_flag],
            "remove_options": ["--" + x for x in fix.remove_options],
            "remove_params": list(fix.remove_params),
            "set_params": {k: _param(v) for k, v in fix.set_params}}


def finding_dict(f: Finding, job: Job | None, vocab: Vocabulary) -> dict[str, Any]:
    return {
        "rule": f.rule, "name": f.name, "severity": f.severity, "effect": f.effect, "kind": f.kind,
        "message": f.message, "code": f.code, "phase": f.phase, "why": f.why,
        "fix": fix_json(f.fix, vocab),
        "source": {"file": f.source.file, "function": f.source.function, "libvirt": f.source.libvirt,
                   "ref": f.source.ref},
        "depends_on": list(f.depends_on),
        "subjects": list(f.subjects),
        "location": _loc(location_of(job, f)),
        "policy": f.policy,
        **({"related": [{"location": _loc(r.location), "message": r.message} for r in related]}
           if (related := related_of(job, f)) else {}),
    }


def fix_dict(plan: FixPlan | None) -> dict[str, Any] | None:
    if plan is None or not plan.changed:
        return None
    return {
        "add_flags": [FLAG_PREFIX + x for x in plan.add_flags],
        "remove_flags": [FLAG_PREFIX + x for x in plan.remove_flags],
        "add_options": ["--" + x for x in plan.add_options],
        "remove_options": ["--" + x for x in plan.remove_options],
        "remove_params": list(plan.remove_params),
        "set_params": {k: _param(v) for k, v in plan.set_params},
        "rules": list(plan.applied),
        "prediction_after": plan.result.prediction,
        "remaining": [f.rule for f in plan.result.findings],
    }


def result_dict(result: Result, job: Job | None, vocab: Vocabulary, fix: FixPlan | None = None) -> dict[str, Any]:
    r = result.request
    fe = result.first_error
    return {
        "id": job.id if job else None,
        "hypervisor": r.hypervisor, "libvirt_version": r.libvirt_version, "state": r.state, "mode": r.mode,
        "flags": [FLAG_PREFIX + n for n in vocab.flag_names(r.flags)], "flags_value": r.flags,
        "params": {k: _param(v) for k, v in r.params},
        "prediction": result.prediction,
        "first_error": None if fe is None else {"rule": fe.rule, "message": fe.message, "code": fe.code},
        "depends_on": list(result.depends_on),
        "findings": [finding_dict(f, job, vocab) for f in result.findings],
        "fix": fix_dict(fix),
        "command": job.text if job else None,
        "location": _loc(job.location if job else None),
        "assumed": list(job.assumed) if job else [],
    }


def note_dict(note: Note) -> dict[str, Any]:
    loc = None if note.file is None else {"file": note.file, "line": note.line or None,
                                           "column": note.column or None}
    return {"rule": note.rule, "name": note.name, "severity": note.severity, "message": note.message,
            "location": loc}


class JsonReporter:
    def __init__(self, out: TextIO, vocab: Vocabulary, lines: bool = False) -> None:
        self.out, self.vocab, self.lines = out, vocab, lines
        self.count = 0
        self.errors: list[dict[str, Any]] = []
        self.notes: list[dict[str, Any]] = []

    def note(self, note: Note) -> None:
        if self.lines:
            self.out.write(json.dumps({"note": note_dict(note)}, ensure_ascii=False) + "\n")
        else:
            self.notes.append(note_dict(note))

    def start(self) -> None:
        if not self.lines:
            self.out.write('{"schema": "%s", "results": [' % SCHEMA)

    def render(self, job: Job, result: Result, fix: FixPlan | None = None) -> str:
        return json.dumps(result_dict(result, job, self.vocab, fix), ensure_ascii=False, separators=(",", ":"))

    def write_rendered(self, text: str) -> None:
        if self.lines:
            self.out.write(text + "\n")
        else:
            self.out.write(("\n" if self.count == 0 else ",\n") + text)
        self.count += 1

    def result(self, job: Job, result: Result, fix: FixPlan | None = None) -> None:
        self.write_rendered(self.render(job, result, fix))

    def error(self, where: str | None, message: str) -> None:
        self.errors.append({"where": where, "message": message})
        if self.lines:
            self.out.write(json.dumps({"error": message, "where": where}) + "\n")

    def finish(self, summary: Summary) -> None:
        if not self.lines:
            notes = ', "notes": %s' % json.dumps(self.notes, ensure_ascii=False) if self.notes else ""
            self.out.write("\n], \"errors\": %s%s, \"summary\": %s}\n" % (
                json.dumps(self.errors), notes, json.dumps(summary.as_dict())))
