"""No code execution: safe YAML only, policies read nothing outside the policy path, plans and scripts run nothing.

An audit hook (sys.addaudithook) records every file opened and every process started while miglint reads
hostile inputs: YAML tags that would build objects, `extends` names that look like paths, command
substitutions and `eval` in scripts and plan commands.
"""

from __future__ import annotations

import os
import sys

import pytest

from miglint.cli.app import main
from miglint.policy.files import builtin_dir
from miglint.policy.load import load_policies

_EVENTS: list[tuple[str, tuple[object, ...]]] | None = None
SPAWN = ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
         "pty.spawn", "ctypes.dlopen", "os.startfile")


def _hook(event: str, args: tuple[object, ...]) -> None:
    if _EVENTS is not None and (event == "open" or event in SPAWN):
        _EVENTS.append((event, args))


sys.addaudithook(_hook)  # audit hooks cannot be removed: it records only inside `audited`


class audited:
    def __enter__(self) -> list[tuple[str, tuple[object, ...]]]:
        global _EVENTS
        _EVENTS = []
        return _EVENTS

    def __exit__(self, *exc: object) -> None:
        global _EVENTS
        _EVENTS = None


def opened(events: list[tuple[str, tuple[object, ...]]]) -> set[str]:
    out = set()
    for event, args in events:
        if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
            out.add(os.path.realpath(os.fsdecode(args[0])))
    return out


def spawned(events: list[tuple[str, tuple[object, ...]]]) -> list[str]:
    return [event for event, _ in events if event in SPAWN]


PYTHON_TAGS = [
    "!!python/object/apply:builtins.open ['pwned', 'w']",
    "!!python/object/new:builtins.open ['pwned', 'w']",
    "!!python/object:builtins.object {}",
    "!!python/name:os.system",
    "!!python/module:os",
    "!!python/tuple [1, 2]",
    "!!python/unicode x",
    "!include /etc/passwd",
]


