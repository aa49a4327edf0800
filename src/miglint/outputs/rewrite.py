"""Minimal text edits that carry a fix into a command line, a script or a plan file. Pure: text in, text out.

Command lines are edited word by word with the positions the shell scanner records: a removed option goes
with its value word and the blank before it, an added option goes right after ``migrate``; quoting,
continuation lines and everything else stay as written. Plan entries are edited through the YAML node
positions of their ``command``, ``flags`` and ``params`` values: a flow sequence or mapping is rewritten
in place, a block sequence or mapping loses or gains whole lines, comments elsewhere stay.
After editing, the new text is read again and each request compared with the planned one; a mismatch
raises RewriteError rather than writing something else than intended.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import yaml

from ..engine.evaluate import Evaluator
from ..engine.fixes import FixPlan, fix_stable
from ..errors import UserError
from ..inputs.request import check_state
from ..inputs.shell import Word, split_line
from ..inputs.virsh import (
    Span,
    command_job,
    find_migrate,
    parse_migrate_args,
)
from ..model import REJECTING, Job, Request, Result
from ..policy.load import PolicySet
from ..policy.vocabulary import FLAG_PREFIX, Vocabulary
from ..settings import Defaults, Settings
from ..version import Version, parse_version


class RewriteError(UserError):
    """A fix that cannot be written into this text without changing more than it should."""


class Edit(NamedTuple):
    start: int
    end: int
    text: str


class JobFix(NamedTuple):
    """One request of a file: what it was, the fix planned for it, and what re-reading the new text gives."""

    job: Job
    before: Result
    plan: FixPlan | None  # None: nothing fixed
    after: Result | None  # the result of the rewritten request (None when unchanged)

    @property
    def final(self) -> Result:
        """The request's result once the file is written."""
        return self.after if self.after is not None else self.before


class FileFix(NamedTuple):
    path: str
    old: str
    new: str
    jobs: tuple[JobFix, ...]
    errors: tuple[UserError, ...]

    @property
    def changed(self) -> bool:
        return self.old != self.new


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    out: list[str] = []
    pos = 0
    for e in sorted(edits, key=lambda e: (e.start, e.end)):
        if e.start < pos:
            raise RewriteError("overlapping edits (two fixes touch the same words)")
        out.append(text[pos:e.start])
        out.append(e.text)
        pos = e.end
    out.append(text[pos:])
    return "".join(out)


# -- virsh command lines -----------------------------------------------------------------------------


def _quote(value: object) -> str:
    return shlex.quote(str(value))


def _option_names(req: Request) -> dict[str, object]:
    names: dict[str, object] = dict(req.options or ())
    for p in req.virsh_problems:
        if p.kind == "unknown_option" and p.option:
            names.setdefault(p.option, p.value)
    return names


_BLOCK_ITEM = re.compile(r"[ \t]*(?:#[^\n]*)?\n(?:[ \t]*(?:#[^\n]*)?\n)*([ \t]*-[ \t]+)")
_FLOW_ITEM = re.compile(r"\s*,\s*")
_PLAIN_ITEM = re.compile(r"[A-Za-z0-9_./:=+@%-]+")


def _list_layout(text: str | None, anchor: Word, following: Word | None) -> str | None:
    """How the words are written when they are the items of a YAML list (an Ansible ``argv:``): the text that
    starts an item after ``anchor`` ("\n      - ", ", "), or None when they are shell words."""
    if text is None or following is None or anchor.end < 0 or following.start < anchor.end:
        return None
    between = text[anchor.end:following.start]
    m = _BLOCK_ITEM.fullmatch(between)
    if m:
        return "\n" + m.group(1)
    return ", " if _FLOW_ITEM.fullmatch(between) else None


