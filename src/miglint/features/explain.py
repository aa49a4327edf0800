"""`miglint explain`: a hypervisor's defaults, one command's meaning, one rule's documentation.

Everything is data built from the policies (derive.py) and the evaluator; the render_* functions turn it
into text and return it. Nothing here prints or reads files.
"""

from __future__ import annotations

import json
import shlex
import textwrap
from collections.abc import Sequence
from typing import Any, NamedTuple

from ..engine.evaluate import Evaluator
from ..engine.fixes import FixPlan, minimize
from ..inputs.request import make_request
from ..inputs.virsh import command_job
from ..model import REJECTING, UNKNOWN, Finding, Job, Request, Result
from ..outputs.describe import fix_words
from ..outputs.rewrite import RewriteError, rewrite_command
from ..outputs.table import markdown_table, text_table
from ..policy.conditions import All, Libvirt, Qemu, generic_known
from ..policy.load import PolicySet, Rule
from ..policy.vocabulary import FLAG_PREFIX
from ..version import Version, format_version
from .capabilities import Analysis, FlagRow, ParamRow

DOMAIN = "dom"


# -- intents ---------------------------------------------------------------------------------------------


class IntentResult(NamedTuple):
    name: str
    title: str
    state: str
    command: str  # "" when unsupported
    prediction: str  # what `check` says of the command ("" when unsupported)
    remaining: tuple[str, ...]  # rule ids still found
    note: str
    unsupported: str


def default_desturi(policies: PolicySet, hypervisor: str) -> str:
    schemes = policies.driver(hypervisor).doc.get("uri_schemes") or []
    return f"{schemes[0]}+ssh://dst/system" if schemes else "DEST-URI"


def render_virsh(policies: PolicySet, request: Request, domain: str, desturi: str) -> str:
    """A `virsh migrate` line that sends ``request``'s flags and parameters."""
    vocab = policies.vocab
    words = ["virsh", "migrate"]
    for name in vocab.flag_names(request.flags):
        opt = vocab.option_for_flag.get(name)
        if opt is None:
            raise ValueError(f"flag {name} has no virsh option")
        words.append(f"--{opt}")
    if request.mode == "direct":
        words.append("--direct")
    for key, value in request.params:
        opt = vocab.option_for_param.get(key)
        if opt is None or value is UNKNOWN:
            continue
        text = ",".join(value) if isinstance(value, tuple) else str(value)
        words += [f"--{opt}", shlex.quote(text)]
    return " ".join(words + [shlex.quote(domain), shlex.quote(desturi)])


def verify_command(policies: PolicySet, evaluator: Evaluator, text: str, hypervisor: str, state: str,
                   version: Version) -> Result:
    """Run `check` on a command line: the answer the user would get."""
    job = command_job(text, policies=policies, hypervisor=hypervisor, state=state, version=version, job_id="intent")
    return evaluator(job.request)


def intents(policies: PolicySet, evaluator: Evaluator, hypervisor: str, version: Version, *,
            domain: str = DOMAIN, desturi: str | None = None, states: Sequence[str] | None = None) -> list[IntentResult]:
    """The minimal command for each intent the policy lists: its flags, fixed and minimised, then checked."""
    driver = policies.driver(hypervisor)
    dest = desturi or default_desturi(policies, hypervisor)
    out: list[IntentResult] = []
    for name, spec in (driver.doc.get("intents") or {}).items():
        state = str(spec["state"])
        if states is not None and state not in states:
            continue
        title, note = str(spec["title"]), str(spec.get("note", ""))
        if "unsupported" in spec:
            out.append(IntentResult(name, title, state, "", "", (), note, str(spec["unsupported"])))
            continue
        request = make_request(policies, hypervisor=hypervisor, state=state, flags=spec.get("flags", []),
                               mode=spec.get("mode"), libvirt_version=format_version(version))
        plan = minimize(evaluator, request)
        command = render_virsh(policies, plan.request, domain, dest)
        result = verify_command(policies, evaluator, command, hypervisor, state, version)
        remaining = tuple(f.rule for f in result.findings if f.effect in REJECTING)
        out.append(IntentResult(name, title, state, command, result.prediction, remaining, note, ""))
    return out


