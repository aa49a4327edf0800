"""Value tests of conditions on one parameter, virsh option or fact (``equals``, ``in``, ``gt``, URI parts,
``any_item``, ...): compiled once into functions, and put into words for the documentation.

A test is ``fn(value, bindings, ctx) -> bool``; ``bindings`` collects what a message may show (the URI part
tested, the list item at fault). The ``ctx`` is the evaluation context of miglint.policy.conditions (only
``in_param``/``in_fact`` look at it). Nothing here knows a parameter or a fact by name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from ..errors import UserError
from .uri import parse as parse_uri
from .uri import rewrite as rewrite_uri

Bindings = dict[str, Any]
TestFn = Callable[[Any, Bindings, Any], bool]
URI_PARTS = ("scheme", "host", "port", "path", "query", "fragment", "user")
COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "gt": lambda v, a: bool(v > a), "ge": lambda v, a: bool(v >= a),
    "lt": lambda v, a: bool(v < a), "le": lambda v, a: bool(v <= a),
}
VERSION_COMPARE = {"version_gt": "gt", "version_ge": "ge", "version_lt": "lt", "version_le": "le"}
_DOTTED = re.compile(r"^\s*v?(\d+(?:\.\d+)*)")
BEFORE = "_items_before"  # the items before the one an item test looks at (any_item, first_item)
# Keys of a param/option/fact condition that are not tests.
SUBJECT_KEYS = ("key", "name", "present", "if_missing")


class ValueTest(NamedTuple):
    """One compiled test: its key and argument as the policy wrote them, and the function."""

    key: str
    arg: Any
    fn: TestFn


def uri_part(value: str, part: str) -> Any:
    """A part of a URI as libvirt's virURIParse splits it (miglint.policy.uri); None when absent, or when the
    text is no URI libvirt can parse."""
    u = parse_uri(value)
    if u is None:
        return None
    if part == "host":
        return u.server
    return getattr(u, part)


def dotted_version(value: Any) -> tuple[int, ...] | None:
    """A dotted version ("7.2", "9.1.0", "10.0.0-rc1" -> its numbers), padded with zeros so that "9.1" equals
    "9.1.0"; None for anything else (a value that is not a version fails every version test)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    m = _DOTTED.match(str(value))
    if m is None:
        return None
    parts = [int(x) for x in m.group(1).split(".")]
    return tuple(parts + [0] * (4 - len(parts))) if len(parts) < 4 else tuple(parts)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _items(v: Any) -> tuple[Any, ...]:
    return v if isinstance(v, tuple) else (v,)


class _Before:
    """The items before the one an item test looks at (``repeated``, ``earlier``), for a walk through a list in
    order: what earlier items are, and which pass a test, is learnt once as the walk goes on, so a long list costs
    a time in proportion to its length (a list of 40,000 methods is no reason to stop), not to its square."""

    __slots__ = ("items", "i", "_seen", "_seen_upto", "_passed")

    def __init__(self, items: tuple[Any, ...]) -> None:
        self.items, self.i = items, 0
        self._seen: set[Any] = set()
        self._seen_upto = 0
        self._passed: dict[int, tuple[int, bool]] = {}  # id of a test -> (items looked at, one of them passed)

    def __contains__(self, v: Any) -> bool:
        try:
            while self._seen_upto < self.i:
                self._seen.add(self.items[self._seen_upto])
                self._seen_upto += 1
            return v in self._seen
        except TypeError:  # an item that cannot be hashed: look through them
            return v in self.items[:self.i]

    def any_passes(self, key: int, test: Callable[[Any], bool]) -> bool:
        upto, found = self._passed.get(key, (0, False))
        while not found and upto < self.i:
            found = test(self.items[upto])
            upto += 1
        self._passed[key] = (max(upto, self.i) if found else upto, found)
        return found


def _before(b: Bindings) -> Any:
    return b.get(BEFORE, ())


