"""Every mistake caught where it is: a table of mistakes a user makes in plans (YAML, JSON, JSON Lines),
configuration (YAML, TOML) and on the command line, each an input error (exit 2) at the line and column of
the key or value at fault, with the suggestion that fixes it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

E = "- {id: a, hypervisor: qemu, state: running, flags: [LIVE]"  # a YAML flow entry, closed by each row
J = '{"id": "a", "hypervisor": "qemu", "state": "running", "flags": ["LIVE"]'  # a JSON object, closed by each row

# (file, content, where the error is, what it says)
PLANS = [
    # YAML plans: every closed set misspelt, every value type wrong
    ("p.yaml", "- id: a\n  hypervisor: qemu\n  state: runing\n  flags: [LIVE]\n", "3:10", "did you mean 'running'?"),
    ("p.yaml", "- id: a\n  hypervisor: qemu\n  state: running\n  flags: [LIVE, p2p]\n", "4:17",
     "did you mean 'PEER2PEER', virsh's --p2p?"),
    ("p.yaml", E + ", flags: [LIVEE]}\n".replace(", flags: [LIVE]", ""), None, None),  # placeholder, replaced below
    ("p.yaml", "- {id: a, hypervisor: kvm, state: running, flags: [LIVE]}\n", "1:23", "did you mean 'qemu'?"),
    ("p.yaml", "- {id: a, hypervisor: qemuu, state: running, flags: [LIVE]}\n", "1:23", "did you mean 'qemu'?"),
    ("p.yaml", E + ", mode: p2pp}\n", "1:66", "did you mean 'p2p'?"),
    ("p.yaml", E + ", libvirt_version: 9.10}\n", "1:77", 'write it as a string in quotes, such as "9.10.0"'),
    ("p.yaml", E + ', libvirt_version: "9.x"}\n', "1:77", "expected MAJOR.MINOR.MICRO"),
    # values shown as the plan writes them, not as Python prints them
    ("p.yaml", E + ", libvirt_version: 2024-01-01}\n", "1:77", 'such as "9.0.0", got 2024-01-01'),
    ("p.yaml", E + ", domain: 2024-01-01 12:30:00}\n", "1:68", "got datetime: 2024-01-01T12:30:00"),
    ("p.yaml", "- {id: a, hypervisor: qemu, state: true, flags: [LIVE]}\n", "1:36", "invalid state true: use"),
    ("p.yaml", E + ", params: {migrate_disks: [vda, null, 1.0]}}\n", "1:84", "got ['vda', null, 1.0]"),
    ("p.json", '[' + J.replace('["LIVE"]', '["LIVE", null]') + '}]\n', "1:74", "flag names must be strings, got null"),
    ("p.yaml", E + ", facts: {domain.snapshot: 2}}\n", "1:68", "did you mean 'domain.snapshots'?"),
    ("p.yaml", E + ", facts: {domian.snapshots: 2}}\n", "1:68", "did you mean 'domain.snapshots'?"),
    ("p.yaml", E + ", host: {migrate_tls_forc: true}}\n", "1:67", "did you mean 'migrate_tls_force'?"),
    ("p.yaml", E + ", facts: {domain.snapshots: two}}\n", "1:86", "takes an integer, got 'two'"),
    ("p.yaml", E + ", facts: {host.migrate_tls_force: 1}}\n", "1:92", "takes true or false"),
    ("p.yaml", E + ", facts: {qemu.version: 7.2}}\n", "1:82", "write '7.2' in quotes"),
    ("p.yaml", E + ", qemu_version: 7.2}\n", "1:74", "write '7.2' in quotes"),
    ("p.yaml", E + ', qemu_version: "banana"}\n', "1:74", 'takes a version such as "7.2" (a string), got \'banana\''),
    ("p.yaml", E + ', facts: {qemu.version: "7.x"}}\n', "1:82", "got '7.x'"),
    ("p.plan.jsonl", J + ', "qemu_version": "latest"}\n', "1:90", "got 'latest'"),
    ("p.yaml", "- id: a\n  hypervisor: qemu\n  state: running\n  flags: [LIVE]\n  params:\n    bandwidth: 10M\n",
     "6:16", "takes an integer (ullong), got '10M'"),
    ("p.yaml", E + ", params: {bandwidth: fast}}\n", "1:80", "takes an integer (ullong), got 'fast'"),
    ("p.yaml", E + ", params: {migrate_disks: 5}}\n", "1:84", "a string or a list of strings, got 5"),
    ("p.yaml", "- {id: a, hypervisor: qemu, state: 5, flags: [LIVE]}\n", "1:36", "invalid state 5"),
    ("p.yaml", "- {id: a, hypervisor: qemu, state: running, flagz: [LIVE]}\n", "1:45", "did you mean 'flags'?"),
    ("p.yaml", E + ", extra: 1}\n", "1:60", "unknown key 'extra' in plan entry"),
    ("p.yaml", "- {id: a, hypervisor: qemu, state: running, flags: LIVE|PEERTOPEER}\n", "1:52",
     "did you mean 'PEER2PEER'?"),
    ("p.yaml", "defaults:\n  libvirt-versoin: \"9.0.0\"\nmigrations:\n  " + E + "}\n", "2:3",
     "did you mean 'libvirt_version'?"),
    ("p.yaml", "defaults:\n  stat: running\nmigrations:\n  " + E + "}\n", "2:3", "did you mean 'state'?"),
    ("p.yaml", "defaults:\n  libvirt-version: 9.10\nmigrations:\n  " + E + "}\n", "2:20",
     'such as "9.10.0"'),
    ("p.yaml", E + ", domain_xml: nothere.xml}\n", "1:72", "cannot read domain XML"),
    # JSON plans
    ("p.json", '{"migrations": [\n  ' + J + ',\n   "paramz": {}}\n]}\n', "3:4", "did you mean 'params'?"),
    ("p.json", '[{"id": "a", "hypervisor": "qemu", "state": "runing", "flags": ["LIVE"]}]\n', "1:45",
     "did you mean 'running'?"),
    ("p.json", '[' + J + ',\n  "libvirt_version": 9.1}]\n', "2:22", "not a version"),
    ("p.json", '[' + J + ',\n  "params": {"bandwidth": "fast"}}]\n', "2:27", "got 'fast'"),
    ("p.json", '[{"id": "a", "hypervisor": "xen", "state": "running", "flags": ["LIVE"]}]\n', "1:28",
     "did you mean 'libxl'?"),
    ("p.json", '[' + J.replace('"LIVE"]', '"LIVE", "p2p"]') + '}]\n', "1:74", "did you mean 'PEER2PEER'"),
    ("p.json", '[' + J + ',\n  "facts": {"domain.snapshot": 1}}]\n', "2:13", "did you mean 'domain.snapshots'?"),
    # a key given twice: an error at the second (the loaders would keep only the last value)
    ("p.yaml", "migrations:\n  " + E + "}\nmigrations:\n  " + E + "}\n", "3:1",
     "duplicate key 'migrations': it is also at line 1, column 1"),
    ("p.yaml", "- id: a\n  hypervisor: qemu\n  flags: [OFFLINE]\n  flags: [LIVE]\n", "4:3",
     "duplicate key 'flags': it is also at line 3, column 3"),
    ("p.yaml", E + ", params: {bandwidth: 1, bandwidth: 2}}\n", "1:83", "duplicate key 'bandwidth': it is also at line 1, column 69"),
    ("p.yaml", "defaults: {state: running, state: paused}\nmigrations: []\n", "1:28", "duplicate key 'state'"),
    ("p.json", '[' + J + ',\n  "flags": ["OFFLINE"]}]\n', "2:3", "duplicate key 'flags': it is also at line 1, column 56"),
    ("p.json", '{"migrations": [],\n "migrations": [' + J + '}]}\n', "2:2", "duplicate key 'migrations'"),
    # JSON Lines plans: the line of the entry, the column in it
    ("p.plan.jsonl", J + "}\n" + J.replace('"a"', '"b"').replace('"running"', '"runing"') + "}\n", "2:44",
     "did you mean 'running'?"),
    ("p.plan.jsonl", J + "}\n" + J.replace('"a"', '"b"') + ', "facts": {"domian.snapshots": 1}}\n', "2:84",
     "did you mean 'domain.snapshots'?"),
    ("p.plan.jsonl", J.replace('"LIVE"', '"LIVEE"') + "}\n", "1:65", "did you mean 'LIVE'?"),
    ("p.plan.jsonl", J + ', "host": {"migrate_tls_force": "yes"}}\n', "1:104", "takes true or false, got 'yes'"),
    ("p.plan.jsonl", J + ', "params": {"compression": {"zlib": 1}}}\n', "1:100", "a string or a list of strings, got {"),
    ("p.plan.jsonl", J.replace('"qemu"', '"vz2"') + "}\n", "1:27", "did you mean 'vz'?"),
    ("p.plan.jsonl", J + "}\n" + J + ', "flags": ["OFFLINE"]}\n', "2:74", "duplicate key 'flags': it is also at line 2, "
     "column 55"),
    ("p.plan.jsonl", J + ', "params": {"bandwidth": 1, "bandwidth": 2}}\n', "1:101", "duplicate key 'bandwidth': it is also at line 1, column 85"),
]
PLANS[2] = ("p.yaml", "- {id: a, hypervisor: qemu, state: running, flags: [LIVEE]}\n", "1:53", "did you mean 'LIVE'?")

CONFIGS = [
    (".miglint.yaml", "hypervisr: qemu\n", "1:1", "did you mean 'hypervisor'?"),
    (".miglint.yaml", "hypervisor: qemu\nstate: runing\n", "2:8", "did you mean 'running'?"),
    (".miglint.yaml", "hypervisor: kvm\n", "1:13", "did you mean 'qemu'?"),
    (".miglint.yaml", "fail-on: eror\n", "1:10", "did you mean 'error'?"),
    (".miglint.yaml", "severity:\n  Q053: eror\n", "2:9", "did you mean 'error'?"),
    (".miglint.yaml", "severity:\n  Q05x: error\n", "2:3", "unknown rule 'Q05x'"),
    (".miglint.yaml", "disable: [Q001, Q0999]\n", "1:17", "unknown rule 'Q0999'"),
    (".miglint.yaml", "kinds: [script, plna]\n", "1:17", "did you mean 'plan'?"),
    (".miglint.yaml", "libvirt_version: 9.10\n", "1:18", 'such as "9.10.0"'),
    (".miglint.yaml", "exit-zero: yes please\n", "1:12", "takes true or false"),
    (".miglint.yaml", "exit-zero: 2024-01-01\n", "1:12", "takes true or false, got 2024-01-01"),
    (".miglint.yaml", "max-file-size: huge\n", "1:16", "a size in bytes"),
    (".miglint.yaml", "replace:\n  qemu: acme\n", "2:9", "unknown policy 'acme'"),
    (".miglint.yaml", "rule-docs-url: docs/{rule}.md\n", "1:16", "absolute http(s) URL"),
    (".miglint.yaml", "state: running\nseverity: {Q053: info, Q053: error}\n", "2:24", "duplicate key 'Q053'"),
    (".miglint.yaml", "state: running\nstate: shutoff\n", "2:1", "duplicate key 'state': it is also at line 1"),
    ("pyproject.toml", "[tool.miglint]\nhypervisor = \"qemu\"\nstate = \"runing\"\n", "3:9", "did you mean 'running'?"),
    ("pyproject.toml", "[tool.miglint]\nexlude = [\"a\"]\n", "2:1", "did you mean 'exclude'?"),
    ("pyproject.toml", "[tool.miglint.severity]\nQ053 = \"eror\"\n", "2:8", "did you mean 'error'?"),
    ("pyproject.toml", "[tool.miglint]\nkinds = [\"script\",\n  \"plna\"]\n", "3:3", "did you mean 'plan'?"),
    ("pyproject.toml", "[tool.miglint]\nseverity = { Q053 = \"warnign\" }\n", "2:21", "did you mean 'warning'?"),
]

COMMAND_LINE = [
    (["check", "--fail-on", "eror"], "did you mean 'error'?"),
    (["check", "--state", "runing"], "did you mean 'running'?"),
    (["check", "--mode", "p2pp"], "did you mean 'p2p'?"),
    (["check", "--format", "sarfi"], "did you mean 'sarif'?"),
    (["check", "--hypervisor", "kvm"], "did you mean 'qemu'?"),
    (["check", "--libvirt-version", "9.x"], "expected MAJOR.MINOR.MICRO"),
    (["check", "--fact", "domain.snapshot=2"], "did you mean 'domain.snapshots'?"),
    (["check", "--host-fact", "migrate_tls_forc=true"], "did you mean 'migrate_tls_force'?"),
    (["check", "--qemu-version", "banana"], "invalid QEMU version 'banana'"),
    (["check", "--fact", "qemu.version=banana"], 'takes a version such as "7.2"'),
    (["check", "--disable", "offline-needs-persistant"], "did you mean 'offline-needs-persistent'?"),
    (["check", "--persistant"], "No such option: --persistant"),
    (["check", "--stdin-filename", "x.sh"], "--stdin-filename 'x.sh' names what '-' reads from stdin, and no '-'"),
    (["fix", "--stdin-filename", "x.sh"], "no '-' is among the paths"),
]


def run(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "miglint", *argv], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def test_the_table_is_large():
    assert len(PLANS) + len(CONFIGS) + len(COMMAND_LINE) >= 60


@pytest.mark.parametrize("name, content, where, says", PLANS)
def test_plan_mistakes(tmp_path, name, content, where, says):
    (tmp_path / name).write_text(content)
    proc = run(tmp_path, "check", "--no-config", name)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    line = next(l for l in proc.stdout.splitlines() if ": error: " in l)
    assert line.startswith(f"{name}:{where}: error: "), line
    assert says in line, line


@pytest.mark.parametrize("name, content", [
    ("p.yaml", "- id: a\n  hypervisor: qemu\n  state: running\n  flags: [LIVE]\n  params:\n    bandwith: 10\n"),
    ("p.plan.jsonl", J + ', "params": {"bandwith": 10}}\n'),
])
def test_a_misspelt_parameter_is_libvirts_refusal_with_the_name_meant(tmp_path, name, content):
    """libvirt refuses a typed parameter it does not define ("parameter 'bandwith' not supported"): a finding, with
    the parameter meant in its why, not an input error (a newer libvirt may define the name)."""
    (tmp_path / name).write_text(content)
    proc = run(tmp_path, "check", "--no-config", name)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "parameter 'bandwith' not supported" in proc.stdout and "did you mean 'bandwidth'?" in proc.stdout


def test_a_finding_about_a_flag_or_parameter_of_a_yaml_entry_points_at_it(tmp_path):
    (tmp_path / "p.yaml").write_text("- id: a\n  hypervisor: qemu\n  state: running\n  flags: [LIVE, PEER2PEER]\n"
                                     "  params:\n    bandwidth: 5\n    bandwith: 10\n"
                                     "- {id: b, hypervisor: qemu, state: shutoff, flags: [PEER2PEER, OFFLINE]}\n")
    proc = run(tmp_path, "check", "--no-config", "p.yaml")
    assert "      7:5 error Q002 " in proc.stdout and "     8:64 error Q053 " in proc.stdout, proc.stdout


@pytest.mark.parametrize("name, content, where, says", CONFIGS)
def test_configuration_mistakes(tmp_path, name, content, where, says):
    (tmp_path / name).write_text(content)
    proc = run(tmp_path, "check", "--command", "virsh migrate --live vm qemu+ssh://h/system")
    assert proc.returncode == 2 and proc.stdout == "", proc.stdout + proc.stderr
    assert proc.stderr.startswith(f"miglint: error: {name}:{where}: "), proc.stderr
    assert says in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("argv, says", COMMAND_LINE)
def test_command_line_mistakes(tmp_path, argv, says):
    proc = run(tmp_path, *argv, "--command", "virsh migrate --live vm qemu+ssh://h/system")
    assert proc.returncode == 2 and proc.stdout == "", proc.stdout + proc.stderr
    assert says in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("facts, says", [
    ({"domain.snapshot": 2}, "did you mean 'domain.snapshots'?"),
    ({"host.migrate_tls_forc": True}, "did you mean 'host.migrate_tls_force'?"),
    ({"domain.snapshots": "two"}, "takes an integer"),
])
def test_api_mistakes(facts, says):
    from miglint.api import check_request
    from miglint.errors import UserError

    with pytest.raises(UserError) as err:
        check_request("qemu", state="running", flags=["LIVE"], facts=facts)
    assert says in str(err.value)


def test_a_misspelt_virsh_option_in_a_command_is_virsh_s_own_refusal(tmp_path):
    # virsh refuses the whole command line (V001, a finding, not an input error), with the option meant
    proc = run(tmp_path, "check", "--no-config", "--command", "virsh migrate --live --persistant vm qemu+ssh://h/system")
    assert proc.returncode == 1
    assert "1:22 error V001" in proc.stdout and "did you mean --persistent?" in proc.stdout


@pytest.mark.parametrize("uri, says", [
    ("qmeu+ssh://h/system", "'qmeu' (did you mean 'qemu'?)"),
    ("kvm+ssh://h/system", "'kvm' (libvirt's driver is 'qemu')"),
])
def test_a_uri_scheme_no_driver_has_is_said_with_the_driver_meant(tmp_path, uri, says):
    proc = run(tmp_path, "check", "--no-config", "--command", f"virsh migrate --live vm {uri}")
    assert f"assumed: hypervisor qemu: the URI's scheme names no driver miglint knows, {says}" in proc.stdout