# -- a hypervisor ------------------------------------------------------------------------------------------


class HypervisorExplanation(NamedTuple):
    name: str
    title: str
    status: str
    description: str
    libvirt: str  # versions the driver's migration exists in
    version: str
    flags: tuple[FlagRow, ...]
    params: tuple[ParamRow, ...]
    refused_params_by: str
    intents: tuple[IntentResult, ...]


def explain_hypervisor(policies: PolicySet, evaluator: Evaluator, hypervisor: str, version: Version) -> HypervisorExplanation:
    a = Analysis(policies, hypervisor, version, evaluator)
    d = a.driver
    return HypervisorExplanation(
        name=hypervisor, title=d.title, status=d.status, description=" ".join(str(d.doc.get("description", "")).split()),
        libvirt=str(d.doc.get("libvirt", "")), version=format_version(version), flags=tuple(a.flag_rows()),
        params=tuple(a.param_rows()), refused_params_by=a.refused_param_by,
        intents=tuple(intents(policies, evaluator, hypervisor, version)),
    )


def constraints_text(row: FlagRow | ParamRow) -> str:
    parts = []
    for label, items in (("required", getattr(row, "required", ())), ("forbidden", row.forbidden),
                         ("ignored", row.ignored)):
        for c in items:
            parts.append(f"{label}: {c.condition} ({c.rule})")
    for rule in row.refused_when:
        parts.append(f"refused under a condition ({rule})")
    return "\n".join(parts)


def accepted_words(row: FlagRow | ParamRow) -> str:
    """yes / no (the rule that refuses it) / unknown, and what each mode says where they differ."""
    accepted = {"yes": "yes", "no": "no", "unsure": "unknown"}[row.accepted]
    if row.refused_by and row.accepted != "yes":
        accepted += f" ({row.refused_by})"
    if row.accepted == "yes" and row.when_set == "ignored" and isinstance(row, ParamRow):
        accepted += ", ignored"
    if row.modes:
        accepted += "\n" + "\n".join(f"{m}: {STATUS_WORDS.get(st, st)}" for m, st in row.modes)
    return accepted


STATUS_WORDS = {"honoured": "accepted", "unsure": "unknown"}


def flag_cells(row: FlagRow) -> list[str]:
    accepted = accepted_words(row)
    omitted = f"[default {row.default}] {row.omitted}".strip() if row.default else row.omitted
    set_text = f"[{row.when_set}] {row.set}".strip()
    if row.note:
        set_text += f" Note: {row.note}"
    versions = f"since {row.since}"
    if row.accepted_versions:
        versions += f"; {row.accepted_versions}"
    name = row.flag + (f"\n--{row.option}" if row.option else "")
    return [name, accepted, omitted or "-", set_text, constraints_text(row) or "-", versions]


FLAG_HEADERS = ["Flag", "Accepted", "When omitted", "When set", "Required / forbidden", "libvirt"]


def render_hypervisor_text(exp: HypervisorExplanation, width: int = 120) -> str:
    out = [f"{exp.name}: {exp.title} ({exp.status}), libvirt {exp.version}"
           + (f"; migration in libvirt {exp.libvirt}" if exp.libvirt else "")]
    if exp.description:
        out.append(textwrap.fill(exp.description, width))
    out.append("")
    out.append(text_table(FLAG_HEADERS, [flag_cells(r) for r in exp.flags], width))
    out.append(render_params_text(exp, width))
    out.append(render_intents_text(exp.intents, f"Minimal commands on {exp.name} (each checked)"))
    return "\n".join(out)