def compile_tests(spec: Mapping[str, Any], where: str) -> tuple[ValueTest, ...]:
    """The tests of a condition mapping (its subject keys left out), in the policy's order."""
    return tuple(ValueTest(key, arg, _compile(key, arg, where)) for key, arg in spec.items() if key not in SUBJECT_KEYS)


def passes(tests: tuple[ValueTest, ...], value: Any, bindings: Bindings, ctx: Any) -> bool:
    for t in tests:  # (a loop: most lists hold one test, and a generator costs more than the test)
        if not t.fn(value, bindings, ctx):
            return False
    return True


def _compile(key: str, arg: Any, where: str) -> TestFn:  # noqa: C901 - one branch per test, like the docs
    if key == "equals":
        return lambda v, b, c: bool(v == arg)
    if key in ("in", "not_in"):
        members = frozenset(arg)
        if key == "in":
            return lambda v, b, c: v in members
        return lambda v, b, c: v is not None and v not in members
    if key in COMPARE:
        compare = COMPARE[key]
        return lambda v, b, c: _is_number(v) and compare(v, arg)
    if key in VERSION_COMPARE:
        vcompare, bound = COMPARE[VERSION_COMPARE[key]], dotted_version(str(arg))
        if bound is None:
            raise UserError(f"{where}: {key} takes a dotted version such as \"9.1\", got {arg!r}")
        return lambda v, b, c: (dv := dotted_version(v)) is not None and vcompare(dv, bound)
    if key == "power_of_two":
        want_power = bool(arg)
        return lambda v, b, c: (isinstance(v, int) and not isinstance(v, bool)
                                and (v > 0 and v & (v - 1) == 0) == want_power)
    if key == "empty":
        want = bool(arg)
        return lambda v, b, c: (v is None or v == "" or v == ()) == want
    if key in ("starts_with", "not_starts_with", "ends_with", "contains"):
        needles = tuple([arg] if isinstance(arg, str) else arg)
        if key == "starts_with":
            return lambda v, b, c: isinstance(v, str) and v.startswith(needles)
        if key == "not_starts_with":
            return lambda v, b, c: isinstance(v, str) and not v.startswith(needles)
        if key == "ends_with":
            return lambda v, b, c: isinstance(v, str) and v.endswith(needles)
        return lambda v, b, c: isinstance(v, str) and any(x in v for x in needles)
    if key in URI_PARTS:
        inner = compile_tests(arg, where)

        def part_test(v: Any, b: Bindings, c: Any) -> bool:
            pv = uri_part(v, key) if isinstance(v, str) else None
            if passes(inner, pv, b, c):
                b[key] = "" if pv is None else pv
                return True
            return False
        return part_test
    if key == "uri":
        return _uri_test(arg, where)
    if key == "any_item":
        inner = compile_tests(arg, where)

        def any_item(v: Any, b: Bindings, c: Any) -> bool:
            items = _items(v)
            before = _Before(items)
            b[BEFORE] = before
            for i, item in enumerate(items):
                before.i = i
                if passes(inner, item, b, c):
                    b.pop(BEFORE, None)
                    b["item"] = item
                    return True
            b.pop(BEFORE, None)
            return False
        return any_item
    if key == "first_item":
        # libvirt checks a list item by item, each item against several checks in turn: the first item that
        # fails any check of ``among`` decides; this test holds when that item fails the rule's own tests.
        if not isinstance(arg, Mapping) or not isinstance(arg.get("among"), list):
            raise UserError(f"{where}: first_item takes its own tests and 'among', a list of per-item checks")
        own = compile_tests({k: a for k, a in arg.items() if k != "among"}, where)
        among = [compile_tests(alt, where) for alt in arg["among"]]

        def first_item(v: Any, b: Bindings, c: Any) -> bool:
            items = _items(v)
            before = _Before(items)
            for i, item in enumerate(items):
                before.i = i
                if any(passes(alt, item, {BEFORE: before}, c) for alt in among):
                    if passes(own, item, {BEFORE: before}, c):
                        b["item"] = item
                        return True
                    return False
            return False
        return first_item
    if key == "repeated":
        # inside any_item / first_item: the item already came earlier in the list
        want_repeated = bool(arg)
        return lambda v, b, c: (v in _before(b)) == want_repeated
    if key == "earlier":
        # inside any_item / first_item: an earlier item passes these tests
        inner = compile_tests(arg, where)
        inner_id = id(inner)

        def earlier(v: Any, b: Bindings, c: Any) -> bool:
            before = _before(b)
            if isinstance(before, _Before):
                return before.any_passes(inner_id, lambda x: passes(inner, x, {}, c))
            return any(passes(inner, x, {}, c) for x in before)
        return earlier
    if key == "duplicate_items":
        def duplicate(v: Any, b: Bindings, c: Any) -> bool:
            seen: set[Any] = set()
            for item in _items(v):
                if item in seen:
                    b["item"] = item
                    return True
                seen.add(item)
            return False
        return duplicate
    if key in ("in_param", "not_in_param", "in_fact", "not_in_fact"):
        ref = str(arg)
        negate = key.startswith("not_")
        from_param = key.endswith("param")

        def in_ref(v: Any, b: Bindings, c: Any) -> bool:
            other = c.params.get(ref) if from_param else c.facts.get(ref)
            members = other if isinstance(other, tuple) else (() if other is None else (other,))
            return (v in members) != negate
        return in_ref
    if key == "count":
        inner = compile_tests(arg, where)
        return lambda v, b, c: passes(inner, len(_items(v)), b, c)
    if key == "lower":
        # text a program reads without regard to case (libvirt lower-cases a URI's transport): the value in lower
        # case passes these tests
        inner = compile_tests(arg, where)
        return lambda v, b, c: isinstance(v, str) and passes(inner, v.lower(), b, c)
    if key == "mod":
        # integer arithmetic a program does with the value: its remainder by ``by`` (never negative), e.g. what is
        # left of a number truncated to 8 bits, or whether a product overflows 64 bits
        if not isinstance(arg, Mapping) or not isinstance(arg.get("by"), int) or arg["by"] <= 0:
            raise UserError(f"{where}: mod takes 'by', a positive integer, and tests on the remainder")
        by, inner = arg["by"], compile_tests({k: a for k, a in arg.items() if k != "by"}, where)
        return lambda v, b, c: isinstance(v, int) and not isinstance(v, bool) and passes(inner, v % by, b, c)
    raise UserError(f"{where}: unknown value test {key!r}")


