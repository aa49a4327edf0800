"""Fuzz miglint: generated inputs through its public entry points, with counts. Crashes must be 0.

    python tests/fuzz/run.py --count 100000 --seed 1            # the full run (a few minutes)
    python tests/fuzz/run.py --count 3000 --seed 7 --json       # what CI runs (tests/acceptance/test_fuzz.py)

Kinds of input (weights in KINDS):
  command  virsh command lines, well-formed or garbled     -> run.check(commands=...) with a random reporter,
                                                               and fix (fix_stable + rewrite_command)
  script   shell scripts (quotes, substitutions, here-documents, suppression comments, variables, arrays,
           functions, case/if/loops, bytes garbled)         -> run.check(paths=...) and rewrite.fix_text
  markdown Markdown runbooks (fences of every tag, prompts, output, placeholders, prose)
  makefile Makefiles (variables, conditionals, recipes, continuations, $$, make functions)
  ansible  Ansible playbooks and task lists (shell/command/argv forms, block scalars, Jinja), plans among them
                                                            -> inputs.runbook.runbook_snippets, then
                                                               inputs.script.snippet_jobs, evaluation and the
                                                               JSON result of each job
  entry    plan entries as Python data (any JSON-like value) -> job_from_entry, evaluation, fix plan, JSON result
  plan     plan files: YAML (anchors, aliases, tags), JSON, JSON Lines, bytes garbled
                                                            -> run.check(paths=...) and rewrite.fix_text
  config   .miglint.yaml and pyproject.toml files          -> config.resolve and config.settings
  policy   organisation policies mutated from real ones    -> safe YAML and the policy schema (what
                                                               load_documents does per file), PolicySet with
                                                               the built-in policies, evaluation
                                                               of commands and of the rules' own examples
Every exception other than miglint.UserError is a crash: counted, its first example printed (and saved with
--crashes DIR). User errors are counted by kind and by message shape (quoted values and numbers elided).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import shlex
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

try:
    import yaml as _yaml

    DUMPER = getattr(_yaml, "CSafeDumper", _yaml.SafeDumper)
except ImportError:  # pragma: no cover
    DUMPER = None

KINDS = {"command": 45, "script": 15, "entry": 15, "plan": 17, "config": 5, "policy": 3, "markdown": 5,
         "makefile": 4, "ansible": 4}
FORMATS = ("text", "json", "jsonl", "sarif", "junit", "github")


class Counting:
    """A reporter that counts what the others print."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.results: list[Any] = []
        self.notes = 0

    def start(self) -> None: ...

    def result(self, job: Any, result: Any, fix: Any = None) -> None:
        self.results.append(result)

    def note(self, note: Any) -> None:
        self.notes += 1

    def error(self, where: str | None, message: str) -> None:
        self.errors.append(message)

    def finish(self, summary: Any) -> None: ...


def shape(message: str) -> str:
    """A message with its particulars elided: "unknown migration flag '…' (did you mean '…'?)"."""
    m = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", message)
    m = re.sub(r"\b0x[0-9a-f]+\b|\b\d+\b", "N", m)
    m = re.sub(r"\[[^\]]*\]|\{[^}]*\}", "[…]", m)
    return m[:90]


