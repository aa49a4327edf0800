"""Where policy files are and how they are read: the packaged set, extra directories, size limits."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..errors import UserError, path_problem


def builtin_dir() -> Path:
    """The packaged policies (inside the wheel), or the repository's top-level policies/ when run from source."""
    here = Path(__file__).resolve().parent.parent  # the miglint package
    packaged = here / "policies"
    if (packaged / "vocabulary.yaml").is_file():
        return packaged
    return here.parent.parent / "policies"


def policy_files(dirs: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    for d in dirs:
        if not d.exists():
            raise UserError(policy_path_problem(str(d)))
        if d.is_file():
            files.append(d)
            continue
        if not d.is_dir():
            raise UserError("policy path: not a regular file or directory", str(d))
        try:
            files.extend(sorted(p for p in d.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()))
        except OSError as e:
            raise UserError(f"cannot read policy directory: {e.strerror}", str(d)) from None
    return files


MAX_POLICY_BYTES = 16 << 20


def policy_path_problem(path: str) -> str:
    problem = path_problem(path)
    return f"policy directory {path!r} " + ("does not exist" if problem.startswith("no such") else f"cannot be read: {problem}")


def read_policy(path: Path) -> bytes:
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_POLICY_BYTES + 1)
    except OSError as e:
        raise UserError(f"cannot read policy file: {e.strerror}", str(path)) from None
    if len(data) > MAX_POLICY_BYTES:
        raise UserError(f"policy file larger than {MAX_POLICY_BYTES} bytes", str(path))
    return data
