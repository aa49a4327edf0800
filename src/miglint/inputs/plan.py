"""Plan files -> jobs. YAML and JSON plans are read whole; JSON Lines is streamed line by line.

A plan is a list of entries, a mapping ``{defaults: {...}, migrations: [...]}``, or (JSON Lines) one
entry per line. A bad entry becomes a UserError naming its file and line; the other entries go on.
"""

from __future__ import annotations

import json
from dataclasses import replace
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from itertools import chain
from typing import IO, Any

from .. import yamlload
from ..errors import Path, UserError, decode_text, did_you_mean
from ..notes import make_note
from ..jsonl_templates import PlanMemo
from ..model import Job, Location, Note, Suppression
from ..policy.load import PolicySet
from ..settings import MAX_LINE_BYTES, Defaults
from ..yamlload import MAX_DEPTH, check_depth
from .positions import json_position, yaml_position
from .request import ENTRY_KEYS, _ignores, entry_with_defaults, job_from_entry
from .suppress import rule_ids, vet

PLAN_SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}

Item = Job | UserError | Note | Suppression
TOP_LEVEL_KEYS = ("migrations", "defaults", "schema", "ignore")
BOM = b"\xef\xbb\xbf"  # UTF-8's byte order mark


class _Ignores:
    """Checks each entry's ``ignore`` (and the plan's own) against the known rules, once per plan file."""

    def __init__(self, policies: PolicySet) -> None:
        self.known = rule_ids(policies)
        self.file_level: tuple[Suppression, ...] = ()

    def plan_level(self, doc: object, where: Location) -> Iterator[Item]:
        if not isinstance(doc, dict) or "ignore" not in doc:
            return
        raw = _ignores(doc, where, "file")
        sups, notes = vet(((s.rule, s.reason) for s in raw), self.known, where, "file", "ignore")
        self.file_level = tuple(sups)
        yield from notes
        yield from sups

    def job(self, job: Job) -> Iterator[Item]:
        if job.suppressed and job.location is not None:
            sups, notes = vet(((s.rule, s.reason) for s in job.suppressed), self.known, job.location, "entry",
                              "ignore")
            yield from notes
            yield from sups
        else:
            sups = []
        all_sups = self.file_level + tuple(sups)
        if all_sups or job.suppressed:
            job = replace(job, suppressed=all_sups)
        yield job


def _defaults(doc: Any) -> dict[str, Any]:
    """A plan's ``defaults``: any key an entry takes but its id (``libvirt-version`` as the configuration spells
    it too), for the entries that do not say."""
    d = doc.get("defaults") or {}
    if not isinstance(d, dict):
        raise UserError("'defaults' must be a mapping", at=("defaults",))
    out: dict[str, Any] = {}
    allowed = [k for k in ENTRY_KEYS if k != "id"]
    for raw, value in d.items():
        key = str(raw).replace("-", "_")
        if key not in allowed:
            raise UserError(f"unknown key {str(raw)!r:.80} in defaults{did_you_mean(key, allowed)}; allowed: "
                            f"{', '.join(allowed)}", at=("defaults", str(raw)), part="key")
        out[key] = value
    return out


