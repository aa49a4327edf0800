"""Runbooks where they live: Markdown, Makefiles, Ansible playbooks and extensionless scripts are read into shell
snippets that keep the file's lines and columns (miglint.inputs.markdown, makefile, ansible, runbook), and the
corpus under tests/data/runbooks reads as its sidecar ``*.expect.yaml`` files say.

An expect file lists, for one runbook, each ``virsh ... migrate`` command found (requests for help left out): the
line and column of its virsh word, ``via`` (the function calls it ran through), and its words -- or ``readings``,
one word list per combination of values when it reads differently on different paths. A word is its text when
known, ``{unknown: TEXT}`` when partly or wholly unknown (one word), ``{split: TEXT}`` when it is an unknown bare
expansion that may be several words, ``{many: TEXT}`` when it may be any number of words.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from miglint.inputs.ansible import ansible_snippets
from miglint.inputs.makefile import makefile_snippets
from miglint.inputs.markdown import markdown_snippets
from miglint.inputs.request import Defaults
from miglint.inputs.runbook import runbook_kind, runbook_snippets, shebang_shell
from miglint.inputs.script import migrations, read_snippets, snippet_jobs
from miglint.inputs.virsh import asks_help, find_migrate
from miglint.model import Job

CORPUS = Path(__file__).resolve().parents[2] / "data" / "runbooks"


def found(snippets, file="f"):
    """(line, column, texts) of each reading of each migrate command."""
    out = []
    for cmd, _, words in migrations(read_snippets(snippets, file)):
        call = find_migrate(words)
        out.append((call.virsh.line, call.virsh.column, [w.text for w in words]))
    return out


def md(text):
    return markdown_snippets(textwrap.dedent(text))


# -- the corpus ----------------------------------------------------------------------------------------------------


def _word(w):
    if w.many:
        return {"many": w.text}
    if w.split:
        return {"split": w.text}
    if w.unknown:
        return {"unknown": w.text}
    return w.text


def describe(path: Path, policies) -> dict:
    rel = str(path.relative_to(CORPUS))
    snippets = runbook_snippets(path.name, path.read_text())
    assert snippets is not None, f"{rel} is not read as a runbook"
    version = policies.vocab.version(None)
    out = []
    for cmd in read_snippets(snippets, rel).commands:
        readings = [(find_migrate(ws), ws) for ws in cmd.readings()]
        readings = [(c, ws) for c, ws in readings if c is not None and not asks_help(ws, c, version, policies.vocab)]
        if not readings:
            continue
        call = readings[0][0]
        entry: dict = {"line": call.virsh.line, "column": call.virsh.column}
        if cmd.via:
            entry["via"] = [list(v) for v in cmd.via]
        if len(readings) == 1:
            entry["words"] = [_word(w) for w in readings[0][1]]
        else:
            entry["readings"] = [[_word(w) for w in ws] for _, ws in readings]
        out.append(entry)
    return {"file": rel, "migrations": out}


RUNBOOKS = sorted(p for p in CORPUS.rglob("*") if p.is_file() and not p.name.endswith(".expect.yaml"))


def test_the_corpus_has_every_kind_of_runbook():
    kinds = {str(p.relative_to(CORPUS)): runbook_kind(p.name, p.read_text()) for p in RUNBOOKS}
    assert set(kinds.values()) == {"script", "markdown", "makefile", "ansible"}
    assert kinds["bin/evacuate"] == "script"
    assert all(p.with_name(p.name + ".expect.yaml").exists() for p in RUNBOOKS)


@pytest.mark.parametrize("path", RUNBOOKS, ids=lambda p: str(p.relative_to(CORPUS)))
def test_corpus_reads_as_expected(path, policies):
    expected = yaml.safe_load(path.with_name(path.name + ".expect.yaml").read_text())
    assert describe(path, policies) == expected


# -- Markdown ----------------------------------------------------------------------------------------------------


def test_markdown_blocks_by_tag():
    snips = md("""\
        ```sh
        virsh migrate --live a qemu+ssh://n2/system
        ```
        ```text
        virsh migrate --live b qemu+ssh://n2/system
        ```
        ~~~
        virsh migrate --live c qemu+ssh://n2/system
        ~~~
        ```
        ls -l
        ```
        ```output
        virsh migrate --live d qemu+ssh://n2/system
        ```
        ```{.bash title="move"}
        virsh migrate --live e qemu+ssh://n2/system
        ```
        """)
    assert [t[2][3] for t in found(snips)] == ["a", "c", "e"]


def test_markdown_prose_and_inline_code_are_not_commands():
    snips = md("""\
        - n1: launch virsh migrate --live --persistent web01
        Run `virsh migrate --live web01 qemu+ssh://n2/system` when ready.

            virsh migrate --live indented qemu+ssh://n2/system
        """)
    assert snips == []


def test_markdown_console_prompts_and_output():
    snips = md("""\
        Intro.

        ```console
        $ virsh list
         Id   Name    State
         1    web01   running
        $ virsh migrate --live web01 \\
        >   qemu+ssh://n2/system
        Migration: [100 %]
        [root@n1 ~]# virsh migrate --live web02 qemu+ssh://n2/system
        user@n1:~/work$ sudo virsh migrate --live web03 qemu+ssh://n2/system
        (venv) $ virsh migrate --live web04 qemu+ssh://n2/system
        % virsh migrate --live web05 qemu+ssh://n2/system
        ```
        """)
    assert found(snips) == [
        (7, 3, ["virsh", "migrate", "--live", "web01", "qemu+ssh://n2/system"]),
        (10, 14, ["virsh", "migrate", "--live", "web02", "qemu+ssh://n2/system"]),
        (11, 22, ["sudo", "virsh", "migrate", "--live", "web03", "qemu+ssh://n2/system"]),
        (12, 10, ["virsh", "migrate", "--live", "web04", "qemu+ssh://n2/system"]),
        (13, 3, ["virsh", "migrate", "--live", "web05", "qemu+ssh://n2/system"]),
    ]


def test_markdown_secondary_prompts_continue_a_compound_command():
    snips = md("""\
        ```console
        $ for vm in web01 web02; do
        >   virsh migrate --live "$vm" qemu+ssh://n2/system
        > done
        $ if true; then
        >
        >   virsh migrate --live web03 qemu+ssh://n2/system
        > fi
        Done.
        ```
        """)
    assert found(snips) == [
        (3, 5, ["virsh", "migrate", "--live", "web01", "qemu+ssh://n2/system"]),
        (3, 5, ["virsh", "migrate", "--live", "web02", "qemu+ssh://n2/system"]),
        (7, 5, ["virsh", "migrate", "--live", "web03", "qemu+ssh://n2/system"]),
    ]


def test_markdown_root_prompt_or_comment():
    snips = md("""\
        ```bash
        # virsh migrate --live web01 qemu+ssh://n2/system
        # Move the guest, then check it:
        # DEST=qemu+ssh://n3/system
        # sudo virsh migrate --live web02 "$DEST"
        # miglint: disable=Q053 -- by hand
        ```
        """)
    assert [(t[0], t[2][-2:]) for t in found(snips)] == [(2, ["web01", "qemu+ssh://n2/system"]),
                                                          (5, ["web02", "qemu+ssh://n3/system"])]
    reading = read_snippets(snips, "f")
    assert [(c.line, c.text) for c in reading.comments] == [(3, " Move the guest, then check it:"),
                                                             (6, " miglint: disable=Q053 -- by hand")]


@pytest.mark.parametrize("head", ["#!/bin/bash\nset -e\n", "set -e\n"])
def test_markdown_a_script_block_comments_out_with_hash(head):
    """In a shell block with shell of its own, `# virsh migrate ...` is a command commented out."""
    snips = md("```bash\n" + head + "# Old way, no longer used:\n"
               "# virsh migrate --tunnelled web1 qemu+ssh://n2/system\n"
               "# DEST=qemu+ssh://n3/system\n"
               "virsh migrate --live --p2p --tunnelled web1 qemu+ssh://n2/system\n"
               "```\n")
    assert [t[2][2:] for t in found(snips)] == [["--live", "--p2p", "--tunnelled", "web1", "qemu+ssh://n2/system"]]


def test_markdown_a_shell_block_with_prompts_is_a_console_block():
    snips = md("""\
        ```bash
        $ virsh migrate --live web01 qemu+ssh://n2/system
        error: Requested operation is not valid: domain is not running
        ```
        """)
    assert [t[2][3] for t in found(snips)] == ["web01"]
    assert "error" not in snips[0].text


def test_markdown_placeholders_are_unknown_words_not_redirections():
    snips = md("""\
        ```sh
        virsh migrate --live <domain> qemu+ssh://<destination-host-ip>/system
        ```
        """)
    (cmd, _, words), = migrations(read_snippets(snips, "f"))
    assert [(w.text, w.unknown, w.split) for w in words[3:]] == [
        ("<domain>", True, True), ("qemu+ssh://<destination-host-ip>/system", True, False)]
    assert (words[3].line, words[3].column) == (2, 22)


def test_markdown_blocks_share_a_session_and_positions_are_the_files():
    text = textwrap.dedent("""\
        1. Set it:

           ```bash
           DEST=qemu+ssh://n2/system
           ```

        2. Use it:

           ```bash
           virsh migrate --live web01 "$DEST"
           ```
        """)
    snips = markdown_snippets(text)
    (cmd, _, words), = migrations(read_snippets(snips, "f"))
    assert words[4].text == "qemu+ssh://n2/system" and words[4].origin() == (4, 9)
    assert (words[0].line, words[0].column) == (10, 4)
    assert text[words[3].start:words[3].end] == "web01"
    assert text[words[4].start:words[4].end] == '"$DEST"'


def test_markdown_unclosed_fence_runs_to_the_end():
    assert [t[2][3] for t in found(md("```sh\nvirsh migrate --live a qemu+ssh://n2/system\n"))] == ["a"]


def test_markdown_suppression_in_a_block(policies):
    snips = md("""\
        ```bash
        # miglint: disable=Q053 -- the definition is copied by hand
        virsh migrate --offline db01 qemu+ssh://n2/system
        ```
        """)
    (job,) = [i for i in snippet_jobs(snips, "r.md", policies, Defaults(state="shutoff")) if isinstance(i, Job)]
    assert [s.rule for s in job.suppressed] == ["Q053"] and job.location.line == 3


# -- Makefiles ----------------------------------------------------------------------------------------------------


MAKEFILE = "\n".join([
    "VIRSH := virsh -c qemu:///system",      # 1
    "PEER ?= n2",                             # 2
    "DEST = qemu+ssh://$(PEER)/system",       # 3
    "OPTS = --live",                          # 4
    "OPTS += --p2p",                          # 5
    "ifeq ($(FAST),1)",                       # 6
    "COND = --compressed",                    # 7
    "endif",                                  # 8
    "all: ; $(VIRSH) migrate $(OPTS) w0 $(DEST)",  # 9
    "move:",                                  # 10
    "\t@$(VIRSH) migrate $(OPTS) w1 $(DEST)",  # 11
    "\t-virsh migrate $(COND) w2 \\",          # 12
    "\t  $(DEST)",                             # 13
    "\t+D=w3; virsh migrate --live $$D $(DEST)",  # 14
    "\tvirsh migrate --live $$D $(DEST)",      # 15
    "\tvirsh migrate --live $@ $(shell cat peer)",  # 16
    "",
])


def test_makefile_recipes_and_variables():
    got = found(makefile_snippets(MAKEFILE))
    assert got == [
        (9, 8, ["virsh", "-c", "qemu:///system", "migrate", "--live", "--p2p", "w0", "qemu+ssh://n2/system"]),
        (11, 3, ["virsh", "-c", "qemu:///system", "migrate", "--live", "--p2p", "w1", "qemu+ssh://n2/system"]),
        (12, 3, ["virsh", "migrate", "$(COND)", "w2", "qemu+ssh://n2/system"]),
        (14, 9, ["virsh", "migrate", "--live", "w3", "qemu+ssh://n2/system"]),
        (15, 2, ["virsh", "migrate", "--live", "$D", "qemu+ssh://n2/system"]),
        (16, 2, ["virsh", "migrate", "--live", "$@", "$(shell cat peer)"]),
    ]


def test_makefile_positions_and_edits():
    reading = read_snippets(makefile_snippets(MAKEFILE), "Makefile")
    by_line = {cmd.line: words for cmd, _, words in migrations(reading)}
    w = by_line[11]
    assert [(x.text, x.line, x.column) for x in w[:4]] == [("virsh", 11, 3), ("-c", 11, 3), ("qemu:///system", 11, 3),
                                                            ("migrate", 11, 12)]
    assert MAKEFILE[w[3].start:w[3].end] == "migrate"
    assert w[0].start == -1, "a substituted make variable is not the file's text"
    w = by_line[12]
    assert w[2].unknown and w[2].split  # a variable assigned only inside a conditional
    assert (w[4].line, w[4].column) == (13, 4)
    assert by_line[15][3].unknown, "each recipe line runs in a shell of its own"


def test_makefile_oneshell_and_comments(policies):
    text = ".ONESHELL:\n# miglint: disable=Q053 -- by hand\nmove:\n\tD=w1\n\tvirsh migrate --offline $$D qemu+ssh://n2/system\n"
    snips = makefile_snippets(text)
    assert found(snips) == [(5, 2, ["virsh", "migrate", "--offline", "w1", "qemu+ssh://n2/system"])]
    jobs = [i for i in snippet_jobs(snips, "Makefile", policies, Defaults(state="shutoff")) if isinstance(i, Job)]
    assert jobs[0].suppressed == (), "the comment is not right above the command"
    text = "move:\n\t# miglint: disable=Q053 -- by hand\n\tvirsh migrate --offline w1 qemu+ssh://n2/system\n"
    jobs = [i for i in snippet_jobs(makefile_snippets(text), "Makefile", policies, Defaults(state="shutoff"))
            if isinstance(i, Job)]
    assert [s.rule for s in jobs[0].suppressed] == ["Q053"]


def test_makefile_define_and_include_make_variables_unknown():
    text = "A = --live\ndefine B\n--p2p\nendef\ninclude site.mk\nx:\n\tvirsh migrate $(A) $(B) d qemu+ssh://n2/system\n"
    ((_, _, words),) = found(makefile_snippets(text))
    assert words[2:4] == ["$(A)", "$(B)"]


# -- Ansible -------------------------------------------------------------------------------------------------------


PLAY = """\
- hosts: n1
  vars:
    dest: qemu+ssh://n2/system
  tasks:
    - name: shell string
      shell: virsh migrate --live --p2p web01 "{{ dest }}"
    - name: block scalar
      ansible.builtin.shell: |
        D=web02
        virsh migrate --live "$D" qemu+ssh://n2/system
    - name: command with options
      command: virsh migrate --live web03 qemu+ssh://n2/system chdir=/tmp creates=/x
    - name: cmd form
      ansible.builtin.command:
        cmd: virsh migrate --live 'web 04' $HOME
    - name: argv form
      ansible.legacy.command:
        argv: [virsh, migrate, --live, "web05", "{{ dest }}"]
    - name: args form
      shell:
      args:
        cmd: virsh migrate --live web06 qemu+ssh://n2/system
    - name: not a shell
      ansible.builtin.copy: {src: a, dest: b}
  handlers:
    - name: h
      raw: virsh migrate --live web07 qemu+ssh://n2/system | tee /tmp/log