class Gen:
    """Random inputs. Names (options, flags, parameters, hypervisors, rules) come from the loaded policies."""

    def __init__(self, rng: random.Random, policies: Any) -> None:
        self.r = rng
        self.ps = policies
        v = policies.vocab
        self.vocab = v
        self.options = sorted(n for n in v.options if n not in ("domain", "desturi")) + sorted(v.aliases)
        self.flags = sorted(v.flags)
        self.params = sorted(v.params)
        self.hypervisors = policies.hypervisors
        self.schemes = sorted(v.uri_drivers) + ["esx", "test", "bhyve", ""]
        self.rules = sorted(policies.rules) + sorted(policies.rules_by_name)
        self.versions = ["9.0.0", "11.3.0", "10.0.0", "1.3.5", "8", "12.0", None]
        self.junk = ["'", '"', "\\", "$", "`", "$(", "${", ";", "&", "|", "&&", "||", "#", "\n", "\\\n", "\t",
                     "\x00", "\r", "é", "☃", "\u2028", "<<", ">", "(", ")", "{", "}", "=",
                     "--", "-", "*", "?", "~", "!", "\x1b[31m"]

    # -- pieces -----------------------------------------------------------------------------------------------
    def pick(self, seq: Any) -> Any:
        return seq[self.r.randrange(len(seq))]

    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def text(self, n: int = 8) -> str:
        alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-_./:,=+@ " + "".join(self.junk[:20])
        return "".join(self.pick(alphabet) for _ in range(self.r.randrange(n + 1)))

    def value(self) -> str:
        return self.pick([
            str(self.r.randrange(-5, 100)), str(self.r.randrange(2**70)), "-1", "0", "", " 5", "+7", "5x",
            "4294967296", "18446744073709551616", "tcp://h:49152", "vda,vdb", "a,,b", "/tmp/d.xml", "zlib,xbzrle",
            "$BW", "${X:-1}", "$(cat f)", "`id`", "new-name", "qemu+ssh://h/system", self.text(6)])

    def uri(self) -> str:
        s = self.pick(self.schemes) if self.chance(0.3) else self.pick(sorted(self.vocab.uri_drivers))
        if not s:
            return self.pick(["dst", "", "$DEST", "dst/system", "//x", self.text(5)])
        return f"{s}{self.pick(['', '+ssh', '+tls', '+tcp', '+unix', '+libssh2'])}://" \
               f"{self.pick(['dst', '', '10.0.0.2', '[::1]', '$DEST', 'user@h:22'])}/{self.pick(['system', 'session', ''])}"

    def option(self) -> list[str]:
        name = self.pick(self.options) if self.chance(0.9) else self.text(6)
        od = self.vocab.options.get(self.vocab.resolve_option(name))
        if od is None or od.type == "bool":
            return [f"--{name}" if self.chance(0.9) else f"--{name}={self.value()}"]
        v = self.value()
        if self.chance(0.1):
            return [f"--{name}"]  # the value is missing or is the next word
        return [f"--{name}={shlex.quote(v)}"] if self.chance(0.4) else [f"--{name}", shlex.quote(v)]

    def virsh_line(self) -> str:
        prefix = self.pick(["virsh", "virsh", "virsh", "sudo virsh", "sudo -u root virsh", "virsh -c qemu:///system",
                            "virsh -c vz:///system", "virsh --connect=xen:///system", "virsh -q", "virsh -rq",
                            "env LANG=C virsh", "timeout 600 virsh", "nice -n 5 virsh", "ssh host virsh",
                            "retry 3 virsh", "$SUDO virsh", "/usr/bin/virsh", "VAR=1 virsh", "if ! virsh",
                            "virsh -c", "virsh --", "exec virsh"])
        words = [prefix, "migrate" if self.chance(0.97) else self.pick(["migrate-setspeed", "list", "", "Migrate"])]
        for _ in range(self.r.randrange(9)):
            k = self.r.random()
            if k < 0.6:
                words += self.option()
            elif k < 0.85:
                words.append(self.pick(["dom", "web-01", "'my dom'", '"$DOM"', "$dom", "${DOMS[@]}"]))
                if self.chance(0.7):
                    words.append(self.uri())
            elif k < 0.95:
                words.append(self.uri())
            else:
                words.append(self.pick(self.junk))
        line = " ".join(words)
        return self.mutate(line) if self.chance(0.25) else line

    def mutate(self, text: str) -> str:
        chars = list(text)
        for _ in range(self.r.randrange(1, 4)):
            if not chars:
                chars = list(self.text(5))
            i = self.r.randrange(len(chars) + 1)
            k = self.r.random()
            if k < 0.4:
                chars[i:i] = list(self.pick(self.junk))
            elif k < 0.7 and i < len(chars):
                del chars[i:i + self.r.randrange(1, 6)]
            elif k < 0.85:
                j = self.r.randrange(len(chars) + 1)
                chars[i:i] = chars[j:j + self.r.randrange(1, 12)]
            else:
                chars = chars[:i]
        return "".join(chars)

    def script(self) -> str:
        lines = [self.pick(["#!/bin/sh", "#!/usr/bin/env bash", "", "set -euo pipefail"])]
        for _ in range(self.r.randrange(1, 12)):
            k = self.r.random()
            line = self.virsh_line()
            if k < 0.35:
                lines.append(line)
            elif k < 0.45:
                rules = ",".join(self.pick(self.rules + ["Q999", "bogus"]) for _ in range(self.r.randrange(1, 3)))
                lines.append(self.pick([f"# miglint: disable={rules} -- reason", f"# miglint: disable={rules}",
                                        f"# miglint: disable-file={rules} -- x", f"# miglint: enable={rules}",
                                        f"{line}  # miglint: disable={rules} -- ok", "# miglint:"]))
            elif k < 0.55:
                lines += ["for d in $(virsh list --name); do", f"  {line}", "done"]
            elif k < 0.62:
                lines += [f"if {line}; then", "  echo ok", "else", "  echo failed", "fi"]
            elif k < 0.68:
                lines.append(f"ssh host '{line}'" if self.chance(0.5) else f'bash -c "{line}"')
            elif k < 0.73:
                lines += [f"out=$({line})", f"x=`{line}`"]
            elif k < 0.78:
                marker = self.pick(["EOF", "'EOF'", "-EOF", "END"])
                lines += [f"cat <<{marker} | virsh", line, "EOF"]
            elif k < 0.84:
                lines.append(line.replace(" --", " \\\n  --"))
            elif k < 0.88:
                lines.append(f"echo {line}")
            elif k < 0.92:
                lines.append("f() { " + line + "; }")
            elif k < 0.96:
                lines += self.shell_construct(line)
            else:
                lines.append(self.text(20))
        text = "\n".join(lines) + "\n"
        return self.mutate(text) if self.chance(0.2) else text

    def shell_construct(self, line: str) -> list[str]:
        """Variables, arrays, functions and paths the resolver follows (miglint.inputs.resolve)."""
        words = line.split(" ", 2)
        rest = words[2] if len(words) > 2 else ""
        var = self.pick(["OPTS", "DEST", "VIRSH", "cmd", "A", "dom", "IFS", "1", "@"])
        val = self.pick(["--live --p2p", "qemu+ssh://h/system", "virsh -c qemu:///system", "", "$(cat f)",
                         "${X:-a b}", "$'\\n\\t'", '"$@"', self.text(6), "--offline"])
        q = '"'
        k = self.r.randrange(12)
        if k == 0:
            return [f"{var}={shlex.quote(val)}", f"virsh migrate ${var} {rest}"]
        if k == 1:
            return [f"cmd=({line})", '"${cmd[@]}" "$dom" "${A[@]}"', "cmd+=(--persistent)", "${cmd[*]} x"]
        if k == 2:
            return [f'VIRSH="{self.pick(["virsh -c qemu:///system", "virsh", "sudo virsh", ""])}"',
                    f"$VIRSH migrate {rest}", f'"$VIRSH" migrate {rest}']
        if k == 3:
            arg = self.pick(["web01", "", '"$@"', "--live d qemu+ssh://h/system", self.text(5)])
            return ["mig() {", f"  {line} {q}$@{q} $1 ${{2:-x}}", "  return 1", "}", f"mig {arg}",
                    'mig() { mig "$@"; }', "mig a"]
        if k == 4:
            return [f"case {q}${{{var}}}{q} in", f"  a|b) OPTS={shlex.quote(val)} ;;", "  *) exit 2 ;;", "esac",
                    f"virsh migrate $OPTS {rest}"]
        if k == 5:
            cond = self.pick(["true", '[ -n "$X" ]', line])
            return [f"if {cond}; then M=--live; elif x; then M=; else unset M; fi",
                    f"virsh migrate $M ${{M:+--p2p}} ${{M:=--offline}} {rest}"]
        if k == 6:
            items = self.pick(["a b c", '"$@"', "$(ls)", "", "x{1..3}"])
            return [f"for {var} in {items}; do", f"  {line} {q}${var}{q}", "  break", "done"]
        if k == 7:
            return [f"set {self.pick(['--', '-euo pipefail', '-e --', '+x'])} {self.text(8)}",
                    "shift " + self.pick(["", "2", "x", "99"]), f'{line} "$@" "$*" $# ${{#A[@]}}']
        if k == 8:
            return [f"local {var}={shlex.quote(val)}", f"declare -{self.pick(['a', 'A', 'i', 'r', 'g', 'x'])} "
                    f"{var}=({val})", f"readonly {var}", f"export {var}+=x", f"{line} ${{{var}[0]}} ${{!{var}}}"]
        if k == 9:
            return [f"read -r {var} < f", f". ./{self.text(4)}", f"eval {q}{line}{q}", f"{line} ${var}"]
        if k == 10:
            return [f"A[{self.pick(['0', '3', 'i', '-1', '$n'])}]={shlex.quote(val)}", f"(( {var}++ ))",
                    f"let {var}=2", f'{line} ${{A[@]}} "${{A[1]}}"']
        n = self.r.randrange(1, 7)
        return [f"if x; then V{i}=a{i}; else V{i}=b{i}; fi" for i in range(n)] + \
            [f"{line} " + " ".join(f"$V{i}" for i in range(n))]

    # -- runbooks ----------------------------------------------------------------------------------------------
    def runbook_line(self) -> str:
        return self.pick([self.virsh_line(), self.virsh_line(), "virsh list --all", "echo done", "DEST=qemu+ssh://n2/system",
                          "export OPTS='--live --p2p'", "cmd=(virsh migrate --live)", '"${cmd[@]}" d "$DEST"',
                          f"# miglint: disable={self.pick(self.rules)} -- reason", "# a comment",
                          "virsh migrate --live <domain> qemu+ssh://<destination-host-ip>/system",
                          "virsh migrate [--live] <domain> <desturi>", self.text(15)])

    def markdown(self) -> str:
        lines = [self.pick(["# Runbook", "Intro.", ""])]
        for _ in range(self.r.randrange(1, 9)):
            k = self.r.random()
            if k < 0.2:
                lines.append(self.pick(["- n1: launch virsh migrate --live --persistent web01",
                                        f"Run `{self.virsh_line()}` now.", self.text(30), "", "> quoted"]))
                continue
            fence = self.pick(["```", "````", "~~~", "```", "``"])
            tag = self.pick(["bash", "sh", "console", "shell", "zsh", "", "", "text", "output", "yaml",
                             "shell-session", "{.bash}", "bash title=x", "console $"])
            indent = self.pick(["", "", "   ", "  ", "\t", "    "])
            block = [f"{indent}{fence}{tag}"]
            for _ in range(self.r.randrange(6)):
                line = self.runbook_line()
                prompt = self.pick(["", "", "$ ", "# ", "root@n1:~# ", "[root@n1 ~]# ", "% ", "(venv) $ ", "> "])
                if self.chance(0.2):
                    line = line.replace(" --", " \\\n" + indent + "> --", 1)
                block.append(indent + prompt + line)
                if self.chance(0.3):
                    block.append(indent + self.pick(["Migration: [100 %]", "error: failed", " Id Name", ""]))
            if self.chance(0.9):
                block.append(indent + fence[:self.r.randrange(len(fence) + 1)] if self.chance(0.1) else indent + fence)
            lines += block
        text = "\n".join(lines) + "\n"
        return self.mutate(text) if self.chance(0.15) else text

    def makefile(self) -> str:
        lines: list[str] = []
        if self.chance(0.2):
            lines.append(".ONESHELL:")
        for _ in range(self.r.randrange(1, 8)):
            k = self.r.random()
            name = self.pick(["VIRSH", "DEST", "OPTS", "PEER", "X", "a.b", ""])
            if k < 0.3:
                op = self.pick([":=", "=", "?=", "+=", "!=", "::=", ":::=", " = "])
                value = self.pick(["virsh -c qemu:///system", "qemu+ssh://$(PEER)/system", "--live --p2p", "$$HOME",
                                   "$(shell cat x)", "$(X", "${OPTS} $(DEST)", "$(VIRSH)", self.text(8), "\\"])
                lines.append(f"{self.pick(['', 'export ', 'override '])}{name} {op} {value}")
            elif k < 0.4:
                lines += [self.pick(["ifeq ($(A),1)", "ifdef X", "ifndef", "else", "endif", "define V", "endef",
                                     "include x.mk", "-include"]), f"{name} = --offline"]
            elif k < 0.5:
                lines.append(self.pick(["# miglint: disable=Q053 -- by hand", "# comment", f"# {self.text(10)}"]))
            else:
                target = self.pick(["drain", "all", "%.o", "a b", "x::", "t: VAR = 1", ".PHONY"])
                rule = f"{target}: {self.pick(['', 'dep', '$(DEPS)'])}"
                if self.chance(0.2):
                    rule += " ; " + self.runbook_line().replace("$", "$$" if self.chance(0.5) else "$")
                lines.append(rule)
                for _ in range(self.r.randrange(5)):
                    line = self.runbook_line()
                    line = line.replace("virsh", self.pick(["virsh", "$(VIRSH)", "${VIRSH}"]), 1)
                    line = line.replace("$DEST", self.pick(["$(DEST)", "$$DEST", "$@", "$<", "$(shell x)"]))
                    if self.chance(0.2):
                        line = line.replace(" --", " \\\n\t  --", 1)
                    lines.append(self.pick(["\t", "\t", "\t@", "\t-", "\t+", "\t@-", "  ", "\t\t"]) + line)
        text = "\n".join(lines) + "\n"
        return self.mutate(text) if self.chance(0.15) else text

    def ansible(self) -> str:
        def task() -> Any:
            line = self.runbook_line().replace("$DEST", self.pick(["{{ dest }}", "$DEST", "{{ item }}"]))
            module = self.pick(["shell", "command", "ansible.builtin.shell", "ansible.builtin.command", "raw",
                                "ansible.legacy.command", "debug", "copy"])
            form = self.r.randrange(5)
            t: dict[str, Any] = {"name": self.text(6)} if self.chance(0.7) else {}
            if form == 0:
                t[module] = line + self.pick(["", " chdir=/tmp", " creates=x removes=y"])
            elif form == 1:
                t[module] = {"cmd": line}
            elif form == 2:
                t[module] = {"argv": line.split()[:8] + [self.pick(["{{ x }}", 5, None, ["a"]])]}
            elif form == 3:
                t[module] = None
                t["args"] = {"cmd": line} if self.chance(0.7) else {"argv": line.split()}
            else:
                t[module] = "\n".join(self.runbook_line() for _ in range(self.r.randrange(1, 4)))
            if self.chance(0.2):
                t["loop"] = ["a", "b"]
            if self.chance(0.1):
                t = {"block": [t], "rescue": [task()] if self.chance(0.3) else []}
            return t

        k = self.r.random()
        doc: Any
        if k < 0.5:
            doc = [{"hosts": self.pick(["n1", "all"]), "vars": {"dest": "qemu+ssh://n2/system"},
                    self.pick(["tasks", "pre_tasks", "handlers", "post_tasks"]): [task() for _ in range(self.r.randrange(4))]}]
        elif k < 0.8:
            doc = [task() for _ in range(self.r.randrange(1, 5))]
        elif k < 0.9:
            doc = [{"command": self.virsh_line(), "hypervisor": "qemu"}]  # a plan: not Ansible
        else:
            doc = self.json_value()
        import yaml

        text = yaml.dump(doc, Dumper=DUMPER, default_flow_style=self.chance(0.2), allow_unicode=True,
                         default_style=self.pick([None, None, "|", '"', "'"]))
        if self.chance(0.2):
            text = "# miglint: disable=Q053 -- by hand\n" + text
        return self.mutate(text) if self.chance(0.15) else text

    def json_value(self, depth: int = 0) -> Any:
        k = self.r.random()
        if depth > 3 or k < 0.5:
            return self.pick([None, True, False, 0, -1, 2**40, 1.5, float("inf"), "", self.text(6),
                              self.pick(self.flags), self.pick(self.hypervisors), self.r.randrange(2**33)])
        if k < 0.75:
            return [self.json_value(depth + 1) for _ in range(self.r.randrange(4))]
        return {self.text(5): self.json_value(depth + 1) for _ in range(self.r.randrange(4))}

    def entry(self) -> Any:
        """A plan entry: mostly well-formed, a third with one or two fields replaced by anything."""
        if self.chance(0.03):
            return self.json_value()
        e: dict[str, Any] = {"id": f"m{self.r.randrange(999)}"}
        if self.chance(0.3):
            e["command"] = self.virsh_line()
        else:
            e["hypervisor"] = self.pick(self.hypervisors)
            e["flags"] = self.pick([
                [self.pick(self.flags) for _ in range(self.r.randrange(6))],
                "|".join(self.pick(self.flags) for _ in range(self.r.randrange(1, 4))), self.r.randrange(2**12),
                ["VIR_MIGRATE_" + self.pick(self.flags), self.pick(self.flags).lower()]])
            if self.chance(0.3):
                e["params"] = {self.pick(self.params): self.pick([self.r.randrange(0, 2**16), "tcp://h:1", ["vda"]])
                               for _ in range(self.r.randrange(3))}
        for key, vals in (("state", ["running", "paused", "shutoff", "unknown"]), ("libvirt_version", self.versions),
                          ("mode", ["managed", "p2p", "direct"]), ("domain", ["web"]),
                          ("desturi", ["qemu+ssh://d/system"])):
            if self.chance(0.4):
                e[key] = self.pick(vals)
        if self.chance(0.2):
            e["facts"] = {self.pick(["domain.snapshots", "domain.local_disks", "host.migrate_tls_force",
                                     "domain.hostdevs", "domain.paused_reason"]): self.pick([0, 1, 2, True, False, "x"])}
        if self.chance(0.15):
            e["ignore"] = [self.pick([self.pick(self.rules), {"rule": self.pick(self.rules), "reason": "r"}])
                           for _ in range(self.r.randrange(3))]
        if self.chance(0.33):  # corrupt one or two fields
            for _ in range(self.r.randrange(1, 3)):
                key = self.pick([*list(e), "flags", "params", "facts", "ignore", "state", "libvirt_version",
                                 "mode", "hypervisor", "command", self.text(5), "qemu_version", "host"])
                e[key] = self.pick([self.json_value(), self.text(6), self.pick(self.hypervisors) + "x",
                                    [self.pick(self.flags) + "E"], {self.pick(self.params) + "s": 1},
                                    self.pick(["Running", "9.x", "peer", 2**40, -1, None, True])])
        return e

    def plan(self) -> tuple[str, bytes]:
        entries = [self.entry() for _ in range(self.r.randrange(6))]
        doc: Any = entries
        if self.chance(0.4):
            doc = {"migrations": entries}
            if self.chance(0.5):
                doc["defaults"] = {"state": self.pick(["running", "shutoff", "bogus"]),
                                   "hypervisor": self.pick(self.hypervisors)} if self.chance(0.8) else self.json_value()
            if self.chance(0.2):
                doc["ignore"] = [self.pick(self.rules)]
        fmt = self.pick(["yaml", "yaml", "json", "jsonl", "yaml-raw"])
        if fmt == "json":
            data = json.dumps(doc, indent=self.pick([None, 2])).encode()
            suffix = ".plan.json"
        elif fmt == "jsonl":
            data = "\n".join(json.dumps(e) for e in entries).encode() + b"\n"
            suffix = ".plan.jsonl"
        elif fmt == "yaml":
            import yaml

            data = yaml.dump(doc, Dumper=DUMPER, default_flow_style=self.chance(0.5), allow_unicode=True).encode()
            suffix = ".plan.yaml"
        else:
            data = self.yaml_raw().encode()
            suffix = ".plan.yaml"
        if self.chance(0.2):
            data = self.mutate_bytes(data)
        return suffix, data

    def yaml_raw(self) -> str:
        """Hand-written YAML: anchors, aliases, merges, tags, deep or wide nesting."""
        k = self.r.random()
        if k < 0.25:
            n = self.r.randrange(1, 9)
            lines = ["a0: &a0 [lol, lol]"] + [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * self.r.randrange(1, 12)) + "]"
                                             for i in range(1, n)]
            lines.append(f"migrations: *a{n - 1}" if self.chance(0.5) else "migrations: []")
            return "\n".join(lines) + "\n"
        if k < 0.45:
            tag = self.pick(["!!python/object/apply:os.getcwd []", "!!python/name:os.sep", "!!binary aGVsbG8=",
                             "!!timestamp 2001-02-30", "!!set {a, b}", "!!omap [a: 1]", "!!int 1.5", "!!float x",
                             "!!bool y", "!!timestamp x", "!!int", "!!float", "!!bool", "!!binary @@", "!!null x",
                             "!!pairs [a, b]", "!!seq x", "!!map [1]", "!!str {a: 1}",
                             "!!str 5", "!custom x", "!!null", "!!bool yes", "&x [*x]", "!!merge <<",
                             "0x" + "f" * self.r.randrange(1, 1200)])
            return f"- id: a\n  hypervisor: {self.pick(self.hypervisors)}\n  {self.pick(['flags', 'domain', 'state', 'params', 'facts'])}: {tag}\n"
        if k < 0.6:
            depth = self.r.randrange(1, 400)
            return "- {id: a, facts: {domain.x: " + "[" * depth + "]" * depth + "}}\n"
        if k < 0.75:
            return ("base: &base {hypervisor: qemu, state: running}\nmigrations:\n"
                    "  - <<: *base\n    id: a\n    flags: [LIVE]\n  - {<<: *base, id: b, flags: [OFFLINE]}\n")
        return self.mutate("- {id: a, hypervisor: qemu, flags: [LIVE, PEER2PEER], state: running}\n" * 3)

    def mutate_bytes(self, data: bytes) -> bytes:
        b = bytearray(data)
        for _ in range(self.r.randrange(1, 5)):
            i = self.r.randrange(len(b) + 1)
            k = self.r.random()
            if k < 0.4:
                b[i:i] = bytes([self.r.randrange(256)])
            elif k < 0.7:
                del b[i:i + self.r.randrange(1, 8)]
            else:
                b[i:i] = self.pick([b"\xff", b"\x00", b"\xc3", b"\n", b"'", b'"', b"{", b"[", b":", b"&a", b"*a", b"!!"])
        return bytes(b)

    def config(self) -> tuple[str, bytes]:
        from miglint.config import KEYS

        values: dict[str, Any] = {}
        for _ in range(self.r.randrange(6)):
            key = self.pick(list(KEYS)) if self.chance(0.85) else self.text(6)
            kind = KEYS[key].kind if key in KEYS else "x"
            good = {"str": self.pick(self.hypervisors + ["9.0.0", "x"]), "bool": self.chance(0.5),
                    "choice": self.pick(list(KEYS[key].choices) + ["bogus"]) if key in KEYS else "x",
                    "list": [self.pick(self.rules + ["*.sh", "policies", "Q999"])],
                    "map": {self.pick(self.rules + ["qemu"]): self.pick(["error", "warning", "info", "acme", "x"])},
                    "size": self.pick([1024, "64K", "1MiB", 0, "lots", -5])}.get(kind, self.json_value())
            values[key] = good if self.chance(0.8) else self.json_value()
        if self.chance(0.7):
            import yaml

            data = yaml.dump(values, Dumper=DUMPER, allow_unicode=True).encode()
            name = ".miglint.yaml"
        else:
            lines = ["[tool.miglint]"]
            for k, v in values.items():
                if isinstance(v, dict):
                    lines.append(f"[tool.miglint.{k}]" if self.chance(0.9) else f"{k} = {{}}")
                    lines += [f'"{a}" = {json.dumps(b)}' for a, b in v.items() if isinstance(b, (str, int, bool))]
                else:
                    try:
                        lines.append(f"{k} = {json.dumps(v, allow_nan=False)}")
                    except ValueError:
                        lines.append(f"{k} = nan")
            data = ("\n".join(lines) + "\n").encode()
            name = "pyproject.toml"
        if self.chance(0.15):
            data = self.mutate_bytes(data)
        return name, data

    def policy(self, templates: list[dict[str, Any]]) -> bytes:
        import copy

        import yaml

        doc = copy.deepcopy(self.pick(templates))
        doc["name"] = self.pick(["acme", "acme2", "qemu", "x-y", self.text(4)]) if self.chance(0.2) else "fuzz-org"
        for _ in range(self.pick([0, 0, 1, 1, 2, 3, 5])):
            k = self.r.random()
            rules = doc.get("rules") if isinstance(doc.get("rules"), list) else []
            if k < 0.15 and doc:
                doc.pop(self.pick(sorted(doc)), None)
            elif k < 0.3:
                doc[self.pick(["extends", "kind", "status", "layers", "disable", "schema", "driver", "sequence"])] = \
                    self.pick([self.pick(self.hypervisors), "fuzz-org", "../../etc/passwd", ["virsh"], "layer",
                               self.json_value()])
            elif k < 0.6 and rules:
                rule = self.pick(rules)
                if isinstance(rule, dict):
                    key = self.pick(["id", "name", "when", "fix", "effect", "severity", "phase", "examples", "kind",
                                     "message", "why", "order", "needs", "variants", "code"])
                    rule[key] = self.pick([
                        self.json_value(), {"flags": [self.pick(self.flags)]},
                        {"flags": {self.pick(["all", "any", "none"]): [self.pick(self.flags), self.text(4)]}},
                        {"not": {"state": self.pick(["running", "shutoff", "x"])}},
                        {"any": [{"flags": [self.pick(self.flags)]}, {"params": [self.pick(self.params)]}]},
                        {"add_flags": [self.pick(self.flags)], "safe": True}, {"remove_flags": [self.text(4)]},
                        self.pick(self.rules), f"ACME{self.r.randrange(1000):03d}", "policy", "reject", "warn",
                        {"fail": [self.virsh_line()], "pass": [self.virsh_line()]}])
            elif k < 0.75 and rules:
                rules.append(copy.deepcopy(self.pick(rules)))  # a duplicate id
            elif k < 0.9 and rules:
                rule = copy.deepcopy(self.pick(rules))
                if isinstance(rule, dict):
                    rule["id"] = f"FZ{self.r.randrange(1000):03d}"
                    rule["name"] = f"fuzz-{self.r.randrange(10**6)}"
                    rules.append(rule)
            else:
                doc[self.text(5)] = self.json_value()
        data = yaml.dump(doc, Dumper=DUMPER, allow_unicode=True, sort_keys=False).encode()
        return self.mutate_bytes(data) if self.chance(0.1) else data


