"""Safe YAML loading with limits: the C loader when present, no tags that build objects, and a refusal of
documents whose aliases would expand beyond a bound (a "billion laughs" file) or that nest too deeply.

PyYAML is imported where a document is read, not at the top: a `check` with a warm policy cache reads no
YAML, and importing PyYAML is a measurable share of its start-up (tests/unit/test_lazy_imports.py)."""

from __future__ import annotations

import re
from typing import Any

from .errors import UserError, decode_text

MAX_EXPANDED_NODES = 1_000_000  # beyond the document's own size (see check_bounds)
MAX_DEPTH = 200
MAX_EXPANDED_CHARS = 64 << 20  # text in scalars, counted at every use: a 1 MB string used 100 times is refused
MAX_INT_CHARS = 1000  # a longer integer is no flag mask, and printing it in a message would fail
_INT = "tag:yaml.org,2002:int"
_TAG = re.compile(r"could not determine a constructor for the tag '([^']*)'")


_LOADER: Any = None


def _loader() -> Any:
    """The safe loader (C when present), whose bad scalar values (``!!int 1.5``, ``2001-02-30``, ``!!bool y``, a
    number of 5,000 digits) are YAML errors at their position instead of an exception from inside PyYAML."""
    global _LOADER
    if _LOADER is None:
        import yaml

        class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
            pass

        for tag in ("bool", "int", "float", "timestamp"):
            name = f"tag:yaml.org,2002:{tag}"
            Loader.add_constructor(name, _guarded(Loader.yaml_constructors[name]))
        Loader.add_constructor("tag:yaml.org,2002:map", _unique_keys(Loader.yaml_constructors[
            "tag:yaml.org,2002:map"]))
        _LOADER = Loader
    return _LOADER


def _guarded(construct: Any) -> Any:
    import yaml

    def guarded(loader: Any, node: Any) -> Any:
        if len(node.value) > MAX_INT_CHARS and node.tag == _INT:  # 0x and 5,000 hex digits
            raise yaml.constructor.ConstructorError(
                None, None, f"number too long (over {MAX_INT_CHARS} characters)", node.start_mark)
        try:
            return construct(loader, node)
        except (ValueError, OverflowError, LookupError, AttributeError, TypeError) as e:
            # !!int 1.5, !!timestamp 2001-02-30 (ValueError); !!bool y (KeyError); !!timestamp x (AttributeError);
            # !!int with no digits (IndexError)
            detail = (": number too long" if "integer string conversion" in str(e) else
                      f": {e}" if isinstance(e, (ValueError, OverflowError)) else "")
            raise yaml.constructor.ConstructorError(
                None, None, f"invalid {node.tag.rpartition(':')[2]} value {node.value!r:.40}{detail}",
                node.start_mark) from None
    return guarded


# What a lenient load found: the mappings that repeat a key, by id (the mapping itself kept, so the id stays its own)
Repeats = dict[int, tuple[dict[Any, Any], Any]]


def _unique_keys(construct: Any) -> Any:
    """A mapping whose own keys repeat one: PyYAML would keep the last value and lose the first without a word.
    Refused at the second key, or, when the load is lenient (``loader.repeats``), the mapping is recorded there
    for its reader to say (a plan: at the entry it is in, the other entries read). Keys a merge (``<<: *base``)
    brings are not the mapping's own: its keys win."""
    import yaml

    def unique(loader: Any, node: Any) -> Any:
        seen: dict[Any, Any] = {}
        repeated: tuple[Any, Any] | None = None
        if not isinstance(node, yaml.MappingNode):  # "!!map [1]": PyYAML says what is wrong with it
            yield from construct(loader, node)
            return
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = loader.construct_object(key_node, deep=True)
            try:
                first = seen.setdefault(key, key_node)
            except TypeError:  # a key that is a mapping or a list: PyYAML refuses it itself
                continue
            if first is not key_node:
                repeated = key, key_node
                break
        repeats = getattr(loader, "repeats", None)
        if repeated is not None and repeats is None:
            key, key_node = repeated
            first = seen[key]
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {shown_key(key)}: it is also at line {first.start_mark.line + 1}, column "
                f"{first.start_mark.column + 1} (a mapping's keys must be unique)", key_node.start_mark)
        parts = construct(loader, node)  # a generator: the empty mapping, then filled
        data = next(parts)
        if repeated is not None and repeats is not None:
            repeats[id(data)] = (data, repeated[0])
        yield data
        for _ in parts:
            pass
    return unique


def shown_key(key: Any) -> str:
    return repr(key)[:80] if isinstance(key, str) else str(key)[:80]


