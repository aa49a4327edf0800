"""A POSIX-shell word splitter that keeps positions and marks what it cannot know.

It is not a shell: it splits a script into simple commands (separated by newlines, ``;``, ``&``,
``&&``, ``||``, ``|`` and parentheses), removes quotes, keeps comments aside (for suppressions), drops
redirections, skips here-document bodies, and marks every word that contains an expansion (``$VAR``,
``${...}``, ``$(...)``, backquotes) as unknown. The commands inside ``$(...)`` and backquotes are scanned
too and returned beside the others. Nothing is ever expanded or executed.
"""

from __future__ import annotations

from typing import NamedTuple

from ..errors import UserError


class Word(NamedTuple):
    text: str  # after quote removal; expansions appear as their source text
    line: int
    column: int
    unknown: bool  # contains an expansion
    split: bool  # contains an unquoted expansion: may become several words (or none)
    # Where the word's source text (quotes included) starts and ends in the scanned text, as offsets;
    # -1 when the word was not scanned from a text. `miglint fix` edits words in place with these.
    start: int = -1
    end: int = -1


class Command(NamedTuple):
    words: tuple[Word, ...]
    line: int
    column: int
    end_line: int = 0  # the line the command ends on (continuation lines); 0 when unknown
    nested: bool = False  # inside a command substitution


class Heredoc(NamedTuple):
    line: int  # first line of the body
    command: tuple[Word, ...] = ()  # the words of the command it feeds, as far as read


class Comment(NamedTuple):
    text: str  # after the '#'
    line: int
    column: int
    trailing: bool  # code precedes it on its line


class Scan(NamedTuple):
    commands: list[Command]
    heredocs: list[Heredoc]
    comments: list[Comment]


_OPERATOR_CHARS = ";&|()\n"
_SPECIAL_PARAMS = "@*#?$!-0123456789"
MAX_NESTING = 8  # command substitutions scanned this deep; deeper ones stay opaque words