def _uri_test(arg: Any, where: str) -> TestFn:
    """uri: {rewrite: {prefix, unless, to}, parses: bool, <URI part tests>} -- the text as the driver hands it to
    virURIParse (after its own rewrite of a prefix, when given): whether it parses, and tests on its parts. The
    text parsed is bound as ``uri``."""
    if not isinstance(arg, Mapping):
        raise UserError(f"{where}: uri takes a mapping of tests (parses, scheme, host, ...) and an optional rewrite")
    fix = arg.get("rewrite")
    if fix is not None and (not isinstance(fix, Mapping) or not all(isinstance(fix.get(k), str) for k in ("prefix", "to"))):
        raise UserError(f"{where}: uri rewrite takes 'prefix', 'to' and optionally 'unless' (strings)")
    parses = arg.get("parses")
    if parses is not None and not isinstance(parses, bool):
        raise UserError(f"{where}: uri parses takes true or false")
    parts = [(k, compile_tests(a, where)) for k, a in arg.items() if k not in ("rewrite", "parses")]
    for k, _ in parts:
        if k not in URI_PARTS:
            raise UserError(f"{where}: uri tests a URI's parts ({', '.join(URI_PARTS)}) or 'parses', not {k!r}")

    def test(v: Any, b: Bindings, c: Any) -> bool:
        if not isinstance(v, str):
            return False
        text = rewrite_uri(v, fix["prefix"], fix.get("unless", ""), fix["to"]) if fix is not None else v
        u = parse_uri(text)
        if parses is not None and (u is not None) != parses:
            return False
        got: Bindings = {}
        for k, inner in parts:
            pv = None if u is None else (u.server if k == "host" else getattr(u, k))
            if not passes(inner, pv, got, c):
                return False
            got[k] = "" if pv is None else pv
        b.update(got)
        b["uri"] = text
        return True
    return test