@pytest.mark.parametrize("tag", PYTHON_TAGS)
@pytest.mark.parametrize("where", ["plan", "config", "policy"])
def test_yaml_tags_that_build_objects_are_refused(tag, where, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    if where == "plan":
        (tmp_path / "p.plan.yaml").write_text(f"- id: a\n  hypervisor: qemu\n  domain: {tag}\n")
        argv = ["check", "--no-config", "p.plan.yaml"]
    elif where == "config":
        (tmp_path / "c.yaml").write_text(f"state: running\nhypervisor: {tag}\n")
        argv = ["check", "--config", "c.yaml", "--command", "virsh migrate d qemu:///system"]
    else:
        (tmp_path / "pol").mkdir()
        (tmp_path / "pol" / "a.yaml").write_text("schema: miglint-policy/1\nname: acme\nkind: driver\n"
                                                 f"extends: qemu\nstatus: organisation\ntitle: {tag}\nrules: []\n")
        argv = ["check", "--no-config", "--policy-dir", "pol", "--command", "virsh migrate d qemu:///system"]
    with audited() as events:
        assert main(argv) == 2
    both = "".join(capsys.readouterr())
    name = tag.split()[0].replace("!!", "!!", 1)
    assert f"YAML tag {name!r} is not allowed" in both, both
    assert not (tmp_path / "pwned").exists() and not spawned(events)


@pytest.mark.parametrize("parent", ["../../etc/passwd", "/etc/passwd", "./qemu", "qemu.yaml", "policies/qemu",
                                    "../policies/qemu", "file:///etc/passwd", "~/qemu", "${HOME}/x"])
def test_extends_names_a_policy_never_a_file(parent, tmp_path, capsys):
    """`extends` is looked up among the loaded policies by name: a path is just an unknown name, and no file
    outside the policy path is opened."""
    pol = tmp_path / "pol"
    pol.mkdir()
    (pol / "a.yaml").write_text("schema: miglint-policy/1\nname: acme\nkind: driver\n"
                                f"extends: {parent!r}\nstatus: organisation\nrules: []\n")
    with audited() as events:
        assert main(["check", "--no-config", "--policy-dir", str(pol), "--command", "virsh migrate d qemu:///x"]) == 2
    err = capsys.readouterr().err
    assert f"policy 'acme' extends unknown policy {parent!r}" in err
    allowed = (os.path.realpath(builtin_dir()), os.path.realpath(pol), os.path.realpath(sys.prefix),
               os.path.realpath(sys.base_prefix), os.path.realpath(sys.exec_prefix), "/dev/")
    outside = {f for f in opened(events) if not f.startswith(allowed)}
    assert not outside, outside
    assert not spawned(events)


def test_a_policy_reads_only_its_own_files(tmp_path):
    pol = tmp_path / "pol"
    pol.mkdir()
    (pol / "acme.yaml").write_text("schema: miglint-policy/1\nname: acme\nkind: driver\nextends: qemu\n"
                                   "status: organisation\nrules: []\n")
    (tmp_path / "secret.yaml").write_text("not for miglint\n")
    with audited() as events:
        ps = load_policies([pol], use_cache=False)
    assert "acme" in ps.drivers
    read = {f for f in opened(events) if f.endswith((".yaml", ".yml", ".json"))}
    assert read and all(f.startswith((os.path.realpath(builtin_dir()), os.path.realpath(pol))) or
                        "site-packages" in f or f.startswith(os.path.realpath(sys.base_prefix)) for f in read), read
    assert os.path.realpath(tmp_path / "secret.yaml") not in read


HOSTILE_SCRIPT = """#!/bin/sh
virsh migrate --live $(touch pwned1) dom qemu+ssh://dst/system
virsh migrate --live `touch pwned2` dom qemu+ssh://dst/system
eval "touch pwned3"; virsh migrate --offline dom qemu+ssh://dst/system
virsh migrate --live dom "qemu+ssh://$(touch pwned4)/system" > >(touch pwned5)
ssh host 'touch pwned6; virsh migrate --compressed dom vz+ssh://dst/system'
bash -c "touch pwned7 && virsh migrate --live dom qemu+ssh://dst/system"
cat <<EOF | sh
touch pwned8
EOF
"""
HOSTILE_PLAN = """- {id: a, command: "virsh migrate --live $(touch pwned9) dom qemu+ssh://dst/system"}
- {id: b, command: "virsh migrate --live dom qemu+ssh://dst/system; touch pwned10"}
- {id: c, hypervisor: qemu, domain: "$(touch pwned11)", desturi: "`touch pwned12`", flags: [LIVE]}
"""

HOSTILE_PYTHON = """import os, subprocess
import libvirt
open("pwned14", "w").close()
os.system("touch pwned15")
FLAGS = __import__("subprocess").run(["touch", "pwned16"]) or libvirt.VIR_MIGRATE_LIVE
subprocess.run(["virsh", "migrate", "--live", "dom", "qemu+ssh://dst/system"], preexec_fn=lambda: open("pwned17", "w"))
libvirt.open("qemu:///system").lookupByName("d").migrateToURI3(exec("open('pwned18', 'w')"), {}, FLAGS)
"""


@pytest.mark.parametrize("command", ["check", "fix", "fix --in-place", "explain"])
def test_scripts_and_plans_run_nothing(command, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "run.sh").write_text(HOSTILE_SCRIPT)
    (tmp_path / "p.plan.yaml").write_text(HOSTILE_PLAN)
    (tmp_path / "orchestrate.py").write_text(HOSTILE_PYTHON)
    modules = set(sys.modules)
    with audited() as events:
        if command == "explain":
            main(["explain", "--hypervisor", "qemu", "--command",
                  "virsh migrate --live $(touch pwned13) dom qemu+ssh://dst/system"])
        else:
            main([*command.split(), "--no-config" if command == "check" else "--state", *(
                [] if command == "check" else ["running"]), "run.sh", "p.plan.yaml", "orchestrate.py"])
    out = capsys.readouterr().out
    if command == "check":
        assert "orchestrate.py:6:1: qemu" in out and "orchestrate.py:7:1: qemu" in out  # read, never run
    assert not {m for m in set(sys.modules) - modules if m.split(".")[0] in ("orchestrate", "libvirt")}
    assert not list(tmp_path.glob("pwned*")), list(tmp_path.glob("pwned*"))
    assert not spawned(events), spawned(events)
    assert not any(f.startswith("/usr/bin") or f.endswith("/sh") for f in opened(events))
