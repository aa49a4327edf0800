"""Which files a run reads and what each holds: directory walks (include and exclude patterns, the kinds a walk
takes, shell scripts without an extension by their first line, symbolic link loops), the kind of a file from
its name and content (plans, scripts, Markdown runbooks, Makefiles, Ansible plays, Python code), and the jobs
each file or ``--command`` line yields. The only module of the inputs that opens files given on the command line.

A file named on the command line is always read (what is wrong with it is said); a file a walk finds is read
only when it is of a kind the settings take, a YAML file only when it is a plan or a play, and a Python file only
when it imports libvirt or runs virsh."""

from __future__ import annotations

import fnmatch
import io
import os
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

from .. import yamlload
from ..errors import UserError, decode_text, path_problem
from ..jsonl_templates import PlanMemo
from ..model import Job, Note, Suppression, Ways
from ..notes import make_note
from ..policy.load import PolicySet
from ..settings import Settings
from . import plan, script
from .ansible import is_ansible
from .plan import BOM, PLAN_SUFFIXES
from .request import ENTRY_KEYS, check_state
from .runbook import runbook_kind, shebang_shell, snippets_of
from .snippet import whole
from .virsh import command_job


class Read(NamedTuple):
    """A file was read as one of the kinds miglint takes (counted: "no migration found in N files")."""

    file: str


Item = Job | Ways | UserError | Note | Suppression | Read


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


class InputFile(NamedTuple):
    """A file to read: named on the command line (or stdin, ``-``), or found by a directory walk (``walked``):
    a walk takes a file only when its kind is one the settings take and its content is what its name says."""

    path: Path
    walked: bool = False


def walk(paths: Sequence[str], settings: Settings) -> Iterator[InputFile | UserError | Note]:
    for p in paths:
        if p == "-":
            yield InputFile(Path("-"))
            continue
        path = Path(p)
        if path.is_dir():
            yield from _walk_dir(path, settings)
        elif path.exists():
            yield InputFile(path)  # a pipe named on the command line is read (`miglint check <(make-plan)`)
        else:
            yield UserError(path_problem(p), p)


def _walk_dir(root: Path, settings: Settings) -> Iterator[InputFile | UserError | Note]:
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
            if any(fnmatch.fnmatch(name, pat) for pat in settings.include) or _shell_script(path, name, settings):
                # Only regular files (and links to them) are read: a pipe in a tree would block the walk,
                # and a link loop or a broken link is said as such.
                yield InputFile(path, True) if _is_file(path) else UserError(path_problem(str(path)), str(path))
    for err in errors:  # a directory that could not be read after the last one that could
        yield UserError(f"cannot read directory: {err.strerror}", err.filename)


def _is_file(path: Path) -> bool:
    """A regular file (or a link to one); False for what cannot even be looked at (a link /proc keeps to itself)."""
    try:
        return path.is_file()
    except OSError:
        return False


def _shell_script(path: Path, name: str, settings: Settings) -> bool:
    """A file without an extension whose first line runs a shell (``bin/evacuate``, ``#!/usr/bin/env bash``)."""
    if "." in name or "script" not in settings.kinds or not _is_file(path):
        return False
    try:
        with open(path, "rb") as fh:
            head = fh.read(256)
    except OSError:
        return False
    return shebang_shell(head.decode("utf-8", "replace")) is not None


def kind(name: str, head: bytes, walked: bool = False) -> str | None:
    """What a file holds, by its name, then its first bytes: a plan (yaml, json, jsonl), a script, a Markdown
    runbook, a Makefile, or "yaml?" (a YAML file that is a plan or an Ansible play, by its content). None: a
    walk does not read it."""
    lower = os.path.basename(name).lower()
    if lower.endswith((".plan.yaml", ".plan.yml")):
        return "yaml"
    if lower.endswith((".json", ".jsonl", ".ndjson")):
        return PLAN_SUFFIXES[os.path.splitext(lower)[1]]
    if lower.endswith((".yaml", ".yml")):
        return "yaml?"
    if lower.endswith(".py"):
        return "python"
    runbook = runbook_kind(name)
    if runbook is not None:
        return runbook
    text = head.decode("utf-8", "replace")
    if text.startswith("#!"):
        return "script" if shebang_shell(text) is not None or not walked else None
    if walked:
        return None
    return _sniff(head)


