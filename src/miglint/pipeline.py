"""What `miglint check` does between the command line and the reporters: find inputs, make jobs,
evaluate, filter findings by settings (disabled rules, severities, suppressions), count. Returns an exit
code; prints nothing itself."""

from __future__ import annotations

import fnmatch
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from .errors import UserError, path_problem
from .engine.evaluate import Evaluator
from .outputs.jsonl_templates import LineMemo, Outcome, make_template
from .inputs.request import Defaults
from .model import SEVERITIES, Job, Note, Result, Suppression
from .notes import make_note
from .policy.load import PolicySet
from .outputs.reporters import Reporter, Summary

SCRIPT_SUFFIXES = (".sh", ".bash", ".ksh", ".zsh")
DEFAULT_INCLUDE = ("*.sh", "*.bash", "*.plan.yaml", "*.plan.yml", "*.plan.json", "*.plan.jsonl")
DEFAULT_EXCLUDE = (".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox",
                   "*.miglint.tmp")  # what a killed `fix --in-place` may leave (output.replace_file)
MAX_FILE_BYTES = 64 << 20
XML_FACT = "domain.xml"  # a domain's XML on a request, turned into domain.* facts by miglint.context

Item = Job | UserError | Note | Suppression


class Settings(NamedTuple):
    """Everything a run needs besides its inputs; built by miglint.config from defaults, file and options."""

    defaults: Defaults = Defaults()
    fail_on: str = "error"
    exit_zero: bool = False
    disabled: frozenset[str] = frozenset()  # rule ids or names
    severity: tuple[tuple[str, str], ...] = ()  # (rule id or name, severity)
    include: tuple[str, ...] = DEFAULT_INCLUDE
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    max_file_bytes: int = MAX_FILE_BYTES  # plans and scripts read whole (JSON Lines is streamed)
    max_line_bytes: int = 1 << 20  # a JSON Lines line (inputs.plan.MAX_LINE_BYTES)
    suppress: bool = True  # False: --no-suppress, every finding is shown
    replace: tuple[tuple[str, str], ...] = ()  # (policy, organisation policy that stands in for it)
    base_dir: str | None = None  # exclude patterns with a '/' are relative to this (the config file's directory)
    # A mixed fleet: check every request against each of these hypervisors (they override the request's own).
    hypervisors: tuple[str, ...] = ()
    # Facts from the command line, domain XML and a live host, added to every job (miglint.context.Context).
    context: Any = None


def excluded(path: Path, root: Path, settings: Settings) -> bool:
    """A pattern without '/' matches a file or directory name; with '/', the path from the base directory
    (the configuration file's) or, outside it, from the directory being walked."""
    name = path.name
    rel: str | None = None
    for pat in settings.exclude:
        if "/" not in pat:
            if fnmatch.fnmatch(name, pat):
                return True
            continue
        if rel is None:
            rel = _relative(path, root, settings)
        if fnmatch.fnmatch(rel, pat.strip("/")) or fnmatch.fnmatch(rel, pat.strip("/") + "/*"):
            return True
    return False


def _relative(path: Path, root: Path, settings: Settings) -> str:
    if settings.base_dir is not None:
        try:
            return Path(os.path.abspath(path)).relative_to(os.path.abspath(settings.base_dir)).as_posix()
        except ValueError:
            pass
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def walk(paths: Sequence[str], settings: Settings) -> Iterator[Path | UserError | Note]:
    for p in paths:
        if p == "-":
            yield Path("-")
            continue
        path = Path(p)
        if path.is_dir():
            yield from _walk_dir(path, settings)
        elif path.exists():
            yield path  # a pipe named on the command line is read (`miglint check <(make-plan)`)
        else:
            yield UserError(path_problem(p), p)


def _walk_dir(root: Path, settings: Settings) -> Iterator[Path | UserError | Note]:
    seen: set[tuple[int, int]] = set()
    errors: list[OSError] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True, onerror=errors.append):
        while errors:
            e = errors.pop()
            yield UserError(f"cannot read directory: {e.strerror}", e.filename)
        try:
            st = os.stat(dirpath)
        except OSError as e:
            yield UserError(f"cannot read directory: {e.strerror}", dirpath)
            dirnames[:] = []
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen:
            dirnames[:] = []
            yield make_note("M004", f"{os.path.realpath(dirpath)} was already walked: the link is not followed again",
                            file=dirpath)
            continue
        seen.add(key)
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not excluded(here / d, root, settings))
        for name in sorted(filenames):
            path = here / name
            if excluded(path, root, settings):
                continue
            if any(fnmatch.fnmatch(name, pat) for pat in settings.include):
                # Only regular files (and links to them) are read: a pipe in a tree would block the walk,
                # and a link loop or a broken link is said as such.
                yield path if path.is_file() else UserError(path_problem(str(path)), str(path))
    for err in errors:  # a directory that could not be read after the last one that could
        yield UserError(f"cannot read directory: {err.strerror}", err.filename)


