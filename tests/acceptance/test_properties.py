"""Properties (hypothesis): random virsh lines and plan entries raise nothing but UserError; results are
deterministic and do not depend on the order of options (virsh's or miglint's own); fix is idempotent and
its output passes check. Option names, flags and parameters come from the vocabulary, never from here.
"""

from __future__ import annotations

import json
import shlex

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from miglint.api import result_to_dict
from miglint.engine.evaluate import Evaluator
from miglint.engine.fixes import fix_stable
from miglint.errors import UserError
from miglint.inputs import plan
from miglint.inputs.request import ENTRY_KEYS, job_from_entry
from miglint.inputs.virsh import command_job
from miglint.model import REJECTING, STATES, Location
from miglint.outputs.rewrite import fix_text, rewrite_command
from miglint.policy.load import load_policies
from miglint.settings import Defaults

pytestmark = pytest.mark.slow

POLICIES = load_policies(use_cache=False)
VOCAB = POLICIES.vocab
EVALUATOR = Evaluator(POLICIES)
HYPERVISORS = POLICIES.hypervisors
VERSIONS = ["9.0.0", "11.3.0"]
SCHEMES = {h: next((s for s, d in VOCAB.uri_drivers.items() if d == POLICIES.driver_family(h)), None) for h in HYPERVISORS}
NAMED = sorted(n for n in VOCAB.options if n not in ("domain", "desturi"))
BOOLS = sorted(n for n in NAMED if VOCAB.options[n].type == "bool")
FLAGS = sorted(VOCAB.flags)
PARAMS = sorted(VOCAB.params)

SETTINGS = settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow],
                    derandomize=True)

# -- strategies ------------------------------------------------------------------------------------------------------

words = st.one_of(
    st.sampled_from(["dom", "web-01", "'my dom'", '"x y"', "$DOM", "${HOSTS[0]}", "$(hostname)", "`id`", "--", "-",
                     "''", '""', "\\", ";", "&&", "|", "#", "<<EOF", "'", '"', "$(", "=", "--=", "---", "-c",
                     "\\\n", "\n", "\t", "\x00", "é", "☃", "9" * 30, "-1", "0x10", "1e9", " "]),
    st.text(max_size=12),
)
values = st.one_of(st.integers(min_value=-2**70, max_value=2**70).map(str), st.sampled_from(
    ["", "0", "1", "-1", "4294967296", "18446744073709551616", " 5", "+5", "5x", "tcp://h:49152", "a,b,,c",
     "/tmp/x.xml", "zlib,xbzrle", "$BW", "$(cat f)", "qemu+ssh://h/system"]), st.text(max_size=8))


@st.composite
def option_word(draw: st.DrawFn, garbage: bool = True) -> list[str]:
    name = draw(st.sampled_from(NAMED + list(VOCAB.aliases)) if not garbage else
                st.one_of(st.sampled_from(NAMED + list(VOCAB.aliases)), st.text(min_size=1, max_size=10)))
    od = VOCAB.options.get(VOCAB.resolve_option(name))
    if od is None or od.type == "bool":
        return [f"--{name}"] if not garbage or draw(st.booleans()) else [f"--{name}={draw(values)}"]
    value = draw(values)
    return [f"--{name}={value}"] if draw(st.booleans()) else [f"--{name}", shlex.quote(value)]


@st.composite
def uri(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from([s for s in VOCAB.uri_drivers] + ["", "esx", "test"]))
    transport = draw(st.sampled_from(["", "+ssh", "+tls", "+tcp", "+unix"]))
    host = draw(st.sampled_from(["dst", "", "10.0.0.2", "[::1]", "$DEST"]))
    return f"{scheme}{transport}://{host}/system" if scheme else draw(st.sampled_from(["dst", "", "$DEST"]))


@st.composite
def virsh_lines(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(["virsh", "sudo virsh", "virsh -c qemu:///system", "virsh -q -c vz:///system",
                                   "env LANG=C virsh", "virsh --connect=xen:///system", "timeout 60 virsh",
                                   "ssh host virsh", "virsh -rq", "VAR=1 virsh", "virsh --readonly"]))
    parts = [prefix, "migrate"]
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.integers(0, 9))
        if kind < 6:
            parts += draw(option_word())
        elif kind < 8:
            parts.append(draw(uri()))
        else:
            parts.append(draw(words))
    return " ".join(parts)


