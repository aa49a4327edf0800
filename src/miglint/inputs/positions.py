"""Where a key or value of a YAML or JSON document stands: line and column (1-based) of the node at a path.

Used only when something is wrong (an unknown key, a bad value): the plan and configuration readers parse
with the fast loaders, and look up the position of what they refuse here, in the text they read.
"""

from __future__ import annotations

import json
import re
from typing import Any

Path = tuple[str | int, ...]
_WS = re.compile(r"[ \t\n\r]*")
_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\.)*"', re.S)
_SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null")


def _line_col(text: str, offset: int, base_line: int = 1) -> tuple[int, int]:
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    return base_line + line, offset - start + 1


def yaml_position(text: str, path: Path, part: str = "value", occurrence: int = 1) -> tuple[int, int] | None:
    """The position of the key (``part="key"``) or value at ``path`` in a YAML text; of the nearest node on the
    way when the path goes further than the document. ``occurrence``: of a key its mapping repeats, which one."""
    import yaml  # here: only an error's position needs the YAML composer

    try:
        node: Any = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return None
    if node is None:
        return None
    mark = node.start_mark
    for i, step in enumerate(path):
        last = i == len(path) - 1
        if isinstance(node, yaml.MappingNode):
            hits = [(k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(step)]
            hit = hits[min(occurrence, len(hits)) - 1 if last else 0] if hits else None
            if hit is None:
                break
            key, node = hit
            mark = key.start_mark if last and part == "key" else node.start_mark
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
            node = node.value[step]
            mark = node.start_mark
        else:
            break
    return mark.line + 1, mark.column + 1


def json_position(text: str, path: Path, part: str = "value", base_line: int = 1,
                  occurrence: int = 1) -> tuple[int, int] | None:
    """The position of the key or value at ``path`` in a JSON text (or one JSON Lines line, ``base_line``
    its line number); of the nearest node on the way when the path goes further than the document.
    ``occurrence``: of a key its object repeats, which one."""
    try:
        found = _find(text, _WS.match(text, 0).end(), path, part, occurrence)  # type: ignore[union-attr]
    except (ValueError, IndexError):
        return None
    return None if found is None else _line_col(text, found, base_line)


def _skip(text: str, i: int) -> int:
    return _WS.match(text, i).end()  # type: ignore[union-attr]


def _value_end(text: str, i: int) -> int:
    """The end of the JSON value that starts at ``i``."""
    c = text[i]
    if c == '"':
        m = _STRING.match(text, i)
        if m is None:
            raise ValueError("string")
        return m.end()
    if c in "[{":
        close = "]" if c == "[" else "}"
        i = _skip(text, i + 1)
        if text[i] == close:
            return i + 1
        while True:
            if c == "{":
                i = _skip(text, _value_end(text, i))  # the key
                if text[i] != ":":
                    raise ValueError(":")
                i = _skip(text, i + 1)
            i = _skip(text, _value_end(text, i))
            if text[i] == close:
                return i + 1
            if text[i] != ",":
                raise ValueError(",")
            i = _skip(text, i + 1)
    m = _SCALAR.match(text, i)
    if m is None or m.end() == i:
        raise ValueError("value")
    return m.end()


def _find(text: str, i: int, path: Path, part: str, occurrence: int = 1) -> int | None:
    """The offset of the node at ``path`` under the value starting at ``i`` (or of the nearest one)."""
    if not path:
        return i
    step, rest = path[0], path[1:]
    c = text[i]
    if c == "{" and isinstance(step, str):
        j = _skip(text, i + 1)
        while text[j] != "}":
            key_end = _value_end(text, j)
            key = json.loads(text[j:key_end])
            k = _skip(text, key_end)
            v = _skip(text, k + 1)
            if key == step:
                if not rest:
                    occurrence -= 1
                    if occurrence <= 0:
                        return j if part == "key" else v
                else:
                    return _find(text, v, rest, part, occurrence)
            j = _skip(text, _value_end(text, v))
            if text[j] == ",":
                j = _skip(text, j + 1)
        return i
    if c == "[" and isinstance(step, int):
        j = _skip(text, i + 1)
        n = 0
        while text[j] != "]":
            if n == step:
                return _find(text, j, rest, part, occurrence)
            j = _skip(text, _value_end(text, j))
            if text[j] == ",":
                j = _skip(text, j + 1)
            n += 1
        return i
    return i


_TOML_HEADER = re.compile(r"^[ \t]*\[[ \t]*([^\[\]]+?)[ \t]*\][ \t]*(?:#.*)?$")
_TOML_KEY = re.compile(r"[ \t]*((?:\"[^\"\n]*\"|'[^'\n]*'|[A-Za-z0-9_-]+)(?:[ \t]*\.[ \t]*"
                       r"(?:\"[^\"\n]*\"|'[^'\n]*'|[A-Za-z0-9_-]+))*)[ \t]*=[ \t]*")
_TOML_ITEM = re.compile(r"\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'|[^,\]\}\s#]+")


def _toml_dotted(key: str) -> tuple[str, ...]:
    return tuple(p.strip().strip("\"'") for p in re.findall(r"\"[^\"]*\"|'[^']*'|[^.]+", key))


def toml_position(text: str, path: Path, part: str = "value", table: str = "") -> tuple[int, int] | None:
    """The position of the key or value at ``path`` under ``[table]`` in a TOML text (``table`` "" is the
    document itself, "tool.miglint" a pyproject.toml's table); of the nearest node on the way. The path may
    reach into a sub-table (``[tool.miglint.severity]``), a dotted key or an inline table or array."""
    base = _toml_dotted(table) if table else ()
    want = tuple(str(p) for p in path)
    current: tuple[str, ...] = ()
    best: tuple[int, tuple[int, int]] | None = None  # (how much of the path it matched, position)
    offset = 0
    for line in text.splitlines(keepends=True):
        m = _TOML_HEADER.match(line)
        if m:
            current = _toml_dotted(m.group(1))
            rel = current[len(base):] if current[:len(base)] == base else None
            if rel and want[:len(rel)] == rel and (best is None or len(rel) > best[0]):
                col = line.index("[") + 1
                best = (len(rel), _line_col(text, offset + col - 1))
        elif current[:len(base)] == base:
            m = _TOML_KEY.match(line)
            if m:
                full = current[len(base):] + _toml_dotted(m.group(1))
                n = len(full)
                if want[:n] == full and (best is None or n > best[0]):
                    if n == len(want):
                        at = m.start(1) if part == "key" else m.end()
                        best = (n, _line_col(text, offset + at))
                    else:
                        deeper = _toml_inside(text, offset + m.end(), want[n:], part)
                        best = (n, _line_col(text, deeper if deeper is not None else offset + m.start(1)))
        offset += len(line)
    return None if best is None else best[1]


def _toml_inside(text: str, i: int, rest: tuple[str, ...], part: str) -> int | None:
    """The offset of ``rest`` inside the inline table or array that starts at ``i``."""
    if i >= len(text) or text[i] not in "[{":
        return None
    inline = text[i] == "{"
    step, n, j = rest[0], 0, i + 1
    while j < len(text):
        j = _WS.match(text, j).end()  # type: ignore[union-attr]
        if j < len(text) and text[j] == "#":
            j = text.find("\n", j) + 1 or len(text)
            continue
        if j >= len(text) or text[j] in "]}":
            return None
        if inline:
            m = _TOML_KEY.match(text, j)
            if m is None:
                return None
            if _toml_dotted(m.group(1)) == (step,):
                return (m.start(1) if part == "key" else m.end()) if len(rest) == 1 else \
                    _toml_inside(text, m.end(), rest[1:], part)
            j = m.end()
        elif str(n) == step:
            return j if len(rest) == 1 else _toml_inside(text, j, rest[1:], part)
        if text[j] in "[{":
            j = _toml_close(text, j)
        else:
            m = _TOML_ITEM.match(text, j)
            j = m.end() if m else j + 1
        j = _WS.match(text, j).end()  # type: ignore[union-attr]
        if j < len(text) and text[j] == ",":
            j += 1
        n += 1
    return None


def _toml_close(text: str, i: int) -> int:
    """Just past the bracket that closes the one at ``i`` (strings skipped)."""
    depth = 0
    while i < len(text):
        c = text[i]
        if c in "\"'":
            m = _TOML_ITEM.match(text, i)
            i = m.end() if m else i + 1
            continue
        if c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return i
