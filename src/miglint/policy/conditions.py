"""Conditions of policy rules: small node objects, the only interpreter of a rule's ``when``.

Each node knows four things, so nothing else re-reads a condition's YAML:

- ``test(ctx)``: Kleene's three values, True, False or None (unknown: the answer turns on a fact the
  request does not carry; the subject is added to ``ctx.unknowns``);
- ``bind(ctx, out)``: when the rule fires, what its message and the reporters need (template variables,
  the subjects at fault: "flag:LIVE", "param:migrate_uri", "option:timeout");
- ``simplify(known)``: the condition with what ``known`` fixes (a driver, a libvirt version, a flag present
  or absent) evaluated away -- the capability tables and the rule pages describe what remains;
- ``describe(vocab)``: the condition in words; and ``children()``, to walk a tree (``walk``).

Nodes are built from the policy files by miglint.policy.compiler. Nothing here knows a hypervisor or a
flag: the names come from the policies, the meaning of each node from its docstring.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from ..errors import did_you_mean
from ..model import ACTIVE, ACTIVE_STATES, UNKNOWN, ParamValue, Request
from ..version import Version, VersionRange, format_version
from .values import Bindings, ValueTest, dotted_version, join_words, passes, tests_text
from .vocabulary import Vocabulary

Truth = bool | None
QEMU_FACT = "qemu.version"
VERSION_NODES: tuple[type, ...] = ()  # set below: the nodes about versions, described last


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


class Known(NamedTuple):
    """What is fixed while simplifying a condition: flags, virsh options and parameters known present (True)
    or absent (False), the driver's features (None: unknown), the libvirt version (None: any), and the modes
    the rule can run in."""

    flags: Mapping[str, bool]
    options: Mapping[str, bool]
    params: Mapping[str, bool]
    features: Mapping[str, bool | None]
    version: Version | None
    modes: tuple[str, ...]


class _Unknowns(dict[str, "bool | None"]):
    """Features of no particular driver: every answer is unknown."""

    def get(self, key: str, default: object = None) -> None:
        return None


def generic_known(vocab: Vocabulary) -> Known:
    """Nothing known: for describing a rule on its own."""
    return Known({}, {}, {}, _Unknowns(), None, tuple(vocab.modes))


class Node:
    __slots__ = ()

    def test(self, ctx: Ctx) -> Truth:  # pragma: no cover - abstract
        raise NotImplementedError

    def bind(self, ctx: Ctx, out: Bindings) -> None:
        return None

    def simplify(self, known: Known) -> Node:
        return self  # by default nothing known decides it

    def describe(self, vocab: Vocabulary) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def children(self) -> tuple[Node, ...]:
        return ()

    def compiled(self) -> Callable[[Ctx], Truth]:
        """``test`` as one function, for the evaluator's compiled rules (miglint.engine.compiled): the same
        answers and unknowns. A node kind may give a faster one; by default it is ``test`` itself."""
        return self.test


def walk(node: Node) -> Iterator[Node]:
    """The node and every node under it, depth first."""
    yield node
    for c in node.children():
        yield from walk(c)


class Const(Node):
    """A decided condition (what simplify leaves when nothing remains)."""

    __slots__ = ("value",)

    def __init__(self, value: bool) -> None:
        self.value = value

    def test(self, ctx: Ctx) -> Truth:
        return self.value

    def describe(self, vocab: Vocabulary) -> str:
        return "always" if self.value else "never"


TRUE = Const(True)
FALSE = Const(False)


def const(node: Node) -> bool | None:
    """True or False for a decided node, else None."""
    return node.value if isinstance(node, Const) else None


class All(Node):
    __slots__ = ("items",)

    def __init__(self, children: Sequence[Node]) -> None:
        self.items = tuple(children)

    def test(self, ctx: Ctx) -> Truth:
        result: Truth = True
        for c in self.items:
            v = c.test(ctx)
            if v is False:
                return False
            if v is None:
                result = None
        return result

    def bind(self, ctx: Ctx, out: Bindings) -> None:
        for c in self.items:
            c.bind(ctx, out)

    def children(self) -> tuple[Node, ...]:
        return self.items

    def simplify(self, known: Known) -> Node:
        return all_of(c.simplify(known) for c in self.items)

    def describe(self, vocab: Vocabulary) -> str:
        # Version notes go last; an "any" inside is bracketed; "(virsh)"-style input notes join with a blank.
        parts = sorted(self.items, key=lambda p: (_is_input(p), isinstance(p, VERSION_NODES)))
        text = ""
        for p in parts:
            w = p.describe(vocab)
            if isinstance(p, Any_):
                w = f"({w})"
            text += ((" " if _is_input(p) else " and ") + w) if text else w
        return text


class Any_(Node):
    __slots__ = ("items",)

    def __init__(self, children: Sequence[Node]) -> None:
        self.items = tuple(children)

    def test(self, ctx: Ctx) -> Truth:
        result: Truth = False
        for c in self.items:
            v = c.test(ctx)
            if v is True:
                return True
            if v is None:
                result = None
        return result

    def bind(self, ctx: Ctx, out: Bindings) -> None:
        for c in self.items:
            if c.test(ctx) is not False:
                c.bind(ctx, out)
                return

    def children(self) -> tuple[Node, ...]:
        return self.items

    def simplify(self, known: Known) -> Node:
        return any_of(c.simplify(known) for c in self.items)

    def describe(self, vocab: Vocabulary) -> str:
        return " or ".join(c.describe(vocab) for c in self.items)


class Not(Node):
    __slots__ = ("child",)

    def __init__(self, child: Node) -> None:
        self.child = child

    def test(self, ctx: Ctx) -> Truth:
        v = self.child.test(ctx)
        return None if v is None else not v

    def children(self) -> tuple[Node, ...]:
        return (self.child,)

    def simplify(self, known: Known) -> Node:
        inner = self.child.simplify(known)
        decided = const(inner)
        return Const(not decided) if decided is not None else Not(inner)

    def describe(self, vocab: Vocabulary) -> str:
        return f"not ({self.child.describe(vocab)})"


def all_of(nodes: Iterable[Node]) -> Node:
    """The conjunction, flattened, with decided parts taken out."""
    out: list[Node] = []
    for n in nodes:
        decided = const(n)
        if decided is False:
            return FALSE
        if decided is True:
            continue
        out.extend(n.items if isinstance(n, All) else [n])
    return TRUE if not out else out[0] if len(out) == 1 else All(out)


def any_of(nodes: Iterable[Node]) -> Node:
    """The disjunction, with decided parts taken out."""
    out: list[Node] = []
    for n in nodes:
        decided = const(n)
        if decided is True:
            return TRUE
        if decided is False:
            continue
        out.append(n)
    return FALSE if not out else out[0] if len(out) == 1 else Any_(out)


def _is_input(node: Node) -> bool:
    return isinstance(node, InSet) and node.attr == "input"


# -- sets of names: flags, parameters, virsh options ------------------------------------------------------


class _NameSet(Node):
    """all / any / none of some names; subclasses say where the names are looked up."""

    __slots__ = ("all_", "any_", "none_")
    kind = ""

    def __init__(self, all_: Sequence[str], any_: Sequence[str], none_: Sequence[str]) -> None:
        self.all_, self.any_, self.none_ = tuple(all_), tuple(any_), tuple(none_)

    def _known(self, known: Known) -> Mapping[str, bool]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _rebuild(self, all_: Sequence[str], any_: Sequence[str], none_: Sequence[str]) -> Node:
        return type(self)(all_, any_, none_)

    def simplify(self, known: Known) -> Node:
        k = self._known(known)
        if any(k.get(x) is False for x in self.all_) or any(k.get(x) is True for x in self.none_):
            return FALSE
        keep_any: list[str] = []
        if self.any_ and not any(k.get(x) is True for x in self.any_):
            keep_any = [x for x in self.any_ if k.get(x) is None]
            if not keep_any:
                return FALSE
        keep_all = [x for x in self.all_ if k.get(x) is None]
        keep_none = [x for x in self.none_ if k.get(x) is None]
        if not (keep_all or keep_any or keep_none):
            return TRUE
        return self._rebuild(keep_all, keep_any, keep_none)

    def word(self, vocab: Vocabulary, name: str) -> str:
        return f"--{name}"

    def describe(self, vocab: Vocabulary) -> str:
        positive = []
        if self.all_:
            positive.append(join_words([self.word(vocab, x) for x in self.all_], "and"))
        if self.any_:
            positive.append(join_words([self.word(vocab, x) for x in self.any_], "or"))
        text = " and ".join(positive)
        if self.none_:
            text += (", " if text else "") + "without " + join_words([self.word(vocab, x) for x in self.none_], "or")
        return text


class Flags(_NameSet):
    """flags: {all: [...], any: [...], none: [...]} -- which flags are set (names in the policy's order)."""

    __slots__ = ("all_mask", "any_mask", "none_mask", "bits")
    kind = "flags"

    def __init__(self, all_: Sequence[str], any_: Sequence[str], none_: Sequence[str],
                 bits: Mapping[str, int] | None = None) -> None:
        super().__init__(all_, any_, none_)
        self.bits: Mapping[str, int] = bits or {}
        self.all_mask = sum(self.bits[x] for x in self.all_)
        self.any_mask = sum(self.bits[x] for x in self.any_)
        self.none_mask = sum(self.bits[x] for x in self.none_)

    def _rebuild(self, all_: Sequence[str], any_: Sequence[str], none_: Sequence[str]) -> Node:
        return Flags(all_, any_, none_, self.bits)

    def _known(self, known: Known) -> Mapping[str, bool]:
        return known.flags

    def word(self, vocab: Vocabulary, name: str) -> str:
        return vocab.flag_word(name)

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
        for name in sorted(self.all_ + self.any_, key=lambda n: self.bits[n]):
            if present & self.bits[name]:
                out.setdefault("subjects", []).append("flag:" + name)
                out.setdefault("flag", name)


class Params(_NameSet):
    """params: {all: [...], any: [...], none: [...]} -- which typed parameters are given (by key)."""

    __slots__ = ()
    kind = "params"

    def _known(self, known: Known) -> Mapping[str, bool]:
        return known.params

    def word(self, vocab: Vocabulary, name: str) -> str:
        return vocab.param_word(name)

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


class Options(_NameSet):
    """options: {all: [...], any: [...], none: [...]} -- virsh options given (false for API requests)."""

    __slots__ = ()
    kind = "options"

    def _known(self, known: Known) -> Mapping[str, bool]:
        return known.options

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

    def describe(self, vocab: Vocabulary) -> str:
        return "a flag the driver does not accept"


class ParamsOutside(Node):
    """params_outside: accepted | [keys] -- parameters the driver does not accept (virTypedParamsValidate). The
    first (by name: libvirt walks them sorted) is bound as ``param``; a ``hint`` says when it comes with a newer
    libvirt (``known``: every parameter's first version) or is close to a parameter's name."""

    __slots__ = ("keys", "known")

    def __init__(self, keys: frozenset[str] | None, known: Mapping[str, Version] | None = None) -> None:
        self.keys = keys
        self.known: Mapping[str, Version] = known or {}

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
            since = self.known.get(keys[0])
            if since is None and self.known:
                out["hint"] = f"'{keys[0]}' is no migration parameter libvirt defines{did_you_mean(keys[0], self.known)}."
            elif since is not None and since > ctx.version:
                out["hint"] = f"'{keys[0]}' comes with libvirt {format_version(since)}."
        for k in keys:
            out.setdefault("subjects", []).append("param:" + k)
            out.setdefault("matched", []).append("param:" + k)

    def describe(self, vocab: Vocabulary) -> str:
        return "a parameter the driver does not accept"


# -- the request's state, mode, kind; the driver; versions ---------------------------------------------------


class InSet(Node):
    """state / mode / input / hypervisor: the request's value is one of a list."""

    __slots__ = ("attr", "values", "listed")

    def __init__(self, attr: str, values: Sequence[str]) -> None:
        self.attr, self.values, self.listed = attr, frozenset(values), tuple(values)

    def test(self, ctx: Ctx) -> Truth:
        if self.attr == "state":
            if ctx.state == ACTIVE:  # running or paused: decided when both or neither are listed
                inside = [s in self.values for s in ACTIVE_STATES]
                if all(inside) or not any(inside):
                    return inside[0]
                ctx.unknowns.append("state")
                return None
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

    def simplify(self, known: Known) -> Node:
        if self.attr != "mode":
            return self
        inside = [m for m in known.modes if m in self.values]
        if not inside:
            return FALSE
        return TRUE if len(inside) == len(known.modes) else InSet("mode", inside)

    def describe(self, vocab: Vocabulary) -> str:
        items = list(self.listed)
        if self.attr == "mode":
            return join_words(items, "or") + " mode"
        if self.attr == "state":
            return "the domain is " + join_words(["shut off" if s == "shutoff" else s for s in items], "or")
        if self.attr == "input":
            return "(" + join_words(items, "or") + " only)" if self.listed != ("virsh",) else "(virsh)"
        return "hypervisor " + join_words(items, "or")


class Libvirt(Node):
    """libvirt: ">=9.4.0" with optional libvirt_unsure: ">9.0.0,<11.3.0" (versions whose answer is not known).
    Either may be a list of ranges: the versions in any of them ("<=7.0.0" and ">=10.0.0")."""

    __slots__ = ("range", "unsure", "range_text", "unsure_text", "range_texts", "unsure_texts")

    def __init__(self, range_text: str | Sequence[str] | None, unsure_text: str | Sequence[str] | None) -> None:
        self.range_texts = _texts(range_text)
        self.unsure_texts = _texts(unsure_text)
        # As written, for the documentation ("<=7.0.0 or >=10.0.0").
        self.range_text = None if self.range_texts is None else " or ".join(self.range_texts)
        self.unsure_text = None if self.unsure_texts is None else " or ".join(self.unsure_texts)
        self.range = None if self.range_texts is None else tuple(VersionRange(t) for t in self.range_texts)
        self.unsure = None if self.unsure_texts is None else tuple(VersionRange(t) for t in self.unsure_texts)

    def test(self, ctx: Ctx) -> Truth:
        if self.unsure is not None and _within(ctx.version, self.unsure):
            ctx.unknowns.append("libvirt_version")
            return None
        return True if self.range is None else _within(ctx.version, self.range)

    def simplify(self, known: Known) -> Node:
        v = known.version
        if v is None:
            return self
        if self.unsure is not None and _within(v, self.unsure):
            return Libvirt(None, self.unsure_texts)
        if self.range is None:
            return TRUE
        return Libvirt(self.range_texts, None) if _within(v, self.range) else FALSE

    def describe(self, vocab: Vocabulary) -> str:
        parts = []
        if self.range_text is not None:
            parts.append(f"libvirt {self.range_text}")
        if self.unsure_text is not None:
            parts.append(f"(not known for libvirt {self.unsure_text})")
        return " and ".join(parts)


def _texts(text: str | Sequence[str] | None) -> tuple[str, ...] | None:
    return None if text is None else (text,) if isinstance(text, str) else tuple(text)


def _within(version: Version, ranges: tuple[VersionRange, ...]) -> bool:
    return any(version in r for r in ranges)


class Qemu(Node):
    """qemu: ">=9.1" (a range, or a list of ranges) with optional qemu_unsure (a range, or a list of ranges: QEMU
    versions whose answer is not known) -- the QEMU version (fact qemu.version) is in the range. Without the fact,
    the QEMU that the request's libvirt version is assumed to run with (vocabulary qemu_assumed); with neither,
    unknown."""

    __slots__ = ("range", "unsure", "assumed", "range_text", "unsure_texts")

    def __init__(self, range_text: str | Sequence[str] | None, unsure_texts: Sequence[str],
                 assumed: Callable[[Version], str | None]) -> None:
        ranges = _texts(range_text)
        self.range_text = None if ranges is None else " or ".join(ranges)
        self.unsure_texts = tuple(unsure_texts)
        self.range = None if ranges is None else tuple(VersionRange(t) for t in ranges)
        self.unsure = tuple(VersionRange(u) for u in self.unsure_texts)
        self.assumed = assumed

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
        return True if self.range is None else _within(v, self.range)

    def bind(self, ctx: Ctx, out: Bindings) -> None:
        value = self._value(ctx)
        if value is not None and value is not UNKNOWN:
            assumed = QEMU_FACT not in ctx.facts
            out.setdefault("qemu_version", f"{value} (assumed for libvirt {format_version(ctx.version)})"
                           if assumed else str(value))

    def describe(self, vocab: Vocabulary) -> str:
        parts = []
        if self.range_text is not None:
            parts.append(f"QEMU {self.range_text}")
        if self.unsure_texts:
            parts.append(f"(not known for QEMU {', '.join(self.unsure_texts)})")
        return " and ".join(parts)


VERSION_NODES = (Libvirt, Qemu)


class FirstError(Node):
    """first_error: {phase: [groups]} -- the first error among the rules checked so far (libvirt's first error,
    for a rule checked last) comes from one of these check groups. Unknown when an earlier rule's error is
    itself unknown."""

    __slots__ = ("phases", "listed")

    def __init__(self, phases: Sequence[str]) -> None:
        self.phases, self.listed = frozenset(phases), tuple(phases)

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

    def describe(self, vocab: Vocabulary) -> str:
        return "libvirt's first error comes from the " + join_words(list(self.listed), "or") + " checks"


class Feature(Node):
    """feature: {NAME: true|false} -- the driver's connectSupportsFeature answer."""

    __slots__ = ("wanted",)

    def __init__(self, wanted: Mapping[str, bool] | Sequence[tuple[str, bool]]) -> None:
        self.wanted = tuple(wanted.items()) if isinstance(wanted, Mapping) else tuple(wanted)

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

    def simplify(self, known: Known) -> Node:
        left = []
        for name, want in self.wanted:
            have = known.features.get(name, False)
            if have is None:
                left.append((name, want))
            elif have != want:
                return FALSE
        return Feature(left) if left else TRUE

    def describe(self, vocab: Vocabulary) -> str:
        return " and ".join(f"the driver {'supports' if want else 'lacks'} {name}" for name, want in self.wanted)


class VirshProblemNode(Node):
    """virsh_problem: kind | [kinds] | {kind: ..., option: [...], not_option: [...]} -- virsh's parser refused something."""

    __slots__ = ("kinds", "options", "not_options", "spec")

    def __init__(self, kinds: Sequence[str], options: Sequence[str] = (), not_options: Sequence[str] = (),
                 spec: Any = None) -> None:
        self.kinds = frozenset(kinds)
        self.options = frozenset(options)
        self.not_options = frozenset(not_options)
        self.spec = spec  # as the policy wrote it, for the documentation

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
                    out["did_you_mean"] = f" (did you mean --{p.hint}?)" if p.hint else ""
                if p.option:
                    out.setdefault("subjects", []).append("option:" + p.option)
                    out.setdefault("matched", []).append("option:" + p.option)

    def describe(self, vocab: Vocabulary) -> str:
        return f"virsh cannot parse the command line ({self.spec})"


class Value(Node):
    """param / option / fact: {key|name: X, present: bool, <tests>} -- tests on one value.

    A missing parameter or option fails every test but ``present: false``. A missing fact, or a value
    the input could not know, makes the answer unknown -- unless the condition says what a fact that is not
    given means (``if_missing: true|false``: a fact that refines what others say).
    """

    __slots__ = ("source", "name", "present", "tests", "subject", "written", "if_missing")

    def __init__(self, source: str, name: str, present: bool | None, tests: tuple[ValueTest, ...],
                 written: Mapping[str, Any] | None = None, if_missing: bool | None = None) -> None:
        self.source, self.name, self.present, self.tests = source, name, present, tests
        self.if_missing = if_missing
        self.subject = f"{source}:{name}"
        # The tests as the policy wrote them (present included, in its order), for the documentation.
        self.written: Mapping[str, Any] = written if written is not None else {t.key: t.arg for t in tests}

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
            if self.if_missing is not None and self.source == "fact":
                return self.if_missing
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
        return passes(self.tests, value, {}, ctx)

    def compiled(self) -> Callable[[Ctx], Truth]:
        """``test`` for a parameter, without the steps in between (tests/unit/engine/test_compiled.py compares)."""
        if self.source != "param":
            return self.test
        name, want, subject = self.name, self.present, self.subject
        fns = tuple(t.fn for t in self.tests)

        def param_test(ctx: Ctx) -> Truth:
            params = ctx.params
            if name not in params:
                if name in ctx.maybe_params:
                    ctx.unknowns.append(subject)
                    return None
                return want is False
            if want is False:
                return False
            value = params[name]
            if value is UNKNOWN:
                if not fns:
                    return True
                ctx.unknowns.append(subject)
                return None
            bindings: Bindings = {}
            for fn in fns:
                if not fn(value, bindings, ctx):
                    return False
            return True
        return param_test

    def bind(self, ctx: Ctx, out: Bindings) -> None:
        present, value, _ = self._get(ctx)
        if not present or value is UNKNOWN:
            return
        out.setdefault("subjects", []).append(self.subject)
        scratch: Bindings = {}
        if passes(self.tests, value, scratch, ctx):
            for k, v in scratch.items():
                out.setdefault(k, v)
        text = ",".join(map(str, value)) if isinstance(value, tuple) else str(value)
        out.setdefault("value", text)
        out.setdefault(self.source, self.name)
        if self.source == "fact":  # a fact's value is also bound by its name: {host_uuid} for host.uuid
            out.setdefault(self.name.replace(".", "_"), text)

    def simplify(self, known: Known) -> Node:
        given = known.params.get(self.name) if self.source == "param" else \
            known.options.get(self.name) if self.source == "option" else None
        if given is False:
            return Const(self.present is False)
        if given is True and self.source == "param" and not self.tests:
            return Const(self.present is not False)
        return self

    def describe(self, vocab: Vocabulary) -> str:
        subject = vocab.param_word(self.name) if self.source == "param" else \
            f"--{self.name}" if self.source == "option" else self.name
        return f"{subject} {tests_text(self.written) or 'is given'}"


def version_only(node: Node) -> bool:
    """True when nothing but libvirt version notes that hold (at the version simplified for) remains."""
    if const(node) is True:
        return True
    if isinstance(node, All):
        return all(version_only(c) for c in node.items)
    return isinstance(node, Libvirt) and node.unsure_text is None and node.range_text is not None
