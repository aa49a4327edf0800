"""The fact model shared by inputs, the evaluator and reporters. Typed, immutable, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple, Union


class _Unknown:
    """A value the input could not know (a shell ``$VAR`` or ``$(...)``): rules that test it say "depends"."""

    __slots__ = ()
    _instance: "_Unknown | None" = None

    def __new__(cls) -> "_Unknown":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __reduce__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()

ParamValue = Union[str, int, tuple[str, ...], _Unknown]
OptionValue = Union[bool, str, int, _Unknown]
# A fact the input could not know (a file disk's storage when nothing says whether it is shared) is UNKNOWN:
# rules that test it say "depends", while ``needs`` counts it as present.
FactValue = Union[str, int, bool, float, tuple[str, ...], None, _Unknown]

STATES = ("running", "paused", "shutoff", "unknown")
# A state miglint assumes, never one a user gives: the domain runs or is paused (what a migration without
# --offline says of it; vocabulary "assume").
ACTIVE = "active"
ACTIVE_STATES = ("running", "paused")
MODES = ("managed", "p2p", "direct")
SEVERITIES = ("error", "warning", "info")
# Effects under which libvirt refuses the request (reject: a check refuses it; fail: it breaks at run time).
# warn and info are advice; policy is an organisation's rule: it fails the check but never the prediction.
REJECTING = ("reject", "fail")


class VirshProblem(NamedTuple):
    """Something virsh's own parser refuses (unknown option, malformed number, ...), kept as a fact for the virsh layer."""

    kind: str
    option: str = ""
    value: str = ""
    hint: str = ""  # unknown_option: the known option it is closest to


@dataclass(frozen=True, slots=True)
class Request:
    """One migration request, as libvirt would receive it. Hashable: equal requests give equal results."""

    hypervisor: str
    libvirt_version: str
    state: str = "unknown"
    mode: str = "managed"
    flags: int = 0
    params: tuple[tuple[str, ParamValue], ...] = ()
    # virsh options as given (aliases resolved), or None when the request did not come from a virsh line.
    options: tuple[tuple[str, OptionValue], ...] | None = None
    virsh_problems: tuple[VirshProblem, ...] = ()
    facts: tuple[tuple[str, FactValue], ...] = ()
    # A bare $VAR where an option could be: any option may be present, so absence is unknown.
    open_options: bool = False
    domain: str | None = None
    desturi: str | None = None
    connect_uri: str | None = None


class Fix(NamedTuple):
    add_flags: tuple[str, ...] = ()
    remove_flags: tuple[str, ...] = ()
    add_options: tuple[str, ...] = ()
    remove_options: tuple[str, ...] = ()
    remove_params: tuple[str, ...] = ()
    set_params: tuple[tuple[str, ParamValue], ...] = ()
    safe: bool = False
    text: str = ""

    def is_empty(self) -> bool:
        return not (self.add_flags or self.remove_flags or self.add_options or self.remove_options
                    or self.remove_params or self.set_params)

    def is_removal(self) -> bool:
        """It only removes flags (nothing added, no option or parameter touched)."""
        return not (self.add_flags or self.add_options or self.remove_options or self.remove_params
                    or self.set_params)


class Source(NamedTuple):
    file: str
    function: str
    libvirt: str
    ref: str = ""
    note: str = ""


class Finding(NamedTuple):
    rule: str
    name: str
    severity: str
    effect: str  # reject: libvirt refuses the request; warn: accepted, with a consequence; fail: breaks at run time
    message: str
    code: str | None
    why: str
    fix: Fix
    source: Source
    phase: str
    kind: str
    depends_on: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    policy: str = ""
    # For a finding that depends on the domain's state: the states in which the rule fires.
    states: tuple[str, ...] = ()


class Result(NamedTuple):
    request: Request
    prediction: str  # accepted | rejected | depends
    first_error: Finding | None
    findings: tuple[Finding, ...]
    depends_on: tuple[str, ...] = ()


class Location(NamedTuple):
    file: str
    line: int
    column: int


class Suppression(NamedTuple):
    """One rule (id or name) switched off by a script comment or a plan's ``ignore``, with why and where.

    scope: "line" (a comment on or above the command), "file" (``disable-file``, a plan's top-level
    ``ignore``) or "entry" (a plan entry's ``ignore``)."""

    rule: str
    reason: str
    location: Location | None
    scope: str = "line"


class Note(NamedTuple):
    """Something about the input rather than a request (an unused suppression, a here-document not read),
    under one of miglint's own rule ids (``M001``...). ``line`` and ``column`` are 0 when they do not apply."""

    rule: str
    name: str
    severity: str
    message: str
    file: str | None = None
    line: int = 0
    column: int = 0


@dataclass(frozen=True, slots=True)
class Job:
    """A request with where it came from: an id, the text, and a location per subject ("option:live", ...)."""

    id: str
    request: Request
    location: Location | None = None
    subject_locations: tuple[tuple[str, Location], ...] = ()
    text: str | None = None
    suppressed: tuple[Suppression, ...] = field(default=())
    # What miglint took for granted because the input did not say ("the domain runs: no --offline", ...).
    assumed: tuple[str, ...] = field(default=())
    # Where the request's state came from when the input says it other than as a value (a comment, the loop
    # feeding the domain; "" when it does not): no assumption replaces it, even when it says "any state".
    state_from: str = ""
    # The shell words of a command line as its reader found them (miglint.inputs.shell.Word, with their
    # offsets in the file): what `fix` edits. None for a request that is not a command line.
    words: tuple[Any, ...] | None = None