# The first line of a YAML document: a directive end, a list item, or a key (a plain word and a colon).
_YAMLISH = re.compile(r"---|-( |$)|[A-Za-z_][\w.-]*[ \t]*:([ \t]|$)")
# ... that says it means to be a plan: a flow entry, or a key only a plan (or its entries) has.
_PLAN_KEYS = "|".join(sorted({*ENTRY_KEYS, *plan.TOP_LEVEL_KEYS}))
_PLANNISH = re.compile(rf"---$|- \{{|(- )?({_PLAN_KEYS})[ \t]*:([ \t]|$)")
_UNQUOTED_KEY = re.compile(rb"[\s\[]*\{\s*[A-Za-z_]")  # YAML's flow mapping, not JSON's object


def _sniff(head: bytes) -> str:
    """The kind of what has no name (stdin, a pipe, a file named without a known suffix) by its first bytes:
    JSON Lines (streamed, so decided now), or "text?": decided on the whole text (content_kind)."""
    head = head.removeprefix(BOM)
    if head.lstrip().startswith(b"{") and b"\n{" in head:
        return "jsonl"
    return "text?"


def content_kind(data: bytes) -> str:
    """What a text without a name holds, as a reader would take it: a JSON document; a YAML document whose top
    level is a plan (or a play); a text whose first line says it is a plan (read as one, so that what is wrong
    with it is said); else a shell script. A leading byte order mark is skipped."""
    body = data.removeprefix(BOM)
    if body.lstrip()[:1] in (b"[", b"{"):
        import json

        try:
            json.loads(body)
            return "json"
        except (ValueError, RecursionError):
            pass
        # a flow-style YAML plan ([{id: a, ...}]); what goes wrong is said in the language of its first key
        if _yaml_kind(data, walked=False) == "yaml" or _UNQUOTED_KEY.match(body):
            return "yaml"
        return "json"
    first = next((line.strip() for line in body.decode("utf-8", "replace").splitlines()
                  if line.strip() and not line.lstrip().startswith("#")), "")
    if _YAMLISH.match(first):
        found = _yaml_kind(data, walked=False)
        if found:
            return found
        if _PLANNISH.match(first):
            return "yaml"
    return "script"


def jobs_from_file(source: InputFile | Path, policies: PolicySet, settings: Settings,
                   memo: PlanMemo | None = None, stdin_name: str | None = None) -> Iterator[Item]:
    """The jobs of one file (errors, notes and suppressions too). Reads stdin for ``-``, named ``stdin_name``."""
    if isinstance(source, Path):
        source = InputFile(source)
    path = source.path
    defaults = settings.defaults
    is_stdin = str(path) == "-"
    name = (stdin_name or "<stdin>") if is_stdin else str(path)
    try:
        if is_stdin:
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
        if is_stdin and stdin_name is None:
            kind_: str | None = _sniff(head)
        else:
            kind_ = kind(name, head, source.walked)
        if kind_ is None or (source.walked and kind_family(kind_) not in settings.kinds):
            return
        if kind_ == "jsonl":
            yield Read(name)
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
        yield from _jobs(kind_, data, name, source.walked, policies, settings)
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def kind_family(kind_: str) -> str:
    return "plan" if kind_ in ("yaml", "yaml?", "json", "jsonl") else kind_


def jobs_of_data(kind_: str, data: bytes, name: str, walked: bool, policies: PolicySet,
                 settings: Settings) -> Iterator[Item]:
    """The items of a file's content read as ``kind_`` (what `fix` reads again after editing the text)."""
    if kind_ == "jsonl":
        yield Read(name)
        yield from plan.jsonl_jobs(io.BytesIO(data), name, policies, settings.defaults, settings.max_line_bytes)
        return
    yield from _jobs(kind_, data, name, walked, policies, settings)


