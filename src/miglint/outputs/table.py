"""Tables as text for a terminal (cells wrapped to a width) and as Markdown. Strings in, string out."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

MIN_COLUMN = 8


def _wrap(cell: str, width: int) -> list[str]:
    lines: list[str] = []
    for para in cell.split("\n"):
        lines.extend(textwrap.wrap(para, width, break_long_words=True, break_on_hyphens=False) or [""])
    return lines


def text_table(headers: Sequence[str], rows: Sequence[Sequence[str]], width: int = 120, gap: int = 2) -> str:
    """Columns fitted into ``width`` characters: the widest columns give way first; cells wrap."""
    n = len(headers)
    natural = [max([len(headers[i])] + [max((len(x) for x in str(r[i]).split("\n")), default=0) for r in rows])
               for i in range(n)]
    widths = list(natural)
    budget = max(width - gap * (n - 1), n * MIN_COLUMN)
    while sum(widths) > budget:
        i = max(range(n), key=lambda k: widths[k])
        if widths[i] <= MIN_COLUMN:
            break
        widths[i] -= 1
    out: list[str] = []

    def emit(cells: Sequence[str]) -> None:
        wrapped = [_wrap(str(c), widths[i]) for i, c in enumerate(cells)]
        for k in range(max(len(w) for w in wrapped)):
            line = (" " * gap).join((w[k] if k < len(w) else "").ljust(widths[i]) for i, w in enumerate(wrapped))
            out.append(line.rstrip())

    emit(headers)
    out.append((" " * gap).join("-" * w for w in widths))
    for r in rows:
        emit(r)
    return "\n".join(out) + "\n"


def md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]], escape: bool = True) -> str:
    def cell(x: str) -> str:
        return md_escape(str(x)) if escape else str(x).replace("\n", "<br>")

    lines = ["| " + " | ".join(cell(h) for h in headers) + " |",
             "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in r) + " |" for r in rows]
    return "\n".join(lines) + "\n"