def param_cells(row: ParamRow) -> list[str]:
    versions = f"since {row.since}" + (f"; {row.accepted_versions}" if row.accepted_versions else "")
    return [row.key + (f"\n--{row.option}" if row.option else ""), accepted_words(row), constraints_text(row) or "-",
            versions]


def render_params_text(exp: HypervisorExplanation, width: int) -> str:
    shown = [p for p in exp.params if p.accepted != "no"]
    out = [text_table(["Parameter", "Accepted", "Forbidden / ignored", "libvirt"], [param_cells(p) for p in shown], width)]
    refused: dict[str, list[str]] = {}
    for p in exp.params:
        if p.accepted == "no":
            refused.setdefault(p.refused_by or exp.refused_params_by, []).append(p.key)
    for by, keys in refused.items():
        out.append(textwrap.fill(f"Refused{f' ({by})' if by else ''}: " + ", ".join(keys), width) + "\n")
    return "\n".join(out)


def render_intents_text(items: Sequence[IntentResult], heading: str) -> str:
    out = [heading + ":"]
    if not items:
        out.append("  (the policy lists no intents)")
    for it in items:
        out.append(f"  {it.title} (domain {it.state}):")
        if it.unsupported:
            out.append(f"    unsupported: {it.unsupported}")
        else:
            extra = f" ({', '.join(it.remaining)})" if it.remaining else ""
            out.append(f"    {it.command}    -> {it.prediction}{extra}")
        if it.note:
            out.append(f"    {it.note}")
    return "\n".join(out) + "\n"


# -- one command ------------------------------------------------------------------------------------------


class OmittedFlag(NamedTuple):
    flag: str
    option: str | None
    default: str
    text: str


class IgnoredFlag(NamedTuple):
    flag: str
    option: str | None
    text: str
    rule: str


class Minimal(NamedTuple):
    command: str
    plan: FixPlan
    prediction: str  # what check says of ``command``
    unsafe: bool  # it needed fixes that change the request's meaning
    changes: tuple[str, ...]


class CommandExplanation(NamedTuple):
    job: Job
    result: Result
    title: str
    api: str
    omitted: tuple[OmittedFlag, ...]
    ignored: tuple[IgnoredFlag, ...]
    minimal: Minimal | None
    unfixable: tuple[str, ...]  # rule ids no automatic fix addresses
    intents: tuple[IntentResult, ...]
    flags: tuple[str, ...]  # the request's flags, by name
    fixes: tuple[str, ...]  # each finding's fix, in words


def _changes(plan: FixPlan) -> tuple[str, ...]:
    out = [f"add --{o}" for o in plan.add_options] + [f"remove --{o}" for o in plan.remove_options]
    if plan.request.options is None:
        out = [f"add {FLAG_PREFIX}{x}" for x in plan.add_flags] + [f"remove {FLAG_PREFIX}{x}" for x in plan.remove_flags]
        out += [f"remove parameter {k}" for k in plan.remove_params]
        out += [f"set parameter {k}" for k, _ in plan.set_params]
    return tuple(out)


