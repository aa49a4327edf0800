"""A POSIX-shell (and bash) reader that keeps positions and marks what it cannot know.

It is not a shell: nothing is ever expanded or executed. It reads a script into

* simple commands (``Scan.commands``, in order of position, those inside ``$(...)`` and backquotes included
  and marked ``nested``) whose words are quote-removed, with every word that contains an expansion
  (``$VAR``, ``${...}``, ``$(...)``, backquotes) marked unknown -- what a reader that follows no variable sees;
* the comments (for suppressions) and the here-documents, whose bodies are skipped;
* a tree of the script's structure (``Scan.tree``: lists, pipelines, ``&&``/``||``, if/case/loops, groups,
  subshells, function definitions) whose words keep their parts (literal text, quoted or not; parameter
  expansions with their operator and argument; command substitutions with their own tree). The resolver
  (``miglint.inputs.resolve``) follows variables through that tree.

Array assignments (``A=(a b c)``, ``A+=(...)``) are one word with their elements, not a command.
Redirections are dropped (their target words are not command words). A reader of snippets taken out of
another file (Markdown, Makefiles, Ansible) passes ``Positions`` that map offsets back to that file, and may
mark "opaque" spans (``<placeholder>``, Jinja ``{{ ... }}``, an unknown make variable) that read as unknown
word parts whatever characters they contain.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import NamedTuple, Union

from ..errors import UserError


class Word(NamedTuple):
    """One word of a command.

    text: after quote removal; unresolved expansions appear as their source text.
    line, column: where the word stands in the command as it runs. For a word written in the command this is
      where it is written; for a word produced by resolving an expansion (``$VIRSH``, ``"${cmd[@]}"``,
      ``"$opts"``, a function's ``"$@"``) it is the position of that expansion in the command that runs.
    unknown: some of its text is not known (an unresolved expansion, a placeholder).
    split: the whole word is one unquoted unknown expansion (``$X``, ``${X}``, ``$(...)``, ``{{ x }}``): it may
      become several words or none. A variable inside a longer word (``tcp://$3``) does not make it split.
    start, end: offsets in the scanned file of the source text that, replaced alone, changes exactly this
      word. For a word written in the command: its own text, quotes included. For a resolved word: the word
      of the command that produced it when that word produced this word alone (``"$opts"``, ``"$DOM"``);
      otherwise the assignment text it was copied from whole (an array element of ``cmd=(...)``, a function
      call's argument). -1 when there is no such text (a field split out of a longer string, text made by
      joining an unknown part) or when that text also feeds another command miglint found (an array run at
      two places, a function body expanded at two calls): an edit there would change that other command
      too. The alternatives of one command (``Command.alternatives``) share their spans: an edit there
      serves them all.
    many: the word stands for any number of words, none included, that are not known (``"$@"`` outside a
      function call, ``"${A[@]}"`` of an unknown array, a bare ``$(...)``): options and positionals alike.
    origin_line, origin_column: where the word's text was written -- its first character, inside the quotes
      of a quoted word (the assignment's value for ``$VIRSH``, the call's word for a function's ``"$1"``, the
      array element for ``"${cmd[@]}"``); 0 when that is ``line``/``column`` (a word written in the command,
      or made there of several texts). A word split out of a longer value points at its own characters when
      they are written as they are (``VIRSH="virsh -c URI"``: ``-c`` at its column). See ``origin()``.
    """

    text: str
    line: int
    column: int
    unknown: bool
    split: bool
    start: int = -1
    end: int = -1
    many: bool = False
    origin_line: int = 0
    origin_column: int = 0

    def origin(self) -> tuple[int, int]:
        """(line, column) where the word's text was written."""
        if self.origin_line:
            return self.origin_line, self.origin_column
        return self.line, self.column


class Command(NamedTuple):
    words: tuple[Word, ...]
    line: int
    column: int
    end_line: int = 0  # the line the command ends on (continuation lines); 0 when unknown
    nested: bool = False  # inside a command substitution
    # Resolved commands only (miglint.inputs.resolve): when the command reads differently on different paths
    # (a variable assigned in if/else, a loop variable), every reading, each a word list; ``words`` is the
    # first. Empty when there is one reading.
    alternatives: tuple[tuple[Word, ...], ...] = ()
    # Resolved commands only: the function calls (line, column of each call, outermost first) through which
    # this command of a function body ran; empty for a command run where it is written.
    via: tuple[tuple[int, int], ...] = ()

    def readings(self) -> tuple[tuple[Word, ...], ...]:
        """Every word list the command may run with (``words`` alone when there are no alternatives)."""
        return self.alternatives or (self.words,)


class Heredoc(NamedTuple):
    line: int  # first line of the body
    command: tuple[Word, ...] = ()  # the words of the command it feeds, as far as read


class Comment(NamedTuple):
    text: str  # after the '#'
    line: int
    column: int
    trailing: bool  # code precedes it on its line


# -- positions ------------------------------------------------------------------------------------------------


class Positions:
    """Offsets in the scanned text -> (line, column), and -> offsets in the file (for edits).

    The default maps a text that starts at (line, column) of its file, offsets being the file's own (or, with
    ``spans=False``, no file offsets at all: a string scanned out of a quoted word). Readers of snippets taken
    out of another file subclass it (miglint.inputs.snippet)."""

    def __init__(self, text: str, line: int = 1, column: int = 1, spans: bool = True, base: int = 0) -> None:
        self.line = line
        self.column = column
        self.spans = spans
        self.base = base  # the file offset of the text's first character (a string inside a quoted word)
        self._nl = [i for i, ch in enumerate(text) if ch == "\n"]

    def at(self, offset: int) -> tuple[int, int]:
        k = bisect.bisect_left(self._nl, offset)  # newlines before offset
        if k == 0:
            return self.line, self.column + offset
        return self.line + k, offset - self._nl[k - 1]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """File offsets of the text [start, end), or (-1, -1) when it is not copied from the file as it is."""
        return (self.base + start, self.base + end) if self.spans and 0 <= start <= end else (-1, -1)

    def contiguous(self, start: int, end: int) -> bool:
        """The characters [start, end) stand one after the other on one line of the file."""
        return bisect.bisect_left(self._nl, start) == bisect.bisect_left(self._nl, end)


# -- word parts and the tree -------------------------------------------------------------------------------------

LIT, PARAM, SUB, ARITH, OPAQUE, PROC = "lit", "param", "sub", "arith", "opaque", "proc"


class Part(NamedTuple):
    """A piece of a word. LIT: literal text after quote removal; PARAM: ``$X``, ``${X...}``; SUB: ``$(...)`` or
    backquotes; ARITH: ``$((...))``; OPAQUE: a span the reader marked unknown; PROC: ``<(...)``.

    quoted: inside quotes (LIT: quoted or escaped, so never split). start, end: offsets of the part's source
    in the scanned text (a LIT's text itself when ``exact``)."""

    kind: str
    text: str  # LIT: the literal text; others: the source text
    quoted: bool
    start: int
    end: int
    exact: bool = False  # LIT: text == the scanned text[start:end]
    name: str = ""  # PARAM: the parameter ("X", "1", "@", "*", "#", ...)
    op: str = ""  # PARAM: "", ":-", "-", ":=", "=", ":+", "+", ":?", "?", "len" (${#X}), "other"
    subscript: str | None = None  # PARAM: the subscript (``${A[@]}`` -> "@"), None without one
    arg: tuple[Part, ...] = ()  # PARAM: the word after the operator
    body: Seq | None = None  # SUB, PROC: the commands inside


class Assign(NamedTuple):
    """``NAME=value``, ``NAME+=value``, ``NAME[i]=value`` or ``NAME=(elements)`` at the start of a word."""

    name: str
    subscript: str | None
    append: bool
    value: tuple[Part, ...]
    array: tuple[WordNode, ...] | None = None
    value_start: int = -1  # offsets of the value's source (after '='), for a whole-value span
    value_end: int = -1


class WordNode(NamedTuple):
    word: Word
    parts: tuple[Part, ...]
    array: tuple[WordNode, ...] | None = None  # the elements of NAME=( ... )
    assign: Assign | None = None  # when the word has the form of an assignment


@dataclass(slots=True)
class Simple:
    words: list[WordNode]
    command: Command | None
    negated: bool = False  # `! cmd`: its exit status is reversed


@dataclass(slots=True)
class Seq:
    items: list[Node]


@dataclass(slots=True)
class AndOr:
    first: Node
    rest: list[tuple[str, Node]]


@dataclass(slots=True)
class Pipe:
    items: list[Node]


@dataclass(slots=True)
class Background:
    body: Node


@dataclass(slots=True)
class Subshell:
    body: Seq


@dataclass(slots=True)
class Group:
    body: Seq


@dataclass(slots=True)
class If:
    arms: list[tuple[Seq, Seq]]
    orelse: Seq | None


@dataclass(slots=True)
class Loop:
    kind: str  # "while", "until", "for", "select", "arith-for"
    cond: Seq | None
    body: Node
    var: str = ""
    items: list[WordNode] | None = None  # for/select ... in ITEMS; None: "$@"


@dataclass(slots=True)
class Case:
    subject: WordNode | None
    arms: list[tuple[list[WordNode], Seq]]


@dataclass(slots=True)
class FuncDef:
    name: str
    body: Node
    word: Word


@dataclass(slots=True)
class Arith:
    text: str  # (( ... )) without the parentheses
    negated: bool = False


@dataclass(slots=True)
class Cond:
    words: list[WordNode]  # [[ ... ]]
    negated: bool = False


Node = Union[Simple, Seq, AndOr, Pipe, Background, Subshell, Group, If, Loop, Case, FuncDef, Arith, Cond]


class Scan(NamedTuple):
    commands: list[Command]
    heredocs: list[Heredoc]
    comments: list[Comment]
    tree: Seq | None = None  # the script's structure, for miglint.inputs.resolve
    positions: Positions | None = None  # how the offsets in the tree map to the file


class ShellSyntaxError(UserError):
    """A quote or expansion left open. ``offset``: where it started in the scanned text."""

    def __init__(self, message: str, where: str, offset: int) -> None:
        super().__init__(message, where)
        self.offset = offset


_OPERATOR_CHARS = ";&|()\n"
_SPECIAL_PARAMS = "@*#?$!-0123456789"
MAX_NESTING = 8  # command substitutions read this deep; deeper ones stay opaque words
MAX_TREE_DEPTH = 48  # compound commands nested deeper: the script is read as a flat list of commands
MAX_PARAM_DEPTH = 16  # ${X:-${Y:-...}} nested deeper: an opaque part
RESERVED_WORDS = frozenset({"if", "then", "else", "elif", "fi", "do", "done", "case", "esac", "while", "until",
                            "for", "select", "function", "{", "}", "!", "[[", "]]", "in"})
_CLOSERS = frozenset({"fi", "done", "esac", "then", "do", "else", "elif", "}"})
_ASSIGN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\[([^\]]*)\])?(\+?)=")
_ARRAY_START = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\+?=\Z")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PARAM_OPS = (":-", ":=", ":+", ":?", "-", "=", "+", "?")
MASK = "\ue000"  # what an opaque span reads as while scanning
_PLAIN = re.compile(r"[^\s;&|()<>\\'\"$`\ue000]+")  # a run of characters a word takes as they are
_PLAIN_REGION = re.compile(r"[^\\'\"$`<>\ue000]+")
_ANSI = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v", "e": "\x1b", "E": "\x1b",
         "\\": "\\", "'": "'", '"': '"', "?": "?"}


