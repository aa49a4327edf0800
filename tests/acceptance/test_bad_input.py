"""Every error a user can cause is one line naming the file (and line), exit code 2, never a traceback.

A table of bad inputs: each case writes its files into an empty directory, runs the console entry point
(``miglint.cli.app.main``) there and checks the exit code, the message, where it points, and that no traceback
or "internal error" appears. Errors that stop the whole run (usage, configuration, policies) are exactly one
line on stderr; errors in one input are one line of the report, and the other inputs are still checked.

Unreadable files: the tests run as root, for whom chmod 000 changes nothing, so ``test_unreadable_*`` run
miglint in a subprocess with the privileges of ``nobody`` (uid 65534, via subprocess's ``user=``), and as
themselves when not root. Other ways a file cannot be read are in the table: a path through a file, a
symbolic link loop, a broken link, a named pipe where a regular file is needed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest

from miglint.cli.app import main

OK = "virsh migrate --live --p2p dom qemu+ssh://dst/system"
ENTRY = "{id: a, hypervisor: qemu, state: running, flags: [LIVE, PEER2PEER]}"

RULE = """  - id: {id}
    name: {rname}
    title: --unsafe is not allowed
    kind: policy
    effect: policy
    severity: error
    when: {{flags: [UNSAFE]}}
    message: "ACME: --unsafe is not allowed"
    why: Company policy forbids skipping libvirt's safety checks.
    source: {{file: src/none, function: acme}}
    examples:
      fail: ["virsh migrate --live --unsafe dom qemu+ssh://dst/system"]
      pass: ["virsh migrate --live dom qemu+ssh://dst/system"]