class Fuzzer:
    def __init__(self, seed: int, workdir: Path) -> None:
        from miglint.engine.evaluate import Evaluator
        from miglint.policy.files import builtin_dir
        from miglint.policy.load import load_documents, load_policies

        self.rng = random.Random(seed)
        self.ps = load_policies(use_cache=False)
        self.ev = Evaluator(self.ps)
        self.gen = Gen(self.rng, self.ps)
        self.dir = workdir
        self.builtin_docs = dict(self.ps.docs)
        self.builtin_files = dict(self.ps.files)
        self.vocab_path = builtin_dir() / "vocabulary.yaml"
        acme = Path(__file__).resolve().parents[2] / "examples" / "policies" / "acme-qemu.yaml"
        templates = [load_documents([self.vocab_path, acme])[1]["acme-qemu"]] if acme.exists() else []
        for n in self.ps.hypervisors:  # the smaller built-in drivers, under new rule ids and names
            if len(json.dumps(self.builtin_docs[n])) > 30_000:
                continue
            doc = json.loads(json.dumps(self.builtin_docs[n]))
            for i, rule in enumerate(doc.get("rules") or []):
                rule["id"], rule["name"] = f"FZ{i:03d}", f"fz-{rule.get('name', i)}"
            doc.pop("disable", None)
            templates.append(doc)
        self.templates = templates
        self.inputs: Counter[str] = Counter()
        self.user_errors: Counter[str] = Counter()
        self.shapes: Counter[str] = Counter()
        self.predictions: Counter[str] = Counter()
        self.rules: Counter[str] = Counter()
        self.requests = 0
        self.notes = 0
        self.crashes: list[dict[str, Any]] = []
        self.crash_kinds: Counter[str] = Counter()
        self.current: Any = None  # the input being tried, for the crash report

    # -- helpers ----------------------------------------------------------------------------------------------
    def settings(self) -> Any:
        from miglint.settings import Defaults, Settings

        g = self.gen
        hv = g.pick([None, *g.hypervisors, *g.hypervisors]) if g.chance(0.97) else "kvm"
        return Settings(
            defaults=Defaults(hv, g.pick([None, "running", "paused", "shutoff", "unknown"]),
                              g.pick(["9.0.0", "11.3.0", None, None]), g.pick([None, "managed", "p2p", "direct"])),
            fail_on=g.pick(["error", "warning", "info"]),
            disabled=frozenset(g.pick(g.rules) for _ in range(g.r.randrange(3))),
            severity=tuple((g.pick(g.rules), g.pick(["error", "warning", "info"])) for _ in range(g.r.randrange(3))),
            suppress=g.chance(0.8),
            hypervisors=tuple(g.pick(g.hypervisors) for _ in range(2)) if g.chance(0.05) else (),
            max_line_bytes=g.pick([1 << 20, 1 << 20, 200]),
        )

    def _check(self, paths: list[str], commands: list[str]) -> None:
        from miglint.outputs.reporters import make_reporter
        from miglint.pipeline import Prepared, check

        counting = Counting()
        fmt = self.gen.pick(FORMATS)
        real = make_reporter(fmt, io.StringIO(), self.ps.vocab, verbose=True, policies=self.ps,
                             rule_docs="https://x/{rule}", fail_on="error")
        check(Prepared.of(self.ps, self.settings()), paths, commands, [counting, real])
        for m in counting.errors:
            self.shapes[shape(m)] += 1
        if counting.errors:
            raise _Reported(len(counting.errors))
        self._count(counting.results)
        self.notes += counting.notes

    def _count(self, results: list[Any]) -> None:
        for r in results:
            self.requests += 1
            self.predictions[r.prediction] += 1
            for f in r.findings:
                self.rules[f.rule] += 1

    # -- one input of each kind ---------------------------------------------------------------------------------
    def command(self) -> None:
        line = self.current = self.gen.virsh_line()
        self._check([], [line])
        if self.gen.chance(0.3):
            from miglint.engine.fixes import fix_stable
            from miglint.inputs.virsh import command_job
            from miglint.outputs.rewrite import rewrite_command

            job = command_job(line, policies=self.ps, hypervisor=self.gen.pick([None, *self.gen.hypervisors]),
                              state=self.gen.pick(["running", "shutoff", "unknown"]),
                              version=self.ps.vocab.version(self.gen.pick(["9.0.0", "11.3.0"])), job_id="f")
            plan = fix_stable(self.ev, job.request, unsafe=self.gen.chance(0.3))
            if plan.changed:
                rewrite_command(line, job.request, plan.request, self.ps.vocab)

    def _file(self, suffix: str, data: bytes, kind: str) -> None:
        self.current = data
        path = self.dir / f"input{suffix}"
        path.write_bytes(data)
        try:
            self._check([str(path)], [])
        finally:
            if self.gen.chance(0.3):
                from miglint.outputs.rewrite import fix_text
                from miglint.settings import Defaults

                text: str | None
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError:
                    text = None
                if text is not None and "\x00" not in text:
                    fix_text(text, str(path), kind, self.ps, Defaults(state=self.gen.pick(["running", "shutoff", None])),
                             self.ev, unsafe=self.gen.chance(0.3))

    def script(self) -> None:
        text = self.gen.script()
        data = text.encode("utf-8", "surrogatepass") if self.gen.chance(0.97) else self.gen.mutate_bytes(text.encode())
        self._file(".sh", data, "script")

    def _runbook(self, name: str, text: str) -> None:
        """A runbook through its reader and the script pipeline's snippet jobs (run.check does not read these
        kinds yet), then evaluation and the JSON result of every job."""
        from miglint.api import result_to_dict
        from miglint.errors import UserError
        from miglint.inputs.runbook import runbook_snippets
        from miglint.inputs.script import snippet_jobs
        from miglint.model import Job

        self.current = text
        snippets = runbook_snippets(name, text)
        if snippets is None:
            raise UserError("not a runbook this reader knows", name)
        items = list(snippet_jobs(snippets, name, self.ps, self.settings().defaults))
        results = []
        for job in items:
            if isinstance(job, Job):
                result = self.ev(job.request)
                json.dumps(result_to_dict(result, job, self.ps))
                results.append(result)
        self._count(results)
        errors = [i for i in items if isinstance(i, UserError)]
        for e in errors:
            self.shapes[shape(e.message)] += 1
        if errors:
            raise _Reported(len(errors))

    def markdown(self) -> None:
        self._runbook("runbook.md", self.gen.markdown())

    def makefile(self) -> None:
        self._runbook(self.gen.pick(["Makefile", "rules.mk", "GNUmakefile"]), self.gen.makefile())

    def ansible(self) -> None:
        self._runbook(self.gen.pick(["play.yml", "tasks.yaml"]), self.gen.ansible())

    def plan(self) -> None:
        suffix, data = self.gen.plan()
        kind = {".plan.json": "json", ".plan.jsonl": "jsonl"}.get(suffix, "yaml")
        self._file(suffix, data, kind)

    def entry(self) -> None:
        from miglint.api import result_to_dict
        from miglint.inputs.request import job_from_entry
        from miglint.model import Location
        from miglint.settings import Defaults

        e = self.current = self.gen.entry()
        d = Defaults(self.gen.pick([None, *self.gen.hypervisors]), self.gen.pick([None, "running", "shutoff"]))
        job = job_from_entry(self.ps, e, d, Location("entry", 1, 1), 0)
        result = self.ev(job.request)
        json.dumps(result_to_dict(result, job, self.ps))
        self._count([result])

    def config(self) -> None:
        from miglint import config as cfg

        name, data = self.gen.config()
        self.current = (name, data)
        sub = self.dir / "cfg"
        sub.mkdir(exist_ok=True)
        path = sub / name
        path.write_bytes(data)
        eff = cfg.resolve(path, cli={})
        cfg.settings(eff, self.ps)
        cfg.show(eff)

    def policy(self) -> None:
        from miglint import yamlload
        from miglint.engine.evaluate import Evaluator
        from miglint.errors import UserError
        from miglint.features.examples import run_examples
        from miglint.policy import schemas
        from miglint.policy.load import PolicySet

        data = self.current = self.gen.policy(self.templates)
        path = self.dir / "pol" / "fuzz.yaml"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        # What load_policies([the fuzzed file]) does (policies.load_documents for one more file, then PolicySet),
        # with the built-in files parsed and validated once instead of for every input.
        doc = yamlload.load_yaml(data, str(path))
        if not isinstance(doc, dict):
            raise UserError("a policy file is a YAML mapping", f"{path}:1")
        schemas.validate(doc, "policy", str(path))
        name = doc["name"]
        if name in self.builtin_docs:
            raise UserError(f"policy {name!r} is defined twice: in {self.builtin_files[name]} and {path}", str(path))
        docs = {name: doc}
        ps = PolicySet(self.ps.vocab, {**self.builtin_docs, **docs}, {**self.builtin_files, name: str(path)})
        ev = Evaluator(ps)
        from miglint.inputs.virsh import command_job

        results = []
        for name in docs:
            if name in ps.drivers:
                for _ in range(3):
                    try:
                        job = command_job(self.gen.virsh_line(), policies=ps, hypervisor=name, state="running",
                                          version=ps.vocab.newest, job_id="p")
                    except UserError:
                        continue
                    results.append(ev(job.request))
                rules = [r for r in ps.rules.values() if r.policy == name]
                run_examples(ps, ev, self.rng.sample(rules, min(len(rules), 6)))
        self._count(results)

    # -- the loop -------------------------------------------------------------------------------------------------
    def run(self, count: int, kinds: dict[str, int]) -> dict[str, Any]:
        from miglint.errors import UserError

        names = list(kinds)
        weights = [kinds[k] for k in names]
        t0 = time.perf_counter()
        for i in range(count):
            kind = self.rng.choices(names, weights)[0]
            self.inputs[kind] += 1
            self.current = None
            try:
                getattr(self, kind)()
            except _Reported:
                self.user_errors[kind] += 1
            except UserError as e:
                self.user_errors[kind] += 1
                self.shapes[shape(e.message)] += 1
            except Exception as e:  # noqa: BLE001 - a crash is what we are looking for
                frame = traceback.extract_tb(e.__traceback__)[-1]
                key = f"{type(e).__name__} at {Path(frame.filename).name}:{frame.lineno}"
                self.crash_kinds[key] += 1
                if self.crash_kinds[key] == 1:
                    self.crashes.append({"index": i, "kind": kind, "error": f"{type(e).__name__}: {e}"[:500],
                                         "where": key, "input": repr(self.current)[:20_000],
                                         "traceback": traceback.format_exc()})
        elapsed = time.perf_counter() - t0
        return {
            "count": count, "time_s": round(elapsed, 1), "inputs_per_s": round(count / elapsed) if elapsed else None,
            "inputs": dict(self.inputs), "user_errors": dict(self.user_errors),
            "accepted_inputs": {k: self.inputs[k] - self.user_errors[k] for k in self.inputs},
            "requests": self.requests, "predictions": dict(self.predictions),
            "findings": sum(self.rules.values()), "rules_fired": len(self.rules),
            "top_rules": dict(self.rules.most_common(10)), "notes": self.notes,
            "user_error_kinds": len(self.shapes), "top_user_errors": dict(self.shapes.most_common(25)),
            "crashes": sum(self.crash_kinds.values()), "crash_kinds": dict(self.crash_kinds),
        }


