"""A plain `miglint check --command ...` with a warm policy cache loads no YAML, JSON Schema, TOML, XML, SARIF
or libvirt machinery, nor what only a mistake (difflib) or a written file (tempfile) needs: start-up time is what a
pre-commit hook or a CI step pays on every run."""

from __future__ import annotations

import json
import os
import subprocess
import sys

PROBE = """
import json, sys
more = tuple(m for m in sys.argv.pop(1).split(",") if m != "-")
from miglint.cli.ENTRY import main
code = main(sys.argv[1:])
heavy = ("yaml", "jsonschema", "xml", "tomllib", "sarif_kit", "junitparser", "libvirt", "ctypes")
heavy += more
print(json.dumps([code, sorted(m for m in sys.modules if m.split(".")[0] in heavy
                               or m in ("miglint.outputs.reporters.sarif", "miglint.outputs.reporters.junit",
                                        "miglint.inputs.live"))]))
"""


def probe(tmp_path, *args, entry="app", more=""):
    """(exit code, the heavy modules loaded) of one run through ``miglint.cli.<entry>.main`` (``app``: typer's
    command line; ``__init__``: the console script, with its fast path); ``more``: modules that count as heavy."""
    env = dict(os.environ, MIGLINT_CACHE_DIR=str(tmp_path / "cache"))
    env.pop("MIGLINT_NO_CACHE", None)
    code = PROBE.replace("miglint.cli.ENTRY", "miglint.cli" if entry == "__init__" else f"miglint.cli.{entry}")
    proc = subprocess.run([sys.executable, "-c", code, more or "-", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, check=False)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_warm_cache_command_check_imports_nothing_heavy(tmp_path):
    args = ["check", "--state", "running", "--command", "virsh migrate --live --p2p d qemu+ssh://x/system"]
    code, loaded = probe(tmp_path, *args)  # cold: builds the cache (YAML and schemas are needed here)
    assert code == 0 and "yaml" in loaded
    code, loaded = probe(tmp_path, *args)
    assert code == 0 and loaded == []
    code, loaded = probe(tmp_path, "check", "--format", "github", *args[1:])
    assert code == 0 and loaded == []


def test_the_console_script_loads_what_only_a_mistake_or_a_written_file_needs_only_then(tmp_path):
    """The fast path of the console script: no difflib (suggestions) and no tempfile (atomic writes) on a plain
    check; a misspelt option or --output loads them."""
    args = ["check", "--state", "running", "--command", "virsh migrate --live --p2p d qemu+ssh://x/system"]
    probe(tmp_path, *args, entry="__init__")  # builds the cache
    assert probe(tmp_path, *args, entry="__init__", more="difflib,tempfile") == [0, []]
    code, loaded = probe(tmp_path, *args, "--output", str(tmp_path / "r.txt"), entry="__init__", more="tempfile")
    assert code == 0 and loaded == ["tempfile"] and (tmp_path / "r.txt").exists()
