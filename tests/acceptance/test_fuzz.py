"""A bounded fuzzing run (tests/fuzz/run.py) in CI: 3,000 generated inputs of every kind, no crash."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

FUZZ = Path(__file__).resolve().parents[1] / "fuzz" / "run.py"


def test_bounded_fuzz_run_has_no_crash():
    proc = subprocess.run([sys.executable, str(FUZZ), "--count", "3000", "--seed", "7", "--json"],
                          capture_output=True, text=True, timeout=600, env={**os.environ, "MIGLINT_NO_CACHE": "1"})
    report = json.loads(proc.stdout)
    assert report["crashes"] == 0, json.dumps(report["crash_examples"], indent=2)
    assert proc.returncode == 0, proc.stderr
    assert report["count"] == 3000 and set(report["inputs"]) == {"command", "script", "entry", "plan", "config",
                                                                  "policy", "markdown", "makefile", "ansible"}
    # Both sides of the line are exercised: inputs refused with a user error, and requests evaluated.
    assert all(0 < report["user_errors"].get(k, 0) < n for k, n in report["inputs"].items()), report["user_errors"]
    assert report["requests"] > 1000 and report["findings"] > 1000
    assert set(report["predictions"]) == {"accepted", "rejected", "depends"}
