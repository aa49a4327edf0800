"""miglint explain: a hypervisor's defaults and minimal commands, one command's meaning, or one rule."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from ...errors import UserError
from ..base import PolicyDirs, State, app, user_errors

FORMATS = ("text", "markdown", "json")


MIN_WIDTH = 40


def width_of(width: int | None) -> int:
    """--width as given (at least MIN_WIDTH columns), or the terminal's (60 to 200)."""
    import shutil

    if width is not None and width != 0 and width < MIN_WIDTH:
        raise UserError(f"--width takes a number of columns, at least {MIN_WIDTH}, got {width}")
    return width or max(60, min(shutil.get_terminal_size((120, 24)).columns, 200))


def jsonable(value: Any) -> Any:
    """NamedTuples to objects, tuples to lists; everything else as is. A request asked about a flag or
    parameter (features.probe) is what check said of it."""
    from ...features.probe import Answer

    if isinstance(value, Answer):
        return {"mode": value.mode, "state": value.state, "status": value.status, "rules": list(value.rules),
                "needs": list(value.needs), "prediction": value.result.prediction}
    if hasattr(value, "_asdict"):
        return {k: jsonable(v) for k, v in value._asdict().items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


@app.command()
@user_errors
def explain(
    rule: Annotated[Optional[str], typer.Argument(help="A rule id (Q053) or name (offline-needs-persistent).")] = None,
    hypervisor: Annotated[Optional[str], typer.Option(help="The hypervisor policy: qemu, libxl, vz, vz-2015, ...")] = None,
    command: Annotated[Optional[str], typer.Option("--command", help="Explain this 'virsh ... migrate ...' line.")] = None,
    state: Annotated[Optional[State], typer.Option(help="The domain's state (for --command).")] = None,
    libvirt_version: Annotated[Optional[str], typer.Option("--libvirt-version", help="libvirt version (default: the newest the policies know).")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text, markdown or json.")] = "text",
    width: Annotated[Optional[int], typer.Option(help="Text width (default: the terminal's).")] = None,
    policy_dir: PolicyDirs = None,
) -> None:
    """Explain what a hypervisor does by default, what a command means there, or a rule.

    With --hypervisor: every flag (accepted, what happens when omitted or set, when it is required or
    forbidden, libvirt versions) and the minimal command for each common intent. With --command: the
    effective request, what the omitted flags mean, the findings and the minimal valid command.
    """
    from ...engine.evaluate import Evaluator
    from ...features import explain as ex
    from ...policy.load import load_policies

    if fmt not in FORMATS:
        raise UserError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if sum(x is not None for x in (rule, command)) > 1:
        raise UserError("give a rule or --command, not both")
    policies = load_policies(policy_dir or [])
    version = policies.vocab.version(libvirt_version)
    if hypervisor is not None:
        policies.driver(hypervisor)
    w = width_of(width)
    if rule is not None:
        note_rule = _note_rule(rule)
        if note_rule is not None:  # miglint's own rules (M001...): about the input, not libvirt
            _explain_note(note_rule, fmt)
            return
        doc = ex.rule_doc(policies, policies.rule(rule))
        if fmt == "json":
            _json(jsonable(doc))
        else:
            typer.echo(ex.render_rule_markdown(doc) if fmt == "markdown" else ex.render_rule_text(doc, w), nl=False)
        return
    evaluator = Evaluator(policies)
    if command is not None:
        from ...inputs.request import check_state

        cexp = ex.explain_command(policies, evaluator, command, hypervisor=hypervisor,
                                  state=check_state(state.value if state else None), version=version)
        if fmt == "json":
            from ...outputs.reporters.json import result_dict

            data = {k: jsonable(v) for k, v in cexp._asdict().items() if k not in ("job", "result")}
            data["result"] = result_dict(cexp.result, cexp.job, policies.vocab)
            if cexp.minimal is not None:
                data["minimal"] = {"command": cexp.minimal.command, "prediction": cexp.minimal.prediction,
                                   "unsafe": cexp.minimal.unsafe, "changes": list(cexp.minimal.changes)}
            _json(data)
        else:
            typer.echo(ex.render_command_text(cexp, w), nl=False)
        return
    if hypervisor is None:
        raise UserError("give --hypervisor NAME, --command 'virsh migrate ...' or a rule id")
    hexp = ex.explain_hypervisor(policies, evaluator, hypervisor, version)
    if fmt == "json":
        _json(jsonable(hexp))
    elif fmt == "markdown":
        typer.echo(ex.render_hypervisor_markdown(hexp), nl=False)
    else:
        typer.echo(ex.render_hypervisor_text(hexp, w), nl=False)


def _note_rule(rule: str) -> Any:
    from ...notes import NOTE_RULES

    return next((n for n in NOTE_RULES.values() if rule in (n.id, n.name)), None)


def _explain_note(n: Any, fmt: str) -> None:
    if fmt == "json":
        _json({**n._asdict(), "kind": "miglint"})
    elif fmt == "markdown":
        from ...features.docs import note_markdown

        typer.echo(note_markdown(n), nl=False)
    else:
        typer.echo(f"{n.id} {n.name} ({n.severity}; miglint's own rule: about the input, not about libvirt)\n"
                   f"  {n.summary}\n  why: {n.why}\n  fix: {n.fix}")


def _json(data: Any) -> None:
    import json

    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
