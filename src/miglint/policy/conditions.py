"""Conditions of policy rules, compiled from their YAML form into small node objects.

Every node answers ``test(ctx)`` with Kleene's three values: True, False, or None (unknown: the answer
turns on a fact the request does not carry). When a rule fires, ``bind(ctx, out)`` collects what the
message and the reporters need: variables for the message template and the subjects at fault
("flag:LIVE", "param:migrate_uri", "option:timeout"). Nothing here knows a hypervisor or a flag: the
names come from the policy files, the meaning of each key from this module's docstrings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from ..errors import UserError
from ..model import UNKNOWN, ParamValue, Request
from ..version import Version, VersionRange, format_version
from .vocabulary import Vocabulary

Truth = bool | None
Bindings = dict[str, Any]


class Ctx:
    """What one evaluation looks at; built once per request by the evaluator."""

    __slots__ = ("request", "version", "flags", "maybe_flags", "params", "maybe_params", "options",
                 "open_options", "facts", "state", "mode", "driver", "unknowns", "findings")

    def __init__(self, request: Request, version: Version, driver: "DriverView", maybe_flags: int,
                 maybe_params: frozenset[str]) -> None:
        self.request = request
        self.version = version
        self.flags = request.flags
        self.maybe_flags = maybe_flags
        self.params: dict[str, ParamValue] = dict(request.params)
        self.maybe_params = maybe_params
        self.options = dict(request.options) if request.options is not None else None
        self.open_options = request.open_options
        self.facts = dict(request.facts)
        # What the request itself says about where it goes, for rules that look at URIs.
        if request.desturi is not None:
            self.facts["request.desturi"] = request.desturi
        if request.domain is not None:
            self.facts["request.domain"] = request.domain
        if request.connect_uri is not None:
            self.facts["request.connect_uri"] = request.connect_uri
        self.state = request.state
        self.mode = request.mode
        self.driver = driver
        self.unknowns: list[str] = []
        # The findings of the rules checked so far, in check order (the evaluator appends to it).
        self.findings: list[Any] = []


class DriverView:
    """The driver-level answers conditions may ask for, at one libvirt version."""

    __slots__ = ("accepted_flags", "unsure_flags", "accepted_params", "unsure_params", "features")

    def __init__(self, accepted_flags: int, unsure_flags: int, accepted_params: frozenset[str],
                 unsure_params: frozenset[str], features: Mapping[str, bool | None]) -> None:
        self.accepted_flags = accepted_flags
        self.unsure_flags = unsure_flags
        self.accepted_params = accepted_params
        self.unsure_params = unsure_params
        self.features = features


def and3(values: Iterable[Truth]) -> Truth:
    result: Truth = True
    for v in values:
        if v is False:
            return False
        if v is None:
            result = None
    return result


class Node:
    __slots__ = ()

    def test(self, ctx: Ctx) -> Truth:  # pragma: no cover - abstract
        raise NotImplementedError

    def bind(self, ctx: Ctx, out: Bindings) -> None:
        return None



class All(Node):
    __slots__ = ("children",)

    def __init__(self, children: Sequence[Node]) -> None:
        self.children = tuple(children)

    def test(self, ctx: Ctx) -> Truth:
        result: Truth = True
        for c in self.children:
            v = c.test(ctx)
            if v is False:
                return False
            if v is None:
                result = None
        return result

    def bind(self, ctx: Ctx, out: Bindings) -> None:
        for c in self.children:
            c.bind(ctx, out)



class Any_(Node):
    __slots__ = ("children",)

    def __init__(self, children: Sequence[Node]) -> None:
        self.children = tuple(children)

    def test(self, ctx: Ctx) -> Truth:
        result: Truth = False
        for c in self.children:
            v = c.test(ctx)
            if v is True:
                return True
            if v is None:
                result = None
        return result

    def bind(self, ctx: Ctx, out: Bindings) -> None:
        for c in self.children:
            if c.test(ctx) is not False:
                c.bind(ctx, out)
                return



class Not(Node):
    __slots__ = ("child",)

    def __init__(self, child: Node) -> None:
        self.child = child

    def test(self, ctx: Ctx) -> Truth:
        v = self.child.test(ctx)
        return None if v is None else not v



def _set_spec(spec: Any, what: str) -> tuple[list[str], list[str], list[str]]:
    """{all: [...], any: [...], none: [...]} or a plain list (= all)."""
    if isinstance(spec, list):
        return [str(x) for x in spec], [], []
    if not isinstance(spec, dict):
        raise UserError(f"'{what}' takes a list or a mapping with all/any/none")
    return ([str(x) for x in spec.get("all", [])], [str(x) for x in spec.get("any", [])],
            [str(x) for x in spec.get("none", [])])


class Flags(Node):
    """flags: {all: [...], any: [...], none: [...]} -- which flags are set."""

    __slots__ = ("all_mask", "any_mask", "none_mask", "names")

    def __init__(self, all_mask: int, any_mask: int, none_mask: int, names: dict[int, str]) -> None:
        self.all_mask, self.any_mask, self.none_mask, self.names = all_mask, any_mask, none_mask, names

    def test(self, ctx: Ctx) -> Truth:
        f, maybe = ctx.flags, ctx.maybe_flags
        result: Truth = True
        if self.all_mask:
            missing = self.all_mask & ~f
            if missing:
                if missing & ~maybe:
                    return False
                result = None
        if self.any_mask and not f & self.any_mask:
            if not self.any_mask & maybe:
                return False
            result = None
        if self.none_mask:
            if f & self.none_mask:
                return False
            if self.none_mask & maybe:
                result = None
        if result is None:
            ctx.unknowns.append("options")
        return result

    def bind(self, ctx: Ctx, out: Bindings) -> None:
        present = ctx.flags & (self.all_mask | self.any_mask)
        for bit, name in self.names.items():
            if present & bit:
                out.setdefault("subjects", []).append("flag:" + name)
                out.setdefault("flag", name)


class FlagsOutside(Node):
    """flags_outside: accepted | [names] -- flags the driver does not accept (virCheckFlags)."""

    __slots__ = ("mask", "names")

    def __init__(self, mask: int | None, names: dict[int, str]) -> None:
        self.mask = mask  # None: the driver's accepted set at the request's version
        self.names = names

    def _split(self, ctx: Ctx) -> tuple[int, int]:
        if self.mask is None:
            accepted, unsure = ctx.driver.accepted_flags, ctx.driver.unsure_flags
        else:
            accepted, unsure = self.mask, 0
        extra = ctx.flags & ~accepted
        return extra & ~unsure, extra & unsure

    def test(self, ctx: Ctx) -> Truth:
        sure, unsure = self._split(ctx)
        if sure:
            return True
        if unsure:
            ctx.unknowns.append("libvirt_version")
            return None
        accepted = ctx.driver.accepted_flags if self.mask is None else self.mask
        if ctx.maybe_flags & ~accepted:
            ctx.unknowns.append("options")
            return None
        return False

    def bind(self, ctx: Ctx, out: Bindings) -> None:
        sure, unsure = self._split(ctx)
        bits = sure or unsure
        out["bits"] = f"0x{bits:x}"
        for bit, name in self.names.items():
            if bits & bit:
                out.setdefault("subjects", []).append("flag:" + name)
                out.setdefault("matched", []).append("flag:" + name)
        unnamed = bits & ~sum(self.names)
        if unnamed:
            out.setdefault("subjects", []).append(f"flag:0x{unnamed:x}")


class Params(Node):
    """params: {all: [...], any: [...], none: [...]} -- which typed parameters are given (by key)."""

    __slots__ = ("all_", "any_", "none_")

    def __init__(self, all_: list[str], any_: list[str], none_: list[str]) -> None:
        self.all_, self.any_, self.none_ = tuple(all_), tuple(any_), tuple(none_)

    def test(self, ctx: Ctx) -> Truth:
        p, maybe = ctx.params, ctx.maybe_params
        result: Truth = True
        for k in self.all_:
            if k not in p:
                if k not in maybe:
                    return False
                result = None
        if self.any_ and not any(k in p for k in self.any_):
            if not any(k in maybe for k in self.any_):
                return False
            result = None
        for k in self.none_:
            if k in p:
                return False
            if k in maybe:
                result = None
        if result is None:
            ctx.unknowns.append("options")
        return result

    def bind(self, ctx: Ctx, out: Bindings) -> None:
        for k in self.all_ + self.any_:
            if k in ctx.params:
                out.setdefault("subjects", []).append("param:" + k)
                out.setdefault("param", k)


class ParamsOutside(Node):
    """params_outside: accepted | [keys] -- parameters the driver does not accept (virTypedParamsValidate)."""

    __slots__ = ("keys",)

    def __init__(self, keys: frozenset[str] | None) -> None:
        self.keys = keys

    def _split(self, ctx: Ctx) -> tuple[list[str], list[str]]:
        accepted = ctx.driver.accepted_params if self.keys is None else self.keys
        unsure = ctx.driver.unsure_params if self.keys is None else frozenset()
        extra = sorted(k for k in ctx.params if k not in accepted)
        return [k for k in extra if k not in unsure], [k for k in extra if k in unsure]

    def test(self, ctx: Ctx) -> Truth:
        sure, unsure = self._split(ctx)
        if sure:
            return True
        if unsure:
            ctx.unknowns.append("libvirt_version")
            return None
        accepted = ctx.driver.accepted_params if self.keys is None else self.keys
        if any(k not in accepted for k in ctx.maybe_params):
            ctx.unknowns.append("options")
            return None
        return False

    def bind(self, ctx: Ctx, out: Bindings) -> None:
        sure, unsure = self._split(ctx)
        keys = sure or unsure
        if keys:
            out["param"] = keys[0]
        for k in keys:
            out.setdefault("subjects", []).append("param:" + k)
            out.setdefault("matched", []).append("param:" + k)


class Options(Node):
    """options: {all: [...], any: [...], none: [...]} -- virsh options given (false for API requests)."""

    __slots__ = ("all_", "any_", "none_")

    def __init__(self, all_: list[str], any_: list[str], none_: list[str]) -> None:
        self.all_, self.any_, self.none_ = tuple(all_), tuple(any_), tuple(none_)

    def test(self, ctx: Ctx) -> Truth:
        o = ctx.options
        if o is None:
            return False
        open_ = ctx.open_options
        result: Truth = True
        for k in self.all_:
            if k not in o:
                if not open_:
                    return False
                result = None
        if self.any_ and not any(k in o for k in self.any_):
            if not open_:
                return False
            result = None
        for k in self.none_:
            if k in o:
                return False
            if open_:
                result = None
        if result is None:
            ctx.unknowns.append("options")
        return result

    def bind(self, ctx: Ctx, out: Bindings) -> None:
        if ctx.options is None:
            return
        for k in self.all_ + self.any_:
            if k in ctx.options:
                out.setdefault("subjects", []).append("option:" + k)
                out.setdefault("option", k)


class InSet(Node):
    """state / mode / input / hypervisor: the request's value is one of a list."""

    __slots__ = ("attr", "values")

    def __init__(self, attr: str, values: Sequence[str]) -> None:
        self.attr, self.values = attr, frozenset(values)

    def test(self, ctx: Ctx) -> Truth:
        if self.attr == "state":
            if ctx.state == "unknown":
                ctx.unknowns.append("state")
                return None
            return ctx.state in self.values
        if self.attr == "mode":
            return ctx.mode in self.values
        if self.attr == "input":
            return ("virsh" if ctx.options is not None else "api") in self.values
        if self.attr == "hypervisor":
            return ctx.request.hypervisor in self.values
        raise AssertionError(self.attr)


