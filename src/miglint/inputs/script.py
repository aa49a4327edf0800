"""Shell scripts -> jobs: every ``virsh ... migrate ...`` command as it runs, with word positions.

The script is read (``miglint.inputs.shell``), its variables followed (``miglint.inputs.resolve``): a command
with several readings gives one job per reading. Also found: commands inside ``$(...)`` and backquotes, and
command strings handed to another shell (``ssh host 'virsh migrate ...'``, ``bash -c "..."``), read in a
shell of their own. Yields, besides jobs and errors, the script's suppressions (so unused ones can be
reported) and notes (here-documents are not read: said once per file).

The same goes for shell snippets taken out of other files (``snippet_jobs``: Markdown runbooks, Makefiles,
Ansible tasks), whose positions map back to their file.
"""

from __future__ import annotations

import os
from dataclasses import replace
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from ..errors import UserError
from ..model import Job, Location, Note, Suppression
from ..notes import make_note
from ..policy.load import PolicySet
from ..settings import Defaults
from .request import check_state
from .resolve import Resolver, resolve
from .shell import (
    Command,
    Comment,
    Heredoc,
    Positions,
    Scan,
    ShellSyntaxError,
    Word,
    scan,
)
from .snippet import Snippet, whole
from .loops import Block, LoopState, blocks, loop_states
from .suppress import Stated, attach, parse_directive, rule_ids
from .virsh import (
    RESERVED,
    InputCommand,
    asks_help,
    command_job,
    command_word,
    find_migrate,
    input_command,
    parse_migrate_args,
    virsh_string,
    with_input,
)

_STATE_WORDS = {"active": "running or paused", "shutoff": "shut off"}

# Programs that run a command given as one string argument.
STRING_RUNNERS = frozenset({"ssh", "sh", "bash", "dash", "ksh", "zsh", "su", "runuser", "eval", "pdsh", "clush",
                            "tmux", "script", "watch", "flock"})
MAX_STRING_DEPTH = 4  # strings run inside strings read this deep

Item = Job | UserError | Note | Suppression


class Reading(NamedTuple):
    """What a file's shell text runs: resolved commands in order of position (strings run by another shell
    included), the comments, the here-documents, and the errors (an unterminated quote: what comes before its
    line is still read)."""

    commands: list[Command]
    comments: list[Comment]
    heredocs: list[Heredoc]
    errors: list[UserError]
    loops: dict[tuple[int, int], LoopState]  # commands in a loop fed by `virsh list`, by position
    blocks: list[Block]  # compound commands: what a comment above one speaks of
    unread: tuple[Unread, ...] = ()  # command strings found but not read


class Unread(NamedTuple):
    """A command string miglint found (it mentions virsh) but did not read, and why."""

    line: int
    column: int
    why: str


class _Strings:
    """Commands inside strings that another program runs, read recursively (``ssh h "bash -c '...'"``)."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.seen: set[tuple[object, ...]] = set()
        self.loops: dict[tuple[int, int], LoopState] = {}
        self.unread: list[Unread] = []

    def run(self, cmd: Command, depth: int = 0) -> list[Command]:
        """Commands inside a string the command hands to another shell, to virsh (a command string of its own)
        or, through ``xargs``/``parallel``, to either, positioned in the file; and those inside strings they
        run in turn, ``MAX_STRING_DEPTH`` deep.

        The string is read in a shell of its own (the local variables are not the remote ones); expansions in
        a double-quoted string were done by the local shell first, so its resolved text is what is read."""
        out: list[Command] = []
        for words in cmd.readings():
            ic = input_command(words)
            sub = words[ic.start:ic.end] if ic is not None else words
            at = virsh_string(sub)
            prefix: tuple[Word, ...] = ()
            if at is not None:
                prefix, strings = tuple(sub[:at]), [sub[at]]
            else:
                cw = command_word(sub)
                if cw is None or os.path.basename(cw.text) not in STRING_RUNNERS:
                    continue
                strings = [w for w in sub if w is not cw]
            for w in strings:
                if "virsh" not in w.text and not prefix or not any(ch in w.text for ch in " \t\n"):
                    continue
                if depth >= MAX_STRING_DEPTH:
                    self.unread.append(Unread(*w.origin(), f"a command string run {depth + 1} levels deep is "
                                              f"not read (miglint reads {MAX_STRING_DEPTH})"))
                    continue
                for inner in self.read(w):
                    if prefix:
                        inner = _prefixed(inner, prefix)
                    if ic is not None and (ic.replace or ic.pattern is not None):
                        inner = _placeholders(inner, ic)
                    key = (inner.line, inner.column, tuple(x.text for x in inner.words))
                    if key in self.seen:
                        continue
                    self.seen.add(key)
                    out.append(inner)
                    if all(find_migrate(r) is None for r in inner.readings()):
                        out.extend(self.run(inner, depth + 1))
        return out

    def read(self, w: Word) -> list[Command]:
        line, column = w.origin()
        # A string written as it runs ('virsh migrate ...', or "..." without expansions or escapes) has its
        # words at known offsets in the file, one past the opening quote: fix can edit them there. Whether it
        # is (and not, say, ''virsh ...') is checked again before an edit is written.
        exact = w.start >= 0 and not w.unknown and w.end - w.start == len(w.text) + 2
        try:
            # The word starts with its opening quote, so its text starts one column later.
            sc = scan(w.text, self.file, positions=Positions(w.text, line, column + 1, spans=exact,
                                                              base=w.start + 1))
        except UserError as e:
            self.unread.append(Unread(line, column, f"a command string that does not parse as shell is not "
                                                    f"read ({e.message})"))
            return []
        self.loops.update(loop_states(sc.tree))
        return resolve(sc)


def _prefixed(cmd: Command, prefix: tuple[Word, ...]) -> Command:
    """A command of virsh's own command string, with the words that ran virsh before it."""
    readings = tuple(prefix + r for r in cmd.readings())
    return cmd._replace(words=readings[0], alternatives=readings if cmd.alternatives else (),
                        line=prefix[0].line, column=prefix[0].column)


