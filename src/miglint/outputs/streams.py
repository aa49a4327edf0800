"""Where reports go: stdout, or a file written atomically (a temporary file renamed into place)."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from ..errors import UserError, decode_text, did_you_mean


def parse_formats(formats: list[str], output: Path | None, known: tuple[str, ...]) -> list[tuple[str, Path | None]]:
    """``--format NAME`` or ``NAME=FILE`` (repeatable) and ``--output`` -> (format, file or None for stdout).

    ``--output`` is where the formats without a file of their own go; only one format may go there."""
    out: list[tuple[str, Path | None]] = []
    for spec in formats or ["text"]:
        name, eq, file = spec.partition("=")
        name = name.strip()
        if name not in known:
            raise UserError(f"unknown format {name!r}{did_you_mean(name, known)}; use one of {', '.join(known)}")
        if eq and not file:
            raise UserError(f"--format {name}= needs a file name after '='")
        out.append((name, Path(file) if eq else output))
    plain = [n for n, f in out if f is None or f == output]
    if len(plain) > 1:
        where = "standard output" if output is None else str(output)
        raise UserError(f"formats {', '.join(plain)} would all write to {where}: give the others a file "
                        f"with --format NAME=FILE")
    files = [str(f) for _, f in out if f is not None]
    dup = {f for f in files if files.count(f) > 1}
    if dup:
        raise UserError(f"two formats would write to the same file: {sorted(dup)[0]}")
    return out


# A lone surrogate read from a JSON escape ("\ud800") has no UTF-8 form: a report writes it as that escape,
# which JSON reads back as the same string (and text shows as typed), instead of stopping the run.
UNENCODABLE = "backslashreplace"


def reports_to_stdout() -> None:
    """Standard output as reports are written to a file (UNENCODABLE), for a run that prints them."""
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:
        try:
            reconfigure(errors=UNENCODABLE)
        except (ValueError, OSError):  # a stream that cannot change: as it is
            pass


@contextmanager
def open_output(path: Path | None) -> Iterator[TextIO]:
    """Where a report goes: stdout; a regular file, written atomically (a temporary file beside it renamed into
    place, through a symbolic link to the file it points at, with the old file's permissions); or a device, a pipe
    or a terminal (``/dev/null``, ``/dev/stdout``, a FIFO), written to as it is: there is no file to replace."""
    if path is None or str(path) == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    try:
        st: os.stat_result | None = os.stat(path)
    except FileNotFoundError:
        st = None
    except NotADirectoryError:
        raise UserError("cannot write report: a part of the path is a file, not a directory", str(path)) from None
    except OSError as e:
        raise UserError(f"cannot write report: {e.strerror}", str(path)) from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise UserError("is a directory, expected a file to write the report to", str(path))
    if st is not None and not stat.S_ISREG(st.st_mode):
        try:
            stream = open(path, "w", encoding="utf-8", errors=UNENCODABLE)
        except OSError as e:
            raise UserError(f"cannot write report: {e.strerror}", str(path)) from None
        with stream:
            yield stream
        return
    real = Path(os.path.realpath(path))  # a link keeps pointing at the report
    directory = real.parent
    try:
        directory.mkdir(parents=True, exist_ok=True)  # a CI's reports/ directory need not exist yet
        import tempfile  # here: only a run that writes a file pays for it, not every start-up

        fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.", dir=directory)
    except (FileExistsError, NotADirectoryError):
        raise UserError("cannot write report: a part of the path is a file, not a directory", str(path)) from None
    except OSError as e:
        raise UserError(f"cannot write report: {e.strerror}", str(path)) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors=UNENCODABLE, buffering=1 << 20) as out:
            yield out
        os.chmod(tmp, 0o644 if st is None else st.st_mode & 0o7777)
        os.replace(tmp, real)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def file_identity(path: str | Path) -> tuple[int, int] | None:
    """The file a path names (device, inode), or None when there is none to look at."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def report_files(paths: Sequence[Path | None]) -> set[tuple[int, int]]:
    """The regular files (device, inode) that reports would replace: no input may be one of them."""
    out = set()
    for p in paths:
        if p is not None and str(p) != "-" and os.path.isfile(p):
            got = file_identity(p)
            if got is not None:
                out.add(got)
    return out


TEMP_SUFFIX = ".miglint.tmp"


def replace_file(path: Path, text: str) -> None:
    """Write ``path`` atomically: a temporary file in the same directory, flushed to disk, with the old
    file's permissions (and owner, when root), then os.replace. Killed at any moment, the file is either
    old or new; what may be left is the temporary file, a dot-file named ``.NAME.XXXXXXXX.miglint.tmp``
    that no lint pattern matches. A symbolic link keeps pointing at the rewritten file."""
    real = Path(os.path.realpath(path))
    try:
        try:
            st: os.stat_result | None = real.stat()
        except FileNotFoundError:  # a new file (a page `miglint docs` adds)
            st = None
        import tempfile

        fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.", suffix=TEMP_SUFFIX, dir=real.parent)
    except OSError as e:
        raise UserError(f"cannot rewrite: {e.strerror}", str(path)) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644 if st is None else st.st_mode & 0o7777)
        if st is not None and os.geteuid() == 0 and (st.st_uid, st.st_gid) != (0, 0):
            os.chown(tmp, st.st_uid, st.st_gid)
        os.replace(tmp, real)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def read_for_fix(item: Path, name: str, in_place: bool, max_bytes: int) -> tuple[bytes, str]:
    """The bytes and text of a file to fix, or a UserError saying why not (as `check` would)."""
    try:
        if name == "<stdin>":
            data = sys.stdin.buffer.read(max_bytes + 1)
        else:
            if in_place and not stat.S_ISREG(item.stat().st_mode):
                raise UserError("not a regular file: cannot rewrite it in place", name)
            with open(item, "rb") as fh:
                data = fh.read(max_bytes + 1)
    except OSError as e:
        raise UserError(f"cannot read: {e.strerror}", name) from None
    if len(data) > max_bytes:
        raise UserError(f"file larger than {max_bytes} bytes (max-file-size)", name)
    if b"\0" in data[:8192]:
        raise UserError("binary file, expected a shell script or a plan", name)
    return data, decode_text(data, name)
