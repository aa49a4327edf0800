"""Throughput for JSON Lines plans with compact output: an entry whose outcome is known is written from it.

Two plan entries that differ only in what no rule reads (their id, the VM's name, a new name on the
destination, a bandwidth below every limit, a destination host that is not this one) have one outcome: the
same prediction, findings and fix, so the same compact result apart from its id and line. The key of an entry
is made from its values as they are in the line, the way engine.projection makes a request's: every value the
request is made of, exactly, except those only tested by conditions, which are kept as their tests' answers
(the tests of the entry's hypervisor's rules and of the assumptions), and those no condition reads, of which
only the presence counts.

The first entry of a key goes the ordinary way (job, evaluation, fix plan, reporters) and its result, without
id and line (json2.Body), is kept; later entries of the key are written from it, and counted for the summary
by kind of outcome. Not kept: an entry whose findings show values the key leaves out (``{domain}``,
``{value}``), and any entry of another shape (a command, ``ignore``, ``domain_xml``, a value of an unusual type)
or in error: those always go the ordinary way. Bounded: at most MAX_KEYS outcomes and MAX_BYTES of their text,
least recently used first out; tests/unit/test_entry_memo.py compares the output with the ordinary path's.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Hashable
from json.encoder import encode_basestring
from typing import Any, NamedTuple

from .engine.evaluate import Evaluator
from .engine.fixes import FixPlan
from .engine.projection import REQUEST_FACTS, Projection, Signer, reads
from .errors import UserError
from .jsonl_templates import Counted, after_id
from .model import MODES, STATES, Job, Result
from .outputs.reporters.json2 import Body, CompactJsonReporter
from .policy.conditions import walk
from .policy.load import PolicySet
from .policy.vocabulary import int_range
from .settings import Defaults

MAX_KEYS = 4096
MAX_BYTES = 4 << 20
MAX_TABLE = 4096  # flag lists and (hypervisor, state, version, mode) already checked
MAX_TEXTS, MAX_TEXTS_BYTES = 1024, 1 << 20  # lines after their id: they help only plans whose lines repeat
# The keys of an entry this path takes (others, such as command, ignore and domain_xml, go the ordinary way).
PLAIN_KEYS = frozenset(("id", "hypervisor", "state", "libvirt_version", "mode", "flags", "params", "facts", "host",
                        "qemu_version", "domain", "desturi"))
_STATES = frozenset(STATES)
_MODES = frozenset(MODES)
_ID_TYPES = (str, int, float, type(None))


class Kind(NamedTuple):
    """What the summary counts of an outcome."""

    prediction: str
    severities: tuple[str, ...]
    suppressed: int
    failing: bool
    conditional: int


class Outcome:
    __slots__ = ("body", "kind")

    def __init__(self, body: Body, kind: Kind) -> None:
        self.body, self.kind = body, kind


class _Driver:
    """What the rules of one hypervisor (and the assumptions) read of parameter values and of the request's
    domain name and destination URI."""

    def __init__(self, policies: PolicySet, name: str, signers: dict[tuple[int, ...], Signer]) -> None:
        driver = policies.driver(name)
        nodes = [n for r in driver.rules for n in walk(r.when)]
        nodes += [n for node, _, _ in policies.assumed_states for n in walk(node)]
        projection = Projection([reads(nodes)], signers)
        self.opaque = projection.opaque
        self.params = projection.params
        self.domain = _reader(projection.facts, "request.domain")
        self.desturi = _reader(projection.facts, "request.desturi")


def _reader(signers: dict[str, Signer | None], name: str) -> Signer:
    """How the key keeps one of the request's own values: its presence, its signature or itself."""
    if name not in signers:
        return _presence
    signer = signers[name]
    return _exact if signer is None else signer


def _presence(v: Any) -> Hashable:
    return True


def _exact(v: Any) -> Hashable:
    return (v.__class__, v)


