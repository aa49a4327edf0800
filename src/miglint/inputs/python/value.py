"""Abstract values for the Python reader: what a variable may hold at one point of one path, and the
paths themselves (a state: the guards taken, the conditions decided, the variables).

Only what migration requests are made of is modelled: flag sets (with where each flag was written),
strings (with pieces not known), lists, typed-parameter maps, connections and literals. Anything else
is ``Unknown``. All values are immutable; positions are (line, column), columns counted from 1.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from typing import NamedTuple, Union

from ...model import UNKNOWN, ParamValue

Pos = tuple[int, int]
Where = tuple[tuple[str, tuple[Pos, ...]], ...]  # a small immutable map: name -> positions


@dataclass(frozen=True)
class Unknown:
    """A value the reader cannot see. ``falsy``: known to be false (the false side of ``x and ...``)."""

    falsy: bool = False


@dataclass(frozen=True)
class Lit:
    """A literal. ``src``: for a string written as one plain literal, where its content starts
    (line, column, offset in the file), so a shell reader can place its words exactly. ``origin``: the
    statement that wrote it (an integer becomes flags where it was written, not where it is used)."""

    value: str | int | float | bool | None
    src: tuple[int, int, int] | None = None
    origin: Pos | None = None


@dataclass(frozen=True)
class Text:
    """A string with pieces not known (None), e.g. an f-string over a function argument."""

    parts: tuple[str | None, ...]


@dataclass(frozen=True)
class Flags:
    """A set of migration flags. ``unknown``: more bits may be set; ``extra``: literal bits without a name."""

    names: frozenset[str] = frozenset()
    unknown: bool = False
    extra: int = 0
    where: Where = ()


@dataclass(frozen=True)
class Item:
    """One element of a list or tuple, with where it was written. ``star``: ``*x`` of something unknown."""

    value: "Val"
    pos: Pos
    src: str
    star: bool = False


@dataclass(frozen=True)
class Seq:
    items: tuple[Item, ...] = ()
    open: bool = False  # more elements may follow (appended in a loop, by a call)


class Ref(NamedTuple):
    """A typed parameter whose value is a variable's: the variable as written, and the names it reads."""

    key: str
    text: str
    reads: frozenset[str]


@dataclass(frozen=True)
class Params:
    """A typed-parameter dict: key -> (value, positions of the dict keys or assignments that set it)."""

    items: tuple[tuple[str, ParamValue, tuple[Pos, ...]], ...] = ()
    open: bool = False  # may hold more keys than these
    # Values not seen that are a variable's (``'migrate_disks': device_names``): (key, the variable's source
    # text, the names it reads), so that a condition decided later on the path (``if not device_names``) still
    # tells they are false, until one of those names is assigned again.
    refs: tuple[Ref, ...] = ()

    def get(self, key: str) -> tuple[ParamValue, tuple[Pos, ...]] | None:
        for k, v, w in self.items:
            if k == key:
                return v, w
        return None

    def set(self, key: str, value: ParamValue, pos: tuple[Pos, ...], ref: Ref | None = None) -> Params:
        kept = tuple(i for i in self.items if i[0] != key)
        refs = tuple(r for r in self.refs if r[0] != key) + ((ref._replace(key=key),) if ref and value is UNKNOWN
                                                               else ())
        return replace(self, items=kept + ((key, value, pos),), refs=refs)

    def drop(self, key: str) -> Params:
        return replace(self, items=tuple(i for i in self.items if i[0] != key),
                       refs=tuple(r for r in self.refs if r[0] != key))

    def merge(self, other: Params) -> Params:
        out = self
        refs = {r.key: r for r in other.refs}
        for k, v, w in other.items:
            out = out.set(k, v, w, refs.get(k))
        return replace(out, open=self.open or other.open)

    def decided(self, known: Mapping[str, bool]) -> Params:
        """The values of variables a condition on the path decided false: ``()`` (see ``param_value``)."""
        out = self
        for r in self.refs:
            if known.get(r.text) is False:
                got = out.get(r.key)
                if got is not None:
                    out = out.set(r.key, (), got[1])
        return out

    def unref(self, keys: AbstractSet[str], known: Mapping[str, bool]) -> Params:
        """The variables ``keys`` are assigned again: the values taken from them are no longer theirs (what the
        path decided of them so far still holds)."""
        gone = [r for r in self.refs if r.reads & keys]
        if not gone:
            return self
        out = Params(self.items, self.open, tuple(r for r in gone)).decided(known)
        return replace(out, refs=tuple(r for r in self.refs if not r.reads & keys))


@dataclass(frozen=True)
class Conn:
    """A connection opened in the code: ``libvirt.open(uri)``; ``uri`` None when not a literal; ``prefix``: the
    start of the URI that is known (``f"vz+ssh://{host}/system"``: "vz+ssh://"), the whole URI when it is."""

    uri: str | None
    prefix: str | None = None
    readonly: bool = False  # libvirt.openReadOnly


@dataclass(frozen=True)
class Dom:
    """A domain looked up from a connection opened in the code (``conn.lookupByName(name)``); ``many``: the
    list of them (``conn.listAllDomains()``), whose items are each such a domain."""

    conn: Conn
    many: bool = False


