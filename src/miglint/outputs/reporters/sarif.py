"""SARIF 2.1.0 for code scanning (GitHub, GitLab, Azure DevOps): one run, the rules that fired with their
documentation, one result per finding and note with its real file, line and column.

The document is written at the end (SARIF is one JSON object). An input error is a result of miglint's rule
M007 (input-error) at its position, so code scanning shows it where it is, and a tool execution notification.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

from ...about import __version__
from ...engine.fixes import FixPlan
from ...model import Finding, Job, Location, Note, Result
from ...notes import NOTE_RULES
from ...policy.vocabulary import Vocabulary
from ..describe import fix_words
from ..streams import UNENCODABLE
from . import Summary
from .json import location_of, related_of

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
_WHERE = re.compile(r"^(?P<file>.*?):(?P<line>\d+)(?::(?P<col>\d+))?$")


def artifact_uri(file: str) -> str | None:
    """A relative path stays relative (to %SRCROOT%), with '/' separators; an absolute one becomes file://."""
    if file.startswith("<"):
        return None
    p = Path(file)
    if p.is_absolute():
        return p.as_uri()
    return quote(p.as_posix(), errors="surrogateescape")  # a name that is no UTF-8: its bytes


def _location(file: str | None, line: int, column: int) -> dict[str, Any] | None:
    uri = artifact_uri(file) if file else None
    if uri is None:
        return None
    art: dict[str, Any] = {"uri": uri}
    if not uri.startswith("file:"):
        art["uriBaseId"] = "%SRCROOT%"
    phys: dict[str, Any] = {"artifactLocation": art}
    if line > 0:
        phys["region"] = {"startLine": line, **({"startColumn": column} if column > 0 else {})}
    return {"physicalLocation": phys}