def explain_command(policies: PolicySet, evaluator: Evaluator, text: str, *, hypervisor: str | None,
                    state: str, version: Version) -> CommandExplanation:
    job = command_job(text, policies=policies, hypervisor=hypervisor, state=state, version=version,
                      job_id="<command>")
    req = job.request
    result = evaluator(req)
    vocab = policies.vocab
    driver = policies.driver(req.hypervisor)
    analysis = Analysis(policies, req.hypervisor, version, evaluator)
    behaviour = driver.doc.get("behaviour") or {}
    omitted = []
    ignored = []
    for row in analysis.flag_rows():
        bit = vocab.flags[row.flag].value
        beh = behaviour.get(row.flag) or {}
        if not req.flags & bit:
            if beh:
                omitted.append(OmittedFlag(row.flag, row.option, str(beh.get("default", "")), str(beh.get("omitted", ""))))
        elif row.when_set == "ignored" and row.accepted == "yes":
            ignored.append(IgnoredFlag(row.flag, row.option, str(beh.get("set", "")), ""))
    for f in result.findings:
        if f.kind == "ignored" and f.effect not in REJECTING:
            for s in f.subjects:
                name = s.split(":", 1)[1]
                if s.startswith("flag:") and all(i.flag != name for i in ignored):
                    ignored.append(IgnoredFlag(name, vocab.option_for_flag.get(name), f.message, f.rule))
    ignored = [i._replace(rule=i.rule or _ignoring_rule(result, i.flag)) for i in ignored]
    minimal = None
    plan = minimize(evaluator, req)
    unsafe = False
    if plan.result.prediction == "rejected":
        risky = minimize(evaluator, req, unsafe=True)
        if risky.result.prediction != "rejected":
            plan, unsafe = risky, True
    try:
        command = rewrite_command(text, req, plan.request, vocab) if plan.changed else text.strip()
        check = verify_command(policies, evaluator, command, req.hypervisor, req.state, version) \
            if plan.changed else result
        minimal = Minimal(command.strip(), plan, check.prediction, unsafe, _changes(plan))
    except RewriteError:
        minimal = None
    unfixable = tuple(f.rule for f in plan.result.findings if f.effect in REJECTING and not f.depends_on)
    states = None if req.state == "unknown" else [req.state]
    its = intents(policies, evaluator, req.hypervisor, version, domain=req.domain or DOMAIN,
                  desturi=req.desturi or default_desturi(policies, req.hypervisor), states=states)
    mode = vocab.modes.get(req.mode, {})
    api = f"{mode.get('api', '?')} ({req.mode}: {mode.get('description', '')})"
    return CommandExplanation(job, result, driver.title, api, tuple(omitted), tuple(ignored), minimal, unfixable,
                              tuple(its), tuple(vocab.flag_names(req.flags)),
                              tuple(fix_words(f.fix, vocab) for f in result.findings))


def _ignoring_rule(result: Result, flag: str) -> str:
    for f in result.findings:
        if f.kind == "ignored" and f"flag:{flag}" in f.subjects:
            return f.rule
    return ""


def _param_text(value: Any) -> str:
    if value is UNKNOWN:
        return "(not known: a shell expansion or a file)"
    return ",".join(value) if isinstance(value, tuple) else str(value)


