"""Follow a script's own variables to the words its commands really run with.

Like shellcheck, this resolves what the file itself defines and never guesses the rest. It walks the tree
``miglint.inputs.shell.scan`` builds, in execution order, with an environment of what each variable may hold:

* Variables assigned in the file to constant words are known at their use: ``X=word``, ``X+=word``,
  ``local``/``declare``/``typeset``/``export``/``readonly X=word``, arrays ``A=(...)``, ``A+=(...)``,
  ``A[n]=word``, ``A=([0]=a [2]=b)`` (indexes kept: a sparse array); ``${X:-w}``, ``${X-w}``, ``${X:+w}``,
  ``${X:=w}`` (which assigns), ``${#X}``, ``$1``..., ``"$@"``, ``"${A[@]}"``, ``"${A[*]}"``, ``for X in words``,
  ``set -- words``, ``shift``; ``IFS`` when the file sets it to whitespace (it is never inherited, so
  otherwise it is the default).
* What the file does not define is unknown: a variable never assigned before its use (the environment's),
  anything read at run time (``$(...)``, backquotes, ``read``, ``mapfile``, ``getopts``, ``printf -v``,
  arithmetic), pattern operators (``${X#p}``, ``${X/a/b}``...), indirection, associative arrays, and every
  variable after ``source``/``.``/``eval`` (which may assign anything).
* A variable assigned differently on several paths (if/elif/else, case arms, ``&&``/``||``, loops) holds
  each of those values: a command that uses it has one word list per combination (``Command.alternatives``),
  at most ``MAX_ALTERNATIVES``; variables the paths set together keep their values together (``_Link``: with
  ``OPTS``/``TMO`` set on two arms of a case, two readings, not four); beyond that the variables with the most
  values become unknown. A condition that tests words the file gives (``[ "$M" = a ]``, ``test``, ``[[ ]]``,
  ``(( n > 0 ))``, ``true``; ``&&``/``||`` too) takes its branch as a known case subject does: the others
  are read for their commands only (``dead``). A variable that may also hold something unknown (set only on
  one path and otherwise the environment's) is unknown. ``unset X`` is a known value (nothing). Values along paths that end
  (``exit``, ``return``, a function that always exits) do not flow on; commands after an ``exit`` are still
  read (with the values before it).
* Loops: a ``for`` loop over words the file gives (one reading, at most ``MAX_VALUES`` words) runs its passes
  in order, as the shell does: a command of the body has one reading per pass (with what the passes before
  built: ``OPTS+=("$o")``), and the values after the loop are those of the last pass (and of passes a
  ``break`` ended). Any other loop (``while``, ``for d in $(...)``) runs a number of passes not known: the
  body is read once with the values from before the loop merged with those after one pass (so a variable set
  at the end of the body is seen at its start), a variable a second pass changes again (it builds on itself)
  is unknown, and the values after the loop are those of the pass (plus those from before it when the loop
  may not run).
* Function bodies run at their calls, with the caller's variables (the shell's dynamic scoping) and the call's
  words as ``$1``... and ``"$@"``; globals a function assigns take effect at each call; ``local`` values are
  restored after it. A command of the body is reported once per call (``Command.via`` names the call), with
  the call's words in place of the parameters. A function the file never calls (or calls only past the
  bounds below) is read once at the end, with the variables as they were where it is defined and its
  parameters unknown. Calls through a variable (``$fn args``) are not followed.
* Subshells, pipelines, command substitutions and background commands see the variables but do not change
  them.
* Word splitting follows the shell for known values: a bare unquoted expansion splits on IFS, a quoted one is
  one word even when its value has blanks (``"$opts"`` with ``opts="--live --p2p"`` is the one word
  ``--live --p2p``). An unknown value inside a longer word leaves one word (``tcp://$3``); only a whole-word
  unquoted unknown expansion may be several words or none (``Word.split``), as may unknown text that is a whole
  field of a value used unquoted (``$OPTS`` with ``OPTS="--live $EXTRA"``), and ``"$@"``, ``"${A[@]}"`` of an
  unknown array, or a bare ``$(...)`` may be any number of words (``Word.many``). ``"$*"`` is always one word.
  Pathname expansion (globbing) is not done: a word with ``*`` or ``?`` stays as written (URIs have ``?``).

Bounds: calls nest at most ``MAX_CALL_DEPTH`` deep and never recursively; past ``MAX_STEPS`` nodes read (plus
``STEPS_PER_NODE`` for each node of the file, so that a long script is read whole), calls are no longer followed
and loops are read once. A function with a call past that bound is read once more at the end, as one never
called is: nothing it runs goes unchecked.
"""

from __future__ import annotations

import fnmatch
import itertools
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple, Union

from .loops import nodes
from .shell import (
    LIT,
    OPAQUE,
    PARAM,
    PROC,
    SUB,
    AndOr,
    Arith,
    Assign,
    Background,
    Case,
    Command,
    Cond,
    FuncDef,
    Group,
    If,
    Loop,
    Node,
    Part,
    Pipe,
    Positions,
    Scan,
    Seq,
    Simple,
    Subshell,
    Word,
    WordNode,
    is_many,
)

MAX_ALTERNATIVES = 16  # word lists per command
MAX_VALUES = 16  # values one variable may hold before it is unknown
MAX_CALL_DEPTH = 8
MAX_STEPS = 20_000
STEPS_PER_NODE = 16
MAX_NODE_DEPTH = 120  # nodes read inside one another (calls included); deeper ones are not read
# Readings one command gathers (its alternatives, a loop's passes); and runs of one command (a function body
# called from many places) reported even when they repeat an earlier run's words: beyond, only runs with words
# of their own are (the others share the earlier answer).
MAX_RUNS = 64
MAX_ITEMS = 256  # an array with more elements is unknown
MAX_TEXT = 10_000  # a value with more characters is unknown
DEFAULT_IFS = " \t\n"


class Piece(NamedTuple):
    """Text of a value with where it was written."""

    text: str
    line: int
    column: int
    exact: bool = False  # the text is written character by character from (line, column), on one line
    unknown: bool = False  # text is the source of an expansion whose value is not known
    quoted: bool = True  # never split (a quoted or literal part)
    local: bool = False  # written in the word being expanded (not copied from a value)


class Field(NamedTuple):
    """One word of a value (an array element, a call's argument, a word a command runs with)."""

    pieces: tuple[Piece, ...]
    many: bool = False
    split: bool = False  # a whole-word unquoted unknown expansion
    start: int = -1  # the file span of the source word it was copied from whole, else -1
    end: int = -1

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.pieces)

    @property
    def unknown(self) -> bool:
        return self.many or any(p.unknown for p in self.pieces)


class Scalar(NamedTuple):
    pieces: tuple[Piece, ...]

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.pieces)

    @property
    def unknown(self) -> bool:
        return any(p.unknown for p in self.pieces)


class Array(NamedTuple):
    items: tuple[Field, ...]
    keys: tuple[int, ...] | None = None  # the indexes of a sparse array (A=([0]=a [2]=b)); None: 0, 1, 2, ...


def _slots(v: Array) -> dict[int, Field]:
    return dict(zip(v.keys if v.keys is not None else range(len(v.items)), v.items))


def _array(slots: dict[int, Field]) -> Array:
    keys = sorted(slots)
    return Array(tuple(slots[k] for k in keys), None if keys == list(range(len(keys))) else tuple(keys))


class _Sentinel(NamedTuple):
    name: str


UNSET = _Sentinel("unset")
UNKNOWN = _Sentinel("unknown")


class _Link(NamedTuple):
    """Variables set together on the paths a merge joined (``case ... a) X=1; Y=2 ;; b) X=3; Y=4 ;; esac``):
    their values go together as each path set them, not in every combination. It speaks for a variable as long
    as the variable still holds the very values made at that merge (``vals``, compared by identity)."""

    name: str  # "link"
    vals: tuple[tuple[str, "Val"], ...]
    rows: tuple[tuple["Value", ...], ...]  # one value per name, per path (and per combination on it)


