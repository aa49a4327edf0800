"""The pre-commit hook, run through real pre-commit (`pre-commit try-repo`) in a scratch git repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("git") is None, reason="needs git")]


def test_hook_definition():
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "miglint" and hook["language"] == "python" and hook["entry"] == "miglint check"
    import re

    pattern = re.compile(hook["files"])
    for name in ("scripts/evacuate.sh", "x.bash", "fleet.plan.yaml", "a.plan.yml", "b.plan.json", "c.plan.jsonl"):
        assert pattern.search(name), name
    for name in ("README.md", "values.yaml", "evacuate.sh.orig", "setup.py"):
        assert not pattern.search(name), name


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_try_repo(tmp_path):
    user = tmp_path / "ops"
    (user / "scripts").mkdir(parents=True)
    (user / "plans").mkdir()
    (user / "scripts" / "evacuate.sh").write_text(
        "#!/bin/sh\nvirsh migrate --offline db qemu+ssh://kvm-08/system\n")
    (user / "plans" / "ok.plan.yaml").write_text(
        "- {hypervisor: qemu, state: running, flags: [LIVE, PEER2PEER]}\n")
    (user / "README.md").write_text("Never run: virsh migrate --offline x qemu+ssh://h/system\n")
    (user / ".miglint.yaml").write_text("state: shutoff\n")
    git(user, "init", "-q")
    git(user, "add", ".")
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"), MIGLINT_NO_CACHE="1",
               PRE_COMMIT_COLOR="never")
    env.pop("VIRTUAL_ENV", None)
    proc = subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "miglint", "--all-files",
                           "--verbose"], cwd=user, env=env, capture_output=True, text=True, timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "miglint" in out and "Failed" in out
    assert "scripts/evacuate.sh:2:1" in out and "2:15 error Q053" in out, out
    assert "README.md" not in out  # not a file the hook takes
    assert "plans/ok.plan.yaml" in out  # checked, and clean