def render_command_text(exp: CommandExplanation, width: int = 120) -> str:
    req = exp.job.request
    r = exp.result
    out = [f"Command: {(exp.job.text or '').strip()}", ""]
    out.append("Effective request:")
    out.append(f"  hypervisor  {req.hypervisor} ({exp.title}), libvirt {req.libvirt_version}")
    out.append(f"  API         {exp.api}")
    state = req.state if req.state != "unknown" else "unknown (give --state running|paused|shutoff)"
    out.append(f"  state       {state}")
    flags = ", ".join(FLAG_PREFIX + n for n in exp.flags) + f" (0x{req.flags:x})" if exp.flags else "none (0x0)"
    out.append(f"  flags       {flags}")
    params = ", ".join(f"{k}={_param_text(v)}" for k, v in req.params) or "none"
    out.append(f"  params      {params}")
    out.append(f"  domain      {req.domain or '?'}, destination {req.desturi or '?'}")
    verdict = r.prediction
    if r.prediction == "rejected" and r.first_error:
        verdict += f" (libvirt reports {r.first_error.rule} first)"
    elif r.prediction == "depends":
        verdict += " on " + ", ".join(r.depends_on)
    out.append(f"  prediction  {verdict}")
    out.append("")
    out.append(f"What the omitted flags mean on {req.hypervisor}:")
    rows = [[f"--{o.option}" if o.option else FLAG_PREFIX + o.flag, o.default or "-", o.text] for o in exp.omitted]
    out.append(_indent(text_table(["Omitted", "Default", "What happens"], rows, width - 2)) if rows else
               "  (the policy describes no defaults)\n")
    out.append("Given but changing nothing:")
    if exp.ignored:
        for i in exp.ignored:
            rule = f" [{i.rule}]" if i.rule else ""
            opt = f" (--{i.option})" if i.option else ""
            out.append(textwrap.fill(f"{i.flag}{opt}: {i.text}{rule}", width, initial_indent="  ",
                                     subsequent_indent="    "))
    else:
        out.append("  (nothing)")
    out.append("")
    out.append("Findings:")
    if not r.findings:
        out.append("  (none)")
    for f, fx in zip(r.findings, exp.fixes):
        maybe = f" (depends on {', '.join(f.depends_on)})" if f.depends_on else ""
        out.append(f"  {f.severity} {f.rule} {f.name}{maybe}: {f.message}")
        if fx:
            out.append(f"      fix: {fx}")
    out.append("")
    m = exp.minimal
    out.append("Minimal valid command for the same request:")
    if m is None:
        out.append("  (cannot be written as a command line; see the findings)")
    else:
        note = "unchanged" if not m.changes else ", ".join(m.changes)
        if m.unsafe:
            note += "; changes the request's meaning (--unsafe-fixes)"
        out.append(f"  {m.command}")
        out.append(f"    ({note}; check: {m.prediction})")
    if exp.unfixable:
        out.append(f"  still refused, no automatic fix: {', '.join(exp.unfixable)} (see the findings' fix)")
    out.append("")
    out.append(render_intents_text(exp.intents, f"Minimal commands for common intents on {req.hypervisor}"
                                   + (f" (domain {req.state})" if req.state != "unknown" else "")))
    return "\n".join(out)


def _indent(text: str, by: str = "  ") -> str:
    return "".join(by + line if line.strip() else line for line in text.splitlines(keepends=True))


# -- one rule ---------------------------------------------------------------------------------------------


class RuleDoc(NamedTuple):
    id: str
    name: str
    title: str
    policy: str
    policy_title: str
    kind: str
    severity: str
    effect: str
    phases: tuple[str, ...]
    message: str  # as libvirt prints it, with the code's prefix
    code: str
    variants: tuple[tuple[str, str], ...]  # (condition, message)
    condition: str
    needs: tuple[str, ...]
    why: str
    fix: str
    fix_safe: bool
    doc: str
    examples_fail: tuple[str, ...]
    examples_pass: tuple[str, ...]
    source: str
    versions: str
    hypervisors: tuple[str, ...]
    aftermath: str = ""  # what a request it fires for leaves behind (libvirt defects)


AFTERMATH = {
    "daemon-crash": "The source libvirtd crashes on such a request (seen on a real libvirt), taking the management "
                    "of every other domain on that host down with it until it is restarted.",
    "job-left": "The domain's migration job stays active after libvirt refuses such a request (seen on a real "
                "libvirt): the domain's next migrations and jobs are refused until the client's connection closes.",
}


def _example_text(example: Any) -> str:
    """A command line with its context in brackets, or a plan entry as JSON."""
    if isinstance(example, str):
        return example
    if isinstance(example, dict) and isinstance(example.get("command"), str) and \
            all(isinstance(v, str) for v in example.values()):
        rest = [f"{k.replace('_', ' ')} {v}" for k, v in example.items() if k != "command"]
        return str(example["command"]) + (f"  ({', '.join(rest)})" if rest else "")
    return json.dumps(example, ensure_ascii=False)


def _case(condition: str) -> str:
    return "otherwise" if condition == "always" else condition