Value = Union[Scalar, Array, _Sentinel, _Link]
Val = tuple[Value, ...]  # the values a variable may hold
Env = dict[str, Val]
_UNKNOWN_VAL: Val = (UNKNOWN,)
LINKS = "\x00links"  # the key of an Env's _Link items (no variable has this name)
MAX_LINK_ROWS = 64


def _key(v: Value) -> tuple[object, ...]:
    if isinstance(v, Scalar):
        return ("s", tuple((p.text, p.unknown) for p in v.pieces))
    if isinstance(v, Array):
        return ("a", tuple((f.text, f.unknown, f.many) for f in v.items), v.keys)
    return ("x", v.name)


def _norm(values: Sequence[Value]) -> Val:
    out: list[Value] = []
    seen: set[tuple[object, ...]] = set()
    for v in values:
        if v is UNKNOWN or (isinstance(v, Scalar) and len(v.pieces) == 1 and v.pieces[0].unknown):
            return _UNKNOWN_VAL
        if isinstance(v, Array) and len(v.items) > MAX_ITEMS or \
                isinstance(v, Scalar) and sum(len(p.text) for p in v.pieces) > MAX_TEXT:
            return _UNKNOWN_VAL
        k = _key(v)
        if k not in seen:
            seen.add(k)
            out.append(v)
    if len(out) > MAX_VALUES or not out:
        return _UNKNOWN_VAL
    return tuple(out)


def _growing(before: Env, after: Env | None) -> list[str]:
    """Variables a pass of a loop gives values they did not have before it (it builds on them)."""
    if after is None:
        return []
    out = []
    for name, val in after.items():
        old = before.get(name)
        if name == LINKS or old is None or val is old or old == _UNKNOWN_VAL:
            continue
        keys = {_key(v) for v in old}
        if any(_key(v) not in keys for v in val):
            out.append(name)
    return out


def _merge(envs: Sequence[Env | None]) -> Env | None:
    alive = [e for e in envs if e is not None]
    if not alive:
        return None
    first = alive[0]
    if all(e is first for e in alive):
        return first
    out: Env = {}
    changed: list[str] = []
    for name in sorted(set().union(*alive) - {LINKS}):
        val = first.get(name)
        if val is not None and all(e.get(name) is val for e in alive):
            out[name] = val  # the same on every path
            continue
        vals: list[Value] = []
        for e in alive:
            vals.extend(e.get(name, _UNKNOWN_VAL))
        out[name] = _norm(vals)
        if len(out[name]) > 1:
            changed.append(name)
    links: list[Value] = []
    seen: set[int] = set()
    for e in alive:
        for link in e.get(LINKS, ()):
            if isinstance(link, _Link) and id(link) not in seen and len(_holding(link, out)) > 1:
                seen.add(id(link))
                links.append(link)
    if len(changed) > 1:
        rows: list[tuple[Value, ...]] = []
        for e in alive:
            rows.extend(_joint(e, changed))
        rows = list(dict.fromkeys(rows))
        if len(rows) <= MAX_LINK_ROWS:
            links.append(_Link("link", tuple((name, out[name]) for name in changed), tuple(rows)))
    if links:
        out[LINKS] = tuple(links)
    return out


def _holding(link: _Link, env: Env) -> list[int]:
    """The indexes of the link's variables that still hold the values it speaks of."""
    return [k for k, (name, val) in enumerate(link.vals) if env.get(name) is val]


def _units(env: Env, names: Sequence[str]) -> list[tuple[tuple[str, ...], list[tuple[Value, ...]]]]:
    """The values of these variables, grouped: variables a link ties give their values together (one tuple
    per path that set them), each other variable alone."""
    units: list[tuple[tuple[str, ...], list[tuple[Value, ...]]]] = []
    left = list(names)
    for link in env.get(LINKS, ()):
        if not isinstance(link, _Link):
            continue
        idx = [k for k in _holding(link, env) if link.vals[k][0] in left]
        if len(idx) < 2:
            continue
        group = tuple(link.vals[k][0] for k in idx)
        units.append((group, list(dict.fromkeys(tuple(row[k] for k in idx) for row in link.rows))))
        left = [n for n in left if n not in group]
    for name in left:
        units.append(((name,), [(v,) for v in env.get(name, _UNKNOWN_VAL)]))
    return units


def _joint(env: Env, names: Sequence[str]) -> list[tuple[Value, ...]]:
    """Every combination of the values of these variables (in this order) the paths to here allow."""
    units = _units(env, names)
    out: list[tuple[Value, ...]] = []
    for combo in itertools.product(*(rows for _, rows in units)):
        got: dict[str, Value] = {}
        for (group, _), row in zip(units, combo):
            got.update(zip(group, row))
        out.append(tuple(got[n] for n in names))
        if len(out) > MAX_LINK_ROWS:
            break
    return out


class _Frame:
    def __init__(self, site: tuple[int, int]) -> None:
        self.site = site
        self.saved: dict[str, Val | None] = {}
        self.returns: list[Env] = []


class _LoopFrame:
    def __init__(self) -> None:
        self.exits: list[Env] = []
        self.continues: list[Env] = []


class _Func(NamedTuple):
    node: FuncDef
    pos: Positions
    env: Env  # the variables where it is defined


class _Record(NamedTuple):
    key: tuple[int, int, int]
    command: Command


_ARITH_ASSIGN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:\[[^\]]*\])?\s*(?:[-+*/%&|^]|<<|>>)?=(?!=)"
                           r"|([A-Za-z_][A-Za-z0-9_]*)\s*(?:\+\+|--)|(?:\+\+|--)\s*([A-Za-z_][A-Za-z0-9_]*)")
_DECLARE = frozenset({"local", "declare", "typeset", "export", "readonly"})


def _positional(name: str) -> bool:
    return name in ("@", "*", "#") or (name.isdigit() and name != "0")


def _lit(node: WordNode) -> str | None:
    """The text of a word with no expansion in it, else None."""
    if node.array is not None or any(p.kind != LIT for p in node.parts):
        return None
    return node.word.text


