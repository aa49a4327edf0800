"""libvirt versions ("9.0.0") and version ranges (">=9.4.0,<11.3.0")."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from .errors import UserError, shown

Version = tuple[int, int, int]

_VERSION_RE = re.compile(r"^\s*(\d{1,4})(?:\.(\d{1,4}))?(?:\.(\d{1,4}))?\s*$")
_SPEC_RE = re.compile(r"^\s*(>=|<=|==|>|<)\s*(\S+)\s*$")


def check_version_text(value: Any, what: str = "libvirt_version") -> str | None:
    """A version as a plan or the API gives it: a string. A number is refused: YAML reads 9.10 as 9.1."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise UserError(f"{what} is a number ({value}), not a version: write it as a string in quotes, such as "
                        "\"9.10.0\" (a number loses its trailing zeros: 9.10 reads as 9.1)")
    raise UserError(f"{what} must be a string such as \"9.0.0\", got {shown(value)}")


@lru_cache(maxsize=256)
def parse_version(text: str) -> Version:
    """Parse "9", "9.0" or "9.0.0" into a tuple; anything else is a UserError. (A handful of versions recur:
    their tuples are remembered.)"""
    m = _VERSION_RE.match(str(text))
    if not m:
        raise UserError(f"invalid libvirt version {text!r:.80}: expected MAJOR.MINOR.MICRO, e.g. 9.0.0")
    return (int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0))


def format_version(v: Version) -> str:
    return "%d.%d.%d" % v


class VersionRange:
    """A conjunction of comparisons, e.g. ">=9.4.0,<11.3.0". The empty range holds for every version."""

    __slots__ = ("text", "_clauses")

    def __init__(self, text: str) -> None:
        self.text = text
        clauses: list[tuple[str, Version]] = []
        for part in text.split(","):
            if not part.strip():
                continue
            m = _SPEC_RE.match(part)
            if not m:
                raise UserError(f"invalid version range {text!r}: use comparisons like '>=9.4.0,<11.3.0'")
            clauses.append((m.group(1), parse_version(m.group(2))))
        self._clauses = tuple(clauses)

    def __contains__(self, v: Version) -> bool:
        for op, bound in self._clauses:
            if op == ">=" and not v >= bound:
                return False
            if op == ">" and not v > bound:
                return False
            if op == "<" and not v < bound:
                return False
            if op == "<=" and not v <= bound:
                return False
            if op == "==" and not v == bound:
                return False
        return True

    def __repr__(self) -> str:
        return f"VersionRange({self.text!r})"