class Libvirt(Node):
    """libvirt: ">=9.4.0" with optional libvirt_unsure: ">9.0.0,<11.3.0" (versions whose answer is not known)."""

    __slots__ = ("range", "unsure")

    def __init__(self, range_: VersionRange | None, unsure: VersionRange | None) -> None:
        self.range, self.unsure = range_, unsure

    def test(self, ctx: Ctx) -> Truth:
        if self.unsure is not None and ctx.version in self.unsure:
            ctx.unknowns.append("libvirt_version")
            return None
        return True if self.range is None else ctx.version in self.range


class Qemu(Node):
    """qemu: ">=9.1" with optional qemu_unsure (a range, or a list of ranges: QEMU versions whose answer is not
    known) -- the QEMU version (fact qemu.version) is in the range. Without the fact, the QEMU that the request's
    libvirt version is assumed to run with (vocabulary qemu_assumed); with neither, unknown."""

    __slots__ = ("range", "unsure", "assumed")

    def __init__(self, range_: VersionRange | None, unsure: Sequence[VersionRange],
                 assumed: Callable[[Version], str | None]) -> None:
        self.range, self.unsure, self.assumed = range_, tuple(unsure), assumed

    def _value(self, ctx: Ctx) -> Any:
        value = ctx.facts.get(QEMU_FACT)
        return self.assumed(ctx.version) if value is None else value

    def test(self, ctx: Ctx) -> Truth:
        value = self._value(ctx)
        if value is None or value is UNKNOWN:
            ctx.unknowns.append("fact:" + QEMU_FACT)
            return None
        dv = dotted_version(value)
        if dv is None:
            return False
        v: Version = (dv[0], dv[1], dv[2])  # dotted_version pads to at least four parts
        if any(v in u for u in self.unsure):
            ctx.unknowns.append("fact:" + QEMU_FACT)
            return None
        return True if self.range is None else v in self.range

    def bind(self, ctx: Ctx, out: Bindings) -> None:
        value = self._value(ctx)
        if value is not None and value is not UNKNOWN:
            assumed = QEMU_FACT not in ctx.facts
            out.setdefault("qemu_version", f"{value} (assumed for libvirt {format_version(ctx.version)})"
                           if assumed else str(value))