class Resolver:
    """Reads one or more scans of the same shell session in order (``run``), then gives the commands
    (``finish``). A Markdown runbook's blocks are one session; a Makefile's recipe lines are one each."""

    def __init__(self) -> None:
        self.env: Env = {}
        self.funcs: dict[str, _Func] = {}
        self.called: set[int] = set()  # id() of FuncDef nodes whose body was read at a call
        self.records: list[_Record] = []
        self.seq = 0
        self.steps = 0
        self.budget = MAX_STEPS  # steps read before calls are no longer followed: grows with the text read
        self.unfollowed: set[int] = set()  # id() of FuncDef nodes with a call past the budget
        self.recording = True
        self.pos: Positions = Positions("")
        self.frames: list[_Frame] = []
        self.loops: list[_LoopFrame] = []
        self.stack: list[int] = []  # id() of the functions being called
        self.loop_depth = 0
        self.depth = 0
        self.runs: Counter[int] = Counter()  # runs read per command node
        self.shared: dict[int, set[tuple[tuple[tuple[str, bool, bool, bool], ...], ...]]] = {}  # their words
        # While a for loop is unrolled: (command node, calls) -> index in records, so that the passes of a
        # command of its body are the readings of one command.
        self.merging: dict[tuple[int, tuple[tuple[int, int], ...]], int] | None = None

    # -- entry points ---------------------------------------------------------------------------------------

    def run(self, sc: Scan) -> None:
        if sc.tree is None:
            return
        self.pos = sc.positions if sc.positions is not None else Positions("")
        self.budget += STEPS_PER_NODE * sum(1 for _ in nodes(sc.tree))
        out = self.node(sc.tree, self.env)
        if out is not None:
            self.env = out

    def finish(self) -> list[Command]:
        """Read the functions never called (or with calls past the bounds), then every command found, in order
        of position."""
        done: set[int] = set()
        while True:
            todo = [f for f in self.funcs.values()
                    if (id(f.node) not in self.called or id(f.node) in self.unfollowed) and id(f.node) not in done]
            if not todo:
                break
            for f in todo:
                done.add(id(f.node))
                self.pos = f.pos
                env = dict(f.env)
                env["@"] = _UNKNOWN_VAL
                frame = _Frame((0, 0))
                self.frames.append(frame)
                try:
                    self.node(f.node.body, env)
                finally:
                    self.frames.pop()
        records = sorted(self.records, key=lambda r: r.key)
        return _unshare([r.command for r in records])

    # -- nodes ------------------------------------------------------------------------------------------------

    def node(self, n: Node, env: Env) -> Env | None:
        """Read a node with the variables ``env`` (which it may change in place): the variables after it, or
        None when every path through it ends (exit, return)."""
        self.steps += 1
        if self.depth >= MAX_NODE_DEPTH:
            return env
        self.depth += 1
        try:
            return self._node(n, env)
        finally:
            self.depth -= 1

    def _node(self, n: Node, env: Env) -> Env | None:
        if isinstance(n, Simple):
            return self.simple(n, env)
        if isinstance(n, Seq):
            dead = False
            for item in n.items:
                out = self.node(item, env)
                if out is None:
                    dead = True
                else:
                    env = out
            return None if dead else env
        if isinstance(n, AndOr):
            status = self.truth(n.first, env)  # known when the file says all the test reads
            cur = self.node(n.first, env)
            for op, rhs in n.rest:
                base = cur if cur is not None else env
                runs = None if status is None else status == (op == "&&")
                if runs is False:
                    self.dead(rhs, base)  # `[ "$o" = --bogus ] && continue` with o=--live
                    continue
                status = self.truth(rhs, base)
                out = self.node(rhs, dict(base))
                if runs:
                    cur = out
                else:
                    cur, status = _merge([cur, out]), None
            return cur
        if isinstance(n, Pipe):
            for item in n.items:
                self.node(item, dict(env))
            return env
        if isinstance(n, (Background, Subshell)):
            self.node(n.body, dict(env))
            return env
        if isinstance(n, Group):
            return self.node(n.body, env)
        if isinstance(n, If):
            return self.if_(n, env)
        if isinstance(n, Loop):
            return self.loop(n, env)
        if isinstance(n, Case):
            return self.case(n, env)
        if isinstance(n, FuncDef):
            self.funcs[n.name] = _Func(n, self.pos, dict(env))
            return env
        if isinstance(n, Arith):
            for m in _ARITH_ASSIGN.finditer(n.text):
                env[m.group(1) or m.group(2) or m.group(3)] = _UNKNOWN_VAL
            return env
        if isinstance(n, Cond):
            for w in n.words:
                self.substitutions(w, env)
            return env
        return env

    def if_(self, n: If, env: Env) -> Env | None:
        outs: list[Env | None] = []
        cur = env
        taken = False  # an earlier condition holds: the arms after it are not taken
        for cond, body in n.arms:
            holds = None if taken else self.truth(cond, cur)
            after = self.node(cond, dict(cur))
            if after is not None:
                cur = after
            if taken or holds is False:
                self.dead(body, cur)
                continue
            outs.append(self.node(body, dict(cur)))
            taken = holds is True
        if taken:
            if n.orelse is not None:
                self.dead(n.orelse, cur)
        else:
            outs.append(self.node(n.orelse, dict(cur)) if n.orelse is not None else cur)
        return _merge(outs)

    def dead(self, n: Node, env: Env) -> None:
        """Read a branch the file's values never take for the commands in it: nothing it does (assignments,
        break, continue, return) flows on."""
        loops, self.loops = self.loops, [_LoopFrame() for _ in self.loops]
        returns = [f.returns for f in self.frames]
        for f in self.frames:
            f.returns = []
        try:
            self.node(n, dict(env))
        finally:
            self.loops = loops
            for f, r in zip(self.frames, returns):
                f.returns = r

    def truth(self, n: Node, env: Env) -> bool | None:
        """Whether a condition holds, when it is a simple test of words the file gives (``[ ]``, ``test``,
        ``[[ ]]``: =, ==, !=, -z, -n, integer comparisons; ``(( ))`` comparing known integers; ``true``,
        ``false``); None when that is not known."""
        if isinstance(n, Seq):
            return self.truth(n.items[0], env) if len(n.items) == 1 else None
        result: bool | None
        if isinstance(n, Simple):
            if not n.words or n.words[0].assign is not None:
                return None
            name = _lit(n.words[0])
            args = n.words[1:]
            if name in ("true", ":", "false"):
                result = name != "false"
            elif name in ("[", "test"):
                if name == "[":
                    if not args or _lit(args[-1]) != "]":
                        return None
                    args = args[:-1]
                words = self.known_words(args, env, split=True)
                result = None if words is None else _test(words)
            else:
                return None
        elif isinstance(n, Cond):
            words = self.known_words(n.words, env, split=False)
            if words is None or any(p.kind != LIT or not p.quoted for w in n.words[2:3] for p in w.parts
                                    if any(c in p.text for c in "*?[") or p.kind == PARAM):
                return None  # a pattern on the right of == in [[ ]]: not compared here
            result = _test(words)
        elif isinstance(n, Arith):
            result = _arith(n.text, env)
        else:
            return None
        if result is None:
            return None
        return not result if n.negated else result

    def known_words(self, nodes: Sequence[WordNode], env: Env, split: bool) -> list[str] | None:
        alts = self.expand_all(nodes, env, split)
        if len(alts) != 1 or any(f.unknown for f in alts[0]):
            return None
        return [f.text for f in alts[0]]

    def loop(self, n: Loop, env: Env) -> Env | None:
        if n.kind == "for" and n.var and self.steps < self.budget:
            items = self.loop_items(n, env)
            if items:
                return self.unrolled(n, env, items)
        entry = dict(env)
        sure = False  # the body runs at least once
        if n.kind in ("for", "select") and n.var:
            values = self.loop_values(n, env)
            entry[n.var] = values
            sure = n.kind == "for" and values != _UNKNOWN_VAL and bool(values) and UNSET not in values
        elif n.kind in ("for", "select") and n.items is not None:
            for w in n.items:
                self.substitutions(w, env)

        def one_pass(start: Env) -> tuple[Env | None, _LoopFrame]:
            frame = _LoopFrame()
            self.loops.append(frame)
            self.loop_depth += 1
            try:
                cur: Env | None = start
                if n.cond is not None:
                    after = self.node(n.cond, dict(start))
                    cur = after if after is not None else start
                assert cur is not None
                out = self.node(n.body, dict(cur))
            finally:
                self.loops.pop()
                self.loop_depth -= 1
            return _merge([out, *frame.continues]), frame

        def quiet_pass(start: Env) -> Env | None:
            was = self.recording
            self.recording = False
            try:
                return one_pass(start)[0]
            finally:
                self.recording = was

        if self.steps < self.budget and self.loop_depth < 3:
            # The number of passes is not known: the body sees the values from before the loop and those after
            # a pass. A variable a second pass changes again (OPTS="$OPTS $o", A+=(x)) grows with each pass:
            # how much is not known, so it is unknown.
            merged = _merge([entry, quiet_pass(entry)])
            if merged is not None:
                if n.kind in ("for", "select") and n.var:
                    merged[n.var] = entry[n.var]
                again = quiet_pass(dict(merged))
                for name in _growing(merged, again):
                    merged[name] = _UNKNOWN_VAL
                entry = merged
        out, frame = one_pass(entry)
        ends: list[Env | None] = [out, *frame.exits]
        if not sure:
            ends.append(entry)
        return _merge(ends) if any(e is not None for e in ends) else dict(entry)

    def unrolled(self, n: Loop, env: Env, items: Sequence[Value]) -> Env | None:
        """A for loop over words the file gives: its passes one after the other, as the shell runs them. A
        command of the body has one reading per pass (merged into one command); after the loop, the values
        are those of the last pass (and of the passes a ``break`` left)."""
        for w in n.items or ():
            self.substitutions(w, env)
        cur: Env | None = env
        exits: list[Env] = []
        outer = self.merging
        if outer is None:
            self.merging = {}
        self.loop_depth += 1
        try:
            for item in items:
                if cur is None:
                    break
                start = dict(cur)
                start[n.var] = _norm([item])
                frame = _LoopFrame()
                self.loops.append(frame)
                try:
                    out = self.node(n.body, start)
                finally:
                    self.loops.pop()
                exits.extend(frame.exits)
                cur = _merge([out, *frame.continues])
        finally:
            self.loop_depth -= 1
            if outer is None:
                self.merging = None
        ends: list[Env | None] = [cur, *exits]
        return _merge(ends) if any(e is not None for e in ends) else dict(env)

    def loop_items(self, n: Loop, env: Env) -> list[Value] | None:
        """The words a for loop takes, in order, when the file says exactly which (one reading, each word
        known as a word, at most ``MAX_VALUES``); else None."""
        if n.items is None:
            args = env.get("@", _UNKNOWN_VAL)
            if len(args) != 1 or not isinstance(args[0], Array) or any(f.many for f in args[0].items):
                return None
            fields = list(args[0].items)
        else:
            alts = self.expand_all(n.items, env)
            if len(alts) != 1:
                return None
            fields = alts[0]
        if len(fields) > MAX_VALUES or any(f.many or f.split for f in fields):
            return None
        return [Scalar(_stored(f).pieces) for f in fields]

    def loop_values(self, n: Loop, env: Env) -> Val:
        if n.items is None:
            values: list[Value] = []
            for v in env.get("@", _UNKNOWN_VAL):
                if not isinstance(v, Array) or any(f.many for f in v.items):
                    return _UNKNOWN_VAL
                values.extend(Scalar(f.pieces) for f in v.items)
            return _norm(values) if values else (UNSET,)
        for w in n.items:
            self.substitutions(w, env)
        alts = self.expand_all(n.items, env)
        values = []
        for fields in alts:
            for f in fields:
                if f.many or f.split:
                    return _UNKNOWN_VAL
                values.append(Scalar(_stored(f).pieces))
        return _norm(values) if values else (UNSET,)

    def case(self, n: Case, env: Env) -> Env | None:
        subject: str | None = None
        if n.subject is not None:
            self.substitutions(n.subject, env)
            alts = self.expand_all([n.subject], env, split=False)
            if len(alts) == 1 and len(alts[0]) == 1 and not alts[0][0].unknown:
                subject = alts[0][0].text
        outs: list[Env | None] = []
        catch_all = False
        for patterns, body in n.arms:
            texts = [_lit(p) for p in patterns]
            if subject is not None and all(t is not None for t in texts):
                if any(_case_match(subject, p) for p in patterns):
                    return self.arm_then_rest(n, patterns, env)
                continue
            if any(t == "*" for t in texts):
                catch_all = True
            outs.append(self.node(body, dict(env)))
        if subject is not None and all(all(_lit(p) is not None for p in pats) for pats, _ in n.arms):
            for _, body in n.arms:  # read for their commands, though no arm matches
                self.node(body, dict(env))
            return env
        if not catch_all:
            outs.append(env)
        return _merge(outs)

    def arm_then_rest(self, n: Case, chosen: list[WordNode], env: Env) -> Env | None:
        result: Env | None = env
        for patterns, body in n.arms:
            if patterns is chosen:
                result = self.node(body, dict(env))
            else:
                self.dead(body, env)  # read for their commands
        return result

    # -- simple commands -----------------------------------------------------------------------------------------

    def simple(self, n: Simple, env: Env) -> Env | None:
        words = n.words
        k = 0
        while k < len(words) and words[k].assign is not None:
            k += 1
        for w in words:
            self.substitutions(w, env)
        if k == len(words):
            for w in words:
                assert w.assign is not None
                self.assign(env, w.assign)
            self.default_assignments(words, env)
            return env
        cmd_words = words[k:]
        name = _lit(cmd_words[0])
        func = self.funcs.get(name) if name is not None else None
        if func is not None and not self.can_call(func):
            if self.steps >= self.budget and self.recording:
                self.unfollowed.add(id(func.node))
            func = None
        if func is None:
            alts = self.expand_sites(cmd_words, env)
            if self.recording and any(alts) and n.command is not None:
                self.record(n, words[:k], alts)
        out = env
        self.default_assignments(cmd_words, out)
        if name is None:
            return out
        args = cmd_words[1:]
        if name == "exit":
            return None
        if name == "return":
            if self.frames:
                self.frames[-1].returns.append(dict(out))
            return None
        if name in ("break", "continue"):
            if self.loops:
                (self.loops[-1].exits if name == "break" else self.loops[-1].continues).append(dict(out))
            return None
        if name == "exec":
            return None if args else out
        if name in _DECLARE:
            self.declare(name, args, out)
            return out
        if name == "unset":
            if not any(_lit(a) in ("-f", "-fv", "-vf") for a in args):
                for a in args:
                    t = _lit(a)
                    if t is not None and not t.startswith("-"):
                        out[t] = (UNSET,)
            return out
        if name in ("read", "mapfile", "readarray", "getopts", "printf", "let"):
            for v in _assigned_by(name, args):
                out[v] = _UNKNOWN_VAL
            return out
        if name in ("source", ".", "eval"):
            return {k2: (v if k2 == "@" else _UNKNOWN_VAL) for k2, v in out.items() if k2 != LINKS}
        if name == "set":
            self.set_positional(args, out)
            return out
        if name == "shift":
            self.shift(args, out)
            return out
        if func is not None:
            return self.call(func, n, words[:k], args, out)
        return out

    def can_call(self, func: _Func) -> bool:
        return id(func.node) not in self.stack and len(self.stack) < MAX_CALL_DEPTH and self.steps < self.budget

    def record(self, n: Simple, assigns: list[WordNode], alts: list[list[tuple[Field, Word]]]) -> None:
        assert n.command is not None
        via = tuple(f.site for f in self.frames if f.site != (0, 0))
        merge_key = (id(n), via)
        earlier = self.merging.get(merge_key) if self.merging is not None else None
        if earlier is None:
            self.runs[id(n)] += 1
        site = n.command
        readings: list[tuple[Word, ...]] = []
        pre = tuple(a.word for a in assigns)
        seen: set[tuple[tuple[str, bool, bool, bool], ...]] = set()
        if earlier is not None:
            readings.extend(self.records[earlier].command.readings())
            seen.update(tuple((w.text, w.unknown, w.split, w.many) for w in ws) for ws in readings)
        for fields in alts:
            if len(readings) >= MAX_RUNS:
                break
            ws = pre + tuple(_word(f, site) for f, site in fields)
            key = tuple((w.text, w.unknown, w.split, w.many) for w in ws)
            if key in seen or not ws:
                continue
            seen.add(key)
            readings.append(ws)
        if not readings:
            return
        if earlier is None:
            # Every run is checked. Past MAX_RUNS runs of one command (a function called from many places),
            # a run with the very words of an earlier one shares its answer instead of repeating it.
            texts = tuple(tuple((w.text, w.unknown, w.split, w.many) for w in ws) for ws in readings)
            known = self.shared.setdefault(id(n), set())
            if texts in known and self.runs[id(n)] > MAX_RUNS:
                return
            known.add(texts)
        first = readings[0]
        cmd = Command(first, first[0].line if first else site.line, first[0].column if first else site.column,
                      max(site.end_line, site.line), site.nested,
                      tuple(readings) if len(readings) > 1 else (), via)
        if earlier is not None:
            self.records[earlier] = self.records[earlier]._replace(command=cmd)
            return
        self.seq += 1
        if self.merging is not None:
            self.merging[merge_key] = len(self.records)
        self.records.append(_Record((cmd.line, cmd.column, self.seq), cmd))

    # -- expansion -----------------------------------------------------------------------------------------------

    def expand_all(self, nodes: Sequence[WordNode], env: Env, split: bool = True) -> list[list[Field]]:
        return [[f for f, _ in alt] for alt in self.expand_sites(nodes, env, split)]

    def expand_sites(self, nodes: Sequence[WordNode], env: Env,
                     split: bool = True) -> list[list[tuple[Field, Word]]]:
        """Every reading of these words: one list of words per combination of the variables' values."""
        multi: set[str] = set()
        for w in nodes:
            for name in _names(w):
                if len(env.get(name, _UNKNOWN_VAL)) > 1:
                    multi.add(name)
        # Variables set together on one path take their values together (_Link), not in every combination.
        units = _units(env, sorted(multi))
        collapsed: set[str] = set()
        while units and _product(len(rows) for _, rows in units) > MAX_ALTERNATIVES:
            worst = max(units, key=lambda u: (len(u[1]), u[0]))
            collapsed.update(worst[0])
            units.remove(worst)
        out: list[list[tuple[Field, Word]]] = []
        for combo in itertools.product(*(rows for _, rows in units)):
            fixed: dict[str, Value] = {}
            for (group, _), row in zip(units, combo):
                fixed.update(zip(group, row))
            for c in collapsed:
                fixed[c] = UNKNOWN
            fields: list[tuple[Field, Word]] = []
            for w in nodes:
                fields.extend((f, w.word) for f in self.expand_word(w, env, fixed, split))
            out.append(fields)
        return out

    def lookup(self, name: str, env: Env, fixed: dict[str, Value]) -> Value:
        if name in fixed:
            return fixed[name]
        val = env.get(name, _UNKNOWN_VAL)
        return val[0] if len(val) == 1 else UNKNOWN

    def ifs(self, env: Env, fixed: dict[str, Value]) -> str | None:
        """The characters fields split on; None when not known (or not whitespace)."""
        if "IFS" not in env:
            return DEFAULT_IFS
        v = self.lookup("IFS", env, fixed)
        if v is UNSET:
            return DEFAULT_IFS
        if isinstance(v, Scalar) and not v.unknown and all(c in " \t\n" for c in v.text):
            return v.text
        return None

    def expand_word(self, w: WordNode, env: Env, fixed: dict[str, Value], split: bool = True) -> list[Field]:
        """One word -> the words it becomes, as Fields whose pieces say where their text was written."""
        parts = w.parts
        if len(parts) == 1 and parts[0].kind == LIT and w.array is None:  # no expansion: the word itself
            p = parts[0]
            line, col = self.pos.at(p.start)
            exact = p.exact and self.pos.contiguous(p.start, p.end)
            return [Field((Piece(p.text, line, col, exact, quoted=True, local=True),), start=w.word.start,
                          end=w.word.end)]
        if w.array is not None:
            return [Field((Piece(w.word.text, w.word.line, w.word.column),), start=w.word.start, end=w.word.end)]
        if len(parts) == 1 and not parts[0].quoted and parts[0].kind in (SUB, OPAQUE, PARAM):
            p = parts[0]
            if p.kind != PARAM or self.param_unknown(p, env, fixed):
                return [Field((self.unknown_piece(p),), many=is_many(parts), split=True)]
        asm = _Assembler(self.ifs(env, fixed) if split else "")
        self.expand_parts(parts, env, fixed, asm, quoted=False)
        fields = asm.done()
        if len(fields) == 1 and fields[0].start < 0 and not _spreads(parts):
            f = fields[0]
            fields = [Field(f.pieces, f.many, f.split, w.word.start, w.word.end)]
        return fields

    def unknown_piece(self, p: Part) -> Piece:
        line, col = self.pos.at(p.start)
        return Piece(p.text, line, col, unknown=True, quoted=p.quoted, local=True)

    def param_unknown(self, p: Part, env: Env, fixed: dict[str, Value]) -> bool:
        """A bare unquoted parameter expansion whose value is not known (it stays one 'split' word)."""
        probe = _Assembler(None)
        self.expand_parts((p,), env, fixed, probe, quoted=False)
        return probe.saw_unknown and not probe.saw_known

    def expand_parts(self, parts: Sequence[Part], env: Env, fixed: dict[str, Value], asm: _Assembler,
                     quoted: bool, arg: bool = False) -> None:
        for p in parts:
            if p.kind == LIT:
                line, col = self.pos.at(p.start)
                exact = p.exact and self.pos.contiguous(p.start, p.end)
                loose = arg and not (quoted or p.quoted)  # ${X:-a b} unquoted: the default splits
                asm.text((Piece(p.text, line, col, exact, quoted=not loose, local=True),), splittable=loose)
            elif p.kind == PARAM:
                self.param(p, env, fixed, asm, quoted or p.quoted)
            else:
                many = p.kind in (SUB,) and not (quoted or p.quoted) and len(parts) == 1
                asm.unknown(self.unknown_piece(p), many)

    def param(self, p: Part, env: Env, fixed: dict[str, Value], asm: _Assembler, quoted: bool) -> None:
        name = p.name
        if p.op == "other" or not name:
            # "${A[@]:1}", "${@:2}", "${A[@]/x/y}": as many words as the array has, whatever they are
            asm.unknown(self.unknown_piece(p), quoted and (p.subscript == "@" or name == "@"))
            return
        if name in ("?", "$", "!", "-", "_", "0"):
            asm.unknown(self.unknown_piece(p), False)
            return
        value: Value
        if _positional(name):
            args = self.lookup("@", env, fixed)
            if name in ("@", "*"):
                value = args if isinstance(args, Array) else UNKNOWN
                index: str | None = name
            elif name == "#":
                value = Scalar((Piece(str(len(args.items)), *self.pos.at(p.start)),)) \
                    if isinstance(args, Array) and not any(f.many for f in args.items) else UNKNOWN
                index = None
            else:
                value = _element(args, int(name) - 1)
                index = None
        else:
            value = self.lookup(name, env, fixed)
            index = p.subscript
            if index is not None and index not in ("@", "*"):
                if isinstance(value, Array) and index.strip().isdigit():
                    value = _element(value, int(index))
                elif isinstance(value, Scalar) and index.strip() == "0":
                    pass
                elif isinstance(value, (Array, Scalar)):
                    value = UNKNOWN if not index.strip().isdigit() else UNSET
                index = None
            elif index is None and isinstance(value, Array):
                value = _element(value, 0)
        if p.op == "len":
            if isinstance(value, Array) and index in ("@", "*") and not any(f.many for f in value.items):
                n = len(value.items)
            elif isinstance(value, Scalar) and not value.unknown:
                n = len(value.text)
            elif value is UNSET:
                n = 0
            else:
                asm.unknown(self.unknown_piece(p), False)
                return
            asm.text((Piece(str(n), *self.pos.at(p.start)),), splittable=False)
            return
        if p.op:
            if value is UNKNOWN or (isinstance(value, Array) and any(f.many for f in value.items)):
                asm.unknown(self.unknown_piece(p), False)
                return
            is_unset = value is UNSET or (isinstance(value, Array) and not value.items)
            is_empty = is_unset or (isinstance(value, Scalar) and value.text == "" and not value.unknown)
            test = is_empty if p.op.startswith(":") else is_unset
            if p.op in (":-", "-", ":=", "="):
                if test:
                    self.expand_parts(p.arg, env, fixed, asm, quoted, arg=True)
                    return
            elif p.op in (":+", "+"):
                if not test:
                    self.expand_parts(p.arg, env, fixed, asm, quoted, arg=True)
                elif quoted:
                    asm.text((), splittable=False)
                return
        self.emit_value(value, index, p, asm, quoted)

    def emit_value(self, value: Value, index: str | None, p: Part, asm: _Assembler, quoted: bool) -> None:
        if value is UNKNOWN:
            asm.unknown(self.unknown_piece(p), quoted and index == "@")
            return
        if value is UNSET:
            if quoted and index != "@":
                asm.text((), splittable=False)
            return
        if isinstance(value, Scalar):
            items: tuple[Field, ...] = (Field(value.pieces),)
        else:
            assert isinstance(value, Array)
            items = value.items
        if index == "@" or (index == "*" and not quoted):
            asm.fields(items, splittable=not quoted)
            return
        if index == "*":  # "${A[*]}", "$*": one word, joined by a blank
            pieces: list[Piece] = []
            for k, f in enumerate(items):
                if f.many:
                    asm.unknown(self.unknown_piece(p), False)
                    return
                if k:
                    pieces.append(Piece(" ", *self.pos.at(p.start)))
                pieces.extend(f.pieces)
            asm.text(tuple(pieces), splittable=False)
            return
        f = items[0] if items else Field(())
        if f.many:
            asm.unknown(self.unknown_piece(p), False)
            return
        asm.text(f.pieces if quoted else _loose(f.pieces),
                 splittable=not quoted, span=(f.start, f.end) if len(items) == 1 else (-1, -1))

    # -- assignments -----------------------------------------------------------------------------------------------

    def value_of(self, parts: Sequence[Part], env: Env, start: int, end: int) -> Val:
        """The values an assignment's right-hand side may have (no splitting)."""
        node = WordNode(Word("", 0, 0, False, False, start, end), tuple(parts))
        values: list[Value] = []
        for fields in self.expand_all([node], env, split=False):
            pieces: list[Piece] = []
            for k, f in enumerate(fields):
                if k:
                    pieces.append(Piece(" ", f.pieces[0].line if f.pieces else 0, 0))
                if f.many:
                    return _UNKNOWN_VAL
                pieces.extend(_foreign(pc) for pc in f.pieces if pc.text or pc.unknown)
            values.append(Scalar(tuple(pieces)))
        return _norm(values)

    def array_of(self, elements: Sequence[WordNode], env: Env) -> Val:
        if any(_subscripted(e) is not None for e in elements):
            return self.keyed_array(elements, env)
        values: list[Value] = []
        for fields in self.expand_all(elements, env):
            values.append(Array(tuple(_stored(f) for f in fields)))
        return _norm(values)

    def keyed_array(self, elements: Sequence[WordNode], env: Env) -> Val:
        """``A=([0]=a b [5]=c)``: an element ``[i]=value`` goes at index i (its value is not split, as an
        assignment's), the others after the one before. Indexes that are not plain numbers are not known."""
        slots: dict[int, Field] = {}
        at = 0
        for e in elements:
            sub = _subscripted(e)
            fields: list[Field]
            if sub is None:
                alts = self.expand_all([e], env)
                if len(alts) != 1 or any(f.many or f.split for f in alts[0]):
                    return _UNKNOWN_VAL
                fields = [_stored(f) for f in alts[0]]
            else:
                index, parts = sub
                if not index.strip().isdigit():
                    return _UNKNOWN_VAL
                at = int(index)
                val = self.value_of(parts, env, -1, -1)
                if len(val) != 1:
                    return _UNKNOWN_VAL
                v = val[0]
                fields = [Field(v.pieces) if isinstance(v, Scalar) else
                          Field((Piece(e.word.text, e.word.line, e.word.column, unknown=True),))]
            for f in fields:
                slots[at] = f
                at += 1
        return _norm([_array(slots)])

    def assign(self, env: Env, a: Assign, local: bool = False, flags: str = "") -> None:
        name = a.name
        if any(f in flags for f in "Ainlu") or name == "@":
            env[name] = _UNKNOWN_VAL
            return
        if a.array is not None:
            new = self.array_of(a.array, env)
            if a.append:
                new = _combine(env.get(name, _UNKNOWN_VAL), new, array=True)
            env[name] = new
            return
        value = self.value_of(a.value, env, a.value_start, a.value_end)
        if a.subscript is not None:
            env[name] = _set_element(env.get(name, _UNKNOWN_VAL), a.subscript, value)
            return
        if "a" in flags:
            value = _norm([Array((Field(v.pieces),)) if isinstance(v, Scalar) else v for v in value])
        if a.append:
            value = _combine(env.get(name, _UNKNOWN_VAL), value, array=False)
        env[name] = value

    def default_assignments(self, words: Sequence[WordNode], env: Env) -> None:
        """``${X:=w}`` and ``${X=w}`` assign X when they expand w."""
        for w in words:
            for p in _params(w.parts):
                if p.op not in (":=", "=") or p.subscript is not None or not p.name or _positional(p.name):
                    continue
                new: list[Value] = []
                default = self.value_of(p.arg, env, -1, -1)
                for v in env.get(p.name, _UNKNOWN_VAL):
                    empty = v is UNSET or (isinstance(v, Scalar) and not v.unknown and v.text == "")
                    if v is UNSET or (p.op == ":=" and empty):
                        new.extend(default)
                    else:
                        new.append(v)
                env[p.name] = _norm(new)

    def declare(self, name: str, args: Sequence[WordNode], env: Env) -> None:
        flags = ""
        in_function = bool(self.frames) and name in ("local", "declare", "typeset")
        for a in args:
            t = _lit(a)
            if a.assign is None and t is not None and t[:1] in "-+" and len(t) > 1:
                if t[0] == "-":
                    flags += t[1:]
                continue
            if "f" in flags or "F" in flags or "p" in flags:
                return
            if "g" in flags:
                in_function = False
            target = a.assign.name if a.assign is not None else t
            if target is None or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", target):
                continue
            if in_function and self.frames and target not in self.frames[-1].saved:
                self.frames[-1].saved[target] = env.get(target)
            if a.assign is not None:
                self.assign(env, a.assign, in_function, flags)
            elif in_function:
                # bash: a local without a value is unset; dash and ash keep the caller's value. Both readings.
                env[target] = _norm([UNSET, *env.get(target, _UNKNOWN_VAL)])
            elif any(f in flags for f in "Ainlu"):
                env[target] = _UNKNOWN_VAL

    def set_positional(self, args: Sequence[WordNode], env: Env) -> None:
        k = 0
        while k < len(args):
            t = _lit(args[k])
            if t is None:
                break
            if t == "--":
                k += 1
                break
            if t[:1] in "-+" and len(t) > 1:
                k += 2 if "o" in t[1:] else 1  # -o NAME, -euo pipefail: the option's argument follows
                continue
            break
        else:
            if not any(_lit(a) == "--" for a in args):
                return
        rest = list(args[k:])
        if not rest and not any(_lit(a) == "--" for a in args[:k]):
            return
        values: list[Value] = []
        for fields in self.expand_all(rest, env):
            values.append(Array(tuple(_stored(f) for f in fields)))
        env["@"] = _norm(values) if values else (Array(()),)

    def shift(self, args: Sequence[WordNode], env: Env) -> None:
        t = _lit(args[0]) if args else "1"
        if t is None or not t.isdigit():
            env["@"] = _UNKNOWN_VAL
            return
        n = int(t)
        out: list[Value] = []
        for v in env.get("@", _UNKNOWN_VAL):
            if isinstance(v, Array) and not any(f.many for f in v.items[:n]):
                out.append(Array(v.items[n:]))
            else:
                out.append(UNKNOWN)
        env["@"] = _norm(out)

    def call(self, func: _Func, n: Simple, assigns: Sequence[WordNode], args: Sequence[WordNode],
             env: Env) -> Env | None:
        fid = id(func.node)
        params: list[Value] = []
        for fields in self.expand_all(args, env):
            params.append(Array(tuple(_stored(f) for f in fields)))
        inner = dict(env)
        saved_params = env.get("@")
        inner["@"] = _norm(params) if params else (Array(()),)
        temporary: dict[str, Val | None] = {}
        for a in assigns:
            assert a.assign is not None
            temporary.setdefault(a.assign.name, env.get(a.assign.name))
            self.assign(inner, a.assign)
        assert n.command is not None
        frame = _Frame((n.command.line, n.command.column))
        self.frames.append(frame)
        self.stack.append(fid)
        pos = self.pos
        self.pos = func.pos
        try:
            out = self.node(func.node.body, inner)
        finally:
            self.pos = pos
            self.stack.pop()
            self.frames.pop()
        if self.recording:
            self.called.add(fid)
        result = _merge([out, *frame.returns])
        if result is None:
            return None
        result = dict(result)
        for name, saved in list(frame.saved.items()) + list(temporary.items()):
            if saved is None:
                result.pop(name, None)
            else:
                result[name] = saved
        if saved_params is None:
            result.pop("@", None)
        else:
            result["@"] = saved_params
        return result

    def substitutions(self, w: WordNode, env: Env) -> None:
        """Read the commands inside the word's command substitutions (a subshell: nothing flows back)."""
        for p in _subs(w):
            if p.body is not None:
                self.node(p.body, dict(env))