"""


def test_ansible_tasks():
    got = found(ansible_snippets(PLAY))
    assert got == [
        (6, 14, ["virsh", "migrate", "--live", "--p2p", "web01", "{{ dest }}"]),
        (10, 9, ["virsh", "migrate", "--live", "web02", "qemu+ssh://n2/system"]),
        (12, 16, ["virsh", "migrate", "--live", "web03", "qemu+ssh://n2/system"]),
        (15, 14, ["virsh", "migrate", "--live", "web 04", "$HOME"]),
        (18, 16, ["virsh", "migrate", "--live", "web05", "{{ dest }}"]),
        (22, 14, ["virsh", "migrate", "--live", "web06", "qemu+ssh://n2/system"]),
        (27, 12, ["virsh", "migrate", "--live", "web07", "qemu+ssh://n2/system"]),
    ]


def test_ansible_words_and_positions():
    reading = read_snippets(ansible_snippets(PLAY), "play.yml")
    by_line = {cmd.line: words for cmd, _, words in migrations(reading)}
    assert by_line[6][5].unknown and not by_line[6][5].split  # quoted: one word
    assert by_line[10][3].origin() == (9, 11)  # D=web02 on the line above, in the block scalar
    assert PLAY[by_line[10][4].start:by_line[10][4].end] == "qemu+ssh://n2/system"
    w = by_line[15]
    assert w[4].unknown and not w[4].split, "no shell splits the command module's $HOME"
    assert (w[3].line, w[3].column) == (15, 35)


def test_ansible_jinja_inside_a_word_and_alone():
    snips = ansible_snippets("- hosts: a\n  tasks:\n    - shell: virsh migrate --live {{ opts }} d qemu+ssh://{{ h }}/system\n")
    ((cmd, _, words),) = migrations(read_snippets(snips, "p.yml"))
    assert [(w.text, w.unknown, w.split) for w in words[3:]] == [
        ("{{ opts }}", True, True), ("d", False, False), ("qemu+ssh://{{ h }}/system", True, False)]


@pytest.mark.parametrize("text", [
    "- command: virsh migrate --live a qemu+ssh://n2/system\n  hypervisor: qemu\n",     # a plan
    "migrations:\n  - command: virsh migrate --live a qemu+ssh://n2/system\n",          # a plan
    "defaults: {state: running}\n",
    "a: 1\n",
    "- 1\n- 2\n",
    "[unclosed\n",
    "",
])
def test_ansible_is_told_apart_from_plans_and_other_yaml(text):
    assert ansible_snippets(text) is None


def test_ansible_task_list_and_blocks():
    text = ("- name: t\n  block:\n    - name: inner\n      shell: virsh migrate --live a qemu+ssh://n2/system\n"
            "  rescue:\n    - command: virsh migrate --live b qemu+ssh://n2/system\n")
    assert [t[2][3] for t in found(ansible_snippets(text))] == ["a", "b"]


def test_ansible_suppression_inside_a_block_scalar(policies):
    text = ("- hosts: a\n  tasks:\n    - shell: |\n        # miglint: disable=Q053 -- by hand\n"
            "        virsh migrate --offline d qemu+ssh://n2/system\n")
    jobs = [i for i in snippet_jobs(ansible_snippets(text), "p.yml", policies, Defaults(state="shutoff"))
            if isinstance(i, Job)]
    assert [s.rule for s in jobs[0].suppressed] == ["Q053"] and jobs[0].location.line == 5


# -- which reader ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("first,shell", [
    ("#!/bin/sh", "sh"), ("#!/bin/bash -e", "bash"), ("#! /usr/bin/env bash", "bash"),
    ("#!/usr/bin/env -S bash -euo pipefail", "bash"), ("#!/usr/bin/env -Sbash", "bash"),
    ("#!/usr/bin/dash", "dash"), ("#!/bin/ksh", "ksh"), ("#!/usr/local/bin/zsh", "zsh"),
    ("#!/usr/bin/env LC_ALL=C sh", "sh"), ("#!/usr/bin/python3", None), ("#!/usr/bin/env python3", None),
    ("# not a shebang", None), ("#!", None), ("#!/usr/bin/env", None),
])
def test_shebang(first, shell):
    assert shebang_shell(first + "\necho\n") == shell


@pytest.mark.parametrize("name,text,kind", [
    ("evacuate.sh", "", "script"), ("runbook.md", "", "markdown"), ("Makefile", "", "makefile"),
    ("GNUmakefile", "", "makefile"), ("rules.mk", "", "makefile"), ("play.yml", "- hosts: a\n", "ansible"),
    ("fleet.plan.yaml", "- command: virsh migrate --live a b\n", None), ("evacuate", "#!/bin/bash\n", "script"),
    ("notes", "just text\n", None), ("tool.py", "#!/bin/sh\n", None),
])
def test_runbook_kind(name, text, kind):
    assert runbook_kind(name, text) == kind
