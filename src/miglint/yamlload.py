"""Safe YAML loading with limits: the C loader when present, no tags that build objects, and a refusal of
documents whose aliases would expand beyond a bound (a "billion laughs" file) or that nest too deeply."""

from __future__ import annotations

import re
from typing import Any

from .errors import UserError

MAX_EXPANDED_NODES = 1_000_000
MAX_DEPTH = 200
MAX_INT_CHARS = 1000  # a longer integer is no flag mask, and printing it in a message would fail
_INT = "tag:yaml.org,2002:int"
_TAG = re.compile(r"could not determine a constructor for the tag '([^']*)'")


_LOADER: Any = None


def _loader() -> Any:
    """The safe loader (C when present), whose bad scalar values (``!!int 1.5``, ``2001-02-30``, a number of
    5,000 digits) are YAML errors at their position instead of a ValueError from deep inside the constructor."""
    global _LOADER
    if _LOADER is None:
        import yaml

        class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
            def construct_object(self, node: Any, deep: bool = False) -> Any:
                if node.tag == _INT and len(node.value) > MAX_INT_CHARS:  # 0x and 5,000 hex digits
                    raise yaml.constructor.ConstructorError(
                        None, None, f"number too long (over {MAX_INT_CHARS} characters)", node.start_mark)
                try:
                    return super().construct_object(node, deep)
                except (ValueError, OverflowError) as e:
                    text = "number too long" if "integer string conversion" in str(e) else str(e)
                    raise yaml.constructor.ConstructorError(
                        None, None, f"invalid {node.tag.rpartition(':')[2]} value {node.value!r:.40}: {text}",
                        node.start_mark) from None

        _LOADER = Loader
    return _LOADER


def load_yaml(data: bytes | str, where: str) -> Any:
    import yaml

    if isinstance(data, bytes):
        if b"\0" in data[:8192]:
            raise UserError("binary file, expected YAML text", where)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            line = data[: e.start].count(b"\n") + 1
            raise UserError(f"invalid UTF-8 (byte 0x{data[e.start]:02x})", f"{where}:{line}") from None
    else:
        text = data
    try:
        doc = yaml.load(text, Loader=_loader())  # noqa: S506 - a safe loader, see _loader()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        loc = f"{where}:{mark.line + 1}:{mark.column + 1}" if mark else where
        problem = str(e.problem or e.context)
        tag = _TAG.match(problem)
        if tag:  # !!python/object and friends: the safe loader builds plain data only
            name = tag.group(1).replace("tag:yaml.org,2002:", "!!")
            raise UserError(f"YAML tag {name!r} is not allowed: miglint reads plain data (mappings, lists, "
                            "strings, numbers, booleans) only", loc) from None
        if "maximum nesting depth" in problem:  # libyaml's own bound (1000 levels)
            raise UserError(f"YAML nested too deeply (more than {MAX_DEPTH} levels)", loc) from None
        raise UserError(f"invalid YAML: {problem}", loc) from None
    except yaml.YAMLError as e:
        raise UserError(f"invalid YAML: {e}", where) from None
    except RecursionError:
        raise UserError(f"YAML nested too deeply (more than {MAX_DEPTH} levels)", where) from None
    check_bounds(doc, where)
    return doc


def check_bounds(doc: Any, where: str) -> None:
    """Refuse a document whose tree, with aliases expanded, has too many nodes or levels."""
    sizes: dict[int, int] = {}
    # Iterative post-order walk; shared (aliased) subtrees are sized once and counted at every use.
    stack: list[tuple[Any, int, bool]] = [(doc, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        if depth > MAX_DEPTH:
            raise UserError(f"document nested too deeply (more than {MAX_DEPTH} levels)", where)
        if isinstance(node, dict):
            children = list(node.values())
        elif isinstance(node, list):
            children = node
        else:
            continue
        nid = id(node)
        if nid in sizes:
            continue
        if not done:
            stack.append((node, depth, True))
            stack.extend((c, depth + 1, False) for c in children if isinstance(c, (dict, list)) and id(c) not in sizes)
            continue
        total = 1 + len(children)
        for c in children:
            if isinstance(c, (dict, list)):
                total += sizes.get(id(c), 0)
        if total > MAX_EXPANDED_NODES:
            raise UserError(f"document too large once its aliases are expanded (over {MAX_EXPANDED_NODES} nodes)",
                            where)
        sizes[nid] = total