def load_yaml(data: bytes | str, where: str, repeats: Repeats | None = None) -> Any:
    """The document of a YAML text, plain data only. A mapping that repeats a key is an error at the second key,
    unless ``repeats`` is given: then such mappings are recorded there (see _unique_keys)."""
    import yaml

    if isinstance(data, bytes):
        if b"\0" in data[:8192]:
            raise UserError("binary file, expected YAML text", where)
        text = decode_text(data, where)
    else:
        text = data
    try:
        loader = _loader()(text)  # a safe loader, see _loader(); what yaml.load does, with the table of repeats
        loader.repeats = repeats
        try:
            doc = loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        loc = f"{where}:{mark.line + 1}:{mark.column + 1}" if mark else where
        problem = str(e.problem or e.context)
        tag = _TAG.match(problem)
        if tag:  # !!python/object and friends: the safe loader builds plain data only
            name = tag.group(1).replace("tag:yaml.org,2002:", "!!")
            raise UserError(f"YAML tag {name!r} is not allowed: miglint reads plain data (mappings, lists, "
                            "strings, numbers, booleans) only", loc) from None
        if problem.startswith("duplicate key"):
            raise UserError(problem, loc) from None
        if "maximum nesting depth" in problem:  # libyaml's own bound (1000 levels)
            raise UserError(f"YAML nested too deeply (more than {MAX_DEPTH} levels)", loc) from None
        raise UserError(f"invalid YAML: {problem}", loc) from None
    except yaml.YAMLError as e:
        raise UserError(f"invalid YAML: {e}", where) from None
    except RecursionError:
        raise UserError(f"YAML nested too deeply (more than {MAX_DEPTH} levels)", where) from None
    check_bounds(doc, where, len(text))
    return doc


def check_bounds(doc: Any, where: str, text_size: int = 0) -> None:
    """Refuse a document that, with its aliases expanded, has too many nodes, too much text or too many
    levels, or that contains itself (``&a [*a]``). Shared (aliased) subtrees are measured once and counted
    at every use, so a "billion laughs" is refused after looking at each distinct node once.

    Without aliases a document has no more nodes or characters than its text (``text_size``): the bounds
    are that plus MAX_EXPANDED_NODES and MAX_EXPANDED_CHARS, so a large plain file is never refused here."""
    if not isinstance(doc, (dict, list)):
        return
    max_nodes, max_chars = MAX_EXPANDED_NODES + text_size, MAX_EXPANDED_CHARS + text_size
    done: dict[int, tuple[int, int, int]] = {}  # id -> (nodes, characters, height) of the expanded subtree
    open_: set[int] = set()  # being measured: meeting one again is a cycle
    stack: list[tuple[Any, bool]] = [(doc, False)]
    while stack:
        node, ready = stack.pop()
        nid = id(node)
        if nid in done:
            continue
        children = list(node.values()) if isinstance(node, dict) else node
        if not ready:
            if nid in open_:
                raise UserError("document contains itself (a recursive alias)", where)
            open_.add(nid)
            stack.append((node, True))
            for c in children:
                if isinstance(c, (dict, list)) and id(c) not in done:
                    if id(c) in open_:
                        raise UserError("document contains itself (a recursive alias)", where)
                    stack.append((c, False))
            continue
        nodes, chars, height = 1 + len(children), 0, 1
        for c in children:
            if isinstance(c, str):
                chars += len(c)
            elif isinstance(c, (dict, list)):
                n, ch, h = done[id(c)]
                nodes, chars, height = nodes + n, chars + ch, max(height, h + 1)
        if height > MAX_DEPTH:
            raise UserError(f"document nested too deeply (more than {MAX_DEPTH} levels)", where)
        if nodes > max_nodes:
            raise UserError(f"document too large once its aliases are expanded (over {max_nodes} nodes)", where)
        if chars > max_chars:
            raise UserError(f"document too large once its aliases are expanded (over {max_chars} characters "
                            "of text)", where)
        open_.discard(nid)
        done[nid] = (nodes, chars, height)


def check_depth(doc: Any, where: str) -> None:
    """Refuse a tree (a JSON document: no aliases, so no sharing and no cycles) deeper than MAX_DEPTH; one
    quick pass, as its size is already bounded by its text."""
    stack: list[tuple[Any, int]] = [(doc, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth = pop()
        t = type(node)
        if t is not dict and t is not list:
            continue
        if depth > MAX_DEPTH:
            raise UserError(f"document nested too deeply (more than {MAX_DEPTH} levels)", where)
        for c in (node.values() if t is dict else node):
            if type(c) is dict or type(c) is list:
                push((c, depth + 1))