def command_edits(words: Sequence[Word], before: Request, after: Request, version: Version,
                  vocab: Vocabulary, text: str | None = None) -> list[Edit]:
    """Edits that turn the command ``words`` (of ``before``) into ``after``'s options. ``text``, the file the
    words are in, tells words that are the items of a YAML list apart (each added word is an item)."""
    call = find_migrate(words)
    if call is None:
        raise RewriteError("not a 'virsh migrate' command")
    args = list(words[call.migrate_index + 1:])
    parsed = parse_migrate_args(args, version, vocab)
    was, now = _option_names(before), _option_names(after)
    removed = [n for n in was if n not in now]
    added = [n for n in vocab.options if n in now and n not in was]
    changed = [n for n in now if n in was and now[n] != was[n]]
    edits: list[Edit] = []
    index = {id(w): i for i, w in enumerate(words)}
    positional_after: dict[int, bool] = {}
    spans: list[Span] = list(parsed.spans)
    for k, sp in enumerate(spans):
        positional_after[k] = any(s.positional for s in spans[k + 1:])
    for name in removed:
        for k, sp in enumerate(spans):
            if sp.name != name:
                continue
            if sp.positional and positional_after[k]:
                raise RewriteError(f"cannot drop the positional value of --{name}: the values after it would move")
            first = sp.words[0]
            prev = words[index[id(first)] - 1]
            _need_positions(first, prev, sp.words[-1])
            edits.append(Edit(prev.end, sp.words[-1].end, ""))
    for name in changed:
        found = next((s for s in spans if s.name == name), None)
        if found is None:
            raise RewriteError(f"cannot find --{name} to change its value")
        value = now[name]
        od = vocab.options[name]
        if od.type == "bool":
            continue
        target = found.words[-1]
        _need_positions(target)
        if len(found.words) == 1 and not found.positional:
            edits.append(Edit(target.start, target.end, f"--{name}={_quote(value)}"))
        else:
            edits.append(Edit(target.start, target.end, _quote(value)))
    if added:
        anchor = words[call.migrate_index]
        _need_positions(anchor)
        following = words[call.migrate_index + 1] if call.migrate_index + 1 < len(words) else None
        item = _list_layout(text, anchor, following)
        new = ""
        for name in added:
            value = now[name]
            if item is None:
                new += f" --{name}" if value is True else f" --{name} {_quote(value)}"
            else:
                for w in [f"--{name}"] + ([] if value is True else [str(value)]):
                    new += item + (w if _PLAIN_ITEM.fullmatch(w) else json.dumps(w))
        edits.append(Edit(anchor.end, anchor.end, new))
    return edits


def _need_positions(*words: Word) -> None:
    for w in words:
        if w.start < 0 or w.end < 0:
            raise RewriteError("the command's word positions are not known")


def rewrite_command(text: str, before: Request, after: Request, vocab: Vocabulary) -> str:
    """The command line ``text`` (parsed as ``before``) edited to say what ``after`` says."""
    version = parse_version(before.libvirt_version)
    return apply_edits(text, command_edits(split_line(text), before, after, version, vocab))


def fix_command(text: str, policies: PolicySet, evaluator: Evaluator, defaults: Defaults, *,
                unsafe: bool = False) -> tuple[str, list[str]]:
    """One command line fixed with the defaults alone (no configuration), and the rules that still refuse it."""
    version = policies.vocab.version(defaults.libvirt_version)

    def read(t: str) -> list[object]:
        return [command_job(t, policies=policies, hypervisor=defaults.hypervisor, state=check_state(defaults.state),
                            version=version, job_id="<command>")]

    ff = fix_file(text, "<command>", "command", read, lambda job: fix_stable(evaluator, job.request, unsafe=unsafe),
                  evaluator, policies.vocab)
    if ff.errors:
        raise ff.errors[0]
    final = ff.jobs[0].final if ff.jobs else None
    still = [f.rule for f in final.findings if f.effect in REJECTING and not f.depends_on] if final else []
    return ff.new.strip(), still


# -- files -------------------------------------------------------------------------------------------

# The text of a file -> what `check` reads in it (jobs, input errors; notes and suppressions are passed over).
Reader = Callable[[str], Sequence[object]]
# A job -> the fix to apply (None: nothing to fix), decided as the run's settings say.
Planner = Callable[[Job], "FixPlan | None"]

