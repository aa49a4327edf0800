"""Where reports go: stdout, or a file written atomically (a temporary file renamed into place)."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from .errors import UserError


@contextmanager
def open_output(path: Path | None) -> Iterator[TextIO]:
    if path is None or str(path) == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    directory = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise UserError("is a directory, expected a file to write the report to", str(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    except OSError as e:
        raise UserError(f"cannot write report: {e.strerror}", str(path)) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            yield out
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def replace_file(path: Path, text: str) -> None:
    """Rewrite ``path`` atomically: a temporary file in the same directory, the old file's permissions,
    then os.replace. A symbolic link keeps pointing at the rewritten file."""
    real = Path(os.path.realpath(path))
    try:
        mode = real.stat().st_mode & 0o7777
        fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.", dir=real.parent)
    except OSError as e:
        raise UserError(f"cannot rewrite: {e.strerror}", str(path)) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, real)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