def _word(f: Field, site: Word) -> Word:
    origin = (0, 0)
    if f.pieces and not f.pieces[0].local:
        origin = (f.pieces[0].line, f.pieces[0].column)
    if origin == (site.line, site.column):
        origin = (0, 0)
    return Word(f.text, site.line, site.column, f.unknown, f.split, f.start, f.end, f.many, origin[0], origin[1])


class _Assembler:
    """Builds the fields of one word from its parts' values, splitting where the shell splits."""

    def __init__(self, ifs: str | None) -> None:
        self.ifs = ifs  # None: not known; "": no splitting
        self.out: list[Field] = []
        self.cur: list[Piece] = []
        self.has = False
        self.many = False
        self.span = (-1, -1)
        self.span_ok = True
        self.saw_unknown = False
        self.saw_known = False

    def emit(self) -> None:
        if self.has:
            span = self.span if self.span_ok else (-1, -1)
            # Only unknown text the shell splits (``$EXTRA`` of OPTS="--live $EXTRA", used as $OPTS): it may
            # be several words or none, as a bare $EXTRA is. Unknown text inside a longer word leaves one word.
            split = any(p.unknown and not p.quoted for p in self.cur) and \
                all(p.unknown or not p.text for p in self.cur)
            self.out.append(Field(tuple(self.cur), self.many, split, span[0], span[1]))
        self.cur, self.has, self.many, self.span, self.span_ok = [], False, False, (-1, -1), True

    def _add(self, pieces: Sequence[Piece], span: tuple[int, int] = (-1, -1)) -> None:
        if self.has or self.cur:
            self.span_ok = False
        elif span[0] >= 0:
            self.span = span
        else:
            self.span_ok = False
        self.cur.extend(pieces)
        self.has = True

    def text(self, pieces: Sequence[Piece], splittable: bool, span: tuple[int, int] = (-1, -1)) -> None:
        self.saw_known = True
        if not splittable or self.ifs == "":
            self._add(pieces, span)
            return
        if self.ifs is None:
            if any(not p.quoted and p.text for p in pieces):
                self.unknown(Piece("".join(p.text for p in pieces), pieces[0].line, pieces[0].column,
                                   unknown=True), True)
            else:
                self._add(pieces, span)
            return
        whole = len(pieces) == 1 and span[0] >= 0
        chunks = list(_split_pieces(pieces, self.ifs))
        if whole and len(chunks) == 1 and chunks[0] and not self.has:
            self._add(pieces, span)
            return
        for chunk in chunks:
            if chunk is None:
                self.emit()
            else:
                self._add(chunk)

    def fields(self, items: Sequence[Field], splittable: bool) -> None:
        self.saw_known = True
        for k, f in enumerate(items):
            if k:
                self.emit()
            if f.many or f.split:
                self.saw_unknown = True
                self.emit()
                self.out.append(f)
                continue
            if splittable:
                self.text(_loose(f.pieces), True, (f.start, f.end))
            else:
                self._add(f.pieces, (f.start, f.end))

    def unknown(self, piece: Piece, many: bool) -> None:
        self.saw_unknown = True
        self._add((piece,))
        if many:
            self.many = True

    def done(self) -> list[Field]:
        self.emit()
        return self.out