SHELL_KINDS = ("command", "script", "markdown", "makefile", "ansible")


def _same(a: Request, b: Request) -> bool:
    if a.flags != b.flags or dict(a.params) != dict(b.params):
        return False
    if a.options is not None and b.options is not None:
        return set(_option_names(a)) == set(_option_names(b))
    return True


def fix_text(text: str, path: str, kind: str, policies: PolicySet, defaults: Defaults, evaluator: Evaluator,
             *, unsafe: bool = False) -> FileFix:
    """Fix every request in one file's text read with ``defaults`` alone (tools and tests; the command line
    goes through miglint.pipeline.fix_files, which reads files as `check` does)."""
    from ..inputs.files import jobs_of_data

    def read(t: str) -> list[object]:
        return list(jobs_of_data(kind, t.encode("utf-8"), path, False, policies, Settings(defaults=defaults)))

    return fix_file(text, path, kind, read, lambda job: fix_stable(evaluator, job.request, unsafe=unsafe),
                    evaluator, policies.vocab)


def _jobs_of(items: Iterable[object]) -> tuple[list[Job | UserError], list[UserError]]:
    kept = [i for i in items if isinstance(i, (Job, UserError))]
    return kept, [e for e in kept if isinstance(e, UserError)]


def fix_file(text: str, path: str, kind: str, read: Reader, planner: Planner, evaluator: Evaluator,
             vocab: Vocabulary) -> FileFix:
    """Fix every request of one file. ``kind``: command, script, markdown, makefile, ansible (edits of the
    shell words where the reader found them), yaml, json or jsonl (edits of the plan entries).

    The new text is read again as ``read`` reads it, and each fixed request must say what its fix planned;
    a request whose edit reads otherwise (the edit landed inside a string that quotes differently, say) keeps
    its old text and is reported, and the others are still fixed."""
    items, errors = _jobs_of(read(text))
    planned: list[tuple[Job, Result, FixPlan | None, list[Edit]]] = []
    entries: list[Any] | None = None
    lines: list[str] = []
    offsets: list[int] = [0]
    if kind in ("yaml", "json"):
        try:
            entries = _entry_nodes(_compose(text)) if any(isinstance(i, Job) for i in items) else []
        except RewriteError as e:
            e.where = path
            errors.append(e)
            entries = []
        if len(entries) != len(items):
            entries = []  # entries the reader skipped: no telling which node is whose
    elif kind == "jsonl":
        lines = text.splitlines(keepends=True)
        for line in lines:
            offsets.append(offsets[-1] + len(line))
    for index, job in enumerate(items):
        if not isinstance(job, Job):
            continue
        before = evaluator(job.request)
        plan = planner(job)
        edits: list[Edit] = []
        if plan is not None and plan.changed:
            try:
                if kind in SHELL_KINDS:
                    if job.words is None:
                        raise RewriteError("the command's words are not known")
                    edits = command_edits(job.words, job.request, plan.request,
                                          parse_version(job.request.libvirt_version), vocab, text)
                elif kind in ("yaml", "json"):
                    if not entries:
                        raise RewriteError("cannot tell which entry of the file this request is")
                    doc = _Doc(text, kind == "json", vocab)
                    doc.fix_entry(entries[index], job, plan)
                    edits = doc.edits
                elif kind == "jsonl" and job.location is not None:
                    n = job.location.line - 1
                    doc = _Doc(lines[n], True, vocab)
                    doc.fix_entry(_compose(lines[n]), job, plan)
                    edits = [Edit(e.start + offsets[n], e.end + offsets[n], e.text) for e in doc.edits]
                else:
                    raise RewriteError(f"cannot edit requests of a {kind} file")
            except RewriteError as e:
                where = job.location
                e.where = e.where or (f"{where.file}:{where.line}:{where.column}" if where else path)
                errors.append(e)
                plan, edits = None, []
        else:
            plan = None
        planned.append((job, before, plan, edits))
    new, after, refused = _write(text, path, planned, read, evaluator)
    errors.extend(refused)
    jobs = tuple(JobFix(j, r, p if a is not None else None, a) for (j, r, p, _), a in zip(planned, after))
    return FileFix(path, text, new, jobs, tuple(errors))