class EntryMemo:
    """The outcomes of a run's JSON Lines entries (see the module docstring). The reader calls ``begin`` per
    file and ``seen`` per parsed line (True: written); the pipeline hands the job of a new key back through
    ``record``, and asks ``repeated`` for the counts at the end."""

    def __init__(self, policies: PolicySet, defaults: Defaults, evaluator: Evaluator,
                 reporters: list[CompactJsonReporter]) -> None:
        self.policies, self.defaults, self.evaluator, self.reporters = policies, defaults, evaluator, reporters
        vocab = policies.vocab
        self.params = vocab.params
        self.ranges = {k: int_range(p.type) for k, p in vocab.params.items() if p.type in ("int", "uint", "ullong")}
        self.drivers: dict[str, _Driver] = {}
        self.masks: dict[tuple[Any, ...], int] = {}
        self.contexts: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        self.bodies: dict[str, Body] = {}  # one copy of each result text (bounded like the outcomes)
        self.bodies_size = 0
        self.outcomes: OrderedDict[Hashable, Outcome | None] = OrderedDict()
        self.texts: dict[str, Hashable] = {}  # a line's text after its leading id -> the entry's key
        self.texts_size = 0
        self.size = 0
        self.counts: Counter[Kind] = Counter()
        self.file = ""
        self.files: list[int] = []
        self.new: Hashable | None = None
        self.pending: tuple[Job, Hashable] | None = None
        self.served_id = ""

    def begin(self, file: str) -> None:
        self.file = file
        self.files = []  # the reporters' index of the file, once a line of it is served (an earlier one listed it)

    def seen_text(self, text: str, line: int) -> bool:
        """The same as ``seen`` without parsing the line, for a line ``{"id": "ID", REST`` whose REST followed
        another id on a line that parsed (and holds no other "id" member): the same entry with another id, when ID
        is a plain JSON string (no escapes, no control characters)."""
        rest, ident = after_id(text)
        if rest is None:
            return False
        key = self.texts.get(rest)
        if key is None:
            return False
        got = self.outcomes.get(key)
        if got is None:
            return False
        self.outcomes.move_to_end(key)
        self._write(ident, line, got)
        return True

    def seen(self, text: str, entry: Any, line: int) -> bool:
        """Write the entry's result from a known outcome and return True; else remember its key, if it has one."""
        self.new = None
        key = self.key(entry)
        if key is None:
            return False
        rest, _ = after_id(text)
        if rest is not None and '"id"' not in rest:
            if len(self.texts) >= MAX_TEXTS or self.texts_size + len(rest) > MAX_TEXTS_BYTES:
                self.texts.clear()
                self.texts_size = 0
            self.texts[rest] = key
            self.texts_size += len(rest)
        got = self.outcomes.get(key)
        if got is None:
            if key not in self.outcomes:
                self.new = key
            return False
        self.outcomes.move_to_end(key)
        ident = entry.get("id")
        if ident is None:  # no id (or null): the file and the entry's number, as the ordinary path names it
            ident = f"{self.file}#{line}"
        elif ident.__class__ is not str:
            ident = str(ident)  # a number
        self._write(ident, line, got)
        return True

    def _write(self, ident: str, line: int, got: Outcome) -> None:
        id_json = encode_basestring(ident)
        if not self.files:
            self.files = [r.file_index(self.file) for r in self.reporters]
        for r, file in zip(self.reporters, self.files):
            r.write_body(id_json, file, line, got.body)
        self.counts[got.kind] += 1
        self.served_id = ident

    def expect(self, job: object) -> None:
        if self.new is not None and isinstance(job, Job):
            self.pending = (job, self.new)

    def record(self, job: Job, result: Result, plan: FixPlan | None, suppressed: int, fails: bool) -> bool:
        """After the pipeline evaluated a job: when it is a new key's, keep its outcome, and write it from that (True);
        else the reporters write it as usual (False)."""
        pending, self.pending = self.pending, None
        # The job the reader made, or that job with the state assumed (pipeline.as_checked: the assumption is
        # read from what the key holds, so every entry of the key gets it).
        if pending is None or (pending[0] is not job and pending[0].location is not job.location):
            return False
        key = pending[1]
        loc = job.location
        keep = loc is not None and loc.column == 1 and not job.subject_locations and not job.text \
            and not self._own_values(result) and (plan is None or not self._own_values(plan.result))
        outcome = None
        if keep and loc is not None:
            files = [r.file_index(loc.file) for r in self.reporters]  # listed before the rules the body refers to
            kind = Kind(result.prediction, tuple(f.severity for f in result.findings if not f.depends_on), suppressed,
                        fails, sum(1 for f in result.findings if f.depends_on))
            body = self.reporters[0].body(job, result, plan)
            known = self.bodies.get(body.text)
            if known is None:
                if len(self.bodies) >= MAX_KEYS or self.bodies_size + len(body.text) > MAX_BYTES:
                    self.bodies.clear()
                    self.bodies_size = 0
                self.bodies[body.text] = body
                self.bodies_size += len(body.text)
            else:
                body = known
            outcome = Outcome(body, kind)
            self.size += len(outcome.body.text)
            id_json = encode_basestring(job.id)
            for r, file in zip(self.reporters, files):
                r.write_body(id_json, file, loc.line, outcome.body)
        self.outcomes[key] = outcome
        while len(self.outcomes) > MAX_KEYS or self.size > MAX_BYTES:
            _, old = self.outcomes.popitem(last=False)
            if old is not None:
                self.size -= len(old.body.text)
        return outcome is not None

    def _own_values(self, result: Result) -> bool:
        """Whether the findings show values of the entry that its key does not hold as they are (the key holds
        facts exactly: a fact's value shown is every entry's of the key)."""
        return any(source != "fact" or name in REQUEST_FACTS for source, name in self.evaluator.shown(result))

    def repeated(self) -> list[Counted]:
        """The counts of the entries written from known outcomes (for the summary)."""
        return [Counted(*kind, n) for kind, n in self.counts.items()]

    # -- the key -------------------------------------------------------------------------------------------

    def key(self, e: Any) -> Hashable | None:
        """What the entry's outcome turns on (see the module docstring), or None: not an entry of the plain kind."""
        if e.__class__ is not dict or not PLAIN_KEYS.issuperset(e) or e.get("id").__class__ not in _ID_TYPES:
            return None
        d = self.defaults
        raw = (e.get("hypervisor", d.hypervisor), e.get("state", d.state), e.get("libvirt_version", d.libvirt_version),
               e.get("mode", d.mode))
        try:
            context = self.contexts.get(raw)
        except TypeError:  # a list where a string goes: the ordinary way says what is wrong
            return None
        if context is None:
            context = self._context(raw)
            if context is None:
                return None
        elif not context:
            return None
        driver = context[0]
        flags = e.get("flags", 0)
        if flags.__class__ is list:
            names = tuple(flags)
            flags = self.masks.get(names)
            if flags is None:
                flags = self._mask(names)
                if flags is None:
                    return None
        elif flags.__class__ is not int:
            return None  # a "A|B" string: the ordinary way
        elif not 0 <= flags < 1 << 32:
            return None
        params = e.get("params")
        if params is not None:
            params = self._params(params, driver.params)
            if params is None:
                return None
        domain, desturi = e.get("domain"), e.get("desturi")
        if domain is not None:
            if domain.__class__ is not str:
                return None
            domain = driver.domain(domain)
        if desturi is not None:
            if desturi.__class__ is not str:
                return None
            desturi = driver.desturi(desturi)
        other = None
        if "facts" in e or "host" in e or "qemu_version" in e:
            other = (_frozen(e.get("facts")), _frozen(e.get("host")), _frozen(e.get("qemu_version")), "qemu_version" in e)
            if _UNUSUAL in other:
                return None
        return (context, flags, params, domain, desturi, other)

    def _context(self, raw: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """(driver, its name, state, version, mode) for an entry's hypervisor, state, version and mode when each is
        of the plain kind (a bounded table; its strings stand in the keys, one copy each)."""
        hv, state, version, mode = raw
        if len(self.contexts) >= MAX_TABLE:
            self.contexts.clear()
        if hv.__class__ is not str or hv not in self.policies.drivers or \
                (state is not None and (state.__class__ is not str or state not in _STATES)) or \
                (mode is not None and (mode.__class__ is not str or mode not in _MODES)) or \
                (version is not None and version.__class__ is not str):
            self.contexts[raw] = _NOT_PLAIN
            return None
        driver = self.drivers.get(hv)
        if driver is None:
            driver = self.drivers[hv] = _Driver(self.policies, hv, self.evaluator.signers)
        if driver.opaque:
            self.contexts[raw] = _NOT_PLAIN
            return None
        got = self.contexts[raw] = (driver, *raw)
        return got

    def _mask(self, names: tuple[Any, ...]) -> int | None:
        """The bitmask of a list of flag names, when each is a known name (a bounded table)."""
        if not all(f.__class__ is str for f in names):
            return None
        try:
            mask = self.policies.vocab.flags_value(list(names))
        except UserError:
            return None
        if len(self.masks) >= MAX_TABLE:
            self.masks.clear()
        self.masks[names] = mask
        return mask

    def _params(self, params: Any, signers: dict[str, Signer | None]) -> tuple[Hashable, ...] | None:
        """Each parameter as the rules read it, once it is known to be well-formed (else None)."""
        if params.__class__ is not dict:
            return None
        out: list[Hashable] = []
        defs, ranges = self.params, self.ranges
        for name, value in params.items():
            pd = defs.get(name)
            if pd is None:
                return None
            if pd.multi:
                if value.__class__ is str:
                    value = (value,)
                elif value.__class__ is list and all(x.__class__ is str for x in value):
                    if not value:
                        out.append((pd.key, None))  # no values: nothing is sent
                        continue
                    value = tuple(value)
                else:
                    return None
            elif pd.type == "string":
                if value.__class__ is not str:
                    return None
            else:
                bounds = ranges.get(name)
                if bounds is None or value.__class__ is not int or not bounds[0] <= value <= bounds[1]:
                    return None
            key = pd.key  # the vocabulary's copy of the name
            if key in signers:
                signer = signers[key]
                out.append((key, (value.__class__, value) if signer is None else signer(value)))
            else:
                out.append(key)
        return tuple(out)


_UNUSUAL = ("<unusual>",)
_NOT_PLAIN: tuple[Any, ...] = ()


def _frozen(v: Any) -> Hashable:
    """A value as it is (types kept apart: 1 is not True), for facts; _UNUSUAL for anything nested deeper."""
    if v is None or v.__class__ in (str, int, float, bool):
        return (v.__class__, v)
    if v.__class__ in (list, tuple):
        if not all(x is None or x.__class__ in (str, int, float, bool) for x in v):
            return _UNUSUAL
        return (v.__class__, tuple((x.__class__, x) for x in v))
    if v.__class__ is dict:
        if not all(k.__class__ is str for k in v):
            return _UNUSUAL
        items = tuple(sorted((k, _frozen(x)) for k, x in v.items()))
        return _UNUSUAL if any(x is _UNUSUAL for _, x in items) else (dict, items)
    return _UNUSUAL

