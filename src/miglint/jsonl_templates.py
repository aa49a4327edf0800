"""Throughput for large JSON Lines plans: lines that differ only in their ``id`` are linted once.

A fleet's plan repeats the same few request shapes over and over. For a line with an explicit string
id (and no per-entry ``ignore``), the key is the line's text without its ``"id": ...`` member. The
first line of each shape goes through the ordinary path (job, evaluation, fix plan, reporters); the
JSON reporters' rendered text becomes a template in which only the id and the line number change.
Later lines with the same key are written from the template without building a request, and their
counts are added to the summary at the end. tests/unit/test_jsonl_templates.py checks that the output is
identical to the ordinary path.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from json.encoder import encode_basestring
from typing import Any, NamedTuple, Protocol

MAX_SHAPES = 4096
MAX_BYTES = 8 << 20  # of rendered text in the table
LINE = '"line":%d,"column"'


class Counted(NamedTuple):
    """What the summary needs of the repeated lines of one kind of outcome: how many there were."""

    prediction: str
    severities: tuple[str, ...]
    suppressed: int
    failing: bool
    conditional: int
    times: int

class PlanMemo(Protocol):
    """What the JSON Lines reader and the pipeline ask of a memo (LineMemo here, entry_memo.EntryMemo)."""

    served_id: str

    def begin(self, file: str) -> None: ...
    def seen_text(self, text: str, line: int) -> bool: ...
    def seen(self, text: str, entry: Any, line: int) -> bool: ...
    def expect(self, job: object) -> None: ...
    def record(self, job: Any, result: Any, plan: Any, suppressed: int, fails: bool) -> bool: ...
    def repeated(self) -> list[Counted]: ...


class Template:
    __slots__ = ("pieces",)

    def __init__(self, pieces: list[str]) -> None:
        self.pieces = pieces  # the text after the id, split where the line number goes

    def render(self, id_json: str, line: int) -> str:
        return '{"id":' + id_json + (LINE % line).join(self.pieces)


class Outcome:
    """What a shape of line produced: one template per reporter, and its counts for the summary."""

    __slots__ = ("templates", "prediction", "severities", "suppressed", "failing", "count", "conditional")

    def __init__(self, templates: list[Template], prediction: str, severities: tuple[str, ...], suppressed: int,
                 failing: bool, conditional: int = 0) -> None:
        self.templates, self.prediction, self.severities = templates, prediction, severities
        self.suppressed, self.failing, self.count, self.conditional = suppressed, failing, 0, conditional


def make_template(text: str, id_json: str, line: int) -> Template | None:
    """A template of a rendered result, or None when it holds anything else that varies per line."""
    head = '{"id":' + id_json
    if not text.startswith(head):
        return None
    rest = text[len(head):]
    marker = LINE % line
    if rest.count('"line":') != rest.count(marker):
        return None
    return Template(rest.split(marker))


class LineMemo:
    """The table of shapes. The runner sets ``writers`` (one per reporter); the JSON Lines reader calls
    ``seen`` for each line and skips the line when it returns True (``served_id``: that line's id).

    Bounded: at most MAX_SHAPES shapes and MAX_BYTES of their text; when either is reached the table is emptied
    and only the counts of the lines it served are kept (``counts``, by kind of outcome)."""

    def __init__(self, reporters: Sequence[Any] = ()) -> None:
        self.reporters = list(reporters)  # each with render() and write_rendered()
        self.outcomes: dict[str, Outcome] = {}
        self.counts: Counter[tuple[str, tuple[str, ...], int, bool, int]] = Counter()
        self.size = 0  # bytes of template text in the table
        self.writers: list[Callable[[str], None]] = [r.write_rendered for r in self.reporters]
        # The job just yielded for a new shape, with its key: the runner handles it before asking for the next.
        self.pending: tuple[object, str, str] | None = None
        self.new: tuple[str, str] | None = None
        self.served_id = ""

    def begin(self, file: str) -> None:
        return None

    def record(self, job: Any, result: Any, plan: Any, suppressed: int, fails: bool) -> bool:
        """After the runner evaluated a job: when it is a new shape's, render it (written here: True) and keep
        its templates."""
        shape = self.take(job)
        if shape is None:
            return False
        templates = []
        for r in self.reporters:
            text = r.render(job, result, plan)
            r.write_rendered(text)
            templates.append(make_template(text, shape[1], job.location.line if job.location else 0))
        if all(t is not None for t in templates):
            self.store(shape[0], Outcome([t for t in templates if t is not None], result.prediction,
                                         tuple(f.severity for f in result.findings if not f.depends_on),
                                         suppressed, fails, sum(1 for f in result.findings if f.depends_on)))
        return True

    def seen(self, text: str, entry: Any, line: int) -> bool:
        """Write a known shape's result for this line and return True; else remember the new key, if any."""
        self.new = None
        if type(entry) is not dict or "ignore" in entry:
            return False
        ident = entry.get("id")
        if type(ident) is not str:
            return False
        id_json = encode_basestring(ident)
        for sep in ('"id": ', '"id":'):
            member = sep + id_json
            at = text.find(member)
            if at >= 0 and text.find(member, at + 1) < 0:
                key = text[:at] + text[at + len(member):]
                known = self.outcomes.get(key)
                if known is None:
                    self.new = (key, id_json)
                    return False
                known.count += 1
                for write, template in zip(self.writers, known.templates):
                    write('{"id":' + id_json + (LINE % line).join(template.pieces))
                self.served_id = ident
                return True
        return False

    def seen_text(self, text: str, line: int) -> bool:
        """The same as ``seen`` without parsing the line, for the usual line that starts with its id.

        A line ``{"id": "ID", REST`` whose REST is a stored key is that key's entry with another id: the
        key was stored from a line that parsed, its text holds no other "id" member, and ID is a plain
        JSON string (no escapes, no control characters), so the line parses to the same entry."""
        rest, ident = after_id(text)
        if rest is None:
            return False
        known = self.outcomes.get("{" + rest)
        if known is None:
            return False
        id_json = f'"{ident}"'
        known.count += 1
        for write, template in zip(self.writers, known.templates):
            write('{"id":' + id_json + (LINE % line).join(template.pieces))
        self.served_id = ident
        return True

    def expect(self, job: object) -> None:
        """The job made from the line just read is a new shape: the runner will store its outcome."""
        if self.new is not None:
            self.pending = (job, *self.new)

    def take(self, job: object) -> tuple[str, str] | None:
        p, self.pending = self.pending, None
        return (p[1], p[2]) if p is not None and p[0] is job else None

    def store(self, key: str, outcome: Outcome) -> None:
        if '"id"' in key:
            return  # another "id" member: only a full parse can tell which one counts
        size = len(key) + sum(len(p) for t in outcome.templates for p in t.pieces)
        if len(self.outcomes) >= MAX_SHAPES or self.size + size > MAX_BYTES:
            self._retire()  # bounded memory; new shapes are rendered again
        self.outcomes[key] = outcome
        self.size += size

    def _retire(self) -> None:
        for o in self.outcomes.values():
            if o.count:
                self.counts[o.prediction, o.severities, o.suppressed, o.failing, o.conditional] += o.count
        self.outcomes.clear()
        self.size = 0

    def repeated(self) -> list[Counted]:
        """The counts of the lines written from the table (for the summary)."""
        self._retire()
        return [Counted(*kind, n) for kind, n in self.counts.items()]


def after_id(text: str) -> tuple[str | None, str]:
    """(what follows the id, the id) of a JSON Lines line that starts with a plain string id (no escapes, no
    control characters: the id as written is the id as parsed), else (None, "")."""
    if text.startswith('{"id": "'):
        start = 7
    elif text.startswith('{"id":"'):
        start = 6
    else:
        return None, ""
    end = text.find('"', start + 1)
    if end < 0:
        return None, ""
    ident = text[start + 1:end]
    if "\\" in ident or not ident.isprintable():
        return None, ""
    return text[end + 1:], ident
