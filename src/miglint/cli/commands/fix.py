"""miglint fix: correct a command line, or rewrite scripts and plans (a diff, or in place)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..app import Mode, PolicyDirs, State, app, user_errors
from ...errors import UserError


@app.command()
@user_errors
def fix(
    paths: Annotated[Optional[list[str]], typer.Argument(help="Shell scripts, plan files (YAML, JSON, JSON Lines) or directories.")] = None,
    command: Annotated[Optional[list[str]], typer.Option("--command", help="A 'virsh ... migrate ...' line: print it corrected (repeatable).")] = None,
    hypervisor: Annotated[Optional[str], typer.Option(help="Policy for requests that do not name one.")] = None,
    state: Annotated[Optional[State], typer.Option(help="Domain state for requests that do not give one.")] = None,
    libvirt_version: Annotated[Optional[str], typer.Option("--libvirt-version", help="libvirt version (default: the newest the policies know).")] = None,
    mode: Annotated[Optional[Mode], typer.Option(help="managed, p2p or direct, for plan entries that do not say.")] = None,
    diff: Annotated[bool, typer.Option("--diff", help="Show a unified diff (the default for files).")] = False,
    in_place: Annotated[bool, typer.Option("--in-place", "-i", help="Rewrite the files (atomically; untouched files are not written).")] = False,
    unsafe_fixes: Annotated[bool, typer.Option("--unsafe-fixes", help="Also apply fixes that change what the migration does.")] = False,
    policy_dir: PolicyDirs = None,
) -> None:
    """Apply the findings' fixes: safe ones by default (add a required flag, drop a refused one that changes
    nothing). Exit 0 when nothing is left to fix, 1 when a diff is pending or a request is still refused."""
    import difflib
    import sys

    from ...engine.evaluate import REJECTING, Evaluator
    from ...inputs.request import Defaults
    from ...outputs.streams import replace_file
    from ...policy.load import load_policies
    from ...outputs.rewrite import FileFix, fix_text
    from ...pipeline import Settings, _kind, walk

    if not paths and not command:
        raise UserError("nothing to fix: give files, directories or --command")
    policies = load_policies(policy_dir or [])
    if hypervisor is not None:
        policies.driver(hypervisor)
    version = policies.vocab.version(libvirt_version)
    evaluator = Evaluator(policies)
    defaults = Defaults(hypervisor, state.value if state else None, libvirt_version, mode.value if mode else None)
    pending = failed = False
    for text in command or []:
        fixed, still = _fix_command(text, policies, evaluator, defaults, version, unsafe_fixes)
        typer.echo(fixed)
        if still:
            typer.echo(f"miglint: still refused: {', '.join(still)} (no {'' if unsafe_fixes else 'safe '}fix)", err=True)
            failed = True
    errors = 0
    changed_files = fixed_requests = 0
    for item in walk(paths or [], Settings(defaults=defaults)):
        if isinstance(item, UserError):
            typer.echo(f"miglint: error: {item}", err=True)
            errors += 1
            continue
        if not isinstance(item, Path):
            continue  # a note of the directory walk (a symlink loop): nothing to fix
        name = "<stdin>" if str(item) == "-" else str(item)
        if name == "<stdin>" and in_place:
            raise UserError("cannot rewrite stdin in place; use --diff")
        try:
            data, text = _read(item, name, in_place)
        except UserError as e:
            typer.echo(f"miglint: error: {e}", err=True)
            errors += 1
            continue
        ff: FileFix = fix_text(text, name, _kind(Path(name), data[:4096]), policies, defaults, evaluator,
                               unsafe=unsafe_fixes)
        for problem in ff.errors:
            typer.echo(f"miglint: error: {problem}", err=True)
            errors += 1
        for j in ff.jobs:
            final = j.after or (j.before if j.plan is None else j.plan.result)
            if j.plan is not None:
                fixed_requests += 1
            still = [f.rule for f in final.findings if f.effect in REJECTING and not f.depends_on]
            if still:
                loc = j.job.location
                where = f"{loc.file}:{loc.line}" if loc else j.job.id
                typer.echo(f"{where}: still refused: {', '.join(still)} (no {'' if unsafe_fixes else 'safe '}fix)",
                           err=True)
                failed = True
        if not ff.changed:
            continue
        changed_files += 1
        if diff or not in_place:
            sys.stdout.writelines(difflib.unified_diff(ff.old.splitlines(keepends=True), ff.new.splitlines(keepends=True),
                                                       *_labels(name)))
            if not ff.new.endswith("\n") or not ff.old.endswith("\n"):
                typer.echo("")
        if in_place:
            replace_file(Path(name), ff.new)
        else:
            pending = True
    if paths:
        verb = "fixed" if in_place else "would fix"
        typer.echo(f"miglint: {verb} {fixed_requests} request(s) in {changed_files} file(s)", err=True)
    if errors:
        raise typer.Exit(2)
    raise typer.Exit(1 if pending or failed else 0)


def _fix_command(text: str, policies: object, evaluator: object, defaults: object, version: object,
                 unsafe: bool) -> tuple[str, list[str]]:
    from ...engine.evaluate import REJECTING, Evaluator
    from ...engine.fixes import fix_stable
    from ...inputs.request import Defaults, check_state
    from ...inputs.virsh import command_job
    from ...policy.load import PolicySet
    from ...outputs.rewrite import rewrite_command

    assert isinstance(policies, PolicySet) and isinstance(evaluator, Evaluator) and isinstance(defaults, Defaults)
    job = command_job(text, policies=policies, hypervisor=defaults.hypervisor, state=check_state(defaults.state),
                      version=version, job_id="<command>")  # type: ignore[arg-type]
    result = evaluator(job.request)
    if result.prediction == "accepted":
        return text.strip(), []
    plan = fix_stable(evaluator, job.request, unsafe=unsafe)
    fixed = rewrite_command(text, job.request, plan.request, policies.vocab).strip() if plan.changed else text.strip()
    check = command_job(fixed, policies=policies, hypervisor=job.request.hypervisor, state=job.request.state,
                        version=version, job_id="<command>")  # type: ignore[arg-type]
    after = evaluator(check.request)
    return fixed, [f.rule for f in after.findings if f.effect in REJECTING and not f.depends_on]


def _read(item: Path, name: str, in_place: bool) -> tuple[bytes, str]:
    """The bytes and text of a file to fix, or a UserError saying why not (as `check` would)."""
    import stat
    import sys

    from ...pipeline import MAX_FILE_BYTES

    try:
        if name == "<stdin>":
            data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        else:
            if in_place and not stat.S_ISREG(item.stat().st_mode):
                raise UserError("not a regular file: cannot rewrite it in place", name)
            with open(item, "rb") as fh:
                data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise UserError(f"cannot read: {e.strerror}", name) from None
    if len(data) > MAX_FILE_BYTES:
        raise UserError(f"file larger than {MAX_FILE_BYTES} bytes", name)
    if b"\0" in data[:8192]:
        raise UserError("binary file, expected a shell script or a plan", name)
    try:
        return data, data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise UserError(f"invalid UTF-8 (byte 0x{data[e.start]:02x})", f"{name}:{line}") from None


def _labels(name: str) -> tuple[str, str]:
    import os

    if os.path.isabs(name) or name.startswith("<"):
        return name, name
    return f"a/{name}", f"b/{name}"
