"""`virsh migrate` command lines -> requests, parsed the way virsh's own option parser (tools/vsh.c)
reads them at the chosen libvirt version: options by name, ``--opt=value``, aliases, positionals, and
virsh's own refusals recorded as facts for the virsh policy layer."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace as dc_replace
from typing import NamedTuple

from ..errors import UserError, did_you_mean
from ..model import (
    UNKNOWN,
    FactValue,
    Job,
    Location,
    OptionValue,
    ParamValue,
    Request,
    VirshProblem,
)
from ..policy.load import PolicySet
from ..policy.vocabulary import OptionDef, Vocabulary, int_range
from ..version import Version
from .shell import Word, commands

# Words that may stand before "virsh" and the options they take a value for.
PREFIXES: dict[str, frozenset[str]] = {
    "sudo": frozenset({"-u", "--user", "-g", "--group", "-h", "--host", "-p", "--prompt", "-C", "-D",
                       "--chdir", "-r", "--role", "-t", "--type", "-U", "--other-user", "-T", "--command-timeout"}),
    "doas": frozenset({"-u", "-C"}),
    "env": frozenset({"-u", "--unset", "-C", "--chdir", "-S", "--split-string"}),
    "nohup": frozenset(),
    "time": frozenset({"-f", "--format", "-o", "--output"}),
    "exec": frozenset({"-a"}),
    "command": frozenset(),
    "nice": frozenset({"-n", "--adjustment"}),
    "ionice": frozenset({"-c", "--class", "-n", "--classdata", "-p", "--pid"}),
    "timeout": frozenset({"-s", "--signal", "-k", "--kill-after"}),
    "stdbuf": frozenset({"-i", "-o", "-e"}),
}
# Prefixes with a positional argument before the command (timeout DURATION).
PREFIX_ARGS = {"timeout": 1}



class InputRunner(NamedTuple):
    """A program that runs a command with words it reads from its input: after the command's own words, or in
    place of a replace-string (``xargs -I{}``, ``parallel ... {}``)."""

    takes: frozenset[str]  # options that take the next word as their value
    replace: frozenset[str]  # options whose value (next word, or attached) is the replace-string
    replace_default: str  # the replace-string of a bare -i / --replace (xargs), "" when none
    patterns: str  # a regular expression of the replace-strings the program always knows ("" when none)
    one: frozenset[str]  # options (attached value) that make it add exactly one word per run: -n1
    counts: frozenset[str]  # options whose separate value 1 makes it add one word per run (-n 1)
    many: frozenset[str]  # options that make it add any number of words (parallel -X, -m)
    stop: frozenset[str]  # words after which the input is written out (parallel's ::: lists): not the command's
    default_one: bool  # without such options, one word per run (parallel) or as many as fit (xargs)


INPUT_RUNNERS: dict[str, InputRunner] = {
    # GNU findutils xargs(1)
    "xargs": InputRunner(
        frozenset({"-a", "--arg-file", "-d", "--delimiter", "-E", "-I", "-L", "-n", "--max-args", "-P",
                   "--max-procs", "-s", "--max-chars", "--process-slot-var"}),
        # -L/-l/--max-lines take every word of the line(s): any number of words.
        frozenset({"-I", "-i", "--replace"}), "{}", "", frozenset({"-n1", "--max-args=1"}),
        frozenset({"-n", "--max-args"}), frozenset(), frozenset(), False),
    # GNU parallel(1): {} {.} {/} {//} {/.} {#} {%} {1} {2.} ... are replaced by the input
    "parallel": InputRunner(
        frozenset({"-j", "--jobs", "-P", "-S", "--sshlogin", "-N", "-n", "--max-args", "-L", "--max-lines",
                   "--delay", "--timeout", "--joblog", "--results", "--tag-string", "-I", "-C", "--colsep",
                   "--retries", "--halt", "--memfree", "--load", "-a", "--arg-file", "-d", "--delimiter",
                   "-E", "--tmpdir", "--workdir", "--basefile", "--env", "--sshloginfile", "--slf"}),
        frozenset({"-I"}), "", r"\{(?:[0-9]+)?(?:\.|/|//|/\.|#|%)?\}",
        frozenset({"-N1", "-n1", "--max-args=1", "-L1"}), frozenset({"-n", "-N", "--max-args", "-L"}),
        frozenset({"-X", "-m", "--xargs"}),
        frozenset({":::", "::::", ":::+", "::::+"}), True),
}

# virsh's global options (tools/virsh.c, getopt string "+:c:d:e:hk:K:l:qrtvV").
GLOBAL_WITH_VALUE = {"-c": "connect", "--connect": "connect", "-d": "debug", "--debug": "debug",
                     "-e": "escape", "--escape": "escape", "-k": "keepalive-interval",
                     "--keepalive-interval": "keepalive-interval", "-K": "keepalive-count",
                     "--keepalive-count": "keepalive-count", "-l": "log", "--log": "log"}
GLOBAL_FLAGS = {"-q": "quiet", "--quiet": "quiet", "-r": "readonly", "--readonly": "readonly",
                "-t": "timing", "--timing": "timing", "-h": "help", "--help": "help",
                "-v": "version", "-V": "version", "--version": "version"}


# Reserved words that may open a simple command (`if ! virsh ...; then`, `do virsh ...`, `{ virsh ...; }`).
RESERVED = frozenset({"!", "{", "}", "if", "then", "elif", "else", "do", "while", "until"})
# Commands that mention virsh without running it: `echo virsh migrate ...` is not a migration.
NOT_RUN = frozenset({"echo", "printf", "print", "logger", ":", "grep", "egrep", "fgrep", "rg", "man", "which",
                     "type", "alias", "declare", "typeset", "local", "export", "readonly", "test", "[", "[[",
                     "whatis", "apropos", "help", "complete"})


class VirshCall(NamedTuple):
    """Where the migrate command starts in a word list, and virsh's global options before it.

    open_globals: an unknown word stands among the global options (``virsh $VIRSH_OPTS migrate``): it may hold
    any of them, ``-c URI`` and ``-r`` included."""

    virsh: Word
    migrate_index: int
    connect: Word | None
    readonly: bool
    open_globals: bool = False


def _skip_prefixes(words: Sequence[Word]) -> int:
    """Index of the command word: after reserved words, VAR=value assignments and wrappers (sudo, env, ...)."""
    i = 0
    n = len(words)
    while True:
        start = i
        while i < n and words[i].text in RESERVED and not words[i].unknown:
            i += 1
        while i < n and "=" in words[i].text and not words[i].text.startswith(("-", "=")) and \
                words[i].text.split("=", 1)[0].replace("_", "").isalnum():
            i += 1  # VAR=value assignments
        while i < n and os.path.basename(words[i].text) in PREFIXES:
            name = os.path.basename(words[i].text)
            takes = PREFIXES[name]
            i += 1
            while i < n and words[i].text.startswith("-") and os.path.basename(words[i].text) != "virsh":
                opt = words[i].text
                i += 2 if opt in takes else 1
                if opt == "--":
                    break
            while name == "env" and i < n and "=" in words[i].text and not words[i].text.startswith("-"):
                i += 1
            i += PREFIX_ARGS.get(name, 0)
        if i == start:
            return i


class InputCommand(NamedTuple):
    """The command ``xargs``/``parallel`` runs: ``words[start:end]``, and what they put in it."""

    runner: Word
    start: int
    end: int
    replace: frozenset[str]  # replace-strings given by option: words holding one are the input's
    pattern: re.Pattern[str] | None  # the replace-strings the program always knows (parallel's {})
    one: bool  # one input word per run

    def placeholder(self, text: str) -> bool:
        """The text holds a replace-string (it is the input's, not known here)."""
        if self.replace:
            return any(r and r in text for r in self.replace)
        return self.pattern is not None and self.pattern.search(text) is not None


def input_command(words: Sequence[Word]) -> InputCommand | None:
    """The command a program of ``INPUT_RUNNERS`` runs with words read from its input; None for other
    commands (or when no command follows its options)."""
    i = _skip_prefixes(words)
    if i >= len(words) or words[i].unknown:
        return None
    name = os.path.basename(words[i].text)
    spec = INPUT_RUNNERS.get(name)
    if spec is None:
        return None
    replace: set[str] = set()
    one = spec.default_one
    k = i + 1
    n = len(words)
    while k < n and words[k].text.startswith("-") and not words[k].unknown:
        t = words[k].text
        if t == "--":
            k += 1
            break
        opt, eq, val = t.partition("=")
        if opt in spec.replace:
            if eq:
                replace.add(val)
            elif opt in spec.takes and k + 1 < n:
                replace.add(words[k + 1].text)
            else:
                replace.add(spec.replace_default)
        elif t[:2] in spec.replace and len(t) > 2 and not t.startswith("--"):
            replace.add(t[2:])  # -I% , -i%
        if t in spec.one or (opt in spec.counts and not eq and k + 1 < n and words[k + 1].text == "1"):
            one = True
        elif opt in spec.many or opt in ("-n", "-N", "--max-args", "-L", "--max-lines", "-l") \
                or t[:2] in ("-n", "-N", "-L"):
            one = False
        k += 2 if (opt in spec.takes and not eq) else 1
    end = next((j for j in range(k, n) if words[j].text in spec.stop and not words[j].unknown), n)
    if k >= end:
        return None
    return InputCommand(words[i], k, end, frozenset(replace), re.compile(spec.patterns) if spec.patterns else None,
                        one)


def with_input(words: Sequence[Word]) -> tuple[Word, ...]:
    """The words a command runs through ``xargs``/``parallel`` (``INPUT_RUNNERS``) gets: the words those read
    from their input are not known here, so each replace-string word is unknown, and without one an unknown
    word is added at the end (one word with ``-n1``, or ``parallel``'s default; else any number of words).
    Other commands are returned as they are."""
    ic = input_command(words)
    if ic is None:
        return tuple(words)
    command = list(words[ic.start:ic.end])
    hit = False
    for j, w in enumerate(command):
        if not w.unknown and ic.placeholder(w.text):
            command[j] = w._replace(unknown=True, start=-1, end=-1)
            hit = True
    if not hit and not ic.replace:
        # Placed at the program that adds it: what turns on the word is said there.
        name = os.path.basename(ic.runner.text)
        command.append(Word(f"<input of {name}>", ic.runner.line, ic.runner.column, True, not ic.one,
                            many=not ic.one))
    return tuple(words[:ic.start]) + tuple(command)


def command_word(words: Sequence[Word]) -> Word | None:
    """The word naming the program a simple command runs (after reserved words and wrappers)."""
    i = _skip_prefixes(words)
    return words[i] if i < len(words) else None


def find_migrate(words: Sequence[Word]) -> VirshCall | None:
    """Find ``[prefixes] virsh [global options] migrate`` in a simple command; None if it is not one.

    A command run through a wrapper miglint does not know (``retry 3 virsh migrate ...``,
    ``$SUDO virsh migrate ...``, ``ssh host virsh migrate ...``) is found too, unless the command only
    prints or searches text (``echo virsh migrate ...``)."""
    i = _skip_prefixes(words)
    n = len(words)
    if i >= n:
        return None
    if os.path.basename(words[i].text) == "virsh":
        return _virsh_call(words, i)
    if os.path.basename(words[i].text) in NOT_RUN:
        return None
    for j in range(i + 1, n):
        if os.path.basename(words[j].text) == "virsh" and not words[j].unknown:
            call = _virsh_call(words, j)
            if call is not None:
                return call
    return None


def _virsh_call(words: Sequence[Word], i: int) -> VirshCall | None:
    g = _globals(words, i)
    if g is None:
        return None
    end, connect, readonly, open_globals = g
    if end < len(words) and words[end].text == "migrate" and not words[end].unknown:
        return VirshCall(words[i], end, connect, readonly, open_globals)
    return None


def virsh_string(words: Sequence[Word]) -> int | None:
    """The index of the one word after virsh's global options when that is all virsh is given: virsh reads it
    as a command string of its own (``virsh -c URI "migrate --live dom URI"``; vshParseArgv); else None."""
    i = _skip_prefixes(words)
    if i >= len(words) or os.path.basename(words[i].text) != "virsh" or words[i].unknown:
        return None
    g = _globals(words, i)
    if g is None or g[0] != len(words) - 1 or g[3]:
        return None
    w = words[-1]
    return len(words) - 1 if not w.unknown or not w.split else None


def _globals(words: Sequence[Word], i: int) -> tuple[int, Word | None, bool, bool] | None:
    """virsh's global options from ``words[i]`` (virsh): (the index after them, the -c URI word, -r given,
    an unknown word among them); None when virsh only prints its help or version."""
    n = len(words)
    i += 1
    connect: Word | None = None
    readonly = False
    open_globals = False
    while i < n:
        t = words[i].text
        if words[i].unknown:
            # `virsh $VIRSH_OPTS migrate`, `virsh "${GLOBAL[@]}" migrate`: it may hold any global options.
            open_globals = True
            i += 1
            continue
        if t == "--":
            i += 1
            break
        if not t.startswith("-") or t == "-":
            break
        name, eq, val = t.partition("=")
        if name in GLOBAL_WITH_VALUE and t.startswith("--") and eq:
            if GLOBAL_WITH_VALUE[name] == "connect":
                connect = words[i]._replace(text=val)
            i += 1
            continue
        if t in GLOBAL_WITH_VALUE:
            if GLOBAL_WITH_VALUE[t] == "connect" and i + 1 < n:
                connect = words[i + 1]
            i += 2
            continue
        if t in GLOBAL_FLAGS:
            if GLOBAL_FLAGS[t] in ("help", "version"):
                return None  # virsh prints its usage or version and exits: nothing is migrated
            readonly = readonly or GLOBAL_FLAGS[t] == "readonly"
            i += 1
            continue
        if not t.startswith("--") and len(t) > 2:
            # Clustered short options: -rq, -cURI, -qc URI
            j = 1
            while j < len(t):
                flag = "-" + t[j]
                if flag in GLOBAL_WITH_VALUE:
                    rest = t[j + 1:]
                    if GLOBAL_WITH_VALUE[flag] == "connect":
                        connect = words[i]._replace(text=rest) if rest else (words[i + 1] if i + 1 < n else None)
                    if not rest:
                        i += 1
                    break
                if flag in GLOBAL_FLAGS:
                    if GLOBAL_FLAGS[flag] in ("help", "version"):
                        return None
                    readonly = readonly or GLOBAL_FLAGS[flag] == "readonly"
                j += 1
            i += 1
            continue
        i += 1  # an option virsh does not know: virsh itself would refuse it; skip it here
    return i, connect, readonly, open_globals


class Span(NamedTuple):
    """Every occurrence of an option (or a positional value) and the words it takes, for rewriting."""

    name: str
    words: tuple[Word, ...]
    positional: bool = False


class Parsed(NamedTuple):
    """What virsh reads from the words after ``migrate``.

    open_options: an unknown word may hold options miglint cannot see. positions_unknown: a word stands for
    any number of words (``Word.many``), so how many positionals virsh gets is not known: no "requires
    <desturi>" nor "unexpected data" is reported, and the positional words after it fill the slots in order
    (the reading in which that word holds options only). help: ``--help`` read as an option in a command
    virsh parses without error: virsh prints the command's help instead of migrating."""

    options: list[tuple[str, OptionValue, Word]]
    problems: list[tuple[VirshProblem, Word]]
    open_options: bool
    spans: tuple[Span, ...] = ()
    positions_unknown: bool = False
    help: bool = False


def parse_migrate_args(words: Sequence[Word], version: Version, vocab: Vocabulary) -> Parsed:
    """Parse the words after ``migrate`` like vshCommandParse, collecting every problem, not just the first."""
    defs = vocab.options_at(version)
    positional = sorted(((o.position(version), o.name) for o in defs.values() if o.position(version) is not None),
                        key=lambda p: p[0] if p[0] is not None else 0)
    pos_order = [name for _, name in positional]
    given: dict[str, tuple[OptionValue, Word]] = {}
    problems: list[tuple[VirshProblem, Word]] = []
    spans: list[Span] = []
    open_options = False
    positions_unknown = False
    help_seen = False
    data_only = False
    legacy = version < (10, 0, 0)
    i = 0
    n = len(words)

    def literal_positionals_after(start: int) -> int:
        """How many words after ``start`` will fill positional slots (option values skipped; a word that may
        be any number of words, none included, counts for none)."""
        count = 0
        j = start
        only_data = data_only
        while j < n:
            t2 = words[j].text
            if not only_data and t2 == "--":
                only_data = True
            elif not only_data and t2.startswith("--") and len(t2) > 2:
                name2, eq2, _ = t2[2:].partition("=")
                od2 = vocab.options.get(vocab.resolve_option(name2))
                if od2 is not None and od2.type != "bool" and not eq2:
                    j += 1
            elif not (words[j].unknown and words[j].split) and not words[j].many:
                count += 1  # a known word, or an unknown one that is one word ("$dom")
            j += 1
        return count

    def next_positional() -> str | None:
        for name in pos_order:
            if name not in given:
                return name
        return None

    while i < n:
        w = words[i]
        t = w.text
        if w.many:
            # Any number of words, options or positionals: what virsh does with them is not known.
            open_options = positions_unknown = True
            i += 1
            continue
        is_option = not data_only and (t[2:3].isalnum() if legacy else True) and t.startswith("--") and t != "--"
        if not data_only and t == "--" and not w.unknown:
            data_only = True
            i += 1
            continue
        if is_option:
            name, eq, inline = t[2:].partition("=")
            if w.unknown and ("$" in name or "`" in name):
                open_options = True
                i += 1
                continue
            name = vocab.resolve_option(name)
            od = defs.get(name)
            if name == "help" and od is None:
                # virsh's own --help (vsh.c helpopt), a boolean every command takes
                if eq:
                    problems.append((VirshProblem("bool_with_value", name, inline), w))
                help_seen = True
                spans.append(Span(name, (w,)))
                i += 1
                continue
            if od is None:
                problems.append((VirshProblem("unknown_option", name, inline, _closest(name, defs, vocab)), w))
                i += 1
                other = vocab.options.get(name)
                if other is not None and other.type != "bool" and not eq and i < n:
                    spans.append(Span(name, (w, words[i])))
                    i += 1  # an option of another libvirt version: its value is not a positional
                else:
                    spans.append(Span(name, (w,)))
                continue
            if name in given:
                problems.append((VirshProblem("duplicate_option", name), w))
            if od.type == "bool":
                if eq:
                    problems.append((VirshProblem("bool_with_value", name, inline), w))
                given.setdefault(name, (True, w))
                spans.append(Span(name, (w,)))
                i += 1
                continue
            if eq:
                value: OptionValue = UNKNOWN if w.unknown else inline
                given.setdefault(name, (value, w))
                spans.append(Span(name, (w,)))
                i += 1
                continue
            if i + 1 >= n:
                problems.append((VirshProblem("missing_value", name, "number" if od.type != "string" else "string"), w))
                spans.append(Span(name, (w,)))
                i += 1
                continue
            v = words[i + 1]
            if v.many:
                # ``--desturi "$@"``: the first of any number of words is the value; the others are not known.
                open_options = positions_unknown = True
            given.setdefault(name, (UNKNOWN if v.unknown else v.text, w))
            spans.append(Span(name, (w, v)))
            i += 2
            continue
        # A positional word.
        slot = next_positional()
        if w.unknown and w.split:
            # An unquoted expansion may be any number of words. It is the domain or destination when the
            # plain words after it cannot fill those slots; otherwise it may hold any options.
            needed = [name for name in ("domain", "desturi") if name not in given]
            if not needed or slot not in needed or literal_positionals_after(i + 1) >= len(needed):
                open_options = True
                i += 1
                continue
        if slot is None:
            if not positions_unknown:
                problems.append((VirshProblem("unexpected_data", "", t), w))
            i += 1
            continue
        given[slot] = (UNKNOWN if w.unknown else t, w)
        spans.append(Span(slot, (w,), positional=True))
        i += 1
    for name in ("domain", "desturi"):
        if name not in given and not open_options:
            od = defs[name]
            problems.append((VirshProblem("missing_required", name,
                                          "positional" if od.position(version) is not None else "named"),
                             words[-1] if words else Word("", 1, 1, False, False)))
    options = [(name, value, word) for name, (value, word) in given.items()]
    syntax = {"unknown_option", "bool_with_value", "duplicate_option", "missing_value", "unexpected_data"}
    asks_help = help_seen and not any(p.kind in syntax for p, _ in problems)
    return Parsed(options, problems, open_options, tuple(spans), positions_unknown, asks_help)


def value_word(parsed: Parsed, name: str) -> Word | None:
    """The word holding the value of option ``name`` however it is written (positional, ``--name VALUE``,
    ``--name=VALUE``: the word with the text after ``=``), the first one given; None when it is not given."""
    for sp in parsed.spans:
        if sp.name != name:
            continue
        w = sp.words[-1]
        if not sp.positional and len(sp.words) == 1:
            _, eq, inline = w.text.partition("=")
            return w._replace(text=inline) if eq else None
        return w
    return None


def asks_help(words: Sequence[Word], call: VirshCall, version: Version, vocab: Vocabulary) -> bool:
    """``virsh migrate ... --help`` (parsed without error): virsh prints help, nothing is migrated."""
    if not any(w.text.startswith("--help") for w in words[call.migrate_index + 1:]):
        return False
    return parse_migrate_args(words[call.migrate_index + 1:], version, vocab).help


def _closest(name: str, defs: Mapping[str, OptionDef], vocab: Vocabulary) -> str:
    """The option of this virsh version (or alias) an unknown one is probably a misspelling of, or ""."""
    import difflib  # here: only a misspelt option pays for it, not every start-up

    pool = [n for n in [*defs, *vocab.aliases] if vocab.resolve_option(n) in defs]
    close = difflib.get_close_matches(name, pool, n=1, cutoff=0.75)
    return close[0] if close else ""


def _to_int(text: str, type_: str) -> int | None:
    """virStrToLong_i / _uip / _ullp: base 10, leading blanks and a sign allowed, nothing after the digits."""
    s = text.lstrip(" \t\n\r\f\v")
    if type_ != "int" and s.startswith("-"):
        return None
    body = s[1:] if s[:1] in "+-" else s
    if not body.isdigit() or not body.isascii():
        return None
    value = int(s)
    lo, hi = int_range(type_)
    if type_ == "ullong" and value > hi:
        return None
    return value if lo <= value <= hi else None


def build(words: Sequence[Word], call: VirshCall, *, version: Version, vocab: Vocabulary,
          hypervisor: str, state: str, facts: tuple[tuple[str, FactValue], ...] = ()) -> tuple[Request, dict[str, Word]]:
    """Turn a parsed migrate command into a request, plus the word behind each subject."""
    parsed = parse_migrate_args(words[call.migrate_index + 1:], version, vocab)
    defs = vocab.options_at(version)
    flags = 0
    params: dict[str, ParamValue] = {}
    options: list[tuple[str, OptionValue]] = []
    where: dict[str, Word] = {}
    problems = [p for p, _ in parsed.problems]
    for p, w in parsed.problems:
        if p.option:
            where.setdefault("option:" + p.option, w)
    mode = "managed"
    domain = desturi = None
    value_problems: list[VirshProblem] = []  # empty or malformed values, in the order virsh reads them
    for name, value, word in parsed.options:
        od: OptionDef = defs[name]
        where.setdefault("option:" + name, word)
        stored: OptionValue = value
        if od.type in ("int", "uint", "ullong") and isinstance(value, str):
            num = _to_int(value, od.type)
            if num is None:
                value_problems.append(VirshProblem("malformed_number", name, value))
            else:
                stored = num
        if od.type == "string" and value == "":
            value_problems.append(VirshProblem("empty_value", name, ""))
        options.append((name, stored))
        if name == "domain":
            domain = None if value is UNKNOWN else str(value)
        elif name == "desturi":
            desturi = None if value is UNKNOWN else str(value)
        if od.flag and value is True:
            flags |= vocab.flags[od.flag].value
            where.setdefault("flag:" + od.flag, word)
        if od.mode == "direct" and value is True and mode == "managed":
            mode = "direct"
        if od.param:
            pv = _param_value(od, stored, value)
            if pv is not None:
                params[od.param] = pv
                where.setdefault("param:" + od.param, word)
    read_order = vocab.read_order(version)
    unlisted = len(read_order)
    problems += sorted(value_problems, key=lambda p: read_order.get(p.option, unlisted))
    if flags & vocab.flags[vocab.mode_flag].value:
        mode = "p2p"
    elif mode == "direct":
        mode = "direct"
    request = Request(
        hypervisor=hypervisor, libvirt_version="%d.%d.%d" % version, state=state, mode=mode, flags=flags,
        params=tuple(sorted(params.items())), options=tuple(options), virsh_problems=tuple(problems),
        facts=tuple(sorted(facts)),
        open_options=parsed.open_options, domain=domain, desturi=desturi,
        connect_uri=call.connect.text if call.connect is not None and not call.connect.unknown else None,
    )
    if call.readonly:
        request = _with_fact(request, "connection.readonly", True)
    return request, where


def _with_fact(request: Request, name: str, value: FactValue) -> Request:
    facts = dict(request.facts)
    facts.setdefault(name, value)
    return dc_replace(request, facts=tuple(sorted(facts.items())))


def _param_value(od: OptionDef, stored: OptionValue, raw: OptionValue) -> ParamValue | None:
    """The typed parameter virsh would send for this option value, or None when it sends none."""
    if raw is UNKNOWN:
        return UNKNOWN
    if od.type == "string" and isinstance(stored, str):
        if stored == "":
            return None
        if od.file:
            return UNKNOWN  # virsh sends the file's content, which a linter does not read
        return tuple(stored.split(od.split)) if od.split else stored
    if isinstance(stored, int) and not isinstance(stored, bool):
        if od.name == "disks-port" and stored == 0:
            return None  # doMigrate sends disks_port only when non-zero
        return stored
    return None


def locations(where: dict[str, Word], file: str) -> tuple[tuple[str, Location], ...]:
    """Where each subject's word was written (for a word resolved from an assignment, the assignment)."""
    return tuple((k, Location(file, *w.origin())) for k, w in where.items())


def command_job(text: str, *, policies: PolicySet, hypervisor: str | None, state: str,
                version: Version, job_id: str, file: str = "<command>", facts: tuple[tuple[str, FactValue], ...] = (),
                words: Sequence[Word] | None = None) -> Job:
    """One virsh command line (from --command, a plan entry or a script) -> a job."""
    ws = list(words) if words is not None else migration_words(text, file)
    call = find_migrate(ws)
    if call is None:
        if not ws:
            raise UserError("empty command", file)
        raise UserError(f"not a 'virsh migrate' command: {text.strip()[:80]!r}", f"{file}:{ws[0].line}:{ws[0].column}")
    if asks_help(ws, call, version, policies.vocab):
        raise UserError(f"not a migration: {text.strip()[:80]!r} asks virsh for the command's help",
                        f"{file}:{call.virsh.line}:{call.virsh.column}")
    uri_driver = None
    if call.connect is not None:
        uri_driver = _uri_driver(call.connect, policies)
    if uri_driver is None:
        # No -c: the destination URI names the same driver.
        dest = value_word(parse_migrate_args(ws[call.migrate_index + 1:], version, policies.vocab), "desturi")
        if dest is not None:
            uri_driver = _uri_driver(dest, policies)
    # An explicit hypervisor wins when it models the URI's driver (vz-2015 for vz://, an organisation's qemu).
    hv: str | None = uri_driver
    if hypervisor is not None and (uri_driver is None or policies.driver_family(hypervisor) == uri_driver):
        hv = hypervisor
    assumed: tuple[str, ...] = ()
    if hv is None:
        if policies.assumed_hypervisor is None:
            raise UserError("cannot tell the hypervisor of this command: give --hypervisor, a -c URI or a "
                            "destination URI with a driver scheme (qemu+ssh://...)",
                            f"{file}:{call.virsh.line}:{call.virsh.column}")
        hv, because = policies.assumed_hypervisor
        written = _unknown_scheme(call.connect, policies) or _unknown_scheme(value_word(parse_migrate_args(
            ws[call.migrate_index + 1:], version, policies.vocab), "desturi"), policies)
        if written:  # a scheme miglint knows no driver by: say so, with the name it looks like
            alias = policies.vocab.hypervisor_aliases.get(written)
            hint = f" (libvirt's driver is {alias!r})" if alias else did_you_mean(written, policies.vocab.uri_drivers)
            because = f"the URI's scheme names no driver miglint knows, {written!r}{hint}"
        assumed = (f"hypervisor {hv}: {because}",)
    policies.driver(hv)
    request, where = build(ws, call, version=version, vocab=policies.vocab, hypervisor=hv, state=state, facts=facts)
    loc = Location(file, call.virsh.line, call.virsh.column)
    return Job(job_id, request, loc, locations(where, file), text, assumed=assumed, words=tuple(ws))


def migration_words(text: str, file: str) -> list[Word]:
    """The words of the one migration a command line holds, among the commands of a list (``a; b``, ``a && b``,
    ``a | b``): a line that holds two is an error (each is a request of its own: a script says them), never cut
    to its first."""
    found: list[list[Word]] = []
    first: list[Word] | None = None
    for cmd in commands(text, file):
        if cmd.nested:
            continue
        ws = list(cmd.words)
        if first is None:
            first = ws
        if find_migrate(ws) is not None:
            found.append(ws)
    if len(found) > 1:
        at = found[1][0]
        raise UserError(f"the command line holds {len(found)} 'virsh migrate' commands: give one per --command or "
                        "plan entry (or check them as a script)", f"{file}:{at.line}:{at.column}")
    return found[0] if found else (first or [])


def _unknown_scheme(word: Word | None, policies: PolicySet) -> str | None:
    """The driver part of a URI's scheme when it is written out and names no driver miglint has a policy for."""
    if word is None or word.unknown or "://" not in word.text:
        return None
    base = word.text.split(":", 1)[0].split("+", 1)[0].lower()
    return base if base and policies.hypervisor_for_uri(word.text) is None else None


def _uri_driver(word: Word, policies: PolicySet) -> str | None:
    """The driver a URI names by its scheme, when the scheme is written out (the host or path may be variables:
    ``qemu+ssh://$HOST/system`` is a qemu URI)."""
    text = word.text
    if word.unknown:
        scheme, sep, _ = text.partition("://")
        if not sep or any(ch in scheme for ch in "$`{}<>()"):
            return None
        text = scheme + "://"
    return policies.hypervisor_for_uri(text)
