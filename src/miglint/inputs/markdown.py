"""Markdown runbooks -> the shell snippets in their fenced code blocks.

Read: fenced blocks (```` ``` ```` or ``~~~``, indented or not, e.g. inside list items) tagged ``sh``, ``bash``,
``shell``, ``zsh``, ``ksh``, ``dash`` (shell blocks) or ``console``, ``shell-session``, ``sh-session``,
``bash-session``, ``terminal`` (console blocks), and untagged blocks that hold a ``virsh ... migrate``
(read as shell blocks). Not read: prose, inline code spans, indented code blocks, blocks with any other tag
(``text``, ``output``, ``yaml``...). A shell or untagged block that has a ``$ `` prompt line is read as a
console block.

In a console block, a command is a line with a prompt (``$ ``, ``% ``, ``# ``, ``user@host:~$ ``,
``[root@host ~]# ``, ``(venv) $ ``), prompt stripped, and its continuation lines (after a trailing ``\\``,
``|``, ``&&``, ``||``, inside an open quote, or any line with a ``> `` secondary prompt, which is stripped: the
shell prints it only while a command goes on, as in ``$ for vm in a b; do``); every other
line is the command's output and is ignored. In a shell block every line is shell, ``$ `` prompts stripped.

A line ``# virsh migrate ...`` in a console block, or in a block whose every line starts with ``# ``, is a root
prompt far more often than a comment; in a shell block with shell of its own (a script, ``#!/bin/bash``, or
commands without a prompt) it is a command commented out. Where it may be a prompt, ``# `` is read as
a root prompt when what follows it is a command line that runs virsh (directly or through sudo, ssh, ...) or
assigns a variable (``# DEST=qemu+ssh://...``, ``# export DEST=...``), and as a comment otherwise (so
``# miglint: disable=...`` directives inside a block work as in a script). Prose after ``# `` that happens to
start with the word virsh is therefore read as a command.

``<placeholder>`` words (``<domain>``, ``qemu+ssh://<destination-host-ip>/system``) are unknown text, not
redirections. All blocks of a file are one shell session, in order: a variable set in one block is known in the
next, as when an operator runs the runbook in one terminal.
"""

from __future__ import annotations

import re

from ..errors import UserError
from .shell import scan
from .snippet import Builder, Snippet, line_starts

SHELL_TAGS = frozenset({"sh", "bash", "shell", "zsh", "ksh", "dash", "posix", "shell-script", "shellscript"})
CONSOLE_TAGS = frozenset({"console", "shell-session", "shellsession", "sh-session", "bash-session", "terminal"})
_FENCE = re.compile(r"(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)")
_VIRSH_MIGRATE = re.compile(r"\bvirsh\b.*\bmigrate\b")
_PLACEHOLDER = re.compile(r"(?<![<$\\])<[A-Za-z][A-Za-z0-9_.:/@+-]*(?: [A-Za-z0-9_.:/@+-]+)*>")
# Prompts other than the bare "# " (which needs a decision): "$ ", "% ", "user@host:dir$ ", "[user@host dir]# ",
# "(venv) $ ".
_PROMPT = re.compile(r"(?:\([^()\s]*\) )?(?:\[[^\]\n]*\]|[A-Za-z0-9_.-]+@[A-Za-z0-9_.-]+(?::\S*?)?)?[$%#] "
                     r"|(?:\([^()\s]*\) )?\$ ")
_ROOT = "# "
_ASSIGNMENT = re.compile(r"(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*=")
MAX_CONTINUATION = 200


def markdown_snippets(text: str) -> list[Snippet]:
    """The shell snippets of a Markdown file, in order, one session."""
    lines = text.split("\n")  # as line_starts counts lines: \u2028 and lone \r do not end a Markdown line here
    starts = line_starts(text)
    out: list[Snippet] = []
    i = 0
    while i < len(lines):
        m = _FENCE.fullmatch(lines[i].rstrip("\r\n"))
        if m is None or (m.group("fence")[0] == "`" and "`" in m.group("info")):
            i += 1
            continue
        fence = m.group("fence")
        indent = len(m.group("indent").expandtabs(4))
        info = m.group("info").strip()
        tag = re.split(r"[\s{},]+", info.lstrip("{. ").lower())[0] if info else ""
        tag = tag.lstrip(".")
        j = i + 1
        close = re.compile(re.escape(fence[0]) + "{" + str(len(fence)) + r",}[ \t]*")
        while j < len(lines) and not close.fullmatch(lines[j].strip(" \t\r\n") if lines[j].strip() else "x"):
            j += 1
        body = list(range(i + 1, j))  # line indexes of the block's content
        i = j + 1
        if tag not in SHELL_TAGS and tag not in CONSOLE_TAGS and tag != "":
            continue
        content = [(k, _dedent(lines[k].rstrip("\r\n"), indent)) for k in body]
        if tag == "" and not _VIRSH_MIGRATE.search("\n".join(c for _, c in content).replace("\\\n", " ")):
            continue
        console = tag in CONSOLE_TAGS or any(c.startswith("$ ") or _PROMPT.match(c) is not None and
                                             not c.startswith("# ") for _, c in content)
        # In a shell block that holds shell of its own (a script: `#!/bin/bash`, commands without a prompt),
        # `# virsh migrate ...` is a command commented out; where every line is `# ...`, they are root prompts.
        texts = [c for _, c in content if c.strip()]
        root = console or bool(texts) and all(c.startswith(_ROOT) for c in texts)
        b = Builder(starts)
        for k, (offset, line) in _block_lines(content, starts, lines, console, root):
            _put_line(b, line, offset)
        snip = b.build(0, f"```{tag or 'untagged'} block at line {body[0] + 1 if body else i}")
        if snip.text.strip():
            out.append(snip)
    return out


