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


def yaml_position(text: str, path: Path, part: str = "value") -> tuple[int, int] | None:
    """The position of the key (``part="key"``) or value at ``path`` in a YAML text; of the nearest node on the
    way when the path goes further than the document."""
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
            hit = next(((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(step)),
                       None)
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


def json_position(text: str, path: Path, part: str = "value", base_line: int = 1) -> tuple[int, int] | None:
    """The position of the key or value at ``path`` in a JSON text (or one JSON Lines line, ``base_line``
    its line number); of the nearest node on the way when the path goes further than the document."""
    try:
        found = _find(text, _WS.match(text, 0).end(), path, part)  # type: ignore[union-attr]
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


def _find(text: str, i: int, path: Path, part: str) -> int | None:
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
                    return j if part == "key" else v
                return _find(text, v, rest, part)
            j = _skip(text, _value_end(text, v))
            if text[j] == ",":
                j = _skip(text, j + 1)
        return i
    if c == "[" and isinstance(step, int):
        j = _skip(text, i + 1)
        n = 0
        while text[j] != "]":
            if n == step:
                return _find(text, j, rest, part)
            j = _skip(text, _value_end(text, j))
            if text[j] == ",":
                j = _skip(text, j + 1)
            n += 1
        return i
    return i