class Ids:
    """The ids of a plan's entries, to say when two entries share one (note M006).

    Bounded, whatever the size of a JSON Lines plan: the first SMALL ids are kept as they are; beyond them each id
    is kept in one 64-bit word of a table of SLOTS words (16 MiB at most, in memory the system gives as it is
    touched): 40 bits of the id's hash, and its line (up to 16,777,214; a later line is recorded as that). The
    trade-offs: two different ids with the same 40 bits would be taken for one (for a million ids, about one plan
    in a million would get such a false note); and once the table is three quarters full (about 1,570,000 ids),
    further ids are not recorded, so a duplicate among them goes unnoticed."""

    SMALL = 8192
    SLOTS = 1 << 21
    LINE_BITS = 24

    def __init__(self, file: str) -> None:
        self.file = file
        self.lines: dict[str, int] = {}
        self._table: memoryview | None = None  # (fingerprint << LINE_BITS) | line; 0: an empty slot
        self._used = 0

    def see(self, entry: Any, line: int) -> Note | None:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), (str, int)) or isinstance(entry["id"], bool):
            return None
        return self.see_id(str(entry["id"]), line)

    def see_id(self, ident: str, line: int) -> Note | None:
        if self._table is None:
            first = self.lines.setdefault(ident, line)
            if len(self.lines) > self.SMALL:
                self._to_table()
        else:
            first = self._see_hashed(ident, line)
        if first == line:
            return None
        return make_note("M006", f"id {ident!r:.80} is also the id of the entry at {self.file}:{first}",
                         Location(self.file, line, 1))

    def _to_table(self) -> None:
        import mmap

        self._table = memoryview(mmap.mmap(-1, 8 * self.SLOTS)).cast("Q")
        lines, self.lines = self.lines, {}
        for ident, line in lines.items():
            self._see_hashed(ident, line)

    def _see_hashed(self, ident: str, line: int) -> int:
        """The first line of the id (``line`` when it is new, or not recorded: the table is full)."""
        table = self._table
        assert table is not None
        h = hash(ident) & 0xFFFFFFFFFFFFFFFF
        mask = self.SLOTS - 1
        i = h & mask
        fingerprint = (h >> 24) & 0xFFFFFFFFFF  # 40 bits, apart from the ones that chose the slot
        lines = (1 << self.LINE_BITS) - 1
        while True:
            got = table[i]
            if got == 0:
                if self._used < self.SLOTS * 3 // 4:
                    table[i] = (fingerprint << self.LINE_BITS) | min(line, lines - 1) + 1
                    self._used += 1
                return line
            if got >> self.LINE_BITS == fingerprint:
                return (got & lines) - 1
            i = (i + 1) & mask


def _positioned(e: UserError, file: str, line: int, locate: Callable[[tuple[str | int, ...], str], Any]) -> UserError:
    """An error about an entry, at the line and column of the key or value at fault when it says which."""
    if e.where is None:
        pos = locate(e.at, e.part) if e.at is not None else None
        e.where = f"{file}:{pos[0]}:{pos[1]}" if pos else f"{file}:{line}"
    return e


# Entry keys no Ansible task has at its top level: two of them make a mapping a plan entry, whatever else it says.
_PLAN_ONLY = frozenset({"hypervisor", "state", "libvirt_version", "flags", "params", "facts", "desturi",
                        "domain_xml", "qemu_version", "mode"})


def looks_like_plan(doc: Any, lenient: bool = False) -> bool:
    """A YAML document found by a walk is a plan when it has a plan's shape: a list of entries, a mapping with
    ``migrations``, or one entry (a mapping of entry keys naming a command or flags). ``lenient``: also when
    its entries mean to be plan entries (two keys only a plan has) but misspell others."""
    def entry(x: Any) -> bool:
        if not isinstance(x, dict) or not x:
            return False
        keys = set(map(str, x))
        if lenient and len(keys & _PLAN_ONLY) >= 2:
            return True
        return keys <= set(ENTRY_KEYS) and bool({"command", "flags", "hypervisor", "params"} & keys)
    if isinstance(doc, dict) and "migrations" in doc:
        items = doc["migrations"]
        if lenient:
            return True
        return set(map(str, doc)) <= set(TOP_LEVEL_KEYS) and isinstance(items, list) \
            and all(entry(x) for x in items)
    if isinstance(doc, list):
        return bool(doc) and (any(entry(x) for x in doc) if lenient else all(entry(x) for x in doc))
    return entry(doc)


def _entries(doc: Any, where: str) -> list[Any]:
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        if "migrations" in doc:
            extra = set(doc) - set(TOP_LEVEL_KEYS)
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
    repeats: yamlload.Repeats = {}
    try:
        doc = yamlload.load_yaml(data, file, repeats)
        items = _yaml_items(data.decode("utf-8"))
    except UserError as e:
        yield e
        return
    yield from _document_jobs(doc, items, file, policies, defaults, partial(yaml_position, data.decode("utf-8")),
                              repeats)


Position = Callable[[Path, str, int], tuple[int, int] | None]  # (path, "key" or "value", occurrence) -> line, column