"""


def org(name: str = "acme", extends: str = "qemu", rules: str = "", extra: str = "") -> str:
    return (f"schema: miglint-policy/1\nname: {name}\nkind: driver\nextends: {extends}\nstatus: organisation\n"
            f"{extra}rules:{' []' if not rules else chr(10) + rules}\n")


def bomb(levels: int = 9, width: int = 10) -> str:
    """A "billion laughs": 10**9 nodes once the aliases are expanded, in 500 bytes."""
    lines = [f"a0: &a0 [{', '.join(['lol'] * width)}]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


class Case(NamedTuple):
    name: str
    argv: list[str]
    message: str  # a substring of the one line that reports the error
    where: str | None = None  # the file:line[:column] the line starts with (or names after "miglint: error:")
    files: dict[str, str | bytes] = {}
    code: int = 2
    setup: Callable[[Path], None] | None = None


def fifo(name: str) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(root / name)
    return make


def links(**pairs: str) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        for name, target in pairs.items():
            p = root / name.replace("__", "/").replace("_DOT_", ".")
            p.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(target, p)
    return make


CHECK = ["check", "--no-config"]
CASES = [
    # -- malformed YAML and JSON plans ---------------------------------------------------------------------------
    Case("yaml-unclosed-flow", CHECK + ["a.plan.yaml"], "invalid YAML: did not find expected ',' or '}'",
         "a.plan.yaml:2:1", {"a.plan.yaml": "- {id: a, hypervisor: qemu\n"}),
    Case("yaml-tab-indent", CHECK + ["a.plan.yaml"], "invalid YAML: found character that cannot start any token",
         "a.plan.yaml:2:1", {"a.plan.yaml": "migrations:\n\t- id: x\n"}),
    Case("json-missing-value", CHECK + ["a.plan.json"], "invalid JSON: Expecting value", "a.plan.json:2:16",
         {"a.plan.json": '[{"id": "a",\n "hypervisor": }]'}),
    Case("jsonl-bad-second-line", CHECK + ["--state", "running", "a.plan.jsonl"],
         "invalid JSON: Expecting ',' delimiter", "a.plan.jsonl:2:12",
         {"a.plan.jsonl": '{"id": "a", "hypervisor": "qemu"}\n{"id": "b" "hypervisor": "qemu"}\n'}),
    Case("yaml-plan-is-a-string", CHECK + ["a.plan.yaml"], "a plan is a list of entries or a mapping with "
         "'migrations', got str", "a.plan.yaml:1", {"a.plan.yaml": "hello\n"}),
    Case("yaml-entry-is-a-string", CHECK + ["a.plan.yaml"], "a plan entry is a mapping, got str", "a.plan.yaml:2",
         {"a.plan.yaml": f"- {ENTRY}\n- hello\n"}),
    Case("migrations-not-a-list", CHECK + ["a.plan.yaml"], "'migrations' must be a list of entries",
         "a.plan.yaml:1", {"a.plan.yaml": "migrations: {a: 1}\n"}),
    Case("defaults-not-a-mapping", CHECK + ["a.plan.yaml"], "'defaults' must be a mapping", "a.plan.yaml:1",
         {"a.plan.yaml": "defaults: [qemu]\nmigrations: []\n"}),
    Case("plan-level-ignore-bad", CHECK + ["a.plan.yaml"], "'ignore' takes rule ids or names", "a.plan.yaml:1",
         {"a.plan.yaml": "ignore: 5\nmigrations: []\n"}),
    # -- wrong types in plan entries -----------------------------------------------------------------------------
    Case("flags-mapping", CHECK + ["a.plan.yaml"], "flags must be a list of names or an integer bitmask, got dict",
         "a.plan.yaml:1", {"a.plan.yaml": "- {id: a, hypervisor: qemu, flags: {LIVE: 1}}\n"}),
    Case("flags-bitmask-too-large", CHECK + ["a.plan.json"], "flags bitmask 4294967296 is out of range",
         "a.plan.json:1", {"a.plan.json": '[{"id": "a", "hypervisor": "qemu", "flags": 4294967296}]'}),
    Case("params-list", CHECK + ["a.plan.yaml"], "params must be a mapping of parameter name to value, got list",
         "a.plan.yaml:1:37", {"a.plan.yaml": "- {id: a, hypervisor: qemu, params: [1]}\n"}),
    Case("params-list-block", CHECK + ["a.plan.yaml"], "params must be a mapping of parameter name to value",
         "a.plan.yaml:3:11", {"a.plan.yaml": "- id: a\n  hypervisor: qemu\n  params: [bandwidth, 5]\n"}),
    Case("param-wrong-type", CHECK + ["a.plan.yaml"], "parameter 'bandwidth' takes an integer (ullong), got 'fast'",
         "a.plan.yaml:1", {"a.plan.yaml": "- {id: a, hypervisor: qemu, params: {bandwidth: fast}}\n"}),
    Case("hypervisor-list", CHECK + ["a.plan.yaml"], "'hypervisor' must be a string, got list", "a.plan.yaml:1",
         {"a.plan.yaml": "- {id: a, hypervisor: [qemu]}\n"}),
    Case("domain-mapping", CHECK + ["a.plan.yaml"], "'domain' must be a string, got dict", "a.plan.yaml:2",
         {"a.plan.yaml": f"- {ENTRY}\n- {{id: b, hypervisor: qemu, domain: {{a: 1}}}}\n"}),
    Case("desturi-list", CHECK + ["a.plan.json"], "'desturi' must be a string, got list", "a.plan.json:1",
         {"a.plan.json": '[{"id": "a", "hypervisor": "qemu", "desturi": [1]}]'}),
    Case("fact-nested-list", CHECK + ["a.plan.yaml"], "fact 'domain.local_disks' takes a list of strings",
         "a.plan.yaml:1:57", {"a.plan.yaml": "- {id: a, hypervisor: qemu, facts: {domain.local_disks: [[1]]}}\n"}),
    Case("fact-bad-name", CHECK + ["a.plan.yaml"], "unknown fact 'Foo'; known: domain.snapshots", "a.plan.yaml:1:37",
         {"a.plan.yaml": "- {id: a, hypervisor: qemu, facts: {Foo: 1}}\n"}),
    Case("command-not-a-string", CHECK + ["a.plan.yaml"], "'command' must be a string, got int", "a.plan.yaml:1",
         {"a.plan.yaml": "- {id: a, command: 5}\n"}),
    Case("command-and-flags", CHECK + ["a.plan.yaml"], "either 'command' or 'flags'/'params', not both",
         "a.plan.yaml:1", {"a.plan.yaml": f"- {{id: a, command: '{OK}', flags: [LIVE]}}\n"}),
    Case("entry-id-mapping", CHECK + ["a.plan.yaml"], "'id' must be a string, got dict", "a.plan.yaml:1",
         {"a.plan.yaml": "- {id: {x: 1}, hypervisor: qemu}\n"}),
    Case("state-number", CHECK + ["a.plan.yaml"], "invalid state 5: use one of running, paused, shutoff, unknown",
         "a.plan.yaml:1", {"a.plan.yaml": "- {id: a, hypervisor: qemu, state: 5}\n"}),
    Case("yaml-bad-timestamp", CHECK + ["a.plan.yaml"], "invalid timestamp value '2001-02-30'", "a.plan.yaml:1:46",
         {"a.plan.yaml": "- {id: a, hypervisor: qemu, libvirt_version: 2001-02-30}\n"}),
    Case("yaml-int-tag-on-float", CHECK + ["a.plan.yaml"], "invalid int value '1.5'", "a.plan.yaml:1:36",
         {"a.plan.yaml": "- {id: a, hypervisor: qemu, flags: !!int 1.5}\n"}),
    # found by the fuzzer: PyYAML's own constructors raise KeyError, AttributeError or IndexError on these
    Case("yaml-bool-tag-on-y", CHECK + ["a.plan.yaml"], "invalid bool value 'y'", "a.plan.yaml:3:11",
         {"a.plan.yaml": "- id: a\n  hypervisor: vz\n  domain: !!bool y\n"}),
    Case("yaml-timestamp-tag-on-text", CHECK + ["a.plan.yaml"], "invalid timestamp value 'soon'", "a.plan.yaml:1:46",
         {"a.plan.yaml": "- {id: a, hypervisor: qemu, libvirt_version: !!timestamp soon}\n"}),
    Case("yaml-int-tag-on-nothing", CHECK + ["a.plan.yaml"], "invalid int value ''", "a.plan.yaml:1:36",
         {"a.plan.yaml": "- {id: a, hypervisor: qemu, flags: !!int }\n"}),
    # -- unknown names, with "did you mean" ----------------------------------------------------------------------
    Case("unknown-entry-key", CHECK + ["a.plan.yaml"], "unknown key 'flgs' in plan entry (did you mean 'flags'?)",
         "a.plan.yaml:1", {"a.plan.yaml": "- {id: a, hypervisor: qemu, flgs: [LIVE]}\n"}),
    Case("unknown-flag", CHECK + ["a.plan.yaml"], "unknown migration flag 'LIVEE' (did you mean 'LIVE'?)",
         "a.plan.yaml:1", {"a.plan.yaml": "- {id: a, hypervisor: qemu, flags: [LIVEE]}\n"}),
    # A typed parameter libvirt does not define is what libvirt refuses (virTypedParamsValidate): a finding, whose
    # why names the parameter the entry probably means.
    Case("unknown-parameter-is-a-finding", CHECK + ["a.plan.yaml"],
         "'bandwith' is no migration parameter libvirt defines (did you mean 'bandwidth'?)", None,
         {"a.plan.yaml": "- {id: a, hypervisor: qemu, params: {bandwith: 10}}\n"}, code=1),
    Case("unknown-parameter-message", CHECK + ["a.plan.yaml"],
         "argument unsupported: parameter 'bandwith' not supported", None,
         {"a.plan.yaml": "- {id: a, hypervisor: qemu, params: {bandwith: 10}}\n"}, code=1),
    Case("unknown-state", CHECK + ["a.plan.yaml"], "invalid state 'runing'", "a.plan.yaml:1",
         {"a.plan.yaml": "- {id: a, hypervisor: qemu, state: runing}\n"}),
    Case("unknown-mode", CHECK + ["a.plan.yaml"], "invalid mode 'pp2p': use one of managed, p2p, direct "
         "(did you mean 'p2p'?)", "a.plan.yaml:1", {"a.plan.yaml": "- {id: a, hypervisor: qemu, mode: pp2p}\n"}),
    Case("unknown-hypervisor-in-plan", CHECK + ["a.plan.yaml"], "unknown hypervisor 'qemo' (did you mean 'qemu'?)",
         "a.plan.yaml:1", {"a.plan.yaml": "- {id: a, hypervisor: qemo}\n"}),
    Case("unknown-hypervisor-option", CHECK + ["--hypervisor", "libxll", "--command", OK],
         "unknown hypervisor 'libxll' (did you mean 'libxl'?)"),
    Case("unknown-hypervisor-in-config", ["check", "--config", "c.yaml", "--command", OK],
         "unknown hypervisor 'vzz' (did you mean 'vz'?)", "c.yaml:2",
         {"c.yaml": "state: running\nhypervisor: vzz\n"}),
    Case("unknown-cli-option", ["check", "--no-such-option", "--command", OK],
         "No such option: --no-such-option (see 'miglint check --help')"),
    Case("unknown-cli-command", ["chek", "--command", OK], "No such command 'chek'. Did you mean 'check'"),
    Case("bad-cli-choice", ["check", "--state", "runing", "--command", OK],
         "Invalid value for '--state': 'runing' is not one of 'running'"),
    Case("cli-option-without-value", ["check", "--command"], "Option '--command' requires an argument."),
    # An unknown option inside a linted virsh line is what virsh would refuse: a finding (V001, exit 1).
    Case("unknown-virsh-option-is-a-finding", CHECK + ["--command", OK.replace("--p2p", "--p2p --bogus")],
         "error V001 unknown-option", None, code=1),
    Case("unknown-virsh-option-in-script-is-a-finding", CHECK + ["run.sh"], "error V001 unknown-option", None,
         {"run.sh": "#!/bin/sh\n" + OK.replace("--p2p", "--p2p --livee") + "\n"}, code=1),
    # -- libvirt versions ------------------------------------------------------------------------------------------
    Case("bad-version-in-plan", CHECK + ["a.plan.yaml"], "invalid libvirt version 'nine': expected MAJOR.MINOR.MICRO",
         "a.plan.yaml:1", {"a.plan.yaml": "- {id: a, hypervisor: qemu, libvirt_version: nine}\n"}),
    Case("bad-version-type-in-plan", CHECK + ["a.plan.yaml"], "libvirt_version must be a string such as",
         "a.plan.yaml:1", {"a.plan.yaml": "- {id: a, hypervisor: qemu, libvirt_version: [9]}\n"}),
    Case("bad-version-option", CHECK + ["--libvirt-version", "9.x", "--command", OK],
         "invalid libvirt version '9.x'"),
    Case("bad-version-in-config", ["check", "--config", "c.yaml", "--command", OK], "invalid libvirt version '11.x'",
         "c.yaml:1", {"c.yaml": "libvirt-version: 11.x\n"}),
    Case("bad-version-in-plan-defaults", CHECK + ["a.plan.yaml"], "invalid libvirt version 'x'", "a.plan.yaml:1:29",
         {"a.plan.yaml": "defaults: {libvirt_version: x}\nmigrations: [{id: a, hypervisor: qemu}]\n"}),
    # -- encodings, binary and empty files -------------------------------------------------------------------------
    Case("utf8-yaml-plan", CHECK + ["a.plan.yaml"], "invalid UTF-8 (byte 0xff)", "a.plan.yaml:2",
         {"a.plan.yaml": b"- id: a\n  hypervisor: q\xffemu\n"}),
    Case("utf8-json-plan", CHECK + ["a.plan.json"], "invalid UTF-8 (byte 0xfe)", "a.plan.json:1",
         {"a.plan.json": b'[{"id": "\xfe"}]'}),
    Case("utf8-jsonl-line", CHECK + ["--state", "running", "a.plan.jsonl"], "invalid UTF-8", "a.plan.jsonl:2",
         {"a.plan.jsonl": b'{"id": "a", "hypervisor": "qemu"}\n{"id": "\xff"}\n'}),
    Case("utf8-script", CHECK + ["run.sh"], "invalid UTF-8 (byte 0xe9)", "run.sh:3",
         {"run.sh": b"#!/bin/sh\necho start\necho caf\xe9\n"}),
    Case("utf8-config", ["check", "--config", "c.yaml", "--command", OK], "invalid UTF-8 (byte 0xff)", "c.yaml:2",
         {"c.yaml": b"state: running\nmode: p\xff2p\n"}),
    Case("utf8-toml-config", ["check", "--config", "pyproject.toml", "--command", OK], "invalid UTF-8 (byte 0xff)",
         "pyproject.toml:2", {"pyproject.toml": b"[tool.miglint]\nstate = '\xff'\n"}),
    Case("utf8-policy", CHECK + ["--policy-dir", "pol", "--command", OK], "invalid UTF-8 (byte 0xff)", "pol/a.yaml:7",
         {"pol/a.yaml": org().encode() + b"title: \xff\n"}),
    Case("utf8-fix", ["fix", "run.sh"], "invalid UTF-8 (byte 0xff)", "run.sh:2",
         {"run.sh": b"#!/bin/sh\nvirsh migrate \xff dom qemu+ssh://dst/system\n"}),
    Case("binary-yaml-plan", CHECK + ["a.plan.yaml"], "binary file, expected YAML text", "a.plan.yaml",
         {"a.plan.yaml": b"\x00\x01\x02\x03"}),
    Case("binary-json-plan", CHECK + ["a.plan.json"], "binary file, expected a plan", "a.plan.json",
         {"a.plan.json": b"\x00\x00\x00"}),
    Case("binary-script", CHECK + ["tool.sh"], "binary file, expected a shell script or a plan", "tool.sh",
         {"tool.sh": b"\x7fELF\x02\x01\x01\x00\x00\x00"}),
    Case("binary-fix", ["fix", "tool.sh"], "binary file, expected a shell script or a plan", "tool.sh",
         {"tool.sh": b"\x7fELF\x02\x01\x01\x00\x00\x00"}),
    Case("binary-config", ["check", "--config", "c.yaml", "--command", OK], "binary file, expected YAML text",
         "c.yaml", {"c.yaml": b"\x00\x00"}),
    # -- Python code -------------------------------------------------------------------------------------------------
    Case("python-syntax-error", CHECK + ["m.py"], "Python syntax error: '(' was never closed", "m.py:3:22",
         {"m.py": "import libvirt\ndef f(dom):\n    dom.migrateToURI3('u', {}, 1\n"}),
    Case("python-nested-too-deep", CHECK + ["m.py"], "cannot parse as Python: nested too deeply", "m.py",
         {"m.py": "import libvirt\n# migrate\nflags = " + "-" * 100000 + "1\n"}),
    Case("python-binary", CHECK + ["m.py"], "binary file, expected Python code", "m.py",
         {"m.py": b"import libvirt\n\x00\x01migrate\n"}),
    Case("python-utf8", CHECK + ["m.py"], "invalid UTF-8 (byte 0xff)", "m.py:2",
         {"m.py": b"import libvirt\nx = '\xff'  # migrate\n"}),
    Case("python-declared-encoding", CHECK + ["m.py"], "invalid shift_jis (byte 0xff), the encoding the file declares",
         "m.py:3", {"m.py": b"# -*- coding: shift_jis -*-\nimport libvirt\nx = '\xff'  # migrate\n"}),
    Case("python-unknown-encoding", CHECK + ["m.py"], "Python source: unknown encoding: klingon", "m.py:2",
         {"m.py": b"#!/usr/bin/python3\n# coding: klingon\nimport libvirt  # migrate\n"}),
    Case("empty-policy-file", CHECK + ["--policy-dir", "pol", "--command", OK], "a policy file is a YAML mapping",
         "pol/a.yaml:1", {"pol/a.yaml": ""}),
    # -- a directory (or worse) where a file is expected -----------------------------------------------------------
    Case("output-is-a-directory", CHECK + ["--output", "out", "--command", OK],
         "is a directory, expected a file to write the report to", "out", {"out/keep": ""}),
    Case("format-file-is-a-directory", CHECK + ["--format", "text", "--format", "json=out", "--command", OK],
         "is a directory, expected a file to write the report to", "out", {"out/keep": ""}),
    Case("output-through-a-file", CHECK + ["--output", "report.txt/out.txt", "--command", OK],
         "a part of the path is a file, not a directory", "report.txt/out.txt", {"report.txt": "x"}),
    Case("output-over-a-walked-input", CHECK + ["--output", "w/a.plan.yaml", "w"],
         "the report would be written over the input w/a.plan.yaml", "w/a.plan.yaml", {"w/a.plan.yaml": f"- {ENTRY}\n"}),
    Case("format-file-over-a-walked-input", CHECK + ["--format", "text", "--format", "sarif=w/a.plan.yaml", "w"],
         "the report would be written over the input w/a.plan.yaml", "w/a.plan.yaml", {"w/a.plan.yaml": f"- {ENTRY}\n"}),
    Case("explain-width-negative", ["explain", "--hypervisor", "qemu", "--width", "-5"],
         "--width takes a number of columns, at least 40, got -5"),
    Case("docs-output-through-a-file", ["docs", "--output", "f/sub"],
         "cannot write there: a part of the path is a file, not a directory", "f/sub", {"f": "x"}),
    Case("yaml-map-tag-on-a-list", CHECK + ["a.plan.yaml"], "invalid YAML: expected a mapping node, but found sequence",
         "a.plan.yaml:3:10", {"a.plan.yaml": "- id: a\n  hypervisor: qemu\n  facts: !!map [1]\n"}),
    Case("output-over-the-input", CHECK + ["--output", "a.plan.yaml", "a.plan.yaml"],
         "the report would be written over the input a.plan.yaml", "a.plan.yaml", {"a.plan.yaml": f"- {ENTRY}\n"}),
    Case("format-file-over-the-input", CHECK + ["--format", "text", "--format", "sarif=./a.plan.yaml", "a.plan.yaml"],
         "the report would be written over the input a.plan.yaml", "a.plan.yaml", {"a.plan.yaml": f"- {ENTRY}\n"}),
    Case("config-is-a-directory", ["check", "--config", "conf", "--command", OK],
         "is a directory, expected a configuration file", "conf", {"conf/keep": ""}),
    Case("config-is-a-pipe", ["check", "--config", "conf.yaml", "--command", OK], "not a regular file",
         "conf.yaml", setup=fifo("conf.yaml")),
    Case("policy-path-is-a-pipe", CHECK + ["--policy-dir", "p.yaml", "--command", OK],
         "policy path: not a regular file or directory", "p.yaml", setup=fifo("p.yaml")),
    Case("policy-path-through-a-file", CHECK + ["--policy-dir", "x.yaml/y", "--command", OK],
         "policy directory 'x.yaml/y' cannot be read: a part of the path is a file", None, {"x.yaml": "a: 1\n"}),
    Case("policy-dir-missing", CHECK + ["--policy-dir", "nope", "--command", OK],
         "policy directory 'nope' does not exist"),
    Case("config-policy-dir-missing", ["check", "--config", "c.yaml", "--command", OK],
         "policy directory 'nope' does not exist", "c.yaml:2", {"c.yaml": "state: running\npolicy-dirs: [nope]\n"}),
    Case("plan-is-a-directory-in-disguise", CHECK + ["a.plan.yaml/x"], "a part of the path is a file",
         "a.plan.yaml/x", {"a.plan.yaml": "[]\n"}),
    Case("pipe-in-a-directory-walk", CHECK + ["scripts"], "not a regular file (a pipe, socket or device)",
         "scripts/stuck.sh", {"scripts/ok.sh": OK + "\n"}, setup=fifo("scripts/stuck.sh")),
    Case("fix-in-place-pipe", ["fix", "--in-place", "stuck.sh"], "not a regular file: cannot rewrite it in place",
         "stuck.sh", setup=fifo("stuck.sh")),
    Case("no-such-file", CHECK + ["missing.plan.yaml"], "no such file or directory", "missing.plan.yaml"),
    # -- symbolic links ----------------------------------------------------------------------------------------------
    Case("symlink-loop-named", CHECK + ["x1.sh"], "symbolic link loop (too many levels of symbolic links)", "x1.sh",
         setup=links(x1_DOT_sh="x2.sh", x2_DOT_sh="x1.sh")),
    Case("symlink-loop-in-walk", CHECK + ["scripts"], "symbolic link loop", "scripts/x1.sh",
         {"scripts/ok.sh": OK + "\n"}, setup=links(scripts__x1_DOT_sh="x2.sh", scripts__x2_DOT_sh="x1.sh")),
    Case("broken-symlink-named", CHECK + ["gone.sh"], "broken symbolic link", "gone.sh",
         setup=links(gone_DOT_sh="nowhere.sh")),
    # -- shell and virsh lines ---------------------------------------------------------------------------------------
    Case("unterminated-single-quote", CHECK + ["--command", "virsh migrate --live 'dom qemu+ssh://dst/system"],
         "unterminated single quote", "<command>:1:22"),
    Case("unterminated-double-quote-in-script", CHECK + ["run.sh"], "unterminated double quote", "run.sh:3:6",
         {"run.sh": f"#!/bin/sh\n{OK}\necho \"oops\n"}),
    Case("unterminated-substitution", CHECK + ["--command", "virsh migrate $(hostname dom qemu+ssh://dst/system"],
         "unterminated '$(' expansion", "<command>:1:15"),
    Case("fix-unterminated-quote", ["fix", "--command", "virsh migrate 'dom"], "unterminated single quote",
         "<command>:1:15"),
    Case("not-a-migrate-command", CHECK + ["--command", "virsh list --all"], "not a 'virsh migrate' command",
         "<command>:1:1"),
    Case("empty-command", CHECK + ["--command", "   "], "empty command", "<command>"),
    Case("two-migrations-in-one-command", CHECK + ["--command", f"{OK}; virsh migrate --offline c qemu+ssh://b/system"],
         "the command line holds 2 'virsh migrate' commands", f"<command>:1:{len(OK) + 3}"),
    Case("two-migrations-in-a-plan-command", CHECK + ["a.plan.yaml"], "the command line holds 2 'virsh migrate' commands",
         "a.plan.yaml", {"a.plan.yaml": f"- {{id: a, hypervisor: qemu, command: '{OK} && {OK}'}}\n"}),
    # -- configuration files --------------------------------------------------------------------------------------------
    Case("config-malformed-yaml", ["check", "--config", "c.yaml", "--command", OK],
         "invalid YAML: did not find expected ',' or ']'", "c.yaml:2:1", {"c.yaml": "disable: [Q053\n"}),
    Case("config-malformed-toml", ["check", "--config", "pyproject.toml", "--command", OK],
         "invalid TOML: Expected ']' at the end of a table declaration", "pyproject.toml:1:14",
         {"pyproject.toml": "[tool.miglint\nstate = 'running'\n"}),
    Case("config-unknown-key", ["check", "--config", "c.yaml", "--command", OK],
         "unknown configuration key 'fail_onn' (did you mean 'fail-on'?)", "c.yaml:2",
         {"c.yaml": "state: running\nfail_onn: error\n"}),
    Case("config-wrong-type", ["check", "--config", "c.yaml", "--command", OK],
         "configuration key 'exit-zero' takes true or false, got 1", "c.yaml:1", {"c.yaml": "exit-zero: 1\n"}),
    Case("config-not-a-mapping", ["check", "--config", "c.yaml", "--command", OK],
         "a configuration file is a YAML mapping", "c.yaml:1", {"c.yaml": "- state\n"}),
    Case("config-bad-size", ["check", "--config", "c.yaml", "--command", OK],
         "configuration key 'max-file-size' takes a size in bytes", "c.yaml:1", {"c.yaml": "max-file-size: lots\n"}),
    Case("option-bad-size", CHECK + ["--max-line-size", "0", "--command", OK],
         "--max-line-size: '0' is not a size in bytes of at least 1"),
    Case("config-unknown-rule", ["check", "--config", "c.yaml", "--command", OK],
         "disable: unknown rule 'Q9999'", "c.yaml:1", {"c.yaml": "disable: [Q9999]\n"}),
    # -- policies ---------------------------------------------------------------------------------------------------------
    Case("policy-malformed-yaml", CHECK + ["--policy-dir", "pol", "--command", OK], "invalid YAML", "pol/a.yaml:2:1",
         {"pol/a.yaml": "name: [acme\n"}),
    Case("policy-schema-enum", CHECK + ["--policy-dir", "pol", "--command", OK],
         "policy schema: kind: 'drivr' is not one of layer, driver", "pol/a.yaml:3:1",
         {"pol/a.yaml": org().replace("kind: driver", "kind: drivr")}),
    Case("policy-schema-rule", CHECK + ["--policy-dir", "pol", "--command", OK],
         "policy schema: rules/0/why: 'y' is too short", "pol/a.yaml:15:5",
         {"pol/a.yaml": org(rules=RULE.format(id="ACME001", rname="acme-x").replace(
             "why: Company policy forbids skipping libvirt's safety checks.", "why: y"))}),
    Case("policy-extends-cycle", CHECK + ["--policy-dir", "pol", "--command", OK],
         "policy 'extends' cycle: a1 -> a2 -> a1", "pol/a.yaml",
         {"pol/a.yaml": org("a1", "a2"), "pol/b.yaml": org("a2", "a1")}),
    Case("policy-extends-itself", CHECK + ["--policy-dir", "pol", "--command", OK],
         "policy 'extends' cycle: acme -> acme", "pol/a.yaml", {"pol/a.yaml": org(extends="acme")}),
    Case("policy-unknown-parent", CHECK + ["--policy-dir", "pol", "--command", OK],
         "policy 'acme' extends unknown policy 'qemuu' (did you mean 'qemu'?)", "pol/a.yaml",
         {"pol/a.yaml": org(extends="qemuu")}),
    Case("policy-duplicate-rule-id-across-files", CHECK + ["--policy-dir", "pol", "--command", OK],
         "duplicate rule id 'ACME001' in policies 'a1' and 'a2'", "pol/b.yaml",
         {"pol/a.yaml": org("a1", rules=RULE.format(id="ACME001", rname="acme-one")),
          "pol/b.yaml": org("a2", rules=RULE.format(id="ACME001", rname="acme-two"))}),
    Case("policy-reuses-builtin-rule-id", CHECK + ["--policy-dir", "pol", "--command", OK],
         "duplicate rule id 'Q053' in policies 'qemu' and 'acme'", "pol/a.yaml",
         {"pol/a.yaml": org(rules=RULE.format(id="Q053", rname="acme-one"))}),
    Case("policy-defined-twice", CHECK + ["--policy-dir", "pol", "--command", OK], "policy 'qemu' is defined twice",
         "pol/a.yaml", {"pol/a.yaml": org("qemu")}),
    Case("policy-unknown-layer", CHECK + ["--policy-dir", "pol", "--command", OK],
         "policy 'acme' names unknown layer 'virsch' (did you mean 'virsh'?)", "pol/a.yaml",
         {"pol/a.yaml": org(extra="layers: [virsch]\n")}),
    Case("policy-disables-unknown-rule", CHECK + ["--policy-dir", "pol", "--command", OK],
         "policy 'acme' disables unknown rule 'Q999'", "pol/a.yaml", {"pol/a.yaml": org(extra="disable: [Q999]\n")}),
    # -- no code execution, limits ----------------------------------------------------------------------------------------
    Case("python-tag-in-plan", CHECK + ["a.plan.yaml"],
         "YAML tag '!!python/object/apply:os.system' is not allowed", "a.plan.yaml:1:3",
         {"a.plan.yaml": "- !!python/object/apply:os.system ['touch pwned']\n"}),
    Case("python-tag-in-config", ["check", "--config", "c.yaml", "--command", OK],
         "YAML tag '!!python/name:os.system' is not allowed", "c.yaml:1:8",
         {"c.yaml": "state: !!python/name:os.system\n"}),
    Case("python-tag-in-policy", CHECK + ["--policy-dir", "pol", "--command", OK],
         "YAML tag '!!python/object/new:subprocess.Popen' is not allowed", "pol/a.yaml:7:8",
         {"pol/a.yaml": org() + "title: !!python/object/new:subprocess.Popen [[touch, pwned]]\n"}),
    Case("alias-bomb-plan", CHECK + ["a.plan.yaml"], "document too large once its aliases are expanded",
         "a.plan.yaml", {"a.plan.yaml": bomb()}),
    Case("alias-bomb-config", ["check", "--config", "c.yaml", "--command", OK],
         "document too large once its aliases are expanded", "c.yaml", {"c.yaml": bomb()}),
    Case("alias-bomb-policy", CHECK + ["--policy-dir", "pol", "--command", OK],
         "document too large once its aliases are expanded", "pol/a.yaml", {"pol/a.yaml": org() + bomb()}),
    Case("deep-yaml-plan", CHECK + ["a.plan.yaml"], "nested too deeply (more than 200 levels)", "a.plan.yaml",
         {"a.plan.yaml": "- {id: a, facts: {domain.x: " + "[" * 300 + "]" * 300 + "}}\n"}),
    Case("deep-json-plan", CHECK + ["a.plan.json"], "nested too deeply (more than 200 levels)", "a.plan.json",
         {"a.plan.json": "[" * 100_000 + "]" * 100_000}),
    Case("deep-jsonl-line", CHECK + ["a.plan.jsonl"], "JSON nested too deeply", "a.plan.jsonl:1",
         {"a.plan.jsonl": "[" * 100_000 + "]" * 100_000 + "\n"}),
    Case("deep-toml-config", ["check", "--config", "pyproject.toml", "--command", OK], "TOML nested too deeply",
         "pyproject.toml", {"pyproject.toml": "[tool.miglint]\ninclude = " + "[" * 5000 + "]" * 5000 + "\n"}),
    Case("deep-policy", CHECK + ["--policy-dir", "pol", "--command", OK], "YAML nested too deeply", "pol/a.yaml:7",
         {"pol/a.yaml": org() + "title: " + "[" * 5000 + "]" * 5000 + "\n"}),
    Case("huge-integer-json", CHECK + ["a.plan.json"], "invalid JSON: number too long", "a.plan.json",
         {"a.plan.json": '[{"id": "a", "hypervisor": "qemu", "flags": ' + "9" * 5000 + "}]"}),
    Case("huge-integer-yaml", CHECK + ["a.plan.yaml"], "number too long", "a.plan.yaml:1:36",
         {"a.plan.yaml": "- {id: a, hypervisor: qemu, flags: 0x" + "f" * 5000 + "}\n"}),
    Case("file-too-large", CHECK + ["--max-file-size", "1K", "a.plan.yaml"],
         "file larger than 1024 bytes (max-file-size)", "a.plan.yaml", {"a.plan.yaml": f"- {ENTRY}\n" * 40}),
    Case("jsonl-line-too-long", CHECK + ["--max-line-size", "100", "a.plan.jsonl"],
         "line longer than 100 bytes (max-line-size)", "a.plan.jsonl:1", {"a.plan.jsonl": '{"id": "' + "x" * 200 + '"}\n'}),
    # -- other commands -------------------------------------------------------------------------------------------------------
    Case("explain-unknown-rule", ["explain", "offline-needs-persistant"],
         "unknown rule 'offline-needs-persistant' (did you mean 'offline-needs-persistent'?)"),
    Case("diff-unknown-hypervisor", ["diff", "qemu", "libvirtd"], "unknown hypervisor 'libvirtd'"),
    Case("fix-unknown-hypervisor", ["fix", "--hypervisor", "qemo", "--command", OK],
         "unknown hypervisor 'qemo' (did you mean 'qemu'?)"),
    Case("config-show-bad-file", ["config", "show", "--config", "c.yaml"], "invalid YAML", "c.yaml:2:5",
         {"c.yaml": "state: [running\nmode: p2p\n"}),
]


def test_the_table_is_large_and_names_are_unique():
    assert len(CASES) >= 40
    assert len({c.name for c in CASES}) == len(CASES)


def _run(case: Case, root: Path, monkeypatch: pytest.MonkeyPatch,
         capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    for name, data in case.files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data if isinstance(data, bytes) else data.encode())
    if case.setup is not None:
        case.setup(root)
    monkeypatch.chdir(root)
    code = main(case.argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bad_input(case: Case, tmp_path, monkeypatch, capsys):
    code, out, err = _run(case, tmp_path, monkeypatch, capsys)
    both = out + err
    assert code == case.code, both
    assert "Traceback" not in both and "internal error" not in both, both
    hits = [line for line in both.splitlines() if case.message in line]
    assert hits, f"{case.message!r} not in:\n{both}"
    if case.where is not None:
        assert re.match(rf"(miglint: error: )?{re.escape(case.where)}(:|$)", hits[0].strip()), hits[0]
    if code == 2 and not out and case.argv[0] != "fix":
        # The run stopped: nothing but the one line on stderr. (fix goes on with the other files and
        # ends with its count, "miglint: would fix 0 request(s) in 0 file(s)".)
        assert err.count("\n") == 1 and err.startswith("miglint: error: "), err
    assert not (tmp_path / "pwned").exists()


def test_debug_shows_the_traceback(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from miglint.cli.app import app
    from miglint.errors import UserError

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["--debug", "check", "--hypervisor", "qemo", "--command", OK])
    assert isinstance(result.exception, UserError) and "unknown hypervisor 'qemo'" in str(result.exception)


def test_other_inputs_are_still_checked(tmp_path, monkeypatch, capsys):
    """An error in one input is one line of the report; the rest is checked (and the exit code is 2)."""
    (tmp_path / "bad.plan.yaml").write_text("- {id: a, hypervisor: qemu\n")
    (tmp_path / "good.plan.yaml").write_text(f"- {ENTRY}\n")
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--no-config", "bad.plan.yaml", "good.plan.yaml"]) == 2
    out = capsys.readouterr().out
    assert "bad.plan.yaml:2:1: error: invalid YAML" in out and "good.plan.yaml:1:1 [a]:" in out
    assert "1 request: 1 accepted" in out and "1 input error(s)" in out


@pytest.mark.parametrize("files", [{"a.plan.yaml": ""}, {"a.plan.yaml": "# nothing yet\n"}, {"run.sh": ""},
                                   {"a.plan.jsonl": "\n\n"}, {"a.plan.yaml": "migrations: []\n"},
                                   {"a.plan.json": ""}, {"a.plan.json": " \n\t\n"}, {"a.plan.jsonl": "  \n\t\r\n"},
                                   {"a.plan.jsonl": "\ufeff\n"}, {"a.plan.json": "\ufeff"}])
def test_empty_plans_and_scripts_are_valid(files, tmp_path, monkeypatch, capsys):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--no-config", *files]) == 0
    assert "0 requests" in capsys.readouterr().out


# -- unreadable files ------------------------------------------------------------------------------------------------


# Run as root, then as nobody: the first run imports every module the command needs (the interpreter lives
# under /root, which nobody cannot read), the second, after os.setuid, is the one checked.
AS_NOBODY = """
import contextlib, io, os, sys
from miglint.cli.app import main
argv = sys.argv[1:]
if os.geteuid() == 0:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        main(argv)
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)
    with contextlib.suppress(PermissionError):
        open(argv[-1] if os.path.isfile(argv[-1]) else "c.yaml", "rb")
        sys.exit("still privileged")
