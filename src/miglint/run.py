"""What `miglint check` does between the command line and the reporters: find inputs, make jobs,
evaluate, filter findings by settings, count. Returns an exit code; prints nothing itself."""

from __future__ import annotations

import fnmatch
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

from .errors import UserError
from .evaluate import Evaluator
from .inputs.request import Defaults
from .model import SEVERITIES, Job, Result
from .policies import PolicySet
from .reporters import Reporter, Summary

SCRIPT_SUFFIXES = (".sh", ".bash", ".ksh", ".zsh")
DEFAULT_INCLUDE = ("*.sh", "*.bash", "*.plan.yaml", "*.plan.yml", "*.plan.json", "*.plan.jsonl")
DEFAULT_EXCLUDE = (".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox")
MAX_FILE_BYTES = 64 << 20


class Settings(NamedTuple):
    defaults: Defaults = Defaults()
    fail_on: str = "error"
    exit_zero: bool = False
    disabled: frozenset[str] = frozenset()
    severity: tuple[tuple[str, str], ...] = ()
    include: tuple[str, ...] = DEFAULT_INCLUDE
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    max_file_bytes: int = MAX_FILE_BYTES
    # A mixed fleet: check every request against each of these hypervisors (they override the request's own).
    hypervisors: tuple[str, ...] = ()


def walk(paths: Sequence[str], settings: Settings) -> Iterator[Path | UserError]:
    for p in paths:
        if p == "-":
            yield Path("-")
            continue
        path = Path(p)
        if path.is_dir():
            yield from _walk_dir(path, settings)
        elif path.exists():
            yield path
        else:
            yield UserError("no such file or directory", p)


def _walk_dir(root: Path, settings: Settings) -> Iterator[Path | UserError]:
    seen: set[tuple[int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True, onerror=None):
        st = os.stat(dirpath)
        key = (st.st_dev, st.st_ino)
        if key in seen:
            dirnames[:] = []
            yield UserError("directory symlink loop, not followed again", dirpath)
            continue
        seen.add(key)
        dirnames[:] = sorted(d for d in dirnames if not any(fnmatch.fnmatch(d, x) for x in settings.exclude))
        for name in sorted(filenames):
            if any(fnmatch.fnmatch(name, x) for x in settings.exclude):
                continue
            if any(fnmatch.fnmatch(name, pat) for pat in settings.include):
                yield Path(dirpath) / name


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


def jobs_from_file(path: Path, policies: PolicySet, settings: Settings) -> Iterator[Job | UserError]:
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
                raise UserError(f"file larger than {settings.max_file_bytes} bytes", name)
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
            yield from plan.jsonl_jobs(stream, name, policies, defaults)
            return
        try:
            data = stream.read(settings.max_file_bytes + 1)
        except OSError as e:
            yield UserError(f"cannot read: {e.strerror}", name)
            return
        if len(data) > settings.max_file_bytes:
            yield UserError(f"file larger than {settings.max_file_bytes} bytes", name)
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


def shown_findings(result: Result, job: Job, settings: Settings) -> tuple[list[tuple[str, str]], int]:
    """(rule, severity) of the findings to show after disabling, severity overrides and suppressions."""
    over = dict(settings.severity)
    out = []
    suppressed = 0
    for f in result.findings:
        if f.rule in settings.disabled or f.name in settings.disabled:
            continue
        if f.rule in job.suppressed or f.name in job.suppressed:
            suppressed += 1
            continue
        out.append((f.rule, over.get(f.rule, over.get(f.name, f.severity))))
    return out, suppressed


def apply_settings(result: Result, shown: list[tuple[str, str]]) -> Result:
    keep = dict(shown)
    findings = tuple(f._replace(severity=keep[f.rule]) for f in result.findings if f.rule in keep)
    return result._replace(findings=findings)


def _per_hypervisor(items: Iterable[Job | UserError], hypervisors: tuple[str, ...]) -> Iterator[Job | UserError]:
    """Each job once per listed hypervisor (a mixed fleet), or as it is."""
    from dataclasses import replace

    for item in items:
        if isinstance(item, UserError) or not hypervisors:
            yield item
            continue
        for h in hypervisors:
            yield replace(item, request=replace(item.request, hypervisor=h))


def check(paths: Sequence[str], commands: Sequence[str], policies: PolicySet, settings: Settings,
          reporters: Iterable[Reporter], want_fix: bool = True) -> int:
    reps = list(reporters)
    evaluator = Evaluator(policies)
    summary = Summary()
    for r in reps:
        r.start()
    items: list[Iterable[Job | UserError]] = [command_jobs(commands, policies, settings)]
    for p in walk(paths, settings):
        items.append([p] if isinstance(p, UserError) else jobs_from_file(p, policies, settings))
    fail_rank = SEVERITIES.index(settings.fail_on)
    failing = False
    for source in items:
        for job in _per_hypervisor(source, settings.hypervisors):
            item = job
            if isinstance(item, UserError):
                summary.input_errors += 1
                for r in reps:
                    r.error(item.where, item.message)
                continue
            result = evaluator(item.request)
            shown, suppressed = shown_findings(result, item, settings)
            summary.suppressed += suppressed
            if len(shown) != len(result.findings):
                result = apply_settings(result, shown)
            summary.add(result, shown)
            if any(SEVERITIES.index(sev) <= fail_rank for _, sev in shown):
                failing = True
            plan = None
            if result.prediction == "rejected" and want_fix:
                from .fixes import plan_fix
                plan = plan_fix(evaluator, item.request)
            for r in reps:
                r.result(item, result, plan)
    for r in reps:
        r.finish(summary)
    if summary.input_errors:
        return 2
    if summary.requests == 0 and not commands and paths:
        return 0
    return 0 if settings.exit_zero or not failing else 1