class FirstError(Node):
    """first_error: {phase: [groups]} -- the first error among the rules checked so far (libvirt's first error,
    for a rule checked last) comes from one of these check groups. Unknown when an earlier rule's error is
    itself unknown."""

    __slots__ = ("phases",)

    def __init__(self, phases: Sequence[str]) -> None:
        self.phases = frozenset(phases)

    def test(self, ctx: Ctx) -> Truth:
        # The errors that may be the first: every unknown one up to the first certain one.
        candidates = []
        for f in ctx.findings:
            if f.effect in ("reject", "fail"):
                candidates.append(f)
                if not f.depends_on:
                    break
        inside = [f.phase in self.phases for f in candidates]
        if not any(inside):
            return False
        if all(inside) and not candidates[-1].depends_on:
            return True
        for f in candidates:
            ctx.unknowns.extend(f.depends_on)
        return None


class Feature(Node):
    """feature: {NAME: true|false} -- the driver's connectSupportsFeature answer."""

    __slots__ = ("wanted",)

    def __init__(self, wanted: Mapping[str, bool]) -> None:
        self.wanted = tuple(wanted.items())

    def test(self, ctx: Ctx) -> Truth:
        result: Truth = True
        for name, want in self.wanted:
            have = ctx.driver.features.get(name, False)
            if have is None:
                ctx.unknowns.append("libvirt_version")
                result = None
            elif have != want:
                return False
        return result