Val = Union[Unknown, Lit, Text, Flags, Seq, Params, Conn, Dom]


class Guard(NamedTuple):
    """A condition on a path: its source text (``not`` removed), the value it has there, where it is written."""

    text: str
    value: bool
    line: int
    column: int = 0


# --- flags -------------------------------------------------------------------------------------------

def _where_merge(a: Where, b: Where) -> Where:
    out = {k: list(v) for k, v in a}
    for k, v in b:
        lst = out.setdefault(k, [])
        lst.extend(p for p in v if p not in lst)
    return tuple((k, tuple(v)) for k, v in out.items())


def _where_keep(w: Where, names: frozenset[str]) -> Where:
    return tuple((k, v) for k, v in w if k in names)


def decode(n: int, bits: dict[str, int], at: Pos) -> Flags:
    """An integer as flag names (and the bits no name covers)."""
    if n < 0:
        return Flags(unknown=True)
    names = frozenset(k for k, v in bits.items() if v and n & v == v)
    covered = 0
    for k in names:
        covered |= bits[k]
    return Flags(names, False, n & ~covered, tuple((k, (at,)) for k in sorted(names, key=bits.__getitem__)))


def as_flags(v: Val, bits: dict[str, int], at: Pos) -> Flags:
    if isinstance(v, Flags):
        return v
    if isinstance(v, Lit) and isinstance(v.value, int):  # bool is an int too, as in Python
        return decode(int(v.value), bits, v.origin or at)
    if isinstance(v, Unknown) and v.falsy:
        return Flags()
    return Flags(unknown=True)


def flags_or(a: Flags, b: Flags) -> Flags:
    return Flags(a.names | b.names, a.unknown or b.unknown, a.extra | b.extra, _where_merge(a.where, b.where))


def flags_add(a: Flags, b: Flags) -> Flags:
    """``a + b``: the same as ``|`` for distinct flags; overlapping ones carry into other bits."""
    if a.names & b.names or a.extra & b.extra or a.unknown or b.unknown:
        return Flags(unknown=True)
    return flags_or(a, b)


def flags_without(a: Flags, b: Flags) -> Flags:
    """``a & ~b``. When ``b`` may hold more bits, so may the result lose more: it is unknown."""
    if b.unknown:
        return Flags(unknown=True)
    names = a.names - b.names
    return Flags(names, a.unknown, a.extra & ~b.extra, _where_keep(a.where, names))


def flags_and(a: Flags, b: Flags) -> Flags:
    names = a.names & b.names
    unknown = (a.unknown and (b.unknown or bool(b.names))) or (b.unknown and bool(a.names))
    return Flags(names, unknown, a.extra & b.extra, _where_keep(a.where, names))


# --- strings, lists, parameters ----------------------------------------------------------------------

def text_of(v: Val) -> Text:
    if isinstance(v, Lit) and isinstance(v.value, str):
        return Text((v.value,))
    if isinstance(v, Lit) and v.value is not None and not isinstance(v.value, bool):
        return Text((str(v.value),))
    if isinstance(v, Text):
        return v
    return Text((None,))


def known_prefix(v: Val) -> str | None:
    """The start of a string that is known: the whole of a literal, the first piece of a string built of pieces."""
    if isinstance(v, Lit) and isinstance(v.value, str):
        return v.value
    if isinstance(v, Text) and v.parts and v.parts[0] is not None:
        return v.parts[0]
    return None


def make_text(parts: list[str | None]) -> Lit | Text:
    """Join adjacent known pieces; a string with every piece known is a literal."""
    out: list[str | None] = []
    for p in parts:
        if p is not None and out and out[-1] is not None:
            out[-1] = str(out[-1]) + p
        else:
            out.append(p)
    if all(p is not None for p in out):
        return Lit("".join(p for p in out if p is not None))
    return Text(tuple(out))


def is_str(v: Val) -> bool:
    return isinstance(v, Text) or (isinstance(v, Lit) and isinstance(v.value, str))


def param_value(v: Val) -> ParamValue:
    """A typed parameter's value as the request model holds it: str, int, a tuple of str, or UNKNOWN. A false
    value not seen (``[]``, ``None``, ``""``: ``disks`` where ``if not disks`` held) is ``()``, as an empty list
    is: libvirt-python sends nothing for an empty list, and no string or number for the others."""
    if isinstance(v, Unknown) and v.falsy:
        return ()
    if isinstance(v, Lit) and isinstance(v.value, (str, int)) and not isinstance(v.value, bool):
        return v.value
    if isinstance(v, Seq) and not v.open:
        vals = [i.value for i in v.items]
        if all(isinstance(x, Lit) and isinstance(x.value, str) and not i.star for x, i in zip(vals, v.items)):
            return tuple(str(x.value) for x in vals if isinstance(x, Lit))
    return UNKNOWN


def from_param(p: ParamValue, pos: Pos) -> Val:
    if isinstance(p, (str, int)):
        return Lit(p)
    if isinstance(p, tuple):
        return Seq(tuple(Item(Lit(s), pos, repr(s)) for s in p))
    return Unknown()