def _kind(path: Path, head: bytes) -> str:
    from .inputs.plan import PLAN_SUFFIXES

    name = path.name.lower()
    for suffix, kind in PLAN_SUFFIXES.items():
        if name.endswith(suffix):
            return kind
    if name.endswith(SCRIPT_SUFFIXES) or head.startswith(b"#!"):
        return "script"
    stripped = head.lstrip()
    if stripped.startswith(b"{") and b"\n{" in head:
        return "jsonl"
    if stripped.startswith((b"[", b"{")):
        return "json"
    return "script"


def jobs_from_file(path: Path, policies: PolicySet, settings: Settings,
                   memo: LineMemo | None = None) -> Iterator[Item]:
    from .inputs import plan, script

    defaults = settings.defaults
    name = "<stdin>" if str(path) == "-" else str(path)
    try:
        if str(path) == "-":
            stream = sys.stdin.buffer
        else:
            if path.is_dir():
                raise UserError("is a directory, expected a file", name)
            size = path.stat().st_size
            if size > settings.max_file_bytes and not name.endswith((".jsonl", ".ndjson")):
                raise UserError(f"file larger than {settings.max_file_bytes} bytes (max-file-size)", name)
            stream = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as e:
        yield UserError(f"cannot read: {e.strerror}", name)
        return
    except UserError as e:
        yield e
        return
    try:
        head = stream.peek(4096)[:4096] if hasattr(stream, "peek") else b""
        kind = _kind(path, head)
        if kind == "jsonl":
            yield from plan.jsonl_jobs(stream, name, policies, defaults, settings.max_line_bytes, memo=memo)
            return
        try:
            data = stream.read(settings.max_file_bytes + 1)
        except OSError as e:
            yield UserError(f"cannot read: {e.strerror}", name)
            return
        if len(data) > settings.max_file_bytes:
            yield UserError(f"file larger than {settings.max_file_bytes} bytes (max-file-size)", name)
            return
        if kind == "yaml":
            yield from plan.yaml_jobs(data, name, policies, defaults)
        elif kind == "json":
            yield from plan.json_jobs(data, name, policies, defaults)
        else:
            if b"\0" in data[:8192]:
                yield UserError("binary file, expected a shell script or a plan", name)
                return
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as e:
                line = data[:e.start].count(b"\n") + 1
                yield UserError(f"invalid UTF-8 (byte 0x{data[e.start]:02x})", f"{name}:{line}")
                return
            yield from script.script_jobs(text, name, policies, defaults)
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def command_jobs(commands: Sequence[str], policies: PolicySet, settings: Settings) -> Iterator[Job | UserError]:
    from .inputs.request import check_state
    from .inputs.virsh import command_job

    d = settings.defaults
    for i, text in enumerate(commands):
        name = "<command>" if len(commands) == 1 else f"<command {i + 1}>"
        try:
            yield command_job(text, policies=policies, hypervisor=d.hypervisor, state=check_state(d.state),
                              version=policies.vocab.version(d.libvirt_version), job_id=name, file=name)
        except UserError as e:
            yield e


def _matches(rule: str, name: str, names: Iterable[str]) -> bool:
    return any(n == rule or n == name for n in names)


def shown_findings(result: Result, job: Job, settings: Settings,
                   used: set[Suppression] | None = None) -> tuple[list[tuple[str, str]], int]:
    """(rule, severity) of the findings to show after disabling, severity overrides and suppressions.
    Suppressions that hide a finding are added to ``used``."""
    over = dict(settings.severity)
    out = []
    suppressed = 0
    sups = job.suppressed if settings.suppress else ()
    for f in result.findings:
        if f.rule in settings.disabled or f.name in settings.disabled:
            continue
        hit = [s for s in sups if s.rule == f.rule or s.rule == f.name]
        if hit:
            suppressed += 1
            if used is not None:
                used.update(hit)
            continue
        out.append((f.rule, over.get(f.rule, over.get(f.name, f.severity))))
    return out, suppressed


def apply_settings(result: Result, shown: list[tuple[str, str]]) -> Result:
    keep = dict(shown)
    findings = tuple(f._replace(severity=keep[f.rule]) for f in result.findings if f.rule in keep)
    return result._replace(findings=findings)


def shown_note(note: Note, settings: Settings, file_sups: list[Suppression], used: set[Suppression]) -> Note | None:
    """The note as shown (severity override), or None when disabled or suppressed by a file-level directive."""
    if note.rule in settings.disabled or note.name in settings.disabled:
        return None
    if settings.suppress:
        hit = [s for s in file_sups if s.rule == note.rule and s.location is not None and s.location.file == note.file]
        if hit:
            used.update(hit)
            return None
    over = dict(settings.severity)
    sev = over.get(note.rule, over.get(note.name, note.severity))
    return note if sev == note.severity else note._replace(severity=sev)