class _Scanner:
    def __init__(self, text: str, where: str, line: int = 1, col: int = 1, depth: int = 0) -> None:
        self.s = text
        self.i = 0
        self.line = line
        self.col = col
        self.where = where
        self.depth = depth
        self.pending_heredocs: list[tuple[str, bool]] = []
        self.heredocs: list[Heredoc] = []
        self.comments: list[Comment] = []
        self.nested: list[Command] = []  # commands found inside $(...) and backquotes

    def peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.s[j] if j < len(self.s) else ""

    def advance(self, n: int = 1) -> str:
        out = self.s[self.i:self.i + n]
        for ch in out:
            if ch == "\n":
                self.line += 1
                self.col = 1
            else:
                self.col += 1
        self.i += n
        return out

    def error(self, message: str, line: int, col: int) -> UserError:
        return UserError(message, f"{self.where}:{line}:{col}")

    # -- expansions -------------------------------------------------------------------------

    def read_dollar(self) -> str:
        """At '$': consume one expansion and return its source text ('' if the '$' is literal)."""
        start = self.i
        line, col = self.line, self.col
        self.advance()
        c = self.peek()
        if c == "(":
            arithmetic = self.peek(1) == "("
            body = (self.i + 1, self.line, self.col + 1)
            self.read_balanced("(", ")", line, col)
            if not arithmetic:
                self.scan_nested(self.s[body[0]:self.i - 1], body[1], body[2])
        elif c == "{":
            self.read_balanced("{", "}", line, col)
        elif c.isalpha() or c == "_":
            while self.peek().isalnum() or self.peek() == "_":
                self.advance()
        elif c and c in _SPECIAL_PARAMS:
            self.advance()
        else:
            return ""  # a lone '$' is literal
        return self.s[start:self.i]

    def read_balanced(self, open_: str, close: str, line: int, col: int) -> None:
        depth = 0
        while True:
            c = self.peek()
            if not c:
                raise self.error(f"unterminated '{'$' + open_}' expansion", line, col)
            if c == "\\":
                self.advance(2)
                continue
            if c == "'" and open_ == "(":
                self.read_single(line, col)
                continue
            if c == '"':
                self.advance()
                self.read_double_body(line, col)
                continue
            if c == "`":
                self.read_backquote(line, col)
                continue
            self.advance()
            if c == open_:
                depth += 1
            elif c == close:
                depth -= 1
                if depth == 0:
                    return

    def read_single(self, line: int, col: int) -> str:
        self.advance()
        start = self.i
        end = self.s.find("'", start)
        if end < 0:
            raise self.error("unterminated single quote", line, col)
        self.advance(end - start)
        text = self.s[start:end]
        self.advance()
        return text

    def read_backquote(self, line: int, col: int) -> str:
        start = self.i
        self.advance()
        body = (self.i, self.line, self.col)
        while True:
            c = self.peek()
            if not c:
                raise self.error("unterminated backquote", line, col)
            if c == "\\":
                self.advance(2)
                continue
            self.advance()
            if c == "`":
                self.scan_nested(self.s[body[0]:self.i - 1], body[1], body[2])
                return self.s[start:self.i]

    def scan_nested(self, text: str, line: int, col: int) -> None:
        """The commands of a command substitution, at their real positions (best effort: never an error)."""
        if self.depth >= MAX_NESTING or not text.strip():
            return
        try:
            inner = _scan(text, self.where, line, col, self.depth + 1)
        except UserError:
            return
        self.nested.extend(inner.commands)
        self.heredocs.extend(inner.heredocs)
        self.comments.extend(inner.comments)

    def read_double_body(self, line: int, col: int) -> tuple[str, bool]:
        """After the opening '"': return (text, has_expansion)."""
        out: list[str] = []
        unknown = False
        while True:
            c = self.peek()
            if not c:
                raise self.error("unterminated double quote", line, col)
            if c == '"':
                self.advance()
                return "".join(out), unknown
            if c == "\\":
                nxt = self.peek(1)
                if nxt in '$`"\\':
                    self.advance(2)
                    out.append(nxt)
                elif nxt == "\n":
                    self.advance(2)
                else:
                    self.advance()
                    out.append("\\")
                continue
            if c == "$":
                exp = self.read_dollar()
                if exp:
                    out.append(exp)
                    unknown = True
                else:
                    out.append("$")
                continue
            if c == "`":
                out.append(self.read_backquote(line, col))
                unknown = True
                continue
            out.append(self.advance())

    # -- words and operators -------------------------------------------------------------------

    def skip_blanks(self) -> None:
        while True:
            c = self.peek()
            if c in (" ", "\t", "\r"):
                self.advance()
            elif c == "\\" and self.peek(1) == "\n":
                self.advance(2)
            else:
                return

    def read_word(self) -> Word:
        line, col = self.line, self.col
        start = self.i
        out: list[str] = []
        unknown = split = False
        while True:
            c = self.peek()
            if not c or c in " \t\r" or c in _OPERATOR_CHARS or c in "<>":
                break
            if c == "\\":
                nxt = self.peek(1)
                self.advance(2)
                if nxt != "\n":
                    out.append(nxt)
                continue
            if c == "'":
                out.append(self.read_single(self.line, self.col))
                continue
            if c == '"':
                qline, qcol = self.line, self.col
                self.advance()
                text, unk = self.read_double_body(qline, qcol)
                out.append(text)
                unknown = unknown or unk
                continue
            if c == "$":
                if self.peek(1) == "'":
                    self.advance()
                    out.append(self.read_single(self.line, self.col))
                    continue
                exp = self.read_dollar()
                if exp:
                    out.append(exp)
                    unknown = split = True
                else:
                    out.append("$")
                continue
            if c == "`":
                out.append(self.read_backquote(self.line, self.col))
                unknown = split = True
                continue
            out.append(self.advance())
        return Word("".join(out), line, col, unknown, split, start, self.i)

    def read_heredoc_bodies(self, feeds: tuple[Word, ...]) -> None:
        """At the start of a line after a command with '<<': skip each here-document body."""
        for delim, strip_tabs in self.pending_heredocs:
            self.heredocs.append(Heredoc(self.line, feeds))
            while self.i < len(self.s):
                end = self.s.find("\n", self.i)
                end = len(self.s) if end < 0 else end
                body_line = self.s[self.i:end]
                self.advance(end - self.i + (1 if end < len(self.s) else 0))
                if (body_line.lstrip("\t") if strip_tabs else body_line) == delim:
                    break
        self.pending_heredocs = []


