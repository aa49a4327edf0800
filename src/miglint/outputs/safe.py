"""Text from the inputs made safe to show: no character that a terminal obeys or XML forbids.

An id, a file name or a value quoted in a message comes from the input, and may hold control characters (an
escape sequence that recolours or clears a terminal, a NUL) or a lone surrogate (a JSON plan may write
``"\\ud800"``). Shown as they are, they act on the reader's terminal or make a JUnit report that no XML parser
reads; miglint shows them as the escapes a person can read and type: ``\\x1b``, ``\\ud800``.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls, lone surrogates, and the two non-characters XML forbids.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _escape(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every unsafe character written as its escape (the same text when there is none)."""
    return _UNSAFE.sub(_escape, text)


def printable_around(text: str, keep: re.Pattern[str]) -> str:
    """Like :func:`printable`, leaving alone the parts ``keep`` matches (the reporter's own colour codes)."""
    if not _UNSAFE.search(text):
        return text
    out, last = [], 0
    for m in keep.finditer(text):
        out.append(printable(text[last:m.start()]))
        out.append(m.group())
        last = m.end()
    out.append(printable(text[last:]))
    return "".join(out)