def _replaced(job: Job, replace: dict[str, str]) -> Job:
    from dataclasses import replace as dc_replace

    hv = replace.get(job.request.hypervisor)
    if hv is None:
        return job
    return dc_replace(job, request=dc_replace(job.request, hypervisor=hv))


def _per_hypervisor(items: Iterable[Item], hypervisors: tuple[str, ...]) -> Iterator[Item]:
    """Each job once per listed hypervisor (a mixed fleet), or as it is."""
    from dataclasses import replace

    for item in items:
        if not isinstance(item, Job) or not hypervisors:
            yield item
            continue
        for h in hypervisors:
            yield replace(item, request=replace(item.request, hypervisor=h))


def check(paths: Sequence[str], commands: Sequence[str], policies: PolicySet, settings: Settings,
          reporters: Iterable[Reporter], want_fix: bool = True) -> int:
    reps = list(reporters)
    evaluator = Evaluator(policies)
    summary = Summary()
    replace = dict(settings.replace)
    for r in reps:
        r.start()
    # Lines of a JSON Lines plan that repeat a shape are written from a template (see linememo.py),
    # when every reporter can render one and nothing rewrites requests on the way.
    memo = LineMemo() if all(hasattr(r, "render") for r in reps) and not (
        settings.hypervisors or replace) else None
    if memo is not None:
        memo.writers = [getattr(r, "write_rendered") for r in reps]
    items: list[Iterable[Item]] = [command_jobs(commands, policies, settings)]
    for p in walk(paths, settings):
        items.append([p] if isinstance(p, (UserError, Note)) else jobs_from_file(p, policies, settings, memo))
    fail_rank = SEVERITIES.index(settings.fail_on)
    failing = False

    def emit_note(note: Note) -> None:
        nonlocal failing
        summary.notes += 1
        if SEVERITIES.index(note.severity) <= fail_rank:
            failing = True
        for r in reps:
            r.note(note)

    for source in items:
        declared: list[Suppression] = []  # in this file, in order
        used: set[Suppression] = set()
        notes: list[Note] = []
        for item in (_per_hypervisor(source, settings.hypervisors) if settings.hypervisors else source):
            if isinstance(item, UserError):
                summary.input_errors += 1
                for r in reps:
                    r.error(item.where, item.message)
                continue
            if isinstance(item, Suppression):
                declared.append(item)
                continue
            if isinstance(item, Note):
                notes.append(item)  # shown after the file's requests, once file-level suppressions are known
                continue
            if settings.context or any(k == XML_FACT for k, _ in item.request.facts):
                from .inputs.context import Context

                try:
                    item, context_notes = (settings.context or Context()).apply(item)
                except UserError as e:
                    summary.input_errors += 1
                    for r in reps:
                        r.error(e.where, e.message)
                    continue
                notes.extend(context_notes)
            if replace:
                item = _replaced(item, replace)
            result = evaluator(item.request)
            shown, suppressed = shown_findings(result, item, settings, used)
            summary.suppressed += suppressed
            if len(shown) != len(result.findings) or settings.severity:
                result = apply_settings(result, shown)
            summary.add(result, shown)
            fails = any(SEVERITIES.index(sev) <= fail_rank for _, sev in shown)
            failing = failing or fails
            plan = None
            if result.prediction == "rejected" and want_fix:
                from .engine.fixes import plan_fix
                plan = plan_fix(evaluator, item.request)
            shape = memo.take(item) if memo is not None else None
            if shape is None:
                for r in reps:
                    r.result(item, result, plan)
                continue
            templates = []
            for r in reps:
                text = r.render(item, result, plan)  # type: ignore[attr-defined]
                r.write_rendered(text)  # type: ignore[attr-defined]
                templates.append(make_template(text, shape[1], item.location.line if item.location else 0))
            if memo is not None and all(t is not None for t in templates):
                memo.store(shape[0], Outcome([t for t in templates if t is not None], result.prediction,
                                             tuple(sev for _, sev in shown), suppressed, fails))
        file_sups = [s for s in declared if s.scope == "file"]
        for note in notes:
            shown_n = shown_note(note, settings, file_sups, used)
            if shown_n is not None:
                emit_note(shown_n)
        if settings.suppress:
            for s in declared:
                if s not in used:
                    loc = s.location
                    note = make_note("M001", f"suppression of {s.rule} matches no finding"
                                     + (" in this file" if s.scope == "file" else ""), loc)
                    shown_n = shown_note(note, settings, file_sups, used)
                    if shown_n is not None:
                        emit_note(shown_n)
    if memo is not None:
        for known in memo.repeated():
            summary.add_known(known.prediction, known.severities, known.suppressed, known.count)
            failing = failing or known.failing
    for r in reps:
        r.finish(summary)
    if summary.input_errors:
        return 2
    return 0 if settings.exit_zero or not failing else 1
