"""The one exception type a user can cause: caught by the CLI, printed as one line, exit code 2."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable

Path = tuple[str | int, ...]


class UserError(Exception):
    """Bad input, bad usage or a bad policy file. ``where`` is "file:line" or "file:line:col" when known.

    A structured input (a plan entry, a configuration) says ``at``: the path of the key or value at fault inside
    it (``("params", "bandwith")``), and ``part``: "key" or "value"; its reader turns that into a position."""

    def __init__(self, message: str, where: str | None = None, at: Path | None = None, part: str = "value") -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.at = at
        self.part = part

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class At:
    """``with At("params", key):`` -- an error raised inside without a path of its own is at this path."""

    def __init__(self, *path: str | int, part: str = "value") -> None:
        self.path, self.part = path, part

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, error: BaseException | None, tb: object) -> None:
        if isinstance(error, UserError) and error.at is None and error.where is None:
            error.at, error.part = self.path, self.part


def shown(value: object, limit: int = 80) -> str:
    """A value in a message as a plan or configuration writes it, not as Python prints it: null, true, 2024-01-01,
    'text' (quoted), [a, b], {key: value}; at most ``limit`` characters."""
    text = _spelt(value, limit)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _spelt(value: object, budget: int) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value != value:
        return ".nan"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return ".inf" if value > 0 else "-.inf"
    if isinstance(value, (str, int, float)):
        return repr(value) if not isinstance(value, str) or len(value) <= budget else repr(value[:budget])
    if hasattr(value, "isoformat"):  # a YAML date or timestamp
        return str(value.isoformat())
    parts: list[str] = []
    used = 0
    items = value.items() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else None
    if items is None:
        return repr(value)
    for item in items:
        part = f"{_spelt(item[0], budget)}: {_spelt(item[1], budget)}" if isinstance(value, dict) else \
            _spelt(item, budget)
        parts.append(part)
        used += len(part) + 2
        if used > budget:
            break  # the rest is cut off anyway
    open_, close = ("{", "}") if isinstance(value, dict) else ("[", "]")
    return open_ + ", ".join(parts) + close


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ' (did you mean X?)' for the closest choice, or ''."""
    pool = list(choices)
    import difflib  # here: only a mistake pays for it, not every start-up

    close = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(word.lower(), [c.lower() for c in pool], n=1, cutoff=0.6)
        close = [c for c in pool if c.lower() in close][:1]
    return f" (did you mean {close[0]!r}?)" if close else ""


def decode_text(data: bytes, where: str, what: str = "") -> str:
    """UTF-8 bytes as text; a UserError at the line of the first bad byte ("invalid UTF-8 (byte 0xff)")."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        message = f"{what} is not UTF-8" if what else "invalid UTF-8"
        raise UserError(f"{message} (byte 0x{data[e.start]:02x})", f"{where}:{line}") from None


def path_problem(path: str) -> str:
    """Why ``path`` cannot be read as a file or walked as a directory, in words (it is neither)."""
    try:
        os.stat(path)
    except OSError as e:
        if e.errno == errno.ENOENT:
            return "broken symbolic link" if os.path.islink(path) else "no such file or directory"
        if e.errno == errno.ELOOP:
            return "symbolic link loop (too many levels of symbolic links)"
        if e.errno == errno.ENOTDIR:
            return "a part of the path is a file, not a directory"
        return f"cannot read: {e.strerror or e}"
    return "not a regular file (a pipe, socket or device)"
