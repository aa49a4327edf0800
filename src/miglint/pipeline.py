"""The one pipeline behind `check`, `fix` and the Python API.

:func:`prepare` turns options into what a run needs, in one place: the configuration (defaults <- file <-
options, with where each value came from), the policies, the settings, and the facts from outside the
requests (--fact, --domain-xml, --connect). :func:`check` then reads the inputs, makes jobs, evaluates
them, filters findings by the settings (disabled rules, severities, suppressions), hands results to the
reporters and returns the exit code; :func:`fix_files` gives each file's fixed text. Nothing here prints.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import replace as dc_replace
from typing import TYPE_CHECKING, NamedTuple

from . import config
from .engine.assume import assume_state, assume_version
from .engine.evaluate import Evaluator
from .engine.fixes import FixPlan, StablePlans, fix_stable
from .errors import UserError
from .inputs.context import Context, make_context
from .inputs.domainxml import XML_FACT
from .inputs.files import (
    InputFile,
    Item,
    Read,
    command_jobs,
    file_kind,
    jobs_from_file,
    jobs_of_data,
    kind_family,
    walk,
)
from .jsonl_templates import LineMemo, PlanMemo
from .model import SEVERITIES, Finding, Job, Note, Result, Suppression, Ways
from .notes import make_note
from .options import CheckOptions, FixOptions, RunOptions
from .outputs.reporters import FORMATS, Reporter, Summary, make_reporter
from .outputs.streams import file_identity, open_output, parse_formats, read_for_fix, report_files
from .policy.load import PolicySet, load_policies
from .settings import Settings

if TYPE_CHECKING:
    from pathlib import Path

    from .outputs.rewrite import FileFix


class Prepared(NamedTuple):
    """What a run needs besides its inputs, resolved once from the options."""

    effective: config.Effective  # the merged configuration, with the source of each value
    policies: PolicySet
    settings: Settings
    context: Context | None  # facts from outside the requests, added to every job

    @classmethod
    def of(cls, policies: PolicySet, settings: Settings = Settings(), context: Context | None = None) -> Prepared:
        """A run made from parts (tests, tools): the default configuration besides ``settings``."""
        return cls(config.Effective(config.defaults(), None), policies, settings, context)


def prepare(opts: RunOptions, stack: ExitStack, *, source: str = "command line") -> Prepared:
    """Options -> configuration -> policies -> settings -> context. ``stack`` closes a --connect connection.

    With --connect, the host's libvirt version and driver become the run's, unless the options say
    otherwise (a configuration file's value gives way to what the host says)."""
    if opts.stdin_filename is not None and "-" not in opts.paths:
        raise UserError(f"--stdin-filename {opts.stdin_filename!r} names what '-' reads from stdin, and no '-' is "
                        "among the paths: add '-', or drop --stdin-filename")
    eff = config.resolve(opts.config, opts.no_config, opts.config_values(), source=source)
    policies = load_policies(config.policy_dirs(eff))
    live = None
    if opts.connect:
        from .inputs.live import (
            LibvirtHost,  # imports the libvirt binding: only for --connect
        )

        live = stack.enter_context(LibvirtHost(opts.connect, policies.vocab))
        eff = config.with_host(eff, live.libvirt_version, live.hypervisor, policies, f"--connect {opts.connect}",
                               given_by=source)
    settings = config.settings(eff, policies, suppress=not opts.no_suppress)
    context = None
    if opts.has_context:
        context = make_context(policies.vocab, facts=opts.fact, host_facts=opts.host_fact, qemu_version=opts.qemu_version,
                               domain_xml=opts.domain_xml, live=live, state=eff["state"])
        if live is not None:  # the host says each domain's state; the option is for those it does not know
            settings = settings._replace(defaults=settings.defaults._replace(state=None))
    return Prepared(eff, policies, settings, context)


def run_check(opts: CheckOptions) -> int:
    """`miglint check`: the reports written, the exit code returned; a run that finds no migration says so on
    stderr (the exit code stays 0)."""
    formats = parse_formats(list(opts.format), opts.output, FORMATS)
    if not opts.paths and not opts.command:
        raise UserError("nothing to check: give files, directories, - for stdin, or --command")
    with ExitStack() as stack:
        prepared = prepare(opts, stack)
        reporters = []
        for name, path in formats:
            out = stack.enter_context(open_output(path))
            reporters.append(make_reporter(name, out, prepared.policies.vocab, verbose=not opts.quiet,
                                           policies=prepared.policies, rule_docs=prepared.effective["rule-docs-url"],
                                           fail_on=prepared.settings.fail_on,
                                           fail_on_depends=prepared.settings.fail_on_depends,
                                           json_schema_version=opts.json_schema_version,
                                           severities=dict(prepared.settings.severity)))
        summary = Summary()
        code = check(prepared, opts.paths, opts.command, reporters, summary=summary, stdin_name=opts.stdin_filename,
                     outputs=[path for _, path in formats if path is not None])
    if summary.requests == 0 and not summary.input_errors:
        if opts.paths and not summary.files:
            sys.stderr.write("miglint: nothing checked: no plan, script or runbook among the paths given\n")
        else:
            read = f"{summary.files} file{'s' if summary.files != 1 else ''}" if opts.paths else "the command lines"
            sys.stderr.write(f"miglint: no migration found in {read}\n")
    return code


def shown_findings(result: Result, job: Job, settings: Settings,
                   used: set[Suppression] | None = None) -> tuple[list[tuple[str, str]], int]:
    """(rule, severity) of the findings to show after disabling, severity overrides and suppressions.
    Suppressions that hide a finding are added to ``used``."""
    over = dict(settings.severity)
    out = []
    suppressed = 0
    sups = job.suppressed if settings.suppress else ()
    for f in result.findings:
        if f.rule in settings.disabled or f.name in settings.disabled:
            continue
        hit = [s for s in sups if s.rule == f.rule or s.rule == f.name]
        if hit:
            suppressed += 1
            if used is not None:
                used.update(hit)
            continue
        out.append((f.rule, over.get(f.rule, over.get(f.name, f.severity))))
    return out, suppressed


def apply_settings(result: Result, shown: list[tuple[str, str]]) -> Result:
    keep = dict(shown)
    findings = tuple(f._replace(severity=keep[f.rule]) for f in result.findings if f.rule in keep)
    return result._replace(findings=findings)


def shown_note(note: Note, settings: Settings, file_sups: list[Suppression], used: set[Suppression]) -> Note | None:
    """The note as shown (severity override), or None when disabled or suppressed by a file-level directive."""
    if note.rule in settings.disabled or note.name in settings.disabled:
        return None
    if settings.suppress:
        hit = [s for s in file_sups if s.rule == note.rule and s.location is not None and s.location.file == note.file]
        if hit:
            used.update(hit)
            return None
    over = dict(settings.severity)
    sev = over.get(note.rule, over.get(note.name, note.severity))
    return note if sev == note.severity else note._replace(severity=sev)


def _replaced(job: Job, replace: dict[str, str]) -> Job:
    hv = replace.get(job.request.hypervisor)
    if hv is None:
        return job
    return dc_replace(job, request=dc_replace(job.request, hypervisor=hv))


def _per_hypervisor(items: Iterable[Item], hypervisors: tuple[str, ...]) -> Iterator[Item]:
    """Each job (each call of code, with its ways) once per listed hypervisor (a mixed fleet), or as it is."""
    def on(job: Job, h: str) -> Job:
        return dc_replace(job, request=dc_replace(job.request, hypervisor=h))

    for item in items:
        if isinstance(item, Ways) and hypervisors:
            for h in hypervisors:
                yield item._replace(job=on(item.job, h), ways=tuple(w._replace(job=on(w.job, h)) for w in item.ways))
        elif not isinstance(item, Job) or not hypervisors:
            yield item
        else:
            for h in hypervisors:
                yield on(item, h)


def as_checked(prepared: Prepared, evaluator: Evaluator, items: Iterable[Item]) -> Iterator[Item]:
    """The items of one input as `check` evaluates them (and `fix` fixes them): each job once per hypervisor
    of a mixed fleet, with the facts from outside the requests (--fact, --domain-xml, --connect) and their
    notes, an organisation's policy standing in for the one it replaces, and the state assumed when the
    input does not say it. A fact that cannot be added is an input error in the job's place."""
    settings, context = prepared.settings, prepared.context
    replace = dict(settings.replace)

    def ready(job: Job) -> tuple[Job, list[Note]]:
        notes: list[Note] = []
        if context or any(k == XML_FACT for k, _ in job.request.facts):
            job, notes = (context or Context()).apply(job)
        if replace:
            job = _replaced(job, replace)
        return assume_version(evaluator.vocab, assume_state(evaluator, job)), notes

    for item in (_per_hypervisor(items, settings.hypervisors) if settings.hypervisors else items):
        if not isinstance(item, (Job, Ways)):
            yield item
            continue
        try:
            if isinstance(item, Ways):  # a call in code: every way to it made ready alike
                made = [ready(w.job) for w in item.ways]
                yield from (n for _, notes in made for n in notes)
                yield item._replace(ways=tuple(w._replace(job=j) for w, (j, _) in zip(item.ways, made)))
            else:
                job, notes = ready(item)
                yield from notes
                yield job
        except UserError as e:
            yield e


def fixable(settings: Settings, job: Job) -> Callable[[Finding], bool]:
    """The findings of ``job`` whose fixes `fix` applies (and `check` plans): those it shows, so neither a
    disabled rule nor one a comment suppresses; and none that holds only for some value of a missing fact."""
    return _wanted(_off(settings, job))


def _off(settings: Settings, job: Job) -> frozenset[str]:
    """The rules (ids or names) whose fixes are not wanted for ``job``: disabled or suppressed."""
    if settings.suppress and job.suppressed:
        return frozenset(settings.disabled | {s.rule for s in job.suppressed})
    return frozenset(settings.disabled)


def _wanted(off: frozenset[str]) -> Callable[[Finding], bool]:
    def wanted(f: Finding) -> bool:
        return f.rule not in off and f.name not in off and not f.depends_on
    return wanted


def plan_for(evaluator: Evaluator, settings: Settings, job: Job, unsafe: bool = False,
             plans: StablePlans | None = None) -> FixPlan:
    """The fix of one job as the run's settings say (the plan `check` shows is the one `fix` writes); ``plans``:
    the plans of a run, remembered for requests that the rules read alike."""
    off = _off(settings, job)
    if plans is not None:
        return plans(job.request, unsafe=unsafe, wanted=_wanted(off), off=off)
    return fix_stable(evaluator, job.request, unsafe=unsafe, wanted=_wanted(off))


def _plan_memo(prepared: Prepared, reps: list[Reporter], evaluator: Evaluator) -> PlanMemo | None:
    """How JSON Lines entries whose result is known are written without the ordinary path: from their outcome
    (compact JSON: entry_memo), from a template of a line that differed only in its id (schema 1 JSON:
    jsonl_templates), or not at all (other reporters; options that rewrite or add to requests)."""
    settings = prepared.settings
    if settings.hypervisors or settings.replace or prepared.context:
        return None
    if reps and all(hasattr(r, "write_body") for r in reps):
        from .entry_memo import EntryMemo

        return EntryMemo(prepared.policies, settings.defaults, evaluator, reps)  # type: ignore[arg-type]
    if all(hasattr(r, "render") for r in reps):
        return LineMemo(reps)
    return None


def check(prepared: Prepared, paths: Sequence[str], commands: Sequence[str], reporters: Iterable[Reporter],
          want_fix: bool = True, summary: Summary | None = None, stdin_name: str | None = None,
          outputs: Sequence[Path] = ()) -> int:
    """Check the inputs; the reporters get every result, and the exit code says how it went. ``summary`` (made
    here when not given) holds the counts afterwards; ``stdin_name`` names stdin and decides its kind; ``outputs``:
    the files the reports replace, which no input found by walking a directory may be (a UserError, before any
    report is started)."""
    reps = list(reporters)
    evaluator = Evaluator(prepared.policies, cache_size=2048)
    summary = Summary() if summary is None else summary
    replace = dict(prepared.settings.replace)
    memo = _plan_memo(prepared, reps, evaluator)
    plans = StablePlans(evaluator)
    policies, settings, context = prepared.policies, prepared.settings, prepared.context
    items: list[Iterable[Item]] = [command_jobs(commands, policies, settings)]
    written = report_files(outputs)
    for p in walk(paths, settings):
        if written and isinstance(p, InputFile) and file_identity(p.path) in written:
            raise UserError(f"the report would be written over the input {p.path}: give another file", str(p.path))
        items.append([p] if isinstance(p, (UserError, Note)) else
                     jobs_from_file(p, policies, settings, memo, stdin_name=stdin_name))
    for r in reps:
        r.start()
    fail_rank = SEVERITIES.index(settings.fail_on)
    failing = False

    def emit_note(note: Note) -> None:
        nonlocal failing
        summary.notes += 1
        if SEVERITIES.index(note.severity) <= fail_rank:
            failing = True
        for r in reps:
            r.note(note)

    for source in items:
        declared: list[Suppression] = []  # in this file, in order
        used: set[Suppression] = set()
        notes: list[Note] = []
        for item in as_checked(prepared, evaluator, source):
            if isinstance(item, UserError):
                summary.input_errors += 1
                for r in reps:
                    r.error(item.where, item.message)
                continue
            if isinstance(item, Suppression):
                declared.append(item)
                continue
            if isinstance(item, Read):
                summary.files += 1
                continue
            if isinstance(item, Note):
                notes.append(item)  # shown after the file's requests, once file-level suppressions are known
                continue
            if isinstance(item, Ways):  # a call in code: each way to it evaluated, one result for the call
                # here: only runs that read Python code need it
                from .engine.paths import combine

                ways = [w.job for w in item.ways]
                item, result = combine(item, [evaluator(j.request) for j in ways], ways)
            else:
                result = evaluator(item.request)
            shown, suppressed = shown_findings(result, item, settings, used)
            summary.suppressed += suppressed
            if len(shown) != len(result.findings) or settings.severity:
                result = apply_settings(result, shown)
            summary.add(result)
            # A finding that depends on a fact the input does not give fails only when asked (--fail-on-depends).
            fails = any(SEVERITIES.index(f.severity) <= fail_rank and (settings.fail_on_depends or not f.depends_on)
                        for f in result.findings)
            failing = failing or fails
            plan = None
            if result.prediction == "rejected" and want_fix:
                plan = plan_for(evaluator, settings, item, plans=plans)
            if memo is not None and memo.record(item, result, plan, suppressed, fails):
                continue  # written by the memo
            for r in reps:
                r.result(item, result, plan)
        file_sups = [s for s in declared if s.scope == "file"]
        for note in notes:
            shown_n = shown_note(note, settings, file_sups, used)
            if shown_n is not None:
                emit_note(shown_n)
        if settings.suppress:
            for s in declared:
                if s not in used:
                    loc = s.location
                    note = make_note("M001", f"suppression of {s.rule} matches no finding"
                                     + (" in this file" if s.scope == "file" else ""), loc)
                    shown_n = shown_note(note, settings, file_sups, used)
                    if shown_n is not None:
                        emit_note(shown_n)
    if memo is not None:
        for known in memo.repeated():
            summary.add_known(known.prediction, known.severities, known.suppressed, known.times, known.conditional)
            failing = failing or known.failing
    for r in reps:
        r.finish(summary)
    if summary.input_errors:
        return 2
    return 0 if settings.exit_zero or not failing else 1


# -- fix -------------------------------------------------------------------------------------------------


def fix_files(prepared: Prepared, opts: FixOptions) -> Iterator[FileFix | UserError]:
    """Each file's fixed text (nothing is written here), or why it cannot be read. The files are read as
    `check` reads them (kinds, facts, replacements, assumptions, suppressions), and each request gets the
    fix `check` shows for it."""
    # Here, not at the top: the text editing machinery is a tenth of a cold `check`'s imports, which never use it.
    from .outputs.rewrite import fix_file

    policies, settings = prepared.policies, prepared.settings
    if settings.hypervisors:
        raise UserError("fix takes one hypervisor at a time: a mixed fleet's fixes may contradict each other "
                        "(give --hypervisor NAME)")
    evaluator = Evaluator(policies)

    def planner(job: Job) -> FixPlan:
        return plan_for(evaluator, settings, job, opts.unsafe_fixes)

    for text in opts.command:
        yield fix_file(text, "<command>", "command",
                       lambda t: list(as_checked(prepared, evaluator, command_jobs([t], policies, settings))),
                       planner, evaluator, policies.vocab)
    for item in walk(opts.paths, settings):
        if isinstance(item, UserError):
            yield item
            continue
        if not isinstance(item, InputFile):
            continue  # a note of the directory walk (a symlink loop): nothing to fix
        name = "<stdin>" if str(item.path) == "-" else str(item.path)
        if name == "<stdin>" and opts.in_place:
            raise UserError("cannot rewrite stdin in place; use --diff")
        try:
            data, text = read_for_fix(item.path, name, opts.in_place, settings.max_file_bytes)
        except UserError as e:
            yield e
            continue
        kind_ = file_kind(name, data, item.walked)
        if kind_ is None or (item.walked and kind_family(kind_) not in settings.kinds):
            continue

        def read(t: str, kind_: str = kind_, name: str = name, walked: bool = item.walked) -> list[Item]:
            return list(as_checked(prepared, evaluator,
                                   jobs_of_data(kind_, t.encode("utf-8"), name, walked, policies, settings)))

        yield fix_file(text, name, kind_, read, planner, evaluator, policies.vocab)


def left_over(prepared: Prepared, evaluator: Evaluator, job: Job, result: Result, unsafe: bool) -> list[str]:
    """What still fails the check once a request is fixed, in words: the rules, and what would fix them (an
    unsafe fix not asked for, or a fix to make by hand); [] when nothing does."""
    from .outputs.describe import fix_words, plan_words

    settings = prepared.settings
    shown, _ = shown_findings(result, job, settings)
    rank = SEVERITIES.index(settings.fail_on)
    severity = dict(shown)
    failing = [f for f in result.findings if f.rule in severity and SEVERITIES.index(severity[f.rule]) <= rank
               and (settings.fail_on_depends or not f.depends_on)]
    if not failing:
        return []
    verb = "refused" if result.prediction == "rejected" else "failing"
    rules = ", ".join(f.rule for f in failing)
    if not unsafe:
        plan = plan_for(evaluator, settings, dc_replace(job, request=result.request), unsafe=True)
        if plan.changed and any(f.rule in plan.applied for f in failing):
            return [f"still {verb}: {rules}; an unsafe fix would {plan_words(plan)} (then: {plan.result.prediction}):"
                    f" run with --unsafe-fixes to apply it"]
    lines = [f"still {verb}: {rules}"]
    for f in failing:
        words = fix_words(f.fix, evaluator.vocab)
        if f.depends_on:
            lines.append(f"  {f.rule} depends on {', '.join(f.depends_on)}: no fix is guessed")
        elif words:
            lines.append(f"  {f.rule}: fix by hand: {words}")
        else:
            lines.append(f"  {f.rule}: no fix known")
    return lines