def scan(text: str, where: str = "<text>", line: int = 1, column: int = 1) -> Scan:
    """The simple commands of a script in order of position (those inside command substitutions
    included), the here-documents whose bodies were skipped, and the comments."""
    return _scan(text, where, line, column, 0)


def _scan(text: str, where: str, line: int, column: int, depth: int) -> Scan:
    sc = _Scanner(text, where, line, column, depth)
    out: list[Command] = []
    words: list[Word] = []
    code_line = 0  # the last line that had a word or an operator on it
    last_words: tuple[Word, ...] = ()  # the previous command, for the here-documents it started

    def flush(end_line: int) -> None:
        nonlocal last_words
        if words:
            out.append(Command(tuple(words), words[0].line, words[0].column, end_line, depth > 0))
            last_words = tuple(words)
            words.clear()

    while True:
        sc.skip_blanks()
        c = sc.peek()
        if not c:
            flush(sc.line)
            cmds = out + sc.nested
            if sc.nested:
                cmds.sort(key=lambda cm: (cm.line, cm.column))
            return Scan(cmds, sc.heredocs, sc.comments)
        if c == "#":
            # After a blank or at the start of a line, '#' starts a comment.
            cline, ccol = sc.line, sc.col
            start = sc.i + 1
            while sc.peek() and sc.peek() != "\n":
                sc.advance()
            sc.comments.append(Comment(sc.s[start:sc.i], cline, ccol, code_line == cline))
            continue
        if c in _OPERATOR_CHARS:
            op_line = sc.line
            if c != "\n":
                code_line = op_line
            sc.advance()
            if c in "&|" and sc.peek() == c:
                sc.advance()
            pending = tuple(words)
            flush(op_line)
            if c == "\n" and sc.pending_heredocs:
                sc.read_heredoc_bodies(pending or last_words)
            continue
        code_line = sc.line
        if c in "<>":
            # A redirection: operator, then its target word (dropped). '<<' starts a here-document.
            if c == "<" and sc.peek(1) == "<" and sc.peek(2) != "<":
                sc.advance(2)
                strip_tabs = sc.peek() == "-"
                if strip_tabs:
                    sc.advance()
                sc.skip_blanks()
                target = sc.read_word()
                sc.pending_heredocs.append((target.text, strip_tabs))
                continue
            if words and words[-1].text.isdigit() and not words[-1].unknown and \
                    (words[-1].line, words[-1].column + len(words[-1].text)) == (sc.line, sc.col):
                words.pop()  # the file-descriptor number of "2>"
            while sc.peek() and sc.peek() in "<>":
                sc.advance()
            if sc.peek() in ("&", "|"):
                sc.advance()
            sc.skip_blanks()
            if sc.peek() == "-" or sc.peek().isdigit():
                while sc.peek().isdigit() or sc.peek() == "-":
                    sc.advance()
                continue
            if sc.peek() and sc.peek() not in _OPERATOR_CHARS:
                sc.read_word()
            continue
        words.append(sc.read_word())
        code_line = sc.line


def commands(text: str, where: str = "<text>") -> list[Command]:
    return scan(text, where).commands


def split_line(text: str, where: str = "<command>") -> list[Word]:
    """Words of a single command line (operators end it)."""
    for cmd in commands(text, where):
        if not cmd.nested:
            return list(cmd.words)
    return []