def _dedent(line: str, indent: int) -> str:
    k = 0
    while k < len(line) and k < indent and line[k] == " ":
        k += 1
    return line[k:]


def _block_lines(content: list[tuple[int, str]], starts: list[int], lines: list[str],
                 console: bool, root: bool = True) -> list[tuple[int, tuple[int, str]]]:
    """(line index, (file offset, text)) of the shell lines of a block, prompts stripped."""
    out: list[tuple[int, tuple[int, str]]] = []
    pending: list[str] = []  # the command being continued (console blocks)
    continued = False  # the previous shell line ends with a backslash (shell blocks)
    for k, line in content:
        raw = lines[k].rstrip("\r\n")
        base = starts[k] + (len(raw) - len(line))  # file offset of line[0]
        if console:
            # A "> " line after a command is the shell's secondary prompt (PS2): the command goes on there
            # (`$ for vm in a b; do` / `>   virsh migrate ...` / `> done`), however it looks on its own.
            secondary = line.startswith("> ") or line == ">"
            if pending and len(pending) < MAX_CONTINUATION and (secondary or _incomplete("\n".join(pending))):
                body = line[2:] if line.startswith("> ") else ("" if line == ">" else line)
                off = base + (len(line) - len(body))
                pending.append(body)
                out.append((k, (off, body)))
                continue
            pending = []
            cut = _prompt(line)
            if cut is None:
                if line.lstrip().startswith("#") and "miglint:" in line:
                    out.append((k, (base, line)))  # a directive comment
                continue  # output
            body = line[cut:]
            pending = [body]
            out.append((k, (base + cut, body)))
            continue
        if not continued:
            if line.startswith("$ "):
                out.append((k, (base + 2, line[2:])))
                continued = line.rstrip().endswith("\\")
                continue
            if root and line.startswith(_ROOT) and _runs_virsh(line[2:]):
                out.append((k, (base + 2, line[2:])))
                continued = line.rstrip().endswith("\\")
                continue
        out.append((k, (base, line)))
        continued = line.rstrip().endswith("\\") and not line.lstrip().startswith("#")
    return out


def _prompt(line: str) -> int | None:
    """Where the command starts after a prompt, None when the line has none (console output)."""
    if line.startswith(_ROOT):
        return 2 if _runs_virsh(line[2:]) else None
    m = _PROMPT.match(line)
    if m is None:
        return None
    if m.group(0).endswith("# ") and m.group(0) == _ROOT:
        return None
    return m.end()


def _incomplete(command: str) -> bool:
    """A command line that goes on on the next line."""
    stripped = command.rstrip()
    if stripped.endswith(("\\", "|", "&&", "||")):
        return True
    try:
        scan(command)
    except UserError:
        return True
    return False


def _runs_virsh(rest: str) -> bool:
    """``# `` is a root prompt: what follows runs virsh or assigns a variable."""
    from .virsh import command_word, find_migrate

    if _ASSIGNMENT.match(rest):
        return True
    try:
        cmds = scan(rest.rstrip("\\")).commands
    except UserError:
        return False
    for c in cmds:
        cw = command_word(c.words)
        if cw is not None and cw.text.rsplit("/", 1)[-1] == "virsh":
            return True
        if find_migrate(c.words) is not None:
            return True
    return False


def _put_line(b: Builder, line: str, offset: int) -> None:
    start = b.size
    b.copy(line, offset)
    for m in _PLACEHOLDER.finditer(line):
        b.opaque.append((start + m.start(), start + m.end()))
    b.add("\n")
