"""libvirt's migration vocabulary (flags, typed parameters, virsh options), read from policies/vocabulary.yaml."""

from __future__ import annotations

import re

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from ..errors import UserError, did_you_mean
from ..errors import shown as shown_value
from ..version import Version, format_version, parse_version

# A version a fact takes (the QEMU version): numbers and dots, as --qemu-version takes it
VERSION_TEXT = re.compile(r"\s*\d+(\.\d+)*\s*$")

FLAG_PREFIX = "VIR_MIGRATE_"
PARAM_PREFIX = "VIR_MIGRATE_PARAM_"


class FlagDef(NamedTuple):
    name: str  # short name, e.g. LIVE
    bit: int
    since: Version

    @property
    def value(self) -> int:
        return 1 << self.bit

    @property
    def macro(self) -> str:
        return FLAG_PREFIX + self.name


class ParamDef(NamedTuple):
    name: str  # short macro name, e.g. URI
    key: str  # typed-parameter key, e.g. migrate_uri
    type: str  # string | int | ullong
    multi: bool
    since: Version

    @property
    def macro(self) -> str:
        return PARAM_PREFIX + self.name


class OptionDef(NamedTuple):
    name: str
    type: str  # bool | string | int | uint | ullong
    flag: str | None
    param: str | None  # param key
    split: str | None
    file: bool
    required: bool
    positions: tuple[tuple[Version, int | None], ...]
    since: Version
    mode: str | None

    def position(self, version: Version) -> int | None:
        """Positional slot at this version: the entry of the newest listed version not newer than it."""
        best: int | None = None
        best_v: Version | None = None
        for v, idx in self.positions:
            if v <= version and (best_v is None or v > best_v):
                best, best_v = idx, v
        if best_v is None and self.positions:
            # Older than every listed version: behave like the oldest one.
            best = self.positions[0][1]
        return best


_INT_RANGES = {
    "int": (-(2**31), 2**31 - 1),
    "uint": (0, 2**32 - 1),
    "ullong": (0, 2**64 - 1),
}


class FactDef(NamedTuple):
    """A fact rules may read besides the request (vocabulary ``facts``)."""

    name: str
    type: str  # integer, boolean, string, list, version
    meaning: str
    sources: tuple[str, ...]
    internal: bool  # set by miglint itself, never given

    @property
    def type_words(self) -> str:
        return {"integer": "an integer", "boolean": "true or false", "string": "a string",
                "list": "a list of strings (or one string)", "version": 'a version such as "7.2" (a string)'}[self.type]


def int_range(type_: str) -> tuple[int, int]:
    return _INT_RANGES[type_]