def rule_doc(policies: PolicySet, rule: Rule) -> RuleDoc:
    vocab = policies.vocab
    k = generic_known(vocab)
    condition = rule.common.simplify(k).describe(vocab)
    if rule.variants:
        condition = ("" if condition == "always" else condition + ", and ") + "one of the variants holds"
    variants = tuple((_case(v.when.simplify(k).describe(vocab)),
                      vocab.printed_message(v.code or rule.code, v.message or rule.message,
                                            rule.prefixed if v.prefixed is None else v.prefixed))
                     for v in rule.variants)
    fix = rule.fix
    parts = [fix.text] if fix.text else []
    structured = [f"add {vocab.flag_word(x)}" for x in fix.add_flags]
    structured += [f"remove {vocab.flag_word(x)}" for x in fix.remove_flags]
    structured += [f"add --{o}" for o in fix.add_options] + [f"remove --{o}" for o in fix.remove_options]
    structured += [f"remove {vocab.param_word(k_)}" for k_ in fix.remove_params]
    structured += [f"set {vocab.param_word(k_)} to {_param_text(tuple(v) if isinstance(v, list) else v)}"
                   for k_, v in fix.set_params]
    if rule.fix_matched:
        structured.append("remove what the rule matched")
    if structured:
        parts.append(("automatic fix: " if fix.text else "") + ", ".join(structured))
    s = rule.source
    source = f"{s.file}: {s.function}" + (f" (libvirt {s.libvirt})" if s.libvirt else "")
    if s.note:
        source += f"; {s.note}"
    versions = []
    for node in rule.when.items if isinstance(rule.when, All) else (rule.when,):
        if isinstance(node, Libvirt):
            if node.range_text is not None:
                versions.append(f"fires with libvirt {node.range_text}")
            if node.unsure_text is not None:
                versions.append(f"not known for libvirt {node.unsure_text}")
        elif isinstance(node, Qemu):
            if node.range_text is not None:
                versions.append(f"fires with QEMU {node.range_text} (without the fact qemu.version: the QEMU assumed "
                                "for the libvirt version, vocabulary qemu_assumed)")
            if node.unsure_texts:
                versions.append(f"not known for QEMU {', '.join(node.unsure_texts)}")
    hvs = tuple(name for name, d in sorted(policies.drivers.items()) if any(r.id == rule.id for r in d.rules))
    return RuleDoc(
        id=rule.id, name=rule.name, title=rule.title, policy=rule.policy, policy_title=str(policies.docs[rule.policy].get("title", "")),
        kind=rule.kind, severity=rule.severity, effect=rule.effect, phases=rule.groups,
        message=vocab.printed_message(rule.code, rule.message, rule.prefixed), code=rule.code or "",
        variants=variants, condition=condition, needs=rule.needs, why=rule.why, fix="; ".join(parts),
        fix_safe=fix.safe, doc=" ".join(str(rule.doc.get("doc", "")).split()),
        examples_fail=tuple(_example_text(e) for e in rule.examples.get("fail", [])),
        examples_pass=tuple(_example_text(e) for e in rule.examples.get("pass", [])),
        source=source, versions="; ".join(versions), hypervisors=hvs,
        aftermath=AFTERMATH.get(str(rule.doc.get("aftermath", "")), ""),
    )


def render_rule_text(d: RuleDoc, width: int = 100) -> str:
    def para(label: str, text: str) -> list[str]:
        if not text:
            return []
        return [textwrap.fill(text, width, initial_indent=f"{label:<12}", subsequent_indent=" " * 12)]

    out = [f"{d.id} {d.name}: {d.title}",
           f"({d.severity}, {d.effect}; kind {d.kind}; policy {d.policy}: {d.policy_title})", ""]
    out += para("message", d.message + (f"  [{d.code}]" if d.code else ""))
    for cond, msg in d.variants:
        out += para("  variant", f"when {cond}: {msg}")
    out += para("fires when", d.condition + (f" (needs facts: {', '.join(d.needs)})" if d.needs else ""))
    out += para("why", d.why)
    out += para("aftermath", d.aftermath)
    out += para("fix", d.fix + (" (safe: applied by miglint fix)" if d.fix_safe else ""))
    out += para("details", d.doc)
    out += para("checked in", ", ".join(d.phases))
    out += para("applies to", ", ".join(d.hypervisors) or "(no hypervisor)")
    out += para("versions", d.versions)
    out += para("source", d.source)
    for label, items in (("fails", d.examples_fail), ("passes", d.examples_pass)):
        for i, e in enumerate(items):
            out += para(label if i == 0 else "", e)
    return "\n".join(out) + "\n"