class VirshProblemNode(Node):
    """virsh_problem: kind | [kinds] | {kind: ..., option: [...], not_option: [...]} -- virsh's parser refused something."""

    __slots__ = ("kinds", "options", "not_options")

    def __init__(self, kinds: Sequence[str], options: Sequence[str] = (), not_options: Sequence[str] = ()) -> None:
        self.kinds = frozenset(kinds)
        self.options = frozenset(options)
        self.not_options = frozenset(not_options)

    def _match(self, p: Any) -> bool:
        return (p.kind in self.kinds and (not self.options or p.option in self.options)
                and p.option not in self.not_options)

    def test(self, ctx: Ctx) -> Truth:
        return any(self._match(p) for p in ctx.request.virsh_problems)

    def bind(self, ctx: Ctx, out: Bindings) -> None:
        for p in ctx.request.virsh_problems:
            if self._match(p):
                if "option" not in out:
                    out["option"], out["value"] = p.option, p.value
                if p.option:
                    out.setdefault("subjects", []).append("option:" + p.option)
                    out.setdefault("matched", []).append("option:" + p.option)


# -- value tests ---------------------------------------------------------------------------------

ValueTest = Callable[[Any, Bindings, "Ctx"], bool]
_URI_PARTS = ("scheme", "host", "port", "path", "query", "fragment", "user")