def _split_pieces(pieces: Sequence[Piece], ifs: str) -> Iterator[list[Piece] | None]:
    """Pieces -> runs of pieces between separators (None for a separator)."""
    cur: list[Piece] = []
    for p in pieces:
        if p.quoted or p.unknown:
            cur.append(p)
            continue
        t = p.text
        i = 0
        while i < len(t):
            if t[i] in ifs:
                j = i
                while j < len(t) and t[j] in ifs:
                    j += 1
                if cur:
                    yield cur
                    cur = []
                yield None
                i = j
                continue
            j = i
            while j < len(t) and t[j] not in ifs:
                j += 1
            col = p.column + i if p.exact else p.column
            cur.append(Piece(t[i:j], p.line, col, p.exact, False, True))
            i = j
    if cur:
        yield cur


def _stored(f: Field) -> Field:
    """A field kept in a variable: its text is no longer the word's own."""
    return Field(tuple(_foreign(p) for p in f.pieces), f.many, f.split, f.start, f.end)


def _foreign(p: Piece) -> Piece:
    return p if not p.local else Piece(p.text, p.line, p.column, p.exact, p.unknown, p.quoted, False)


def _loose(pieces: tuple[Piece, ...]) -> tuple[Piece, ...]:
    """Pieces of an unquoted expansion: subject to splitting."""
    return tuple(p if not p.quoted else Piece(p.text, p.line, p.column, p.exact, p.unknown, False, p.local)
                 for p in pieces)