class _TooDeep(Exception):
    pass


class _Tok(NamedTuple):
    kind: str  # "word", "op", "eof"
    value: str  # the operator ("\n" for a newline); "" for words
    offset: int  # where it starts in the scanned text
    node: WordNode | None = None
    end: int = -1  # where it ends


def _display(parts: tuple[Part, ...]) -> str:
    return "".join(p.text for p in parts)


def is_many(parts: tuple[Part, ...]) -> bool:
    """The word stands for any number of words: a quoted ``"$@"``/``"${A[@]}"`` anywhere in it, or a bare
    unquoted ``$@``, ``$*``, ``${A[@]}``, ``${A[*]}``, ``$(...)`` or backquotes."""
    for p in parts:
        if p.kind == PARAM and p.quoted and (p.name == "@" or p.subscript == "@") and p.op != "len":
            return True
    if len(parts) == 1 and not parts[0].quoted:
        p = parts[0]
        if p.kind == PARAM and (p.name in ("@", "*") or p.subscript in ("@", "*")) and p.op != "len":
            return True
        if p.kind == SUB:
            return True
    return False


def is_split(parts: tuple[Part, ...]) -> bool:
    """The whole word is one unquoted expansion whose value is not known: it may be several words."""
    return len(parts) == 1 and not parts[0].quoted and parts[0].kind in (PARAM, SUB, OPAQUE)