def uri_part(value: str, part: str) -> Any:
    """A part of a URI as libvirt's virURIParse splits it; None when absent."""
    try:
        u = urlsplit(value)
    except ValueError:
        return None
    if part == "scheme":
        return u.scheme or None
    if part == "host":
        return u.hostname or None
    if part == "port":
        try:
            return u.port
        except ValueError:
            return None
    if part == "user":
        return u.username or None
    return getattr(u, part) or None


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _items(v: Any) -> tuple[Any, ...]:
    return v if isinstance(v, tuple) else (v,)


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "gt": lambda v, a: bool(v > a), "ge": lambda v, a: bool(v >= a),
    "lt": lambda v, a: bool(v < a), "le": lambda v, a: bool(v <= a),
}


QEMU_FACT = "qemu.version"
_VERSION_COMPARE = {"version_gt": "gt", "version_ge": "ge", "version_lt": "lt", "version_le": "le"}
_DOTTED = re.compile(r"^\s*v?(\d+(?:\.\d+)*)")


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


def _value_test(key: str, arg: Any, where: str) -> ValueTest:
    """One value test of a param/option/fact condition, as a function (value, bindings, ctx) -> bool."""
    if key == "equals":
        return lambda v, b, c: bool(v == arg)
    if key in ("in", "not_in"):
        members = frozenset(arg)
        if key == "in":
            return lambda v, b, c: v in members
        return lambda v, b, c: v is not None and v not in members
    if key in _COMPARE:
        compare = _COMPARE[key]
        return lambda v, b, c: _is_number(v) and compare(v, arg)
    if key in _VERSION_COMPARE:
        compare, bound = _COMPARE[_VERSION_COMPARE[key]], dotted_version(str(arg))
        if bound is None:
            raise UserError(f"{where}: {key} takes a dotted version such as \"9.1\", got {arg!r}")
        return lambda v, b, c: (dv := dotted_version(v)) is not None and compare(dv, bound)
    if key == "power_of_two":
        want_power = bool(arg)
        return lambda v, b, c: isinstance(v, int) and not isinstance(v, bool) and (v > 0 and v & (v - 1) == 0) == want_power
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
    if key in _URI_PARTS:
        inner = _compile_tests(arg, where)

        def part_test(v: Any, b: Bindings, c: Ctx) -> bool:
            pv = uri_part(v, key) if isinstance(v, str) else None
            if all(t(pv, b, c) for _, t in inner):
                b[key] = "" if pv is None else pv
                return True
            return False
        return part_test
    if key == "any_item":
        inner = _compile_tests(arg, where)

        def any_item(v: Any, b: Bindings, c: Ctx) -> bool:
            items = _items(v)
            for i, item in enumerate(items):
                b[_BEFORE] = items[:i]
                if all(t(item, b, c) for _, t in inner):
                    b.pop(_BEFORE, None)
                    b["item"] = item
                    return True
            b.pop(_BEFORE, None)
            return False
        return any_item
    if key == "first_item":
        # libvirt checks a list item by item, each item against several checks in turn: the first item that
        # fails any check of ``among`` decides; this test holds when that item fails the rule's own tests.
        if not isinstance(arg, Mapping) or not isinstance(arg.get("among"), list):
            raise UserError(f"{where}: first_item takes its own tests and 'among', a list of per-item checks")
        own = _compile_tests({k: a for k, a in arg.items() if k != "among"}, where)
        among = [_compile_tests(alt, where) for alt in arg["among"]]

        def first_item(v: Any, b: Bindings, c: Ctx) -> bool:
            items = _items(v)
            for i, item in enumerate(items):
                scratch: Bindings = {_BEFORE: items[:i]}
                if any(all(t(item, scratch, c) for _, t in alt) for alt in among):
                    scratch = {_BEFORE: items[:i]}
                    if all(t(item, scratch, c) for _, t in own):
                        b["item"] = item
                        return True
                    return False
            return False
        return first_item
    if key == "repeated":
        # inside any_item / first_item: the item already came earlier in the list
        want_repeated = bool(arg)
        return lambda v, b, c: (v in b.get(_BEFORE, ())) == want_repeated
    if key == "earlier":
        # inside any_item / first_item: an earlier item passes these tests
        inner = _compile_tests(arg, where)
        return lambda v, b, c: any(all(t(x, {}, c) for _, t in inner) for x in b.get(_BEFORE, ()))
    if key == "duplicate_items":
        def duplicate(v: Any, b: Bindings, c: Ctx) -> bool:
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

        def in_ref(v: Any, b: Bindings, c: Ctx) -> bool:
            other = c.params.get(ref) if from_param else c.facts.get(ref)
            members = other if isinstance(other, tuple) else (() if other is None else (other,))
            return (v in members) != negate
        return in_ref
    if key == "count":
        inner = _compile_tests(arg, where)
        return lambda v, b, c: all(t(len(_items(v)), b, c) for _, t in inner)
    raise UserError(f"{where}: unknown value test {key!r}")