def json_values(max_leaves: int = 8) -> st.SearchStrategy[object]:
    scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**64, max_value=2**64),
                        st.floats(allow_nan=True), st.text(max_size=10), st.sampled_from(FLAGS))
    return st.recursive(scalars, lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=6), c, max_size=4),
                        max_leaves=max_leaves)


@st.composite
def plan_entries(draw: st.DrawFn) -> dict[str, object]:
    entry: dict[str, object] = {}
    keys = draw(st.lists(st.sampled_from(list(ENTRY_KEYS) + ["flgs", "Hypervisor", ""]), max_size=8, unique=True))
    for k in keys:
        good = draw(st.booleans())
        if k == "hypervisor" and good:
            entry[k] = draw(st.sampled_from(HYPERVISORS))
        elif k == "state" and good:
            entry[k] = draw(st.sampled_from(STATES))
        elif k == "libvirt_version" and good:
            entry[k] = draw(st.sampled_from(VERSIONS + ["1.3.5", "10", "12.0.0"]))
        elif k == "mode" and good:
            entry[k] = draw(st.sampled_from(["managed", "p2p", "direct"]))
        elif k == "flags" and good:
            entry[k] = draw(st.one_of(st.lists(st.sampled_from(FLAGS), max_size=6),
                                      st.integers(0, 2**32 - 1), st.sampled_from(["LIVE|PEER2PEER", "0x3"])))
        elif k == "params" and good:
            entry[k] = draw(st.dictionaries(st.sampled_from(PARAMS), st.one_of(
                st.integers(-1, 2**64), st.text(max_size=6), st.lists(st.text(max_size=4), max_size=3)), max_size=3))
        elif k == "command" and good:
            entry[k] = draw(virsh_lines())
        elif k == "facts" and good:
            entry[k] = draw(st.dictionaries(st.sampled_from(["domain.snapshots", "host.migrate_tls_force",
                                                             "domain.local_disks", "qemu.version", "Bad"]),
                                            st.one_of(st.integers(0, 3), st.booleans(), st.lists(st.text(max_size=3),
                                                                                                 max_size=2))))
        elif k == "ignore" and good:
            entry[k] = draw(st.lists(st.one_of(st.sampled_from(["Q053", "offline-needs-persistent", "Q999"]),
                                               st.fixed_dictionaries({"rule": st.sampled_from(["Q053", "Z002"]),
                                                                      "reason": st.text(max_size=5)}))))
        else:
            entry[k] = draw(json_values())
    return entry


def _check(job) -> None:
    result = EVALUATOR(job.request)
    doc = result_to_dict(result, job, POLICIES)  # the JSON reporter and the fix plan too
    json.dumps(doc)


# -- nothing but UserError ---------------------------------------------------------------------------------------------

@SETTINGS
@given(line=virsh_lines(), hv=st.sampled_from([None, *HYPERVISORS]), state=st.sampled_from(STATES),
       version=st.sampled_from([None, *VERSIONS, "1.3.5"]))
def test_random_virsh_lines_raise_only_user_errors(line, hv, state, version):
    try:
        job = command_job(line, policies=POLICIES, hypervisor=hv, state=state, version=VOCAB.version(version),
                          job_id="t")
    except UserError:
        return
    _check(job)


@SETTINGS
@given(text=st.text(max_size=200))
def test_arbitrary_text_as_a_command_raises_only_user_errors(text):
    try:
        job = command_job(text, policies=POLICIES, hypervisor="qemu", state="running", version=VOCAB.version(None),
                          job_id="t")
    except UserError:
        return
    _check(job)


@SETTINGS
@given(entry=st.one_of(plan_entries(), json_values(16)))
def test_random_plan_entries_raise_only_user_errors(entry):
    try:
        job = job_from_entry(POLICIES, entry, Defaults(), Location("p.plan.yaml", 1, 1), 0)
    except UserError:
        return
    _check(job)


@settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(entries=st.lists(plan_entries(), max_size=4), wrap=st.booleans())
def test_random_plans_in_every_format_raise_only_user_errors(entries, wrap):
    import yaml

    doc: object = {"defaults": {"state": "running"}, "migrations": entries} if wrap else entries
    try:
        text = json.dumps(doc, allow_nan=False)
    except ValueError:
        return
    items = list(plan.json_jobs(text.encode(), "p.plan.json", POLICIES, Defaults()))
    items += list(plan.yaml_jobs(yaml.safe_dump(doc).encode(), "p.plan.yaml", POLICIES, Defaults()))
    lines = "\n".join(json.dumps(e) for e in entries).encode()
    import io
    items += list(plan.jsonl_jobs(io.BufferedReader(io.BytesIO(lines)), "p.plan.jsonl", POLICIES, Defaults()))
    for item in items:
        if hasattr(item, "request"):
            _check(item)


# -- determinism and order -------------------------------------------------------------------------------------------

def _summary(result) -> tuple[object, ...]:
    return (result.prediction, sorted((f.rule, f.severity, f.depends_on) for f in result.findings))


@st.composite
def ordered_lines(draw: st.DrawFn) -> tuple[list[list[str]], list[str], str, str]:
    """Option units (no duplicates, values that are no options) and the positionals, for one hypervisor."""
    hv = draw(st.sampled_from(HYPERVISORS))
    version = draw(st.sampled_from(VERSIONS))
    known = [n for n in NAMED if VOCAB.options[n].since <= VOCAB.version(version)]
    names = draw(st.lists(st.sampled_from(known), max_size=7, unique=True))
    units = []
    for name in names:
        od = VOCAB.options[name]
        if od.type == "bool":
            units.append([f"--{name}"])
        else:
            value = draw(st.sampled_from(["5", "0", "tcp://h:49152", "vda,vdb", "new-name", "/tmp/d.xml", "zlib"]))
            units.append([f"--{name}={value}"] if draw(st.booleans()) else [f"--{name}", value])
    scheme = SCHEMES[hv]
    positionals = ["dom", f"{scheme}+ssh://dst/system" if scheme else "dst"]
    return units, positionals, hv, version


def _job(line: str, hv: str, state: str, version: str):
    return command_job(line, policies=POLICIES, hypervisor=hv, state=state, version=VOCAB.version(version), job_id="t")


@SETTINGS
@given(case=ordered_lines(), state=st.sampled_from(STATES), data=st.data())
def test_virsh_option_order_does_not_matter(case, state, data):
    units, positionals, hv, version = case
    shuffled = data.draw(st.permutations(units))
    a = _job(" ".join(["virsh", "migrate", *sum(units, []), *positionals]), hv, state, version)
    b = _job(" ".join(["virsh", "migrate", *sum(shuffled, []), *positionals]), hv, state, version)
    assert a.request.flags == b.request.flags and dict(a.request.params) == dict(b.request.params)
    assert dict(a.request.options or ()) == dict(b.request.options or ())
    assert _summary(EVALUATOR(a.request)) == _summary(EVALUATOR(b.request))
    # --opt value and --opt=value are the same to virsh
    joined = [[u[0] + "=" + u[1]] if len(u) == 2 else u for u in units]
    c = _job(" ".join(["virsh", "migrate", *sum(joined, []), *positionals]), hv, state, version)
    assert _summary(EVALUATOR(c.request)) == _summary(EVALUATOR(a.request))


@SETTINGS
@given(flags=st.lists(st.sampled_from(FLAGS), max_size=8, unique=True), hv=st.sampled_from(HYPERVISORS),
       state=st.sampled_from(STATES), data=st.data())