class _Lexer:
    def __init__(self, text: str, where: str, pos: Positions, start: int, end: int, depth: int,
                 opaque: tuple[tuple[int, int], ...] = ()) -> None:
        self.orig = text
        self.s = text
        if opaque:
            chars = list(text)
            for a, b in opaque:
                for k in range(max(a, 0), min(b, len(chars))):
                    chars[k] = MASK
            self.s = "".join(chars)
        self.opaque = opaque
        self.i = start
        self.end = end
        self.where = where
        self.pos = pos
        self.depth = depth
        self.pending_heredocs: list[tuple[str, bool]] = []
        self.heredocs: list[Heredoc] = []
        self.comments: list[Comment] = []
        self.nested: list[Command] = []
        self.param_depth = 0
        self.in_array = False

    def peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.s[j] if j < self.end else ""

    def error(self, message: str, offset: int) -> ShellSyntaxError:
        line, col = self.pos.at(offset)
        return ShellSyntaxError(message, f"{self.where}:{line}:{col}", offset)

    def word(self, parts: tuple[Part, ...], start: int, end: int, text: str | None = None) -> Word:
        line, col = self.pos.at(start)
        fs, fe = self.pos.span(start, end)
        unknown = any(p.kind != LIT for p in parts)
        return Word(_display(parts) if text is None else text, line, col, unknown, is_split(parts), fs, fe,
                    is_many(parts))

    # -- expansions -----------------------------------------------------------------------------------------

    def read_dollar(self, quoted: bool) -> Part | None:
        """At '$': one expansion as a part (None: the '$' is literal)."""
        start = self.i
        c = self.peek(1)
        if c == "(":
            if self.peek(2) == "(":
                self.i += 1
                self.read_balanced("(", ")", start)
                return Part(ARITH, self.orig[start:self.i], quoted, start, self.i)
            self.i += 1
            body_start = self.i + 1
            self.read_balanced("(", ")", start)
            body = self.read_nested(body_start, self.i - 1)
            return Part(SUB, self.orig[start:self.i], quoted, start, self.i, body=body)
        if c == "[":
            self.i += 1
            self.read_balanced("[", "]", start)
            return Part(ARITH, self.orig[start:self.i], quoted, start, self.i)
        if c == "{":
            self.i += 1
            self.read_balanced("{", "}", start)
            return self.param_braced(start, self.i, quoted)
        if c.isalpha() or c == "_":
            self.i += 1
            while self.peek().isalnum() or self.peek() == "_":
                self.i += 1
            return Part(PARAM, self.orig[start:self.i], quoted, start, self.i, name=self.s[start + 1:self.i])
        if c and c in _SPECIAL_PARAMS:
            self.i += 2
            return Part(PARAM, self.orig[start:self.i], quoted, start, self.i, name=c)
        return None

    def param_braced(self, start: int, end: int, quoted: bool) -> Part:
        """``${...}`` from start ('$') to end (after '}')."""
        src = self.orig[start:end]
        inner = self.s[start + 2:end - 1]
        base = start + 2
        other = Part(PARAM, src, quoted, start, end, name="", op="other")
        if inner in ("#", "@", "*", "?", "$", "!", "-") or inner.isdigit():
            return Part(PARAM, src, quoted, start, end, name=inner)
        length = inner.startswith("#")
        k = 1 if length else 0
        if inner[k:k + 1] == "!":
            return other
        m = _NAME.match(inner, k)
        if m is not None:
            name = m.group(0)
            k = m.end()
        elif inner[k:k + 1].isdigit():
            j = k
            while inner[j:j + 1].isdigit():
                j += 1
            name = inner[k:j]
            k = j
        elif inner[k:k + 1] and inner[k] in "@*#?$!-0":
            name = inner[k]
            k += 1
        else:
            return other
        index: str | None = None
        if inner[k:k + 1] == "[":
            close = inner.find("]", k)
            if close < 0:
                return other
            index = inner[k + 1:close]
            k = close + 1
        if length:
            return Part(PARAM, src, quoted, start, end, name=name, op="len" if k == len(inner) else "other",
                        subscript=index)
        if k == len(inner):
            return Part(PARAM, src, quoted, start, end, name=name, subscript=index)
        for op in _PARAM_OPS:
            if inner.startswith(op, k):
                arg = self.read_region(base + k + len(op), end - 1, quoted)
                return Part(PARAM, src, quoted, start, end, name=name, op=op, subscript=index, arg=arg)
        return Part(PARAM, src, quoted, start, end, name=name, op="other", subscript=index)

    def read_region(self, a: int, b: int, quoted: bool) -> tuple[Part, ...]:
        """The parts of a parameter's argument word (blanks are literal there)."""
        if self.param_depth >= MAX_PARAM_DEPTH:
            return (Part(OPAQUE, self.orig[a:b], quoted, a, b),)
        sub = _Lexer(self.orig, self.where, self.pos, a, b, self.depth)
        sub.s, sub.opaque = self.s, self.opaque
        sub.param_depth = self.param_depth + 1
        try:
            parts = sub.read_parts(quoted, stop_blank=False)
        except ShellSyntaxError:
            return (Part(OPAQUE, self.orig[a:b], quoted, a, b),)
        self.nested.extend(sub.nested)
        self.heredocs.extend(sub.heredocs)
        self.comments.extend(sub.comments)
        return parts

    def read_balanced(self, open_: str, close: str, start: int) -> None:
        """From an opening bracket (at self.i) past its matching close."""
        depth = 0
        while True:
            c = self.peek()
            if not c:
                raise self.error(f"unterminated '{'$' + open_}' expansion", start)
            if c == "\\":
                self.i += 2
                continue
            if c == "'" and open_ == "(":
                self.skip_single()
                continue
            if c == '"':
                self.i += 1
                self.read_double(self.i - 1)
                continue
            if c == "`":
                self.read_backquote()
                continue
            if c == "#" and open_ == "(" and (self.s[self.i - 1] in " \t\n"):
                while self.peek() and self.peek() != "\n":
                    self.i += 1
                continue
            self.i += 1
            if c == open_:
                depth += 1
            elif c == close:
                depth -= 1
                if depth == 0:
                    return

    def skip_single(self) -> tuple[int, int]:
        start = self.i
        end = self.s.find("'", start + 1, self.end)
        if end < 0:
            raise self.error("unterminated single quote", start)
        self.i = end + 1
        return start + 1, end

    def read_backquote(self) -> Part:
        start = self.i
        self.i += 1
        while True:
            c = self.peek()
            if not c:
                raise self.error("unterminated backquote", start)
            if c == "\\":
                self.i += 2
                continue
            self.i += 1
            if c == "`":
                body = self.read_nested(start + 1, self.i - 1)
                return Part(SUB, self.orig[start:self.i], False, start, self.i, body=body)

    def read_nested(self, a: int, b: int) -> Seq | None:
        """The commands of a command substitution, at their real positions (best effort: never an error)."""
        if self.depth >= MAX_NESTING or not self.s[a:b].strip():
            return None
        try:
            inner = _scan_range(self.orig, self.where, self.pos, a, b, self.depth + 1, self.opaque)
        except UserError:
            return None
        self.nested.extend(inner.commands)
        self.heredocs.extend(inner.heredocs)
        self.comments.extend(inner.comments)
        return inner.tree

    def lit_parts(self, a: int, b: int, quoted: bool) -> list[Part]:
        """Literal text [a, b) as parts, opaque runs in it split out."""
        out: list[Part] = []
        k = a
        while k < b:
            if self.opaque and self.s[k] == MASK:
                j = k
                while j < b and self.s[j] == MASK:
                    j += 1
                out.append(Part(OPAQUE, self.orig[k:j], quoted, k, j))
                k = j
                continue
            j = self.s.find(MASK, k, b) if self.opaque else -1
            j = b if j < 0 else j
            out.append(Part(LIT, self.orig[k:j], quoted, k, j, exact=True))
            k = j
        return out

    def read_double(self, qstart: int) -> list[Part]:
        """After the opening '"': the parts up to the closing one (consumed)."""
        out: list[Part] = []
        run: list[str] = []
        run_start = self.i
        exact = True

        def flush(at: int) -> None:
            nonlocal run, run_start, exact
            if run or at > run_start:
                out.append(Part(LIT, "".join(run), True, run_start, at, exact=exact))
            run, exact = [], True

        while True:
            c = self.peek()
            if not c:
                raise self.error("unterminated double quote", qstart)
            if c == '"':
                flush(self.i)
                self.i += 1
                if not out:
                    out.append(Part(LIT, "", True, self.i - 1, self.i - 1, exact=True))
                return out
            if c == "\\":
                nxt = self.peek(1)
                if nxt in '$`"\\':
                    run.append(nxt)
                    exact = False
                    self.i += 2
                elif nxt == "\n":
                    exact = False
                    self.i += 2
                else:
                    run.append("\\")
                    self.i += 1
                continue
            if c == "$":
                at = self.i
                part = self.read_dollar(True)
                if part is not None:
                    flush(at)
                    out.append(part)
                    run_start = self.i
                else:
                    run.append("$")
                    self.i += 1
                continue
            if c == "`":
                flush(self.i)
                b = self.read_backquote()
                out.append(Part(SUB, b.text, True, b.start, b.end, body=b.body))
                run_start = self.i
                continue
            if self.opaque and c == MASK:
                flush(self.i)
                j = self.i
                while self.peek() == MASK:
                    self.i += 1
                out.append(Part(OPAQUE, self.orig[j:self.i], True, j, self.i))
                run_start = self.i
                continue
            run.append(self.orig[self.i])
            self.i += 1

    def read_ansi(self) -> Part:
        """At ``$'``: ANSI-C quoting, escapes decoded."""
        start = self.i
        self.i += 2
        out: list[str] = []
        exact = True
        while True:
            c = self.peek()
            if not c:
                raise self.error("unterminated single quote", start)
            if c == "'":
                self.i += 1
                return Part(LIT, "".join(out), True, start + 2, self.i - 1, exact=exact)
            if c == "\\" and self.peek(1):
                exact = False
                n = self.peek(1)
                if n in _ANSI:
                    out.append(_ANSI[n])
                    self.i += 2
                elif n in "xuU":
                    width = {"x": 2, "u": 4, "U": 8}[n]
                    j = self.i + 2
                    digits = ""
                    while len(digits) < width and self.s[j:j + 1] and self.s[j] in "0123456789abcdefABCDEF":
                        digits += self.s[j]
                        j += 1
                    out.append(chr(min(int(digits, 16), 0x10FFFF)) if digits else "\\" + n)
                    self.i = j
                elif n in "01234567":
                    j = self.i + 1
                    digits = ""
                    while len(digits) < 3 and self.s[j:j + 1] and self.s[j] in "01234567":
                        digits += self.s[j]
                        j += 1
                    out.append(chr(int(digits, 8) & 0xFF))
                    self.i = j
                elif n == "c" and self.peek(2):
                    out.append(chr(ord(self.peek(2)) & 0x1F))
                    self.i += 3
                else:
                    out.append("\\" + n)
                    self.i += 2
                continue
            out.append(self.orig[self.i])
            self.i += 1

    # -- words -------------------------------------------------------------------------------------------------

    def read_parts(self, quoted: bool, stop_blank: bool = True) -> tuple[Part, ...]:
        """Parts of one word (stop_blank) or of a region up to self.end (a parameter's argument)."""
        out: list[Part] = []
        run_start = self.i

        def flush(at: int) -> None:
            if at > run_start:
                out.extend(self.lit_parts(run_start, at, quoted))

        while True:
            c = self.peek()
            if not c:
                break
            if stop_blank and (c in " \t\r" or c in _OPERATOR_CHARS or (c in "<>" and self.peek(1) != "(")):
                break
            if c == "\\":
                flush(self.i)
                nxt = self.peek(1)
                if nxt and nxt != "\n":
                    out.append(Part(LIT, self.orig[self.i + 1], True, self.i + 1, self.i + 2))
                self.i += 2 if nxt else 1
                run_start = self.i
                continue
            if c == "'" and not quoted:
                flush(self.i)
                a, b = self.skip_single()
                parts = self.lit_parts(a, b, True)
                out.extend(parts or [Part(LIT, "", True, a, a, exact=True)])
                run_start = self.i
                continue
            if c == '"':
                flush(self.i)
                self.i += 1
                out.extend(self.read_double(self.i - 1))
                run_start = self.i
                continue
            if c == "$":
                at = self.i
                if self.peek(1) == "'" and not quoted:
                    flush(at)
                    out.append(self.read_ansi())
                    run_start = self.i
                    continue
                if self.peek(1) == '"' and not quoted:  # $"...": a locale string, read as "..."
                    flush(at)
                    self.i += 2
                    out.extend(self.read_double(at + 1))
                    run_start = self.i
                    continue
                part = self.read_dollar(quoted)
                if part is not None:
                    flush(at)
                    out.append(part)
                    run_start = self.i
                else:
                    self.i += 1
                continue
            if c == "`":
                flush(self.i)
                bq = self.read_backquote()
                out.append(Part(SUB, bq.text, quoted, bq.start, bq.end, body=bq.body))
                run_start = self.i
                continue
            if c in "<>" and self.peek(1) == "(":
                flush(self.i)
                at = self.i
                self.i += 1
                self.read_balanced("(", ")", at)
                body = self.read_nested(at + 2, self.i - 1)
                out.append(Part(PROC, self.orig[at:self.i], quoted, at, self.i, body=body))
                run_start = self.i
                continue
            m = (_PLAIN if stop_blank else _PLAIN_REGION).match(self.s, self.i, self.end)
            self.i = m.end() if m is not None and m.end() > self.i else self.i + 1
        flush(self.i)
        return tuple(out)

    def read_word(self) -> WordNode:
        start = self.i
        parts = self.read_parts(False)
        if self.peek() == "(" and len(parts) == 1 and parts[0].kind == LIT and not parts[0].quoted \
                and not self.in_array and _ARRAY_START.match(parts[0].text):
            return self.read_array(start, parts)
        w = self.word(parts, start, self.i)
        return WordNode(w, parts, assign=_assign(parts))

    def read_array(self, start: int, head: tuple[Part, ...]) -> WordNode:
        """``NAME=(`` ... ``)``: the elements, each a word."""
        self.i += 1
        elements: list[WordNode] = []
        while True:
            c = self.peek()
            if not c:
                raise self.error("unterminated array assignment '('", start)
            if c in " \t\r\n":
                self.i += 1
                continue
            if c == "\\" and self.peek(1) == "\n":
                self.i += 2
                continue
            if c == "#":
                while self.peek() and self.peek() != "\n":
                    self.i += 1
                continue
            if c == ")":
                self.i += 1
                break
            if c in _OPERATOR_CHARS or c in "<>":
                self.i += 1  # not valid in an array; skipped
                continue
            self.in_array = True
            try:
                elements.append(self.read_word())
            finally:
                self.in_array = False
        name = head[0].text
        text = f"{name}({' '.join(e.word.text for e in elements)})"
        w = self.word(head, start, self.i, text)
        w = w._replace(unknown=any(e.word.unknown for e in elements), split=False, many=False)
        m = _ASSIGN.match(name)
        assert m is not None
        arr = tuple(elements)
        return WordNode(w, head, arr, Assign(m.group(1), None, bool(m.group(3)), (), arr, start + len(name), self.i))

    # -- tokens ------------------------------------------------------------------------------------------------

    def tokens(self) -> list[_Tok]:
        out: list[_Tok] = []
        words: list[Word] = []  # of the current simple command, for the here-documents it feeds
        last_words: tuple[Word, ...] = ()
        code_line = 0
        while True:
            self.skip_blanks()
            c = self.peek()
            if not c:
                out.append(_Tok("eof", "", self.i))
                return out
            line = self.pos.at(self.i)[0]
            if c == "#":
                start = self.i
                while self.peek() and self.peek() != "\n":
                    self.i += 1
                cl, cc = self.pos.at(start)
                self.comments.append(Comment(self.orig[start + 1:self.i], cl, cc, code_line == cl))
                continue
            if c in _OPERATOR_CHARS:
                at = self.i
                op = self.read_op()
                if op == "&" and self.peek() == ">":  # &> file: a redirection, not a separator
                    self.i = at
                    self.redirection()
                    continue
                if op != "\n":
                    code_line = line
                out.append(_Tok("op", op, at))
                if words:
                    last_words = tuple(words)
                    words = []
                if op == "\n" and self.pending_heredocs:
                    self.read_heredoc_bodies(last_words)
                continue
            code_line = line
            if c in "<>" and self.peek(1) != "(":
                last = out[-1] if out else None
                if last is not None and last.kind == "word" and last.end == self.i and words \
                        and self.s[last.offset:last.end].isdigit():
                    out.pop()  # the file-descriptor number of "2>"
                    words.pop()
                self.redirection()
                continue
            start = self.i
            node = self.read_word()
            out.append(_Tok("word", "", start, node, self.i))
            words.append(node.word)
            code_line = self.pos.at(self.i)[0]

    def read_op(self) -> str:
        c = self.peek()
        self.i += 1
        if c == ";":
            if self.peek() == ";":
                self.i += 1
                if self.peek() == "&":
                    self.i += 1
                    return ";;&"
                return ";;"
            if self.peek() == "&":
                self.i += 1
                return ";&"
            return ";"
        if c in "&|" and self.peek() == c:
            self.i += 1
            return c + c
        if c == "|" and self.peek() == "&":
            self.i += 1
            return "|&"
        return c

    def redirection(self) -> None:
        """A redirection: operator, then its target word (dropped). '<<' starts a here-document."""
        c = self.peek()
        if c == "<" and self.peek(1) == "<" and self.peek(2) != "<":
            self.i += 2
            strip_tabs = self.peek() == "-"
            if strip_tabs:
                self.i += 1
            self.skip_blanks()
            if self.peek() and self.peek() not in _OPERATOR_CHARS and self.peek() not in "<>":
                target = self.read_word()
                self.pending_heredocs.append((_display(target.parts) if not any(
                    p.kind != LIT for p in target.parts) else target.word.text, strip_tabs))
            return
        if c == "&":
            self.i += 1
        while self.peek() and self.peek() in "<>":
            self.i += 1
        if self.peek() in ("&", "|"):
            self.i += 1
        self.skip_blanks()
        if self.peek() == "-" or self.peek().isdigit():
            while self.peek().isdigit() or self.peek() == "-":
                self.i += 1
            return
        if self.peek() and self.peek() not in _OPERATOR_CHARS and self.peek() not in "<>":
            self.read_word()

    def skip_blanks(self) -> None:
        while True:
            c = self.peek()
            if c in (" ", "\t", "\r"):
                self.i += 1
            elif c == "\\" and self.peek(1) == "\n":
                self.i += 2
            else:
                return

    def read_heredoc_bodies(self, feeds: tuple[Word, ...]) -> None:
        """At the start of a line after a command with '<<': skip each here-document body."""
        for delim, strip_tabs in self.pending_heredocs:
            self.heredocs.append(Heredoc(self.pos.at(self.i)[0], feeds))
            while self.i < self.end:
                end = self.s.find("\n", self.i, self.end)
                end = self.end if end < 0 else end
                body_line = self.orig[self.i:end]
                self.i = end + 1 if end < self.end else self.end
                if (body_line.lstrip("\t") if strip_tabs else body_line) == delim:
                    break
        self.pending_heredocs = []


