"""Which files a run reads and what each holds: directory walks (include and exclude patterns, symbolic link
loops), the kind of a file (plan or script) from its name and first bytes, and the jobs each file or
``--command`` line yields. The only module of the inputs that opens files given on the command line."""

from __future__ import annotations

import fnmatch
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from ..errors import UserError, decode_text, path_problem
from ..jsonl_templates import LineMemo
from ..model import Job, Note, Suppression
from ..notes import make_note
from ..policy.load import PolicySet
from ..settings import Settings
from . import plan, script
from .plan import PLAN_SUFFIXES
from .request import check_state
from .virsh import command_job

SCRIPT_SUFFIXES = (".sh", ".bash", ".ksh", ".zsh")

Item = Job | UserError | Note | Suppression


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


def kind(path: Path, head: bytes) -> str:
    """What a file holds, by its name, then its first bytes: yaml, json, jsonl (plans) or script."""
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
        kind_ = kind(path, head)
        if kind_ == "jsonl":
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
        if kind_ == "yaml":
            yield from plan.yaml_jobs(data, name, policies, defaults)
        elif kind_ == "json":
            yield from plan.json_jobs(data, name, policies, defaults)
        else:
            if b"\0" in data[:8192]:
                yield UserError("binary file, expected a shell script or a plan", name)
                return
            try:
                text = decode_text(data, name)
            except UserError as e:
                yield e
                return
            yield from script.script_jobs(text, name, policies, defaults)
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def command_jobs(commands: Sequence[str], policies: PolicySet, settings: Settings) -> Iterator[Job | UserError]:
    d = settings.defaults
    for i, text in enumerate(commands):
        name = "<command>" if len(commands) == 1 else f"<command {i + 1}>"
        try:
            yield command_job(text, policies=policies, hypervisor=d.hypervisor, state=check_state(d.state),
                              version=policies.vocab.version(d.libvirt_version), job_id=name, file=name)
        except UserError as e:
            yield e
