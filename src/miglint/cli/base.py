"""What every typer command shares: the app, how a command ends (an exit code, or one line and exit 2),
the option types, and commands built from the declared options (``miglint.options``)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import fields
from enum import Enum
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, Optional, TypeVar

import typer

from ..about import __version__
from ..model import STATES
from ..options import Opt, RunOptions, spec_of
from .guard import run_guarded

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Policy-as-data linter for libvirt VM migrations (virsh migrate, plans, scripts).",
                  context_settings={"help_option_names": ["-h", "--help"]})

F = TypeVar("F", bound=Callable[..., Any])
DEBUG = False


def choices(name: str, values: tuple[str, ...]) -> Any:
    """An Enum of the given strings: typer lists an Enum's members as the option's choices."""
    return Enum(name, {v: v for v in values}, type=str)


State = choices("State", STATES)


def user_errors(fn: F) -> F:
    """Turn a UserError into one line on stderr and exit code 2; never a traceback unless --debug."""
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        def call() -> int:
            try:
                fn(*args, **kwargs)
            except typer.Exit as e:
                return int(e.exit_code)
            return 0
        code = run_guarded(call, DEBUG)
        raise typer.Exit(code)
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



O = TypeVar("O", bound=RunOptions)
_PYTHON_TYPES: dict[str, Any] = {"value": Optional[str], "path": Optional[Path], "multi": Optional[list[str]],
                                 "multipath": Optional[list[Path]], "arguments": Optional[list[str]], "flag": bool}


def _annotation(spec: Opt, name: str) -> Any:
    """The typer annotation for one declared option (choices become an Enum, as typer lists them)."""
    kind: Any = _PYTHON_TYPES[spec.kind]
    if spec.choices:
        kind = Optional[choices(name.title().replace("_", ""), spec.choices)]
    if spec.kind == "arguments":
        return Annotated[kind, typer.Argument(help=spec.help, show_default=False)]
    return Annotated[kind, typer.Option(*spec.names, help=spec.help, metavar=spec.metavar, show_default=False)]


def declared(cls: type[RunOptions], name: str) -> Any:
    """The typer annotation of one declared option, for commands that take it besides their own."""
    return _annotation(spec_of(next(f for f in fields(cls) if f.name == name)), name)


PolicyDirs = declared(RunOptions, "policy_dir")
ConfigOption = declared(RunOptions, "config")
NoConfig = declared(RunOptions, "no_config")


def options_command(cls: type[O]) -> Callable[[Callable[[O], None]], Callable[..., None]]:
    """A typer command whose parameters are the fields of an options class (``miglint.options``): typer
    parses the command line, the function receives one ``cls`` object -- the one the fast path builds too."""
    def decorate(run: Callable[[O], None]) -> Callable[..., None]:
        params = []
        annotations: dict[str, Any] = {}
        for f in fields(cls):
            spec = spec_of(f)
            annotations[f.name] = _annotation(spec, f.name)
            default = False if spec.kind == "flag" else None
            params.append(inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=default,
                                            annotation=annotations[f.name]))

        def command(**given: Any) -> None:
            values: dict[str, Any] = {}
            for f in fields(cls):
                v = given.get(f.name)
                if isinstance(v, Enum):
                    v = v.value
                if spec_of(f).repeatable:
                    v = tuple(v or ())
                elif spec_of(f).kind == "flag":
                    v = bool(v)
                values[f.name] = v
            run(cls(**values))

        command.__name__ = run.__name__
        command.__doc__ = run.__doc__ or cls.__doc__
        command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        command.__annotations__ = annotations
        return command
    return decorate
