"""JUnit XML for CI test reports (GitLab, Jenkins, Azure): one test case per request, failing when the
request has a finding at or above --fail-on; input errors are test cases in error; notes at or above
--fail-on fail a test case of their own."""

from __future__ import annotations

from typing import Any, TextIO
from xml.etree import ElementTree as ET

from ...engine.fixes import FixPlan
from ...model import SEVERITIES, Job, Note, Result
from ...policy.vocabulary import Vocabulary
from ..describe import fix_words
from ..safe import printable
from . import Summary, where_text
from .json import location_of


class JunitReporter:
    def __init__(self, out: TextIO, vocab: Vocabulary, fail_on: str = "error", fail_on_depends: bool = False) -> None:
        self.fail_on_depends = fail_on_depends
        self.out, self.vocab = out, vocab
        self.rank = SEVERITIES.index(fail_on)
        self.suite = ET.Element("testsuite", name="miglint")
        self.counts = {"tests": 0, "failures": 0, "errors": 0}

    def _case(self, name: str, classname: str, **attrs: Any) -> ET.Element:
        self.counts["tests"] += 1
        case = ET.SubElement(self.suite, "testcase", name=name, classname=classname, time="0")
        for k, v in attrs.items():
            if v is not None:
                case.set(k, str(v))
        return case

    def start(self) -> None:
        return None

    def result(self, job: Job, result: Result, fix: FixPlan | None = None) -> None:
        loc = job.location
        case = self._case(job.id, loc.file if loc else "miglint", file=loc.file if loc else None,
                          line=loc.line if loc else None)
        lines = [f"{job.request.hypervisor} {job.request.libvirt_version}, {job.request.mode}, "
                 f"{job.request.state}: {result.prediction}"]
        failing = []
        for f in result.findings:
            at = location_of(job, f)
            where = f"{at.line}:{at.column} " if at else ""
            maybe = f" (depends on {', '.join(f.depends_on)})" if f.depends_on else ""
            lines.append(f"{where}{f.severity} {f.rule} {f.name}{maybe}: {f.message}")
            fx = fix_words(f.fix, self.vocab)
            lines.append(f"    why: {f.why}" + (f"\n    fix: {fx}" if fx else ""))
            if SEVERITIES.index(f.severity) <= self.rank and (self.fail_on_depends or not f.depends_on):
                failing.append(f)
        if job.text:
            lines.insert(0, job.text)
        if failing:
            self.counts["failures"] += 1
            first = result.first_error if result.first_error in failing else failing[0]
            el = ET.SubElement(case, "failure", message=f"{first.rule} {first.name}: {first.message}",
                               type=first.severity)
            el.text = "\n".join(lines)
        else:
            ET.SubElement(case, "system-out").text = "\n".join(lines)

    def note(self, note: Note) -> None:
        where = where_text(note.file, note.line, note.column)
        case = self._case(f"{note.rule} {note.name} at {where}", note.file or "miglint", file=note.file,
                          line=note.line or None)
        if SEVERITIES.index(note.severity) <= self.rank:
            self.counts["failures"] += 1
            ET.SubElement(case, "failure", message=f"{note.rule} {note.name}: {note.message}",
                          type=note.severity).text = note.message
        else:
            ET.SubElement(case, "system-out").text = f"{note.severity}: {note.message}"

    def error(self, where: str | None, message: str) -> None:
        self.counts["errors"] += 1
        case = self._case(where or "input", "miglint.input")
        ET.SubElement(case, "error", message=message, type="input-error").text = \
            f"{where}: {message}" if where else message

    def finish(self, summary: Summary) -> None:
        for k, v in self.counts.items():
            self.suite.set(k, str(v))
        self.suite.set("skipped", "0")
        self.suite.set("time", "0")
        root = ET.Element("testsuites", {"name": "miglint", **{k: str(v) for k, v in self.counts.items()}})
        root.append(self.suite)
        ET.indent(root)
        self.out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        self.out.write(printable(ET.tostring(root, encoding="unicode")))  # what XML forbids, as escapes
        self.out.write("\n")
