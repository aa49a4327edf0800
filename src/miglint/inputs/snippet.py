"""Shell snippets taken out of other files (Markdown runbooks, Makefiles, Ansible tasks), with the way back to
the file's own lines and columns.

A reader gives a list of ``Snippet``: the shell text it extracted (prompts stripped, make variables
substituted, ...), where that text's characters came from (``segments``: runs copied from the file as they
are), spans of it that are unknown whatever they contain (``opaque``: ``<placeholder>``, Jinja, an unknown make
expansion) and which shell session it runs in (``session``: snippets of one session share their variables,
in order). ``Snippet.positions()`` is what ``miglint.inputs.shell.scan`` takes to give every word, comment and
error the file's line and column, and file offsets (``Word.start``/``end``) only where the text is the file's
own, so an edit there is exact.
"""

from __future__ import annotations

import bisect
from typing import NamedTuple

from .shell import Positions, Word


class Segment(NamedTuple):
    """``length`` characters of the snippet from ``offset`` on are the file's from ``file_offset`` on, which is at
    ``line``, ``column``. When not ``copied``, they stand for the file's text there without being it (a make
    variable's value in place of ``$(VAR)``): they are all at that position and cannot be edited."""

    offset: int
    length: int
    file_offset: int
    line: int
    column: int
    copied: bool = True


class Snippet(NamedTuple):
    text: str
    line: int  # where the text's first character is in the file
    column: int
    segments: tuple[Segment, ...] = ()
    opaque: tuple[tuple[int, int], ...] = ()  # (start, end) offsets in text
    session: int = 0  # snippets with the same session share a shell, in order
    label: str = ""  # what it is, for messages ("```bash block", "recipe of 'migrate'", "task 'Move web'")
    # Words already split by their runner (Ansible's command module, argv lists): no shell reads them.
    argv: tuple[Word, ...] | None = None

    def positions(self) -> Positions:
        segs = self.segments
        if len(segs) == 1 and segs[0] == Segment(0, segs[0].length, 0, 1, 1) and segs[0].length >= len(self.text):
            return Positions(self.text)  # the file itself
        return SnippetPositions(self)

    def position(self, offset: int) -> tuple[int, int]:
        """The file's (line, column) of an offset in the text."""
        return self.positions().at(offset)


def whole(text: str) -> Snippet:
    """A file that is a shell script from its first character."""
    return Snippet(text, 1, 1, (Segment(0, len(text), 0, 1, 1),))


class SnippetPositions(Positions):
    def __init__(self, snippet: Snippet) -> None:
        super().__init__(snippet.text, snippet.line, snippet.column)
        self.snippet = snippet
        self.starts = [s.offset for s in snippet.segments]

    def _segment(self, offset: int, end_ok: bool = True) -> Segment | None:
        k = bisect.bisect_right(self.starts, offset) - 1
        if k < 0:
            return None
        seg = self.snippet.segments[k]
        if offset < seg.offset + seg.length or (end_ok and offset == seg.offset + seg.length):
            return seg
        return None

    def at(self, offset: int) -> tuple[int, int]:
        seg = self._segment(offset)
        if seg is None:
            k = bisect.bisect_right(self.starts, offset) - 1
            if k < 0:
                return self.snippet.line, self.snippet.column
            prev = self.snippet.segments[k]
            seg, offset = prev, prev.offset + prev.length
        if not seg.copied:
            return seg.line, seg.column
        text = self.snippet.text
        nl = text.rfind("\n", seg.offset, offset)
        if nl < 0:
            return seg.line, seg.column + offset - seg.offset
        return seg.line + text.count("\n", seg.offset, offset), offset - nl

    def span(self, start: int, end: int) -> tuple[int, int]:
        if start < 0 or end < start:
            return -1, -1
        seg = self._segment(start, end_ok=False) if end > start else self._segment(start)
        if seg is None or end > seg.offset + seg.length or not seg.copied:
            return -1, -1
        base = seg.file_offset - seg.offset
        return start + base, end + base

    def contiguous(self, start: int, end: int) -> bool:
        seg = self._segment(start, end_ok=False) if end > start else self._segment(start)
        return seg is not None and seg.copied and end <= seg.offset + seg.length and \
            "\n" not in self.snippet.text[start:end]


class Builder:
    """Assembles a snippet's text piece by piece, keeping the segments."""

    def __init__(self, line_starts: list[int]) -> None:
        self.line_starts = line_starts  # offsets in the file where each line starts (0-based lines)
        self.parts: list[str] = []
        self.size = 0
        self.segments: list[Segment] = []
        self.opaque: list[tuple[int, int]] = []
        self.first: tuple[int, int] | None = None

    def where(self, file_offset: int) -> tuple[int, int]:
        k = bisect.bisect_right(self.line_starts, file_offset) - 1
        return k + 1, file_offset - self.line_starts[k] + 1

    def copy(self, text: str, file_offset: int) -> None:
        """Text that is the file's own from file_offset on."""
        if not text:
            return
        line, col = self.where(file_offset)
        if self.first is None:
            self.first = (line, col)
        self.segments.append(Segment(self.size, len(text), file_offset, line, col))
        self.parts.append(text)
        self.size += len(text)

    def anchor(self, text: str, file_offset: int, opaque: bool = False) -> None:
        """Text that stands for the file's at file_offset without being it (a substituted value)."""
        if not text:
            return
        line, col = self.where(file_offset)
        if self.first is None:
            self.first = (line, col)
        self.segments.append(Segment(self.size, len(text), file_offset, line, col, False))
        self.add(text, opaque)

    def add(self, text: str, opaque: bool = False) -> None:
        """Text that is not the file's (a newline joining lines, a substituted value)."""
        if opaque and text:
            self.opaque.append((self.size, self.size + len(text)))
        self.parts.append(text)
        self.size += len(text)

    def build(self, session: int = 0, label: str = "", default: tuple[int, int] = (1, 1)) -> Snippet:
        line, col = self.first if self.first is not None else default
        return Snippet("".join(self.parts), line, col, tuple(self.segments), tuple(self.opaque), session, label)


def line_starts(text: str) -> list[int]:
    out = [0]
    out.extend(i + 1 for i, ch in enumerate(text) if ch == "\n")
    return out
