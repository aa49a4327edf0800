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
    # Code that computes its request: any other flag (any other typed parameter) may be set, from a value
    # miglint cannot see (flag names read from a file, a dict handed to another function).
    open_flags: bool = False
    open_params: bool = False


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


class Related(NamedTuple):
    """A place that led to a finding besides where it is reported: where code set a flag or parameter at fault,
    or a condition of the way through the code that leads there (SARIF's related locations)."""

    rule: str
    location: Location
    message: str


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
    related: tuple[Related, ...] = field(default=())


class Condition(NamedTuple):
    """A condition on one way through code: as written (``not`` taken off), the value it has there, and where.
    ``kind``: "code", a test the code makes (both ways are written); "value", a flag a value miglint cannot see
    may hold or not (``text`` names it)."""

    text: str
    value: bool
    location: Location
    kind: str = "code"


class Way(NamedTuple):
    """One way through code to a call: the conditions that lead there, and the request the call makes then (its
    job's ``subject_locations`` say where each flag, parameter or option was written; several for one subject)."""

    job: Job
    when: tuple[Condition, ...] = ()


class Ways(NamedTuple):
    """A call in code (a libvirt-python migrate call, a ``virsh migrate`` run from Python) with each way to it:
    every way's request is evaluated, and the call gets one result (``engine.paths.combine``). ``job`` is the
    call: its id, location, text and suppressions. ``too_many``: more ways than are followed one by one; the one
    way then makes a request whose flags and parameters are open."""

    job: Job
    ways: tuple[Way, ...]
    too_many: bool = False
