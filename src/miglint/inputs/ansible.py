"""Ansible playbooks and task files -> the commands of their ``shell`` and ``command`` tasks.

A YAML file is Ansible when it is a list of plays (mappings with ``hosts``, ``tasks``, ``roles``,
``import_playbook``...) or a list of tasks (mappings with a module key, ``block``, ``include_tasks``...) that
are not miglint plan entries (plans are lists of mappings whose keys are all plan keys -- ``command``,
``hypervisor``, ``flags``, ``state``... -- or a mapping with ``migrations``/``requests``/``defaults``): a
list of mappings that only have plan keys is a plan. ``ansible_snippets`` gives None for anything else.

Read, in ``tasks``, ``pre_tasks``, ``post_tasks``, ``handlers`` and in ``block``/``rescue``/``always``:

* ``shell``, ``ansible.builtin.shell``, ``ansible.legacy.shell`` (and ``raw``, which runs its string in the
  remote shell too): the string (free form or ``cmd:``, or ``args: {cmd: ...}``) is shell text, one shell per
  task.
* ``command``, ``ansible.builtin.command``, ``ansible.legacy.command``: no shell reads it. The free-form string
  (or ``cmd:``) is split into words like Python's shlex (quotes, backslashes; no operators, no variables:
  ``$X`` and ``|`` are plain characters; a ``$X`` that ansible-core's ``expand_argument_vars`` may expand is
  an unknown part); an ``argv:`` list is the words themselves.
* Free-form ``key=value`` options Ansible takes out of the string (``chdir=``, ``creates=``, ``removes=``,
  ``executable=``, ``stdin=``...) are not words of the command.

Jinja (``{{ ... }}``, ``{% ... %}``, ``{# ... #}``) is rendered before any shell sees the text: it is an
unknown word part (a word that is only a Jinja expression may be several words, like a bare ``$X``).
Every word keeps the file's line and column (YAML node marks; block scalars ``|``/``>`` line by line), and
file offsets where the text is the file's own. A YAML comment line ``# miglint: ...`` is kept for suppressions
(it covers a command on the next line, e.g. ``shell: virsh migrate ...``); a ``# miglint: ...`` line inside
a ``shell: |`` block is a shell comment and works as in a script.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .shell import Word
from .snippet import Builder, Snippet, line_starts

SHELL_MODULES = frozenset({"shell", "ansible.builtin.shell", "ansible.legacy.shell", "raw", "ansible.builtin.raw",
                           "ansible.legacy.raw"})
COMMAND_MODULES = frozenset({"command", "ansible.builtin.command", "ansible.legacy.command"})
PLAY_KEYS = frozenset({"hosts", "import_playbook", "ansible.builtin.import_playbook", "tasks", "roles",
                       "pre_tasks", "post_tasks", "handlers", "gather_facts"})
TASK_LISTS = ("pre_tasks", "tasks", "post_tasks", "handlers")
BLOCK_KEYS = ("block", "rescue", "always")
# Keys of a task that are not its module.
TASK_KEYWORDS = frozenset({
    "name", "when", "register", "become", "become_user", "become_method", "args", "vars", "loop", "loop_control",
    "with_items", "with_list", "with_dict", "with_fileglob", "with_sequence", "until", "retries", "delay", "tags",
    "environment", "delegate_to", "delegate_facts", "run_once", "changed_when", "failed_when", "ignore_errors",
    "ignore_unreachable", "notify", "listen", "no_log", "check_mode", "diff", "any_errors_fatal", "throttle",
    "timeout", "async", "poll", "connection", "remote_user", "module_defaults", "collections", "debugger",
    "local_action", "action"} | set(BLOCK_KEYS))
PLAN_KEYS = frozenset({"id", "hypervisor", "state", "libvirt_version", "mode", "command", "flags", "params",
                       "facts", "host", "domain", "desturi", "ignore", "domain_xml", "qemu_version"})
PLAN_TOP = frozenset({"migrations", "requests", "defaults", "schema"})
FREE_FORM_OPTIONS = frozenset({"chdir", "creates", "removes", "executable", "warn", "stdin", "stdin_add_newline",
                               "strip_empty_ends", "expand_argument_vars", "cmd"})
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_OPTION = re.compile(r"(?:^|(?<=\s))(" + "|".join(sorted(FREE_FORM_OPTIONS)) + r")=(?:'[^']*'|\"[^\"]*\"|\S)*")
_ENV_VAR = re.compile(r"\$(?:[A-Za-z_][A-Za-z0-9_]*|\{[A-Za-z_][A-Za-z0-9_]*\})")
MAX_DEPTH = 64


def ansible_snippets(text: str) -> list[Snippet] | None:
    """The shell and command tasks of an Ansible YAML file, or None when it is no playbook or task list."""
    import yaml

    from ..yamlload import _loader

    try:
        docs = list(yaml.compose_all(text, Loader=_loader()))
    except (yaml.YAMLError, RecursionError, ValueError):
        return None
    docs = [d for d in docs if d is not None]
    if not docs or not all(_kind(d) in ("plays", "tasks") for d in docs):
        return None
    starts = line_starts(text)
    out: list[Snippet] = []
    session = 0
    for doc in docs:
        tasks = _plays(doc) if _kind(doc) == "plays" else _tasks(doc, 0)
        for task in tasks:
            for snip in _task_snippets(task, text, starts):
                out.append(snip._replace(session=session))
                session += 1
    inside = [(seg.file_offset, seg.file_offset + seg.length) for snip in out for seg in snip.segments]
    for m in re.finditer(r"(?m)^[ \t]*(#[^\n]*miglint:[^\n]*)$", text):
        if any(a <= m.start(1) < z for a, z in inside):
            continue  # a shell comment inside a task's script
        b = Builder(starts)
        b.copy(m.group(1), m.start(1))
        out.append(b.build(session, "comment"))
        session += 1
    out.sort(key=lambda s: (s.line, s.column))
    return out


def is_ansible(text: str) -> bool:
    return ansible_snippets(text) is not None


def _keys(node: Any) -> list[str]:
    import yaml

    if not isinstance(node, yaml.MappingNode):
        return []
    return [k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)]


def _get(node: Any, key: str) -> Any:
    import yaml

    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return v
    return None


def _kind(doc: Any) -> str:
    import yaml

    if isinstance(doc, yaml.MappingNode):
        return "plan" if set(_keys(doc)) & PLAN_TOP else ""
    if not isinstance(doc, yaml.SequenceNode) or not doc.value:
        return ""
    items = [n for n in doc.value if isinstance(n, yaml.MappingNode)]
    if len(items) != len(doc.value):
        return ""
    keysets = [set(_keys(n)) for n in items]
    if any(ks & PLAY_KEYS for ks in keysets):
        return "plays"
    if all(ks <= PLAN_KEYS for ks in keysets):
        return "plan"
    if any(ks - PLAN_KEYS - {"name"} and (ks - TASK_KEYWORDS or ks & set(BLOCK_KEYS)) for ks in keysets):
        return "tasks"
    return ""


def _plays(doc: Any) -> Iterator[Any]:
    import yaml

    for play in doc.value:
        for key in TASK_LISTS:
            node = _get(play, key)
            if isinstance(node, yaml.SequenceNode):
                yield from _tasks(node, 0)


def _tasks(node: Any, depth: int) -> Iterator[Any]:
    import yaml

    if depth > MAX_DEPTH or not isinstance(node, yaml.SequenceNode):
        return
    for task in node.value:
        if not isinstance(task, yaml.MappingNode):
            continue
        yield task
        for key in BLOCK_KEYS:
            yield from _tasks(_get(task, key), depth + 1)


def _task_snippets(task: Any, text: str, starts: list[int]) -> Iterator[Snippet]:
    import yaml

    name = _get(task, "name")
    label = f"task {name.value!r}" if isinstance(name, yaml.ScalarNode) else "task"
    for k, v in task.value:
        if not isinstance(k, yaml.ScalarNode):
            continue
        module = k.value
        if module not in SHELL_MODULES and module not in COMMAND_MODULES:
            continue
        shell = module in SHELL_MODULES
        args = _get(task, "args")
        source = v
        if isinstance(v, yaml.MappingNode):
            source = _get(v, "cmd") or _get(v, "argv")
        elif (v is None or (isinstance(v, yaml.ScalarNode) and not v.value)) and args is not None:
            source = _get(args, "cmd") or _get(args, "argv")
        if isinstance(source, yaml.SequenceNode) and not shell:
            words = tuple(w for w in (_argv_word(n, text, starts) for n in source.value) if w is not None)
            yield Snippet("", source.start_mark.line + 1, source.start_mark.column + 1, argv=words,
                          label=f"{label} ({module} argv)")
            continue
        if not isinstance(source, yaml.ScalarNode) or source.tag.endswith(":null"):
            continue
        snip = _scalar_snippet(source, text, starts, f"{label} ({module})", free_form=source is v)
        if not snip.text.strip():
            continue
        if shell:
            yield snip
        else:
            yield snip._replace(argv=_split_command(snip))


def _scalar_snippet(node: Any, text: str, starts: list[int], label: str, free_form: bool) -> Snippet:
    """A scalar's value as snippet text, mapped to the file line by line; Jinja opaque; free-form options out."""
    value: str = node.value
    b = Builder(starts)
    style = node.style or ""
    first_line, last_line = node.start_mark.line, node.end_mark.line
    begin, end = node.start_mark.index, node.end_mark.index
    if style in ("|", ">"):
        first_line += 1
        begin = starts[first_line] if first_line < len(starts) else end
    elif style in ("'", '"'):
        begin, end = begin + 1, end - 1
    vpos = 0
    escape = r"''" if style == "'" else r"\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|\n|.)" \
        if style == '"' else None
    for ln in range(first_line, min(last_line, len(starts) - 1) + 1):
        a = max(starts[ln], begin)
        z = min(starts[ln + 1] - 1 if ln + 1 < len(starts) else len(text), end)
        if a >= z:
            continue
        chunk = text[a:z]
        offset = a
        pieces = [(chunk, offset)]
        if escape is not None:
            pieces = []
            pos = 0
            for m in re.finditer(escape, chunk):
                pieces.append((chunk[pos:m.start()], offset + pos))
                pos = m.end()
            pieces.append((chunk[pos:], offset + pos))
        for piece, poff in pieces:
            stripped = piece.strip()
            if not stripped:
                continue
            poff += len(piece) - len(piece.lstrip())
            idx = value.find(stripped, vpos)
            if idx < 0:
                continue
            b.add(value[vpos:idx])
            b.copy(stripped, poff)
            vpos = idx + len(stripped)
    b.add(value[vpos:])
    snip = b.build(0, label, (node.start_mark.line + 1, node.start_mark.column + 1))
    if free_form:
        snip = _drop_options(snip)
    opaque = tuple((m.start(), m.end()) for m in _JINJA.finditer(snip.text))
    return snip._replace(opaque=opaque)


