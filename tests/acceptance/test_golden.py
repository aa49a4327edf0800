"""Golden outputs: text compared exactly, JSON compared after parsing. Regenerate with MIGLINT_REGOLD=1."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from miglint.cli.app import main

HERE = Path(__file__).resolve().parents[1]
GOLDEN = HERE / "golden"
PLAN = "tests/data/mixed.plan.yaml"
# name -> (argv, exit code): the plan holds refused requests, and so does the seed scenario.
CASES = {
    "mixed-plan.txt": (["check", "--format", "text", PLAN], 1),
    "mixed-plan.json": (["check", "--format", "json", PLAN], 1),
    "mixed-plan-v1.json": (["check", "--format", "json", "--json-schema-version", "1", PLAN], 1),
    "vz-2015-seed.txt": (["check", "--hypervisor", "vz-2015", "--state", "running",
                          "--command", "virsh migrate --p2p dom vz+ssh://dst/system"], 1),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name, capsys, monkeypatch):
    monkeypatch.chdir(HERE.parent)
    argv, code = CASES[name]
    assert main(argv) == code
    out = capsys.readouterr().out
    path = GOLDEN / name
    if os.environ.get("MIGLINT_REGOLD"):
        path.write_text(out)
    expected = path.read_text()
    if name.endswith(".json"):
        assert json.loads(out) == json.loads(expected)
    else:
        assert out == expected