def _write(text: str, path: str, planned: list[tuple[Job, Result, FixPlan | None, list[Edit]]], read: Reader,
           evaluator: Evaluator) -> tuple[str, list[Result | None], list[UserError]]:
    """The text with every planned edit that reads back as planned; the results of the fixed requests."""
    active = [bool(edits) for *_, edits in planned]
    refused: list[UserError] = []
    for _ in range(len(planned) + 1):
        # The readings of one command share their words: the same edit once.
        edits = list(dict.fromkeys(e for (*_, es), on in zip(planned, active) if on for e in es))
        if not edits:
            return text, [None] * len(planned), refused
        try:
            new = apply_edits(text, edits)
        except RewriteError as e:
            e.where = path
            return text, [None] * len(planned), refused + [e]
        jobs = [j for j in _jobs_of(read(new))[0] if isinstance(j, Job)]
        if len(jobs) != len(planned):
            # Some edit made or unmade a command: find it by writing each request's edits alone.
            bad = [k for k, on in enumerate(active) if on and not _alone_ok(text, planned, k, read)]
            if not bad:
                refused.append(RewriteError("the fixed text no longer holds the same requests; not written", path))
                return text, [None] * len(planned), refused
        else:
            bad = [k for k, ((_, _, plan, _), on, job) in enumerate(zip(planned, active, jobs))
                   if on and plan is not None and not _same(job.request, plan.request)]
        if not bad:
            return new, [evaluator(job.request) if on else None for on, job in zip(active, jobs)], refused
        for k in bad:
            active[k] = False
            loc = planned[k][0].location
            refused.append(RewriteError("the fixed text would not say what the fix planned (an edit inside a "
                                        "string that quotes otherwise?); this request is left as it is",
                                        f"{loc.file}:{loc.line}:{loc.column}" if loc else path))
    return text, [None] * len(planned), refused


def _alone_ok(text: str, planned: list[tuple[Job, Result, FixPlan | None, list[Edit]]], k: int,
              read: Reader) -> bool:
    """Request ``k``'s edits, written alone, leave the file's requests in place and say what was planned."""
    edits = list(dict.fromkeys(planned[k][3]))
    try:
        jobs = [j for j in _jobs_of(read(apply_edits(text, edits)))[0] if isinstance(j, Job)]
    except RewriteError:
        return False
    plan = planned[k][2]
    return len(jobs) == len(planned) and plan is not None and _same(jobs[k].request, plan.request)


# -- plan files: YAML node positions -------------------------------------------------------------------


def _compose(text: str) -> Any:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        raise RewriteError(f"cannot read the file's layout: {str(e).splitlines()[0]}") from None


def _entry_nodes(root: Any) -> list[Any]:
    if isinstance(root, yaml.MappingNode):
        for k, v in root.value:
            if k.value == "migrations":
                return list(v.value) if isinstance(v, yaml.SequenceNode) else []
        return [root]
    if isinstance(root, yaml.SequenceNode):
        return list(root.value)
    return []


def _get(node: Any, key: str) -> tuple[Any, Any] | None:
    for k, v in node.value:
        if getattr(k, "value", None) == key:
            return k, v
    return None


def _line_start(text: str, i: int) -> int:
    return text.rfind("\n", 0, i) + 1


def _line_end_after(text: str, start: int, end: int) -> int:
    """End (past the newline) of the line holding the last non-blank character before ``end``."""
    j = end
    while j > start and text[j - 1] in " \t\r\n":
        j -= 1
    nl = text.find("\n", j)
    return len(text) if nl < 0 else nl + 1