def _spreads(parts: Sequence[Part]) -> bool:
    """The word expands arrays or "$@" (its words are the elements', not its own)."""
    return any(p.kind == PARAM and (p.subscript in ("@", "*") or p.name in ("@", "*") or p.name.isdigit())
               for p in parts)


def _element(v: Value, n: int) -> Value:
    if not isinstance(v, Array):
        return UNKNOWN if v is UNKNOWN else UNSET
    if v.keys is not None:
        if any(f.many for f in v.items):
            return UNKNOWN
        f = _slots(v).get(n)
        return UNSET if f is None else Array((f,))
    for k, f in enumerate(v.items):
        if f.many:
            return UNKNOWN
        if k == n:
            return Array((f,))
    return UNSET


def _set_element(old: Val, index: str, value: Val) -> Val:
    if not index.strip().isdigit() or len(value) != 1 or not isinstance(value[0], Scalar):
        return _UNKNOWN_VAL
    n = int(index)
    out: list[Value] = []
    for v in old:
        slots: dict[int, Field]
        if isinstance(v, Array) and not any(f.many for f in v.items):
            slots = _slots(v)
        elif v is UNSET:
            slots = {}
        elif isinstance(v, Scalar):
            slots = {0: Field(v.pieces)}
        else:
            return _UNKNOWN_VAL
        slots[n] = Field(value[0].pieces)
        out.append(_array(slots))
    return _norm(out)