_BEFORE = "_items_before"  # the items before the one an item test looks at (any_item, first_item)


def _compile_tests(spec: Mapping[str, Any], where: str) -> list[tuple[str, ValueTest]]:
    return [(key, _value_test(key, arg, where)) for key, arg in spec.items() if key not in ("key", "name", "present")]


class Value(Node):
    """param / option / fact: {key|name: X, present: bool, <tests>} -- tests on one value.

    A missing parameter or option fails every test but ``present: false``. A missing fact, or a value
    the input could not know, makes the answer unknown.
    """

    __slots__ = ("source", "name", "present", "tests", "subject")

    def __init__(self, source: str, name: str, present: bool | None, tests: list[tuple[str, ValueTest]]) -> None:
        self.source, self.name, self.present, self.tests = source, name, present, tests
        self.subject = f"{source}:{name}"

    def _get(self, ctx: Ctx) -> tuple[bool, Any, bool]:
        """(present, value, maybe-present)."""
        if self.source == "param":
            if self.name in ctx.params:
                return True, ctx.params[self.name], False
            return False, None, self.name in ctx.maybe_params
        if self.source == "option":
            if ctx.options is not None and self.name in ctx.options:
                return True, ctx.options[self.name], False
            return False, None, ctx.open_options
        if self.name in ctx.facts:
            return True, ctx.facts[self.name], False
        return False, UNKNOWN, True

    def test(self, ctx: Ctx) -> Truth:
        present, value, maybe = self._get(ctx)
        if not present:
            if maybe:
                ctx.unknowns.append(self.subject if self.source != "option" else "options")
                return None
            return self.present is False
        if self.present is False:
            return False
        if value is UNKNOWN:
            if not self.tests:
                return True
            ctx.unknowns.append(self.subject)
            return None
        scratch: Bindings = {}
        return all(t(value, scratch, ctx) for _, t in self.tests)

    def bind(self, ctx: Ctx, out: Bindings) -> None:
        present, value, _ = self._get(ctx)
        if not present or value is UNKNOWN:
            return
        out.setdefault("subjects", []).append(self.subject)
        scratch: Bindings = {}
        if all(t(value, scratch, ctx) for _, t in self.tests):
            for k, v in scratch.items():
                out.setdefault(k, v)
        out.setdefault("value", ",".join(map(str, value)) if isinstance(value, tuple) else str(value))
        out.setdefault(self.source, self.name)


# -- compiler ------------------------------------------------------------------------------------