def _jobs(kind_: str, data: bytes, name: str, walked: bool, policies: PolicySet,
          settings: Settings) -> Iterator[Item]:
    defaults = settings.defaults
    if kind_ == "text?":
        kind_ = content_kind(data)
    if kind_ == "yaml?":
        kind_ = _yaml_kind(data, walked)
        if kind_ == "":
            if walked:
                return  # a YAML file that is neither a plan nor a play: not ours
            kind_ = "yaml"  # named: read as a plan, so that what is wrong with it is said
        if walked and kind_family(kind_) not in settings.kinds:
            return
    if kind_ == "yaml":
        yield Read(name)
        yield from plan.yaml_jobs(data, name, policies, defaults)
        return
    if kind_ == "json":
        yield Read(name)
        yield from plan.json_jobs(data, name, policies, defaults)
        return
    if b"\0" in data[:8192]:
        if not walked:
            yield UserError("binary file, expected Python code" if kind_ == "python" else
                            "binary file, expected a shell script or a plan", name)
        return
    try:
        text = _decode_python(data, name) if kind_ == "python" else decode_text(data, name)
    except UserError as e:
        yield e
        return
    if kind_ == "python":
        if walked and not uses_libvirt(text):
            return  # a walk reads Python code that imports libvirt or runs virsh, nothing else
        from .python.jobs import (
            python_jobs,  # here: a run without Python files does not load the reader
        )

        yield Read(name)
        yield from python_jobs(text, name, policies, defaults)
        return
    snippets = [whole(text)] if kind_ == "script" else snippets_of(kind_, text)
    if snippets is None:
        return
    yield Read(name)
    yield from script.snippet_jobs(snippets, name, policies, defaults)


# What a walk looks for in a Python file before reading it: libvirt imported (also by name, as importlib and
# __import__ take it), or virsh run.
_LIBVIRT_USE = re.compile(r"^[ \t]*(?:import[ \t][^\n#]*\blibvirt\b|from[ \t]+libvirt\b)|['\"]libvirt['\"]|\bvirsh\b",
                          re.MULTILINE)


def _decode_python(data: bytes, name: str) -> str:
    """Python source decoded as Python decodes it: in the encoding its coding declaration (PEP 263) names, else
    UTF-8; bytes invalid in that encoding, or an encoding Python does not know, are an error at their line."""
    import tokenize  # here: only Python files need it

    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as e:  # an unknown encoding, or a UTF-8 BOM with another declaration
        line = next((n + 1 for n, ln in enumerate(data.split(b"\n")[:2]) if b"coding" in ln), 1)
        raise UserError(f"Python source: {e.msg}", f"{name}:{line}") from None
    if encoding in ("utf-8", "utf-8-sig"):
        return decode_text(data, name)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise UserError(f"invalid {encoding} (byte 0x{data[e.start]:02x}), the encoding the file declares",
                        f"{name}:{line}") from None


def uses_libvirt(text: str) -> bool:
    return _LIBVIRT_USE.search(text) is not None


def file_kind(name: str, data: bytes, walked: bool = False) -> str | None:
    """The kind of a file whose content is read: as ``kind``, with a YAML file's kind decided by its content."""
    kind_ = kind(name, data[:4096], walked)
    if kind_ == "text?":
        kind_ = content_kind(data)
    if kind_ == "yaml?":
        kind_ = _yaml_kind(data, walked) or (None if walked else "yaml")
    return kind_


def _yaml_kind(data: bytes, walked: bool = True) -> str:
    """A YAML document's kind by its content: "yaml" (a plan), "ansible" (a play or task list), or "". A file
    named on the command line is a plan when it means to be one, misspelt keys and all (so that they are
    said); one a walk finds only when it has a plan's exact shape."""
    try:
        text = decode_text(data, "")
        doc = yamlload.load_yaml(data, "", {})  # a plan that repeats a key is still a plan (said when read)
    except UserError:
        return ""
    if plan.looks_like_plan(doc) or (not walked and plan.looks_like_plan(doc, lenient=True)):
        return "yaml"
    return "ansible" if is_ansible(text) else ""


def command_jobs(commands: Sequence[str], policies: PolicySet, settings: Settings) -> Iterator[Job | UserError]:
    d = settings.defaults
    for i, text in enumerate(commands):
        name = "<command>" if len(commands) == 1 else f"<command {i + 1}>"
        try:
            yield command_job(text, policies=policies, hypervisor=d.hypervisor, state=check_state(d.state),
                              version=policies.vocab.version(d.libvirt_version), job_id=name, file=name)
        except UserError as e:
            yield e