class _Reported(Exception):
    """run.check reported input errors (UserErrors of this input) to its reporters."""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--kinds", default=",".join(KINDS), help=f"comma-separated subset of {', '.join(KINDS)}")
    ap.add_argument("--json", action="store_true", help="print the report as JSON")
    ap.add_argument("--crashes", type=Path, help="write each distinct crash (input and traceback) to this directory")
    args = ap.parse_args(argv)
    os.environ.setdefault("MIGLINT_NO_CACHE", "1")
    kinds = {k: KINDS[k] for k in args.kinds.split(",") if k in KINDS}
    with tempfile.TemporaryDirectory(prefix="miglint-fuzz-") as d:
        fz = Fuzzer(args.seed, Path(d))
        report = fz.run(args.count, kinds)
    report["seed"] = args.seed
    if args.crashes and fz.crashes:
        args.crashes.mkdir(parents=True, exist_ok=True)
        for c in fz.crashes:
            (args.crashes / f"crash-{c['index']}.txt").write_text(json.dumps(c, indent=2))
    if args.json:
        print(json.dumps({**report, "crash_examples": fz.crashes}, indent=2))
    else:
        print(f"miglint fuzz: {report['count']} inputs (seed {args.seed}) in {report['time_s']} s, "
              f"{report['inputs_per_s']}/s")
        print(f"  inputs:       {report['inputs']}")
        print(f"  user errors:  {report['user_errors']} ({report['user_error_kinds']} kinds of message)")
        print(f"  requests:     {report['requests']} {report['predictions']}")
        print(f"  findings:     {report['findings']} ({report['rules_fired']} rules), notes: {report['notes']}")
        print("  most frequent user errors:")
        for m, n in list(report["top_user_errors"].items())[:12]:
            print(f"    {n:7}  {m}")
        print(f"  crashes:      {report['crashes']}")
        for c in fz.crashes:
            print(f"--- crash ({c['where']}, input {c['index']}, {c['kind']}):\n{c['traceback']}")
    return 1 if report["crashes"] else 0


if __name__ == "__main__":
    sys.exit(main())