class _Doc:
    """Edits of one YAML or JSON document's text."""

    def __init__(self, text: str, json_style: bool, vocab: Vocabulary) -> None:
        self.text = text
        self.json = json_style
        self.vocab = vocab
        self.edits: list[Edit] = []

    def emit(self, value: Any) -> str:
        if self.json:
            return json.dumps(value, ensure_ascii=False)
        out: str = yaml.safe_dump(value, default_flow_style=True, width=1 << 30, allow_unicode=True).strip()
        if out.endswith("\n..."):
            out = out[:-4].strip()
        return out

    def emit_str(self, value: str, style: str | None) -> str:
        if self.json or style == '"':
            return json.dumps(value, ensure_ascii=False)
        if style == "'":
            return "'" + value.replace("'", "''") + "'"
        plain = self.emit(value)
        return plain

    def src(self, node: Any) -> str:
        return self.text[node.start_mark.index:node.end_mark.index]

    def replace(self, node: Any, new: str) -> None:
        self.edits.append(Edit(node.start_mark.index, node.end_mark.index, new))

    # -- sequences of flag names --

    def set_flags(self, entry: Any, key_value: tuple[Any, Any] | None, old_names: list[str], new_names: list[str]) -> None:
        vocab = self.vocab
        if key_value is None:
            self.add_key(entry, "flags", "[" + ", ".join(self.emit_str(n, None) for n in new_names) + "]"
                         if not self.json else json.dumps(new_names))
            return
        _, node = key_value
        if isinstance(node, yaml.ScalarNode):
            raw = self.src(node)
            if node.tag.endswith(":int") or raw.lstrip("+").isdigit() or raw.lower().startswith("0x"):
                value = vocab.mask(new_names)
                self.replace(node, hex(value) if raw.lower().startswith("0x") else str(value))
            else:
                sep = "|" if "|" in node.value or "," not in node.value else ","
                prefixed = FLAG_PREFIX in node.value.upper()
                joined = sep.join((FLAG_PREFIX + n) if prefixed else n for n in new_names)
                self.replace(node, self.emit_str(joined, node.style))
            return
        if not isinstance(node, yaml.SequenceNode):
            raise RewriteError("'flags' is neither a list nor a number")
        items = list(node.value)
        names = [vocab.flag(i.value).name for i in items]
        prefixed = any(str(i.value).upper().startswith(FLAG_PREFIX) for i in items)
        style = items[0].style if items else None
        keep = [i for i, n in zip(items, names) if n in new_names]
        add = [n for n in new_names if n not in names]
        added_text = [self.emit_str((FLAG_PREFIX + n) if prefixed else n, style) for n in add]
        if node.flow_style or not items:
            inner = [self.src(i) for i in keep] + added_text
            self.replace(node, "[" + ", ".join(inner) + "]")
            return
        # A block sequence: remove and add whole lines.
        text = self.text
        removed = [i for i, n in zip(items, names) if n not in new_names]
        if not keep and not add:
            key = key_value[0]
            self.edits.append(Edit(key.end_mark.index, _line_end_after(text, items[-1].start_mark.index,
                                                                        items[-1].end_mark.index) - 1, ": []"))
            return
        for item in removed:
            ls = _line_start(text, item.start_mark.index)
            prefix = text[ls:item.start_mark.index]
            if prefix.strip() != "-":
                raise RewriteError("cannot edit this 'flags' list layout")
            self.edits.append(Edit(ls, _line_end_after(text, item.start_mark.index, item.end_mark.index), ""))
        if add:
            last = items[-1]
            ls = _line_start(text, last.start_mark.index)
            prefix = text[ls:last.start_mark.index]
            if prefix.strip() != "-":
                raise RewriteError("cannot edit this 'flags' list layout")
            at = _line_end_after(text, last.start_mark.index, last.end_mark.index)
            lines = "".join(f"{prefix}{t}\n" for t in added_text)
            if at == len(text) and not text.endswith("\n"):
                lines = "\n" + lines.rstrip("\n")
            self.edits.append(Edit(at, at, lines))

    # -- parameter mappings --

    def set_params(self, entry: Any, key_value: tuple[Any, Any] | None, remove: Sequence[str],
                   put: Mapping[str, Any]) -> None:
        vocab = self.vocab
        if key_value is None:
            if put:
                self.add_key(entry, "params", self.emit(dict(put)))
            return
        _, node = key_value
        if not isinstance(node, yaml.MappingNode):
            raise RewriteError("'params' is not a mapping")
        pairs = list(node.value)
        keys = [vocab.param_key_or_name(str(k.value)) for k, _ in pairs]
        text = self.text
        if node.flow_style or not pairs:
            inner = []
            for (k, v), key in zip(pairs, keys):
                if key in remove:
                    continue
                if key in put:
                    inner.append(f"{self.src(k)}: {self.emit(put[key])}")
                else:
                    inner.append(text[k.start_mark.index:v.end_mark.index])
            inner += [f"{self.emit(k)}: {self.emit(v)}" for k, v in put.items() if k not in keys]
            self.replace(node, "{" + ", ".join(inner) + "}")
            return
        for (k, v), key in zip(pairs, keys):
            if key in put:
                self.replace(v, self.emit(put[key]))
            elif key in remove:
                ls = _line_start(text, k.start_mark.index)
                if text[ls:k.start_mark.index].strip():
                    raise RewriteError("cannot edit this 'params' layout")
                self.edits.append(Edit(ls, _line_end_after(text, k.start_mark.index, v.end_mark.index), ""))
        new_keys = [k for k in put if k not in keys]
        if new_keys:
            k0 = pairs[0][0]
            indent = " " * k0.start_mark.column
            at = _line_end_after(text, pairs[-1][1].start_mark.index, pairs[-1][1].end_mark.index)
            self.edits.append(Edit(at, at, "".join(f"{indent}{self.emit(k)}: {self.emit(put[k])}\n" for k in new_keys)))
        if all(key in remove for key in keys) and not put:
            lo = _line_start(text, node.start_mark.index)  # the removed lines start before the first key
            self.edits = [e for e in self.edits if not (lo <= e.start < node.end_mark.index)]
            key = key_value[0]
            self.edits.append(Edit(key.end_mark.index, _line_end_after(text, node.start_mark.index,
                                                                        node.end_mark.index) - 1, ": {}"))

    def add_key(self, entry: Any, key: str, value_text: str) -> None:
        text = self.text
        k_text = json.dumps(key) if self.json else key
        if entry.flow_style:
            close = entry.end_mark.index - 1
            if text[close] != "}":
                raise RewriteError("cannot add a key to this entry's layout")
            sep = ", " if entry.value else ""
            self.edits.append(Edit(close, close, f"{sep}{k_text}: {value_text}"))
            return
        if not entry.value:
            raise RewriteError("cannot add a key to an empty entry")
        first = entry.value[0][0]
        last = entry.value[-1][1]
        at = _line_end_after(text, last.start_mark.index, last.end_mark.index)
        line = f"{' ' * first.start_mark.column}{k_text}: {value_text}\n"
        if at == len(text) and not text.endswith("\n"):
            line = "\n" + line.rstrip("\n")
        self.edits.append(Edit(at, at, line))

    # -- one entry --

    def fix_entry(self, entry: Any, job: Job, plan: FixPlan) -> None:
        vocab = self.vocab
        before, after = job.request, plan.request
        cmd = _get(entry, "command")
        if cmd is not None and before.options is not None:
            node = cmd[1]
            command = str(node.value)
            new_command = rewrite_command(command, before, after, vocab)
            if node.style in ("|", ">") or "\n" in self.src(node):
                raise RewriteError("cannot rewrite a multi-line 'command' in place")
            self.replace(node, self.emit_str(new_command, node.style))
            return
        if before.flags != after.flags:
            old = vocab.flag_names(before.flags)
            self.set_flags(entry, _get(entry, "flags"), old, vocab.flag_names(after.flags))
        was, now = dict(before.params), dict(after.params)
        remove = [k for k in was if k not in now]
        put = {k: (list(v) if isinstance(v, tuple) else v) for k, v in now.items() if was.get(k) != v}
        if remove or put:
            self.set_params(entry, _get(entry, "params"), remove, put)
