"""The one pipeline behind `check`, `fix` and the Python API.

:func:`prepare` turns options into what a run needs, in one place: the configuration (defaults <- file <-
options, with where each value came from), the policies, the settings, and the facts from outside the
requests (--fact, --domain-xml, --connect). :func:`check` then reads the inputs, makes jobs, evaluates
them, filters findings by the settings (disabled rules, severities, suppressions), hands results to the
reporters and returns the exit code; :func:`fix_files` gives each file's fixed text. Nothing here prints.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import replace as dc_replace
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from . import config
from .engine.assume import assume_state
from .engine.evaluate import Evaluator
from .engine.fixes import plan_fix
from .errors import UserError
from .inputs.context import Context, make_context
from .inputs.domainxml import XML_FACT
from .inputs.files import InputFile, Item, Read, command_jobs, file_kind, jobs_from_file, walk
from .jsonl_templates import LineMemo, Outcome, make_template
from .model import SEVERITIES, Job, Note, Result, Suppression, Ways
from .notes import make_note
from .options import CheckOptions, FixOptions, RunOptions
from .outputs.reporters import FORMATS, Reporter, Summary, make_reporter
from .outputs.streams import open_output, parse_formats, read_for_fix
from .policy.load import PolicySet, load_policies
from .settings import Settings

if TYPE_CHECKING:
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
                                           fail_on_depends=prepared.settings.fail_on_depends))
        summary = Summary()
        code = check(prepared, opts.paths, opts.command, reporters, summary=summary, stdin_name=opts.stdin_filename)
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


def check(prepared: Prepared, paths: Sequence[str], commands: Sequence[str], reporters: Iterable[Reporter],
          want_fix: bool = True, summary: Summary | None = None, stdin_name: str | None = None) -> int:
    """Check the inputs; the reporters get every result, and the exit code says how it went. ``summary`` (made
    here when not given) holds the counts afterwards; ``stdin_name`` names stdin and decides its kind."""
    reps = list(reporters)
    evaluator = Evaluator(prepared.policies)
    summary = Summary() if summary is None else summary
    replace = dict(prepared.settings.replace)
    for r in reps:
        r.start()
    # Lines of a JSON Lines plan that repeat a shape are written from a template (see linememo.py),
    # when every reporter can render one and nothing rewrites requests on the way.
    memo = LineMemo() if all(hasattr(r, "render") for r in reps) and not (
        prepared.settings.hypervisors or replace) else None
    if memo is not None:
        memo.writers = [getattr(r, "write_rendered") for r in reps]
    policies, settings, context = prepared.policies, prepared.settings, prepared.context
    items: list[Iterable[Item]] = [command_jobs(commands, policies, settings)]
    for p in walk(paths, settings):
        items.append([p] if isinstance(p, (UserError, Note)) else
                     jobs_from_file(p, policies, settings, memo, stdin_name=stdin_name))
    fail_rank = SEVERITIES.index(settings.fail_on)
    failing = False

    def emit_note(note: Note) -> None:
        nonlocal failing
        summary.notes += 1
        if SEVERITIES.index(note.severity) <= fail_rank:
            failing = True
        for r in reps:
            r.note(note)

    def ready(job: Job, notes: list[Note]) -> Job | None:
        """The job with the facts from outside the request, the hypervisor replaced and the state assumed; None
        when the facts cannot be had (said as an input error)."""
        if context or any(k == XML_FACT for k, _ in job.request.facts):
            try:
                job, context_notes = (context or Context()).apply(job)
            except UserError as e:
                summary.input_errors += 1
                for r in reps:
                    r.error(e.where, e.message)
                return None
            notes.extend(context_notes)
        if replace:
            job = _replaced(job, replace)
        return assume_state(evaluator, job)

    for source in items:
        declared: list[Suppression] = []  # in this file, in order
        used: set[Suppression] = set()
        notes: list[Note] = []
        for item in (_per_hypervisor(source, settings.hypervisors) if settings.hypervisors else source):
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
                from .engine.paths import combine  # here: only runs that read Python code need it

                ways: list[Job] = []
                for w in item.ways:
                    got = ready(w.job, notes)
                    if got is None:
                        break
                    ways.append(got)
                if len(ways) < len(item.ways):
                    continue
                item, result = combine(item, [evaluator(j.request) for j in ways], ways)
            else:
                job = ready(item, notes)
                if job is None:
                    continue
                item = job
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
                plan = plan_fix(evaluator, item.request)
            shape = memo.take(item) if memo is not None else None
            if shape is None:
                for r in reps:
                    r.result(item, result, plan)
                continue
            templates = []
            for r in reps:
                text = r.render(item, result, plan)  # type: ignore[attr-defined]
                r.write_rendered(text)  # type: ignore[attr-defined]
                templates.append(make_template(text, shape[1], item.location.line if item.location else 0))
            if memo is not None and all(t is not None for t in templates):
                memo.store(shape[0], Outcome([t for t in templates if t is not None], result.prediction,
                                             tuple(f.severity for f in result.findings if not f.depends_on),
                                             suppressed, fails,
                                             sum(1 for f in result.findings if f.depends_on)))
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
            summary.add_known(known.prediction, known.severities, known.suppressed, known.count, known.conditional)
            failing = failing or known.failing
    for r in reps:
        r.finish(summary)
    if summary.input_errors:
        return 2
    return 0 if settings.exit_zero or not failing else 1


# -- fix -------------------------------------------------------------------------------------------------


def fix_files(prepared: Prepared, opts: FixOptions) -> Iterator[FileFix | UserError]:
    """Each file's fixed text (nothing is written here), or why it cannot be read."""
    # Here, not at the top: the text editing machinery is a tenth of a cold `check`'s imports, which never use it.
    from .outputs.rewrite import fix_text

    evaluator = Evaluator(prepared.policies)
    for item in walk(opts.paths, prepared.settings):
        if isinstance(item, UserError):
            yield item
            continue
        if not isinstance(item, InputFile):
            continue  # a note of the directory walk (a symlink loop): nothing to fix
        name = "<stdin>" if str(item.path) == "-" else str(item.path)
        if name == "<stdin>" and opts.in_place:
            raise UserError("cannot rewrite stdin in place; use --diff")
        try:
            data, text = read_for_fix(item.path, name, opts.in_place, prepared.settings.max_file_bytes)
        except UserError as e:
            yield e
            continue
        kind_ = file_kind(name, data, item.walked)
        if kind_ in ("script", "yaml", "json", "jsonl"):
            yield fix_text(text, name, kind_, prepared.policies, prepared.settings.defaults, evaluator,
                           unsafe=opts.unsafe_fixes)
