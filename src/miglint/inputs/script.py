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
    asks_help,
    command_job,
    command_word,
    find_migrate,
    parse_migrate_args,
    with_input,
)

_STATE_WORDS = {"active": "running or paused", "shutoff": "shut off"}

# Programs that run a command given as one string argument.
STRING_RUNNERS = frozenset({"ssh", "sh", "bash", "dash", "ksh", "zsh", "su", "runuser", "eval", "pdsh", "clush"})

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


def _strings_run(cmd: Command, file: str) -> list[Command]:
    """Commands inside a string another shell runs (``ssh host 'virsh migrate ...'``), positioned in the file.

    The string is read in a shell of its own (the local variables are not the remote ones); expansions in a
    double-quoted string were done by the local shell first, so its resolved text is what is read."""
    out: list[Command] = []
    seen: set[tuple[object, ...]] = set()
    for words in cmd.readings():
        cw = command_word(words)
        if cw is None or os.path.basename(cw.text) not in STRING_RUNNERS:
            continue
        for w in words:
            if w is cw or "virsh" not in w.text or not any(ch in w.text for ch in " \t\n"):
                continue
            line, column = w.origin()
            # A string written as it runs ('virsh migrate ...', or "..." without expansions or escapes) has
            # its words at known offsets in the file, one past the opening quote: fix can edit them there.
            # Whether it is (and not, say, ''virsh ...') is checked again before an edit is written.
            exact = w.start >= 0 and not w.unknown and w.end - w.start == len(w.text) + 2
            try:
                # The word starts with its opening quote, so its text starts one column later.
                sc = scan(w.text, file, positions=Positions(w.text, line, column + 1, spans=exact,
                                                             base=w.start + 1))
            except UserError:
                continue
            for inner in resolve(sc):
                key = (inner.line, inner.column, tuple(x.text for x in inner.words))
                if key not in seen:
                    seen.add(key)
                    out.append(inner)
    return out


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
    for cmd in map(_with_input, commands):
        out.append(cmd)
        if all(find_migrate(words) is None for words in cmd.readings()):
            out.extend(_strings_run(cmd, file))
    comments.sort(key=lambda c: (c.line, c.column))
    return Reading(out, comments, heredocs, errors, loops, compound)


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