def _assign(parts: tuple[Part, ...]) -> Assign | None:
    if not parts or parts[0].kind != LIT or parts[0].quoted:
        return None
    m = _ASSIGN.match(parts[0].text)
    if m is None:
        return None
    first = parts[0]
    rest = first.text[m.end():]
    value: list[Part] = []
    vstart = first.start + m.end()
    if rest:
        value.append(Part(LIT, rest, False, vstart, first.end, exact=first.exact))
    value.extend(parts[1:])
    vend = parts[-1].end if len(parts) > 1 else first.end
    return Assign(m.group(1), m.group(2), bool(m.group(3)), tuple(value), None, vstart, vend)


# -- the parser ---------------------------------------------------------------------------------------------------


def _reserved(tok: _Tok) -> str:
    """The reserved word a token is, or '' (only a plain unquoted word can be one)."""
    if tok.kind != "word" or tok.node is None:
        return ""
    parts = tok.node.parts
    if len(parts) == 1 and parts[0].kind == LIT and not parts[0].quoted and parts[0].text in RESERVED_WORDS:
        return parts[0].text
    return ""


class _Parser:
    """Recursive descent over the tokens, tolerant: a missing 'fi' or 'done' closes at the end; a stray closer
    is skipped. It never raises."""

    def __init__(self, toks: list[_Tok], pos: Positions, nested: bool, source: str) -> None:
        self.source = source
        self.depth = 0
        self.toks = toks
        self.k = 0
        self.pos = pos
        self.nested = nested
        self.commands: list[Command] = []

    def peek(self, n: int = 0) -> _Tok:
        j = min(self.k + n, len(self.toks) - 1)
        return self.toks[j]

    def take(self) -> _Tok:
        t = self.toks[self.k]
        if self.k < len(self.toks) - 1:
            self.k += 1
        return t

    def is_op(self, *ops: str) -> bool:
        t = self.peek()
        return t.kind == "op" and t.value in ops

    def is_word(self, *names: str) -> bool:
        return _reserved(self.peek()) in names if names else self.peek().kind == "word"

    def skip_newlines(self) -> None:
        while self.is_op("\n"):
            self.take()

    def program(self) -> Seq:
        items: list[Node] = []
        while True:
            seq = self.list_(frozenset())
            items.extend(seq.items)
            if self.peek().kind == "eof":
                return Seq(items)
            self.take()  # a stray closer

    def list_(self, stop: frozenset[str]) -> Seq:
        items: list[Node] = []
        while True:
            while self.is_op("\n", ";", "&"):
                self.take()
            t = self.peek()
            if t.kind == "eof":
                break
            if t.kind == "op" and t.value in stop:
                break
            word = _reserved(t)
            if word and word in stop:
                break
            if t.kind == "op" and t.value != "(":
                self.take()  # a stray ')', ';;', '|', '&&', '||'
                continue
            if word in _CLOSERS:
                self.take()
                continue
            before = self.k
            node = self.and_or(stop)
            if self.is_op("&"):
                self.take()
                node = Background(node)
            elif self.is_op(";"):
                self.take()
            items.append(node)
            if self.k == before:
                self.take()
        return Seq(items)

    def and_or(self, stop: frozenset[str]) -> Node:
        first = self.pipeline(stop)
        rest: list[tuple[str, Node]] = []
        while self.is_op("&&", "||"):
            op = self.take().value
            self.skip_newlines()
            rest.append((op, self.pipeline(stop)))
        return AndOr(first, rest) if rest else first

    def pipeline(self, stop: frozenset[str]) -> Node:
        bangs = 0
        while self.is_word("!"):
            self.take()
            bangs += 1
        items = [self.command(stop)]
        while self.is_op("|", "|&"):
            self.take()
            self.skip_newlines()
            items.append(self.command(stop))
        if bangs % 2 and len(items) == 1 and isinstance(items[0], (Simple, Arith, Cond)):
            items[0].negated = True
        return Pipe(items) if len(items) > 1 else items[0]

    def command(self, stop: frozenset[str]) -> Node:
        self.depth += 1
        try:
            if self.depth > MAX_TREE_DEPTH:
                raise _TooDeep
            return self._command(stop)
        finally:
            self.depth -= 1

    def flat(self) -> Seq:
        """The commands one after the other, no structure (a script nested too deeply to read as a tree)."""
        self.k = 0
        self.commands = []
        items: list[Node] = []
        while self.peek().kind != "eof":
            t = self.peek()
            if t.kind == "op" or (_reserved(t) and _reserved(t) not in ("[[", "]]")):
                self.take()
                continue
            items.append(self.simple())
        return Seq(items)

    def _command(self, stop: frozenset[str]) -> Node:
        t = self.peek()
        if t.kind == "op" and t.value == "(":
            nxt = self.peek(1)
            if nxt.kind == "op" and nxt.value == "(" and nxt.offset == t.offset + 1:
                return self.arith()
            self.take()
            sub = self.list_(stop | {")"})
            if self.is_op(")"):
                self.take()
            return Subshell(sub)
        word = _reserved(t)
        if word == "if":
            return self.if_(stop)
        if word in ("while", "until"):
            self.take()
            cond = self.list_(stop | {"do"})
            body = self.do_done(stop)
            return Loop(word, cond, body)
        if word in ("for", "select"):
            return self.for_(word, stop)
        if word == "case":
            return self.case(stop)
        if word == "{":
            self.take()
            group = self.list_(stop | {"}"})
            if self.is_word("}"):
                self.take()
            return Group(group)
        if word == "function":
            self.take()
            name_tok = self.take() if self.peek().kind == "word" else None
            if self.is_op("(") and self.peek(1).kind == "op" and self.peek(1).value == ")":
                self.take()
                self.take()
            self.skip_newlines()
            fbody = self.command(stop)
            if name_tok is None or name_tok.node is None:
                return fbody
            return FuncDef(name_tok.node.word.text, fbody, name_tok.node.word)
        if word == "[[":
            return self.cond()
        if t.kind == "word" and t.node is not None and not t.node.word.unknown and t.node.assign is None \
                and t.node.array is None and self.peek(1).kind == "op" and self.peek(1).value == "(" \
                and self.peek(2).kind == "op" and self.peek(2).value == ")":
            self.take()
            self.take()
            self.take()
            self.skip_newlines()
            return FuncDef(t.node.word.text, self.command(stop), t.node.word)
        return self.simple()

    def simple(self) -> Simple:
        words: list[WordNode] = []
        while self.peek().kind == "word":
            node = self.take().node
            assert node is not None
            words.append(node)
        if not words:
            return Simple([], None)
        end_line = max(self.pos.at(self.peek().offset)[0], words[-1].word.line)
        first = words[0].word
        cmd = Command(tuple(w.word for w in words), first.line, first.column, end_line, self.nested)
        self.commands.append(cmd)
        return Simple(words, cmd)

    def do_done(self, stop: frozenset[str]) -> Node:
        self.skip_newlines()
        if self.is_word("{"):
            return self.command(stop)
        if self.is_word("do"):
            self.take()
        body = self.list_(stop | {"done"})
        if self.is_word("done"):
            self.take()
        return body

    def if_(self, stop: frozenset[str]) -> If:
        self.take()
        arms: list[tuple[Seq, Seq]] = []
        orelse: Seq | None = None
        while True:
            cond = self.list_(stop | {"then"})
            if self.is_word("then"):
                self.take()
            body = self.list_(stop | {"elif", "else", "fi"})
            arms.append((cond, body))
            if self.is_word("elif"):
                self.take()
                continue
            break
        if self.is_word("else"):
            self.take()
            orelse = self.list_(stop | {"fi"})
        if self.is_word("fi"):
            self.take()
        return If(arms, orelse)

    def for_(self, kind: str, stop: frozenset[str]) -> Node:
        self.take()
        if self.is_op("(") and self.peek(1).kind == "op" and self.peek(1).value == "(":
            self.arith()
            while self.is_op(";", "\n"):
                self.take()
            return Loop("arith-for", None, self.do_done(stop))
        var = ""
        if self.peek().kind == "word" and self.peek().node is not None:
            node = self.take().node
            assert node is not None
            var = node.word.text
        while self.is_op("\n"):
            self.take()
        items: list[WordNode] | None = None
        if self.is_word("in"):
            self.take()
            items = []
            while self.peek().kind == "word":
                node = self.take().node
                assert node is not None
                items.append(node)
        while self.is_op(";", "\n"):
            self.take()
        body = self.do_done(stop)
        return Loop(kind, None, body, var, items)

    def case(self, stop: frozenset[str]) -> Case:
        self.take()
        subject = None
        if self.peek().kind == "word":
            subject = self.take().node
        self.skip_newlines()
        if self.is_word("in"):
            self.take()
        arms: list[tuple[list[WordNode], Seq]] = []
        arm_stop = stop | {";;", ";&", ";;&", "esac"}
        while True:
            self.skip_newlines()
            t = self.peek()
            if t.kind == "eof" or self.is_word("esac"):
                if self.is_word("esac"):
                    self.take()
                break
            word = _reserved(t)
            if (t.kind == "op" and t.value in stop and t.value != "(") or (word and word in stop):
                break
            before = self.k
            if self.is_op("("):
                self.take()
            patterns: list[WordNode] = []
            while True:
                if self.peek().kind == "word":
                    node = self.take().node
                    assert node is not None
                    patterns.append(node)
                elif self.is_op("|"):
                    self.take()
                else:
                    break
            if self.is_op(")"):
                self.take()
            body = self.list_(arm_stop)
            if self.is_op(";;", ";&", ";;&"):
                self.take()
            arms.append((patterns, body))
            if self.k == before:
                self.take()
        return Case(subject, arms)

    def arith(self) -> Arith:
        start = self.take().offset  # '('
        self.take()  # '('
        depth = 2
        end = start
        while self.peek().kind != "eof":
            t = self.take()
            if t.kind == "op" and t.value == "(":
                depth += 1
            elif t.kind == "op" and t.value == ")":
                depth -= 1
                if depth == 0:
                    end = t.offset
                    break
            elif t.kind == "op" and t.value == "\n" and depth <= 2:
                break
        return Arith(self.source[start + 2:end] if end > start + 2 else "")

    def cond(self) -> Cond:
        self.take()
        words: list[WordNode] = []
        while True:
            t = self.peek()
            if t.kind == "eof" or (t.kind == "op" and t.value == "\n"):
                break
            self.take()
            if _reserved(t) == "]]":
                break
            if t.kind == "word" and t.node is not None:
                words.append(t.node)
        if words:
            first = words[0].word
            self.commands.append(Command(tuple(w.word for w in words), first.line, first.column, first.line,
                                         self.nested))
        return Cond(words)


