"""JSON Schemas shipped with the policies, and validation with messages a policy author can act on.

jsonschema (and PyYAML, for positions) are imported when a document is validated, not at the top: policies
come from a validated cache on a warm start, and jsonschema's import alone costs more than a whole check."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from ..errors import UserError
from .files import builtin_dir

SCHEMAS = ("policy", "vocabulary", "plan", "result", "result-1")


@lru_cache(maxsize=None)
def schema(name: str) -> dict[str, Any]:
    path = builtin_dir() / "schema" / f"{name}.schema.json"
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def errors(doc: Any, name: str) -> list[tuple[list[str | int], str]]:
    """Every schema error as (path into the document, message)."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema(name))
    out = []
    for err in sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path]):
        out.append((list(err.absolute_path), _describe(err)))
    return out


def _describe(err: Any) -> str:
    path = "/".join(str(p) for p in err.absolute_path) or "(top level)"
    if err.validator == "additionalProperties":
        return f"{path}: {err.message.replace('Additional properties are not allowed', 'unknown key')}"
    if err.validator == "required":
        return f"{path}: missing required key {err.message.split(' is a required')[0]}"
    if err.validator == "enum":
        return f"{path}: {err.instance!r} is not one of {', '.join(map(str, err.validator_value))}"
    if err.validator == "pattern":
        return f"{path}: {err.instance!r} does not match the expected form {err.validator_value}"
    alternatives = err.validator_value if err.validator in ("oneOf", "anyOf") else None
    if alternatives and all(set(a) == {"required"} for a in alternatives):
        keys = [k for a in alternatives for k in a["required"]]
        return f"{path}: needs one of the keys {', '.join(map(repr, keys))}"
    if err.validator in ("oneOf", "anyOf") and err.context:
        best = min(err.context, key=lambda e: len(list(e.absolute_path)))
        return f"{path}: {best.message}"
    return f"{path}: {err.message}"


def validate(doc: Any, name: str, where: str, text: str | None = None) -> None:
    errs = errors(doc, name)
    if not errs:
        return
    path, message = errs[0]
    loc = where
    if text is None:
        try:
            with open(where, encoding="utf-8") as fh:
                text = fh.read()
        except OSError:
            text = None
    if text is not None:
        pos = locate(text, path)
        if pos:
            loc = f"{where}:{pos[0]}:{pos[1]}"
    more = f" (and {len(errs) - 1} more)" if len(errs) > 1 else ""
    raise UserError(f"{name} schema: {message}{more}", loc)


def locate(text: str, path: list[str | int]) -> tuple[int, int] | None:
    """Line and column (1-based) of the node at ``path`` in a YAML text, or of its nearest ancestor."""
    import yaml

    try:
        node = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return None
    best = node
    for step in path:
        if node is None:
            break
        nxt = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == str(step):
                    nxt = v if not isinstance(v, yaml.ScalarNode) else k
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            nxt = node.value[step]
        if nxt is None:
            break
        node = best = nxt
    if best is None:
        return None
    return best.start_mark.line + 1, best.start_mark.column + 1


_FACT_TYPES: dict[str, dict[str, Any]] = {
    "integer": {"type": "integer"},
    "boolean": {"type": "boolean"},
    "string": {"type": "string"},
    "list": {"type": ["array", "string"], "items": {"type": "string"}},
    "version": {"type": "string", "pattern": r"^\s*\d{1,4}(\.\d{1,4}){0,2}\s*$"},
}


def fact_properties(facts: Any, prefix: str = "") -> dict[str, Any]:
    """The plan schema's ``facts`` (``prefix`` "": every fact a plan may give) or ``host`` (``prefix``
    "host.": the host facts without it) properties, from the vocabulary's facts: what editors complete."""
    out: dict[str, Any] = {}
    for f in facts.values():
        if f.internal or "plan" not in f.sources or not f.name.startswith(prefix):
            continue
        out[f.name[len(prefix):]] = {**_FACT_TYPES[f.type], "description": f.meaning}
    return out