sys.exit(main(argv))
"""


@pytest.fixture
def shared_dir():
    """A directory ``nobody`` can enter (pytest's tmp_path is private to root)."""
    d = Path(tempfile.mkdtemp(prefix="miglint-unreadable-"))
    d.chmod(0o755)
    try:
        yield d
    finally:
        for p in sorted(d.rglob("*"), reverse=True):
            p.chmod(0o755) if p.is_dir() else p.chmod(0o644)
        shutil.rmtree(d)


def _miglint_unprivileged(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MIGLINT_NO_CACHE": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-c", AS_NOBODY, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("args,message,where", [
    (["check", "--no-config", "secret.plan.yaml"], "cannot read: Permission denied", "secret.plan.yaml"),
    (["check", "--no-config", "tree"], "cannot read directory: Permission denied", "tree/locked"),
    (["check", "--config", "c.yaml", "--command", OK], "Invalid value for '--config': path 'c.yaml' is not readable",
     None),
    (["check", "--no-config", "c.yaml"], "cannot read: Permission denied", "c.yaml"),
    (["check", "--command", OK], ".miglint.yaml: cannot read configuration: Permission denied", None),
    (["check", "--no-config", "--policy-dir", "pol", "--command", OK], "cannot read policy file: Permission denied",
     "pol/a.yaml"),
    (["fix", "--no-config", "secret.plan.yaml"], "cannot read: Permission denied", "secret.plan.yaml"),
    (["fix", "secret.plan.yaml"], ".miglint.yaml: cannot read configuration: Permission denied", None),
])
@pytest.mark.slow
def test_unreadable_files(args, message, where, shared_dir):
    (shared_dir / "secret.plan.yaml").write_text(f"- {ENTRY}\n")
    (shared_dir / "c.yaml").write_text("state: running\n")
    (shared_dir / ".miglint.yaml").write_text("state: running\n")
    (shared_dir / "tree" / "locked").mkdir(parents=True)
    (shared_dir / "tree" / "ok.sh").write_text(OK + "\n")
    (shared_dir / "pol").mkdir()
    (shared_dir / "pol" / "a.yaml").write_text(org())
    for name in ("secret.plan.yaml", "c.yaml", ".miglint.yaml", "pol/a.yaml", "tree/locked"):
        (shared_dir / name).chmod(0o000)
    proc = _miglint_unprivileged(args, shared_dir)
    both = proc.stdout + proc.stderr
    assert proc.returncode == 2, both
    assert "Traceback" not in both and "internal error" not in both, both
    hits = [line for line in both.splitlines() if message in line]
    assert hits, both
    assert where is None or re.match(rf"(miglint: error: )?{re.escape(where)}:", hits[0]), both


def test_a_refused_report_leaves_the_input_as_it_was(tmp_path, monkeypatch, capsys):
    plan = tmp_path / "w" / "a.plan.yaml"
    plan.parent.mkdir()
    plan.write_text(f"- {ENTRY}\n")
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--no-config", "--format", "json=w/a.plan.yaml", "w"]) == 2
    assert plan.read_text() == f"- {ENTRY}\n"
    assert sorted(p.name for p in plan.parent.iterdir()) == ["a.plan.yaml"]  # no temporary file left
    assert capsys.readouterr().out == ""  # nothing started