def _placeholders(cmd: Command, ic: InputCommand) -> Command:
    """Words of a string run through xargs -I/parallel that hold the replace-string: the input's, unknown."""
    def mark(ws: tuple[Word, ...]) -> tuple[Word, ...]:
        return tuple(x._replace(unknown=True, start=-1, end=-1) if not x.unknown and ic.placeholder(x.text)
                     else x for x in ws)

    readings = tuple(mark(r) for r in cmd.readings())
    return cmd._replace(words=readings[0], alternatives=readings if cmd.alternatives else ())


def _with_input(cmd: Command) -> Command:
    """The command with the words ``xargs``/``parallel`` add from their input (unknown words)."""
    readings = tuple(with_input(ws) for ws in cmd.readings())
    if readings == cmd.readings():
        return cmd
    return cmd._replace(words=readings[0], alternatives=readings if cmd.alternatives else ())


def _scan_recovering(snippet: Snippet, file: str) -> tuple[Scan | None, list[UserError]]:
    """Scan; on an error (an unterminated quote), report it and keep what comes before its line."""
    errors: list[UserError] = []
    text = snippet.text
    while True:
        try:
            pos = snippet._replace(text=text).positions()
            return scan(text, file, positions=pos, opaque=snippet.opaque), errors
        except ShellSyntaxError as e:
            errors.append(UserError(e.message, e.where))
            cut = text.rfind("\n", 0, e.offset) + 1
            if cut <= 0:
                return None, errors
            text = text[:cut]


def read_snippets(snippets: Sequence[Snippet], file: str) -> Reading:
    """Read snippets of one file: those of one session share their variables, in order."""
    sessions: dict[int, Resolver] = {}
    comments: list[Comment] = []
    heredocs: list[Heredoc] = []
    errors: list[UserError] = []
    commands: list[Command] = []
    loops: dict[tuple[int, int], LoopState] = {}
    compound: list[Block] = []
    for snip in snippets:
        if snip.argv is not None:
            if snip.argv:
                first = snip.argv[0]
                commands.append(Command(snip.argv, first.line, first.column, snip.argv[-1].line))
            continue
        sc, errs = _scan_recovering(snip, file)
        errors.extend(errs)
        if sc is None:
            continue
        comments.extend(sc.comments)
        heredocs.extend(sc.heredocs)
        loops.update(loop_states(sc.tree))
        compound.extend(blocks(sc.tree))
        sessions.setdefault(snip.session, Resolver()).run(sc)
    for r in sessions.values():
        commands.extend(r.finish())
    commands.sort(key=lambda c: (c.line, c.column))
    out: list[Command] = []
    strings = _Strings(file)
    for cmd in map(_with_input, commands):
        out.append(cmd)
        if all(find_migrate(words) is None for words in cmd.readings()):
            out.extend(map(_with_input, strings.run(cmd)))
    comments.sort(key=lambda c: (c.line, c.column))
    for pos, ls in strings.loops.items():
        loops.setdefault(pos, ls)
    return Reading(out, comments, heredocs, errors, loops, compound, tuple(strings.unread))


def script_jobs(text: str, file: str, policies: PolicySet, defaults: Defaults) -> Iterator[Item]:
    yield from snippet_jobs([whole(text)], file, policies, defaults)


