"""Plan files -> jobs. YAML and JSON plans are read whole; JSON Lines is streamed line by line.

A plan is a list of entries, a mapping ``{defaults: {...}, migrations: [...]}``, or (JSON Lines) one
entry per line. A bad entry becomes a UserError naming its file and line; the other entries go on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

from ..errors import UserError
from ..model import Job, Location
from ..policies import PolicySet
from .request import Defaults, job_from_entry

MAX_LINE_BYTES = 1 << 20
PLAN_SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}

Item = Job | UserError


def _defaults(doc: Any, defaults: Defaults, where: str) -> Defaults:
    d = doc.get("defaults") or {}
    if not isinstance(d, dict):
        raise UserError("'defaults' must be a mapping", where)
    unknown = set(d) - set(Defaults._fields)
    if unknown:
        raise UserError(f"unknown key(s) in defaults: {', '.join(sorted(map(str, unknown)))}; "
                        f"allowed: {', '.join(Defaults._fields)}", where)
    # The command line's explicit values are defaults too; the plan's own defaults are more specific.
    merged = {k: d.get(k, getattr(defaults, k)) for k in Defaults._fields}
    return Defaults(**{k: (None if v is None else str(v)) for k, v in merged.items()})


def _entries(doc: Any, where: str) -> list[Any]:
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        if "migrations" in doc:
            extra = set(doc) - {"migrations", "defaults", "schema"}
            if extra:
                raise UserError(f"unknown top-level key(s): {', '.join(sorted(map(str, extra)))}", where)
            if not isinstance(doc["migrations"], list):
                raise UserError("'migrations' must be a list of entries", where)
            return list(doc["migrations"])
        return [doc]
    if doc is None:
        return []
    raise UserError(f"a plan is a list of entries or a mapping with 'migrations', got {type(doc).__name__}", where)


def yaml_jobs(data: bytes, file: str, policies: PolicySet, defaults: Defaults) -> Iterator[Item]:
    from .. import yamlload

    try:
        doc = yamlload.load_yaml(data, file)
        lines = _yaml_item_lines(data.decode("utf-8"), doc)
        if isinstance(doc, dict):
            defaults = _defaults(doc, defaults, f"{file}:1")
        entries = _entries(doc, f"{file}:1")
    except UserError as e:
        yield e
        return
    for i, entry in enumerate(entries):
        try:
            yield job_from_entry(policies, entry, defaults, Location(file, lines[i] if i < len(lines) else 1, 1), i)
        except UserError as e:
            yield e


def _yaml_item_lines(text: str, doc: Any) -> list[int]:
    """Line of each plan entry in a YAML text (1-based)."""
    import yaml

    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return []
    seq = root
    if isinstance(root, yaml.MappingNode):
        seq = None
        for k, v in root.value:
            if k.value == "migrations":
                seq = v
        if seq is None:
            return [root.start_mark.line + 1]
    if isinstance(seq, yaml.SequenceNode):
        return [n.start_mark.line + 1 for n in seq.value]
    return []


def json_jobs(data: bytes, file: str, policies: PolicySet, defaults: Defaults) -> Iterator[Item]:
    try:
        text = _decode(data, file)
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        yield UserError(f"invalid JSON: {e.msg}", f"{file}:{e.lineno}:{e.colno}")
        return
    except UserError as e:
        yield e
        return
    try:
        if isinstance(doc, dict):
            defaults = _defaults(doc, defaults, f"{file}:1")
        entries = _entries(doc, f"{file}:1")
    except UserError as e:
        yield e
        return
    lines = _json_item_lines(text)
    for i, entry in enumerate(entries):
        try:
            yield job_from_entry(policies, entry, defaults, Location(file, lines[i] if i < len(lines) else 1, 1), i)
        except UserError as e:
            yield e


def _json_item_lines(text: str) -> list[int]:
    """Lines where the elements of the plan's entry array start (top-level array or "migrations")."""
    dec = json.JSONDecoder()
    start = text.find("[")
    brace = text.find("{")
    if brace != -1 and (start == -1 or brace < start):
        key = text.find('"migrations"')
        start = text.find("[", key) if key != -1 else -1
    if start == -1:
        return [1]
    out: list[int] = []
    i = start + 1
    line = text.count("\n", 0, i) + 1
    last = i
    n = len(text)
    while i < n:
        while i < n and text[i] in " \t\r\n,":
            i += 1
        if i >= n or text[i] == "]":
            break
        line += text.count("\n", last, i)
        last = i
        out.append(line)
        try:
            _, i = dec.raw_decode(text, i)
        except json.JSONDecodeError:
            break
    return out


def _decode(data: bytes, file: str) -> str:
    if b"\0" in data[:8192]:
        raise UserError("binary file, expected a plan (YAML, JSON or JSON Lines)", file)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise UserError(f"invalid UTF-8 (byte 0x{data[e.start]:02x})", f"{file}:{line}") from None


def jsonl_jobs(stream: IO[bytes], file: str, policies: PolicySet, defaults: Defaults,
               max_line: int = MAX_LINE_BYTES) -> Iterator[Item]:
    """Stream a JSON Lines plan: one entry per line, blank lines skipped."""
    loads = json.loads
    for lineno, raw in enumerate(stream, 1):
        if len(raw) > max_line:
            yield UserError(f"line longer than {max_line} bytes", f"{file}:{lineno}")
            continue
        if not raw.strip():
            continue
        try:
            entry = loads(raw)
        except UnicodeDecodeError:
            yield UserError("invalid UTF-8", f"{file}:{lineno}")
            continue
        except json.JSONDecodeError as e:
            yield UserError(f"invalid JSON: {e.msg}", f"{file}:{lineno}:{e.colno}")
            continue
        try:
            yield job_from_entry(policies, entry, defaults, Location(file, lineno, 1), lineno - 1)
        except UserError as e:
            yield e