class Vocabulary:
    def __init__(self, data: Mapping[str, Any]) -> None:
        self.versions_known: tuple[Version, ...] = tuple(parse_version(v) for v in data["versions_known"])
        self.newest: Version = max(self.versions_known)
        self.flags: dict[str, FlagDef] = {}
        for f in data["flags"]:
            fd = FlagDef(f["name"], int(f["bit"]), parse_version(f["since"]))
            self.flags[fd.name] = fd
        self.all_flags_mask = sum(f.value for f in self.flags.values())
        self.params: dict[str, ParamDef] = {}
        self._param_by_name: dict[str, str] = {}
        for p in data["params"]:
            pd = ParamDef(p["name"], p["key"], p["type"], bool(p.get("multi", False)), parse_version(p["since"]))
            self.params[pd.key] = pd
            self._param_by_name[pd.name] = pd.key
        self.options: dict[str, OptionDef] = {}
        self.aliases: dict[str, str] = {}
        for o in data["virsh_options"]:
            if "alias_of" in o:
                self.aliases[o["name"]] = o["alias_of"]
                continue
            flag = o.get("flag")
            param = self.param_key(o["param"]) if o.get("param") else None
            if "since" in o:
                since = parse_version(o["since"])
            elif flag:
                since = self.flags[flag].since
            elif param:
                since = self.params[param].since
            else:
                since = (0, 0, 0)
            positions = tuple(sorted((parse_version(v), None if i is None else int(i))
                                     for v, i in (o.get("position") or {}).items()))
            self.options[o["name"]] = OptionDef(
                o["name"], o["type"], flag, param, o.get("split"), bool(o.get("file", False)),
                bool(o.get("required", False)), positions, since, o.get("mode"),
            )
        # The order virsh reads value options in (it reports the first bad value in this order), per version.
        orders = data.get("virsh_read_order") or []
        if isinstance(orders, list):
            orders = {"0.0.0": orders}
        self._read_orders: tuple[tuple[Version, dict[str, int]], ...] = tuple(sorted(
            (parse_version(v), {name: i for i, name in enumerate(names)}) for v, names in orders.items()))
        self.option_for_flag = {o.flag: o.name for o in self.options.values() if o.flag}
        self.option_for_param = {o.param: o.name for o in self.options.values() if o.param}
        self.modes: dict[str, Any] = dict(data["modes"])
        self.mode_flag: str = data["mode_flag"]
        self.error_codes: dict[str, dict[str, Any]] = dict(data["error_codes"])
        self.uri_drivers: dict[str, str] = dict(data["uri_drivers"])
        self.hypervisor_aliases: dict[str, str] = dict(data.get("hypervisor_aliases") or {})
        # virConnectGetType -> policy, and the shared-filesystem table (used by `check --connect` only).
        self.connection_types: dict[str, dict[str, str]] = dict(data.get("connection_types") or {})
        self.shared_filesystems: dict[str, Any] = dict(data.get("shared_filesystems") or
                                                       {"fuse_magic": 0, "magic": [], "fuse": []})
        # libvirt version -> (the QEMU version assumed when a request does not give qemu.version, where from).
        self.qemu_assumed: dict[Version, tuple[str, str]] = {
            parse_version(row["libvirt"]): (str(row["qemu"]), str(row.get("release", "")))
            for row in data.get("qemu_assumed") or []}
        # What miglint takes for granted when a request does not say (the policy set compiles the conditions).
        self.assume: dict[str, Any] = dict(data.get("assume") or {})
        self.facts: dict[str, FactDef] = {
            f["name"]: FactDef(f["name"], f["type"], f["meaning"], tuple(f.get("from", [])), bool(f.get("internal")))
            for f in data.get("facts") or []}

    def read_order(self, version: Version) -> dict[str, int]:
        """Option -> position in the order virsh reads value options, at this libvirt version."""
        chosen: dict[str, int] = self._read_orders[0][1] if self._read_orders else {}
        for since, order in self._read_orders:
            if since <= version:
                chosen = order
        return chosen

    def assumed_qemu(self, version: Version) -> str | None:
        """The QEMU version a request at this libvirt version is assumed to run with (None: no assumption)."""
        row = self.qemu_assumed.get(version)
        return row[0] if row else None

    # -- flags ---------------------------------------------------------------------------------

    def flag(self, name: str) -> FlagDef:
        short = name.strip().upper()
        if short.startswith(FLAG_PREFIX):
            short = short[len(FLAG_PREFIX):]
        fd = self.flags.get(short)
        if fd is None:
            option = self.options.get(self.resolve_option(name.strip().lstrip("-").lower()))
            if option is not None and option.flag:  # virsh's spelling: p2p, --copy-storage-all, ...
                raise UserError(f"unknown migration flag {name!r:.80} (did you mean {option.flag!r}, virsh's "
                                f"--{option.name}?)")
            raise UserError(f"unknown migration flag {name!r:.80}{did_you_mean(short, self.flags)}")
        return fd

    def mask(self, names: Iterable[str]) -> int:
        m = 0
        for n in names:
            m |= self.flag(n).value
        return m

    def flags_value(self, value: object) -> int:
        """Flags given as an int bitmask, a "0x.." string, a "A|B" string or a list of names."""
        if isinstance(value, bool):
            raise UserError("flags must be a list of names or an integer bitmask, not a boolean")
        if isinstance(value, int):
            if value < 0 or value >= 1 << 32:
                raise UserError(f"flags bitmask {value} is out of range (0 to 0xffffffff)")
            return value
        if isinstance(value, str):
            text = value.strip()
            try:
                return self.flags_value(int(text, 0))
            except ValueError:
                pass
            return self.mask(p for p in text.replace(",", "|").split("|") if p.strip())
        if isinstance(value, (list, tuple)):
            m = 0
            for item in value:
                if not isinstance(item, str):
                    raise UserError(f"flag names must be strings, got {shown_value(item)}")
                m |= self.flag(item).value
            return m
        raise UserError(f"flags must be a list of names or an integer bitmask, got {type(value).__name__}")

    def flag_names(self, mask: int) -> list[str]:
        by_bit = self.__dict__.get("_by_bit")
        if by_bit is None:
            by_bit = self.__dict__["_by_bit"] = tuple((f.name, f.value) for f in sorted(self.flags.values(),
                                                                                          key=lambda f: f.bit))
        names = [name for name, value in by_bit if mask & value]
        rest = mask & ~self.all_flags_mask
        bit = 0
        while rest:
            if rest & 1:
                names.append(f"0x{1 << bit:x}")
            rest >>= 1
            bit += 1
        return names

    def flags_known_at(self, version: Version) -> int:
        return sum(f.value for f in self.flags.values() if f.since <= version)

    # -- params --------------------------------------------------------------------------------

    def param_key(self, name: str) -> str:
        """Accept a key (migrate_uri), a macro (VIR_MIGRATE_PARAM_URI) or its short name (URI)."""
        if name in self.params:
            return name
        short = name.strip()
        if short.upper().startswith(PARAM_PREFIX):
            short = short[len(PARAM_PREFIX):]
        key = self._param_by_name.get(short.upper())
        if key is None:
            option = self.options.get(self.resolve_option(name.strip().lstrip("-").lower()))
            if option is not None and option.param:  # virsh's spelling: migrateuri, bandwidth, ...
                raise UserError(f"unknown migration parameter {name!r:.80} (did you mean {option.param!r}, virsh's "
                                f"--{option.name}?)")
            choices = list(self.params) + list(self._param_by_name)
            raise UserError(f"unknown migration parameter {name!r:.80}{did_you_mean(name, choices)}")
        return key

    # -- facts ---------------------------------------------------------------------------------

    def fact(self, name: str, shown: str | None = None) -> FactDef:
        """The fact named so (``shown``: as the user wrote it, for the message: 'migrate_tls_forc' in a plan's
        ``host``); an unknown or internal name is a UserError with the closest known name."""
        fd = self.facts.get(name)
        if fd is None or fd.internal:
            given = [n for n, f in self.facts.items() if not f.internal]
            prefix = name[:len(name) - len(shown)] if shown is not None and name.endswith(shown) else ""
            pool = [n[len(prefix):] for n in given if n.startswith(prefix)] if prefix else given
            what = shown if shown is not None else name
            hint = did_you_mean(what, pool)
            known = "; known: " + ", ".join(pool) if not hint else ""
            raise UserError(f"unknown fact {what!r:.80}{hint}{known}")
        return fd

    def fact_value(self, name: str, value: Any, shown: str | None = None) -> Any:
        """A fact's value checked against its type (a list becomes a tuple; one string is a list of one)."""
        fd = self.fact(name, shown)
        t = fd.type
        ok: Any = None
        if t == "integer" and isinstance(value, int) and not isinstance(value, bool):
            ok = value
        elif t == "boolean" and isinstance(value, bool):
            ok = value
        elif t == "string" and isinstance(value, str):
            ok = value
        elif t == "version" and isinstance(value, str) and VERSION_TEXT.match(value):
            ok = value.strip()
        elif t == "list" and isinstance(value, str):
            ok = (value,)
        elif t == "list" and isinstance(value, (list, tuple)) and all(isinstance(x, str) for x in value):
            ok = tuple(value)
        if ok is None:
            if t == "version" and isinstance(value, (int, float)) and not isinstance(value, bool):
                raise UserError(f"fact {shown or name!r} takes a version as a string: write '{value}' in quotes "
                                f"(a number loses its trailing zeros: 7.10 reads as 7.1)")
            raise UserError(f"fact {shown or name!r} takes {fd.type_words}, got {shown_value(value, 60)}")
        return ok

    def param_key_or_name(self, name: str) -> str:
        """The key of a parameter libvirt defines, else the name as given (a key the driver will refuse)."""
        try:
            return self.param_key(name)
        except UserError:
            return name

    def params_known_at(self, version: Version) -> frozenset[str]:
        return frozenset(k for k, p in self.params.items() if p.since <= version)

    # -- virsh options -------------------------------------------------------------------------

    def options_at(self, version: Version) -> dict[str, OptionDef]:
        return {n: o for n, o in self.options.items() if o.since <= version}

    def resolve_option(self, name: str) -> str:
        return self.aliases.get(name, name)

    # -- versions ------------------------------------------------------------------------------

    def flag_word(self, flag: str) -> str:
        """How a user writes a flag: its virsh option, else its macro."""
        opt = self.option_for_flag.get(flag)
        return f"--{opt}" if opt else f"{FLAG_PREFIX}{flag}"

    def param_word(self, key: str) -> str:
        """How a user writes a typed parameter: its virsh option, else its key."""
        opt = self.option_for_param.get(key)
        return f"--{opt}" if opt else f"parameter {key}"

    def version(self, text: str | None) -> Version:
        return self.newest if text in (None, "") else parse_version(str(text))

    def version_text(self, v: Version) -> str:
        return format_version(v)

    def printed_message(self, code: str | None, message: str, prefixed: bool) -> str:
        if not code or not prefixed:
            return message
        return str(self.error_codes.get(code, {}).get("prefix", "")) + message