def test_flag_order_in_a_plan_entry_does_not_matter_and_results_are_deterministic(flags, hv, state, data):
    shuffled = data.draw(st.permutations(flags))
    entries = [{"id": "a", "hypervisor": hv, "state": state, "flags": f} for f in (flags, shuffled, "|".join(flags))]
    if not flags:
        entries[2]["flags"] = 0
    jobs = [job_from_entry(POLICIES, e, Defaults(), Location("p", 1, 1), 0) for e in entries]
    assert jobs[0].request == jobs[1].request == jobs[2].request
    fresh = Evaluator(POLICIES)  # no memo shared with the module's evaluator
    assert fresh(jobs[1].request) == EVALUATOR(jobs[0].request)


CLI_OPTIONS = [["--state", "running"], ["--hypervisor", "qemu"], ["--libvirt-version", "9.0.0"], ["--mode", "p2p"],
               ["--format", "json"], ["--fail-on", "warning"], ["--disable", "Q057"], ["--no-config"],
               # the commands keep their relative order: it names them (<command 1>, <command 2>)
               ["--command", "virsh migrate --live --compressed dom qemu+ssh://dst/system",
                "--command", "virsh migrate --offline dom qemu+ssh://dst/system"]]


@settings(deadline=None, max_examples=12, derandomize=True)
@given(order=st.permutations(CLI_OPTIONS))
def test_miglint_option_order_does_not_matter(order):
    import contextlib
    import io

    from miglint.cli.app import main

    outputs = []
    for argv in (CLI_OPTIONS, order):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = main(["check", *sum(argv, [])])
        outputs.append((code, out.getvalue()))
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0][1])["summary"]["requests"] == 2


# -- fix -------------------------------------------------------------------------------------------------------------

def _no_safe_fix_left(result, request) -> bool:
    """No refusal is left whose safe fix could still be applied: one that is left would only trade it for
    a refusal nothing fixes (fixes.plan_fix leaves those to a person)."""
    left = [f for f in result.findings if f.effect in REJECTING and not f.depends_on and not f.fix.is_empty()
            and f.fix.safe]
    return not left or not fix_stable(EVALUATOR, request).changed


@SETTINGS
@given(case=ordered_lines(), state=st.sampled_from(STATES), unsafe=st.booleans())
def test_fix_is_idempotent_and_its_output_passes_check(case, state, unsafe):
    units, positionals, hv, version = case
    text = " ".join(["virsh", "migrate", *sum(units, []), *positionals])
    job = _job(text, hv, state, version)
    fixed_plan = fix_stable(EVALUATOR, job.request, unsafe=unsafe)
    try:
        fixed = rewrite_command(text, job.request, fixed_plan.request, VOCAB)
    except UserError:  # RewriteError: fix refuses rather than write something else than planned
        assume(False)
        return
    again = _job(fixed, hv, state, version)
    assert again.request.flags == fixed_plan.request.flags, (text, fixed)
    assert dict(again.request.params) == dict(fixed_plan.request.params), (text, fixed)
    result = EVALUATOR(again.request)
    if not unsafe:
        assert _no_safe_fix_left(result, again.request), (text, fixed, [f.rule for f in result.findings])
    second = fix_stable(EVALUATOR, again.request, unsafe=unsafe)
    if not unsafe or result.prediction != "rejected":
        assert rewrite_command(fixed, again.request, second.request, VOCAB) == fixed, (text, fixed)


@settings(deadline=None, max_examples=100, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(cases=st.lists(ordered_lines(), min_size=1, max_size=5), state=st.sampled_from(STATES))
def test_fixing_a_fixed_script_changes_nothing(cases, state):
    lines = ["#!/bin/sh", "set -e"]
    for units, positionals, hv, version in cases:
        if SCHEMES[hv] is None or version != VOCAB.version_text(VOCAB.newest):
            continue  # the script's defaults name no hypervisor or version: URIs pick the driver
        lines.append(" ".join(["virsh", "migrate", *sum(units, []), *positionals]))
    text = "\n".join(lines) + "\n"
    defaults = Defaults(state=state)
    first = fix_text(text, "run.sh", "script", POLICIES, defaults, EVALUATOR)
    assume(not first.errors)
    second = fix_text(first.new, "run.sh", "script", POLICIES, defaults, EVALUATOR)
    assert not second.errors
    assert second.new == first.new, (text, first.new)