def snippet_jobs(snippets: Sequence[Snippet], file: str, policies: PolicySet, defaults: Defaults) -> Iterator[Item]:
    """Jobs of shell snippets taken out of one file (a whole script is one snippet)."""
    reading = read_snippets(snippets, file)
    yield from reading.errors
    commands = reading.commands
    file_sups: list[Suppression] = []
    known = rule_ids(policies)
    parsed = []
    said: list[tuple[Comment, list[Stated]]] = []
    for c in reading.comments:
        sups, notes, stated = parse_directive(c, file, known)
        yield from notes
        yield from sups
        parsed.append((c, sups))
        if stated:
            said.append((c, stated))
        file_sups.extend(s for s in sups if s.scope == "file")
    covering = attach(commands, reading.comments, parsed, reading.blocks)
    stating = attach(commands, reading.comments, said, reading.blocks) if said else {}
    # A suppression above a function's call covers the commands of its body run at that call.
    calls = [(n, Command((), line, column, line)) for n, cmd in enumerate(commands) for line, column in cmd.via]
    if calls:
        at_calls = attach([c for _, c in calls], reading.comments, parsed)
        for k, sups in at_calls.items():
            covering.setdefault(calls[k][0], []).extend(s for s in sups if s not in covering.get(calls[k][0], []))
    if reading.heredocs:
        yield _heredoc_note(reading.heredocs, file)
    for u in reading.unread:
        yield make_note("M008", u.why, Location(file, u.line, u.column))
    version = policies.vocab.version(defaults.libvirt_version)
    state = check_state(defaults.state)
    for n, cmd in enumerate(commands):
        readings = cmd.readings()
        for k, words in enumerate(readings):
            call = find_migrate(words)
            if call is None or asks_help(words, call, version, policies.vocab):
                continue
            ws = list(words)
            while ws and ws[0].text in RESERVED and not ws[0].unknown:
                ws.pop(0)  # `if ! virsh migrate ...`: the command's text starts at what runs
            job_id = f"{file}:{cmd.line}"
            if cmd.via:
                job_id += "@" + ",".join(str(line) for line, _ in cmd.via)
            if len(readings) > 1:
                job_id += f"#{k + 1}"
            try:
                job = command_job(" ".join(w.text for w in ws), policies=policies,
                                  hypervisor=defaults.hypervisor, state=state, version=version,
                                  job_id=job_id, file=file, words=words)
            except UserError as e:
                yield e
                continue
            if defaults.state is None:
                job = _state_said(job, ws, stating.get(n, []), reading.loops.get((cmd.line, cmd.column)), policies,
                                  version)
            cover = tuple(file_sups) + tuple(covering.get(n, ()))
            yield replace(job, suppressed=cover) if cover else job


def _state_said(job: Job, words: Sequence[Word], stated: Sequence[Stated], loop: LoopState | None,
                policies: PolicySet, version: tuple[int, int, int]) -> Job:
    """The job with the state the script says other than by --state: a comment above the command, else the
    loop that feeds it its domain (``for d in $(virsh list --state-shutoff)``)."""
    states = [s for s in stated if s.name == "state"]
    if states:
        s = states[-1]
        return replace(job, request=replace(job.request, state=s.value), state_from=f"line {s.location.line}",
                       assumed=job.assumed + (f"the domain is {_STATE_WORDS.get(s.value, s.value)}: "
                                              f"'# miglint: state={s.value}' on line {s.location.line}",))
    if loop is None:
        return job
    call = find_migrate(words)
    if call is None:
        return job
    parsed = parse_migrate_args(words[call.migrate_index + 1:], version, policies.vocab)
    domain = next((w for name, _, w in parsed.options if name == "domain"), None)
    if domain is None or domain.text not in (f"${loop.var}", f"${{{loop.var}}}"):
        return job
    where = f"the loop on line {loop.line} takes it from '{loop.listing}'"
    if loop.state is None:
        return replace(job, state_from=f"line {loop.line}",
                       assumed=job.assumed + (f"the domain may be in any state: {where}",))
    return replace(job, request=replace(job.request, state=loop.state), state_from=f"line {loop.line}",
                   assumed=job.assumed + (f"the domain is {_STATE_WORDS.get(loop.state, loop.state)}: {where}",))


def migrations(reading: Reading) -> list[tuple[Command, int, tuple[Word, ...]]]:
    """The (command, reading index, words) of every reading that runs ``virsh ... migrate``."""
    out = []
    for cmd in reading.commands:
        for k, words in enumerate(cmd.readings()):
            if find_migrate(words) is not None:
                out.append((cmd, k, words))
    return out


def _heredoc_note(heredocs: list[Heredoc], file: str) -> Note:
    first = heredocs[0]
    fed = [h for h in heredocs if h.command and (cw := command_word(h.command)) is not None
           and os.path.basename(cw.text) == "virsh"]
    h = fed[0] if fed else first
    loc = Location(file, h.command[0].line, h.command[0].column) if h.command else Location(file, h.line, 1)
    more = f" ({len(heredocs)} in this file)" if len(heredocs) > 1 else ""
    if fed:
        msg = f"a here-document fed to virsh is not parsed: migrate commands in it are not checked{more}"
    else:
        msg = f"here-document bodies are not parsed{more}"
    return make_note("M003", msg, loc)