class Compiler:
    def __init__(self, vocab: Vocabulary) -> None:
        self.vocab = vocab
        self.flag_names = {f.value: f.name for f in vocab.flags.values()}

    def compile(self, spec: Any, where: str) -> Node:
        if spec is None:
            return All(())
        if not isinstance(spec, dict):
            raise UserError(f"{where}: a condition is a mapping, got {type(spec).__name__}")
        items = dict(spec)
        nodes: list[Node] = []
        if "libvirt" in items and "libvirt_unsure" in items:
            # One node: outside the unsure range the answer is the range's; inside it, unknown.
            nodes.append(Libvirt(VersionRange(str(items.pop("libvirt"))), VersionRange(str(items.pop("libvirt_unsure")))))
        if "qemu" in items and "qemu_unsure" in items:
            nodes.append(Qemu(_qemu_range(str(items.pop("qemu")), where), _qemu_ranges(items.pop("qemu_unsure"), where),
                              self.vocab.assumed_qemu))
        nodes += [self._one(k, v, where) for k, v in items.items()]
        return nodes[0] if len(nodes) == 1 else All(nodes)

    def _one(self, key: str, arg: Any, where: str) -> Node:
        v = self.vocab
        if key == "all":
            return All([self.compile(c, where) for c in arg])
        if key == "any":
            return Any_([self.compile(c, where) for c in arg])
        if key == "not":
            return Not(self.compile(arg, where))
        if key == "flags":
            a, n, z = _set_spec(arg, key)
            return Flags(v.mask(a), v.mask(n), v.mask(z), self.flag_names)
        if key == "flags_outside":
            return FlagsOutside(None if arg == "accepted" else v.mask(arg), self.flag_names)
        if key == "params":
            a, n, z = _set_spec(arg, key)
            return Params([v.param_key(x) for x in a], [v.param_key(x) for x in n], [v.param_key(x) for x in z])
        if key == "params_outside":
            return ParamsOutside(None if arg == "accepted" else frozenset(v.param_key(x) for x in arg))
        if key == "options":
            a, n, z = _set_spec(arg, key)
            for name in a + n + z:
                if name not in v.options:
                    raise UserError(f"{where}: unknown virsh option {name!r}")
            return Options(a, n, z)
        if key in ("state", "mode", "input", "hypervisor"):
            return InSet(key, [arg] if isinstance(arg, str) else list(arg))
        if key == "libvirt":
            return Libvirt(VersionRange(str(arg)), None)
        if key == "libvirt_unsure":
            return Libvirt(None, VersionRange(str(arg)))
        if key == "feature":
            return Feature({str(k): bool(b) for k, b in arg.items()})
        if key in ("qemu", "qemu_unsure"):
            return Qemu(_qemu_range(str(arg), where) if key == "qemu" else None,
                        _qemu_ranges(arg, where) if key == "qemu_unsure" else (), v.assumed_qemu)
        if key == "first_error":
            phases = arg.get("phase", []) if isinstance(arg, dict) else arg
            return FirstError([phases] if isinstance(phases, str) else list(phases))
        if key == "virsh_problem":
            if isinstance(arg, dict):
                kinds = arg.get("kind", [])
                return VirshProblemNode([kinds] if isinstance(kinds, str) else list(kinds),
                                        list(arg.get("option", [])), list(arg.get("not_option", [])))
            return VirshProblemNode([arg] if isinstance(arg, str) else list(arg))
        if key in ("param", "option", "fact"):
            if not isinstance(arg, dict):
                raise UserError(f"{where}: '{key}' takes a mapping")
            raw = arg.get("key") or arg.get("name")
            if not raw:
                raise UserError(f"{where}: '{key}' needs 'key' or 'name'")
            name = v.param_key(str(raw)) if key == "param" else str(raw)
            present = arg.get("present")
            return Value(key, name, None if present is None else bool(present), _compile_tests(arg, where))
        raise UserError(f"{where}: unknown condition {key!r}")


def _qemu_range(text: str, where: str) -> VersionRange:
    try:
        return VersionRange(text)
    except UserError as e:
        raise UserError(f"{where}: qemu takes a version range such as \">=9.1\": {e}") from None


def _qemu_ranges(arg: Any, where: str) -> list[VersionRange]:
    return [_qemu_range(str(a), where) for a in (arg if isinstance(arg, list) else [arg])]