def _document_jobs(doc: Any, items: Items, file: str, policies: PolicySet,
                   defaults: Defaults, position: Position, repeats: yamlload.Repeats) -> Iterator[Item]:
    """The jobs of a whole plan document (YAML or JSON), given each entry's line (and command position), a way
    to find a key's or value's position in the document (for errors), and the mappings that repeat a key: an
    error at the entry they are in (that entry is not read), or of the whole plan outside the entries."""
    def locate(path: Path, part: str) -> tuple[int, int] | None:
        return position(path, part, 1)

    ignores = _Ignores(policies)
    ids = Ids(file)
    entry_defaults: dict[str, Any] = {}
    prefix: Path = ("migrations",) if isinstance(doc, dict) and "migrations" in doc else ()
    in_entry: dict[int, UserError] = {}
    for path, key in _repeated_keys(doc, repeats):
        error = _repeated_key_error(path, key, file, position)
        if (isinstance(doc, list) or prefix) and len(path) > len(prefix) and path[:len(prefix)] == prefix \
                and isinstance(path[len(prefix)], int):
            in_entry.setdefault(int(path[len(prefix)]), error)
        else:
            yield error  # in the plan's own keys, its defaults, its ignore: which was meant is not known
            return
    try:
        if isinstance(doc, dict) and "migrations" in doc:
            entry_defaults = _defaults(doc)
        entries = _entries(doc, f"{file}:1")
        if isinstance(doc, dict) and "migrations" in doc:
            yield from ignores.plan_level(doc, Location(file, 1, 1))
    except UserError as e:
        yield _positioned(e, file, 1, locate)
        return
    for i, entry in enumerate(entries):
        line, command_at, subjects = items[i] if i < len(items) else (1, None, ())
        at = prefix + (i,) if isinstance(doc, list) or prefix else ()
        duplicate = ids.see(entry, line)
        if duplicate is not None:
            yield duplicate
        if i in in_entry or (not at and in_entry):
            yield in_entry.get(i) or next(iter(in_entry.values()))
            continue
        try:
            merged = entry_with_defaults(entry, entry_defaults) if entry_defaults and isinstance(entry, dict) else entry
            job = job_from_entry(policies, merged, defaults, Location(file, line, 1), i, command_at)
        except UserError as e:
            in_defaults = e.at is not None and e.at[:1] and e.at[0] not in (entry if isinstance(entry, dict) else {})
            base: tuple[str | int, ...] = ("defaults",) if in_defaults and entry_defaults else at
            if in_defaults and entry_defaults and e.at:  # the key as the defaults spell it (libvirt-version)
                written = {str(k).replace("-", "_"): str(k) for k in (doc.get("defaults") or {})}
                e.at = (written.get(str(e.at[0]), e.at[0]), *e.at[1:])
            yield _positioned(e, file, line, lambda path, part: locate(base + path, part))
            continue
        if subjects and job.text is None:
            job = _located(job, subjects, policies.vocab)
        yield from ignores.job(job)


