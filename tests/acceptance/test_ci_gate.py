"""The CI gate on the runbooks operators really keep (tests/data/runbooks: shell scripts with variables, arrays,
functions and loops, a Markdown runbook, a Makefile, Ansible plays, an agent script without extension): each
refused command found at the option at fault, no error on a correct one, "depends" where a word is unknowable;
and a repository of only correct runbooks passes with exit 0 and no --state."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from miglint.cli import main

DATA = Path(__file__).resolve().parents[1] / "data"

# request id -> (prediction, libvirt's first error, where the first certain finding points (line:column))
EXPECTED = {
    # evacuate-host.sh: variables, arrays, the command kept in a variable and in an array
    "evacuate-host.sh:14#1": ("accepted", None, None),
    "evacuate-host.sh:14#2": ("accepted", None, None),
    "evacuate-host.sh:20": ("accepted", None, None),  # "${cmd[@]}" runs the array: --p2p --tunnelled
    "evacuate-host.sh:24": ("rejected", "V001", "23:7"),  # "$opts" is one unknown option, at its assignment
    "evacuate-host.sh:27": ("accepted", None, None),  # virsh $VIRSH_OPTS migrate: unknown global options
    "evacuate-host.sh:35#1": ("accepted", None, None),  # FLAGS per case arm
    "evacuate-host.sh:35#2": ("accepted", None, None),
    "evacuate-host.sh:40": ("depends", None, None),  # --dname "$DNAME" from the environment
    # helpers.sh: a function forwarding "$@", checked at each call
    "helpers.sh:6@19": ("accepted", None, None),
    "helpers.sh:6@20": ("accepted", None, None),
    "helpers.sh:6@30,29": ("depends", None, None),  # "${ARGS[@]}": any words
    "helpers.sh:12@23": ("accepted", None, None),
    "helpers.sh:12@25#1": ("accepted", None, None),
    "helpers.sh:12@25#2": ("accepted", None, None),
    "helpers.sh:16": ("accepted", None, None),  # never called: the body with unknown arguments
    # runtime.sh: what only the run knows
    "runtime.sh:4": ("depends", None, None),
    "runtime.sh:7": ("accepted", None, None),
    "runtime.sh:10": ("depends", None, None),  # tcp://$3: one migration URI, its host unknown
    "runtime.sh:13": ("depends", None, None),
    "runtime.sh:16": ("accepted", None, None),  # ssh host '...'
    "runtime.sh:17": ("accepted", None, None),
    "runtime.sh:20": ("accepted", None, None),
    # runbook.md: prompts stripped, placeholders unknown, prose and output blocks not read
    "runbook.md:13": ("rejected", "Q053", None),  # suppressed by the comment above it
    "runbook.md:19": ("accepted", None, None),
    "runbook.md:22": ("accepted", None, None),
    "runbook.md:25": ("rejected", "A006", "25:51"),
    "runbook.md:38": ("accepted", None, None),
    # Makefile: make variables, $$ and recipe prefixes
    "Makefile:12": ("accepted", None, None),
    "Makefile:14#1": ("accepted", None, None),
    "Makefile:14#2": ("accepted", None, None),
    "Makefile:18": ("rejected", "Q053", None),  # suppressed
    "Makefile:21": ("depends", None, None),
    "Makefile:22": ("accepted", None, None),
    # drain.yml and migrate-tasks.yml: Ansible shell and command tasks, Jinja unknown
    "drain.yml:9": ("accepted", None, None),
    "drain.yml:16#1": ("rejected", "Q053", None),  # suppressed by the comment above the loop that runs it
    "drain.yml:16#2": ("rejected", "Q053", None),
    "drain.yml:22": ("accepted", None, None),
    "drain.yml:28": ("rejected", "A006", "31:17"),  # argv form: --tunnelled on its own line
    "drain.yml:40": ("accepted", None, None),
    "migrate-tasks.yml:3": ("accepted", None, None),
    "migrate-tasks.yml:7": ("accepted", None, None),
    # bin/evacuate: no extension, found by its shebang; the command in an array
    "bin/evacuate:8#1": ("accepted", None, None),
    "bin/evacuate:8#2": ("accepted", None, None),
}


def run_json(argv, cwd):
    proc = subprocess.run([sys.executable, "-m", "miglint", "check", "--no-config", "--format", "json", "--json-schema-version", "1", *argv],
                          cwd=cwd, capture_output=True, text=True, timeout=120)
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def test_every_command_of_the_corpus_as_expected():
    code, doc, _ = run_json(["."], DATA / "runbooks")
    got = {}
    for r in doc["results"]:
        certain = [f for f in r["findings"] if not f["depends_on"]]
        at = f"{certain[0]['location']['line']}:{certain[0]['location']['column']}" if certain else None
        got[r["id"].removeprefix("./")] = (r["prediction"], r["first_error"]["rule"] if r["first_error"] else None,
                                            at if r["prediction"] == "rejected" and certain else None)
    assert got == EXPECTED
    assert doc["errors"] == []
    assert code == 1  # V001 and A006 are certain errors


def test_a_repository_of_correct_runbooks_passes_without_state():
    code, doc, err = run_json(["."], DATA / "runbooks-correct")
    assert code == 0, doc
    assert {r["prediction"] for r in doc["results"]} == {"accepted"} and len(doc["results"]) == 10
    kinds = {r["location"]["file"].rsplit("/", 1)[-1] for r in doc["results"]}
    assert kinds == {"evacuate.sh", "hook", "runbook.md", "Makefile", "drain.yml", "fleet.plan.yaml"}


def test_depends_exits_zero_unless_asked(tmp_path):
    (tmp_path / "a.sh").write_text("virsh migrate --live --p2p --postcopy web1 qemu+ssh://n2/system\n")
    assert main(["check", "--no-config", str(tmp_path / "a.sh")]) == 0
    assert main(["check", "--no-config", "--fail-on-depends", str(tmp_path / "a.sh")]) == 1
    (tmp_path / ".miglint.yaml").write_text("fail-on-depends: true\n")
    assert main(["check", "--config", str(tmp_path / ".miglint.yaml"), str(tmp_path / "a.sh")]) == 1


@pytest.mark.parametrize("text, name, prediction", [
    ("- {id: a, hypervisor: qemu, state: shutoff, flags: [OFFLINE]}\n", None, "rejected"),  # a YAML plan
    ('{"id": "a", "hypervisor": "qemu", "state": "shutoff", "flags": ["OFFLINE"]}\n', None, "rejected"),
    ("virsh migrate --offline web1 qemu+ssh://n2/system\n", None, "rejected"),  # a script
    ("virsh migrate --offline --persistent web1 qemu+ssh://n2/system\n", "cold.sh", "accepted"),
    ("```bash\nvirsh migrate --offline web1 qemu+ssh://n2/system\n```\n", "RUNBOOK.md", "rejected"),
    # a one-entry plan as a YAML mapping: its hypervisor and state are read (vz refuses --compressed)
    ("id: ct1\nhypervisor: vz\nstate: running\ncommand: virsh migrate --compressed ct1 dst\n", None, "rejected"),
    ("# a comment first\nid: ct1\nhypervisor: vz\nstate: running\nflags: [COMPRESSED]\n", None, "rejected"),
    ("[{id: a, hypervisor: qemu, state: shutoff, flags: [OFFLINE]}]\n", None, "rejected"),  # flow-style YAML
    ("\ufeff[{\"id\": \"a\", \"hypervisor\": \"qemu\", \"state\": \"shutoff\", \"flags\": [\"OFFLINE\"]}]\n", None,
     "rejected"),  # JSON after a byte order mark
    ("\ufeffid: a\nhypervisor: qemu\nstate: shutoff\nflags: [OFFLINE]\n", None, "rejected"),
    ('{"migrations": [{"id": "a", "hypervisor": "qemu", "state": "shutoff", "flags": ["OFFLINE"]}]}\n', None,
     "rejected"),  # one JSON object on one line: a whole plan
    ("- hosts: all\n  tasks:\n    - shell: virsh migrate --offline web1 qemu+ssh://n2/system\n", None,
     "rejected"),  # an Ansible play
])
def test_stdin_is_read_by_its_content_or_its_given_name(text, name, prediction):
    argv = [sys.executable, "-m", "miglint", "check", "--no-config", "--format", "json", "--json-schema-version", "1", "-"]
    if name:
        argv[-1:-1] = ["--stdin-filename", name]
    proc = subprocess.run(argv, input=text, capture_output=True, text=True, timeout=60)
    doc = json.loads(proc.stdout)
    assert [r["prediction"] for r in doc["results"]] == [prediction], proc.stdout + proc.stderr
    assert doc["results"][0]["location"]["file"] == (name or "<stdin>")


@pytest.mark.parametrize("text, says", [
    ("[{id: a, hypervisor: qemu, state: shutoff\n", "<stdin>:2:1: error: invalid YAML"),  # flow YAML, unclosed
    ('[{"id": "a" "hypervisor": "qemu"}]\n', "<stdin>:1:13: error: invalid JSON: Expecting ',' delimiter"),
    ("id: a\nhypervisor: qemu\n  state: [shutoff\n", "<stdin>:3:8: error: invalid YAML"),  # says it is a plan
])
def test_a_broken_plan_on_stdin_is_said_as_what_it_means_to_be(text, says):
    proc = subprocess.run([sys.executable, "-m", "miglint", "check", "--no-config", "-"], input=text,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and says in proc.stdout, proc.stdout + proc.stderr


def test_nothing_found_is_said(tmp_path, capsys):
    assert main(["check", "--no-config", str(tmp_path)]) == 0
    assert "nothing checked: no plan, script or runbook" in capsys.readouterr().err
    (tmp_path / "notes.md").write_text("# Notes\n\nNo migration here.\n")
    (tmp_path / "k8s.yaml").write_text("apiVersion: v1\nkind: Pod\n")  # a YAML that is not ours: not read
    assert main(["check", "--no-config", str(tmp_path)]) == 0
    assert "no migration found in 1 file" in capsys.readouterr().err


def test_kinds_choose_what_a_walk_reads(tmp_path):
    (tmp_path / "a.sh").write_text("virsh migrate --offline web1 qemu+ssh://n2/system\n")
    (tmp_path / "b.md").write_text("```\nvirsh migrate --offline web2 qemu+ssh://n2/system\n```\n")
    (tmp_path / ".miglint.yaml").write_text("kinds: [markdown]\n")
    code, doc, _ = run_json(["--config", ".miglint.yaml", "."], tmp_path)
    assert [r["location"]["file"] for r in doc["results"]] == ["b.md"] and code == 1
    (tmp_path / ".miglint.yaml").write_text("kinds: [markdwon]\n")
    proc = subprocess.run([sys.executable, "-m", "miglint", "check", "--config", ".miglint.yaml", "."],
                          cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 2 and "did you mean 'markdown'" in proc.stderr
