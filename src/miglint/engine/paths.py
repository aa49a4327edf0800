"""One answer for a call that code reaches along several ways: pure, from the results of each way's request.

Code that computes a migration (``flags |= ...`` under conditions, parameters set in some branches) makes a
request per way to the call. Each is evaluated by the evaluator like any other; this module says what they
mean together, at the call:

- a rule that refuses the request on every way is a finding as the evaluator made it;
- one that refuses it on some ways only is led by the conditions of a way on which it fires, only those that
  matter (``when `cfg.parallel` and `cfg.compressed` (lines 12, 14): ...``); when some way is not refused at
  all, it is a latent bug: a ``warning`` (an ``error`` becomes one);
- one that depends on a missing fact keeps its ``depends_on`` (a value the code computes at run time is
  ``values``; more ways than are followed, ``paths``); so does one that fires only where such a value holds a
  flag or not (a condition of kind ``value``: flags read from data may or may not make it peer-to-peer);
- the prediction is ``rejected`` when every way is refused, ``depends`` on ``path`` when some are, else what
  the ways say.

Each finding's related locations are where its way set the flags, parameters or options at fault, and that
way's conditions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..model import REJECTING, Condition, Finding, Job, Related, Result, Way, Ways
from ..policy.vocabulary import FLAG_PREFIX

# depends_on words for what code leaves open, in place of "options" (words a script only knows when it runs).
OPEN_VALUES = "values"
OPEN_PATHS = "paths"
PATH = "path"  # a result's depends_on: some ways are refused, others not
VALUE = "value"  # a Condition's kind: a value miglint cannot see, not a test the code makes


def combine(call: Ways, results: Sequence[Result], jobs: Sequence[Job] | None = None) -> tuple[Job, Result]:
    """The call's job and result from each way's result (in the order of ``call.ways``). ``jobs``: the ways'
    jobs as evaluated (facts and assumptions added), when they differ from ``call.ways``."""
    ways = [w if jobs is None else w._replace(job=jobs[i]) for i, w in enumerate(call.ways)]
    n = len(ways)
    every = n > 0 and all(r.prediction == "rejected" for r in results)  # refused whichever way: errors stay
    open_word = OPEN_PATHS if call.too_many else OPEN_VALUES
    fired = [{f.rule: f for f in r.findings} for r in results]
    order = list(dict.fromkeys(f.rule for r in results for f in r.findings))
    findings: list[Finding] = []
    related: list[Related] = []
    for rule in order:
        sure = [i for i in range(n) if rule in fired[i] and not fired[i][rule].depends_on]
        maybe = [i for i in range(n) if rule in fired[i]]
        # The way it is said with: the one that switches the fewest things on (its message and related
        # locations name only what is needed there: "unsupported flags (0x800)", not every flag of the call).
        rep = min(sure or maybe, key=lambda i: (sum(c.value for c in ways[i].when if c.kind != VALUE), i))
        f = _open_words(fired[rep][rule], ways[rep].job, call.too_many)
        conds: tuple[Condition, ...] = ()
        if sure and len(sure) < n:
            conds = _needed(ways, rep, lambda i: i in sure)
            if any(c.kind == VALUE for c in conds):  # not a way the code takes: a value it computes
                f = f._replace(depends_on=(open_word,))
            elif not every:
                f = f._replace(severity="warning" if f.severity == "error" else f.severity)
        elif not sure:
            if len(maybe) < n:
                conds = _needed(ways, rep, lambda i: i in maybe)
            words = [d for i in maybe for d in _open_words(fired[i][rule], ways[i].job, call.too_many).depends_on]
            f = f._replace(depends_on=tuple(dict.fromkeys(words)))
        if conds:
            f = f._replace(message=f"when {when_text(conds)}: {f.message}")
        findings.append(f)
        related += _related(f, ways[rep], conds)
    refusing = [f for f in findings if f.effect in REJECTING]
    first = next((f for f in refusing if not f.depends_on), None)
    facts = [d for f in refusing for d in f.depends_on]
    if every and first is not None:
        rep, prediction, facts = 0, "rejected", []
    else:
        first = None
        refused = [i for i, r in enumerate(results) if r.prediction == "rejected"]
        depending = [i for i, r in enumerate(results) if r.prediction == "depends"]
        rep = (depending or [0])[0]
        if any(not f.depends_on for f in refusing):  # refused on some ways the code takes, not on others
            facts = [PATH] + facts
            rep = refused[0]
        prediction = "depends" if facts else "accepted"
    way = ways[rep].job
    assumed = tuple(dict.fromkeys(a for w in ways for a in w.job.assumed))
    related = [r for r in related if r.location != call.job.location]  # written in the call: said there
    job = Job(call.job.id, way.request, call.job.location, (), call.job.text, call.job.suppressed, assumed,
              way.state_from, related=tuple(related))
    return job, Result(way.request, prediction, first, tuple(findings), tuple(dict.fromkeys(facts)))


def _open_words(f: Finding, job: Job, too_many: bool) -> Finding:
    """A finding of a request code computes depends on its values (or on which way), not on options; a parameter
    that may be set only because any may be is one of them."""
    req = job.request
    if not f.depends_on or (req.options is not None and not too_many):
        return f
    word = OPEN_PATHS if too_many else OPEN_VALUES
    given = {k for k, _ in req.params}

    def open_(d: str) -> bool:
        return d == "options" or (req.open_params and d.startswith("param:") and d[6:] not in given)

    if not any(open_(d) for d in f.depends_on):
        return f
    return f._replace(depends_on=tuple(dict.fromkeys(word if open_(d) else d for d in f.depends_on)))


def _needed(ways: Sequence[Way], rep: int, holds: Callable[[int], bool]) -> tuple[Condition, ...]:
    """The conditions of way ``rep`` that lead to what ``holds`` says of it: one is left out when every way that
    takes the others as ``rep`` does holds too. A condition asked only under another (``if a: if b:``) keeps
    that other one with it, as the code reads."""
    when = ways[rep].when
    asked = [{(c.text, c.location): c.value for c in w.when} for w in ways]

    def takes(i: int, conds: Sequence[Condition]) -> bool:
        return all(asked[i].get((k.text, k.location)) == k.value for k in conds)

    keep = list(when)
    for c in when:
        rest = [k for k in keep if k is not c]
        if all(holds(i) for i in range(len(ways)) if takes(i, rest)):
            keep = rest
    for c in list(keep):
        under = [i for i in range(len(ways)) if (c.text, c.location) in asked[i]]
        keep += [k for k in when if k not in keep and all(takes(i, [k]) for i in under)]
    return tuple(sorted(dict.fromkeys(keep), key=lambda k: (k.location.line, k.location.column)))


def when_text(conds: Sequence[Condition]) -> str:
    """``\\`a\\` and not \\`b\\` (lines 3, 5)``: conditions as a way through code takes them."""
    words = [_condition(c) for c in conds]
    said = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    lines = sorted({c.location.line for c in conds})
    return f"{said} ({'line' if len(lines) == 1 else 'lines'} {', '.join(map(str, lines))})"


def _condition(c: Condition) -> str:
    if c.kind == VALUE:  # a flag that a value miglint cannot see may hold
        return f"the flags {'hold' if c.value else 'lack'} {c.text}"
    if c.text.startswith("except"):  # an exception handler ran (or not)
        return f"`{c.text}` runs" if c.value else f"`{c.text}` does not run"
    return f"`{c.text}`" if c.value else f"not `{c.text}`"


def subject_word(subject: str) -> str:
    kind, _, name = subject.partition(":")
    if kind == "flag":
        return FLAG_PREFIX + name
    if kind == "param":
        return f"parameter {name}"
    if kind == "option":
        return f"--{name}"
    return subject


def _related(f: Finding, way: Way, conds: Sequence[Condition]) -> list[Related]:
    out: list[Related] = []
    for s in f.subjects:
        for subject, loc in way.job.subject_locations:
            if subject == s:
                out.append(Related(f.rule, loc, f"{subject_word(s)} is set here"))
    for c in conds:
        out.append(Related(f.rule, c.location, f"this way: {_condition(c)}"))
    return list(dict.fromkeys(out))