def _repeated_keys(doc: Any, repeats: yamlload.Repeats) -> list[tuple[Path, Any]]:
    """Where the mappings that repeat a key stand in a document (each path an alias reaches it by), with the key;
    in document order."""
    if not repeats:
        return []
    out: list[tuple[Path, Any]] = []
    stack: list[tuple[Path, Any]] = [((), doc)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            got = repeats.get(id(node))
            if got is not None and got[0] is node:
                out.append((path, got[1]))
            stack.extend(reversed([(path + (str(k),), v) for k, v in node.items()]))
        elif isinstance(node, list):
            stack.extend(reversed([(path + (i,), v) for i, v in enumerate(node)]))
    return out


def _repeated_key_error(path: Path, key: Any, file: str, position: Position) -> UserError:
    """A mapping repeats a key: at the second, saying where the first is (the reader kept only one of them)."""
    first = position(path + (str(key),), "key", 1)
    again = position(path + (str(key),), "key", 2)
    also = f": it is also at line {first[0]}, column {first[1]}" if first and again and first != again else ""
    where = f"{file}:{again[0]}:{again[1]}" if again else file
    return UserError(f"duplicate key {yamlload.shown_key(key)}{also} (a mapping's keys must be unique)", where)


# Per plan entry: its line, where its command text starts, and where each flag and parameter is written
Items = Sequence[tuple[int, tuple[int, int] | None, tuple[tuple[str, str, int, int], ...]]]


def _yaml_items(text: str) -> Items:
    """Per plan entry in a YAML text: its line, where its ``command`` text starts when the command is a one-line
    scalar, and where each flag name and parameter key is written (so findings point at what is at fault);
    1-based."""
    import yaml  # here: JSON and JSON Lines plans, and scripts, never load PyYAML

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
            return [(root.start_mark.line + 1, _command_at(root), _subjects_at(root))]
    if isinstance(seq, yaml.SequenceNode):
        return [(n.start_mark.line + 1, _command_at(n), _subjects_at(n)) for n in seq.value]
    return []


def _subjects_at(node: object) -> tuple[tuple[str, str, int, int], ...]:
    """Where an entry's flag names (items of its ``flags`` list) and parameter keys are: ("flags" or "params",
    the name as written, line, column)."""
    import yaml

    if not isinstance(node, yaml.MappingNode):
        return ()
    out: list[tuple[str, str, int, int]] = []
    for k, v in node.value:
        if k.value == "flags" and isinstance(v, yaml.SequenceNode):
            out += [("flags", n.value, n.start_mark.line + 1, n.start_mark.column + 1) for n in v.value
                    if isinstance(n, yaml.ScalarNode)]
        elif k.value == "params" and isinstance(v, yaml.MappingNode):
            out += [("params", n.value, n.start_mark.line + 1, n.start_mark.column + 1) for n, _ in v.value
                    if isinstance(n, yaml.ScalarNode)]
    return tuple(out)


def _located(job: Job, subjects: tuple[tuple[str, str, int, int], ...], vocab: Any) -> Job:
    """A plan entry's job with where its flags and parameters are written (a finding about one points there)."""
    out: list[tuple[str, Location]] = []
    for kind, name, line, column in subjects:
        try:
            subject = "flag:" + vocab.flag(name).name if kind == "flags" else "param:" + vocab.param_key_or_name(name)
        except UserError:
            continue
        out.append((subject, Location(job.location.file if job.location else "", line, column)))
    return replace(job, subject_locations=tuple(out)) if out else job


def _command_at(node: object) -> tuple[int, int] | None:
    import yaml

    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if k.value == "command" and isinstance(v, yaml.ScalarNode) and v.start_mark.line == v.end_mark.line \
                and v.style in (None, "", "'", '"'):
            quoted = 1 if v.style in ("'", '"') else 0
            if v.style == '"' and "\\" in v.value:
                return None  # escapes shift columns: fall back to the entry's position
            return v.start_mark.line + 1, v.start_mark.column + 1 + quoted
    return None


def json_jobs(data: bytes, file: str, policies: PolicySet, defaults: Defaults) -> Iterator[Item]:
    repeats: yamlload.Repeats = {}
    try:
        text = _decode(data, file)
        if not text.strip():
            return  # an empty plan, as an empty YAML plan is
        doc = json.loads(text, object_pairs_hook=partial(_unique_pairs, repeats))
        check_depth(doc, file)
    except json.JSONDecodeError as e:
        yield UserError(f"invalid JSON: {e.msg}", f"{file}:{e.lineno}:{e.colno}")
        return
    except RecursionError:  # the decoder recurses per level: a hostile file must not crash miglint
        yield UserError(f"JSON nested too deeply (more than {MAX_DEPTH} levels)", file)
        return
    except ValueError as e:  # an integer of more than 4300 digits
        yield UserError(f"invalid JSON: {'number too long' if 'integer string' in str(e) else e}", file)
        return
    except UserError as e:
        yield e
        return
    yield from _document_jobs(doc, [(line, None, ()) for line in _json_item_lines(text)], file, policies, defaults,
                              lambda path, part, occurrence: json_position(text, path, part, 1, occurrence), repeats)


def _keys(entry: dict[str, Any]) -> int:
    """The keys of an entry and of the mappings in it (its params, facts, host; not deeper)."""
    return len(entry) + sum(len(v) for v in entry.values() if v.__class__ is dict)


def _repeated_in_line(text: str, file: str, lineno: int) -> UserError | None:
    """The error of a JSON Lines line that repeats a key, if it does."""
    repeats: yamlload.Repeats = {}
    entry = json.loads(text, object_pairs_hook=partial(_unique_pairs, repeats))
    for path, key in _repeated_keys(entry, repeats):
        return _repeated_key_error(path, key, file, lambda path, part, occurrence: json_position(
            text, path, part, lineno, occurrence))
    return None


def _unique_pairs(repeats: yamlload.Repeats, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object of a JSON document, recorded in ``repeats`` when it repeats a key (json keeps the last)."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        key = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        repeats[id(obj)] = (obj, key)
    return obj


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
    """A JSON plan's text, a leading byte order mark skipped (as YAML's reader does)."""
    if b"\0" in data[:8192]:
        raise UserError("binary file, expected a plan (YAML, JSON or JSON Lines)", file)
    return decode_text(data.removeprefix(BOM), file)


def jsonl_jobs(stream: IO[bytes], file: str, policies: PolicySet, defaults: Defaults,
               max_line: int = MAX_LINE_BYTES, memo: PlanMemo | None = None) -> Iterator[Item]:
    """Stream a JSON Lines plan: one entry per line, blank lines skipped. A line is read at most ``max_line``
    bytes at a time, so that a file without newlines cannot fill the memory. With a memo, a line whose
    shape (or, with compact JSON, whose outcome) was seen before is written by the memo and not yielded
    (see miglint.jsonl_templates, miglint.entry_memo)."""
    loads = json.loads
    # The C scanner behind json.loads, called directly for the usual line that starts with '{': the
    # same parse without json.loads' argument checks and whitespace regular expressions.
    scan = getattr(json.JSONDecoder(), "scan_once", None)
    ignores = _Ignores(policies)
    ids = Ids(file)
    if memo is not None:
        memo.begin(file)
    lines = iter(partial(stream.readline, max_line + 1), b"")
    first = next(lines, b"").removeprefix(BOM)  # a byte order mark before the first line is skipped, as in YAML
    for lineno, raw in enumerate(chain((first,), lines) if first else (), 1):
        if len(raw) > max_line:
            while not raw.endswith(b"\n"):  # skip the rest of the line, a bounded piece at a time
                raw = stream.readline(1 << 16)
                if not raw:
                    break
            yield UserError(f"line longer than {max_line} bytes (max-line-size)", f"{file}:{lineno}")
            continue
        if len(raw) < 3 and not raw.strip():
            continue
        try:
            text = raw.decode("utf-8")
            if memo is not None and memo.seen_text(text, lineno):
                duplicate = ids.see_id(memo.served_id, lineno)
                if duplicate is not None:
                    yield duplicate
                continue  # a repeated shape, recognised without parsing the line
            if scan is not None and text[:1] == "{":
                try:
                    entry, end = scan(text, 0)
                except StopIteration:
                    entry, end = loads(text), len(text)
                if end != len(text) and text[end:].strip():
                    entry = loads(text)  # trailing data: let json.loads say what is wrong
            else:
                entry = loads(text)
        except UnicodeDecodeError:
            yield UserError("invalid UTF-8", f"{file}:{lineno}")
            continue
        except json.JSONDecodeError as e:
            if not text.strip():
                continue  # a line of blanks, skipped as an empty one
            yield UserError(f"invalid JSON: {e.msg}", f"{file}:{lineno}:{e.colno}")
            continue
        except RecursionError:
            yield UserError("JSON nested too deeply", f"{file}:{lineno}")
            continue
        except ValueError as e:
            yield UserError(f"invalid JSON: {'number too long' if 'integer string' in str(e) else e}",
                            f"{file}:{lineno}")
            continue
        # A repeated key: the line has more `"key":` than its entry keeps (its keys and its mappings'). Only such
        # a line is parsed again to find it: one raw count per line, and a look at the params when they are there.
        # (A key written with blanks before its colon, `"key" :`, is not counted: repeated so, it may go unseen.)
        if entry.__class__ is dict:
            colons = raw.count(b'":')
            if colons != len(entry):
                params = entry.get("params")
                if (params.__class__ is not dict or colons != len(entry) + len(params)) and colons != _keys(entry):
                    repeated = _repeated_in_line(text, file, lineno)
                    if repeated is not None:
                        yield repeated
                        continue
        duplicate = ids.see(entry, lineno)
        if duplicate is not None:
            yield duplicate
        if memo is not None and memo.seen(text, entry, lineno):
            continue  # a repeated shape: its result is already written
        try:
            if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH:  # cheap: only such a line can nest that deep
                check_depth(entry, f"{file}:{lineno}")
            job = job_from_entry(policies, entry, defaults, Location(file, lineno, 1), lineno - 1)
        except UserError as e:
            yield _positioned(e, file, lineno, lambda path, part: json_position(text, path, part, lineno))
            continue
        for item in ignores.job(job):
            if memo is not None and isinstance(item, Job):
                memo.expect(item)
            yield item