def _drop_options(snip: Snippet) -> Snippet:
    """Blank out the free-form ``key=value`` options Ansible takes out of the string."""
    t = snip.text
    for m in reversed(list(_OPTION.finditer(t))):
        t = t[:m.start()] + " " * (m.end() - m.start()) + t[m.end():]
    return snip._replace(text=t)


def _argv_word(node: Any, text: str, starts: list[int]) -> Word | None:
    import yaml

    if not isinstance(node, yaml.ScalarNode):
        return None
    value = node.value
    line, col = node.start_mark.line + 1, node.start_mark.column + 1
    start = end = -1
    if not node.style and text[node.start_mark.index:node.end_mark.index] == value:
        start, end = node.start_mark.index, node.end_mark.index
    elif node.style in ("'", '"'):
        start, end = node.start_mark.index, node.end_mark.index  # the item, quotes included
        if text[node.start_mark.index + 1:node.end_mark.index - 1] == value:
            col += 1
    unknown = bool(_JINJA.search(value))
    # fix edits the list: an option it adds after 'migrate' is an item of its own (outputs.rewrite)
    return Word(value, line, col, unknown, False, start, end)


def _split_command(snip: Snippet) -> tuple[Word, ...]:
    """The command module's words: Python shlex (POSIX mode) splitting, no shell."""
    text = snip.text
    pos = snip.positions()
    opaque_at = {a: b for a, b in snip.opaque}
    words: list[Word] = []
    i = 0
    n = len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start = i
        out: list[str] = []
        unknown = False
        only_opaque = True
        quote = ""
        while i < n and (quote or not text[i].isspace()):
            c = text[i]
            if i in opaque_at and quote != "'":
                j = opaque_at[i]
                out.append(text[i:j])
                unknown = True
                i = j
                continue
            only_opaque = False
            if quote == "'":
                if c == "'":
                    quote = ""
                else:
                    out.append(c)
                i += 1
            elif quote == '"':
                if c == '"':
                    quote = ""
                elif c == "\\" and i + 1 < n and text[i + 1] in '"\\':
                    out.append(text[i + 1])
                    i += 1
                else:
                    out.append(c)
                i += 1
            elif c in "'\"":
                quote = c
                i += 1
            elif c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
            else:
                out.append(c)
                i += 1
        word = "".join(out)
        unknown = unknown or bool(_ENV_VAR.search(word))
        line, col = pos.at(start)
        s, e = pos.span(start, i)
        words.append(Word(word, line, col, unknown, unknown and only_opaque, s, e))
    return tuple(words)