def as_params(v: Val) -> Params:
    if isinstance(v, Params):
        return v
    if isinstance(v, Unknown) and v.falsy:
        return Params()
    return Params(open=True)


def truth(v: Val) -> bool | None:
    """Whether a value is true, when it is known."""
    if isinstance(v, Lit):
        return bool(v.value)
    if isinstance(v, Unknown) and v.falsy:
        return False
    if isinstance(v, Flags) and (v.names or v.extra or not v.unknown):
        return bool(v.names or v.extra)
    if isinstance(v, Params) and not v.open:
        return bool(v.items)
    if isinstance(v, Seq) and not v.open and not any(i.star for i in v.items):
        return bool(v.items)
    return None


# --- string building ---------------------------------------------------------------------------------

_FORMAT = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?([a-zA-Z%])")


def percent(fmt: Val, args: Val) -> Val:
    if not (isinstance(fmt, Lit) and isinstance(fmt.value, str)):
        return Text((None,))
    vals = [i.value for i in args.items] if isinstance(args, Seq) and not args.open else [args]
    parts: list[str | None] = []
    pos = 0
    for m in _FORMAT.finditer(fmt.value):
        parts.append(fmt.value[pos:m.start()])
        pos = m.end()
        if m.group(1) == "%":
            parts.append("%")
        elif m.group(1) in "sd" and vals and "(" not in m.group(0):
            parts += list(text_of(vals.pop(0)).parts)
        else:
            parts.append(None)
            vals = vals[1:]
    parts.append(fmt.value[pos:])
    return make_text(parts)


def str_format(fmt: str, args: list[Val], kw: dict[str, Val]) -> Val:
    parts: list[str | None] = []
    auto = 0
    try:
        fields = list(string.Formatter().parse(fmt))
    except ValueError:
        return Unknown()
    for lit, name, spec, conv in fields:
        parts.append(lit)
        if name is None:
            continue
        v: Val | None
        if name == "":
            v, auto = (args[auto] if auto < len(args) else None), auto + 1
        elif name.isdigit():
            v = args[int(name)] if int(name) < len(args) else None
        else:
            v = kw.get(name)
        parts += list(text_of(v).parts) if v is not None and not spec and not conv else [None]
    return make_text(parts)


# --- paths -----------------------------------------------------------------------------------------

class TooManyPaths(Exception):
    """More states than the bound: the code cannot be followed path by path."""


class About(NamedTuple):
    """What a condition says of one variable when it holds: its value is one of ``values`` (``inside``), or none
    of them (``mode == 'tunnel'``: mode, {'tunnel'}, True; ``x not in (1, 2)``: x, {1, 2}, False)."""

    subject: str
    values: frozenset[object]
    inside: bool


@dataclass(frozen=True)
class Known:
    """A condition decided on a path. ``hidden``: decided by an early exit, not shown until it matters.
    ``about``: what it says of a variable when true."""

    value: bool
    keys: frozenset[str]
    hidden: Guard | None = None
    about: About | None = None


@dataclass(frozen=True)
class State:
    guards: tuple[Guard, ...] = ()
    known: dict[str, Known] = field(default_factory=dict)
    env: dict[str, Val] = field(default_factory=dict)
    dom: str | None = None  # the domain's state, when a guard tells it

    def bind(self, key: str, v: Val) -> State:
        return replace(self, env={**self.env, key: v})

    def forget(self, keys: AbstractSet[str]) -> State:
        """Assigning a variable forgets the conditions that read it (and which parameters are its value)."""
        out = self
        if any(isinstance(v, Params) and v.refs for v in self.env.values()):
            known = {t: k.value for t, k in self.known.items()}
            out = replace(out, env={k: v.unref(keys, known) if isinstance(v, Params) else v
                                    for k, v in self.env.items()})
        if not any(k.keys & keys for k in self.known.values()):
            return out
        return replace(out, known={t: k for t, k in self.known.items() if not k.keys & keys})

    def decide(self, g: Guard, keys: frozenset[str], shown: bool, dom: str | None,
               about: About | None = None) -> State:
        guards = self.guards + (g,) if shown else self.guards
        known = {**self.known, g.text: Known(g.value, keys, None if shown else g, about)}
        return State(guards, known, self.env, dom or self.dom)

    def possible(self, subject: str) -> bool:
        """Whether the conditions decided on this path leave the variable some value (``mode == 'a'`` and
        ``mode == 'b'`` do not; a variable assigned since is another one: its conditions are forgotten)."""
        inside: list[frozenset[object]] = []
        outside: set[object] = set()
        for k in self.known.values():
            if k.about is not None and k.about.subject == subject:
                if k.about.inside == k.value:
                    inside.append(k.about.values)
                else:
                    outside |= k.about.values
        return not inside or bool(frozenset.intersection(*inside) - outside)

    def show(self, text: str) -> State:
        k = self.known[text]
        if k.hidden is None:
            return self
        return State(self.guards + (k.hidden,), {**self.known, text: replace(k, hidden=None)}, self.env, self.dom)

