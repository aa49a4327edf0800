"""Python source -> jobs: each migration call, with each way through the code to it, as a ``Ways`` item.

A libvirt-python call's ways become requests as libvirt receives them (the flags by their bits, the typed
parameters by key, the mode its API and flags make, the hypervisor its destination URI names); a ``virsh
migrate`` run through ``subprocess`` or ``os`` is read by the shell reader (an argv list as its words, a
string as shell text). The pipeline evaluates every way and answers once per call (``engine.paths``).

Directives are comments as in scripts (``# miglint: ignore[Q051] reason``, ``disable=``, ``state=``), above
the call or after it on its lines.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace

from ...errors import UserError
from ...model import ACTIVE, UNKNOWN, Condition, Job, Location, Note, ParamValue, Request, Suppression, Way, Ways
from ...policy.load import PolicySet
from ...settings import Defaults
from ...version import format_version
from ..request import check_state
from ..script import snippet_jobs
from ..shell import Command, Comment, Word
from ..snippet import Segment, Snippet
from ..suppress import Stated, attach, parse_directive, rule_ids
from .source import ArgvCommand, Guard, PyCall, PyPath, PyRun, ShellText, read_python

Item = Ways | UserError | Note | Suppression
_STATE_WORDS = {ACTIVE: "running or paused", "shutoff": "shut off"}


def python_jobs(text: str, file: str, policies: PolicySet, defaults: Defaults) -> Iterator[Item]:
    vocab = policies.vocab
    reading = read_python(text, file, flag_bits={n: f.value for n, f in vocab.flags.items()},
                          param_macros={p.name: p.key for p in vocab.params.values()}, p2p_flag=vocab.mode_flag)
    yield from reading.errors
    known = rule_ids(policies)
    comments = [Comment(c.text, c.line, c.column, c.trailing) for c in reading.comments]
    parsed: list[tuple[Comment, list[Suppression]]] = []
    said: list[tuple[Comment, list[Stated]]] = []
    file_sups: list[Suppression] = []
    for c in comments:
        sups, notes, stated = parse_directive(c, file, known)
        yield from notes
        yield from sups
        parsed.append((c, sups))
        said.append((c, stated))
        file_sups.extend(s for s in sups if s.scope == "file")
    targets: list[PyCall | PyRun] = sorted([*reading.calls, *reading.runs], key=lambda x: (x.line, x.column))
    at = [Command((), t.line, t.column, t.end_line) for t in targets]
    covering = attach(at, comments, parsed)
    stating = attach(at, comments, said)
    lines = text.splitlines()
    for k, t in enumerate(targets):
        call = _CallJobs(file, policies, defaults, _source(lines, t), stating.get(k, []))
        try:
            made = call.api(t) if isinstance(t, PyCall) else call.run(t)
        except UserError as e:  # the call cannot be made a request (no hypervisor to check it against)
            yield UserError(e.message, f"{file}:{t.line}:{t.column}")
            continue
        for item in made:
            cover = tuple(file_sups) + tuple(covering.get(k, ()))
            yield item._replace(job=replace(item.job, suppressed=cover)) if isinstance(item, Ways) and cover else item


def _source(lines: list[str], t: PyCall | PyRun) -> str:
    """The call as written, on one line (shortened)."""
    part = lines[t.line - 1:t.end_line]
    if not part:
        return ""
    if len(part) == 1:
        text = part[0][t.column - 1:t.end_column - 1]
    else:
        middle = [x.strip() for x in part[1:-1]]
        text = " ".join([part[0][t.column - 1:], *middle, part[-1][:t.end_column - 1].strip()])
    text = " ".join(text.split())
    return text if len(text) <= 200 else text[:197] + "..."


class _CallJobs:
    """The jobs of one call: its location, text and what a comment above it states."""

    def __init__(self, file: str, policies: PolicySet, defaults: Defaults, text: str, stated: Sequence[Stated]):
        self.file, self.policies, self.defaults, self.text = file, policies, defaults, text
        self.version = policies.vocab.version(defaults.libvirt_version)
        self.state = check_state(defaults.state)
        self.stated = [s for s in stated if s.name == "state"][-1:]

    def _call_job(self, t: PyCall | PyRun, request: Request) -> Job:
        return Job(f"{self.file}:{t.line}", request, Location(self.file, t.line, t.column), (), self.text)

    def _when(self, guards: Sequence[Guard]) -> tuple[Condition, ...]:
        return tuple(Condition(g.text, g.value, Location(self.file, g.line, g.column or 1)) for g in guards)

    def _with_state(self, job: Job) -> Job:
        """A state said in a comment above the call, for a way that does not tell it (``isActive()``)."""
        if not self.stated or self.defaults.state is not None or job.request.state != "unknown" or job.state_from:
            return job
        s = self.stated[0]
        said = f"the domain is {_STATE_WORDS.get(s.value, s.value)}: '# miglint: state={s.value}' on line " \
               f"{s.location.line}"
        return replace(job, request=replace(job.request, state=s.value), assumed=job.assumed + (said,),
                       state_from=f"line {s.location.line}")

    # -- libvirt-python ------------------------------------------------------------------------------

    def api(self, c: PyCall) -> list[Item]:
        if c.too_many_paths:
            # Nothing known of the request: every flag and parameter may be set (each finding says "depends").
            request = Request(self._hypervisor(None)[0], format_version(self.version), self.state,
                              "direct" if c.kind == "uri" else "managed", open_flags=True, open_params=True)
            job = self._with_state(self._call_job(c, request))
            return [Ways(job, self._either_mode(c, Way(job)), too_many=True)]
        ways = tuple(w for p in c.paths for w in self._either_mode(c, self._way(c, p)))
        if not ways:
            return []
        return [Ways(self._call_job(c, ways[0].job.request), ways)]

    def _either_mode(self, c: PyCall, way: Way) -> tuple[Way, ...]:
        """Flags that may hold more than is seen may make the migration peer-to-peer, or not: a way for each,
        told apart by a condition on a value (not a way the code takes; what turns on it depends)."""
        req = way.job.request
        flag = self.policies.vocab.flags[self.policies.vocab.mode_flag]
        if not req.open_flags or req.flags & flag.value or c.api == "migrate3":
            return (way,)
        where = Location(self.file, c.line, c.column)
        p2p = replace(req, flags=req.flags | flag.value, mode="p2p")
        return (way._replace(job=replace(way.job, request=p2p),
                             when=way.when + (Condition(flag.macro, True, where, "value"),)),
                way._replace(when=way.when + (Condition(flag.macro, False, where, "value"),)))

    def _way(self, c: PyCall, p: PyPath) -> Way:
        vocab = self.policies.vocab
        # As virsh -c: the source connection's URI names the driver, else the destination's.
        hv, assumed = self._hypervisor(p.connect_uri or (p.connect_scheme + "://" if p.connect_scheme else None)
                                       or p.desturi or (p.scheme + "://" if p.scheme else None))
        flags = sum(vocab.flags[n].value for n in p.flags) | p.extra_bits
        state = self.state
        said: tuple[str, ...] = ()
        state_from = ""
        if p.state is not None and self.defaults.state is None:
            state = p.state
            g = next((g for g in p.guards if g.text.endswith(".isActive()")), None)
            if g is not None:
                state_from = f"line {g.line}"
                said = (f"the domain is {_STATE_WORDS.get(state, state)} where {'' if g.value else 'not '}"
                        f"`{g.text}` (line {g.line})",)
        request = Request(hv, format_version(self.version), state, p.mode, flags, _params(p.params, self.policies),
                          desturi=p.desturi, connect_uri=p.connect_uri, open_flags=p.unknown_bits,
                          open_params=p.param_unknown,
                          facts=(("connection.readonly", True),) if p.readonly else ())
        where = tuple((subject, Location(self.file, *pos)) for subject, poss in p.contributors.items()
                      for pos in poss)
        job = Job(f"{self.file}:{c.line}", request, Location(self.file, c.line, c.column), where, self.text,
                  assumed=assumed + said, state_from=state_from)
        return Way(self._with_state(job), self._when(p.guards))

    def _hypervisor(self, uri: str | None) -> tuple[str, tuple[str, ...]]:
        """As for a virsh command: the driver the destination URI names, unless the defaults name a policy that
        models that driver; else the defaults', else the one assumed (said so)."""
        pol = self.policies
        by_uri = pol.hypervisor_for_uri(uri) if uri else None
        given = self.defaults.hypervisor
        if given is not None and (by_uri is None or pol.driver_family(given) == by_uri):
            return given, ()
        if by_uri is not None:
            return by_uri, ()
        if pol.assumed_hypervisor is None:
            raise UserError("cannot tell the hypervisor: give --hypervisor")  # the shipped vocabulary assumes one
        hv, because = pol.assumed_hypervisor
        return hv, (f"hypervisor {hv}: {because}",)

    # -- virsh run from Python -----------------------------------------------------------------------

    def run(self, r: PyRun) -> list[Item]:
        out: list[Item] = []
        ways: list[Way] = []
        for cmd in r.commands:
            for item in snippet_jobs([self._snippet(cmd)], self.file, self.policies, self.defaults):
                if isinstance(item, Job):
                    ways.append(Way(self._with_state(item), self._when(cmd.guards)))
                else:
                    out.append(item)
        if ways:
            out.append(Ways(self._call_job(r, ways[0].job.request), tuple(ways)))
        return out

    def _snippet(self, cmd: ArgvCommand | ShellText) -> Snippet:
        if isinstance(cmd, ShellText):
            seg = Segment(0, len(cmd.text), cmd.offset, cmd.line, cmd.column, copied=cmd.exact)
            return Snippet(cmd.text, cmd.line, cmd.column, (seg,), label=f"{cmd.runner} string")
        words = [Word(w.text, w.line, w.column, w.unknown, w.split, many=w.split) for w in cmd.words]
        if cmd.open and cmd.words:  # more words may follow, appended where the reader cannot see
            last = cmd.words[-1]
            words.append(Word("...", last.line, last.column, True, True, many=True))
        return Snippet("", cmd.line, cmd.column, argv=tuple(words), label=f"{cmd.runner} argv")


def _params(params: Mapping[str, ParamValue], policies: PolicySet) -> tuple[tuple[str, ParamValue], ...]:
    """Typed parameters as libvirt receives them: an empty (or false) value of a multi-valued parameter is no
    parameter at all (libvirt-python adds one entry per list item); of another, a value not known."""
    out: dict[str, ParamValue] = {}
    for key, value in params.items():
        pd = policies.vocab.params.get(key)
        if value == ():
            if pd is not None and pd.multi:
                continue
            value = UNKNOWN
        elif isinstance(value, tuple) and pd is not None and not pd.multi:
            value = UNKNOWN  # a list where libvirt takes one value: libvirt-python refuses it
        out[key] = value
    return tuple(sorted(out.items()))