def _combine(old: Val, new: Val, array: bool) -> Val:
    out: list[Value] = []
    for a in old:
        for b in new:
            if array:
                left: tuple[Field, ...]
                if isinstance(a, Array):
                    left = a.items
                elif isinstance(a, Scalar):
                    left = (Field(a.pieces),)
                elif a is UNSET:
                    left = ()
                else:
                    left = (Field((Piece("${...}", 0, 0, unknown=True),), many=True),)
                right = b.items if isinstance(b, Array) else ()
                if isinstance(a, Array) and a.keys is not None and not any(f.many for f in a.items):
                    slots = _slots(a)  # A+=(x) of a sparse array: after its last index
                    slots.update((max(slots, default=-1) + 1 + k, f) for k, f in enumerate(right))
                    out.append(_array(slots))
                else:
                    out.append(Array(left + right))
            else:
                if isinstance(a, Array):
                    a = Scalar(a.items[0].pieces) if a.items and not a.items[0].many else UNKNOWN
                if a is UNKNOWN or not isinstance(b, Scalar):
                    out.append(UNKNOWN)
                else:
                    out.append(Scalar((a.pieces if isinstance(a, Scalar) else ()) + b.pieces))
            if len(out) > MAX_VALUES:
                return _UNKNOWN_VAL
    return _norm(out)


