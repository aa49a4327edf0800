"""Which reader a runbook file needs, by its name and (for files without an extension) its shebang.

``runbook_kind`` tells; ``runbook_snippets`` reads: a shell script is one snippet of the whole file, a
Markdown runbook, a Makefile or an Ansible playbook its shell snippets (``miglint.inputs.snippet``), ready for
``miglint.inputs.script.snippet_jobs``.
"""

from __future__ import annotations

import os
import re

from .snippet import Snippet, whole

SHELLS = frozenset({"sh", "bash", "dash", "ksh", "zsh", "mksh", "ash"})
SCRIPT_SUFFIXES = (".sh", ".bash", ".ksh", ".zsh", ".dash")
MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown")
MAKEFILE_NAMES = frozenset({"Makefile", "makefile", "GNUmakefile"})
YAML_SUFFIXES = (".yml", ".yaml")


def shebang_shell(text: str) -> str | None:
    """The shell a script's first line names (``#!/bin/bash``, ``#! /usr/bin/env -S bash -e``), or None."""
    if not text.startswith("#!"):
        return None
    first = text[2:].split("\n", 1)[0].strip()
    words = first.split()
    if not words:
        return None
    prog = os.path.basename(words[0])
    args = words[1:]
    if prog == "env":
        k = 0
        while k < len(args):
            a = args[k]
            if a in ("-S", "--split-string") or a.startswith("-S"):
                rest = a[2:] if a.startswith("-S") and a != "-S" else ""
                if rest:
                    args = [rest] + args[k + 1:]
                    k = 0
                    break
                k += 1
                break
            if a in ("-u", "--unset", "-C", "--chdir"):
                k += 2
                continue
            if a.startswith("-") or re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", a):
                k += 1
                continue
            break
        if k >= len(args):
            return None
        prog = os.path.basename(args[k])
    return prog if prog in SHELLS else None


def is_shell_script(text: str) -> bool:
    return shebang_shell(text) is not None


def runbook_kind(name: str, text: str | None = None) -> str | None:
    """"script", "markdown", "makefile" or "ansible" (a YAML file that is a playbook or task list), or None.
    ``text`` is needed for YAML files and files without an extension."""
    base = os.path.basename(name)
    lower = base.lower()
    if lower.endswith(SCRIPT_SUFFIXES):
        return "script"
    if lower.endswith(MARKDOWN_SUFFIXES):
        return "markdown"
    if base in MAKEFILE_NAMES or lower.endswith(".mk"):
        return "makefile"
    if lower.endswith(YAML_SUFFIXES):
        if text is None:
            return None
        from .ansible import is_ansible

        return "ansible" if is_ansible(text) else None
    if "." not in base and text is not None and is_shell_script(text):
        return "script"
    return None


def runbook_snippets(name: str, text: str) -> list[Snippet] | None:
    """The shell snippets of a runbook file, or None when it is none of the kinds above."""
    kind = runbook_kind(name, text)
    return None if kind is None else snippets_of(kind, text)


def snippets_of(kind: str, text: str) -> list[Snippet] | None:
    """The shell snippets of a file of this kind (script, markdown, makefile, ansible)."""
    if kind == "script":
        return [whole(text)]
    if kind == "markdown":
        from .markdown import markdown_snippets

        return markdown_snippets(text)
    if kind == "makefile":
        from .makefile import makefile_snippets

        return makefile_snippets(text)
    if kind == "ansible":
        from .ansible import ansible_snippets

        return ansible_snippets(text)
    return None
