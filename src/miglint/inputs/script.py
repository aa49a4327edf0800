"""Shell scripts -> jobs: every ``virsh ... migrate ...`` simple command, with word positions.

Also found: commands inside ``$(...)`` and backquotes, and command strings handed to another shell
(``ssh host 'virsh migrate ...'``, ``bash -c "..."``). Yields, besides jobs and errors, the script's
suppressions (so unused ones can be reported) and notes (here-documents are not read: said once per file).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from ..errors import UserError
from ..model import Job, Location, Note, Suppression
from ..notes import make_note
from ..policy.load import PolicySet
from ..settings import Defaults
from .request import check_state
from .shell import Command, Heredoc, Scan, scan
from .suppress import attach, parse_comment, rule_ids
from .virsh import RESERVED, command_job, command_word, find_migrate

# Programs that run a command given as one string argument.
STRING_RUNNERS = frozenset({"ssh", "sh", "bash", "dash", "ksh", "zsh", "su", "runuser", "eval", "pdsh", "clush"})

Item = Job | UserError | Note | Suppression


def _strings_run(cmd: Command, file: str) -> list[Command]:
    """Commands inside a string another shell runs (``ssh host 'virsh migrate ...'``), positioned in the file."""
    cw = command_word(cmd.words)
    if cw is None or os.path.basename(cw.text) not in STRING_RUNNERS:
        return []
    out: list[Command] = []
    for w in cmd.words:
        if w is cw or "virsh" not in w.text or not any(ch in w.text for ch in " \t\n"):
            continue
        try:
            # The word starts with its opening quote, so its text starts one column later.
            out.extend(scan(w.text, file, w.line, w.column + 1).commands)
        except UserError:
            continue
    return out


def _scan_recovering(text: str, file: str) -> tuple[Scan | None, list[UserError]]:
    """Scan; on an error (an unterminated quote), report it and keep what comes before its line."""
    errors: list[UserError] = []
    while True:
        try:
            return scan(text, file), errors
        except UserError as e:
            errors.append(e)
            parts = (e.where or "").rsplit(":", 2)
            line = int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else 0
            if line <= 1:
                return None, errors
            text = "".join(text.splitlines(keepends=True)[:line - 1])


def script_jobs(text: str, file: str, policies: PolicySet, defaults: Defaults) -> Iterator[Item]:
    sc, errors = _scan_recovering(text, file)
    yield from errors
    if sc is None:
        return
    commands: list[Command] = []
    for cmd in sc.commands:
        commands.append(cmd)
        if find_migrate(cmd.words) is None:
            commands.extend(_strings_run(cmd, file))
    file_sups: list[Suppression] = []
    known = rule_ids(policies)
    parsed = []
    for c in sc.comments:
        sups, notes = parse_comment(c, file, known)
        yield from notes
        yield from sups
        parsed.append((c, sups))
        file_sups.extend(s for s in sups if s.scope == "file")
    covering = attach(commands, sc.comments, parsed)
    if sc.heredocs:
        yield _heredoc_note(sc.heredocs, file)
    version = policies.vocab.version(defaults.libvirt_version)
    state = check_state(defaults.state)
    for n, cmd in enumerate(commands):
        if find_migrate(cmd.words) is None:
            continue
        words = list(cmd.words)
        while words and words[0].text in RESERVED and not words[0].unknown:
            words.pop(0)  # `if ! virsh migrate ...`: the command's text starts at what runs
        try:
            job = command_job(" ".join(w.text for w in words), policies=policies,
                              hypervisor=defaults.hypervisor, state=state, version=version,
                              job_id=f"{file}:{cmd.line}", file=file, words=cmd.words)
        except UserError as e:
            yield e
            continue
        cover = tuple(file_sups) + tuple(covering.get(n, ()))
        yield Job(job.id, job.request, job.location, job.subject_locations, job.text, cover) if cover else job


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