def _product(ns: Iterable[int]) -> int:
    total = 1
    for n in ns:
        total *= n
    return total


def _params(parts: Sequence[Part]) -> Iterator[Part]:
    for p in parts:
        if p.kind == PARAM:
            yield p
            yield from _params(p.arg)


def _names(w: WordNode) -> set[str]:
    out: set[str] = set()
    for p in _params(w.parts):
        if _positional(p.name):
            out.add("@")
        elif p.name:
            out.add(p.name)
    if "IFS" not in out and any(p.kind == PARAM and not p.quoted for p in w.parts):
        out.add("IFS")
    if w.array is not None:
        for e in w.array:
            out |= _names(e)
    return out


def _subs(w: WordNode) -> Iterator[Part]:
    def walk(parts: Sequence[Part]) -> Iterator[Part]:
        for p in parts:
            if p.kind in (SUB, PROC):
                yield p
            walk_arg = p.arg
            if walk_arg:
                yield from walk(walk_arg)

    yield from walk(w.parts)
    if w.array is not None:
        for e in w.array:
            yield from _subs(e)


_SUBSCRIPT = re.compile(r"\[([^\]]*)\]=")


def _subscripted(e: WordNode) -> tuple[str, tuple[Part, ...]] | None:
    """An array literal's element ``[i]=value``: (i, the value's parts); None for a plain element."""
    first = e.parts[0] if e.parts else None
    if first is None or first.kind != LIT or first.quoted:
        return None
    m = _SUBSCRIPT.match(first.text)
    if m is None:
        return None
    n = m.end()
    rest = first._replace(text=first.text[n:], start=first.start + n if first.exact else first.start,
                          exact=first.exact)
    return m.group(1), ((rest,) if rest.text else ()) + tuple(e.parts[1:])


def _assigned_by(name: str, args: Sequence[WordNode]) -> list[str]:
    """Variables ``read``, ``mapfile``, ``getopts``, ``printf -v`` and ``let`` set to what only the run knows."""
    texts = [_lit(a) for a in args]
    if name == "let":
        out: list[str] = []
        for t in texts:
            if t is not None:
                out.extend(m.group(1) or m.group(2) or m.group(3) for m in _ARITH_ASSIGN.finditer(t))
        return out
    if name == "printf":
        return [texts[k + 1] for k in range(len(texts) - 1)  # type: ignore[misc]
                if texts[k] == "-v" and texts[k + 1] is not None]
    if name == "getopts":
        return [t for t in texts[1:2] if t is not None] + ["OPTARG", "OPTIND"]
    takes = {"read": "dnNptui", "mapfile": "dnOsuC", "readarray": "dnOsuC"}[name]
    names: list[str] = []
    k = 0
    while k < len(texts):
        t = texts[k]
        if t is None:
            k += 1
            continue
        if t.startswith("-") and len(t) > 1:
            if t[1:].rstrip("a") and t[-1] in takes:
                k += 1
            if "a" in t[1:] and k + 1 < len(texts) and texts[k + 1] is not None and name == "read":
                names.append(texts[k + 1])  # type: ignore[arg-type]
                k += 1
            k += 1
            continue
        names.append(t)
        k += 1
    if not names:
        names = ["REPLY"] if name == "read" else ["MAPFILE"]
    return [n for n in names if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", n)]


_INT = re.compile(r"-?[0-9]+")
_INT_TESTS = {"-eq": "==", "-ne": "!=", "-lt": "<", "-le": "<=", "-gt": ">", "-ge": ">="}
_ARITH_TEST = re.compile(r"\s*([$]?[A-Za-z_][A-Za-z0-9_]*|-?[0-9]+)\s*(==|!=|<=|>=|<|>)\s*"
                         r"([$]?[A-Za-z_][A-Za-z0-9_]*|-?[0-9]+)\s*")


def _compare(a: int, op: str, b: int) -> bool:
    return {"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _test(args: Sequence[str]) -> bool | None:
    """test(1) on known words, by their number as POSIX says; None for what is not read here (files, ...)."""
    if args and args[0] == "!" and len(args) in (2, 3, 4):
        inner = _test(args[1:])
        return None if inner is None else not inner
    if not args:
        return False
    if len(args) == 1:
        return args[0] != ""
    if len(args) == 2:
        return {"-n": args[1] != "", "-z": args[1] == ""}.get(args[0])
    if len(args) == 3:
        a, op, b = args
        if op in ("=", "=="):
            return a == b
        if op == "!=":
            return a != b
        if op in _INT_TESTS and _INT.fullmatch(a.strip()) and _INT.fullmatch(b.strip()):
            return _compare(int(a), _INT_TESTS[op], int(b))
    return None


def _arith(text: str, env: Env) -> bool | None:
    """``(( a OP b ))`` on integers the file gives; None otherwise."""
    m = _ARITH_TEST.fullmatch(text.rstrip().removesuffix(")"))
    if m is None:
        return None
    values: list[int] = []
    for operand in (m.group(1), m.group(3)):
        if _INT.fullmatch(operand):
            values.append(int(operand))
            continue
        val = env.get(operand.lstrip("$"))
        if val is None or len(val) != 1 or not isinstance(val[0], Scalar) or val[0].unknown or \
                not _INT.fullmatch(val[0].text.strip()):
            return None
        values.append(int(val[0].text))
    return _compare(values[0], m.group(2), values[1])


def _case_match(subject: str, pattern: WordNode) -> bool:
    for alt in [pattern.word.text]:
        if fnmatch.fnmatchcase(subject, alt):
            return True
    return False


def _unshare(commands: list[Command]) -> list[Command]:
    """Spans read by more than one command become -1 (an edit there would change the others too)."""
    uses: Counter[tuple[int, int]] = Counter()
    for c in commands:
        spans = {(w.start, w.end) for reading in c.readings() for w in reading if w.start >= 0}
        uses.update(spans)
    shared = {s for s, n in uses.items() if n > 1}
    if not shared:
        return commands

    def fix(ws: tuple[Word, ...]) -> tuple[Word, ...]:
        return tuple(w._replace(start=-1, end=-1) if (w.start, w.end) in shared else w for w in ws)

    return [c._replace(words=fix(c.words), alternatives=tuple(fix(r) for r in c.alternatives)) for c in commands]


def resolve(sc: Scan) -> list[Command]:
    """The commands of one script as they run (see the module's docstring)."""
    r = Resolver()
    r.run(sc)
    return r.finish()