# -- in words ---------------------------------------------------------------------------------------------


def join_words(items: list[str], word: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


_CMP_WORDS = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}


def tests_text(tests: Mapping[str, Any]) -> str:
    """A condition's tests (and ``present``) in words, in the policy's order."""
    out = []
    for t, v in tests.items():
        if t == "present":
            out.append("is given" if v else "is not given")
        elif t == "if_missing":
            out.append("(when not given: " + ("it holds)" if v else "it does not hold)"))
        elif t == "equals":
            out.append(f"is {v!r}" if isinstance(v, str) else f"is {v}")
        elif t == "in":
            out.append("is one of " + ", ".join(map(str, v)))
        elif t == "not_in":
            out.append("is not " + join_words([str(x) for x in v], "or"))
        elif t in _CMP_WORDS:
            out.append(_CMP_WORDS[t] + f" {v}")
        elif t in VERSION_COMPARE:
            out.append("is version " + _CMP_WORDS[VERSION_COMPARE[t]] + f" {v}")
        elif t == "empty":
            out.append("is empty" if v else "is not empty")
        elif t in ("starts_with", "not_starts_with", "ends_with", "contains"):
            vals = [v] if isinstance(v, str) else list(v)
            verb = {"starts_with": "starts with", "not_starts_with": "does not start with",
                    "ends_with": "ends with", "contains": "contains"}[t]
            out.append(f"{verb} " + join_words([repr(x) for x in vals], "or"))
        elif t in URI_PARTS:
            out.append(f"has a {t} that " + tests_text(v))
        elif t == "uri":
            out.append(_uri_text(v))
        elif t == "any_item":
            out.append("has an item that " + tests_text(v))
        elif t == "first_item":
            own = {k: x for k, x in v.items() if k != "among"}
            checks = "; ".join(tests_text(alt) for alt in v.get("among", []))
            out.append(f"has as its first refused item (libvirt's checks per item, in order: {checks}) one that "
                       + tests_text(own))
        elif t == "repeated":
            out.append("came earlier in the list" if v else "is the first of its kind")
        elif t == "earlier":
            out.append("follows an item that " + tests_text(v))
        elif t == "duplicate_items":
            out.append("repeats an item")
        elif t == "count":
            out.append("has a count that " + tests_text(v))
        elif t == "mod":
            out.append(f"modulo {v['by']} " + tests_text({k: x for k, x in v.items() if k != "by"}))
        elif t == "lower":
            out.append("in lower case " + tests_text(v))
        elif t in ("in_param", "not_in_param", "in_fact", "not_in_fact"):
            out.append(("is not" if t.startswith("not") else "is") + f" in {v}")
        else:
            out.append(f"{t} {v}")
    return " and ".join(out)


def _uri_text(v: Mapping[str, Any]) -> str:
    fix = v.get("rewrite")
    what = "as a URI"
    if fix:
        unless = f" (unless it starts with {fix['unless']!r})" if fix.get("unless") else ""
        what = f"with a leading {fix['prefix']!r}{unless} read as {fix['to']!r}, as a URI" if fix["prefix"] else \
            f"with {fix['to']!r} put before it{unless}, as a URI"
    words = []
    if "parses" in v:
        words.append("parses" if v["parses"] else "does not parse")
    parts = {k: x for k, x in v.items() if k not in ("rewrite", "parses")}
    if parts:
        words.append(tests_text(parts))
    return what + " " + " and ".join(words)
