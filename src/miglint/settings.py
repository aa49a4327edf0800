"""What a run needs besides its inputs: defaults for requests, limits, which files a walk takes, how findings
are filtered and when the run fails. Plain values; imports nothing of miglint, so every layer may use it.

Built by :mod:`miglint.config` from defaults <- configuration file <- options (``config.settings``).
"""

from __future__ import annotations

from typing import NamedTuple

# Files a directory walk takes (besides shell scripts without an extension, by their first line), and the ones
# it skips (names, or paths relative to the configuration file). A YAML file is read when it is a plan or an
# Ansible play, a Python file when it imports libvirt or runs virsh; KINDS says which kinds a walk takes at all.
DEFAULT_INCLUDE = ("*.sh", "*.bash", "*.ksh", "*.zsh", "*.plan.json", "*.plan.jsonl", "*.yaml", "*.yml", "*.md",
                   "*.markdown", "Makefile", "makefile", "GNUmakefile", "*.mk", "*.py")
KINDS = ("script", "plan", "markdown", "makefile", "ansible", "python")
DEFAULT_EXCLUDE = (".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox",
                   "*.miglint.tmp",  # what a killed `fix --in-place` may leave (outputs.streams.replace_file)
                   ".miglint.yaml", ".miglint.yml",  # miglint's configuration ("hypervisor: qemu" is no plan)
                   ".pre-commit-config.yaml", ".pre-commit-hooks.yaml")
MAX_FILE_BYTES = 64 << 20  # plans and scripts are read whole (JSON Lines is streamed)
MAX_LINE_BYTES = 1 << 20  # one JSON Lines line


class Defaults(NamedTuple):
    """Values for requests that do not say (plan entries, command lines), from the options or configuration."""

    hypervisor: str | None = None
    state: str | None = None
    libvirt_version: str | None = None
    mode: str | None = None


class Settings(NamedTuple):
    """Everything a run needs besides its inputs and the policies."""

    defaults: Defaults = Defaults()
    fail_on: str = "error"
    fail_on_depends: bool = False  # a finding that depends on a missing fact fails too
    exit_zero: bool = False
    disabled: frozenset[str] = frozenset()  # rule ids or names
    severity: tuple[tuple[str, str], ...] = ()  # (rule id or name, severity)
    include: tuple[str, ...] = DEFAULT_INCLUDE
    kinds: tuple[str, ...] = KINDS  # what a walk reads (a file named on the command line is always read)
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    max_file_bytes: int = MAX_FILE_BYTES
    max_line_bytes: int = MAX_LINE_BYTES
    suppress: bool = True  # False: --no-suppress, every finding is shown
    replace: tuple[tuple[str, str], ...] = ()  # (policy, organisation policy that stands in for it)
    base_dir: str | None = None  # exclude patterns with a '/' are relative to this (the config file's directory)
    # A mixed fleet: check every request against each of these hypervisors (they override the request's own).
    hypervisors: tuple[str, ...] = ()