def render_rule_markdown(d: RuleDoc, link_hypervisor: str = "../matrix.md") -> str:
    out = [f"# {d.id} {d.name}", "", f"**{d.title}**", "",
           f"*{d.severity}* · effect *{d.effect}* · kind *{d.kind}* · policy `{d.policy}` ({d.policy_title})", ""]
    out += ["libvirt's message:", "", "```", d.message + (f"  [{d.code}]" if d.code else ""), "```", ""]
    if d.variants:
        out += ["Variants:", ""] + [f"- when {c}: `{m}`" for c, m in d.variants] + [""]
    out += [f"**Fires when** {d.condition}" + (f" (needs the facts {', '.join(d.needs)})" if d.needs else "") + ".", ""]
    out += [f"**Why.** {d.why}", ""]
    if d.aftermath:
        out += [f"**Aftermath.** {d.aftermath}", ""]
    out += [f"**Fix.** {d.fix}" + (" (safe: `miglint fix` applies it)" if d.fix_safe else ""), ""]
    if d.doc:
        out += [d.doc, ""]
    out += [f"**Checked in:** {', '.join(d.phases)}  ", "**Applies to:** "
            + (", ".join(d.hypervisors) or "no hypervisor") + "  "]
    if d.versions:
        out += [f"**Versions:** {d.versions}  "]
    out += [f"**Source:** {d.source}", ""]
    for label, items in (("Triggers it", d.examples_fail), ("Does not trigger it", d.examples_pass)):
        if items:
            out += [f"{label}:", "", "```"] + list(items) + ["```", ""]
    out += [f"[All rules](../index.md) · [Flag matrix]({link_hypervisor})", ""]
    return "\n".join(out)


def finding_line(f: Finding) -> str:
    return f"{f.severity} {f.rule} {f.name}: {f.message}"


def markdown_flags_table(exp: HypervisorExplanation) -> str:
    return markdown_table(FLAG_HEADERS, [flag_cells(r) for r in exp.flags])


def render_hypervisor_markdown(exp: HypervisorExplanation) -> str:
    out = [f"# {exp.name}: {exp.title}", "",
           f"Status: {exp.status}; libvirt {exp.version}" + (f"; migration in libvirt {exp.libvirt}" if exp.libvirt else ""),
           ""]
    if exp.description:
        out += [exp.description, ""]
    out += [markdown_flags_table(exp), ""]
    shown = [p for p in exp.params if p.accepted != "no"]
    out += [markdown_table(["Parameter", "Accepted", "Forbidden / ignored", "libvirt"], [param_cells(p) for p in shown]), ""]
    refused: dict[str, list[str]] = {}
    for p in exp.params:
        if p.accepted == "no":
            refused.setdefault(p.refused_by or exp.refused_params_by, []).append(p.key)
    for by, keys in refused.items():
        out += [f"Refused parameters{f' ({by})' if by else ''}: " + ", ".join(f"`{k}`" for k in keys), ""]
    out += ["## Minimal commands", ""]
    for it in exp.intents:
        if it.unsupported:
            out += [f"- **{it.title}** (domain {it.state}): unsupported: {it.unsupported}"]
        else:
            out += [f"- **{it.title}** (domain {it.state}): `{it.command}` → {it.prediction}"]
        if it.note:
            out[-1] += f" — {it.note}"
    return "\n".join(out) + "\n"