def scan(text: str, where: str = "<text>", line: int = 1, column: int = 1, *,
         positions: Positions | None = None, opaque: tuple[tuple[int, int], ...] = ()) -> Scan:
    """The simple commands of a script in order of position (those inside command substitutions
    included), the here-documents whose bodies were skipped, the comments, and the script's tree.

    positions: how offsets map to the file (default: the text starts at ``line``, ``column`` of its file).
    opaque: (start, end) offsets of spans that read as unknown word parts (see the module's docstring)."""
    pos = positions if positions is not None else Positions(text, line, column)
    return _scan_range(text, where, pos, 0, len(text), 0, tuple(sorted(opaque)))


def _scan_range(text: str, where: str, pos: Positions, start: int, end: int, depth: int,
                opaque: tuple[tuple[int, int], ...]) -> Scan:
    lx = _Lexer(text, where, pos, start, end, depth, opaque)
    toks = lx.tokens()
    parser = _Parser(toks, pos, depth > 0, text)
    try:
        tree = parser.program()
    except (_TooDeep, RecursionError):
        tree = parser.flat()
    cmds = parser.commands + lx.nested
    if lx.nested:
        cmds.sort(key=lambda cm: (cm.line, cm.column))
    return Scan(cmds, lx.heredocs, lx.comments, tree, pos)


def commands(text: str, where: str = "<text>") -> list[Command]:
    return scan(text, where).commands


def split_line(text: str, where: str = "<command>") -> list[Word]:
    """Words of a single command line (operators end it)."""
    for cmd in commands(text, where):
        if not cmd.nested:
            return list(cmd.words)
    return []
