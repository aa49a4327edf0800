"""The command line: parse, build settings, call the runner, return its exit code. Nothing else lives here."""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import Enum
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, Optional, TypeVar

import typer

from . import __version__
from .errors import UserError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Policy-as-data linter for libvirt VM migrations (virsh migrate, plans, scripts).",
                  context_settings={"help_option_names": ["-h", "--help"]})

F = TypeVar("F", bound=Callable[..., Any])
DEBUG = False


class State(str, Enum):
    running = "running"
    paused = "paused"
    shutoff = "shutoff"
    unknown = "unknown"


class Mode(str, Enum):
    managed = "managed"
    p2p = "p2p"
    direct = "direct"


class Severity(str, Enum):
    error = "error"
    warning = "warning"
    info = "info"


def user_errors(fn: F) -> F:
    """Turn a UserError into one line on stderr and exit code 2; never a traceback unless --debug."""
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except UserError as e:
            if DEBUG:
                raise
            typer.echo(f"miglint: error: {e}", err=True)
            raise typer.Exit(2) from None
        except (typer.Exit, typer.Abort):
            raise
        except KeyboardInterrupt:
            typer.echo("miglint: interrupted", err=True)
            raise typer.Exit(2) from None
        except Exception as e:  # a bug, not the user's fault: still one line
            if DEBUG:
                raise
            typer.echo(f"miglint: internal error: {type(e).__name__}: {e} (run with --debug for details)", err=True)
            raise typer.Exit(2) from None
    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"miglint {__version__}")
        raise typer.Exit(0)


@app.callback()
def root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    global DEBUG
    DEBUG = debug


PolicyDirs = Annotated[Optional[list[Path]], typer.Option("--policy-dir", help="Extra policy directory or file (repeatable).")]


@app.command()
@user_errors
def check(
    paths: Annotated[Optional[list[str]], typer.Argument(help="Plan files (YAML, JSON, JSON Lines), shell scripts or directories; - for stdin.")] = None,
    command: Annotated[Optional[list[str]], typer.Option("--command", help="A 'virsh ... migrate ...' command line (repeatable).")] = None,
    hypervisor: Annotated[Optional[str], typer.Option(help="Policy for entries that do not name one: qemu, libxl, vz, vz-2015, ...")] = None,
    state: Annotated[Optional[State], typer.Option(help="Domain state for entries that do not give one.")] = None,
    libvirt_version: Annotated[Optional[str], typer.Option("--libvirt-version", help="libvirt version (default: the newest the policies know).")] = None,
    mode: Annotated[Optional[Mode], typer.Option(help="managed, p2p or direct, for entries that do not say.")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text, json or jsonl.")] = "text",
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the report to this file.")] = None,
    fail_on: Annotated[Severity, typer.Option("--fail-on", help="Exit 1 when a finding has this severity or worse.")] = Severity.error,
    exit_zero: Annotated[bool, typer.Option("--exit-zero", help="Exit 0 even with findings (errors in input still exit 2).")] = False,
    policy_dir: PolicyDirs = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Text: leave out why and fix.")] = False,
) -> None:
    """Lint migration requests; exit 0 when clean, 1 on findings, 2 on usage or input errors."""
    from .inputs.request import Defaults
    from .policies import load_policies
    from .reporters import FORMATS, make_reporter
    from .run import Settings
    from .run import check as run_check

    if fmt not in FORMATS:
        raise UserError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if not paths and not command:
        raise UserError("nothing to check: give files, directories, - for stdin, or --command")
    policies = load_policies(policy_dir or [])
    if hypervisor is not None:
        policies.driver(hypervisor)
    if libvirt_version is not None:
        policies.vocab.version(libvirt_version)
    settings = Settings(defaults=Defaults(hypervisor, state.value if state else None, libvirt_version,
                                          mode.value if mode else None),
                        fail_on=fail_on.value, exit_zero=exit_zero)
    from .output import open_output

    with open_output(output) as out:
        reporter = make_reporter(fmt, out, policies.vocab, **({"verbose": not quiet} if fmt == "text" else {}))
        code = run_check(paths or [], command or [], policies, settings, [reporter])
    raise typer.Exit(code)


@app.command()
@user_errors
def rules(
    hypervisor: Annotated[Optional[str], typer.Option(help="Only the rules that apply to this hypervisor.")] = None,
    policy_dir: PolicyDirs = None,
) -> None:
    """List rules: id, name, severity, policy and libvirt's message."""
    from .policies import load_policies

    ps = load_policies(policy_dir or [])
    chosen = ps.driver(hypervisor).rules if hypervisor else list(ps.rules.values())
    for r in sorted(chosen, key=lambda r: r.id):
        typer.echo(f"{r.id}  {r.name:<40} {r.severity:<8} {r.policy:<8} {r.message}")


@app.command()
@user_errors
def schema(
    name: Annotated[str, typer.Argument(help="policy, plan, result or vocabulary.")] = "policy",
) -> None:
    """Print one of miglint's JSON Schemas (for editors and CI)."""
    from .policies import builtin_dir
    from .schemas import SCHEMAS

    if name not in SCHEMAS:
        raise UserError(f"unknown schema {name!r}; use one of {', '.join(SCHEMAS)}")
    typer.echo((builtin_dir() / "schema" / f"{name}.schema.json").read_text(encoding="utf-8"), nl=False)


def main(argv: list[str] | None = None) -> int:
    """Console entry point; returns the exit code (tests call this directly)."""
    try:
        app(args=argv, prog_name="miglint", standalone_mode=True)
    except SystemExit as e:
        return int(e.code or 0) if not isinstance(e.code, str) else 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