class SarifReporter:
    def __init__(self, out: TextIO, vocab: Vocabulary, policies: Any = None,
                 rule_docs: str | None = None, fail_on_depends: bool = False) -> None:
        self.out, self.vocab, self.policies, self.rule_docs = out, vocab, policies, rule_docs
        self.fail_on_depends = fail_on_depends
        self.results: list[dict[str, Any]] = []
        self.rule_ids: list[str] = []
        self.rule_index: dict[str, int] = {}
        self.notifications: list[dict[str, Any]] = []

    def _index(self, rule: str) -> int:
        i = self.rule_index.get(rule)
        if i is None:
            i = self.rule_index[rule] = len(self.rule_ids)
            self.rule_ids.append(rule)
        return i

    def start(self) -> None:
        return None

    def result(self, job: Job, result: Result, fix: FixPlan | None = None) -> None:
        for f in result.findings:
            loc = location_of(job, f)
            self.results.append(self._result(f, job, loc, result.prediction))

    def _result(self, f: Finding, job: Job, loc: Location | None, prediction: str) -> dict[str, Any]:
        text = f.message
        if f.depends_on:
            text += f" (depends on {', '.join(f.depends_on)})"
        fx = fix_words(f.fix, self.vocab)
        if fx:
            text += f". Fix: {fx}"
        # A finding that depends on a fact the input does not give is a note, unless it fails the run.
        level = "note" if f.depends_on and not self.fail_on_depends else LEVELS[f.severity]
        out: dict[str, Any] = {"ruleId": f.rule, "ruleIndex": self._index(f.rule), "level": level,
                               "message": {"text": text}}
        where = _location(loc.file, loc.line, loc.column) if loc else None
        if where:
            out["locations"] = [where]
        related = []
        for n, rel in enumerate(related_of(job, f)):
            place = _location(rel.location.file, rel.location.line, rel.location.column)
            if place:
                related.append({"id": n, **place, "message": {"text": rel.message}})
        if related:
            out["relatedLocations"] = related
        basis = f"{f.rule}\0{loc.file if loc else ''}\0{job.text or job.id}"
        out["partialFingerprints"] = {"miglintRequest/v1": hashlib.sha256(basis.encode("utf-8", UNENCODABLE)).hexdigest()[:32]}
        out["properties"] = {"request": job.id, "prediction": prediction, "effect": f.effect,
                             "hypervisor": job.request.hypervisor, "libvirtVersion": job.request.libvirt_version}
        if f.depends_on:
            out["properties"]["dependsOn"] = list(f.depends_on)
        if job.assumed:
            out["properties"]["assumed"] = list(job.assumed)
        return out

    def note(self, note: Note) -> None:
        res: dict[str, Any] = {"ruleId": note.rule, "ruleIndex": self._index(note.rule),
                               "level": LEVELS[note.severity], "message": {"text": note.message}}
        where = _location(note.file, note.line, note.column)
        if where:
            res["locations"] = [where]
        self.results.append(res)

    def error(self, where: str | None, message: str) -> None:
        """An input error is a result of miglint's rule M007 at its position, so that code scanning shows it
        where it is (and a tool execution notification too, for the log)."""
        n: dict[str, Any] = {"level": "error", "message": {"text": message}}
        result: dict[str, Any] = {"ruleId": "M007", "ruleIndex": self._index("M007"), "level": "error",
                                  "message": {"text": message}}
        if where:
            m = _WHERE.match(where)
            loc = _location(m.group("file"), int(m.group("line")), int(m.group("col") or 0)) if m \
                else _location(where, 0, 0)
            if loc:
                n["locations"] = [loc]
                result["locations"] = [loc]
        basis = f"M007\0{where or ''}\0{message}"
        result["partialFingerprints"] = {"miglintRequest/v1": hashlib.sha256(basis.encode("utf-8", UNENCODABLE)).hexdigest()[:32]}
        self.notifications.append(n)
        self.results.append(result)

    def _descriptor(self, rule_id: str) -> dict[str, Any]:
        # helpUri is an absolute URI (SARIF 3.49.12): given only when the configuration's rule-docs-url says
        # where the rule pages are served; the help text names the page in miglint's repository anyway.
        link = {"helpUri": self.rule_docs.replace("{rule}", rule_id)} if self.rule_docs else {}
        page = f"Rule page: docs/rules/{rule_id}.md in miglint's repository."
        note = NOTE_RULES.get(rule_id)
        if note is not None:
            return {"id": note.id, "name": note.name, "shortDescription": {"text": note.summary},
                    "fullDescription": {"text": note.why},
                    "help": {"text": f"{note.why}\nFix: {note.fix}\n{page}",
                             "markdown": f"{note.why}\n\n**Fix:** {note.fix}\n\n{page}"},
                    **link, "defaultConfiguration": {"level": LEVELS[note.severity]},
                    "properties": {"tags": ["miglint"]}}
        r = self.policies.rules[rule_id] if self.policies is not None and rule_id in self.policies.rules else None
        if r is None:
            return {"id": rule_id, **link}
        fix = r.fix.text or ""
        src = r.source
        cite = f"{src.file} {src.function}".strip() + (f" (libvirt {src.libvirt})" if src.libvirt else "")
        full = r.why + (f" {r.doc['doc'].strip()}" if isinstance(r.doc.get("doc"), str) else "")
        lines = [r.why] + ([f"libvirt says: {r.message}"] if r.message else []) + \
                ([f"Fix: {fix}"] if fix else []) + ([f"Source: {cite}"] if src.file else [])
        md = [r.why] + ([f"libvirt says: `{r.message}`"] if r.message else []) + \
             ([f"**Fix:** {fix}"] if fix else []) + ([f"Source: `{cite}`"] if src.file else [])
        return {"id": r.id, "name": r.name,
                "shortDescription": {"text": r.title},
                "fullDescription": {"text": full},
                "help": {"text": "\n".join(lines + [page]), "markdown": "\n\n".join(md + [page])},
                **link,
                "defaultConfiguration": {"level": LEVELS[r.severity]},
                "properties": {"tags": list(dict.fromkeys([r.policy, r.kind, r.effect]))}}

    def finish(self, summary: Summary) -> None:
        driver: dict[str, Any] = {"name": "miglint", "version": __version__, "semanticVersion": __version__}
        if self.rule_docs:
            driver["informationUri"] = self.rule_docs.split("{rule}")[0]
        driver["rules"] = [self._descriptor(r) for r in self.rule_ids]
        run: dict[str, Any] = {
            "tool": {"driver": driver},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": Path(os.getcwd()).as_uri() + "/"}},
            "invocations": [{"executionSuccessful": summary.input_errors == 0,
                             "toolExecutionNotifications": self.notifications}],
            "results": self.results,
            "columnKind": "unicodeCodePoints",
            "properties": {"summary": summary.as_dict()},
        }
        doc = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
        json.dump(doc, self.out, indent=2, ensure_ascii=False)
        self.out.write("\n")
